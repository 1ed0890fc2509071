"""Where downloaded datasets live: ``<root>/<name>/``, complete once its marker file exists;
:func:`dataset_path` and :func:`resolve_data` find them, :func:`list_datasets` lists them (no network)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from gancolor.data.registry import DatasetEntry, load_registry
from gancolor.errors import DataError
from gancolor.io_utils import atomic_write_json
from gancolor.runtime import cache_dir

__all__ = ["MARKER_NAME", "DatasetStatus", "dataset_path", "resolve_data", "list_datasets", "read_marker",
           "write_marker", "is_complete", "registry_entries", "registry_entry", "download_root",
           "download_hint"]

#: The file that marks a dataset folder as complete (written last, inside the temporary folder).
MARKER_NAME = ".gancolor-download.json"


def registry_entries(registry: str | os.PathLike | dict[str, DatasetEntry] | None) -> dict[str, DatasetEntry]:
    """The datasets by name: ``registry`` itself when it is a dict, else the registry file it names
    (None: the package's :func:`~gancolor.data.registry.default_registry_path`)."""
    if isinstance(registry, dict):
        return registry
    return load_registry(registry)


def registry_entry(entries: dict[str, DatasetEntry], name: str) -> DatasetEntry:
    """The entry ``name`` of ``entries``; a one-line :class:`DataError` listing the known names if none."""
    if name not in entries:
        raise DataError(f"unknown dataset {name!r}; known datasets: {', '.join(entries)} "
                        "(`gancolor download --list`)")
    return entries[name]


def download_root(root: str | os.PathLike | None) -> Path:
    """Where datasets go: ``root``, or by default :func:`gancolor.runtime.cache_dir`."""
    return Path(root) if root is not None else cache_dir()


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of a complete dataset folder (what was downloaded, sha256, verified or not), or None."""
    try:
        return json.loads((Path(folder) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(folder: Path) -> bool:
    """Whether ``folder`` is a complete download (its marker exists)."""
    return (folder / MARKER_NAME).is_file()


def download_hint(name: str, root: str | os.PathLike | None) -> str:
    """The command that downloads ``name`` into ``root``, for error messages."""
    return f"gancolor download {name}" + (f" --root {root}" if root is not None else "")


def dataset_path(name: str, split: str | None = None, root: str | os.PathLike | None = None,
                 registry: str | os.PathLike | dict[str, DatasetEntry] | None = None) -> Path:
    """The folder of the downloaded dataset ``name`` (or of its ``split``, e.g. ``"trainA"``).

    Raises :class:`DataError` if ``name`` is unknown, not downloaded yet ("run `gancolor download
    NAME`"), or has no such split.
    """
    entry = registry_entry(registry_entries(registry), name)
    folder = download_root(root) / entry.name
    if not is_complete(folder):
        raise DataError(f"dataset {name} is not downloaded; run `{download_hint(name, root)}`")
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
    if "/" not in data and os.sep not in data and data in registry_entries(registry):
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
    base = download_root(root)
    return [DatasetStatus(entry, base / entry.name, is_complete(base / entry.name))
            for entry in registry_entries(registry).values()]


def write_marker(folder: Path, marker: dict) -> None:
    """Write ``marker`` (what was downloaded: name, sha256, urls ...) as the marker of ``folder``."""
    atomic_write_json(folder / MARKER_NAME, marker, indent=2)
