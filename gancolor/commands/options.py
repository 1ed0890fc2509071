"""Checking option values once, at the edge: argparse ``type=`` functions with clear one-line errors.

Each factory returns a function that argparse calls on the option's text; a bad value raises
``argparse.ArgumentTypeError``, which the parser reports on one line (:class:`OneLineParser`)
with exit status 2, before any work is done.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from gancolor.errors import UserError

__all__ = ["OneLineParser", "int_in", "float_in", "device_name", "image_file", "STEPS", "IMAGE_SIZE",
           "WORKING_SIZE", "TEMPERATURE"]


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``gancolor train colorize: error: ...``."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` on one line (with where to find help) and exit with status 2."""
        message = " ".join(message.split())
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (inclusive)."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10) if len(text) <= 40 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low:,} to {high:,}; "
                                             f"got {text[:40]!r}")
        return value

    parse.__name__ = f"integer from {low} to {high}"
    return parse


def float_in(low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [``low``, ``high``] (or (``low``, ``high``] if ``low_open``)."""
    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) <= 40 else math.nan
        except ValueError:
            value = math.nan
        above = value > low if low_open else value >= low
        if not (math.isfinite(value) and above and value <= high):
            bracket = "(" if low_open else "["
            raise argparse.ArgumentTypeError(f"must be a number in {bracket}{low:g}, {high:g}]; "
                                             f"got {text[:40]!r}")
        return value

    parse.__name__ = f"number from {low} to {high}"
    return parse


# Ranges of the option values that several sub-commands share (a sub-command's own are in its module).
#: A number of training steps (also ``--checkpoint-every``).
STEPS = int_in(1, 10**9)
#: The side of a training crop, or of the images a folder is read at for evaluation.
IMAGE_SIZE = int_in(16, 4096)
#: The long side a model sees at inference.
WORKING_SIZE = int_in(16, 16384)
#: The decoding temperature of a classification colorizer (annealed mean, Zhang et al. 2016).
TEMPERATURE = float_in(0, 100, low_open=True)


def device_name(text: str) -> str:
    """An argparse type: a device this machine has ("cpu", "cuda", "cuda:1", "mps"); returns ``text``."""
    if text == "cpu":  # every machine has one (and the default "cpu" needs no torch: it loads later)
        return text
    from gancolor.runtime import check_device

    try:
        check_device(text)
    except UserError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def image_file(text: str) -> Path:
    """An argparse type: the path of an image to write, whose extension names a format we write."""
    from gancolor.imageio import IMAGE_EXTENSIONS

    path = Path(text)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        known = " ".join(sorted(IMAGE_EXTENSIONS))
        raise argparse.ArgumentTypeError(f"{text}: unknown image extension {path.suffix!r} "
                                         f"(use one of: {known})")
    return path
