"""The ``torchvision`` layout: a verified archive is unpacked, read with torchvision (which checks the
md5 of every file) and written as ``<split>/<class>/<n>.png`` folders."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gancolor.data.download.extracting import safe_extract
from gancolor.data.download.folders import write_marker
from gancolor.data.registry import DatasetEntry
from gancolor.errors import DataError

__all__ = ["TORCHVISION_READERS", "build_torchvision"]


def _read_cifar10(root: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from torchvision.datasets import CIFAR10  # slow import: lazy

    ds = CIFAR10(str(root), train=split == "train", download=False)  # checks every file's md5
    return np.asarray(ds.data), np.asarray(ds.targets), list(ds.classes)


def _read_stl10(root: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from torchvision.datasets import STL10

    ds = STL10(str(root), split=split, download=False)  # checks every file's md5
    return np.asarray(ds.data).transpose(0, 2, 3, 1), np.asarray(ds.labels), list(ds.classes)


#: torchvision class name -> reader(extracted root, split) -> (N, H, W, 3) uint8, labels, class names.
TORCHVISION_READERS: dict[str, Callable[[Path, str], tuple[np.ndarray, np.ndarray, list[str]]]] = {
    "CIFAR10": _read_cifar10,
    "STL10": _read_stl10,
}


def build_torchvision(entry: DatasetEntry, archive: Path, target: Path, marker: dict, limit: int,
                       progress: bool) -> None:
    """Unpack the verified archive, read it with torchvision, write ``<split>/<class>/<n>.png``."""
    from PIL import Image

    reader = TORCHVISION_READERS.get(entry.torchvision_class or "")
    if reader is None:
        raise DataError(f"{entry.name}: no reader for torchvision class {entry.torchvision_class!r}")
    work = Path(tempfile.mkdtemp(prefix=f".{entry.name}.build-", dir=target.parent))
    try:
        raw = work / "raw"
        safe_extract(archive, raw, max_total_bytes=limit)
        out = work / "export"
        for split, folder in entry.splits.items():
            try:
                images, labels, classes = reader(raw, split)
            except RuntimeError as error:  # torchvision: "Dataset not found or corrupted"
                raise DataError(f"{archive}: torchvision cannot read the {split} split ({error})") from None
            bar = tqdm(total=len(images), desc=f"{entry.name} {split} -> PNG", unit="img",
                       disable=not progress)
            with bar:
                for index, (image, label) in enumerate(zip(images, labels, strict=True)):
                    class_dir = out / folder / _safe_component(str(classes[int(label)]))
                    if index == 0 or not class_dir.is_dir():
                        class_dir.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(
                        class_dir / f"{index:06d}.png", compress_level=1)
                    bar.update(1)
        write_marker(out, marker)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _safe_component(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")
    return cleaned or "unknown"
