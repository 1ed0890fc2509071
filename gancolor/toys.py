"""Toy problems for studying GANs without images: 1-D Gaussians, a ring of 2-D Gaussians, tiny MLPs.

Notebook 01 uses them to show the GAN objective at work where everything can be plotted:

- :func:`ring_centers`, :func:`sample_ring`: the "ring of 8 Gaussians" of Metz et al. 2017
  (Unrolled GANs), the standard test for mode collapse;
- :func:`mode_coverage`: how many of the ring's modes a generator's samples reach, and how
  many samples land near a mode at all (the measure of Srivastava et al. 2017, VEEGAN);
- :func:`mlp`: the small fully connected generator and discriminator of those papers;
- :func:`optimal_discriminator`: D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow 2014,
  Prop. 1), the reference for exercise 1.3;
- :func:`normal_pdf`, :func:`normal_log_pdf`: a 1-D Gaussian density (and its log) on a grid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

__all__ = [
    "ring_centers",
    "sample_ring",
    "ModeCoverage",
    "mode_coverage",
    "mlp",
    "optimal_discriminator",
    "normal_pdf",
    "normal_log_pdf",
]


def ring_centers(modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The means of the ring's Gaussians, evenly spaced on a circle: (modes, 2), float32."""
    if modes < 1:
        raise ValueError(f"modes must be at least 1; got {modes}")
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def sample_ring(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` samples of an equal mixture of ``modes`` Gaussians N(center, std² I) on a ring.

    Returns: (n, 2) float32 on the CPU. ``generator`` (a CPU ``torch.Generator``) makes the
    draw repeatable.
    """
    centers = ring_centers(modes, radius)
    which = torch.randint(modes, (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator)
    return centers[which] + std * noise


class ModeCoverage(NamedTuple):
    """What :func:`mode_coverage` measures.

    ``counts``: (modes,) int64, how many samples fall within the radius of each mode;
    ``covered``: the number of modes with at least ``min_count`` samples;
    ``high_quality``: the fraction of all samples that fall near some mode, in [0, 1];
    ``covered_mask``: (modes,) bool, which modes are covered.
    """

    counts: torch.Tensor
    covered: int
    high_quality: float
    covered_mask: torch.Tensor


def mode_coverage(samples: torch.Tensor, modes: int = 8, radius: float = 2.0, std: float = 0.02,
                  sigmas: float = 3.0, min_count: int | None = None) -> ModeCoverage:
    """How many modes of the ring the ``samples`` (N, 2) reach (Srivastava et al. 2017).

    A sample belongs to the nearest mode if it lies within ``sigmas * std`` of its center
    (else it is a low-quality sample, between modes). A mode is *covered* if it gets at
    least ``min_count`` samples, by default 2 % of what a perfect generator would give it,
    ``N / modes * 0.02`` (and at least 1). A perfect sampler covers every mode and has
    ``high_quality`` ≈ 0.99 for 3 sigmas in 2-D.
    """
    if samples.dim() != 2 or samples.shape[1] != 2:
        raise ValueError(f"samples must have shape (N, 2); got {tuple(samples.shape)}")
    centers = ring_centers(modes, radius).to(samples.device, torch.float64)
    distances = torch.cdist(samples.detach().to(torch.float64), centers)  # (N, modes)
    nearest, index = distances.min(dim=1)
    near = nearest <= sigmas * std
    counts = torch.bincount(index[near], minlength=modes).cpu()
    if min_count is None:
        min_count = max(1, math.ceil(0.02 * len(samples) / modes))
    covered_mask = counts >= min_count
    high_quality = float(near.double().mean()) if len(samples) else 0.0
    return ModeCoverage(counts, int(covered_mask.sum()), high_quality, covered_mask)


def mlp(in_features: int, out_features: int, hidden: int = 128, layers: int = 3) -> nn.Sequential:
    """A fully connected net: ``layers`` Linear layers, ReLU between them, none at the end.

    ``in -> hidden -> ... -> hidden -> out``. Serves as a toy generator (noise (N, in) to points
    (N, out)) and as a toy discriminator (points (N, in) to logits (N, 1)).
    """
    if layers < 1:
        raise ValueError(f"layers must be at least 1; got {layers}")
    sizes = [in_features] + [hidden] * (layers - 1) + [out_features]
    modules: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        modules.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            modules.append(nn.ReLU())
    return nn.Sequential(*modules)


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """The best discriminator for a fixed generator: D*(x) = p_data(x) / (p_data(x) + p_g(x)).

    Goodfellow et al. 2014, Proposition 1. Inputs: the two densities at the same points, any
    (equal) shape, non-negative. Returns: the probability that x is real, same shape, in
    [0, 1]; where both densities are 0, D* is undefined and this returns 0.5.
    """
    total = p_data + p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, 1.0), 0.5)


def normal_pdf(x: torch.Tensor, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    """The density of N(mean, std²) at ``x`` (any shape), same shape and dtype."""
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def normal_log_pdf(x: torch.Tensor, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    """log N(x; mean, std²) at ``x`` (any shape), same shape and dtype.

    Finite far in the tails, where :func:`normal_pdf` underflows to 0: use it for log-ratios
    such as the logit of D*, log p_data(x) - log p_g(x).
    """
    return -0.5 * ((x - mean) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))
