"""Measure ``gancolor colorize``: its steps, the whole command against ``import torch`` alone, peak memory
per pixel, and a folder of photos with and without decoding / encoding overlapped.

    python benchmarks/colorize_speed.py    # prints the rows; benchmarks/run.py (make bench) records them

Every figure is a median over repeats; commands run in fresh processes (``os.wait4`` gives each one's CPU
time and peak RSS), alternating with ``import torch`` alone so that a change of load hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def astronaut_jpeg(path: Path, width: int = 4000, height: int = 3000) -> Path:
    """A JPEG made from a photo that scikit-image ships, upscaled to ``width`` x ``height`` (smooth)."""
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()).resize((width, height), Image.BICUBIC).save(path, quality=92)
    return path


def uniform_jpeg(path: Path, width: int, height: int) -> Path:
    """A uniform-colour JPEG: any size, a few megabytes on disk."""
    from PIL import Image

    Image.new("RGB", (width, height), (90, 120, 150)).save(path, quality=90)
    return path


def step_seconds(photo: Path, repeats: int) -> dict[str, float]:
    """Median seconds of each step of colorizing ``photo`` in this process, as ``gancolor colorize`` does
    them (after one warm-up): decode, L (full resolution), predict (shrink + network), RGB (upsampled ab
    joined to L), encode."""
    from gancolor.imageio import read_image, write_image
    from gancolor.infer.colorizer import load_colorizer
    from gancolor.infer.full_resolution import predict_small
    from gancolor.infer.lab_bands import lab_to_rgb_u8, lightness_u8

    colorizer = load_colorizer()
    steps: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[..., object], *args: object) -> object:
        start = time.perf_counter()
        result = fn(*args)
        steps.setdefault(name, []).append(time.perf_counter() - start)
        return result

    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats + 1):
            image = timed("decode", read_image, photo)
            L = timed("convert: L", lightness_u8, image.rgb)  # noqa: N806
            ab = timed("predict", predict_small, L, colorizer.working_size, colorizer.predict_ab)
            out = timed("convert: RGB", lab_to_rgb_u8, L, ab)
            timed("encode", write_image, Path(tmp) / "out.jpg", out)
    return {name: statistics.median(times[1:]) for name, times in steps.items()}


#: Prepended to the code of a measured process: it reports its peak RSS (VmHWM) when it exits. (The
#: kernel's ru_maxrss would count this benchmark's own memory: a child starts from its parent's.)
_REPORT_PEAK = ("import atexit, sys\n"
                "def _peak():\n"
                "    for line in open('/proc/self/status'):\n"
                "        if line.startswith('VmHWM:'):\n"
                "            sys.stderr.write(f'PEAK-KB {line.split()[1]}\\n')\n"
                "atexit.register(_peak)\n")


def _run(code: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS bytes) of the Python ``code`` in a fresh process."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _REPORT_PEAK + code], cwd=REPO,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = status  # (reaped here, not by Popen)
        stderr.seek(0)
        error = stderr.read().decode()
    if status:
        raise RuntimeError(f"{code!r} failed: {error.strip().splitlines()[-1:]}")
    peak = [int(line.split()[1]) * 1024 for line in error.splitlines() if line.startswith("PEAK-KB ")]
    return wall, usage.ru_utime + usage.ru_stime, peak[-1]


def colorize_code(*args: str) -> str:
    """The code of ``gancolor colorize ARGS`` (what ``python -m gancolor`` runs)."""
    return f"from gancolor.cli import main; raise SystemExit(main(['colorize', *{list(args)!r}]))"


IMPORT_TORCH = "import torch"
#: What every colorize command loads before it sees a photo: torch, gancolor's colorize path, the model.
LOAD_ONLY = ("import gancolor.cli, gancolor.commands.files\n"
             "from gancolor.infer.colorizer import load_colorizer\nload_colorizer()")


def command_figures(photo: Path, repeats: int) -> dict[str, tuple[float, float, float, int]]:
    """For ``import torch`` alone, loading everything but the photo, and ``gancolor colorize photo``
    (the three alternate): median wall and CPU seconds, the median of each run's wall seconds minus
    those of the ``import torch`` just before it (a drifting load cancels out), the largest peak RSS."""
    runs: dict[str, list[tuple[float, float, int]]] = {"import torch": [], "load": [], "colorize": []}
    with tempfile.TemporaryDirectory() as tmp:
        colorize = colorize_code(str(photo), "-o", tmp)
        for _ in range(repeats):
            for name, code in (("import torch", IMPORT_TORCH), ("load", LOAD_ONLY), ("colorize", colorize)):
                runs[name].append(_run(code))
    torch_walls = [r[0] for r in runs["import torch"]]
    return {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs),
                   statistics.median(r[0] - t for r, t in zip(rs, torch_walls, strict=True)),
                   max(r[2] for r in rs)) for name, rs in runs.items()}


def folder_seconds(count: int, width: int, height: int, repeats: int) -> dict[str, float]:
    """Median seconds per photo of colorizing a folder of ``count`` photos (``convert_files``, in this
    process), with decoding and encoding overlapped and one photo at a time (alternating)."""
    from PIL import Image

    from gancolor.commands import files
    from gancolor.infer.colorizer import load_colorizer

    colorizer = load_colorizer()
    times: dict[str, list[float]] = {"overlapped": [], "one at a time": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        source = astronaut_jpeg(Path(tmp) / "source.jpg", width, height)
        with Image.open(source) as image:
            for i in range(count):  # the same photo, turned: 100 files to decode
                image.rotate(180 * (i % 2)).save(folder / f"photo{i:03d}.jpg", quality=92)
        overlap = files.OVERLAP_PIXELS
        try:
            for _ in range(repeats):
                for name, pixels in (("overlapped", overlap), ("one at a time", 0)):
                    files.OVERLAP_PIXELS = pixels
                    start = time.perf_counter()
                    files.convert_files([str(folder)], Path(tmp) / name, colorizer.colorize_image,
                                        verb="colorized", pixel_limit=False)
                    times[name].append((time.perf_counter() - start) / count)
        finally:
            files.OVERLAP_PIXELS = overlap
    return {name: statistics.median(t) for name, t in times.items()}


def colorize_rows(repeats: int = 3, folder_count: int = 100) -> list[tuple[str, str]]:
    """The colorize rows of benchmarks/results.md: (measurement, figure)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        photo = astronaut_jpeg(Path(tmp) / "photo_12mp.jpg")
        pixels = 4000 * 3000
        steps = step_seconds(photo, repeats)
        in_memory = steps["convert: L"] + steps["predict"] + steps["convert: RGB"]
        for name, seconds in steps.items():
            rows.append((f"colorize 4000x3000 JPEG, step: {name}", f"{seconds:.3f} s"))
        rows.append(("colorize 4000x3000, in memory (L + predict + RGB)",
                     f"{in_memory:.2f} s = {pixels / 1e6 / in_memory:.1f} MP/s"))
        figures = command_figures(photo, max(5, repeats))
        for name, (wall, cpu, beyond, rss) in figures.items():
            what = {"import torch": "`python -c 'import torch'` alone",
                    "load": "imports + loading the model, no photo",
                    "colorize": "`gancolor colorize` 4000x3000 JPEG, whole command"}[name]
            extra = "" if name == "import torch" else f"; {beyond:.2f} s beyond importing torch"
            rows.append((what, f"{wall:.2f} s wall ({cpu:.2f} s CPU){extra}; peak RSS {rss / 1e6:.0f} MB"))
        load_rss = figures["load"][3]
        sizes = [("4000x3000 JPEG", photo, pixels),
                 ("7200x5000 JPEG", astronaut_jpeg(Path(tmp) / "photo_36mp.jpg", 7200, 5000), 7200 * 5000),
                 ("12000x12000 uniform JPEG", uniform_jpeg(Path(tmp) / "uniform_144mp.jpg", 12000, 12000),
                  12000 * 12000)]
        for name, path, count in sizes:
            _, _, rss = _run(colorize_code(str(path), "-o", f"{tmp}/out"))
            rows.append((f"peak RSS, `gancolor colorize` {name} ({count / 1e6:.0f} MP)",
                         f"{rss / 1e6:.0f} MB = {rss / count:.1f} B/px; {(rss - load_rss) / count:.1f} B/px "
                         f"beyond loading ({load_rss / 1e6:.0f} MB)"))
    folder = folder_seconds(folder_count, 1600, 1200, max(1, repeats // 2))
    for name, seconds in folder.items():
        rows.append((f"folder of {folder_count} 1600x1200 JPEGs, {name}", f"{seconds:.3f} s per photo"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folder", type=int, default=100, help="photos in the folder test")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, figure in colorize_rows(args.repeats, args.folder):
        print(f"{name}: {figure}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    np.random.seed(0)
    raise SystemExit(main())
