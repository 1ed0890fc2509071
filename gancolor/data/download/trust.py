"""Trust on first use: registry entries without a published sha256 record the sha256 of their first
download in ``<root>/checksums.lock.json``; every later download of that dataset must match it."""

from __future__ import annotations

import datetime as _dt
import json
import warnings
from pathlib import Path

from gancolor.data.registry import DatasetEntry
from gancolor.errors import DataError
from gancolor.io_utils import atomic_write_json

__all__ = ["LOCK_NAME", "UnverifiedDownloadWarning", "recorded_sha256", "trust_first_download"]

#: The trust-on-first-use record, in the download root.
LOCK_NAME = "checksums.lock.json"


class UnverifiedDownloadWarning(UserWarning):
    """A download with no published checksum, trusted on first use and recorded in the lock file."""


def _read_lock(lock_file: Path) -> dict[str, dict]:
    """The lock file's records by dataset name ({} when there is no lock file yet)."""
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
    """Add (or replace) the record of ``entry`` in the lock file, written atomically."""
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


def recorded_sha256(lock_file: Path, entry: DatasetEntry) -> str | None:
    """The sha256 recorded in ``lock_file`` on the first download of ``entry``'s file, or None (never
    downloaded, or the registry now names another file)."""
    recorded = _read_lock(lock_file).get(entry.name, {})
    return recorded.get("sha256") if recorded.get("filename") == entry.filename else None


def trust_first_download(lock_file: Path, entry: DatasetEntry, sha256: str) -> None:
    """Record ``sha256`` as the value later downloads of ``entry`` must match, and warn (an
    :class:`UnverifiedDownloadWarning` pointing at the caller of :func:`gancolor.data.download.download`)
    that nothing published vouches for it."""
    _record_lock(lock_file, entry, sha256)
    warnings.warn(UnverifiedDownloadWarning(
        f"{entry.name}: no published sha256 exists for {entry.filename}; trusting this first download "
        f"(sha256 {sha256}) and recording it in {lock_file} -- later downloads must match it"),
        stacklevel=4)
