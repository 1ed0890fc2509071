"""Colour propagation from sparse hints: Levin, Lischinski & Weiss 2004, "Colorization using Optimization".

The classic method that a learned hint colorizer has to beat, with no learning at all. Its one
assumption: *neighbouring pixels with similar lightness should have similar colour*. For every
pixel r without a hint, its chrominance U(r) must be the weighted mean of its 3 x 3 neighbours s::

    J(U) = sum_r ( U(r) - sum_{s in N(r)} w_rs U(s) )^2 ,        sum_s w_rs = 1            (Eq. 1)
    w_rs ∝ exp( -(Y(r) - Y(s))^2 / (2 sigma_r^2) )                                       (Eq. 2)

where Y is the lightness and sigma_r^2 the variance of Y in the window around r: the weight is
large between pixels of similar lightness and small across an edge, so colour spreads inside
regions and stops at their borders. Hint pixels keep their colour exactly (hard constraints).
J is quadratic, so its minimum solves one sparse linear system, the same matrix for a and b::

    row r without hint:  U(r) - sum_s w_rs U(s) = 0
    row r with hint:     U(r)                   = hint(r)

Solved here with SciPy's sparse LU (factorised once, two right-hand sides). Without any hint the
system has no anchor: the result is ab = 0 (the gray photo).

A learned hint colorizer can start from this classic answer instead of from nothing
(:func:`hint_prior`, ``gancolor train colorize --hints --hint-prior levin``): it sees the
propagated colours as two more input channels and learns only what to add to them
(``UNetGenerator(output="residual")``). The prior is solved at a fraction of the working size
(``scale``, default 1/2: a quarter of the pixels, about 5x faster) and upsampled; the network sees
the full-resolution lightness and corrects the edges.

Shapes: lightness ``L`` (H, W) in [0, 100]; hint maps ``hint_ab`` (2, H, W) in any unit (the
result is in the same unit) and ``mask`` (1, H, W) or (H, W) in {0, 1}. Batched torch wrappers:
:func:`propagate_hints`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch
import torch.nn.functional as F

from gancolor.color import denormalize_lightness
from gancolor.data.hint_maps import generator_input

__all__ = ["levin_weights", "levin_affinity", "levin_propagate", "propagate_hints", "hint_prior",
           "prior_generator_input", "PRIOR_SCALE"]

#: Default size of the propagation behind a hint model's prior, as a fraction of the working size.
PRIOR_SCALE = 0.5

# Levin et al.'s reference code: sigma^2 = 0.6 x the window variance, but never so small that the
# most similar neighbour gets a weight below 0.01, and never below 2e-6 (Y in [0, 1]).
_VARIANCE_FACTOR = 0.6
_MIN_NEIGHBOUR_WEIGHT = 0.01
_MIN_VARIANCE = 2e-6
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]


def levin_weights(L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
    """The affinity w_rs of each pixel to its 8 neighbours (Eq. 2), normalised to sum to 1.

    Inputs: ``L`` (H, W) lightness in [0, 100]. Returns: ``weights`` (8, H, W) float64 (0 for a
    neighbour outside the image; each pixel's weights sum to 1) and ``valid`` (8, H, W) bool, in
    the order of ``_OFFSETS`` (dy, dx).
    """
    Y = np.asarray(L, dtype=np.float64) / 100.0  # noqa: N806
    height, width = Y.shape
    padded = np.pad(Y, 1, mode="edge")
    inside = np.pad(np.ones_like(Y, dtype=bool), 1, constant_values=False)
    neighbours = np.stack([padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width] for dy, dx in _OFFSETS])
    valid = np.stack([inside[1 + dy:1 + dy + height, 1 + dx:1 + dx + width] for dy, dx in _OFFSETS])
    # Variance of Y over the window (the pixel and its neighbours inside the image).
    count = valid.sum(0) + 1.0
    mean = (np.where(valid, neighbours, 0).sum(0) + Y) / count
    variance = (np.where(valid, (neighbours - mean) ** 2, 0).sum(0) + (Y - mean) ** 2) / count
    squared = np.where(valid, (neighbours - Y) ** 2, np.inf)  # (8, H, W)
    sigma2 = np.maximum(_VARIANCE_FACTOR * variance, -squared.min(0) / np.log(_MIN_NEIGHBOUR_WEIGHT))
    sigma2 = np.maximum(sigma2, _MIN_VARIANCE)
    weights = np.where(valid, np.exp(-np.where(valid, squared, 0) / sigma2), 0.0)
    weights /= weights.sum(0, keepdims=True)
    return weights, valid


def levin_affinity(L: np.ndarray) -> scipy.sparse.csr_matrix:  # noqa: N803
    """The affinities of Eq. 2 as a sparse matrix W (n, n), n = H x W pixels in row-major order: row r
    holds w_rs at r's neighbours s (:func:`levin_weights`) and sums to 1.

    Inputs: ``L`` (H, W) lightness in [0, 100]. ``I - W`` is the operator of Eq. 1.
    """
    height, width = np.shape(L)
    weights, valid = levin_weights(L)
    index = np.arange(height * width).reshape(height, width)
    rows, cols, values = [], [], []
    for k, (dy, dx) in enumerate(_OFFSETS):
        rows.append(index[valid[k]])
        cols.append(index[valid[k]] + dy * width + dx)
        values.append(weights[k][valid[k]])
    n = height * width
    return scipy.sparse.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(n, n))


def levin_propagate(L: np.ndarray, hint_ab: np.ndarray, mask: np.ndarray) -> np.ndarray:  # noqa: N803
    """Spread hint colours over the image (Levin et al. 2004): one sparse solve for both channels.

    Inputs: ``L`` (H, W) in [0, 100]; ``hint_ab`` (2, H, W), the hint colour where ``mask`` is 1
    (any unit); ``mask`` (H, W) or (1, H, W), 1 at hint pixels. Returns: ab (2, H, W) float64 in
    the unit of ``hint_ab``; equal to ``hint_ab`` at hint pixels; zeros when there is no hint.
    """
    L = np.asarray(L, dtype=np.float64)  # noqa: N806
    height, width = L.shape
    hints = np.asarray(hint_ab, dtype=np.float64).reshape(2, height, width)
    fixed = np.asarray(mask).reshape(height, width) > 0.5
    if not fixed.any():
        return np.zeros((2, height, width))
    n = height * width
    free = scipy.sparse.diags((~fixed).ravel().astype(np.float64))
    # Rows without a hint: U(r) - sum_s w_rs U(s) = 0; rows with one: U(r) = hint(r).
    matrix = (scipy.sparse.identity(n, format="csc") - free @ levin_affinity(L)).tocsc()
    rhs = np.where(fixed[None], hints, 0.0).reshape(2, n).T  # (n, 2)
    solution = scipy.sparse.linalg.splu(matrix).solve(np.ascontiguousarray(rhs))
    return solution.T.reshape(2, height, width)


def propagate_hints(L: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """:func:`levin_propagate` over a batch of torch tensors.

    Inputs: ``L`` (N, 1, H, W) in [0, 100] (or L_n in [-1, 1]: only relative lightness matters up to
    the scale, so pass Lab units for Levin's constants to hold); ``hint_ab`` (N, 2, H, W);
    ``mask`` (N, 1, H, W) in {0, 1}. Returns: ab (N, 2, H, W) in ``hint_ab``'s unit, dtype and device.
    """
    out = [torch.from_numpy(levin_propagate(L[i, 0].detach().double().cpu().numpy(),
                                            hint_ab[i].detach().double().cpu().numpy(),
                                            mask[i].detach().cpu().numpy()))
           for i in range(len(L))]
    if not out:
        return hint_ab.new_zeros(hint_ab.shape)
    return torch.stack(out).to(hint_ab)


def hint_prior(L_n: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor,  # noqa: N803
               scale: float = PRIOR_SCALE) -> torch.Tensor:
    """The hints spread by Levin et al. 2004 at ``scale`` x the size, upsampled back: a hint model's prior.

    Inputs: ``L_n`` (N, 1, H, W) in [-1, 1]; ``hint_ab`` (N, 2, H, W) ab_n, zero outside hints;
    ``mask`` (N, 1, H, W) in {0, 1}. The small maps are area averages (a small pixel is a hint if any
    of its pixels is, with the mean colour of its hint pixels).
    Returns: prior ab_n (N, 2, H, W), zeros for an image without hints; on hint_ab's device and dtype.
    """
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1]; got {scale}")
    height, width = L_n.shape[-2:]
    small = (max(1, round(height * scale)), max(1, round(width * scale)))
    L_small, mask = F.interpolate(L_n.float(), small, mode="area"), mask.float()  # noqa: N806
    coverage = F.interpolate(mask, small, mode="area")
    ab_small = F.interpolate(hint_ab.float() * mask, small, mode="area") / coverage.clamp(min=1e-12)
    prior = propagate_hints(denormalize_lightness(L_small), ab_small, (coverage > 0).float())
    if small != (height, width):
        prior = F.interpolate(prior, (height, width), mode="bilinear", align_corners=False)
    return prior.to(hint_ab)


def prior_generator_input(L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                          mask: torch.Tensor | None = None, scale: float = PRIOR_SCALE) -> torch.Tensor:
    """Input of a hint colorizer with a Levin prior: cat(L_n, hint ab_n, mask, prior ab_n) (N, 6, H, W).

    Shapes as for :func:`gancolor.data.hint_maps.generator_input` (None, None = no hints: the prior is zero).
    """
    x = generator_input(L_n, hint_ab, mask)
    if hint_ab is None:
        return torch.cat([x, L_n.new_zeros(len(L_n), 2, *L_n.shape[-2:])], dim=1)
    return torch.cat([x, hint_prior(L_n, hint_ab, mask, scale).to(x)], dim=1)
