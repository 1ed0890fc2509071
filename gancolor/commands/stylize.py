"""``gancolor stylize``: translate photos of any size with a CycleGAN (A <-> B)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gancolor.commands.options import WORKING_SIZE, device_name

if TYPE_CHECKING:
    import numpy as np

__all__ = ["add_parser", "run", "stylize_files"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor stylize`` to ``subparsers``; returns its parser."""
    stylize = subparsers.add_parser("stylize", help="translate photos of any size with a CycleGAN (A <-> B)")
    stylize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    stylize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    stylize.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"],
                         help="AtoB (default; summer -> winter for the shipped model) or BtoA")
    stylize.add_argument("--checkpoint", type=Path, default=None,
                         help="stylizer file (default: the shipped summer <-> winter model)")
    stylize.add_argument("--size", type=WORKING_SIZE, default=None, help="long side (px) the model sees")
    stylize.add_argument("--device", type=device_name, default="cpu")
    return stylize


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor stylize`` as parsed by :func:`add_parser`; returns the exit status."""
    return stylize_files(args.inputs, args.out, direction=args.direction, checkpoint=args.checkpoint,
                         size=args.size, device=args.device)


def stylize_files(inputs: Sequence[str], out_dir: Path, direction: str = "AtoB",
                  checkpoint: Path | None = None, size: int | None = None, device: str = "cpu") -> int:
    """Translate every input at full resolution into ``out_dir`` (see :func:`convert_files`).

    ``direction``: "AtoB" or "BtoA" (for the shipped model, A = summer, B = winter).
    """
    from gancolor.commands.files import convert_files
    from gancolor.infer.stylizer import load_stylizer

    stylizer = load_stylizer(checkpoint, device=device, inference_size=size)
    key = stylizer.direction(direction)

    def stylize(rgb: np.ndarray) -> np.ndarray:
        return stylizer.stylize_image(rgb, key)

    return convert_files(inputs, out_dir, stylize, verb="stylized")
