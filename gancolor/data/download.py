"""Verified dataset downloads: ``gancolor download NAME`` and ``--data NAME``.

- :func:`download` -- fetch, check and unpack one dataset of ``gancolor/data/registry.json`` into
  ``<root>/<name>/`` (``root`` defaults to :func:`gancolor.runtime.cache_dir`); returns that folder.
- :func:`dataset_path` -- the folder (or one split of it) of a downloaded dataset, else a one-line
  :class:`DataError` saying which command downloads it; :func:`resolve_data` does the same for a
  ``--data`` value that may also be a plain folder.
- :func:`list_datasets` -- every registered dataset and whether it is downloaded.
- :func:`fetch` -- one file over HTTP(S): streamed to ``<dest>.part``, resumed with HTTP Range,
  retried with exponential backoff on connection errors and 5xx answers, checked against its size
  and sha256, then renamed into place.
- :func:`safe_extract` -- unpack a zip or tar(.gz) archive after checking every member: no
  absolute paths, no ``..``, no links or device files, a limit on the unpacked size and on the
  compression ratio. Everything is unpacked into a temporary folder next to the target and renamed
  at the end, so a refused or failed extraction leaves nothing behind.

A dataset folder is complete when its marker file (``.gancolor-download.json``) exists; the marker
is written inside the temporary folder just before the final rename, so a folder with a marker is
always complete and a complete download is never fetched again.

Registry entries without a published sha256 are *trusted on first use*: the first download prints
an :class:`UnverifiedDownloadWarning` and records the sha256 it saw in ``<root>/checksums.lock.json``;
every later download of that dataset (e.g. on a fresh ``--root`` sharing the lock file, or after
deleting the folder) must match the recorded value.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import http.client
import json
import os
import re
import shutil
import stat
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np
from tqdm.auto import tqdm

from gancolor.data.registry import DatasetEntry, load_registry
from gancolor.errors import DataError
from gancolor.io_utils import atomic_write_json, check_writable_folder
from gancolor.runtime import cache_dir

__all__ = [
    "MARKER_NAME",
    "LOCK_NAME",
    "DownloadError",
    "ChecksumError",
    "UnsafeArchiveError",
    "UnverifiedDownloadWarning",
    "DatasetStatus",
    "download",
    "dataset_path",
    "resolve_data",
    "list_datasets",
    "fetch",
    "safe_extract",
    "file_sha256",
    "read_marker",
]

#: The file that marks a dataset folder as complete (written last, inside the temporary folder).
MARKER_NAME = ".gancolor-download.json"
#: The trust-on-first-use record, in the download root.
LOCK_NAME = "checksums.lock.json"
#: Sub-folder of the root where archives are downloaded (and deleted after unpacking).
DOWNLOADS_DIR = "downloads"

_CHUNK = 1 << 16
_USER_AGENT = "gancolor-download/1 (+https://github.com/; python-urllib)"
_RETRY_CODES = frozenset({408, 425, 429})  # plus every 5xx
_DEFAULT_MAX_RATIO = 200.0
_DEFAULT_MAX_MEMBERS = 500_000
_MAX_MEMBER_DEPTH = 64  # folders inside folders of one member
_MAX_MEMBER_NAME = 1024  # characters in a member's path
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
#: A whole fetch (every mirror and retry) must end within this many seconds ...
DEFAULT_DEADLINE = 6 * 3600.0
#: ... and receive at least this many bytes per second, averaged over each RATE_WINDOW seconds.
DEFAULT_MIN_RATE = 1024.0
RATE_WINDOW = 60.0


class DownloadError(DataError):
    """A file that could not be downloaded (HTTP error, network failure, wrong size ...)."""


class ChecksumError(DownloadError):
    """A download whose sha256 is not the expected one (the file is deleted)."""


class UnsafeArchiveError(DataError):
    """An archive refused before anything was written (path traversal, link, too large ...)."""


class UnverifiedDownloadWarning(UserWarning):
    """A download with no published checksum, trusted on first use and recorded in the lock file."""


# ----------------------------------------------------------------------------------------------
# Registry helpers and dataset folders
# ----------------------------------------------------------------------------------------------

def _registry(registry: str | os.PathLike | dict[str, DatasetEntry] | None) -> dict[str, DatasetEntry]:
    if isinstance(registry, dict):
        return registry
    return load_registry(registry)


def _entry(entries: dict[str, DatasetEntry], name: str) -> DatasetEntry:
    if name not in entries:
        raise DataError(f"unknown dataset {name!r}; known datasets: {', '.join(entries)} "
                        "(`gancolor download --list`)")
    return entries[name]


def _root(root: str | os.PathLike | None) -> Path:
    return Path(root) if root is not None else cache_dir()


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of a complete dataset folder (what was downloaded, sha256, verified or not), or None."""
    try:
        return json.loads((Path(folder) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_complete(folder: Path) -> bool:
    return (folder / MARKER_NAME).is_file()


def _download_hint(name: str, root: str | os.PathLike | None) -> str:
    return f"gancolor download {name}" + (f" --root {root}" if root is not None else "")


def dataset_path(name: str, split: str | None = None, root: str | os.PathLike | None = None,
                 registry: str | os.PathLike | dict[str, DatasetEntry] | None = None) -> Path:
    """The folder of the downloaded dataset ``name`` (or of its ``split``, e.g. ``"trainA"``).

    Raises :class:`DataError` if ``name`` is unknown, not downloaded yet ("run `gancolor download
    NAME`"), or has no such split.
    """
    entry = _entry(_registry(registry), name)
    folder = _root(root) / entry.name
    if not _is_complete(folder):
        raise DataError(f"dataset {name} is not downloaded; run `{_download_hint(name, root)}`")
    if split is None:
        return folder
    if split not in entry.splits:
        have = ", ".join(entry.splits) or "none (use the whole folder)"
        raise DataError(f"dataset {name} has no split {split!r}; its splits: {have}")
    return folder / entry.splits[split]


def resolve_data(data: str, split: str | None = None, root: str | os.PathLike | None = None,
                 registry: str | os.PathLike | dict[str, DatasetEntry] | None = None) -> Path:
    """A ``--data`` value as a folder: a registered dataset name (see :func:`dataset_path`) or a path.

    A value without a path separator that names a registered dataset is that dataset (write
    ``./horse2zebra`` for a local folder of that name); anything else is returned as a path.
    """
    if "/" not in data and os.sep not in data and data in _registry(registry):
        return dataset_path(data, split=split, root=root, registry=registry)
    return Path(data)


@dataclass(frozen=True)
class DatasetStatus:
    """One registry entry as :func:`list_datasets` reports it."""

    entry: DatasetEntry
    path: Path
    downloaded: bool

    @property
    def name(self) -> str:
        return self.entry.name


def list_datasets(root: str | os.PathLike | None = None,
                  registry: str | os.PathLike | dict[str, DatasetEntry] | None = None) -> list[DatasetStatus]:
    """Every registered dataset (registry order), where it goes and whether it is downloaded."""
    base = _root(root)
    return [DatasetStatus(entry, base / entry.name, _is_complete(base / entry.name))
            for entry in _registry(registry).values()]


# ----------------------------------------------------------------------------------------------
# download()
# ----------------------------------------------------------------------------------------------

def download(name: str, root: str | os.PathLike | None = None, progress: bool = True, retries: int = 3,
             backoff: float = 1.0, max_bytes: int | None = None, *,
             registry: str | os.PathLike | dict[str, DatasetEntry] | None = None,
             keep_archive: bool = False, timeout: float = 60.0, deadline: float = DEFAULT_DEADLINE,
             min_rate: float = DEFAULT_MIN_RATE) -> Path:
    """Download, check and unpack the registered dataset ``name``; return its ready folder.

    The folder is ``<root>/<name>`` (``root`` defaults to :func:`cache_dir`); a folder that is
    already complete is returned at once, without touching the network. ``max_bytes`` refuses
    archives larger than that. The archive is deleted after unpacking unless ``keep_archive``.
    ``timeout``, ``deadline`` and ``min_rate`` bound the transfer (see :func:`fetch`).
    Raises :class:`DownloadError`, :class:`ChecksumError`, :class:`UnsafeArchiveError` or
    :class:`DataError` (all :class:`~gancolor.errors.UserError`) with a one-line message.
    """
    entry = _entry(_registry(registry), name)
    base = _root(root)
    target = base / entry.name
    if _is_complete(target):
        return target
    if target.exists():
        raise DataError(f"{target}: exists but is not a complete download (no {MARKER_NAME}); "
                        f"move or delete it, then run `{_download_hint(name, root)}` again")
    if max_bytes is not None and entry.size > max_bytes:
        raise DownloadError(f"{entry.urls[0]}: {name} is {entry.size:,} bytes, more than the limit of "
                            f"{max_bytes:,} bytes")
    check_writable_folder(base, "the download root")
    _check_free_space(base, entry)
    with _root_lock(base):
        if _is_complete(target):  # another process finished it while we waited
            return target
        return _download_locked(entry, base, target, progress=progress, retries=retries, backoff=backoff,
                                max_bytes=max_bytes, keep_archive=keep_archive, timeout=timeout,
                                deadline=deadline, min_rate=min_rate)


def _download_locked(entry: DatasetEntry, base: Path, target: Path, *, progress: bool, retries: int,
                     backoff: float, max_bytes: int | None, keep_archive: bool, timeout: float,
                     deadline: float, min_rate: float) -> Path:
    lock_file = base / LOCK_NAME
    recorded = _read_lock(lock_file).get(entry.name, {})
    if recorded.get("filename") != entry.filename:
        recorded = {}
    expected = entry.sha256 or recorded.get("sha256")
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
        _record_lock(lock_file, entry, seen)
        warnings.warn(UnverifiedDownloadWarning(
            f"{entry.name}: no published sha256 exists for {entry.filename}; trusting this first download "
            f"(sha256 {seen}) and recording it in {lock_file} -- later downloads must match it"),
            stacklevel=3)
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
            _build_torchvision(entry, archive, target, marker, limit, progress)
        else:
            safe_extract(archive, target, max_total_bytes=limit, root_folder=entry.extracts_to,
                         before_commit=lambda folder: _write_marker(folder, marker))
    except UnsafeArchiveError:
        archive.unlink(missing_ok=True)  # a hostile archive is not worth keeping
        raise
    if not keep_archive:
        archive.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            archive.parent.rmdir()  # only if empty
    return target


def _write_marker(folder: Path, marker: dict) -> None:
    atomic_write_json(folder / MARKER_NAME, marker, indent=2)


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


def _read_lock(lock_file: Path) -> dict[str, dict]:
    try:
        data = json.loads(lock_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise DataError(f"{lock_file}: unreadable checksum lock file ({error}); fix or delete it") from None
    datasets = data.get("datasets") if isinstance(data, dict) else None
    if not isinstance(datasets, dict):
        raise DataError(f"{lock_file}: not a gancolor checksum lock file; fix or delete it")
    return datasets


def _record_lock(lock_file: Path, entry: DatasetEntry, sha256: str) -> None:
    datasets = _read_lock(lock_file)
    datasets[entry.name] = {
        "filename": entry.filename,
        "size": entry.size,
        "sha256": sha256,
        "urls": list(entry.urls),
        "recorded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    body = {"about": "sha256 of downloads that have no published checksum, recorded on first use "
                     "(trust on first use); later downloads must match", "datasets": datasets}
    atomic_write_json(lock_file, body, indent=2, sort_keys=True)


# ----------------------------------------------------------------------------------------------
# torchvision layout: archive -> torchvision reader (md5 of every file) -> PNG folders
# ----------------------------------------------------------------------------------------------

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


def _build_torchvision(entry: DatasetEntry, archive: Path, target: Path, marker: dict, limit: int,
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
        _write_marker(out, marker)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _safe_component(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")
    return cleaned or "unknown"


# ----------------------------------------------------------------------------------------------
# fetch()
# ----------------------------------------------------------------------------------------------

@dataclass
class _Pace:
    """The time limits of one fetch: end by ``deadline_at`` (``time.monotonic``), and receive at
    least ``min_rate`` bytes/s in every ``window`` seconds of a transfer."""

    seconds: float
    deadline_at: float
    min_rate: float
    window: float
    window_start: float = 0.0
    window_bytes: int = 0

    @classmethod
    def start(cls, deadline: float, min_rate: float, window: float = RATE_WINDOW) -> _Pace:
        """Limits starting now; ``deadline`` and ``window`` in seconds, ``min_rate`` in bytes/s."""
        if not (deadline > 0 and window > 0 and min_rate >= 0):
            raise ValueError(f"need deadline > 0, window > 0, min_rate >= 0; got {deadline}, {window}, "
                             f"{min_rate}")
        return cls(seconds=deadline, deadline_at=time.monotonic() + deadline, min_rate=min_rate,
                   window=window)

    def read_timeout(self, timeout: float) -> float:
        """The per-read timeout: ``timeout``, but never past the deadline."""
        return max(0.1, min(timeout, self.deadline_at - time.monotonic()))

    def check_deadline(self, url: str) -> None:
        """Raise :class:`_MirrorFailed` once the deadline has passed."""
        if time.monotonic() > self.deadline_at:
            raise _MirrorFailed(f"{url}: not finished within the deadline of {self.seconds:g} s")

    def new_transfer(self) -> None:
        """Start measuring the rate of a new HTTP response."""
        self.window_start, self.window_bytes = time.monotonic(), 0

    def received(self, url: str, count: int) -> None:
        """Account for ``count`` bytes just read; raise :class:`_MirrorFailed` past the deadline or
        when the last window brought less than ``min_rate`` bytes/s."""
        self.check_deadline(url)
        self.window_bytes += count
        elapsed = time.monotonic() - self.window_start
        if elapsed >= self.window:
            rate = self.window_bytes / elapsed
            if rate < self.min_rate:
                raise _MirrorFailed(f"{url}: too slow ({rate:,.1f} bytes/s over {elapsed:.0f} s, the minimum "
                                    f"is {self.min_rate:,.0f} bytes/s)")
            self.new_transfer()


class _MirrorFailed(Exception):
    """This URL failed (404, retries used up); the next mirror may work."""


class _Retry(Exception):
    """A transfer problem worth another attempt."""


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(urls: str | Sequence[str], dest: str | os.PathLike, expected_size: int | None = None,
          sha256: str | None = None, *, progress: bool = True, retries: int = 3, backoff: float = 1.0,
          max_bytes: int | None = None, timeout: float = 60.0, deadline: float = DEFAULT_DEADLINE,
          min_rate: float = DEFAULT_MIN_RATE, rate_window: float = RATE_WINDOW,
          sleep: Callable[[float], None] | None = None) -> str:
    """Download ``urls`` (mirrors, tried in order) to ``dest``; return the sha256 of the result.

    Streams into ``<dest>.part`` with a tqdm progress bar and resumes a partial ``.part`` file with
    an HTTP Range request (starting over when the server ignores Range). Connection errors,
    timeouts, truncated transfers and 5xx / 408 / 429 answers are retried ``retries`` times with
    exponential backoff (``backoff``, ``2 * backoff`` ...); a retry that made progress is free.
    4xx answers (404 ...) move on to the next mirror. A server that reports or sends a size other
    than ``expected_size`` (or more than ``max_bytes``) is an error. A sha256 mismatch deletes the
    ``.part`` file and raises :class:`ChecksumError` naming the URL, the expected and the actual
    value. On success ``.part`` is renamed onto ``dest`` atomically. An existing ``dest`` with the
    right size and sha256 is not downloaded again. ``sleep`` (default :func:`time.sleep`) waits
    between retries.

    Time is bounded: ``timeout`` seconds per network read, ``deadline`` seconds for the whole
    fetch (every mirror and retry), and a server that sends less than ``min_rate`` bytes per
    second over any ``rate_window`` seconds (a trickle) is abandoned. Both end the mirror with a
    one-line :class:`DownloadError`; the partial download is kept for a later resume.
    """
    pace = _Pace.start(deadline, min_rate, rate_window)
    url_list = [urls] if isinstance(urls, str) else list(urls)
    sleep = sleep if sleep is not None else time.sleep  # looked up per call: tests can patch it
    if not url_list:
        raise ValueError("fetch needs at least one URL")
    dest = Path(dest)
    if max_bytes is not None and expected_size is not None and expected_size > max_bytes:
        raise DownloadError(f"{url_list[0]}: {expected_size:,} bytes is more than the limit of "
                            f"{max_bytes:,} bytes")
    caps = [c for c in (expected_size, max_bytes) if c is not None]
    cap = min(caps) if caps else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file():
        if expected_size is None or dest.stat().st_size == expected_size:
            got = file_sha256(dest)
            if sha256 is None or got == sha256:
                return got
        dest.unlink()  # stale or corrupt: fetch it again
    part = dest.with_name(dest.name + ".part")
    failures: list[str] = []
    for url in url_list:
        try:
            _fetch_from(url, part, expected_size, cap, progress=progress, retries=retries, backoff=backoff,
                        timeout=timeout, sleep=sleep, pace=pace)
        except _MirrorFailed as error:
            failures.append(str(error))
            continue
        got = file_sha256(part)
        if sha256 is not None and got != sha256:
            part.unlink(missing_ok=True)
            raise ChecksumError(f"{url}: sha256 mismatch: expected {sha256}, got {got} (download deleted)")
        os.replace(part, dest)
        return got
    kept = ""
    if part.is_file() and part.stat().st_size > 0:
        kept = f" (partial download kept in {part}; run again to resume)"
    raise DownloadError("; ".join(failures) + kept)


def _fetch_from(url: str, part: Path, expected_size: int | None, cap: int | None, *, progress: bool,
                retries: int, backoff: float, timeout: float, sleep: Callable[[float], None],
                pace: _Pace) -> None:
    """Fill ``part`` from ``url``, resuming and retrying; raise :class:`_MirrorFailed` when giving up."""
    failures = 0
    attempts = 0
    while True:
        attempts += 1
        offset = part.stat().st_size if part.is_file() else 0
        if expected_size is not None and offset > expected_size:
            part.unlink()
            offset = 0
        if expected_size is not None and offset == expected_size and offset > 0:
            return  # a complete .part from an earlier run: only the checksum is left to do
        try:
            pace.check_deadline(url)
            _transfer(url, part, offset, expected_size, cap, progress=progress,
                      timeout=pace.read_timeout(timeout), pace=pace)
            size = part.stat().st_size if part.is_file() else 0
            if expected_size is None or size == expected_size:
                return
            raise _Retry(f"transfer ended after {size:,} of {expected_size:,} bytes")
        except urllib.error.HTTPError as error:
            if error.code == 416 and offset > 0:  # our Range is past the server's file: start over
                part.unlink(missing_ok=True)
                reason = "HTTP 416 Range Not Satisfiable"
            elif error.code >= 500 or error.code in _RETRY_CODES:
                reason = f"HTTP {error.code} {error.reason}"
            else:
                raise _MirrorFailed(f"{url}: HTTP {error.code} {error.reason}") from None
        except _Retry as error:
            reason = str(error)
        except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets, IncompleteRead
            reason = _describe(error)
        progressed = (part.stat().st_size if part.is_file() else 0) > offset
        if not progressed:
            failures += 1
        if failures > retries or attempts > retries + 100:
            raise _MirrorFailed(f"{url}: {reason} (gave up after {retries} retries)")
        if not progressed:
            sleep(backoff * 2 ** (failures - 1))


def _describe(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return f"cannot connect ({error.reason})"
    if isinstance(error, http.client.IncompleteRead):
        return "connection closed before the end of the file"
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}".rstrip(": ")


def _transfer(url: str, part: Path, offset: int, expected_size: int | None, cap: int | None, *,
              progress: bool, timeout: float, pace: _Pace) -> None:
    """One HTTP request: append to ``part`` from ``offset`` (or rewrite it when Range is ignored)."""
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = response.status
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.isdigit() else None
        total: int | None
        if offset > 0 and status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != offset:
                part.unlink(missing_ok=True)
                raise _Retry("server answered a different byte range; starting over")
            total = int(match.group(3)) if match.group(3) != "*" else None
            mode = "ab"
        elif status == 200:
            if offset > 0 and progress:
                tqdm.write(f"{url}: server ignored the Range request; starting over", file=sys.stderr)
            offset = 0
            total = length
            mode = "wb"
        else:
            raise _Retry(f"unexpected HTTP status {status}")
        if expected_size is not None and total is not None and total != expected_size:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: server reports {total:,} bytes, expected {expected_size:,}; "
                                "the file changed upstream or the URL is wrong")
        if cap is not None and total is not None and total > cap:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{url}: server reports {total:,} bytes, more than the limit of "
                                f"{cap:,} bytes")
        bar = tqdm(total=expected_size or total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=part.name.removesuffix(".part"), disable=not progress, leave=False)
        pace.new_transfer()
        with bar, open(part, mode) as out:
            written = offset
            while True:
                chunk = response.read1(_CHUNK)  # whatever has arrived: a trickle cannot block us
                pace.received(url, len(chunk))
                if not chunk:
                    break
                written += len(chunk)
                if cap is not None and written > cap:
                    out.close()
                    part.unlink(missing_ok=True)
                    raise DownloadError(f"{url}: server sent more than {cap:,} bytes; "
                                        "download stopped and deleted")
                out.write(chunk)
                bar.update(len(chunk))


# ----------------------------------------------------------------------------------------------
# safe_extract()
# ----------------------------------------------------------------------------------------------

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


def _member_parts(archive: Path, name: str) -> tuple[str, ...]:
    """Split a member name into safe path components, or refuse the archive."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise _refuse(archive, f"member {name!r} has an absolute path")
    parts = tuple(p for p in re.split(r"[/\\]", name) if p not in ("", "."))
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
    base = PurePosixPath(*_member_parts_loose(name)).parent
    outside = link.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", link)) or _escapes(base, link)
    where = " outside the folder" if outside else ""
    return _refuse(archive, f"member {name!r} is a {kind} to {link!r}{where} (links are not extracted)")


def _member_parts_loose(name: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[/\\]", name) if p not in ("", "."))


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
                block = source.read(min(_CHUNK * 16, max(remaining, 1)))
                if not block:
                    break
                remaining -= len(block)
                written += len(block)
                if remaining < 0 or (max_total_bytes is not None and written > max_total_bytes):
                    shown = "/".join(member.parts)
                    raise _refuse(archive, f"member {shown!r} is larger than its header says")
                out.write(block)
