"""Colourfulness of an image (Hasler & Süsstrunk 2003, "Measuring colourfulness in natural images").

A no-reference metric: it needs no ground truth, so it tells a sepia-averaging colorizer
(low) from one that dares vivid colours (high). On the 0-255 scale, with opponent channels

    rg = R - G,    yb = ½(R + G) - B,
    M  = sqrt(σ_rg² + σ_yb²) + 0.3 · sqrt(μ_rg² + μ_yb²),

where μ and σ are the mean and the (population) standard deviation over the pixels. The paper
maps M to words: about 0 "not colourful", 15 "slightly", 33 "moderately", 45 "averagely",
59 "quite", 82 "highly", 109 "extremely colourful".
"""

from __future__ import annotations

import torch

from gancolor.metrics.image_quality import to_unit_float

__all__ = ["colorfulness"]


def _masked_moments(
    x: torch.Tensor, weights: torch.Tensor, count: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and population variance of ``x`` (N, H, W) over the pixels where ``weights`` is 1.

    ``count`` (N,) is the number of such pixels; a zero count gives NaN (0 / 0).
    """
    mean = (weights * x).sum(dim=(1, 2)) / count
    variance = (weights * (x - mean[:, None, None]) ** 2).sum(dim=(1, 2)) / count
    return mean, variance


def colorfulness(rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Hasler-Süsstrunk colourfulness M of each image.

    Inputs: ``rgb`` (N, 3, H, W), float in [0, 1] or uint8 in [0, 255]; ``mask`` optional
    (N, H, W) bool, restricting the statistics to the masked pixels (e.g. the objects whose
    colour is ambiguous).
    Returns: float64 (N,) on ``rgb``'s device, >= 0 (0 for any gray image). An image whose
    mask is empty has no pixels to measure and gives NaN.
    """
    rgb_255 = to_unit_float(rgb, "rgb", dtype=torch.float64) * 255.0
    red, green, blue = rgb_255.unbind(dim=1)  # each (N, H, W)
    rg = red - green  # rg = R - G
    yb = 0.5 * (red + green) - blue  # yb = ½(R + G) - B

    if mask is None:
        weights = torch.ones_like(rg)
    else:
        if mask.dtype != torch.bool or mask.shape != rg.shape:
            raise ValueError(
                f"mask must be a bool tensor of shape {tuple(rg.shape)} (N, H, W); "
                f"got {mask.dtype} {tuple(mask.shape)}"
            )
        weights = mask.to(device=rg.device, dtype=torch.float64)
    count = weights.sum(dim=(1, 2))

    mean_rg, var_rg = _masked_moments(rg, weights, count)
    mean_yb, var_yb = _masked_moments(yb, weights, count)
    # M = sqrt(σ_rg² + σ_yb²) + 0.3 sqrt(μ_rg² + μ_yb²)
    return torch.sqrt(var_rg + var_yb) + 0.3 * torch.sqrt(mean_rg**2 + mean_yb**2)
