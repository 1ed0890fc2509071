"""``gancolor download inception``: fetch pytorch-fid's Inception weights where FID looks for them.

The file is the one pytorch-fid itself downloads (:data:`gancolor.metrics.fid.INCEPTION_WEIGHTS_URL`),
checked against its published sha256 and size, and written (resumably, atomically) to the path
:func:`gancolor.metrics.fid.inception_weights_path` reads: ``$GANCOLOR_INCEPTION_WEIGHTS`` when set,
else pytorch-fid's own cache ``torch.hub.get_dir()/checkpoints/``. Nothing else in the package
ever downloads it; without a network the download fails with one line and FID keeps saying
where to put the file.

Where the checksum comes from: no copy of the file was on the machine this was written on, so it
is the sha256 published with the same URL by other projects that verify the download (e.g.
genforce's ``metrics/inception.py``); its first eight digits are the ``6726825d`` that the file
name carries, by torch.hub's naming convention (``<name>-<first digits of the sha256>.pth``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gancolor.metrics.fid import (
    INCEPTION_WEIGHTS_ENV,
    INCEPTION_WEIGHTS_FILENAME,
    INCEPTION_WEIGHTS_URL,
    hub_weights_path,
)

__all__ = ["WeightsFile", "INCEPTION", "inception_download_path", "download_inception_weights"]


@dataclass(frozen=True)
class WeightsFile:
    """A pretrained weights file to download: its mirrors, sha256 and size in bytes."""

    filename: str
    urls: tuple[str, ...]
    sha256: str
    size: int
    description: str


#: pytorch-fid's port of the TensorFlow FID Inception-v3 (2015-12-05) weights.
INCEPTION = WeightsFile(
    filename=INCEPTION_WEIGHTS_FILENAME,
    urls=(INCEPTION_WEIGHTS_URL,),
    sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2",
    size=95_628_359,
    description="pytorch-fid's Inception-v3 weights, for FID and KID (gancolor evaluate, notebook 05)",
)


def inception_download_path() -> Path:
    """Where the weights go: ``$GANCOLOR_INCEPTION_WEIGHTS`` if set, else pytorch-fid's cache path."""
    from_env = os.environ.get(INCEPTION_WEIGHTS_ENV)
    return Path(from_env).expanduser() if from_env else hub_weights_path()


def _complete(path: Path, weights: WeightsFile) -> bool:
    """Whether ``path`` already holds the right file (size, then sha256)."""
    from gancolor.data.download.fetching import file_sha256

    return path.is_file() and path.stat().st_size == weights.size and file_sha256(path) == weights.sha256


def download_inception_weights(
    progress: bool = True, weights: WeightsFile | None = None,
    on_start: Callable[[WeightsFile, Path], None] | None = None,
) -> tuple[Path, bool]:
    """Fetch ``weights`` (default :data:`INCEPTION`) to :func:`inception_download_path`.

    Returns ``(path, downloaded)``: ``downloaded`` is False when the right file was already
    there. ``on_start(weights, path)``, if given, is called just before a download starts.
    Raises :class:`gancolor.data.download.DownloadError` (one line: network, HTTP, size) or its
    :class:`~gancolor.data.download.ChecksumError` (nothing is left at ``path``); a partial
    download is kept next to it and resumed by the next call.
    """
    from gancolor.data.download.fetching import fetch

    weights = INCEPTION if weights is None else weights
    path = inception_download_path()
    if _complete(path, weights):
        return path, False
    if on_start is not None:
        on_start(weights, path)
    fetch(list(weights.urls), path, expected_size=weights.size, sha256=weights.sha256, progress=progress)
    return path, True
