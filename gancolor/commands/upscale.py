"""``gancolor colorize --upscale 2|4``: a small gray photo coloured and enlarged by a
super-resolution colorizer (:mod:`gancolor.infer.upscaler`), over files and folders."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gancolor.errors import UserError

if TYPE_CHECKING:
    import numpy as np

    from gancolor.infer.upscaler import SuperResolver

__all__ = ["upscale_files"]


def upscale_files(args: argparse.Namespace) -> int:
    """Colour and enlarge every photo of ``args.inputs`` by ``args.upscale`` into ``args.out``;
    ``args.checkpoint``, if given, is the super-resolution colorizer file. Returns the exit status."""
    from gancolor.commands.files import convert_files

    for given, what in ((args.hints, "--hints"), (args.temperature, "--temperature"), (args.size, "--size"),
                        (getattr(args, "reference", None), "--reference")):
        if given is not None:
            raise UserError(f"{what} does not go with --upscale "
                            "(the super-resolution colorizer takes none of them)")
    loaded: list[SuperResolver] = []

    def load() -> None:
        from gancolor.infer.upscaler import load_superres

        loaded.append(load_superres(args.checkpoint, device=args.device))
        try:
            loaded[0].passes(args.upscale)
        except ValueError as error:
            raise UserError(f"{args.checkpoint}: {error}") from None

    def upscale(rgb: np.ndarray) -> np.ndarray:
        return loaded[0].upscale_image(rgb, args.upscale)

    return convert_files(args.inputs, args.out, upscale, verb=f"colorized and upscaled x{args.upscale}",
                         pixel_limit=True, setup=load)
