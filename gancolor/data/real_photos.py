"""Whole real colour photographs that the dependencies ship: the offline real-photo evaluation set.

The embedded dataset is mostly procedural cartoons, so every claim about real photos is measured
here, on whole photographs (never crops) that the installed packages carry inside their wheels
(nothing is downloaded):

=============  ==========================  =====  ===========================================
name           package                     split  what it shows
=============  ==========================  =====  ===========================================
astronaut      scikit-image                test   a portrait: orange suit, flag, blue sky
coffee         scikit-image                test   a still life: red cup, wooden table
grace_hopper   matplotlib                  test   a portrait: navy uniform, flag
china          scikit-learn                test   a temple under a blue sky, trees
flower         scikit-learn                test   a flower among green leaves
chelsea        scikit-image                val    a ginger cat
rocket         scikit-image                train  launch pad under a blue sky
motorcycle     scikit-image                train  a red motorcycle in a workshop
=============  ==========================  =====  ===========================================

The **test** photos are held out: no trainer here ever sees them, and nothing is tuned on them
(the embedded dataset's crops come from the train and val photos only, see
:mod:`gancolor.data.photos`). Settings are chosen on the **val** photo. Desktop-wallpaper
packages are an independent evaluation set kept outside the project: never add them here.

Photos are returned at their long side ``long_side`` px (shrunk with Lanczos, never enlarged).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

__all__ = ["REAL_PHOTOS", "RealPhoto", "real_photo", "real_photos", "EVAL_LONG_SIDE"]

#: Long side (px) at which the real-photo evaluation scores photos.
EVAL_LONG_SIDE = 512


@dataclass(frozen=True)
class RealPhoto:
    """Where a photo comes from: ``package`` and its loader, and the ``split`` it belongs to."""

    name: str
    package: str
    split: str
    description: str


REAL_PHOTOS: dict[str, RealPhoto] = {photo.name: photo for photo in (
    RealPhoto("astronaut", "scikit-image", "test", "a portrait: orange suit, flag, blue sky"),
    RealPhoto("coffee", "scikit-image", "test", "a still life: red cup, wooden table"),
    RealPhoto("grace_hopper", "matplotlib", "test", "a portrait: navy uniform, flag"),
    RealPhoto("china", "scikit-learn", "test", "a temple under a blue sky, trees"),
    RealPhoto("flower", "scikit-learn", "test", "a flower among green leaves"),
    RealPhoto("chelsea", "scikit-image", "val", "a ginger cat"),
    RealPhoto("rocket", "scikit-image", "train", "launch pad under a blue sky"),
    RealPhoto("motorcycle", "scikit-image", "train", "a red motorcycle in a workshop"),
)}


@functools.cache
def _load(name: str) -> np.ndarray:
    if name in ("astronaut", "coffee", "chelsea", "rocket"):
        import skimage.data

        image = getattr(skimage.data, name)()
    elif name == "motorcycle":
        import skimage.data

        image = skimage.data.stereo_motorcycle()[0]
    elif name == "grace_hopper":
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
            image = np.asarray(Image.open(file).convert("RGB"))
    else:  # china, flower
        from sklearn.datasets import load_sample_image

        image = load_sample_image(f"{name}.jpg")
    image = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    image.flags.writeable = False
    return image


def real_photo(name: str, long_side: int | None = EVAL_LONG_SIDE) -> np.ndarray:
    """Photo ``name`` as (H, W, 3) uint8, its long side shrunk to ``long_side`` (None: as shipped)."""
    if name not in REAL_PHOTOS:
        raise ValueError(f"unknown real photo {name!r}; choose from {', '.join(REAL_PHOTOS)}")
    image = _load(name)
    height, width = image.shape[:2]
    if long_side is None or max(height, width) <= long_side:
        return image
    scale = long_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0))


def real_photos(split: str = "test", long_side: int | None = EVAL_LONG_SIDE) -> dict[str, np.ndarray]:
    """Every photo of ``split`` ("train", "val", "test" or "all"), by name: (H, W, 3) uint8 each."""
    if split not in ("train", "val", "test", "all"):
        raise ValueError(f"unknown split {split!r}; choose train, val, test or all")
    return {name: real_photo(name, long_side) for name, photo in REAL_PHOTOS.items()
            if split in ("all", photo.split)}
