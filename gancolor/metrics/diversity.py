"""Sample diversity: how different a generator's samples are from one another, next to real images.

    diversity = mean distance between two different samples / the same for real images

1 for samples as varied as the data, 0 for copies of one image. A mode-collapsed GAN paints nearly the
same picture for every z, so its diversity falls far below 1; blurry or oddly coloured samples that
still differ do not. Notebook 02 measures its runs with it (and exercise 2.5's check judges by it).
"""

from __future__ import annotations

import torch

__all__ = ["mean_pairwise_distance", "sample_diversity"]


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Mean Euclidean distance between two different images of ``images`` (N, C, H, W), N >= 2."""
    if images.dim() != 4 or len(images) < 2:
        raise ValueError(f"need (N, C, H, W) images with N >= 2; got {tuple(images.shape)}")
    flat = images.detach().flatten(1).double().cpu()
    n = len(flat)
    return float(torch.cdist(flat, flat).sum() / (n * (n - 1)))  # the diagonal adds 0


def sample_diversity(samples: torch.Tensor, real: torch.Tensor) -> float:
    """How varied ``samples`` are next to ``real`` images: the ratio of their mean pairwise distances.

    Inputs: (N, C, H, W) and (M, C, H, W) in the same value range (e.g. [-1, 1]), N, M >= 2.
    """
    return mean_pairwise_distance(samples) / mean_pairwise_distance(real)
