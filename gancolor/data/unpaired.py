"""Two image domains for style transfer (CycleGAN): A (e.g. summer) and B (e.g. winter).

- :func:`load_embedded_domains` -- the embedded scenes, summer vs winter. Scene ``i`` has the
  same layout in both seasons, so the domains are *paired*: ``a[i]`` and ``b[i]`` show the same
  place. Training ignores that (each domain is shuffled on its own), evaluation uses it as the
  ground truth of the translation.
- :func:`load_unpaired_folder` -- the public CycleGAN datasets (``summer2winter_yosemite`` ...),
  laid out as ``root/trainA``, ``root/trainB``, ``root/testA``, ``root/testB``; unpaired.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from gancolor.data.embedded import SPLITS, load_embedded
from gancolor.data.folder import read_image_folder
from gancolor.errors import DataError

__all__ = ["UnpairedDomains", "load_embedded_domains", "load_unpaired_folder", "FOLDER_SPLITS"]

#: Splits of the CycleGAN folder layout.
FOLDER_SPLITS = ("train", "test")


@dataclass(frozen=True)
class UnpairedDomains:
    """Images of two domains.

    Attributes:
        a, b: (N_a, 3, H, W) and (N_b, 3, H', W') uint8 RGB, non-empty.
        paired: True when ``a[i]`` and ``b[i]`` show the same scene (then N_a == N_b and the
            shapes agree): the translation of ``a[i]`` can be scored against ``b[i]``.
        names: what the domains are, e.g. ``("summer", "winter")``.
        source: where the images came from, for messages and model cards.
    """

    a: torch.Tensor
    b: torch.Tensor
    paired: bool = False
    names: tuple[str, str] = ("A", "B")
    source: str = ""

    def __post_init__(self) -> None:
        for name, images in (("a", self.a), ("b", self.b)):
            if (not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4
                    or images.shape[1] != 3 or len(images) == 0):
                shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
                dtype = getattr(images, "dtype", "")
                raise DataError(f"domain {name} must be a non-empty (N, 3, H, W) uint8 tensor; "
                                f"got {shape} {dtype}")
        if self.paired and self.a.shape != self.b.shape:
            raise DataError(f"paired domains need images of the same shape and number; got "
                            f"{tuple(self.a.shape)} and {tuple(self.b.shape)}")
        if len(self.names) != 2:
            raise ValueError(f"names must be two domain names; got {self.names!r}")

    def __repr__(self) -> str:
        (name_a, name_b), shape_a, shape_b = self.names, tuple(self.a.shape), tuple(self.b.shape)
        return (f"UnpairedDomains({name_a}: {shape_a}, {name_b}: {shape_b}, paired={self.paired}, "
                f"source={self.source!r})")


def load_embedded_domains(split: str = "train", size: int = 64) -> UnpairedDomains:
    """The embedded scenes of ``split``: summer (A) vs winter (B), index-aligned (``paired=True``).

    Photos are left out: they are the same in both seasons. Built and cached on first use
    (see :func:`gancolor.data.load_embedded`). Returns (N, 3, size, size) uint8 domains.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    summer = load_embedded(split, source="scenes", size=size, season="summer")  # type: ignore[arg-type]
    winter = load_embedded(split, source="scenes", size=size, season="winter")  # type: ignore[arg-type]
    return UnpairedDomains(a=summer.images, b=winter.images, paired=True, names=("summer", "winter"),
                           source=f"embedded {split} scenes ({size}px)")


def _domain_names(root: Path) -> tuple[str, str]:
    """``("summer", "winter")`` from a folder named ``summer2winter_yosemite``; else ``("A", "B")``."""
    stem = root.resolve().name.split("_")[0]
    parts = stem.split("2")
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    return "A", "B"


def _read_domain(folder: Path, size: int, max_images: int | None) -> torch.Tensor:
    """Every image under ``folder`` as (N, 3, size, size) uint8; unreadable ones skipped with a warning."""
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "no such folder"
        raise DataError(f"{folder}: {what} (the CycleGAN layout is root/trainA, root/trainB, root/testA, "
                        f"root/testB)")
    return read_image_folder(folder, size, max_images, desc=f"reading {folder.name}")


def load_unpaired_folder(root: str | os.PathLike, split: str = "train", size: int = 64,
                         max_images: int | None = None) -> UnpairedDomains:
    """A CycleGAN dataset folder: ``root/{split}A`` and ``root/{split}B`` as two unpaired domains.

    Each image (any format :func:`gancolor.imageio.read_rgb` reads; sub-folders included) is
    resized so its short side is ``size`` (antialiased) and centre-cropped to size x size.
    ``max_images`` keeps the first that many readable images (sorted by path) of each domain.
    An unreadable file is skipped with a warning naming it, as everywhere
    (:func:`gancolor.data.folder.read_image_folder`).
    Raises :class:`DataError` for a missing or empty folder, or one without a readable image.
    Returns: domains of (N, 3, size, size) uint8, ``paired=False``, named after ``root``
    (``summer2winter_yosemite`` -> ``("summer", "winter")``, else ``("A", "B")``).
    """
    if split not in FOLDER_SPLITS:
        raise ValueError(f"split must be one of {FOLDER_SPLITS}; got {split!r}")
    if max_images is not None and max_images < 1:
        raise ValueError(f"max_images must be at least 1; got {max_images}")
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: {'not a folder' if root.exists() else 'no such folder'}")
    a = _read_domain(root / f"{split}A", size, max_images)
    b = _read_domain(root / f"{split}B", size, max_images)
    return UnpairedDomains(a=a, b=b, paired=False, names=_domain_names(root),
                           source=f"{root} ({split}, {size}px)")
