"""Running a photo-to-photo model over files and folders: where outputs go, errors per file."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from gancolor.errors import DataError, UserError
from gancolor.imageio import LoadedImage, decode_image, list_images, open_image, write_image
from gancolor.io_utils import clean_stale_temporaries, os_reason

__all__ = ["OVERLAP_PIXELS", "convert_files", "output_path_for", "plan_outputs"]

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


#: Pixels of the photos in flight at once. While a photo is converted, the next one is decoded and the
#: previous one encoded (on two threads: PIL releases the GIL) as long as together they stay under this;
#: a larger photo waits until it fits or goes alone. Each photo in flight takes ~10 bytes per pixel.
OVERLAP_PIXELS = 36_000_000


class _PixelBudget:
    """The pixels of the photos in flight: :meth:`take` waits until a photo fits under the limit or
    nothing else is in flight; :meth:`close` wakes every waiter (with a RuntimeError) when the loop ends."""

    def __init__(self, limit: int) -> None:
        self._limit, self._used, self._closed = limit, 0, False
        self._changed = threading.Condition()

    def take(self, pixels: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._closed or not self._used
                                   or self._used + pixels <= self._limit)
            if self._closed:
                raise RuntimeError("the file loop has ended")
            self._used += pixels

    def give(self, pixels: int) -> None:
        with self._changed:
            self._used -= pixels
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


def convert_files(inputs: Sequence[str], out_dir: Path, convert: Callable[[np.ndarray], np.ndarray],
                  verb: str, pixel_limit: bool = True, setup: Callable[[], object] | None = None) -> int:
    """Write ``convert(rgb)`` of every input image (files, or folders searched recursively) to ``out_dir``.

    ``convert`` maps an (H, W, 3) uint8 RGB photo to an (H, W, 3) uint8 result of the same size;
    an alpha channel is carried over unchanged. A file that cannot be read or written gets one
    line on stderr and the others are still processed; every output is written atomically and
    no output replaces an input or another output (see :func:`plan_outputs`).
    ``verb`` ("colorized", "stylized") is used in the summary line. ``pixel_limit``: refuse images over
    :data:`gancolor.imageio.MAX_PIXELS` before decoding them (False for a ``convert`` whose memory is
    bounded per pixel, such as the colorizers').
    ``convert`` runs on the calling thread, one photo at a time, in order; decoding the next photo
    and encoding the previous one overlap it (:data:`OVERLAP_PIXELS`). ``setup()``, if given, runs on
    the calling thread while the first photo decodes, before ``convert`` is first called (loading the
    model that ``convert`` uses); an error it raises ends the run before any photo is reported.
    Returns 1 if any file failed, else 0.
    """
    files = _expand_inputs(inputs)
    if not files:
        raise DataError("no input images found")
    clean_stale_temporaries(out_dir)
    plan = plan_outputs(files, out_dir)
    jobs = list(zip(files, plan, strict=True))
    budget = _PixelBudget(OVERLAP_PIXELS)
    failures = 0
    with ThreadPoolExecutor(1, thread_name_prefix="gancolor-read") as reader, \
            ThreadPoolExecutor(1, thread_name_prefix="gancolor-write") as writer:

        def start_reading(job: int) -> Future | UserError | None:
            """The decoding of job ``job`` (its header read here, the pixels on the reader thread)."""
            (source, _), target = jobs[job]
            if isinstance(target, UserError):
                return None
            try:
                image = open_image(source, pixel_limit=pixel_limit)
            except UserError as error:
                return error
            future = reader.submit(_decode, image, source, budget)
            future.add_done_callback(lambda done: image.close() if done.cancelled() else None)
            return future

        reads = [start_reading(0)]
        written: tuple[Path, Future] | None = None  # the previous photo's write, reported before the next
        try:
            if setup is not None:
                setup()
            for i, ((source, _), target) in enumerate(tqdm(jobs, desc=verb, unit="image",
                                                           disable=len(files) < 2)):
                if i + 1 < len(jobs):  # decode the next photo while this one is converted
                    reads.append(start_reading(i + 1))
                read, reads[i] = reads[i], None  # (a read holds its photo: let it go with the photo)
                result = _convert(source, target, read, convert, budget)
                del read
                failures += _report(*written) if written is not None else 0
                written = None
                if isinstance(result, BaseException):
                    failures += _report(source, result)
                else:
                    written = (source, writer.submit(_write, target, *result, budget))
                del result
            failures += _report(*written) if written is not None else 0
        finally:
            budget.close()  # (a decode waiting for room gives up)
            for future in [*reads, written[1] if written else None]:
                if isinstance(future, Future):
                    future.cancel()
    print(f"{verb} {len(files) - failures} of {len(files)} image(s) into {out_dir}")
    return 1 if failures else 0


#: Failures that stop one file, not the batch (each is one line on stderr).
_FILE_ERRORS = (UserError, MemoryError, RuntimeError, ValueError, OSError)


def _decode(image: Image.Image, source: Path, budget: _PixelBudget) -> tuple[LoadedImage, int]:
    """Decode the opened ``image`` of ``source`` once its pixels fit in ``budget``; returns the photo
    and the pixels it holds in the budget."""
    pixels = image.size[0] * image.size[1]
    try:
        budget.take(pixels)
    except BaseException:
        image.close()
        raise
    try:
        return decode_image(image, source), pixels
    except BaseException:
        budget.give(pixels)
        raise


def _convert(source: Path, target: Path | UserError, read: Future | UserError | None,
             convert: Callable[[np.ndarray], np.ndarray], budget: _PixelBudget
             ) -> tuple[np.ndarray, np.ndarray | None, int] | BaseException:
    """``(convert(rgb), alpha, pixels)`` of the photo ``read`` decodes, or the error that stops it."""
    if isinstance(target, UserError):
        return target
    if isinstance(read, UserError):  # the header could not be read
        return read
    try:
        image, pixels = read.result()
    except _FILE_ERRORS as error:
        return error
    try:
        return convert(image.rgb), image.alpha, pixels
    except UserError as error:  # e.g. a hint outside this photo: say which photo
        budget.give(pixels)
        return UserError(f"{source}: {error}")
    except (MemoryError, RuntimeError, ValueError, OSError) as error:
        budget.give(pixels)
        return error


def _write(target: Path, result: np.ndarray, alpha: np.ndarray | None, pixels: int,
           budget: _PixelBudget) -> None:
    """Write ``result`` (with the source's ``alpha``) to ``target``; the photo's pixels leave ``budget``."""
    if alpha is not None and alpha.shape != result.shape[:2]:  # an enlarged photo: its alpha too
        alpha = np.asarray(Image.fromarray(alpha).resize(result.shape[1::-1], Image.Resampling.BICUBIC))
    try:
        write_image(target, result, alpha=alpha)
    finally:
        budget.give(pixels)


def _report(source: Path, outcome: Future | BaseException) -> int:
    """Print the one-line error of ``outcome`` (a failure, or a write to wait for); 1 if it failed, else 0."""
    if isinstance(outcome, Future):
        try:
            outcome.result()
            return 0
        except _FILE_ERRORS as error:
            outcome = error
    if isinstance(outcome, UserError):
        tqdm.write(f"gancolor: error: {outcome}", file=sys.stderr)
    else:  # one bad file: the batch goes on
        tqdm.write(f"gancolor: error: {source}: failed ({type(outcome).__name__}: {os_reason(outcome)})",
                   file=sys.stderr)
    return 1
