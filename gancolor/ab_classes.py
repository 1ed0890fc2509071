"""Colour as classification: Zhang, Isola & Efros 2016, "Colorful Image Colorization".

Why an L1 (or L2) colorizer paints sepia: for an object that may be red or blue, the loss is
smallest at the *average* of the plausible colours, a grayish brown. Zhang et al. predict instead a
probability distribution Ẑ over Q quantised ab colours at every pixel and train it with a
cross-entropy, which keeps every mode of the distribution:

    L_cl(Ẑ, Z) = - sum_{h,w} v(Z_hw) sum_q Z_hwq log Ẑ_hwq                              (Eq. 2)

- **bins** (:func:`gamut_bins`): the ab plane cut into 10 x 10 cells; the Q cells that hold an sRGB
  colour (261 here; 313 in the paper, whose gamut test is looser);
- **soft encoding** (:func:`soft_encode`): the target Z puts weight on the 5 nearest bins of the
  true ab, Gaussian in their distance (sigma = 5);
- **class rebalancing** (:func:`rebalancing_weights`): natural images are mostly desaturated, so each
  pixel's loss is weighted by v = w_{q*}, q* its nearest bin, w ∝ ((1 - λ) p̃ + λ / Q)^-1 with p̃ the
  training set's (smoothed) bin frequencies and λ = 1/2, normalised so that E_p̃[w] = 1 (Eq. 3-4):
  rare, saturated colours count more;
- **annealed-mean decoding** (:func:`annealed_mean`): the colour shown is the mean of the
  re-sharpened distribution f_T(Ẑ) ∝ exp(log Ẑ / T) (Eq. 5). T = 1 is the plain mean (safe, as
  dull as L2), T -> 0 the mode (vivid, but patchy where two colours compete); the paper uses
  T = 0.38. Temperature is the knob between safe and vivid.

Shapes: ``ab`` in Lab units (N, 2, H, W); ``logits`` (N, Q, H, W); bins (Q, 2) in Lab units.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from gancolor.color import denormalize_ab, normalize_ab, rgb_to_lab

__all__ = ["GRID", "NEIGHBOURS", "SIGMA", "PAPER_TEMPERATURE", "gamut_bins", "nearest_bins", "soft_encode",
           "bin_frequencies", "rebalancing_weights", "classification_loss", "annealed_mean"]

#: Side of a bin in the ab plane (Lab units).
GRID = 10.0
#: Soft encoding: this many nearest bins, Gaussian weights of this sigma (Lab units).
NEIGHBOURS = 5
SIGMA = 5.0
#: The temperature of the paper's figures.
PAPER_TEMPERATURE = 0.38
_AB_LIMIT = 110  # the ab plane is searched over [-110, 110]^2 at 1-unit steps


@functools.cache
def gamut_bins(grid: float = GRID) -> torch.Tensor:
    """Centres (Q, 2) float32, Lab units, of the ``grid`` x ``grid`` ab cells that hold an sRGB colour.

    Found by converting the sRGB cube (every 4th level of each channel, and 255) to Lab and keeping
    the cell of each colour: Q = 261 for grid 10 (the paper's gamut test gives 313). Sorted by a, b.
    """
    levels = torch.cat([torch.arange(0, 256, 4, dtype=torch.float64), torch.tensor([255.0])]) / 255.0
    r, g, b = torch.meshgrid(levels, levels, levels, indexing="ij")
    lab = rgb_to_lab(torch.stack([r, g, b]).reshape(3, -1, 1))[1:, :, 0].T  # (P, 2)
    return torch.unique(torch.round(lab / grid) * grid, dim=0).float()


@functools.cache
def _lookup(grid: float, neighbours: int, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """For every integer (a, b) in [-110, 110]^2: its ``neighbours`` nearest bins (index) and
    their normalised Gaussian weights: (221, 221, K) long and float32."""
    bins = gamut_bins(grid).double()
    values = torch.arange(-_AB_LIMIT, _AB_LIMIT + 1, dtype=torch.float64)
    points = torch.stack(torch.meshgrid(values, values, indexing="ij"), dim=-1).reshape(-1, 2)
    distance, index = torch.cdist(points, bins).topk(neighbours, dim=1, largest=False)
    weight = torch.softmax(-distance**2 / (2 * sigma**2), dim=1)
    side = len(values)
    return index.reshape(side, side, neighbours), weight.reshape(side, side, neighbours).float()


def _grid_position(ab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """ab (N, 2, H, W), Lab units -> the integer look-up coordinates (N, H, W) of a and of b."""
    position = torch.round(ab).clamp(-_AB_LIMIT, _AB_LIMIT).long() + _AB_LIMIT
    return position[:, 0], position[:, 1]


def soft_encode(ab: torch.Tensor, grid: float = GRID, neighbours: int = NEIGHBOURS,
                sigma: float = SIGMA) -> tuple[torch.Tensor, torch.Tensor]:
    """The soft target Z of true colours ``ab`` (N, 2, H, W), Lab units (rounded to 1 unit).

    Returns: ``index`` (N, K, H, W) long, the K nearest bins, and ``weight`` (N, K, H, W), their
    Gaussian weights summing to 1 (Z is zero on every other bin).
    """
    index, weight = _lookup(grid, neighbours, sigma)
    a, b = _grid_position(ab.detach().cpu())
    return (index[a, b].permute(0, 3, 1, 2).to(ab.device),
            weight[a, b].permute(0, 3, 1, 2).to(device=ab.device, dtype=ab.dtype))


def nearest_bins(ab: torch.Tensor, grid: float = GRID) -> torch.Tensor:
    """Index (N, H, W) of the nearest bin of each colour in ``ab`` (N, 2, H, W), Lab units."""
    index, _ = _lookup(grid, NEIGHBOURS, SIGMA)
    a, b = _grid_position(ab.detach().cpu())
    return index[a, b, 0].to(ab.device)


def bin_frequencies(ab: torch.Tensor, grid: float = GRID, sigma: float = SIGMA) -> torch.Tensor:
    """p̃: how often each bin is the nearest one over the pixels of ``ab`` (N, 2, H, W), Lab units,
    smoothed by a Gaussian of ``sigma`` over the ab plane. Returns (Q,) float64 summing to 1."""
    bins = gamut_bins(grid).double()
    counts = torch.bincount(nearest_bins(ab, grid).flatten().cpu(), minlength=len(bins)).double()
    kernel = torch.exp(-torch.cdist(bins, bins) ** 2 / (2 * sigma**2))
    smoothed = kernel @ (counts / counts.sum().clamp(min=1))
    return smoothed / smoothed.sum()


def rebalancing_weights(frequencies: torch.Tensor, lam: float = 0.5) -> torch.Tensor:
    """Class weights w (Q,) ∝ ((1 - λ) p̃ + λ / Q)^-1, scaled so that sum_q p̃_q w_q = 1 (Eq. 4).

    λ = 0 weights every class by its rarity (vivid, noisy), λ = 1 leaves the loss unweighted."""
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lambda must be in [0, 1]; got {lam}")
    p = frequencies.double()
    weights = 1.0 / ((1.0 - lam) * p + lam / len(p))
    return (weights / (p * weights).sum()).float()


def classification_loss(logits: torch.Tensor, ab_n: torch.Tensor, weights: torch.Tensor | None = None,
                        grid: float = GRID) -> torch.Tensor:
    """Zhang et al.'s rebalanced multinomial cross-entropy (Eq. 2), averaged over pixels.

    Inputs: ``logits`` (N, Q, H, W); ``ab_n`` (N, 2, H, W) the true colours, ab / 110;
    ``weights`` (Q,) from :func:`rebalancing_weights` (None = unweighted).
    """
    ab = denormalize_ab(ab_n.detach())
    index, target = soft_encode(ab, grid)
    log_p = torch.gather(F.log_softmax(logits.float(), dim=1), 1, index)  # (N, K, H, W)
    cross_entropy = -(target.float() * log_p).sum(dim=1)  # (N, H, W)
    if weights is not None:
        cross_entropy = cross_entropy * weights.to(logits.device)[index[:, 0]]
    return cross_entropy.mean()


def annealed_mean(logits: torch.Tensor, temperature: float = PAPER_TEMPERATURE,
                  bins: torch.Tensor | None = None) -> torch.Tensor:
    """Decode a predicted distribution into one colour per pixel (Eq. 5): the mean of f_T(Ẑ).

    Inputs: ``logits`` (N, Q, H, W); ``temperature`` T > 0 (1: the mean; towards 0: the mode);
    ``bins`` (Q, 2) the bin centres in Lab units (default :func:`gamut_bins`).
    Returns: ab_n (N, 2, H, W) = ab / 110.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    probabilities = torch.softmax(logits.float() / temperature, dim=1)  # f_T: exp(log Ẑ / T), renormalised
    bins = gamut_bins() if bins is None else bins
    bins = normalize_ab(bins.to(device=logits.device, dtype=torch.float32))
    return torch.einsum("nqhw,qc->nchw", probabilities, bins)
