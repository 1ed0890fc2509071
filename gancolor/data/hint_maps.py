"""Hint maps, the extra input of the hint-conditioned colorizer (Zhang et al. 2017, "Real-Time User-Guided
Image Colorization with Learned Deep Priors", Sec. 3.1), and their simulation for training.

The network sees, besides the lightness L_n, a sparse *hint map*: the ab colour a user asked for at
a few points (zero elsewhere) and a binary mask saying where hints are. Zhang et al. concatenate
both to L, so a 1-channel colorizer becomes a 4-channel one (:func:`generator_input`)::

    input  = cat(L_n (N, 1, H, W), hint_ab_n (N, 2, H, W), mask (N, 1, H, W))    -> (N, 4, H, W)
    output = ab_n (N, 2, H, W)

Training needs no users: hints are *simulated* from the ground truth (:func:`sample_hints`). Each
image gets a random number of hints, geometric as in the paper, P(k) = p_none (1 - p_none)^k,
so a share ``p_none`` of the images has none and the model still learns to colorize on its own.
Each hint is a small square patch filled with the *mean* ground-truth ab over the patch (a user
gives one colour for a region, not a texture of colours).

A user's clicks become the same kind of map at inference (:mod:`gancolor.infer.user_hints`); both
paint their squares with :func:`paint_patches`.
"""

from __future__ import annotations

import torch

__all__ = ["HINT_CHANNELS", "generator_input", "paint_patches", "sample_hints"]

#: Input channels of a hint colorizer: L_n, hint a_n, hint b_n, mask.
HINT_CHANNELS = 4


# ---------------------------------------------------------------------------------------------
# Network input


def generator_input(L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                    mask: torch.Tensor | None = None) -> torch.Tensor:
    """The hint colorizer's input: cat(L_n, hint_ab, mask) along channels (Zhang et al. 2017, Sec. 3.1).

    Inputs: ``L_n`` (N, 1, H, W) in [-1, 1]; ``hint_ab`` (N, 2, H, W) ab_n in [-1, 1], zero outside
    hints; ``mask`` (N, 1, H, W) in {0, 1}. Both None = no hints (zeros).
    Returns: (N, 4, H, W) on L_n's device and dtype.
    """
    if (hint_ab is None) != (mask is None):
        raise ValueError("give both hint_ab and mask, or neither")
    n, _, height, width = L_n.shape
    if hint_ab is None:
        return torch.cat([L_n, L_n.new_zeros(n, 3, height, width)], dim=1)
    if hint_ab.shape != (n, 2, height, width) or mask.shape != (n, 1, height, width):
        raise ValueError(f"hint maps must be (N, 2, H, W) and (N, 1, H, W) like L_n {tuple(L_n.shape)}; "
                         f"got {tuple(hint_ab.shape)} and {tuple(mask.shape)}")
    return torch.cat([L_n, hint_ab.to(L_n), mask.to(L_n)], dim=1)


# ---------------------------------------------------------------------------------------------
# Painting square patches (shared by the sampler and the user hints)


