"""Unpacking an archive safely: :func:`safe_extract` checks every member of a zip or tar(.gz)
archive before writing anything (no absolute paths, no ``..``, no links or device files, a limit on
the unpacked size and on the compression ratio), unpacks into a temporary folder next to the target
and renames it at the end, so a refused or failed extraction leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from gancolor.errors import DataError

__all__ = ["UnsafeArchiveError", "safe_extract"]

_DEFAULT_MAX_RATIO = 200.0
_DEFAULT_MAX_MEMBERS = 500_000
_MAX_MEMBER_DEPTH = 64  # folders inside folders of one member
_MAX_MEMBER_NAME = 1024  # characters in a member's path
_BLOCK = 1 << 20  # bytes copied at a time


class UnsafeArchiveError(DataError):
    """An archive refused before anything was written (path traversal, link, too large ...)."""


@dataclass(frozen=True)
class _Member:
    parts: tuple[str, ...]
    is_dir: bool
    size: int
    handle: object  # ZipInfo or TarInfo


def safe_extract(archive: str | os.PathLike, target: str | os.PathLike, max_total_bytes: int | None = None,
                 *, max_ratio: float = _DEFAULT_MAX_RATIO, max_members: int = _DEFAULT_MAX_MEMBERS,
                 root_folder: str | None = None,
                 before_commit: Callable[[Path], None] | None = None) -> Path:
    """Unpack the zip or tar(.gz/.bz2/.xz) ``archive`` into the new folder ``target``; return ``target``.

    Every member is checked before anything is written; the whole archive is refused
    (:class:`UnsafeArchiveError`) if any member has an absolute path or ``..``, is a symbolic or
    hard link or a device, if the members add up to more than ``max_total_bytes``, or if the
    unpacked size is more than ``max_ratio`` times the archive (or a zip member's) size.
    Members are written into a temporary folder next to ``target``; with ``root_folder``, only
    that folder of the archive becomes ``target``. ``before_commit(folder)`` runs on the finished
    folder just before the atomic rename (e.g. to write a marker). On any failure nothing is left
    behind, and ``target`` (which must not exist) is not created.
    """
    archive, target = Path(archive), Path(target)
    if target.exists():
        raise DataError(f"{target}: already exists; not unpacking {archive.name} over it")
    try:
        kind = "zip" if zipfile.is_zipfile(archive) else "tar" if tarfile.is_tarfile(archive) else None
    except OSError as error:
        raise DataError(f"{archive}: cannot read ({error.strerror or error})") from None
    if kind is None:
        raise DataError(f"{archive}: not a zip or tar archive")
    target.parent.mkdir(parents=True, exist_ok=True)
    work: Path | None = None
    try:
        with _open_archive(archive, kind) as handle:
            members = _plan(archive, kind, handle, max_total_bytes, max_ratio, max_members)
            work = Path(tempfile.mkdtemp(prefix=f".{target.name}.extract-", dir=target.parent))
            _write_members(archive, kind, handle, members, work, max_total_bytes)
        source = work
        if root_folder is not None and root_folder not in ("", "."):
            source = work.joinpath(*PurePosixPath(root_folder).parts)
            if not source.is_dir() or source.is_symlink():
                raise DataError(f"{archive}: expected a folder {root_folder}/ inside the archive")
        if before_commit is not None:
            before_commit(source)
        os.replace(source, target)
        return target
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as error:
        raise DataError(f"{archive}: cannot unpack ({_describe_extract_error(error)})") from None
    finally:
        if work is not None and work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _describe_extract_error(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def _open_archive(archive: Path, kind: str) -> Iterator[zipfile.ZipFile | tarfile.TarFile]:
    if kind == "zip":
        with zipfile.ZipFile(archive) as handle:
            yield handle
    else:
        with tarfile.open(archive, "r:*") as handle:
            yield handle


def _refuse(archive: Path, what: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"{archive}: refused: {what}; nothing was extracted")


def _is_absolute(path: str) -> bool:
    """Whether an archive's path is absolute: ``/x``, ``\\x`` or a drive letter ``C:``."""
    return path.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", path))


def _path_parts(path: str) -> tuple[str, ...]:
    """The components of an archive's path (``/`` or ``\\``), without empty ones and ``.``."""
    return tuple(p for p in re.split(r"[/\\]", path) if p not in ("", "."))


def _member_parts(archive: Path, name: str) -> tuple[str, ...]:
    """Split a member name into safe path components, or refuse the archive."""
    if _is_absolute(name):
        raise _refuse(archive, f"member {name!r} has an absolute path")
    parts = _path_parts(name)
    if ".." in parts:
        raise _refuse(archive, f"member {name!r} points outside the folder (..)")
    if any("\x00" in p for p in parts):
        raise _refuse(archive, f"member {name[:80]!r} has a NUL byte")
    if len(parts) > _MAX_MEMBER_DEPTH or len(name) > _MAX_MEMBER_NAME:
        raise _refuse(archive, f"member {name[:60]!r}... is nested too deeply ({len(parts)} levels) or its "
                               f"name is too long ({len(name):,} characters)")
    return parts


def _link_refusal(archive: Path, name: str, link: str, hard: bool) -> UnsafeArchiveError:
    kind = "hard link" if hard else "symbolic link"
    base = PurePosixPath(*_path_parts(name)).parent
    outside = _is_absolute(link) or _escapes(base, link)
    where = " outside the folder" if outside else ""
    return _refuse(archive, f"member {name!r} is a {kind} to {link!r}{where} (links are not extracted)")


def _escapes(base: PurePosixPath, link: str) -> bool:
    """Does ``link`` (relative to the folder ``base``) leave the archive's top folder?"""
    depth = len(base.parts)
    for part in re.split(r"[/\\]", link):
        if part in ("", "."):
            continue
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            return True
    return False


def _plan(archive: Path, kind: str, handle: zipfile.ZipFile | tarfile.TarFile, max_total_bytes: int | None,
          max_ratio: float, max_members: int) -> list[_Member]:
    """Check every member (nothing is written); the list of members to write."""
    members: list[_Member] = []
    total = 0
    infos = handle.infolist() if kind == "zip" else handle.getmembers()
    if len(infos) > max_members:
        raise _refuse(archive, f"{len(infos):,} members, more than {max_members:,}")
    for info in infos:
        if kind == "zip":
            assert isinstance(info, zipfile.ZipInfo)
            name = info.filename
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                with handle.open(info) as link_file:  # the link target (read a little, never all)
                    link = link_file.read(4096).decode("utf-8", "replace")
                raise _link_refusal(archive, name, link, hard=False)
            is_dir = info.is_dir()
            size = 0 if is_dir else info.file_size
            if (not is_dir and size > (1 << 20) and info.compress_size > 0
                    and size / info.compress_size > max_ratio):
                raise _refuse(archive, f"member {name!r} expands {size / info.compress_size:.0f}x "
                                       f"(more than {max_ratio:.0f}x: a zip bomb?)")
        else:
            assert isinstance(info, tarfile.TarInfo)
            name = info.name
            if info.issym() or info.islnk():
                raise _link_refusal(archive, name, info.linkname, hard=info.islnk())
            if not (info.isdir() or info.isreg()):
                raise _refuse(archive, f"member {name!r} is a device, fifo or other special file")
            is_dir = info.isdir()
            size = 0 if is_dir else info.size
        parts = _member_parts(archive, name)
        if not parts:
            continue
        total += size
        if max_total_bytes is not None and total > max_total_bytes:
            raise _refuse(archive, f"unpacks to more than the limit of {max_total_bytes:,} bytes")
        members.append(_Member(parts, is_dir, size, info))
    archive_size = max(archive.stat().st_size, 1)
    if total > (64 << 20) and total / archive_size > max_ratio:
        raise _refuse(archive, f"unpacks to {total:,} bytes, {total / archive_size:.0f}x its size "
                               f"(more than {max_ratio:.0f}x: an archive bomb?)")
    return members


def _write_members(archive: Path, kind: str, handle: zipfile.ZipFile | tarfile.TarFile,
                   members: list[_Member], work: Path, max_total_bytes: int | None) -> None:
    written = 0
    work_resolved = work.resolve()
    for member in members:
        path = work.joinpath(*member.parts)
        # Belt and braces: the checked names cannot leave `work`, but make sure.
        if os.path.commonpath([work_resolved, path.resolve()]) != str(work_resolved):
            raise _refuse(archive, f"member {'/'.join(member.parts)!r} leaves the folder")
        if member.is_dir:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        source: IO[bytes] | None
        if kind == "zip":
            source = handle.open(member.handle)  # type: ignore[union-attr,arg-type]
        else:
            source = handle.extractfile(member.handle)  # type: ignore[union-attr,arg-type]
        if source is None:
            continue
        with source, open(path, "wb") as out:
            remaining = member.size
            while True:
                block = source.read(min(_BLOCK, max(remaining, 1)))
                if not block:
                    break
                remaining -= len(block)
                written += len(block)
                if remaining < 0 or (max_total_bytes is not None and written > max_total_bytes):
                    shown = "/".join(member.parts)
                    raise _refuse(archive, f"member {shown!r} is larger than its header says")
                out.write(block)
