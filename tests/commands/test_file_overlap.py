"""The file loop of ``gancolor colorize`` / ``stylize`` (gancolor.commands.files) decodes the next photo
and encodes the previous one while a photo is converted: the same files, the same one-line errors in
the same order, as one photo at a time; and ``colorize`` takes any size in bounded memory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import smooth_photo
from PIL import Image

from gancolor import imageio
from gancolor.commands import files
from gancolor.commands.colorize import colorize_files
from gancolor.commands.files import _PixelBudget, convert_files
from gancolor.errors import UserError

REPO = Path(__file__).resolve().parents[1]


def folder_of_photos(folder: Path) -> Path:
    """Photos of several formats and sizes (one with alpha), a corrupt file and an unreadable name."""
    folder.mkdir(parents=True)
    Image.fromarray(smooth_photo(40, 30, 0)).save(folder / "a.jpg", quality=95)
    (folder / "b.png").write_bytes(b"not an image")
    Image.fromarray(smooth_photo(33, 21, 1)).save(folder / "c.png")
    rgba = np.dstack([smooth_photo(20, 24, 2), np.arange(480, dtype=np.uint8).reshape(24, 20)])
    Image.fromarray(rgba, mode="RGBA").save(folder / "d.png")
    Image.fromarray(smooth_photo(50, 10, 3)).convert("P").save(folder / "e.gif")
    Image.fromarray(smooth_photo(17, 19, 4)).save(folder / "f.bmp")
    return folder


def invert_or_fail(rgb: np.ndarray) -> np.ndarray:
    """A convert that fails for some photos: 21 rows (c.png) and 24 rows (d.png)."""
    if rgb.shape[0] == 21:
        raise UserError("no photos 21 rows high")
    if rgb.shape[0] == 24:
        raise RuntimeError("out of memory")
    return 255 - rgb


def error_lines(text: str) -> list[str]:
    """The error lines of a run's stderr (no progress bars, no traceback)."""
    assert "Traceback" not in text, text
    return [line for line in re.split(r"[\r\n]", text) if line.startswith("gancolor: error:")]


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_overlapping_changes_neither_the_files_nor_the_errors(tmp_path, monkeypatch, capsys):
    inputs = folder_of_photos(tmp_path / "in")
    results = {}
    for name, overlap in (("overlapped", files.OVERLAP_PIXELS), ("one at a time", 0)):
        monkeypatch.setattr(files, "OVERLAP_PIXELS", overlap)
        status = convert_files([str(inputs)], tmp_path / name, invert_or_fail, verb="colorized")
        captured = capsys.readouterr()
        summary = captured.out.replace(str(tmp_path / name), "OUT")
        results[name] = (status, error_lines(captured.err), summary, outputs(tmp_path / name))
    assert results["overlapped"] == results["one at a time"]
    status, err, out, written = results["overlapped"]
    assert status == 1 and out == "colorized 3 of 6 image(s) into OUT\n"
    assert err == [f"gancolor: error: {inputs / 'b.png'}: not an image file (or unsupported format)",
                   f"gancolor: error: {inputs / 'c.png'}: no photos 21 rows high",
                   f"gancolor: error: {inputs / 'd.png'}: failed (RuntimeError: out of memory)"]
    assert sorted(written) == ["a.jpg", "e.png", "f.bmp"]
    with Image.open(tmp_path / "overlapped" / "f.bmp") as image:
        assert np.array_equal(np.asarray(image), 255 - smooth_photo(17, 19, 4))


