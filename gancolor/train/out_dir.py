"""The output folder of a training run: never wipe an earlier run by mistake, one writer at a time.

``with claim_out_dir(out, resume=..., overwrite=...):`` around a training run

* creates ``out`` (one line if it cannot: a file, no permission ...);
* locks it with ``fcntl.flock`` on ``out/.gancolor.lock``, which holds the pid of the training.
  The kernel drops the lock when the process ends, however it ends (killed, crashed), so a
  lock is never stale; a second training into ``out`` gets :class:`FolderInUseError` naming the
  pid of the first;
* removes the temporary files that killed runs left in ``out`` (:func:`clean_stale_temporaries`);
* refuses a folder that already holds a run (a checkpoint, history or model file) unless the
  run is resumed or ``overwrite`` is given.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from gancolor.errors import FolderInUseError, UserError
from gancolor.io_utils import check_writable_folder, clean_stale_temporaries
from gancolor.train.checkpoint import CHECKPOINT_NAME

__all__ = ["LOCK_NAME", "RUN_FILES", "claim_out_dir", "existing_run_files"]

#: The lock file inside a training's output folder.
LOCK_NAME = ".gancolor.lock"
#: Files whose presence means that a folder holds a training run.
RUN_FILES = (CHECKPOINT_NAME, "history.json", "colorizer.pt", "stylizer.pt", "multitask.pt")


def existing_run_files(out: Path) -> list[str]:
    """The names of :data:`RUN_FILES` present in ``out``."""
    return [name for name in RUN_FILES if (out / name).exists()]


@contextlib.contextmanager
def claim_out_dir(out: str | os.PathLike, *, resume: bool = False, overwrite: bool = False) -> Iterator[Path]:
    """Lock ``out`` for one training run for the block and check that it may be written (see module doc).

    Raises :class:`FolderInUseError` if another process trains into ``out``, and
    :class:`~gancolor.errors.UserError` if ``out`` holds a run and neither ``resume`` nor
    ``overwrite`` is given, or both are.
    """
    out = Path(out)
    if resume and overwrite:
        raise UserError("--resume continues the run in --out, --overwrite replaces it: give one of them")
    check_writable_folder(out, "--out")
    with _locked(out):
        clean_stale_temporaries(out)
        existing = existing_run_files(out)
        if existing and not (resume or overwrite):
            raise UserError(f"{out}: already holds a training run ({', '.join(existing)}); pass --resume to "
                            f"continue it or --overwrite to replace it (or choose another --out)")
        yield out


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``out/LOCK_NAME`` (with our pid in it) for the block."""
    lock_path = out / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise UserError(f"{out}: cannot create the lock file {LOCK_NAME} ({error.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            raise FolderInUseError(f"{out}: another training ({holder}) is writing into this folder; wait "
                                   f"for it to end or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def _read_pid(fd: int) -> str:
    """"pid N" from the lock file of the process holding it ("pid unknown" if it wrote none yet)."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return f"pid {text}" if text.isdigit() else "pid unknown"
