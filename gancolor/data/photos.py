"""Colour photos that ship inside scikit-image, cut into deterministic square crops.

Only photos stored in the scikit-image wheel itself are used, so nothing is downloaded
(``skimage.data`` fetches the others with pooch). Grayscale images are left out, and so is
``cat`` (the same picture as ``chelsea``) and ``logo`` (a flat graphic on a transparent
background).

Whole photos, never crops, are assigned to a split, so that no held-out crop overlaps a
training crop. The test split holds natural photos (a portrait and a still life) so that
held-out results say something about real pictures.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image

__all__ = ["PHOTO_SPLITS", "PHOTO_NAMES", "CROP_SCALES", "photo_sources", "photo_crops"]

#: Source photos of each split (by ``skimage.data`` function name).
PHOTO_SPLITS: dict[str, tuple[str, ...]] = {
    "train": (
        "rocket",  # launch pad under a blue sky
        "stereo_motorcycle",  # both views of the stereo pair: one source, one split
        "hubble_deep_field",  # galaxies on black
        "immunohistochemistry",  # stained tissue
        "retina",  # fundus photograph
        "colorwheel",  # every hue at full saturation
    ),
    "val": ("chelsea",),  # a ginger cat
    "test": ("astronaut", "coffee"),  # a portrait, a still life
}

#: Every photo name, in split order.
PHOTO_NAMES: tuple[str, ...] = tuple(name for names in PHOTO_SPLITS.values() for name in names)

#: A photo is shrunk so that its short side is ``scale * size`` before cropping.
CROP_SCALES: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0)

# Crops whose gray levels span less than this (e.g. the black margin of ``retina``) are dropped.
_MIN_LUMA_RANGE = 12


def photo_sources(name: str) -> list[np.ndarray]:
    """The image(s) of photo ``name``: a list of (H, W, 3) uint8 arrays (two for the stereo pair).

    The arrays are cached for the life of the process and read-only.
    """
    if name not in PHOTO_NAMES:
        raise ValueError(f"unknown photo {name!r}; choose from {', '.join(PHOTO_NAMES)}")
    return list(_load_sources(name))


@functools.cache
def _load_sources(name: str) -> tuple[np.ndarray, ...]:
    import skimage.data  # imported here: scikit-image is slow to import

    loaded = getattr(skimage.data, name)()
    images = loaded[:2] if name == "stereo_motorcycle" else (loaded,)  # (left, right, disparity)
    out = tuple(np.ascontiguousarray(image[..., :3], dtype=np.uint8) for image in images)
    for image in out:
        image.flags.writeable = False
    return out


def photo_crops(name: str, size: int = 64, flip: bool = False) -> np.ndarray:
    """Deterministic ``size`` x ``size`` crops of photo ``name``: (N, size, size, 3) uint8.

    Each source image is shrunk (antialiased) so that its short side is ``s * size`` for every
    ``s`` in :data:`CROP_SCALES` (never enlarged), then cut into a regular grid of crops that
    overlap by about half and reach both edges. Nearly uniform crops are dropped. With ``flip``
    every crop is followed by its mirror image.
    """
    crops = []
    for image in photo_sources(name):
        for scale in CROP_SCALES:
            resized = _shrink(image, round(scale * size))
            if resized is not None:
                crops.extend(_grid_crops(resized, size))
    stack = np.stack(crops)
    stack = stack[_luma_range(stack) >= _MIN_LUMA_RANGE]
    if flip:
        stack = np.stack([stack, stack[:, :, ::-1]], axis=1).reshape(-1, *stack.shape[1:])
    return np.ascontiguousarray(stack)


def _shrink(image: np.ndarray, short_side: int) -> np.ndarray | None:
    """Resize (H, W, 3) so its short side is ``short_side``; None if that would enlarge it."""
    h, w = image.shape[:2]
    if short_side > min(h, w):
        return None
    factor = short_side / min(h, w)
    new_w, new_h = max(short_side, round(w * factor)), max(short_side, round(h * factor))
    return np.asarray(
        Image.fromarray(image).resize((new_w, new_h), Image.Resampling.LANCZOS, reducing_gap=3.0)
    )


def _grid_crops(image: np.ndarray, size: int) -> list[np.ndarray]:
    """Crops on a grid with a stride of at most ``size / 2``, spread evenly from edge to edge."""
    h, w = image.shape[:2]

    def starts(length: int) -> np.ndarray:
        n = math.ceil((length - size) / (size / 2)) + 1
        return np.round(np.linspace(0, length - size, n)).astype(int)

    return [image[y : y + size, x : x + size] for y in starts(h) for x in starts(w)]


def _luma_range(crops: np.ndarray) -> np.ndarray:
    """Per crop (N,), the 1st-to-99th percentile spread of the Rec. 601 luma in 0..255."""
    luma = crops.reshape(len(crops), -1, 3).astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    lo, hi = np.percentile(luma, [1, 99], axis=1)
    return hi - lo
