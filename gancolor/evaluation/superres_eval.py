"""Held-out evaluation of super-resolution colorization beside its baselines.

Every method gets the same small gray image (the true photo shrunk by the factor, each output pixel
the mean of a factor x factor block) and is scored against the true photo at full size:

- ``bicubic gray``: bicubic upscaling of the lightness, no colour (the floor);
- ``bicubic + colorizer``: bicubic upscaling, then the shipped colorizer (the baseline to beat);
- ``model``: the super-resolution colorizer (L and ab predicted at the large size).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F

from gancolor.color import lab_normalized_to_rgb
from gancolor.data import lab_batch
from gancolor.evaluation.scores import score_images
from gancolor.infer.colorizer import DEFAULT_AUTOMATIC, Colorizer, default_checkpoint, load_colorizer
from gancolor.infer.upscaler import SuperResolver

#: The methods compared, in table order.
METHODS = ("bicubic gray", "bicubic + colorizer", "model")

__all__ = ["METHODS", "evaluate_superres", "evaluate_superres_photos", "shrink_gray", "bicubic_lightness"]


def bicubic_lightness(L_small: torch.Tensor, factor: int) -> torch.Tensor:  # noqa: N803
    """L_n (N, 1, h, w) -> (N, 1, factor h, factor w), bicubic, clamped to [-1, 1]."""
    return F.interpolate(L_small, scale_factor=factor, mode="bicubic", align_corners=False).clamp(-1, 1)


def _upscale(model: SuperResolver, L_small: torch.Tensor, factor: int) -> torch.Tensor:  # noqa: N803
    """cat(L_n, ab_n) (N, 3, factor h, factor w) after the model's passes."""
    L_n = L_small  # noqa: N806
    for _ in range(model.passes(factor)):
        lab_n = model.upscale_lab(L_n)
        L_n = lab_n[:, :1]  # noqa: N806
    return lab_n


@torch.no_grad()
def evaluate_superres(model: SuperResolver, images: torch.Tensor, factor: int | None = None,
                      colorizer: Colorizer | None = None, batch_size: int = 64
                      ) -> dict[str, dict[str, float]]:
    """PSNR, SSIM, colourfulness of the methods (module docstring) on ``images`` (N, 3, H, W) uint8,
    H and W multiples of ``factor`` (default: the model's scale); ``colorizer`` defaults to the
    shipped default (L1) colorizer that `gancolor colorize` uses. Returns {method: scores}."""
    factor = factor or model.scale
    colorizer = colorizer or load_colorizer(default_checkpoint(DEFAULT_AUTOMATIC))
    outputs: dict[str, list[torch.Tensor]] = {name: [] for name in METHODS}
    for start in range(0, len(images), batch_size):
        L_n, _ = lab_batch(images[start:start + batch_size])  # noqa: N806
        L_small = F.avg_pool2d(L_n, factor)  # noqa: N806
        L_big = bicubic_lightness(L_small, factor)  # noqa: N806
        no_colour = torch.zeros_like(L_big).repeat(1, 2, 1, 1)
        outputs["bicubic gray"].append(lab_normalized_to_rgb(L_big, no_colour))
        outputs["bicubic + colorizer"].append(colorizer.colorize_lab(L_big))
        lab_n = _upscale(model, L_small, factor)
        outputs["model"].append(lab_normalized_to_rgb(lab_n[:, :1], lab_n[:, 1:]))
    target = images.float() / 255
    return {name: score_images(torch.cat(parts), target) for name, parts in outputs.items()}


def shrink_gray(rgb: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """The photo (H, W, 3) uint8 cropped to multiples of ``factor`` and the small gray photo made from
    it (area average of L, as uint8 gray RGB (H/factor, W/factor, 3)): (cropped truth, small gray)."""
    from gancolor.color import denormalize_lightness, lab_to_rgb, normalize_lightness, unit_to_uint8
    from gancolor.infer.full_resolution import photo_lightness

    height, width = (side - side % factor for side in rgb.shape[:2])
    truth = rgb[:height, :width].copy()
    L_small = F.avg_pool2d(normalize_lightness(photo_lightness(truth))[None], factor)  # noqa: N806
    lab = torch.cat([denormalize_lightness(L_small), torch.zeros_like(L_small).repeat(1, 2, 1, 1)], dim=1)
    return truth, unit_to_uint8(lab_to_rgb(lab)[0]).permute(1, 2, 0).numpy()


def evaluate_superres_photos(model: SuperResolver, photos: Mapping[str, np.ndarray],
                             factor: int | None = None,
                             colorizer: Colorizer | None = None) -> dict[str, dict[str, float]]:
    """The same three methods on whole photos {name: (H, W, 3) uint8}, each shrunk by ``factor`` and
    brought back (the baseline with the colorizer's own photo path, :meth:`Colorizer.colorize_image`).
    Returns {method: scores averaged over the photos}."""
    from PIL import Image

    factor = factor or model.scale
    colorizer = colorizer or load_colorizer(default_checkpoint(DEFAULT_AUTOMATIC))
    per_method: dict[str, list[dict[str, float]]] = {name: [] for name in METHODS}
    for rgb in photos.values():
        truth, small = shrink_gray(rgb, factor)
        size = (truth.shape[1], truth.shape[0])
        big_gray = np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BICUBIC))
        outputs = {"bicubic gray": big_gray, "bicubic + colorizer": colorizer.colorize_image(big_gray),
                   "model": model.upscale_image(small, factor)}
        target = torch.from_numpy(truth).permute(2, 0, 1)[None].float() / 255
        for name, out in outputs.items():
            pred = torch.from_numpy(np.array(out)).permute(2, 0, 1)[None].float() / 255
            per_method[name].append(score_images(pred, target))
    return {name: {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}
            for name, scores in per_method.items()}
