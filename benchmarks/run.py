"""Measure gancolor's speed on this machine and record it in benchmarks/results.md.

    python benchmarks/run.py            # or: make bench

Measured (median of repeats, after a warm-up):
- pix2pix training steps (GAN mode: one D and one G update) in fp32, bf16 and bf16 + channels_last,
  for the default colorizer and the reference-sized one, beside the reference implementation when
  ``--reference-networks`` (or $GANCOLOR_REFERENCE_NETWORKS) names its networks.py
  (benchmarks/train_speed.py);
- the same for CycleGAN at the reference's ``resnet_6blocks`` size;
- ``gancolor colorize`` (benchmarks/colorize_speed.py): a 12-megapixel (4000x3000) JPEG step by step
  (decode, L, predict, RGB, encode), the whole command against ``import torch`` alone, peak RSS per
  pixel at 12, 36 and 144 megapixels, and a folder of 100 photos with and without overlapping;
- a 640x360 video, frames per second per temporal method (benchmarks/video_speed.py).
"""

from __future__ import annotations

import argparse
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from colorize_speed import colorize_rows
from train_speed import step_rows
from video_speed import video_rows

RESULTS = Path(__file__).with_name("results.md")


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from gancolor.train.precision import cpu_has_native_bf16

    bf16 = "native bfloat16" if cpu_has_native_bf16() else "no native bfloat16 (bf16 rows are emulated)"
    capability = f"{torch.backends.cpu.get_cpu_capability()}, {bf16}"
    return (f"{cpu} ({capability}), {os.cpu_count()} cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), "
            f"Python {platform.python_version()}, {platform.system()} {platform.machine()}; "
            f"load average at the start {os.getloadavg()[0]:.1f} "
            "(other jobs sharing the cores slow every figure)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only, do not update results.md")
    parser.add_argument("--reference-networks", type=Path,
                        default=os.environ.get("GANCOLOR_REFERENCE_NETWORKS") or None,
                        help="models/networks.py of a pytorch-CycleGAN-and-pix2pix checkout")
    args = parser.parse_args()

    machine = _machine()
    rows = []
    rows.extend(step_rows(args.reference_networks, args.repeats))
    colorize_repeats = max(3, args.repeats // 2)
    rows.extend(colorize_rows(colorize_repeats))
    rows.extend(video_rows())

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
