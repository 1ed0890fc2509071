"""Helpers shared by several test modules: test photos, and the bad-file checks of the loaders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from gancolor.color import lab_to_rgb
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


# -- small test videos --------------------------------------------------------------------------

VIDEO_WIDTH, VIDEO_HEIGHT, VIDEO_FRAMES = 96, 64, 12


def moving_square_frames(n: int = VIDEO_FRAMES) -> list[np.ndarray]:
    """A gray-blue gradient with a bright square moving 3 px per frame: (H, W, 3) uint8 frames."""
    base = np.zeros((VIDEO_HEIGHT, VIDEO_WIDTH, 3), np.uint8)
    base[..., 0] = np.linspace(40, 200, VIDEO_WIDTH, dtype=np.uint8)[None]
    base[..., 1] = 120
    base[..., 2] = np.linspace(200, 60, VIDEO_HEIGHT, dtype=np.uint8)[:, None]
    frames = []
    for t in range(n):
        frame = base.copy()
        frame[20:36, 3 * t: 3 * t + 16] = (230, 60, 40)
        frames.append(frame)
    return frames


def write_test_video(path: Path, fps: Fraction = Fraction(24), audio: bool = False) -> Path:
    """Write :func:`moving_square_frames` as an H.264 MP4 (with an AAC tone if ``audio``) or a GIF,
    with PyAV directly (independent of gancolor's writer)."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264" if path.suffix == ".mp4" else "gif", rate=fps)
        video.width, video.height = VIDEO_WIDTH, VIDEO_HEIGHT
        video.pix_fmt = "yuv420p" if path.suffix == ".mp4" else "rgb8"
        sound = out.add_stream("aac", rate=16000) if audio else None
        for i, rgb in enumerate(moving_square_frames()):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            frame.time_base = 1 / fps
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            samples = (np.sin(np.arange(8000) / 5.0) * 8000).astype(np.int16)[None]
            tone = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            tone.sample_rate = 16000
            tone.pts = 0
            out.mux(sound.encode(tone))
            out.mux(sound.encode(None))
    return path


# -- exemplar colorization ---------------------------------------------------------------------

def lab_photo(L: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:  # noqa: N803
    """(H, W, 3) uint8 of the Lab planes (H, W)."""
    lab = torch.from_numpy(np.stack([L, a, b]).astype(np.float64))
    return (lab_to_rgb(lab) * 255).round().byte().permute(1, 2, 0).numpy()


def two_tone_photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A photo whose colour follows lightness and texture: dark, textured blue on the left half and
    bright, flat red on the right ((H, W, 3) uint8): exemplar colorization's test scene."""
    rng = np.random.default_rng(seed)
    L = np.where(np.arange(width)[None] < width // 2, 30 + rng.normal(0, 6, (height, width)), 75.0)  # noqa: N806
    a = np.where(np.arange(width)[None] < width // 2, 10.0, 60.0) * np.ones((height, 1))
    b = np.where(np.arange(width)[None] < width // 2, -50.0, 40.0) * np.ones((height, 1))
    return lab_photo(np.clip(L, 0, 100), a, b)
