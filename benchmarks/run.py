"""Measure gancolor's speed on this machine and record it in benchmarks/results.md.

    python benchmarks/run.py            # or: make bench

Measured (median of repeats, after a warm-up):
- pix2pix training step (GAN mode: one D and one G update) at 64x64, batch 16, and 256x256, batch 1;
- ``gancolor colorize`` (benchmarks/colorize_speed.py): a 12-megapixel (4000x3000) JPEG step by step
  (decode, L, predict, RGB, encode), the whole command against ``import torch`` alone, peak RSS per
  pixel at 12, 36 and 144 megapixels, and a folder of 100 photos with and without overlapping.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from colorize_speed import colorize_rows

RESULTS = Path(__file__).with_name("results.md")


def _median_seconds(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step_seconds(image_size: int, batch_size: int, repeats: int) -> float:
    """Median seconds of one GAN training step of the default colorizer."""
    from gancolor.train import ColorizationTrainer, ColorizeConfig

    images = torch.randint(0, 256, (max(batch_size, 4), 3, image_size, image_size), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    trainer = ColorizationTrainer(ColorizeConfig(image_size=image_size, batch_size=batch_size), images,
                                  device="cpu")
    step = iter(range(10**9))
    return _median_seconds(lambda: trainer.train_step(next(step)), repeats)


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"Python {platform.python_version()}, {platform.system()} {platform.machine()}; "
            f"load average at the start {os.getloadavg()[0]:.1f} "
            "(other jobs sharing the cores slow every figure)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only, do not update results.md")
    args = parser.parse_args()

    machine = _machine()
    rows = []
    small = train_step_seconds(64, 16, args.repeats)
    rows.append(("training step, GAN, 64x64, batch 16", f"{small * 1000:.0f} ms"))
    large = train_step_seconds(256, 1, args.repeats)
    rows.append(("training step, GAN, 256x256, batch 1", f"{large * 1000:.0f} ms"))
    colorize_repeats = max(3, args.repeats // 2)
    rows.extend(colorize_rows(colorize_repeats))

    table = "\n".join(["| measurement | median |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = (f"# Benchmark results\n\nMeasured by `make bench` (`python benchmarks/run.py`), {stamp}.\n\n"
              f"Machine: {machine}; load average at the end {os.getloadavg()[0]:.1f}\n\n{table}\n\n"
              f"Median of {args.repeats} repeats after one warm-up (colorize: {colorize_repeats}, commands "
              f"in fresh processes alternating with `import torch` alone; benchmarks/colorize_speed.py); "
              f"default colorizer (U-Net width 32, depth 5; shipped checkpoint).\n")
    print(report)
    if not args.no_write:
        RESULTS.write_text(report)
    return 0


if __name__ == "__main__":
    np.random.seed(0)
    raise SystemExit(main())
