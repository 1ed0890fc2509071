"""``gancolor stylize``: translate photos of any size with a CycleGAN (A <-> B), or only inside a mask."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gancolor.commands.options import WORKING_SIZE, device_name

#: ``--model``: the shipped stylizers (gancolor.infer.stylizer.SHIPPED_STYLIZERS, written out here so that
#: building the parser does not import torch; tests/commands/test_stylize_painting.py checks they agree).
SHIPPED_MODELS = ("seasons", "painting")

#: Default ``--feather`` (pixels); the same as gancolor.infer.region_style.DEFAULT_FEATHER (not imported
#: here: building the parser must not load numpy; tests/commands/test_stylize_mask.py checks they agree).
FEATHER_DEFAULT = 8.0

if TYPE_CHECKING:
    import numpy as np

__all__ = ["add_parser", "run", "stylize_files"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor stylize`` to ``subparsers``; returns its parser."""
    stylize = subparsers.add_parser("stylize", help="translate photos of any size with a CycleGAN (A <-> B)")
    stylize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    stylize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    stylize.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"],
                         help="AtoB (default; summer -> winter, photo -> painting for the shipped models) "
                              "or BtoA")
    model = stylize.add_mutually_exclusive_group()
    model.add_argument("--model", default=None, choices=list(SHIPPED_MODELS),
                       help="a shipped stylizer: seasons (summer <-> winter, the default) or painting "
                            "(photo <-> painting)")
    model.add_argument("--checkpoint", type=Path, default=None,
                       help="stylizer file (default: the shipped summer <-> winter model)")
    stylize.add_argument("--size", type=WORKING_SIZE, default=None, help="long side (px) the model sees")
    stylize.add_argument("--mask", type=Path, default=None,
                         help="gray image: stylize only where it is white (gray: partly); "
                              "resized to each photo")
    stylize.add_argument("--feather", type=_feather, default=None, metavar="PX",
                         help="soften the mask's edge over PX pixels on each side "
                              f"(default {FEATHER_DEFAULT:g}; 0: a hard edge); only with --mask")
    stylize.add_argument("--device", type=device_name, default="cpu")
    return stylize


def _feather(text: str) -> float:
    """``--feather``: a finite number of pixels >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of pixels: {text!r}") from None
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1000 pixels; got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor stylize`` as parsed by :func:`add_parser`; returns the exit status."""
    checkpoint = args.checkpoint
    if args.model is not None:
        from gancolor.infer.stylizer import shipped_stylizer

        checkpoint = shipped_stylizer(args.model)
    return stylize_files(args.inputs, args.out, direction=args.direction, checkpoint=checkpoint,
                         size=args.size, device=args.device, mask=args.mask, feather=args.feather)


def stylize_files(inputs: Sequence[str], out_dir: Path, direction: str = "AtoB",
                  checkpoint: Path | None = None, size: int | None = None, device: str = "cpu",
                  mask: Path | None = None, feather: float | None = None) -> int:
    """Translate every input at full resolution into ``out_dir`` (see :func:`convert_files`).

    ``direction``: "AtoB" or "BtoA" (A = summer, B = winter for the default model; photo, painting
    for ``--model painting``).
    ``mask``: a gray image; only its white parts are stylized (gray: partly), its edge softened over
    ``feather`` pixels (default :data:`~gancolor.infer.region_style.DEFAULT_FEATHER`); it is read
    once, before any photo, and resized to each (:mod:`gancolor.infer.region_style`).
    """
    from gancolor.commands.files import convert_files
    from gancolor.errors import UserError
    from gancolor.infer.region_style import blend_region, feather_mask, read_mask, resize_mask
    from gancolor.infer.stylizer import load_stylizer

    if feather is not None and mask is None:
        raise UserError("--feather softens the edge of a --mask: give a mask too")
    drawn = read_mask(mask) if mask is not None else None  # a bad mask stops the run before any output
    stylizer = load_stylizer(checkpoint, device=device, inference_size=size)
    key = stylizer.direction(direction)
    radius = FEATHER_DEFAULT if feather is None else feather

    def stylize(rgb: np.ndarray) -> np.ndarray:
        if drawn is None:
            return stylizer.stylize_image(rgb, key)
        weights = feather_mask(resize_mask(drawn, rgb.shape[:2], mask), radius)
        if not weights.any():  # nothing to change: skip the network
            return rgb.copy()
        return blend_region(rgb, stylizer.stylize_image(rgb, key), weights)

    return convert_files(inputs, out_dir, stylize, verb="stylized")
