"""``gancolor download NAME... [--list] [--root DIR]``: download public datasets (gancolor.data.download)
and, as ``gancolor download inception``, the FID Inception weights (gancolor.metrics.inception_download)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gancolor.errors import DataError

if TYPE_CHECKING:
    from gancolor.data.registry import DatasetEntry

__all__ = ["add_parser", "run", "download_command", "format_size", "WEIGHTS"]

#: The names ``gancolor download`` knows besides the datasets: pretrained weights files.
WEIGHTS = ("inception",)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor download`` to ``subparsers``; returns its parser."""
    download = subparsers.add_parser(
        "download", help="download a public dataset or the FID Inception weights (sha256-checked, resumable)")
    download.add_argument("names", nargs="*", metavar="NAME",
                          help="dataset name(s), or inception (pytorch-fid's weights, for FID); see --list")
    download.add_argument("--list", action="store_true",
                          help="list the datasets and weights, and which are downloaded")
    download.add_argument("--root", default=None,
                          help="where datasets go (default: the gancolor cache); the Inception weights go "
                               "where FID looks for them")
    return download


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor download`` as parsed by :func:`add_parser`; returns the exit status."""
    return download_command(args.names, root=args.root, list_only=args.list)


def format_size(size: int) -> str:
    """Bytes as a short human size: ``116.9 MB``."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _checksum_label(entry: DatasetEntry) -> str:
    return "sha256 published" if entry.verified else "no published sha256: trust on first use"


def download_command(names: Sequence[str], root: str | os.PathLike | None = None, list_only: bool = False,
                     *, progress: bool = True,
                     registry: str | os.PathLike | dict[str, DatasetEntry] | None = None) -> int:
    """Download the datasets ``names`` (or, with ``list_only``, list every dataset); return 0.

    Prints one line per dataset: its folder, size and whether its checksum was published
    (verified) or trusted on first use. Unknown names are rejected before anything is
    downloaded. Problems raise :class:`~gancolor.errors.UserError` subclasses with one-line messages.
    """
    from gancolor.data.download import UnverifiedDownloadWarning, download, list_datasets, read_marker
    from gancolor.data.download.folders import registry_entries

    entries = registry_entries(registry)
    if list_only:
        _print_list(root, entries)
        return 0
    if not names:
        raise DataError("name a dataset to download (e.g. `gancolor download horse2zebra`) or `inception` "
                        "(the FID weights), or list them with `gancolor download --list`")
    unknown = [name for name in names if name not in entries and name not in WEIGHTS]
    if unknown:
        raise DataError(f"unknown dataset(s) {', '.join(unknown)}; known datasets: {', '.join(entries)}; "
                        f"weights: {', '.join(WEIGHTS)}")
    statuses = {status.name: status for status in list_datasets(root, registry=entries)}
    for name in dict.fromkeys(names):  # each once, in the order given
        if name == "inception":
            _download_inception(progress)
            continue
        entry = entries[name]
        if statuses[name].downloaded:
            path = download(name, root=root, registry=entries)  # returns at once: nothing is fetched
            print(f"{name}: already downloaded in {path}")
            continue
        size = format_size(entry.size)
        print(f"{name}: downloading {size} from {entry.urls[0]} ({_checksum_label(entry)})")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnverifiedDownloadWarning)
            path = download(name, root=root, progress=progress, registry=entries)
        for warning in caught:
            if issubclass(warning.category, UnverifiedDownloadWarning):
                print(f"gancolor: warning: {warning.message}", file=sys.stderr)
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        marker = read_marker(path) or {}
        how = ("sha256 verified" if entry.verified
               else "sha256 NOT verified: trusted on first use and recorded")
        print(f"{name}: ready in {path} ({size} archive, {how}: {marker.get('sha256', '?')})")
        _print_splits(entry, path)
    return 0


def _download_inception(progress: bool) -> None:
    """``gancolor download inception``: pytorch-fid's weights, where FID looks for them."""
    from gancolor.metrics.inception_download import download_inception_weights

    def starting(weights, path) -> None:
        print(f"inception: downloading {format_size(weights.size)} from {weights.urls[0]} (sha256 published) "
              f"to {path}")

    path, downloaded = download_inception_weights(progress=progress, on_start=starting)
    if not downloaded:
        print(f"inception: already downloaded in {path}")
        return
    print(f"inception: ready in {path} (sha256 verified); FID and KID can run "
          "(gancolor evaluate, notebook 05)")


def _print_splits(entry: DatasetEntry, path: os.PathLike) -> None:
    if entry.splits:
        parts = ", ".join(f"{split}={folder}/" for split, folder in entry.splits.items())
        print(f"  layout {entry.layout}: {parts}")
    else:
        print(f"  layout {entry.layout}: one folder of images")
    print(f"  licence: {entry.licence}")
    print(f"  please cite: {entry.citation}")


def _print_list(root: str | os.PathLike | None, entries: dict[str, DatasetEntry]) -> None:
    from gancolor.data.download import list_datasets

    statuses = list_datasets(root, registry=entries)
    width = max(len(name) for name in [*(status.name for status in statuses), *WEIGHTS])
    print(f"{'name':<{width}}  {'layout':<12}  {'size':>9}  {'checksum':<8}  status")
    for status in statuses:
        entry = status.entry
        state = f"downloaded: {status.path}" if status.downloaded else "not downloaded"
        checksum = "sha256" if entry.verified else "TOFU"
        size = format_size(entry.size)
        print(f"{entry.name:<{width}}  {entry.layout:<12}  {size:>9}  {checksum:<8}  {state}")
        print(f"{'':<{width}}  {entry.description}")
    _print_inception(width)
    print("download with `gancolor download NAME`; sha256 = checked against a published checksum, "
          "TOFU = trusted on first use")


def _print_inception(width: int) -> None:
    """The ``--list`` line of the Inception weights (a file, not a dataset: no layout)."""
    from gancolor.metrics.inception_download import INCEPTION, inception_download_path

    path = inception_download_path()
    state = f"downloaded: {path}" if path.is_file() else "not downloaded"
    size = format_size(INCEPTION.size)
    print(f"{'inception':<{width}}  {'weights':<12}  {size:>9}  {'sha256':<8}  {state}")
    print(f"{'':<{width}}  {INCEPTION.description}")
