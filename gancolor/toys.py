"""Toy problems for studying GANs without images: 1-D Gaussians, a ring of 2-D Gaussians, tiny MLPs.

Notebook 01 uses them to show the GAN objective at work where everything can be plotted:

- :func:`ring_centers`, :func:`sample_ring`: the "ring of 8 Gaussians" of Metz et al. 2017
  (Unrolled GANs), the standard test for mode collapse;
- :func:`mode_coverage`: how many of the ring's modes a generator's samples reach, and how
  many samples land near a mode at all (the measure of Srivastava et al. 2017, VEEGAN);
- :func:`mlp`: the small fully connected generator and discriminator of those papers;
- :func:`optimal_discriminator`: D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Goodfellow 2014,
  Prop. 1), the reference for exercise 1.3;
- :func:`normal_pdf`, :func:`normal_log_pdf`: a 1-D Gaussian density (and its log) on a grid;
- :func:`train_ring_gan`: a toy GAN trained on the ring with any loss of :mod:`gancolor.losses`
  (the engine of :class:`gancolor.widgets.GANPlayground`).
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
    "ToyGANRun",
    "train_ring_gan",
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


class ToyGANRun(NamedTuple):
    """What :func:`train_ring_gan` returns.

    ``real``: (samples, 2) ring samples; ``fake``: (samples, 2) G's samples for a fixed noise
    batch after training; ``history``: per G step, ``"loss_d"`` and ``"loss_g"`` (floats);
    ``coverage``: :func:`mode_coverage` of ``fake``.
    """

    real: torch.Tensor
    fake: torch.Tensor
    history: dict[str, list[float]]
    coverage: ModeCoverage


def train_ring_gan(kind: str = "nonsaturating", steps: int = 1000, lr: float = 2e-4, seed: int = 0,
                   batch: int = 128, hidden: int = 64, noise: int = 8, std: float = 0.05,
                   samples: int = 1000, gp_weight: float = 10.0,
                   callback=None, every: int = 100) -> ToyGANRun:
    """Train a toy GAN on the ring of 8 Gaussians with the GAN loss ``kind``, one of
    :data:`gancolor.losses.GAN_LOSSES`.

    G = ``mlp(noise, 2, hidden)`` and D = ``mlp(2, 1, hidden)``, both Adam(``lr``, betas (0.5, 0.999)),
    one D step then one G step per iteration; ``"wgan"`` adds the WGAN-GP penalty (weight
    ``gp_weight``) to the critic's loss. ``seed`` fixes the initial nets, the data and the noise:
    the same arguments give the same run. ``callback(step, G, z_fixed)`` (optional) is called every
    ``every`` steps, e.g. to draw G's samples while it trains. CPU, one thread is fastest.
    """
    from gancolor import losses

    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    G = mlp(noise, 2, hidden=hidden)  # z (N, noise) -> x (N, 2)
    D = mlp(2, 1, hidden=hidden)  # x (N, 2) -> logit (N, 1)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    z_fixed = torch.randn(samples, noise, generator=rng)
    history: dict[str, list[float]] = {"loss_d": [], "loss_g": []}
    for step in range(1, steps + 1):
        real = sample_ring(batch, std=std, generator=rng)
        fake = G(torch.randn(batch, noise, generator=rng))
        loss_d = losses.discriminator_loss(D(real), D(fake.detach()), kind)
        if kind == "wgan":
            loss_d = loss_d + gp_weight * losses.gradient_penalty(D, real, fake, generator=rng)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = losses.generator_loss(D(fake), kind)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        history["loss_d"].append(loss_d.item())
        history["loss_g"].append(loss_g.item())
        if callback is not None and step % every == 0:
            with torch.no_grad():
                callback(step, G, z_fixed)
    with torch.no_grad():
        fake = G(z_fixed)
    real = sample_ring(samples, std=std, generator=torch.Generator().manual_seed(seed + 1))
    return ToyGANRun(real, fake, history, mode_coverage(fake, std=std))
