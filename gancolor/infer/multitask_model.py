"""Colorize and stylize a gray photo at once with one multi-task model, at any size.

The model (:class:`~gancolor.models.multitask.MultiTaskGenerator`) sees the photo's lightness small
(long side ``inference_size``, never enlarged) and answers twice from one encoder pass. Each answer
is brought back to full resolution with the trick its single-task counterpart uses:

    colour:  ab_small upsampled, joined to the full-resolution L        (as gancolor.infer.colorizer)
    style:   delta = S(L_small) - gray_small, the change the winter head makes to the gray photo;
             winter = clamp(gray_full + upsample(delta))                 (as gancolor.infer.stylizer)

so both outputs keep every detail of the input. :mod:`gancolor.evaluation.multitask_eval` scores
both heads on the embedded test scenes, whose summer and winter versions are pixel-aligned ground truths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from gancolor.color import (
    lab_normalized_to_rgb,
    normalize_lightness,
    signed_to_unit,
    unit_to_uint8,
)
from gancolor.data.lab import lab_batch
from gancolor.infer.colorizer import Colorizer
from gancolor.infer.full_resolution import (
    GeneratorModel,
    photo_lightness,
    run_padded,
    shrink,
    upsample,
    working_size,
)
from gancolor.infer.lab_bands import lab_to_rgb_u8
from gancolor.model_files import MULTITASK_FORMAT, build_generator, read_model_file
from gancolor.models.multitask import HeadView, MultiTaskGenerator, gray_rgb_n
from gancolor.runtime import package_root

__all__ = [
    "MultiTaskModel",
    "default_multitask",
    "load_multitask",
]


def default_multitask() -> Path:
    """The shipped multi-task (colour + winter) model file."""
    return package_root() / "weights" / "multitask.pt"


def _generator_classes() -> dict[str, type[nn.Module]]:
    return {"MultiTaskGenerator": MultiTaskGenerator}


def _gray_rgb_n(L: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """The gray photo of lightness L (N, 1, H, W) in [0, 100], as RGB (N, 3, H, W) in [-1, 1]."""
    return gray_rgb_n(normalize_lightness(L))


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
        """The colour head alone as a :class:`~gancolor.infer.colorizer.Colorizer` (to evaluate it ...)."""
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
        coloured, stylised = [], []
        for start in range(0, len(images), batch_size):
            L_n, _ = lab_batch(images[start:start + batch_size].cpu())  # noqa: N806
            ab_n, style = self.predict(L_n)
            coloured.append(lab_normalized_to_rgb(L_n, ab_n))
            stylised.append(signed_to_unit(style))
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
        L_full = photo_lightness(rgb)[None]  # (1, 1, H, W) in [0, 100]  # noqa: N806
        height, width = L_full.shape[-2:]
        small_size = self.working_size(height, width)
        L_small = L_full if small_size == (height, width) else shrink(L_full, small_size)  # noqa: N806
        ab_small, style_small = self.predict(normalize_lightness(L_small))  # (1, 2, h, w), (1, 3, h, w)
        if small_size == (height, width):
            stylised = style_small
        else:
            delta = style_small - _gray_rgb_n(L_small)  # the change the winter head makes
            stylised = (_gray_rgb_n(L_full) + upsample(delta, (height, width))).clamp_(-1.0, 1.0)
        coloured = lab_to_rgb_u8(L_full[0, 0].numpy(), ab_small)  # ab upsampled, joined to L, band by band
        return coloured, unit_to_uint8(signed_to_unit(stylised[0])).permute(1, 2, 0).numpy()


def load_multitask(path: str | Path | None = None, device: str | torch.device = "cpu",
                   inference_size: int | None = None) -> MultiTaskModel:
    """Load a multi-task file written by ``gancolor train multitask`` (``export_multitask``).

    ``path`` None means the shipped model (``gancolor/weights/multitask.pt``). A missing, corrupt
    or wrong-kind file raises :class:`~gancolor.errors.CheckpointError` with a one-line reason.
    """
    path = Path(path) if path is not None else default_multitask()
    blob = read_model_file(path, MULTITASK_FORMAT)
    generator = build_generator(blob.get("generator"), _generator_classes(), path,
                                config_defaults={"style_residual": False})  # older files: a direct head
    return MultiTaskModel.from_model_file(blob, generator, device, inference_size)
