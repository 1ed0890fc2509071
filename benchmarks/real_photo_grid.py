"""The figure of the model card: every shipped colorizer on the held-out real photos.

    python benchmarks/real_photo_grid.py            # -> docs/real_photos.png

One row per test photo of ``gancolor.data.real_photos`` (512 px on the long side, shown smaller):
the gray input, Levin et al. 2004 and the hint model with the same 20 simulated hints (seed 0, as
``gancolor evaluate --data photos --hints 20``), the automatic colorizers (L1, GAN, classification at
its default temperature), and the original. Each image is titled with its PSNR against the original.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from gancolor.data.real_photos import real_photos  # noqa: E402
from gancolor.evaluation.baseline_colorizers import Levin2004  # noqa: E402
from gancolor.evaluation.photo_eval import GrayPhoto, photo_hints  # noqa: E402
from gancolor.infer.colorizer import default_checkpoint, load_colorizer  # noqa: E402
from gancolor.metrics import psnr  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "real_photos.png"


def _psnr(out: np.ndarray, truth: np.ndarray) -> float:
    as_batch = lambda a: torch.tensor(np.asarray(a)).permute(2, 0, 1)[None]  # noqa: E731
    return float(psnr(as_batch(out), as_batch(truth))[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--hints", type=int, default=20)
    args = parser.parse_args()
    hinted = {"Levin 2004": Levin2004(), "hint model": load_colorizer(default_checkpoint("hints"))}
    automatic = {name: load_colorizer(default_checkpoint(mode)) for name, mode in
                 (("L1", "l1"), ("GAN", "gan"), ("classification", "classify"))}
    photos = real_photos("test")
    columns = ["gray", *(f"{name}, {args.hints} hints" for name in hinted), *automatic, "original"]
    fig, axes = plt.subplots(len(photos), len(columns), figsize=(2.2 * len(columns), 2.0 * len(photos)))
    for row, (name, photo) in enumerate(photos.items()):
        hints = photo_hints(photo, args.hints, seed=0, key=name)
        images = [GrayPhoto().colorize_image(photo)]
        images += [model.colorize_image(photo, hints) for model in hinted.values()]
        images += [model.colorize_image(photo) for model in automatic.values()]
        images.append(photo)
        for col, (title, image) in enumerate(zip(columns, images, strict=True)):
            axis = axes[row, col]
            axis.imshow(image)
            axis.set_axis_off()
            score = "" if title == "original" else f"\n{_psnr(image, photo):.1f} dB"
            axis.set_title((title if row == 0 else "") + score, fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=72)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
