"""Turn stored uint8 RGB images into what colorization networks see: normalised Lab."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from gancolor.color import rgb_to_lab_normalized, uint8_to_unit

__all__ = ["lab_batch", "LabPairs"]


def lab_batch(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 RGB ``images`` (B, 3, H, W) -> (``L_n`` (B, 1, H, W), ``ab_n`` (B, 2, H, W)), float32.

    ``L_n = L / 50 - 1`` lies in [-1, 1] and ``ab_n = ab / 110`` in about [-1, 1]
    (see :mod:`gancolor.color`). Works on any device; the result is on ``images``' device.
    """
    _check_uint8_images(images, "images")
    return rgb_to_lab_normalized(uint8_to_unit(images))


class LabPairs(Dataset):
    """Dataset of (``L_n`` (1, H, W), ``ab_n`` (2, H, W)) float32 pairs from uint8 ``images`` (N, 3, H, W).

    The conversion happens per item, so only the uint8 images are kept in memory. A training
    loop that wants speed can instead index ``.images`` in batches and call :func:`lab_batch`.
    """

    def __init__(self, images: torch.Tensor) -> None:
        _check_uint8_images(images, "images")
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        L_n, ab_n = lab_batch(self.images[index].unsqueeze(0))  # noqa: N806
        return L_n[0], ab_n[0]


def _check_uint8_images(images: torch.Tensor, name: str) -> None:
    if (
        not isinstance(images, torch.Tensor)
        or images.dtype != torch.uint8
        or images.dim() != 4
        or images.shape[1] != 3
    ):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        dtype = getattr(images, "dtype", None)
        raise ValueError(f"{name} must be a uint8 tensor of shape (N, 3, H, W); got {shape} {dtype}")
