"""``gancolor colorize``: colorize photos of any size, optionally steered by colour hints."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gancolor.commands.files import convert_files
from gancolor.errors import UserError

__all__ = ["colorize_files"]


def colorize_files(inputs: Sequence[str], out_dir: Path, checkpoint: Path | None = None,
                   size: int | None = None, device: str = "cpu", hints: Path | None = None,
                   temperature: float | None = None) -> int:
    """Colorize every input at full resolution into ``out_dir`` (see :func:`convert_files`).

    ``hints``: a JSON file of colour hints (:func:`gancolor.hints.load_hints_json`) applied to every
    input, in its pixel coordinates; it needs a hint colorizer (the shipped one by default).
    ``temperature``: decoding temperature of a classification colorizer (Zhang et al. 2016).
    """
    from gancolor.hints import load_hints_json
    from gancolor.inference import DEFAULT_AUTOMATIC, default_checkpoint, load_colorizer

    user_hints = load_hints_json(hints) if hints is not None else None
    if checkpoint is None and user_hints is not None:
        checkpoint = default_checkpoint("hints")
    colorizer = load_colorizer(checkpoint, device=device, inference_size=size)
    if temperature is not None:
        colorizer.set_temperature(temperature)
    if user_hints and not colorizer.takes_hints:  # one error, before any file is read
        source = checkpoint or default_checkpoint(DEFAULT_AUTOMATIC)
        raise UserError(f"{source}: this colorizer takes no colour hints "
                        f"(train one with `gancolor train colorize --hints`)")

    def colorize(rgb: np.ndarray) -> np.ndarray:
        return colorizer.colorize_image(rgb, hints=user_hints)

    return convert_files(inputs, out_dir, colorize, verb="colorized")
