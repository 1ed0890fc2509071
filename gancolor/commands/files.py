"""Running a photo-to-photo model over files and folders: where outputs go, errors per file."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gancolor.errors import DataError, UserError
from gancolor.io_utils import clean_stale_temporaries, os_reason

__all__ = ["convert_files", "output_path_for", "plan_outputs"]

#: Output formats we write; anything else (gif ...) is written as PNG.
_WRITABLE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


def output_path_for(source: Path, root: Path | None, out_dir: Path) -> Path:
    """Where the colorized version of ``source`` goes: same name (and sub-folder when it was
    found inside the folder ``root``) under ``out_dir``; unwritable formats become PNG.

    This is the natural name; :func:`plan_outputs` changes it when it would collide."""
    relative = source.relative_to(root) if root is not None else Path(source.name)
    suffix = source.suffix.lower()
    return out_dir / (relative if suffix in _WRITABLE_SUFFIXES else relative.with_suffix(".png"))


def _real(path: Path) -> str:
    """``path`` with symbolic links resolved (never raises, even for a loop of links)."""
    return os.path.realpath(path)


def plan_outputs(files: Sequence[tuple[Path, Path | None]], out_dir: Path) -> list[Path | UserError]:
    """The output path of every (source, root) of ``files``, or the error that stops it.

    Outputs never replace an input and never collide with each other: when the natural name
    (:func:`output_path_for`) is an input file or another output, the source's format goes
    into the name (``x.gif`` -> ``x-gif.png`` beside an input ``x.png``), then a number
    (``x-gif-2.png``); files whose output keeps their own name are served first. A source whose
    natural output is the source itself (same folder, same name) gets an error instead: write
    into another folder.
    """
    inputs = {_real(source) for source, _ in files}
    naturals = [output_path_for(source, root, out_dir) for source, root in files]
    taken: set[str] = set()
    plan: list[Path | UserError] = [Path()] * len(files)
    # Files whose output keeps their own name choose first: x.png -> x.png, then x.gif -> x-gif.png.
    order = sorted(range(len(files)), key=lambda i: naturals[i].name != files[i][0].name)
    for i in order:
        source, natural = files[i][0], naturals[i]
        if _real(natural) == _real(source):
            plan[i] = UserError(f"{source}: output would overwrite the input; choose another -o folder")
            continue
        target, number = natural, 1
        while _real(target) in inputs or _real(target) in taken:
            number += 1
            tag = source.suffix.lower().lstrip(".") or "out"
            stem = f"{natural.stem}-{tag}" + (f"-{number - 1}" if number > 2 else "")
            target = natural.with_name(stem + natural.suffix)
        taken.add(_real(target))
        plan[i] = target
    return plan


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
    line on stderr and the others are still processed; every output is written atomically and
    no output replaces an input or another output (see :func:`plan_outputs`).
    ``verb`` ("colorized", "stylized") is used in the summary line. Returns 1 if any file failed, else 0.
    """
    files = _expand_inputs(inputs)
    if not files:
        raise DataError("no input images found")
    clean_stale_temporaries(out_dir)
    failures = 0
    plan = plan_outputs(files, out_dir)
    jobs = list(zip(files, plan, strict=True))
    for (source, _), target in tqdm(jobs, desc=verb, unit="image", disable=len(files) < 2):
        try:
            if isinstance(target, UserError):
                raise target
            _convert_one(source, target, convert)
        except UserError as error:
            failures += 1
            tqdm.write(f"gancolor: error: {error}", file=sys.stderr)
        except (MemoryError, RuntimeError, ValueError, OSError) as error:  # one bad file: the batch goes on
            failures += 1
            tqdm.write(f"gancolor: error: {source}: failed ({type(error).__name__}: {os_reason(error)})",
                       file=sys.stderr)
    print(f"{verb} {len(files) - failures} of {len(files)} image(s) into {out_dir}")
    return 1 if failures else 0


def _convert_one(source: Path, target: Path, convert: Callable[[np.ndarray], np.ndarray]) -> None:
    """Read ``source``, write ``convert(rgb)`` (with the source's alpha) to ``target``."""
    from gancolor.imageio import read_image, write_image

    image = read_image(source)
    try:
        result = convert(image.rgb)
    except UserError as error:  # e.g. a hint outside this photo: say which photo
        raise UserError(f"{source}: {error}") from None
    write_image(target, result, alpha=image.alpha)
