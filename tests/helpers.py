"""Helpers shared by several test modules: test photos, and the bad-file checks of the loaders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pytest
import torch

from gancolor.errors import CheckpointError


def smooth_photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth colour test image (H, W, 3) uint8 with structure, so orientation is visible, and noise."""
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    r = (255 * x / max(1, width - 1)).astype(np.uint8)
    g = (255 * y / max(1, height - 1)).astype(np.uint8)
    b = rng.integers(0, 256, (height, width), dtype=np.uint8) // 4 + 100
    return np.stack([r, g, b], axis=-1)


def expect_one_line_errors(folder: Path, cases: Mapping[str, tuple[object, str]],
                           load: Callable[[Path], object]) -> None:
    """Each bad file of ``cases`` makes ``load`` raise a one-line CheckpointError "<path>: ... reason ...".

    ``cases`` maps a file name in ``folder`` to (content, reason): content None (no file), bytes
    (written as they are) or an object (``torch.save``-d).
    """
    for name, (content, reason) in cases.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            torch.save(content, path)
        with pytest.raises(CheckpointError) as info:
            load(path)
        message = str(info.value)
        assert message.startswith(f"{path}: ") and reason in message and "\n" not in message, message
