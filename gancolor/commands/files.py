"""Running a photo-to-photo model over files and folders: where outputs go, errors per file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gancolor.errors import DataError, ImageReadError, UserError

__all__ = ["convert_files", "output_path_for"]

#: Output formats we write; anything else (gif ...) is written as PNG.
_WRITABLE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


def output_path_for(source: Path, root: Path | None, out_dir: Path) -> Path:
    """Where the colorized version of ``source`` goes: same name (and sub-folder when it was
    found inside the folder ``root``) under ``out_dir``; unwritable formats become PNG."""
    relative = source.relative_to(root) if root is not None else Path(source.name)
    suffix = source.suffix.lower()
    return out_dir / (relative if suffix in _WRITABLE_SUFFIXES else relative.with_suffix(".png"))


def _expand_inputs(inputs: Sequence[str]) -> list[tuple[Path, Path | None]]:
    """(file, folder it was found in or None) for every input; folders are expanded."""
    from gancolor.imageio import list_images

    pairs: list[tuple[Path, Path | None]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = list_images([path])
            if not found:
                print(f"gancolor: warning: {path}: no images in this folder", file=sys.stderr)
            pairs.extend((file, path) for file in found)
        else:
            pairs.append((path, None))
    return pairs


def convert_files(inputs: Sequence[str], out_dir: Path, convert: Callable[[np.ndarray], np.ndarray],
                  verb: str) -> int:
    """Write ``convert(rgb)`` of every input image (files, or folders searched recursively) to ``out_dir``.

    ``convert`` maps an (H, W, 3) uint8 RGB photo to an (H, W, 3) uint8 result of the same size;
    an alpha channel is carried over unchanged. A file that cannot be read or written gets one
    line on stderr and the others are still processed; every output is written atomically.
    ``verb`` ("colorized", "stylized") is used in the summary line. Returns 1 if any file failed, else 0.
    """
    from gancolor.imageio import read_image, write_image

    files = _expand_inputs(inputs)
    if not files:
        raise DataError("no input images found")
    failures = 0
    written: set[Path] = set()
    for source, root in tqdm(files, desc=verb, unit="image", disable=len(files) < 2):
        target = output_path_for(source, root, out_dir)
        try:
            if target.resolve() == source.resolve():
                raise UserError(f"{source}: output would overwrite the input; choose another -o folder")
            if target in written:
                raise UserError(f"{source}: another input already wrote {target}")
            image = read_image(source)
            try:
                result = convert(image.rgb)
            except UserError as error:  # e.g. a hint outside this photo: say which photo
                raise UserError(f"{source}: {error}") from None
            write_image(target, result, alpha=image.alpha)
            written.add(target)
        except (ImageReadError, UserError) as error:
            failures += 1
            tqdm.write(f"gancolor: error: {error}", file=sys.stderr)
    print(f"{verb} {len(files) - failures} of {len(files)} image(s) into {out_dir}")
    return 1 if failures else 0