def test_a_failed_write_is_reported_at_its_turn(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(4):
        Image.fromarray(smooth_photo(12, 10 + i, i)).save(inputs / f"p{i}.png")

    def wrong_size_for_p1(rgb: np.ndarray) -> np.ndarray:  # write_image refuses it (on the writer thread)
        return rgb[..., :2] if rgb.shape[0] == 11 else rgb

    assert convert_files([str(inputs)], tmp_path / "out", wrong_size_for_p1, verb="colorized") == 1
    err = error_lines(capsys.readouterr().err)
    assert len(err) == 1
    assert err[0].startswith(f"gancolor: error: {inputs / 'p1.png'}: failed (ValueError: rgb must")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.png", "p2.png", "p3.png"]


def test_setup_runs_once_while_the_first_photo_decodes_and_its_error_ends_the_run(tmp_path, capsys):
    inputs = folder_of_photos(tmp_path / "in")
    calls = []

    def setup() -> None:
        calls.append(("setup", threading.current_thread() is threading.main_thread()))

    def convert(rgb: np.ndarray) -> np.ndarray:
        calls.append("convert")
        return rgb

    convert_files([str(inputs)], tmp_path / "out", convert, verb="colorized", setup=setup)
    assert calls[0] == ("setup", True) and calls.count(("setup", True)) == 1 and "convert" in calls
    capsys.readouterr()

    threads = threading.active_count()

    def failing_setup() -> None:
        raise UserError("no such model")

    with pytest.raises(UserError, match="no such model"):
        convert_files([str(inputs)], tmp_path / "out2", convert, verb="colorized", setup=failing_setup)
    assert not (tmp_path / "out2").exists() and error_lines(capsys.readouterr().err) == []
    for _ in range(100):  # the reader and writer threads are gone
        if threading.active_count() <= threads:
            break
        time.sleep(0.01)
    assert threading.active_count() <= threads


def test_the_pixel_budget_waits_for_room_and_lets_a_large_photo_go_alone():
    budget = _PixelBudget(100)
    budget.take(60)
    budget.take(40)  # fits exactly
    waited = threading.Event()

    def third() -> None:
        budget.take(500)  # larger than the limit: waits until nothing else is in flight
        waited.set()

    thread = threading.Thread(target=third)
    thread.start()
    time.sleep(0.05)
    assert not waited.is_set()
    budget.give(60)
    time.sleep(0.05)
    assert not waited.is_set()
    budget.give(40)
    thread.join(5)
    assert waited.is_set()
    closed = []
    blocked = threading.Thread(target=lambda: closed.append(pytest.raises(RuntimeError, budget.take, 1)))
    blocked.start()
    budget.close()  # wakes a waiter, which gives up
    blocked.join(5)
    assert closed and not blocked.is_alive()


def test_colorize_has_no_pixel_limit_but_stylize_keeps_it(tmp_path, monkeypatch, capsys):
    photo = tmp_path / "in" / "a.png"
    photo.parent.mkdir()
    Image.fromarray(smooth_photo(24, 16)).save(photo)
    monkeypatch.setattr(imageio, "MAX_PIXELS", 100)  # 24 x 16 = 384 pixels
    assert colorize_files([str(photo)], tmp_path / "colorized") == 0  # the shipped colorizer
    assert (tmp_path / "colorized" / "a.png").is_file()
    assert convert_files([str(photo)], tmp_path / "stylized", lambda rgb: rgb, verb="stylized") == 1
    assert "more than the limit of 0 megapixels" in capsys.readouterr().err


def test_the_colorize_command_parses_without_torch():
    code = ("import sys\nfrom gancolor.cli import build_parser\n"
            "build_parser().parse_args(['colorize', 'x.jpg', '-o', 'out'])\n"
            "import gancolor.commands.files\nprint('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"  # so the first photo decodes while torch loads


#: Run in a child: report its own peak RSS (VmHWM; the kernel's ru_maxrss starts from the parent's).
_PEAK = ("import atexit, sys\n"
         "atexit.register(lambda: sys.stderr.write('PEAK-KB ' + [line.split()[1] for line in "
         "open('/proc/self/status') if line.startswith('VmHWM:')][0] + '\\n'))\n")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from /proc")
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # (opening the output here)
def test_colorize_takes_a_144_megapixel_photo_in_32_bytes_per_pixel(tmp_path):
    width = height = 12000  # over the old 100-megapixel limit; uniform, so the file is small
    Image.new("RGB", (width, height), (90, 120, 150)).save(tmp_path / "huge.jpg", quality=90)
    code = _PEAK + (f"from gancolor.cli import main\n"
                    f"raise SystemExit(main(['colorize', {str(tmp_path / 'huge.jpg')!r}, '-o', "
                    f"{str(tmp_path / 'out')!r}]))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.startswith("PEAK-KB "), result.stderr[-2000:]  # no warning, no error
    peak = 1024 * int(result.stderr.rsplit("PEAK-KB ", 1)[1].split()[0])
    assert peak <= 32 * width * height, f"peak RSS {peak / 1e9:.2f} GB"  # the float path needed ~128 B/px
    with Image.open(tmp_path / "out" / "huge.jpg") as out:
        assert out.size == (width, height)
