"""``gancolor colorize clip.mp4`` and ``gancolor evaluate --task video`` from the command line."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import VIDEO_FRAMES as N  # noqa: N814
from helpers import VIDEO_HEIGHT as H  # noqa: N814
from helpers import VIDEO_WIDTH as W  # noqa: N814
from helpers import write_test_video as _write

from gancolor.cli import main
from gancolor.video.io import probe_video


def test_colorize_writes_a_video_of_the_same_size_rate_and_length(tmp_path: Path, capsys) -> None:
    clip = _write(tmp_path / "clip.mp4", fps=Fraction(25))
    assert main(["colorize", str(clip), "-o", str(tmp_path / "out"), "--temporal", "smoothing"]) == 0
    info = probe_video(tmp_path / "out" / "clip.mp4")
    assert (info.width, info.height, info.frames, info.fps) == (W, H, N, Fraction(25))
    assert "colorized" in capsys.readouterr().out


def test_a_gif_gives_a_gif_and_frames_give_pngs(tmp_path: Path) -> None:
    gif = _write(tmp_path / "moving.gif")
    assert main(["colorize", str(gif), "-o", str(tmp_path / "out"), "--temporal", "none"]) == 0
    assert probe_video(tmp_path / "out" / "moving.gif").frames == N
    assert main(["colorize", str(gif), "-o", str(tmp_path / "frames"), "--frames"]) == 0
    names = sorted(p.name for p in (tmp_path / "frames" / "moving").iterdir())
    assert names[:2] == ["000001.png", "000002.png"]
    assert len(list((tmp_path / "frames" / "moving").iterdir())) == N


def test_photos_and_videos_together_and_a_broken_video_in_one_line(tmp_path: Path, capsys) -> None:
    from PIL import Image

    Image.new("RGB", (40, 30), (90, 90, 90)).save(tmp_path / "photo.png")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(_write(tmp_path / "good.mp4").read_bytes()[:600])  # truncated
    status = main(["colorize", str(tmp_path / "photo.png"), str(broken), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1 and (tmp_path / "out" / "photo.png").exists()
    assert not (tmp_path / "out" / "broken.mp4").exists()  # nothing half-written
    (line,) = [line for line in err.splitlines() if "broken.mp4" in line]
    assert line.startswith("gancolor: error:") and "Traceback" not in err


def test_hints_are_refused_for_videos(tmp_path: Path, capsys) -> None:
    clip = _write(tmp_path / "clip.mp4")
    (tmp_path / "hints.json").write_text("[]")
    hints = str(tmp_path / "hints.json")
    assert main(["colorize", str(clip), "-o", str(tmp_path / "out"), "--hints", hints]) != 0
    assert "takes no hints" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_video_reports_psnr_and_flicker_per_method(capsys) -> None:
    assert main(["evaluate", "--task", "video", "--split", "val", "--clips", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["task"] == "video" and result["clips"] == 1
    for scores in result["methods"].values():
        assert scores["psnr"] > 10 and scores["flicker"] >= 0
    assert result["truth"]["flicker"] < min(s["flicker"] for s in result["methods"].values())
