"""``gancolor colorize``: colorize photos of any size, optionally steered by colour hints, and videos.

Videos (MP4, MOV, MKV, WEBM, AVI, animated GIF) are colorized frame by frame with a temporal method
between the frames (:mod:`gancolor.video.colorize_file`) into ``OUT/NAME.mp4`` (GIF in, GIF out), or
with ``--frames`` into numbered PNGs in ``OUT/NAME/``.
"""

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

__all__ = ["add_parser", "run", "colorize_files", "colorize_videos", "is_video"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor colorize`` to ``subparsers``; returns its parser."""
    colorize = subparsers.add_parser("colorize", help="colorize photos of any size")
    colorize.add_argument("inputs", nargs="+", metavar="INPUT",
                          help="image or video files, or folders of images")
    colorize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    colorize.add_argument("--checkpoint", type=Path, default=None,
                          help="colorizer file (default: the shipped L1 model; with --hints: the hint model)")
    colorize.add_argument("--hints", type=Path, default=None,
                          help='JSON colour hints, [{"x": 120, "y": 80, "color": "#ff0000"}, ...]')
    colorize.add_argument("--reference", type=Path, default=None,
                          help="a colour photo whose colours the inputs take (exemplar colorization)")
    colorize.add_argument("--size", type=WORKING_SIZE, default=None, help="long side (px) the model sees")
    colorize.add_argument("--device", type=device_name, default="cpu")
    colorize.add_argument("--temperature", type=TEMPERATURE, default=None,
                          help="classification colorizers (Zhang et al. 2016): decode at this temperature, "
                               "1 = safe mean, towards 0 = vivid (default: the model's)")
    colorize.add_argument("--temporal", default=None, metavar="FILE|smoothing|none",
                          help="videos: a temporal colorizer file, 'smoothing' or 'none' (per frame); "
                               "default: the shipped temporal model")
    colorize.add_argument("--frames", action="store_true",
                          help="videos: write numbered PNG frames into OUT/NAME/ instead of a video file")
    colorize.add_argument("--upscale", type=int, choices=[2, 4], default=None,
                          help="colour a small gray photo at 2x or 4x its size (super-resolution colorizer)")
    return colorize


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor colorize`` as parsed by :func:`add_parser`; returns the exit status."""
    if getattr(args, "upscale", None):
        from gancolor.commands.upscale import upscale_files

        return upscale_files(args)
    videos = [path for path in args.inputs if is_video(Path(path))]
    photos = [path for path in args.inputs if path not in videos]
    if videos and args.hints is not None:
        raise UserError(f"{videos[0]}: --hints colour photos; a video takes no hints")
    if args.reference is not None:  # exemplar colorization: gancolor.infer.exemplar
        from gancolor.commands.files import convert_files
        from gancolor.infer.exemplar import reference_colorizer

        colorizer = reference_colorizer(args.reference, args.size, videos=videos, hints=args.hints,
                                        checkpoint=args.checkpoint)
        return convert_files(photos, args.out, colorizer.colorize_image, verb="colorized", pixel_limit=False)
    status = 0
    if photos:
        status = colorize_files(photos, args.out, checkpoint=args.checkpoint, size=args.size,
                                device=args.device, hints=args.hints, temperature=args.temperature)
    if videos:
        status = max(status, colorize_videos(videos, args.out, checkpoint=args.checkpoint,
                                             temporal=args.temporal, frames=args.frames, device=args.device))
    return status


def is_video(path: Path) -> bool:
    """True for a video file argument: a video container's suffix, or a GIF with more than one frame."""
    from gancolor.video.io import VIDEO_EXTENSIONS

    suffix = path.suffix.lower()
    if suffix not in VIDEO_EXTENSIONS or not path.is_file():
        return False
    if suffix != ".gif":
        return True
    from PIL import Image

    try:
        with Image.open(path) as image:
            return getattr(image, "n_frames", 1) > 1
    except OSError:  # unreadable: the photo path reports it, one line
        return False


def colorize_videos(inputs: Sequence[str], out_dir: Path, checkpoint: Path | None = None,
                    temporal: str | None = None, frames: bool = False, device: str = "cpu") -> int:
    """Colorize every video of ``inputs`` into ``out_dir`` (``gancolor.video.colorize_file``).

    A video that cannot be read is reported in one line and the others go on; the exit status is 1
    if any failed. An output never replaces its input.
    """
    import os
    import sys

    from gancolor.video.colorize_file import colorize_video, load_video_colorizer, output_path

    colorizer, model = load_video_colorizer(checkpoint, temporal, device=device)
    failed = 0
    for source in map(Path, inputs):
        target = output_path(source, out_dir, frames=frames)
        try:
            if os.path.realpath(target) == os.path.realpath(source):
                raise UserError(f"{source}: output would overwrite the input; choose another -o folder")
            result = colorize_video(source, target, colorizer, model, frames=frames)
        except UserError as error:
            print(f"gancolor: error: {error}", file=sys.stderr)
            failed += 1
            continue
        print(f"colorized {source} -> {result['path']} "
              f"({result['frames']} frames, {result['fps']:.1f} frames/s)")
    return 1 if failed else 0


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
