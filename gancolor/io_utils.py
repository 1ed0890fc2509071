"""Writing files so that a crash, a full disk or a bad input never leaves half a file behind.

Every file the package writes goes the same way (:func:`atomic_write`): into a temporary file in
the target's folder, flushed and fsynced, optionally verified (an image is decoded again), and
only then renamed over the target with :func:`os.replace`, which is atomic on POSIX. Readers
therefore see the old file or the complete new one, never a mixture. Any failure removes the
temporary file, leaves the old file as it was and raises :class:`~gancolor.errors.WriteError`.

Temporary files are named ``.<target name>.tmp-<pid>-<random><suffix>``. A process killed in
the middle of a write leaves its temporary file behind; :func:`clean_stale_temporaries` removes
those whose process is gone, and the commands call it when they start writing into a folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from gancolor.errors import UserError, WriteError, first_line

__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_torch_save",
    "check_writable_folder",
    "clean_stale_temporaries",
    "os_reason",
]

# ".<name>.tmp-<pid>-<8 random chars><suffix>"; files of older versions have no "<pid>-".
_TEMPORARY = re.compile(r"^\..+\.tmp-(?:(?P<pid>\d+)-)?[a-z0-9_]{8}")


def os_reason(error: BaseException) -> str:
    """A short reason for an OS-level error: its strerror ("No space left on device"), else its text."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return first_line(error)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str | None = None,
                 verify: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends, make it ``path``.

    After the block: the temporary file is fsynced, ``verify(tmp)`` (if given) checks it (raise
    to refuse it), it is renamed onto ``path`` and the folder is fsynced. On any exception the
    temporary file is removed and ``path`` is untouched; an ``OSError`` (full disk, no permission
    ...) becomes a one-line :class:`~gancolor.errors.WriteError` naming ``path``.
    ``suffix`` (default: ``path``'s own) lets writers that pick a format from the name work.
    ``verify`` raises any exception, with the reason as its message, to refuse the file.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # The temporary name ends in the target's suffix so that writers which pick a format
        # from the file name (PIL, matplotlib) write the right one.
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.tmp-{os.getpid()}-",
                                        suffix=suffix if suffix is not None else target.suffix,
                                        dir=target.parent)
    except (FileExistsError, NotADirectoryError):
        raise WriteError(target, "a folder on its path is a file") from None
    except OSError as error:
        raise WriteError(target, os_reason(error)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the file the usual mode
        yield tmp
        _fsync_path(tmp)
        if verify is not None:
            _verify(verify, tmp, target)
        os.replace(tmp, target)
        _fsync_path(target.parent)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise WriteError(target, os_reason(error)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _verify(verify: Callable[[Path], None], tmp: Path, target: Path) -> None:
    """Run ``verify(tmp)``; any exception it raises becomes a :class:`WriteError` naming ``target``."""
    try:
        verify(tmp)
    except Exception as error:  # noqa: BLE001 - whatever the check raises, the file is refused
        raise WriteError(target, f"the written file failed its check: {os_reason(error)}") from None


def _fsync_path(path: Path) -> None:
    """Flush ``path`` (a file or a folder) to the disk; folders that cannot be fsynced are skipped."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError as error:
        if not path.is_dir() or error.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES):
            raise
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`); checks that all of it landed."""
    def same_size(tmp: Path) -> None:
        if tmp.stat().st_size != len(data):
            raise ValueError(f"short write, {tmp.stat().st_size} of {len(data)} bytes")

    with atomic_write(path, verify=same_size) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 (``\\n`` line ends) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, data: object, indent: int | None = None,
                      sort_keys: bool = False) -> None:
    """Write ``data`` as JSON to ``path`` atomically; the written file is parsed back to check it."""
    text = json.dumps(data, indent=indent, sort_keys=sort_keys) + "\n"

    def parses(tmp: Path) -> None:
        json.loads(tmp.read_text(encoding="utf-8"))  # ValueError if cut short

    with atomic_write(path, verify=parses) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)


def atomic_torch_save(obj: object, path: str | os.PathLike) -> None:
    """``torch.save`` that never leaves a partial file at ``path``.

    A failed write (``torch.save`` reports a full disk as a ``RuntimeError``) raises
    :class:`~gancolor.errors.WriteError`; the old file stays as it was.
    """
    import torch  # (only here: reading and writing images needs no torch, so a photo decodes while it loads)

    try:
        with atomic_write(path) as tmp:
            torch.save(obj, tmp)
    except RuntimeError as error:  # PytorchStreamWriter failed writing file ...
        raise WriteError(path, os_reason(error)) from None


def clean_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed processes left in ``folder`` (not recursive).

    A temporary file is stale when the process named in it is gone (or, for files of older
    versions, which name none, always). Returns the removed paths; a missing folder is no error.
    """
    folder = Path(folder)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = match.group("pid")
        if pid is not None and _process_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _process_alive(pid: int) -> bool:
    """True if a process ``pid`` runs on this machine (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):  # not a pid this machine can have
        return False
    return True


def check_writable_folder(folder: str | os.PathLike, what: str) -> Path:
    """Create ``folder`` if needed and make sure files can be created in it; return it.

    Raises :class:`~gancolor.errors.UserError` naming ``what`` (e.g. "GANCOLOR_CACHE") and the
    folder when it is a file, cannot be created or is read-only.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{what} {folder}: is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{what} {folder}: cannot create the folder ({os_reason(error)})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{what} {folder}: the folder is not writable")
    return folder
