"""A folder of the user's own images as a dataset, and the one way every folder of images is read.

:func:`read_image_folder` is the policy for all of them (a colorization folder, each domain of a
CycleGAN folder): every image file under the folder, sorted, resized and centre-cropped; a file that
cannot be read is skipped with one warning naming it and the reason, and only a folder of which no
image can be read is an error.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch
from PIL import Image
from tqdm.auto import tqdm

from gancolor.data.lab import LabPairs
from gancolor.errors import DataError, ImageReadError
from gancolor.imageio import IMAGE_EXTENSIONS, list_images, read_rgb

__all__ = ["resize_center_crop", "read_image_folder", "load_image_folder", "ColorizationDataset"]


def resize_center_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """Shrink or enlarge (H, W, 3) uint8 so its short side is ``size`` (antialiased), then cut the
    central ``size`` x ``size`` square: (size, size, 3) uint8."""
    h, w = rgb.shape[:2]
    scale = size / min(h, w)
    new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
    resized = np.asarray(
        Image.fromarray(rgb).resize((new_w, new_h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    )
    top, left = (new_h - size) // 2, (new_w - size) // 2
    return resized[top : top + size, left : left + size]


def read_image_folder(folder: str | os.PathLike, size: int, max_images: int | None = None,
                      desc: str | None = None) -> torch.Tensor:
    """Every image under the existing folder ``folder`` (recursively, sorted) as (N, 3, size, size) uint8.

    Each image is resized so its short side is ``size`` (antialiased) and centre-cropped. Unreadable
    files are skipped with one warning each naming the file and the reason. ``max_images`` stops
    after that many readable images. ``desc`` labels the progress bar (default: the folder).
    Raises :class:`DataError` if ``folder`` holds no image file or no readable one.
    """
    paths = list_images([folder])
    if not paths:
        raise DataError(f"{folder}: no image files ({' '.join(sorted(IMAGE_EXTENSIONS))}) in this folder")
    if max_images is not None and max_images < 1:
        raise ValueError(f"max_images must be at least 1; got {max_images}")
    images = []
    for path in tqdm(paths, desc=desc or f"reading {folder}", unit="img", leave=False):
        try:
            rgb = read_rgb(path)
        except ImageReadError as error:
            warnings.warn(f"skipping unreadable image {error}", stacklevel=3)
            continue
        images.append(resize_center_crop(rgb, size))
        if max_images is not None and len(images) >= max_images:
            break
    if not images:
        raise DataError(f"{folder}: none of its {len(paths)} image files could be read")
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


def load_image_folder(root: str | os.PathLike, size: int = 64, max_images: int | None = None) -> torch.Tensor:
    """Every image under ``root`` (recursively, sorted) as (N, 3, size, size) uint8.

    Each image is resized so its short side is ``size`` and centre-cropped; unreadable files are
    skipped with one warning each (:func:`read_image_folder`). ``max_images`` stops after that many
    readable images. Raises :class:`DataError` if ``root`` is missing, is not a folder, or holds no
    readable image.
    """
    folder = os.fspath(root)
    if not os.path.exists(folder):
        raise DataError(f"{folder}: no such folder")
    if not os.path.isdir(folder):
        raise DataError(f"{folder}: not a folder")
    return read_image_folder(folder, size, max_images)


class ColorizationDataset(LabPairs):
    """(``L_n`` (1, H, W), ``ab_n`` (2, H, W)) pairs from the images under ``root`` (see
    :func:`load_image_folder`)."""

    def __init__(self, root: str | os.PathLike, size: int = 64, max_images: int | None = None) -> None:
        super().__init__(load_image_folder(root, size=size, max_images=max_images))
