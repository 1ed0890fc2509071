"""Video files: read and write MP4 / GIF frame by frame, colorize them, one-line errors (issue 13)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers import VIDEO_FRAMES as N  # noqa: N814
from helpers import VIDEO_HEIGHT as H  # noqa: N814
from helpers import VIDEO_WIDTH as W  # noqa: N814
from helpers import moving_square_frames as _frames
from helpers import write_test_video as _write

from gancolor.errors import UserError, VideoReadError
from gancolor.inference import load_colorizer
from gancolor.video.colorize_file import colorize_video, output_path
from gancolor.video.io import VideoReader, VideoWriter, probe_video


@pytest.fixture(scope="module")
def colorizer():
    return load_colorizer(inference_size=64)


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_writer_and_reader_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"clip{suffix}"
    with VideoWriter(path, W, H, Fraction(25)) as writer:
        for rgb in _frames():
            writer.write(rgb)
    info = probe_video(path)
    assert (info.width, info.height) == (W, H) and info.fps == 25
    frames = list(VideoReader(path))
    assert len(frames) == N and frames[0].shape == (H, W, 3)
    # H.264 at crf 18 is close; GIF frames use the fixed 3-3-2 colour palette (256 colours)
    assert np.abs(frames[5].astype(int) - _frames()[5]).mean() < (4 if suffix == ".mp4" else 25)


@pytest.mark.parametrize("temporal", ["none", "smoothing"])
def test_colorize_video_keeps_size_rate_count_and_audio(tmp_path: Path, colorizer, temporal: str) -> None:
    source = _write(tmp_path / "film.mp4", Fraction(30000, 1001), audio=True)
    out = output_path(source, tmp_path / "out")
    assert out == tmp_path / "out" / "film.mp4"
    result = colorize_video(source, out, colorizer, temporal, progress=False)
    assert result["frames"] == N
    info = probe_video(out)
    assert (info.width, info.height, info.fps, info.audio) == (W, H, Fraction(30000, 1001), True)
    assert len(list(VideoReader(out))) == N


def test_gif_in_gif_out_and_png_frames(tmp_path: Path, colorizer) -> None:
    source = _write(tmp_path / "anim.gif", Fraction(10))
    out = output_path(source, tmp_path / "out")
    assert out.suffix == ".gif"
    colorize_video(source, out, colorizer, "smoothing", progress=False)
    assert len(list(VideoReader(out))) == N
    folder = output_path(source, tmp_path / "out", frames=True)
    colorize_video(source, folder, colorizer, "none", frames=True, progress=False)
    assert sorted(p.name for p in folder.iterdir())[:2] == ["000001.png", "000002.png"]
    assert len(list(folder.iterdir())) == N


def test_bad_videos_give_one_line_errors(tmp_path: Path, colorizer) -> None:
    missing = tmp_path / "missing.mp4"
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    for path, reason in [(missing, "no such file"), (empty, "empty"), (junk, "not a readable video")]:
        with pytest.raises(VideoReadError, match=reason) as error:
            colorize_video(path, tmp_path / "out.mp4", colorizer, progress=False)
        assert "\n" not in str(error.value) and str(path) in str(error.value)
    good = _write(tmp_path / "good.mp4")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(VideoReadError) as error:
        colorize_video(truncated, tmp_path / "out.mp4", colorizer, progress=False)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out.mp4").exists()  # no half-written output
    with pytest.raises(UserError, match="cannot write"):
        colorize_video(good, tmp_path / "out.avi", colorizer, progress=False)


def test_load_video_colorizer_choices(tmp_path: Path) -> None:
    from gancolor.video.colorize_file import load_video_colorizer

    colorizer, method = load_video_colorizer(temporal="none")
    assert method == "none" and colorizer.mode == "l1"  # the default colorizer without a gate
    _, method = load_video_colorizer(temporal="smoothing")
    assert method == "smoothing"
