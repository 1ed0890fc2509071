"""Verified dataset downloads: ``gancolor download NAME`` and ``--data NAME``, one module per job.

- :func:`download` (:mod:`~gancolor.data.download.dataset`) -- fetch, check and unpack one dataset
  of ``gancolor/data/registry.json`` into ``<root>/<name>/`` (``root`` defaults to
  :func:`gancolor.runtime.cache_dir`); returns that folder.
- :func:`dataset_path` (:mod:`~gancolor.data.download.folders`) -- the folder (or one split of it)
  of a downloaded dataset, else a one-line :class:`DataError` saying which command downloads it;
  :func:`resolve_data` does the same for a ``--data`` value that may also be a plain folder;
  :func:`list_datasets` -- every registered dataset and whether it is downloaded.
- :func:`fetch` (:mod:`~gancolor.data.download.fetching`) -- one file over HTTP(S): streamed to
  ``<dest>.part``, resumed with HTTP Range, retried with exponential backoff on connection errors
  and 5xx answers, checked against its size and sha256, then renamed into place.
- :func:`safe_extract` (:mod:`~gancolor.data.download.extracting`) -- unpack a zip or tar(.gz)
  archive after checking every member: no absolute paths, no ``..``, no links or device files, a
  limit on the unpacked size and on the compression ratio. Everything is unpacked into a temporary
  folder next to the target and renamed at the end, so a refused or failed extraction leaves
  nothing behind.
- :mod:`~gancolor.data.download.torchvision_layout` -- datasets torchvision reads, exported as PNG
  folders.

A dataset folder is complete when its marker file (``.gancolor-download.json``) exists; the marker
is written inside the temporary folder just before the final rename, so a folder with a marker is
always complete and a complete download is never fetched again.

Registry entries without a published sha256 are *trusted on first use*
(:mod:`~gancolor.data.download.trust`): the first download prints an
:class:`UnverifiedDownloadWarning` and records the sha256 it saw in ``<root>/checksums.lock.json``;
every later download of that dataset (e.g. on a fresh ``--root`` sharing the lock file, or after
deleting the folder) must match the recorded value. Which datasets exist is
:mod:`gancolor.data.registry`.
"""

from gancolor.data.download.dataset import DOWNLOADS_DIR, download
from gancolor.data.download.extracting import UnsafeArchiveError, safe_extract
from gancolor.data.download.fetching import (
    DEFAULT_DEADLINE,
    DEFAULT_MIN_RATE,
    RATE_WINDOW,
    ChecksumError,
    DownloadError,
    fetch,
    file_sha256,
)
from gancolor.data.download.folders import (
    MARKER_NAME,
    DatasetStatus,
    dataset_path,
    list_datasets,
    read_marker,
    resolve_data,
)
from gancolor.data.download.torchvision_layout import TORCHVISION_READERS
from gancolor.data.download.trust import LOCK_NAME, UnverifiedDownloadWarning
from gancolor.errors import DataError

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
    # the limits and the torchvision readers, and the base of the errors above
    "DOWNLOADS_DIR",
    "DEFAULT_DEADLINE",
    "DEFAULT_MIN_RATE",
    "RATE_WINDOW",
    "TORCHVISION_READERS",
    "DataError",
]
