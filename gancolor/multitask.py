"""Colorize and stylize a gray photo at once with one multi-task model, at any size; and score it.

The model (:class:`~gancolor.models.multitask.MultiTaskGenerator`) sees the photo's lightness small
(long side ``inference_size``, never enlarged) and answers twice from one encoder pass. Each answer
is brought back to full resolution with the trick its single-task counterpart uses:

    colour:  ab_small upsampled, joined to the full-resolution L        (as gancolor.inference)
    style:   delta = S(L_small) - gray_small, the change the winter head makes to the gray photo;
             winter = clamp(gray_full + upsample(delta))                 (as gancolor.stylize)

so both outputs keep every detail of the input. :func:`evaluate_multitask` scores both heads on
the embedded test scenes, whose summer and winter versions are pixel-aligned ground truths.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancolor.color import AB_SCALE, L_SCALE, lab_to_rgb
from gancolor.inference import Colorizer, GeneratorModel, lightness, run_padded, working_size
from gancolor.model_files import MULTITASK_FORMAT, build_generator, read_model_file
from gancolor.runtime import package_root

__all__ = [
    "MULTITASK_FORMAT",
    "MultiTaskModel",
    "default_multitask",
    "load_multitask",
    "evaluate_multitask",
    "format_multitask_results",
]


def default_multitask() -> Path:
    """The shipped multi-task (colour + winter) model file."""
    return package_root() / "weights" / "multitask.pt"


def _generator_classes() -> dict[str, type[nn.Module]]:
    from gancolor.models.multitask import MultiTaskGenerator

    return {"MultiTaskGenerator": MultiTaskGenerator}


def _gray_rgb_n(L: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """The gray photo of lightness L (N, 1, H, W) in [0, 100], as RGB (N, 3, H, W) in [-1, 1]."""
    from gancolor.models.multitask import gray_rgb_n

    return gray_rgb_n(L / L_SCALE - 1.0)


class MultiTaskModel(GeneratorModel):
    """A multi-task generator ready for inference: L -> (ab, winter RGB).

    Attributes:
        generator: maps L_n (N, 1, H, W) to (ab_n (N, 2, H, W), winter (N, 3, H, W)), both in [-1, 1].
        inference_size: long side (px) at which photos are processed (never enlarged).
        meta: the rest of the file (train config, steps, domains).
    """

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """The size at which a ``height`` x ``width`` photo is processed (long side <= inference_size)."""
        return working_size(height, width, self.inference_size)

    @property
    def colorizer(self) -> Colorizer:
        """The colour head alone as a :class:`~gancolor.inference.Colorizer` (for evaluate_colorizers ...)."""
        from gancolor.models.multitask import HeadView

        return Colorizer(generator=HeadView(self.generator, "ab"), inference_size=self.inference_size,
                         meta=dict(self.meta, mode="multitask"))

    @torch.no_grad()
    def predict(self, L_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N803
        """Both heads at the given size, from one encoder pass.

        Inputs: ``L_n`` (N, 1, H, W) in [-1, 1], any H, W (reflect-padded to the model's multiple).
        Returns: ``ab_n`` (N, 2, H, W) and winter RGB (N, 3, H, W), both in [-1, 1], on L_n's device.
        """
        ab_n, style = run_padded(self.generator, L_n.to(self.device))
        return ab_n.to(L_n.device), style.to(L_n.device)

    @torch.no_grad()
    def predict_images(self, images: torch.Tensor, batch_size: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
        """Colour and winter versions of images at their own size, from their lightness alone (evaluation).

        Inputs: ``images`` (N, 3, H, W) uint8 (colour or gray).
        Returns: coloured and stylised RGB, each (N, 3, H, W) float in [0, 1], on the CPU.
        """
        from gancolor.data.lab import lab_batch

        coloured, stylised = [], []
        for start in range(0, len(images), batch_size):
            L_n, _ = lab_batch(images[start:start + batch_size].cpu())  # noqa: N806
            ab_n, style = self.predict(L_n)
            coloured.append(lab_to_rgb(torch.cat(((L_n + 1.0) * L_SCALE, ab_n * AB_SCALE), dim=1)))
            stylised.append(style.add(1.0).mul_(0.5).clamp_(0.0, 1.0))
        if not coloured:
            empty = torch.empty(0, 3, *images.shape[-2:])
            return empty, empty.clone()
        return torch.cat(coloured), torch.cat(stylised)

    @torch.no_grad()
    def colorize_and_stylize(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Colour and winter versions of one photo at full resolution.

        Inputs: ``rgb`` (H, W, 3) uint8, colour or gray (only its lightness is used), or (H, W) gray.
        Returns: (coloured, stylised), each (H, W, 3) uint8. The coloured photo has the input's
        exact lightness; the stylised one is the gray photo plus the (upsampled) winter change.
        """
        rgb = np.asarray(rgb)
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[..., None], 3, axis=2)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be an (H, W, 3) or (H, W) uint8 array; got {rgb.shape} {rgb.dtype}")
        image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)
        L_full = lightness(image)[None]  # (1, 1, H, W) in [0, 100]  # noqa: N806
        del image
        height, width = L_full.shape[-2:]
        small_size = self.working_size(height, width)
        if small_size == (height, width):
            L_small = L_full  # noqa: N806
        else:
            L_small = F.interpolate(L_full, size=small_size, mode="bilinear", antialias=True,  # noqa: N806
                                    align_corners=False)
        ab_small, style_small = self.predict(L_small / L_SCALE - 1.0)  # (1, 2, h, w), (1, 3, h, w)
        if small_size == (height, width):
            ab_full, stylised = ab_small, style_small
        else:
            ab_full = F.interpolate(ab_small, size=(height, width), mode="bilinear", align_corners=False)
            delta = style_small - _gray_rgb_n(L_small)  # the change the winter head makes
            delta_full = F.interpolate(delta, size=(height, width), mode="bilinear", align_corners=False)
            stylised = (_gray_rgb_n(L_full) + delta_full).clamp_(-1.0, 1.0)
        coloured = lab_to_rgb(torch.cat((L_full, ab_full * AB_SCALE), dim=1))[0]

        def to_uint8(x: torch.Tensor) -> np.ndarray:  # (3, H, W) in [0, 1] -> (H, W, 3) uint8
            return x.mul(255.0).round_().clamp_(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()

        return to_uint8(coloured), to_uint8(stylised[0].add(1.0).mul_(0.5))


def load_multitask(path: str | Path | None = None, device: str | torch.device = "cpu",
                   inference_size: int | None = None) -> MultiTaskModel:
    """Load a multi-task file written by :func:`gancolor.train.colour_and_style.export_multitask`.

    ``path`` None means the shipped model (``gancolor/weights/multitask.pt``). A missing, corrupt
    or wrong-kind file raises :class:`~gancolor.errors.CheckpointError` with a one-line reason.
    """
    path = Path(path) if path is not None else default_multitask()
    blob = read_model_file(path, MULTITASK_FORMAT)
    generator = build_generator(blob.get("generator"), _generator_classes(), path,
                                config_defaults={"style_residual": False})  # older files: a direct head
    return MultiTaskModel.from_model_file(blob, generator, device, inference_size)


def evaluate_multitask(
    model: MultiTaskModel,
    split: str = "test",
    size: int = 64,
    *,
    colorizer: Colorizer | None = None,
    stylizer=None,
    max_images: int | None = None,
    summer: torch.Tensor | None = None,
    winter: torch.Tensor | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Score both heads on pixel-aligned ground truth: the embedded scenes of ``split`` (or given images).

    The colour head is scored against the summer photo, the style head against its winter twin,
    next to the baselines that need no model and, optionally, the single-task models:

    colour table: "multi-task", "colorizer" (if given), "gray" (ab = 0)
    style table:  "multi-task (gray in)", "colorizer -> stylizer" (both given: the two-model pipeline
                  from the same gray input), "stylizer (colour in)" (if given: it sees the colour
                  summer photo, an easier input), "identity (summer)" (the summer photo unchanged,
                  ≈ 9.5 dB), "gray input" (the gray photo unchanged)

    Inputs: ``stylizer`` a :class:`gancolor.stylize.Stylizer` with A = summer, B = winter;
    ``max_images`` the first that many scenes; ``summer``, ``winter`` (N, 3, H, W) uint8 aligned
    pairs instead of the embedded split (then ``split`` and ``size`` are ignored).
    Returns: ``{"colour": {method: scores}, "style": {method: scores}}`` with the scores of
    :func:`gancolor.evaluate.score_images` (PSNR, SSIM, colourfulness ...).
    """
    from gancolor.evaluate import colorize_images, gray_baseline, score_images

    ambiguous_summer = ambiguous_winter = None
    if summer is None or winter is None:
        from gancolor.data.embedded import load_embedded

        s = load_embedded(split, source="scenes", size=size, season="summer")  # type: ignore[arg-type]
        w = load_embedded(split, source="scenes", size=size, season="winter")  # type: ignore[arg-type]
        summer, winter = s.images, w.images
        ambiguous_summer, ambiguous_winter = s.ambiguous, w.ambiguous
    if summer.shape != winter.shape or summer.dtype != torch.uint8:
        raise ValueError(f"summer and winter must be aligned uint8 batches of one shape; got "
                         f"{tuple(summer.shape)} {summer.dtype} and {tuple(winter.shape)} {winter.dtype}")
    if max_images is not None:
        summer, winter = summer[:max_images], winter[:max_images]
        ambiguous_summer = ambiguous_summer[:max_images] if ambiguous_summer is not None else None
        ambiguous_winter = ambiguous_winter[:max_images] if ambiguous_winter is not None else None
    summer_t, winter_t = summer.float() / 255.0, winter.float() / 255.0
    gray = gray_baseline(summer)
    coloured, stylised = model.predict_images(summer)

    colour = {"multi-task": score_images(coloured, summer_t, ambiguous_summer)}
    style = {"multi-task (gray in)": score_images(stylised, winter_t, ambiguous_winter)}
    colorized = None
    if colorizer is not None:
        colorized = colorize_images(colorizer, summer)
        colour["colorizer"] = score_images(colorized, summer_t, ambiguous_summer)
    colour["gray"] = score_images(gray, summer_t, ambiguous_summer)
    if stylizer is not None:
        if colorized is not None:
            piped = stylizer.stylize_tensor(colorized.mul(255.0).round_().to(torch.uint8), "AtoB")
            style["colorizer -> stylizer"] = score_images(piped.float() / 255.0, winter_t, ambiguous_winter)
        style["stylizer (colour in)"] = score_images(stylizer.stylize_tensor(summer, "AtoB").float() / 255.0,
                                                     winter_t, ambiguous_winter)
    style["identity (summer)"] = score_images(summer_t, winter_t, ambiguous_winter)
    style["gray input"] = score_images(gray, winter_t, ambiguous_winter)
    return {"colour": colour, "style": style}


def format_multitask_results(results: Mapping[str, Mapping[str, Mapping[str, float]]],
                             digits: int = 2) -> str:
    """The two tables of :func:`evaluate_multitask`, one under the other, as plain text."""
    from gancolor.evaluate import format_table

    titles = {"colour": "colour head vs the summer photo", "style": "style head vs the winter photo"}
    return "\n\n".join(f"{titles.get(job, job)}\n{format_table(rows, digits)}"
                       for job, rows in results.items())