def paint_patches(colors: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, sizes: torch.Tensor,
                  active: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Paint K square patches per image into hint maps; a later patch covers an earlier one.

    Inputs: ``colors`` (N, K, 2) ab_n; ``tops``, ``lefts``, ``sizes`` (N, K) long, the patch's
    top-left pixel and side (patches may stick out of the image: they are clipped); ``active``
    (N, K) bool, which of the K slots hold a hint.
    Returns: ``hint_ab`` (N, 2, H, W), ``colors`` inside patches and 0 elsewhere, and ``mask``
    (N, 1, H, W) in {0, 1}, on ``colors``' device and dtype.

    Each active patch is one slice assignment of its clipped square: the cost is O(number of
    patches x patch area) on top of allocating the maps, whatever the image size.
    """
    n, _ = active.shape
    hint_ab = colors.new_zeros(n, 2, height, width)
    mask = colors.new_zeros(n, 1, height, width)
    boxes = torch.stack([tops.cpu(), lefts.cpu(), sizes.cpu()], dim=-1)  # (N, K, 3)
    for i, j in active.cpu().nonzero().tolist():  # row-major: per image, slots in order
        top, left, size = boxes[i, j].tolist()
        r0, r1 = max(top, 0), min(top + size, height)
        c0, c1 = max(left, 0), min(left + size, width)
        if r0 < r1 and c0 < c1:
            hint_ab[i, :, r0:r1, c0:c1] = colors[i, j, :, None, None]
            mask[i, :, r0:r1, c0:c1] = 1
    return hint_ab, mask


# ---------------------------------------------------------------------------------------------
# Simulated hints for training and evaluation


def _patch_means(ab_n: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, sizes: torch.Tensor
                 ) -> torch.Tensor:
    """Mean of ``ab_n`` (N, 2, H, W) over K square patches per image (inside the image): (N, K, 2).

    Uses an integral image, so every patch costs four look-ups whatever its size.
    """
    n, c, height, width = ab_n.shape
    integral = ab_n.double().cumsum(2).cumsum(3)
    integral = torch.nn.functional.pad(integral, (1, 0, 1, 0)).flatten(2)  # (N, 2, (H+1)(W+1))

    def at(r: torch.Tensor, q: torch.Tensor) -> torch.Tensor:  # (N, K) corners -> (N, K, 2)
        index = (r * (width + 1) + q).to(ab_n.device)
        return torch.gather(integral, 2, index[:, None, :].expand(n, c, -1)).transpose(1, 2)

    bottoms, rights = tops + sizes, lefts + sizes
    sums = at(bottoms, rights) - at(tops, rights) - at(bottoms, lefts) + at(tops, lefts)
    return (sums / (sizes.to(ab_n.device) ** 2)[..., None]).to(ab_n.dtype)


def sample_hints(ab_n: torch.Tensor, generator: torch.Generator, max_hints: int = 32,
                 min_size: int = 1, max_size: int = 5, p_none: float = 0.125,
                 num_hints: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Simulate user hints from ground-truth colours (Zhang et al. 2017, Sec. 3.1).

    Per image, the number of hints k is geometric, P(k) = p_none (1 - p_none)^k (the paper's
    p = 1/8), cut at ``max_hints``: a share ``p_none`` of the images gets none, so the model also
    learns automatic colorization, and the mean is (1 - p_none) / p_none = 7 hints. Each hint is a
    square of side uniform in [min_size, max_size] px (the paper: 1-9 px at 256 px), placed
    uniformly inside the image (the paper draws centre-weighted Gaussian positions; users click
    anywhere) and filled with the mean ground-truth ab over the square.

    Inputs: ``ab_n`` (N, 2, H, W) in [-1, 1], the ground truth; ``generator`` a CPU
    ``torch.Generator``: the same generator state gives the same hints. ``num_hints``: exactly this
    many hints per image instead of the geometric draw (evaluation).
    Returns: ``hint_ab`` (N, 2, H, W), the patch means inside hint patches and 0 elsewhere, and
    ``mask`` (N, 1, H, W) in {0, 1}, 1 inside hint patches; on ab_n's device.
    """
    n, _, height, width = ab_n.shape
    if not 1 <= min_size <= max_size <= min(height, width):
        raise ValueError(f"need 1 <= min_size <= max_size <= image side; got {min_size}, {max_size} "
                         f"for {height}x{width}")
    if not 0.0 < p_none <= 1.0:
        raise ValueError(f"p_none must be in (0, 1]; got {p_none}")
    k = max_hints if num_hints is None else num_hints
    if k < 0:
        raise ValueError(f"the number of hints must be non-negative; got {k}")
    # Every random number is drawn in a fixed shape, whatever the counts: the draws of one
    # call never depend on the values of another, which keeps the stream easy to reason about.
    keep = torch.rand(n, k, generator=generator)
    sizes = torch.randint(min_size, max_size + 1, (n, k), generator=generator)
    tops = (torch.rand(n, k, generator=generator) * (height - sizes + 1)).long()
    lefts = (torch.rand(n, k, generator=generator) * (width - sizes + 1)).long()
    if num_hints is None:
        # k = the number of "continue" draws (probability 1 - p_none) before the first "stop".
        counts = (keep < 1.0 - p_none).long().cumprod(dim=1).sum(dim=1)  # (N,) in [0, max_hints]
    else:
        counts = torch.full((n,), k, dtype=torch.long)
    active = torch.arange(k)[None, :] < counts[:, None]  # (N, K)
    colors = _patch_means(ab_n, tops, lefts, sizes)
    return paint_patches(colors, tops, lefts, sizes, active, height, width)
