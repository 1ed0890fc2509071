"""Stylization baselines: what a trained stylizer (summer -> winter) has to beat, and by how much.

Each baseline maps source images (N, 3, H, W) uint8 to translations of the same shape and dtype,
so it is scored exactly like a stylizer (:func:`score_style_baselines`):

- identity: the input unchanged, the score of doing nothing;
- :class:`MeanImage`: the pixel-wise mean of the training *target* images, whatever the input: a
  constant image. Under an L2 loss it is the best prediction that ignores the input, and on
  scenes whose layout repeats (sky above, ground below) it is strong;
- :class:`ReinhardTransfer`: Reinhard, Ashikhmin, Gooch & Shirley 2001 ("Color Transfer between
  Images"): shift and scale each channel of the input so that its mean and standard deviation
  match those of the target domain. Reinhard et al. work in Ruderman's l-alpha-beta space; here in
  CIE Lab (:func:`gancolor.color.rgb_to_lab`), which serves the same purpose (decorrelated
  lightness and opponent colours). It keeps the input's layout and changes only its global colour
  statistics: a season's "global tint".

:func:`gain_over_best_baseline` reports a model as its PSNR above the best of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from gancolor.color import lab_to_rgb, rgb_to_lab, uint8_to_unit, unit_to_uint8
from gancolor.evaluation.scores import score_images

__all__ = ["MeanImage", "ReinhardTransfer", "style_baselines", "score_style_baselines",
           "gain_over_best_baseline"]


def _check_images(images: torch.Tensor, name: str = "images") -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4 \
            or images.shape[1] != 3 or len(images) == 0:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"{name} must be a non-empty uint8 tensor of shape (N, 3, H, W); got {shape}")


@dataclass(frozen=True)
class MeanImage:
    """The mean target image: ``image`` (3, H, W) float32 in [0, 255], returned for every input."""

    image: torch.Tensor

    @classmethod
    def fit(cls, targets: torch.Tensor, batch_size: int = 512) -> MeanImage:
        """The pixel-wise mean of ``targets`` (N, 3, H, W) uint8 (summed in float64)."""
        _check_images(targets, "targets")
        total = torch.zeros(targets.shape[1:], dtype=torch.float64)
        for start in range(0, len(targets), batch_size):
            total += targets[start:start + batch_size].double().sum(dim=0)
        return cls(image=(total / len(targets)).float())

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) uint8 -> (N, 3, H, W) uint8: the mean image, resized to H x W if it must be."""
        _check_images(images)
        mean = self.image[None]
        if mean.shape[-2:] != images.shape[-2:]:
            mean = torch.nn.functional.interpolate(mean, size=images.shape[-2:], mode="bilinear",
                                                   antialias=True, align_corners=False)
        return mean.round().clamp(0, 255).to(torch.uint8).expand(len(images), -1, -1, -1).clone()


@dataclass(frozen=True)
class ReinhardTransfer:
    """Match each image's Lab mean and standard deviation to the target domain's (Reinhard et al. 2001).

    ``mean``, ``std``: (3,) float64, the target domain's per-channel statistics over all its pixels
    (Lab units: L in [0, 100], a and b in about [-110, 110]).
    """

    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def fit(cls, targets: torch.Tensor, batch_size: int = 512) -> ReinhardTransfer:
        """Lab mean and standard deviation over every pixel of ``targets`` (N, 3, H, W) uint8."""
        _check_images(targets, "targets")
        total = torch.zeros(3, dtype=torch.float64)
        squares = torch.zeros(3, dtype=torch.float64)
        for start in range(0, len(targets), batch_size):
            lab = rgb_to_lab(uint8_to_unit(targets[start:start + batch_size])).double()
            total += lab.sum(dim=(0, 2, 3))
            squares += (lab * lab).sum(dim=(0, 2, 3))
        pixels = targets.shape[0] * targets.shape[2] * targets.shape[3]
        mean = total / pixels
        return cls(mean=mean, std=(squares / pixels - mean * mean).clamp(min=0).sqrt())

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) uint8 -> same: per image, per Lab channel, (x - mean_x) / std_x * std + mean."""
        _check_images(images)
        lab = rgb_to_lab(uint8_to_unit(images)).double()  # (N, 3, H, W)
        mean = lab.mean(dim=(2, 3), keepdim=True)
        std = lab.std(dim=(2, 3), correction=0, keepdim=True).clamp(min=1e-6)  # a flat channel stays flat
        matched = (lab - mean) / std * self.std.view(1, 3, 1, 1) + self.mean.view(1, 3, 1, 1)
        return unit_to_uint8(lab_to_rgb(matched.float()))


def style_baselines(train_targets: torch.Tensor) -> dict[str, object]:
    """The three baselines, fitted on the training target domain (N, 3, H, W) uint8:
    ``{"identity": ..., "mean target": MeanImage, "Reinhard": ReinhardTransfer}``, each a callable
    uint8 (N, 3, H, W) -> uint8 (N, 3, H, W)."""
    return {"identity": lambda images: images, "mean target": MeanImage.fit(train_targets),
            "Reinhard": ReinhardTransfer.fit(train_targets)}


def score_style_baselines(train_targets: torch.Tensor, source: torch.Tensor,
                          target: torch.Tensor) -> dict[str, dict[str, float]]:
    """PSNR and SSIM of each of :func:`style_baselines` translating ``source`` against the paired ``target``.

    Inputs: (N, 3, H, W) uint8 each; ``train_targets`` (M, 3, H', W') the *training* target domain
    (never the test targets). Returns ``{name: {"psnr", "ssim"}}``, rows for
    :func:`gancolor.evaluation.scores.format_table`.
    """
    results = {}
    for name, baseline in style_baselines(train_targets).items():
        scores = score_images(baseline(source), target)
        results[name] = {"psnr": scores["psnr"], "ssim": scores["ssim"]}
    return results


def gain_over_best_baseline(results: Mapping[str, Mapping[str, float]], model: str,
                            baselines: tuple[str, ...] = ("identity", "mean target", "Reinhard"),
                            metric: str = "psnr") -> tuple[float, str]:
    """``(results[model][metric] - best baseline's, name of that baseline)``; the best is the highest."""
    best = max(baselines, key=lambda name: results[name][metric])
    return results[model][metric] - results[best][metric], best
