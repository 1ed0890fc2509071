"""Writing files so that a crash or a bad input never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import torch

__all__ = ["atomic_write", "atomic_torch_save"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it onto ``path``.

    The rename is atomic on POSIX, so readers see either the old file or the complete new
    one. On any exception the temporary file is removed and ``path`` is untouched.
    ``suffix`` (default: ``path``'s own) lets writers that pick a format from the name work.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name ends in the target's suffix so that writers which pick a format
    # from the file name (PIL, matplotlib) write the right one.
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.tmp-",
        suffix=suffix if suffix is not None else target.suffix,
        dir=target.parent,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the file the usual mode
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_torch_save(obj: object, path: str | os.PathLike) -> None:
    """``torch.save`` that never leaves a partial file at ``path``."""
    with atomic_write(path) as tmp:
        torch.save(obj, tmp)
