"""``gancolor colorize``: colorize photos of any size, optionally steered by colour hints."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gancolor.commands.options import TEMPERATURE, WORKING_SIZE, device_name
from gancolor.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from gancolor.infer.colorizer import Colorizer
    from gancolor.infer.user_hints import Hint

__all__ = ["add_parser", "run", "colorize_files"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor colorize`` to ``subparsers``; returns its parser."""
    colorize = subparsers.add_parser("colorize", help="colorize photos of any size")
    colorize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    colorize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    colorize.add_argument("--checkpoint", type=Path, default=None,
                          help="colorizer file (default: the shipped L1 model; with --hints: the hint model)")
    colorize.add_argument("--hints", type=Path, default=None,
                          help='JSON colour hints, [{"x": 120, "y": 80, "color": "#ff0000"}, ...]')
    colorize.add_argument("--size", type=WORKING_SIZE, default=None, help="long side (px) the model sees")
    colorize.add_argument("--device", type=device_name, default="cpu")
    colorize.add_argument("--temperature", type=TEMPERATURE, default=None,
                          help="classification colorizers (Zhang et al. 2016): decode at this temperature, "
                               "1 = safe mean, towards 0 = vivid (default: the model's)")
    return colorize


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor colorize`` as parsed by :func:`add_parser`; returns the exit status."""
    return colorize_files(args.inputs, args.out, checkpoint=args.checkpoint, size=args.size,
                          device=args.device, hints=args.hints, temperature=args.temperature)


def colorize_files(inputs: Sequence[str], out_dir: Path, checkpoint: Path | None = None,
                   size: int | None = None, device: str = "cpu", hints: Path | None = None,
                   temperature: float | None = None) -> int:
    """Colorize every input at full resolution into ``out_dir`` (see :func:`convert_files`).

    ``hints``: a JSON file of colour hints (:func:`gancolor.hints.load_hints_json`) applied to every
    input, in its pixel coordinates; it needs a hint colorizer (the shipped one by default).
    ``temperature``: decoding temperature of a classification colorizer (Zhang et al. 2016).
    """
    from gancolor.commands.files import convert_files  # (no torch yet: the first photo decodes meanwhile)

    loaded: list[tuple[Colorizer, list[Hint] | None]] = []

    def load() -> None:  # on this thread, while the first photo decodes
        from gancolor.infer.colorizer import DEFAULT_AUTOMATIC, default_checkpoint, load_colorizer
        from gancolor.infer.user_hints import load_hints_json

        user_hints = load_hints_json(hints) if hints is not None else None
        source = checkpoint if checkpoint is not None or user_hints is None else default_checkpoint("hints")
        colorizer = load_colorizer(source, device=device, inference_size=size)
        if temperature is not None:
            colorizer.set_temperature(temperature)
        if user_hints and not colorizer.takes_hints:  # one error, before any photo is colorized
            raise UserError(f"{source or default_checkpoint(DEFAULT_AUTOMATIC)}: this colorizer takes no "
                            f"colour hints (train one with `gancolor train colorize --hints`)")
        loaded.append((colorizer, user_hints))

    def colorize(rgb: np.ndarray) -> np.ndarray:
        colorizer, user_hints = loaded[0]
        return colorizer.colorize_image(rgb, hints=user_hints)

    # The colorizers' memory is bounded per pixel (gancolor.infer.lab_bands): no pixel limit of ours.
    return convert_files(inputs, out_dir, colorize, verb="colorized", pixel_limit=False, setup=load)
