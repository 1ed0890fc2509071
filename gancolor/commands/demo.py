"""``gancolor demo``: colorize the embedded held-out images, write a figure, print the metrics."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gancolor.commands.options import image_file, int_in

if TYPE_CHECKING:
    import torch

    from gancolor.infer.colorizer import Colorizer

__all__ = ["add_parser", "run", "run_demo", "demo_colorizers", "pick_showcase"]

#: Steps of the fallback models trained when no shipped checkpoint exists
#: (under 3 minutes for both on 2 CPU cores).
FALLBACK_STEPS = 250


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor demo`` to ``subparsers``; returns its parser."""
    demo = subparsers.add_parser("demo", help="colorize held-out images with the shipped models -> demo.png")
    demo.add_argument("--out", type=image_file, default=Path("demo.png"),
                      help="image to write (default: demo.png)")
    demo.add_argument("--rows", type=int_in(1, 64), default=8, help="images in the figure (default: 8)")
    return demo


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor demo`` as parsed by :func:`add_parser`; returns the exit status."""
    return run_demo(out=args.out, rows=args.rows)


def default_checkpoint(mode: str) -> Path:
    """The shipped colorizer file of ``mode`` (:func:`gancolor.infer.colorizer.default_checkpoint`; imported
    here, with torch, only when the demo runs, so that ``gancolor --help`` stays fast)."""
    from gancolor.infer.colorizer import default_checkpoint

    return default_checkpoint(mode)


def _train_fallback(mode: str, out_dir: Path) -> Path:
    from gancolor.commands.data import load_images
    from gancolor.train import ColorizeConfig, export_colorizer, train_colorizer

    config = ColorizeConfig(l1_only=(mode == "l1"))
    images, _ = load_images("embedded", split="train", size=config.image_size)
    trainer, _ = train_colorizer(config, images, steps=FALLBACK_STEPS, out_dir=out_dir / mode,
                                 checkpoint_every=FALLBACK_STEPS)
    path = out_dir / f"colorizer_{mode}.pt"
    export_colorizer(trainer, path, inference_size=4 * config.image_size)
    return path


def fallback_dir() -> Path:
    """Where the demo keeps the small models it trains when no checkpoint is shipped."""
    from gancolor.runtime import cache_dir

    return cache_dir() / "demo-models"


def demo_colorizers() -> dict[str, Colorizer]:
    """The shipped L1-only and GAN colorizers; small ones are trained once if they are missing."""
    from gancolor.infer.colorizer import load_colorizer

    colorizers = {}
    for mode, label in (("l1", "L1 only"), ("gan", "GAN")):
        path = default_checkpoint(mode)
        if not path.is_file():
            fallback = fallback_dir() / f"colorizer_{mode}.pt"
            if not fallback.is_file():
                print(f"no shipped {label} checkpoint: training a small one ({FALLBACK_STEPS} steps) ...")
                fallback = _train_fallback(mode, fallback.parent)
            path = fallback
        colorizers[label] = load_colorizer(path)
    return colorizers


def pick_showcase(ambiguous: torch.Tensor, origin: list[str], rows: int) -> list[int]:
    """Indices to show: scenes with the largest ambiguous objects, then photos, alternating."""
    areas = ambiguous.flatten(1).sum(1)
    by_area = areas.argsort(descending=True).tolist()
    scenes = [i for i in by_area if origin[i].startswith("scene") and areas[i] > 0]
    photos = [i for i, name in enumerate(origin) if name.startswith("photo")]
    photos = photos[:: max(1, len(photos) // max(1, rows // 2))]
    chosen = [i for pair in zip(scenes, photos, strict=False) for i in pair]
    chosen += [i for i in scenes + photos if i not in chosen]
    return chosen[:rows]


def run_demo(out: Path = Path("demo.png"), rows: int = 8) -> int:
    """Colorize the embedded test split: write ``out`` (gray | L1 only | GAN | truth), print a table."""
    from gancolor.data import load_embedded
    from gancolor.evaluation.baseline_colorizers import gray_baseline
    from gancolor.evaluation.colorizer_eval import colorize_images, evaluate_colorizers
    from gancolor.evaluation.scores import format_table
    from gancolor.viz import comparison_grid

    started = time.perf_counter()
    test = load_embedded("test")
    colorizers = demo_colorizers()
    shown = pick_showcase(test.ambiguous, test.origin, rows)
    images = test.images[shown]
    columns = {"gray input": gray_baseline(images)}
    columns.update({name: colorize_images(model, images) for name, model in colorizers.items()})
    columns["ground truth"] = images
    comparison_grid(columns, path=out, title="held-out test images (embedded data)")
    results = evaluate_colorizers(colorizers, test.images, test.ambiguous)
    print(f"wrote {out}")
    print(f"embedded test split: {len(test.images)} images ({test.images.shape[-1]} px); "
          "'colorful (ambig.)' = colourfulness on the balloons and cars only")
    print(format_table(results))
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0
