"""``download(name)``: one registered dataset from its archive to a ready folder: fetch (resumable,
checksum-checked or trusted on first use), unpack (safely, or through torchvision), mark complete."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from gancolor.data.download.extracting import UnsafeArchiveError, safe_extract
from gancolor.data.download.fetching import (
    DEFAULT_DEADLINE,
    DEFAULT_MIN_RATE,
    ChecksumError,
    DownloadError,
    fetch,
)
from gancolor.data.download.folders import (
    MARKER_NAME,
    download_hint,
    download_root,
    is_complete,
    registry_entries,
    registry_entry,
    write_marker,
)
from gancolor.data.download.torchvision_layout import build_torchvision
from gancolor.data.download.trust import LOCK_NAME, recorded_sha256, trust_first_download
from gancolor.data.registry import DatasetEntry
from gancolor.errors import DataError
from gancolor.io_utils import check_writable_folder

__all__ = ["download", "DOWNLOADS_DIR"]

#: Sub-folder of the root where archives are downloaded (and deleted after unpacking).
DOWNLOADS_DIR = "downloads"


def download(name: str, root: str | os.PathLike | None = None, progress: bool = True, retries: int = 3,
             backoff: float = 1.0, max_bytes: int | None = None, *,
             registry: str | os.PathLike | dict[str, DatasetEntry] | None = None,
             keep_archive: bool = False, timeout: float = 60.0, deadline: float = DEFAULT_DEADLINE,
             min_rate: float = DEFAULT_MIN_RATE) -> Path:
    """Download, check and unpack the registered dataset ``name``; return its ready folder.

    The folder is ``<root>/<name>`` (``root`` defaults to :func:`gancolor.runtime.cache_dir`); a
    folder that is already complete is returned at once, without touching the network.
    ``max_bytes`` refuses archives larger than that. The archive is deleted after unpacking unless
    ``keep_archive``. ``timeout``, ``deadline`` and ``min_rate`` bound the transfer (see :func:`fetch`).
    Raises :class:`DownloadError`, :class:`ChecksumError`, :class:`UnsafeArchiveError` or
    :class:`DataError` (all :class:`~gancolor.errors.UserError`) with a one-line message.
    """
    entry = registry_entry(registry_entries(registry), name)
    base = download_root(root)
    target = base / entry.name
    if is_complete(target):
        return target
    if target.exists():
        raise DataError(f"{target}: exists but is not a complete download (no {MARKER_NAME}); "
                        f"move or delete it, then run `{download_hint(name, root)}` again")
    if max_bytes is not None and entry.size > max_bytes:
        raise DownloadError(f"{entry.urls[0]}: {name} is {entry.size:,} bytes, more than the limit of "
                            f"{max_bytes:,} bytes")
    check_writable_folder(base, "the download root")
    _check_free_space(base, entry)
    with _root_lock(base):
        if is_complete(target):  # another process finished it while we waited
            return target
        return _download_locked(entry, base, target, progress=progress, retries=retries, backoff=backoff,
                                max_bytes=max_bytes, keep_archive=keep_archive, timeout=timeout,
                                deadline=deadline, min_rate=min_rate)


def _download_locked(entry: DatasetEntry, base: Path, target: Path, *, progress: bool, retries: int,
                     backoff: float, max_bytes: int | None, keep_archive: bool, timeout: float,
                     deadline: float, min_rate: float) -> Path:
    """:func:`download` once it holds the root's lock: fetch, check, unpack, mark complete."""
    lock_file = base / LOCK_NAME
    expected = entry.sha256 or recorded_sha256(lock_file, entry)
    archive = base / DOWNLOADS_DIR / entry.filename
    try:
        seen = fetch(entry.urls, archive, expected_size=entry.size, sha256=expected, progress=progress,
                     retries=retries, backoff=backoff, max_bytes=max_bytes, timeout=timeout,
                     deadline=deadline, min_rate=min_rate)
    except ChecksumError as error:
        if entry.sha256 is None and expected is not None:
            raise ChecksumError(f"{error} -- the expected value was recorded on the first download in "
                                f"{lock_file}; delete its {entry.name!r} entry only if the file really "
                                "changed upstream") from None
        if entry.checksum_source:
            raise ChecksumError(f"{error} -- expected value from {entry.checksum_source}") from None
        raise
    if entry.sha256 is None and expected is None:
        trust_first_download(lock_file, entry, seen)
    marker = {
        "name": entry.name,
        "layout": entry.layout,
        "filename": entry.filename,
        "size": entry.size,
        "sha256": seen,
        "checksum": "published" if entry.sha256 else "trust-on-first-use",
        "urls": list(entry.urls),
        "licence": entry.licence,
        "citation": entry.citation,
        "downloaded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    limit = entry.max_extracted_bytes or 2 * entry.size + (16 << 20)
    try:
        if entry.layout == "torchvision":
            build_torchvision(entry, archive, target, marker, limit, progress)
        else:
            safe_extract(archive, target, max_total_bytes=limit, root_folder=entry.extracts_to,
                         before_commit=lambda folder: write_marker(folder, marker))
    except UnsafeArchiveError:
        archive.unlink(missing_ok=True)  # a hostile archive is not worth keeping
        raise
    if not keep_archive:
        archive.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            archive.parent.rmdir()  # only if empty
    return target


def _check_free_space(base: Path, entry: DatasetEntry) -> None:
    """Refuse early when the disk cannot hold the archive and its unpacked copy."""
    needed = entry.size + (entry.max_extracted_bytes or entry.size)
    try:
        free = shutil.disk_usage(base).free
    except OSError:
        return
    if free < needed:
        raise DownloadError(f"{base}: {entry.name} needs about {needed / 1e9:.1f} GB free; "
                            f"only {free / 1e9:.1f} GB available (choose another --root)")


@contextlib.contextmanager
def _root_lock(base: Path) -> Iterator[None]:
    """Serialise downloads into one root across processes (POSIX; no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(base / ".download.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
