"""The list of datasets ``gancolor download`` knows: where they live, how big they are, their checksums.

The list is ``gancolor/data/registry.json`` (package data). Each entry names one archive (one or
more mirror URLs), its size in bytes, its sha256 (``null`` = not published: trust on first use, see
:mod:`gancolor.data.download`), its licence and citation, and its *layout*:

- ``"image-folder"``: a folder of photos (``load_image_folder`` reads it recursively);
- ``"cyclegan"``: ``trainA``/``trainB``/``testA``/``testB`` folders of two unpaired domains;
- ``"torchvision"``: fetched as the archive that ``torchvision.datasets.<class>`` expects, read by
  torchvision (which checks its own md5s) and exported once to ``train/<class>/*.png`` and
  ``test/<class>/*.png``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gancolor.errors import DataError
from gancolor.runtime import package_root

__all__ = [
    "LAYOUTS", "REQUIRED_FIELDS", "OPTIONAL_FIELDS", "DatasetEntry",
    "default_registry_path", "load_registry", "parse_registry",
]

#: The layouts a registry entry may have.
LAYOUTS: frozenset[str] = frozenset({"image-folder", "cyclegan", "torchvision"})

#: Fields every entry must have.
REQUIRED_FIELDS: tuple[str, ...] = (
    "name", "description", "layout", "urls", "filename", "size", "sha256",
    "extracts_to", "splits", "licence", "citation", "source",
)

#: Fields an entry may have.
OPTIONAL_FIELDS: tuple[str, ...] = (
    "md5", "checksum_source", "torchvision_class", "max_extracted_bytes", "notes",
)

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


@dataclass(frozen=True)
class DatasetEntry:
    """One downloadable dataset (see the module docstring for the fields' meaning)."""

    name: str
    description: str
    layout: str
    urls: tuple[str, ...]
    filename: str
    size: int
    sha256: str | None
    extracts_to: str
    splits: dict[str, str]
    licence: str
    citation: str
    source: str
    md5: str | None = None
    checksum_source: str | None = None
    torchvision_class: str | None = None
    max_extracted_bytes: int | None = None
    notes: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def verified(self) -> bool:
        """True when the registry holds a published sha256 (False: trust on first use)."""
        return self.sha256 is not None


def default_registry_path() -> Path:
    """``gancolor/data/registry.json``: package data, so an installed gancolor (e.g. in Colab) has it."""
    return package_root() / "data" / "registry.json"


def load_registry(path: str | os.PathLike | None = None) -> dict[str, DatasetEntry]:
    """The registry at ``path`` (default :func:`default_registry_path`) as ``{name: entry}``.

    Raises :class:`DataError` naming the file if it is missing, not JSON, or has a bad entry.
    """
    registry_file = Path(path) if path is not None else default_registry_path()
    try:
        text = registry_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{registry_file}: dataset registry not found") from None
    except OSError as error:
        raise DataError(f"{registry_file}: cannot read the dataset registry ({error.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{registry_file}: not valid JSON (line {error.lineno}: {error.msg})") from None
    return parse_registry(data, origin=str(registry_file))


def parse_registry(data: object, origin: str = "registry") -> dict[str, DatasetEntry]:
    """Check the decoded registry JSON ``data`` and build ``{name: entry}`` (in file order)."""
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        raise DataError(f"{origin}: expected an object with a 'datasets' list")
    entries: dict[str, DatasetEntry] = {}
    for index, raw in enumerate(data["datasets"]):
        entry = _parse_entry(raw, f"{origin}: datasets[{index}]")
        if entry.name in entries:
            raise DataError(f"{origin}: dataset name {entry.name!r} appears twice")
        entries[entry.name] = entry
    return entries


def _parse_entry(raw: object, where: str) -> DatasetEntry:
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected an object")
    missing = [key for key in REQUIRED_FIELDS if key not in raw]
    if missing:
        raise DataError(f"{where}: missing field(s) {', '.join(missing)}")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise DataError(f"{where}: name must be lower-case letters, digits and '_'; got {name!r}")
    where = f"{where} ({name})"
    for key in ("description", "licence", "citation", "source", "filename", "extracts_to"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise DataError(f"{where}: {key} must be a non-empty string")
    if raw["layout"] not in LAYOUTS:
        raise DataError(f"{where}: layout must be one of {', '.join(sorted(LAYOUTS))}; got {raw['layout']!r}")
    urls = raw["urls"]
    if (not isinstance(urls, list) or not urls
            or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls)):
        raise DataError(f"{where}: urls must be a non-empty list of http(s) URLs")
    size = raw["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise DataError(f"{where}: size must be a positive number of bytes")
    sha256 = raw["sha256"]
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256_RE.match(sha256)):
        raise DataError(f"{where}: sha256 must be 64 lower-case hex digits or null")
    md5 = raw.get("md5")
    if md5 is not None and not (isinstance(md5, str) and _MD5_RE.match(md5)):
        raise DataError(f"{where}: md5 must be 32 lower-case hex digits or null")
    filename = raw["filename"]
    if ("/" in filename or "\\" in filename or filename.startswith(".")
            or not filename.endswith(_ARCHIVE_SUFFIXES)):
        raise DataError(f"{where}: filename must be a plain archive name ({' '.join(_ARCHIVE_SUFFIXES)})")
    _check_relative(raw["extracts_to"], f"{where}: extracts_to")
    splits = raw["splits"]
    if not isinstance(splits, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in splits.items()):
        raise DataError(f"{where}: splits must map split names to sub-folders")
    for split, folder in splits.items():
        _check_relative(folder, f"{where}: splits[{split!r}]")
    if raw["layout"] == "cyclegan" and set(splits) != {"trainA", "trainB", "testA", "testB"}:
        raise DataError(f"{where}: a cyclegan dataset needs exactly the splits trainA, trainB, testA, testB")
    torchvision_class = raw.get("torchvision_class")
    if raw["layout"] == "torchvision" and not isinstance(torchvision_class, str):
        raise DataError(f"{where}: a torchvision dataset needs torchvision_class")
    max_extracted = raw.get("max_extracted_bytes")
    if max_extracted is not None and (not isinstance(max_extracted, int) or max_extracted <= 0):
        raise DataError(f"{where}: max_extracted_bytes must be a positive integer")
    known = set(REQUIRED_FIELDS) | set(OPTIONAL_FIELDS)
    return DatasetEntry(
        name=name, description=raw["description"], layout=raw["layout"], urls=tuple(urls),
        filename=filename, size=size, sha256=sha256, extracts_to=raw["extracts_to"],
        splits=dict(splits), licence=raw["licence"], citation=raw["citation"], source=raw["source"],
        md5=md5, checksum_source=raw.get("checksum_source"), torchvision_class=torchvision_class,
        max_extracted_bytes=max_extracted, notes=raw.get("notes"),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _check_relative(value: object, where: str) -> None:
    """``value`` must be a relative POSIX path without ``..`` (``"."`` allowed)."""
    if not isinstance(value, str) or not value or "\\" in value:
        raise DataError(f"{where}: must be a relative folder path")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts:
        raise DataError(f"{where}: must be a relative folder path without '..'; got {value!r}")
