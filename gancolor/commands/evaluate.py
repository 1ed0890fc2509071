"""``gancolor evaluate``: held-out metrics of trained models against the baselines."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path

from gancolor.commands.data import load_images
from gancolor.errors import UserError

__all__ = ["evaluate_command"]


def _shipped_checkpoints(hints: bool, automatic: bool = True) -> list[Path]:
    """The shipped colorizer files: the hint model with ``hints``, the automatic ones with ``automatic``."""
    from gancolor.inference import default_checkpoint

    modes = (("hints",) if hints else ()) + (("gan", "l1", "classify") if automatic else ())
    return [path for path in map(default_checkpoint, modes) if path.is_file()]


_KINDS = {"gan": "GAN", "l1": "L1-only", "classify": "classification"}


def _colorizer_name(colorizer: object, path: Path) -> str:
    kind = _KINDS.get(colorizer.mode, colorizer.mode)
    if colorizer.temperature is not None:
        kind += f" T={colorizer.temperature:g}"
    return f"{kind}{' + hints' if colorizer.takes_hints else ''} ({path.name})"


def _load_colorizers(paths: list[Path], temperatures: list[float] | None) -> dict:
    """Each colorizer file by display name; a classification colorizer once per temperature given."""
    from gancolor.inference import load_colorizer

    colorizers = {}
    for path in paths:
        loaded = load_colorizer(path)
        for temperature in (temperatures or [None]) if loaded.temperature is not None else [None]:
            colorizer = loaded
            if temperature is not None:  # the same network, its own decoding settings
                colorizer = dataclasses.replace(loaded, meta=dict(loaded.meta))
                colorizer.set_temperature(temperature)
            colorizers[_colorizer_name(colorizer, path)] = colorizer
    return colorizers


def evaluate_command(args: argparse.Namespace) -> int:
    """``gancolor evaluate``: a table (or JSON) of each model against the baselines on held-out data."""
    if args.task == "stylize":
        from gancolor.commands.stylize import evaluate_stylizers_command

        return evaluate_stylizers_command(args)
    if args.task == "multitask":
        from gancolor.commands.multitask import evaluate_multitask_command

        return evaluate_multitask_command(args)
    if args.data == "photos":
        return _evaluate_photos(args)
    return _evaluate_colorizers(args)


def _evaluate_photos(args: argparse.Namespace) -> int:
    """``--data photos``: whole held-out real photos (gancolor.evaluate_photos), every method at
    full resolution with the gray photo and Levin et al. 2004 beside the models."""
    from gancolor.baselines import Levin2004
    from gancolor.data.real_photos import real_photos
    from gancolor.evaluate_photos import GrayPhoto, evaluate_photos, format_photo_table

    counts = sorted(set(args.hints or [0]))
    paths = args.checkpoint or _shipped_checkpoints(hints=any(counts))
    methods = {"gray": GrayPhoto(), **({"Levin 2004": Levin2004()} if any(counts) else {}),
               **_load_colorizers(paths, args.temperature)}
    photos = real_photos(args.split)
    results = evaluate_photos(methods, photos, counts, progress=not args.json)
    if args.json:
        def finite(value: float) -> float | None:  # JSON has no inf
            return value if math.isfinite(value) else None

        clean = {name: {str(k): {"psnr": finite(row["psnr"]), "colorfulness": row["colorfulness"],
                                 "per_photo": {p: finite(v) for p, v in row["per_photo"].items()}}
                        for k, row in by_k.items()}
                 for name, by_k in results.items()}
        print(json.dumps({"task": "colorize", "data": "photos", "split": args.split, "photos": list(photos),
                          "hints": counts, "results": clean}, indent=2))
        return 0
    print(f"real photos, {args.split} split: {', '.join(photos)} (long side 512 px, PSNR in dB at full size)")
    print(format_photo_table(results, counts))
    if any(counts):
        print("k = simulated hints per photo (7x7 px squares of the true mean colour, seed 0); "
              "'-' = the method takes no hints")
    return 0


def _evaluate_colorizers(args: argparse.Namespace) -> int:
    from gancolor.evaluate import evaluate_colorizers, evaluate_with_hints

    counts = args.hints or [0]
    if any(n < 0 for n in counts):
        raise UserError(f"--hints must be >= 0, got {' '.join(map(str, counts))}")
    paths = args.checkpoint or _shipped_checkpoints(hints=any(counts), automatic=not any(counts))
    if not paths:
        raise UserError("no --checkpoint given and no shipped colorizer found in gancolor/weights")
    colorizers = _load_colorizers(paths, args.temperature)
    images, ambiguous = load_images(args.data, split=args.split, size=args.size, source=args.source)
    with_fid, fid_note = _fid_available(args.fid_weights)
    if len(counts) == 1:
        results = evaluate_colorizers(colorizers, images, ambiguous, fid_weights=args.fid_weights,
                                      with_fid=with_fid, progress=not args.json, hints=counts[0])
        note = f"{counts[0]} simulated hints per image (hint models only)" if counts[0] else ""
    else:  # a PSNR-vs-hints curve per hint model
        results = {}
        for name, colorizer in colorizers.items():
            if not colorizer.takes_hints:
                raise UserError(f"{name}: takes no hints; --hints with several counts needs hint colorizers")
            for count, row in evaluate_with_hints(colorizer, images, counts, ambiguous=ambiguous).items():
                results[f"{name}, {count} hints"] = row
        note, fid_note = "simulated hints from the ground truth (seed 0)", ""
    return report(results, args, len(images), " ".join(filter(None, [note, fid_note])))


def report(results: dict[str, dict[str, float]], args: argparse.Namespace, num_images: int, note: str = ""
           ) -> int:
    """Print ``results`` ({model: {metric: value}}) as a table, or as JSON with ``--json``."""
    from gancolor.evaluate import format_table

    if args.json:
        clean = {name: {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in row.items()}
                 for name, row in results.items()}
        print(json.dumps({"task": args.task, "data": args.data, "split": args.split, "images": num_images,
                          "results": clean}, indent=2))
    else:
        print(f"{args.data} {args.split} split, {num_images} images")
        print(format_table(results))
        if note:
            print(note)
    return 0


def _fid_available(weights: str | None) -> tuple[bool, str]:
    """Whether FID/KID can be computed, and a note for the user when not."""
    from gancolor.errors import MissingWeightsError
    from gancolor.metrics import inception_weights_path

    try:
        inception_weights_path(weights)
    except MissingWeightsError as error:
        if weights:  # asked for explicitly: that is an error
            raise
        return False, f"FID/KID skipped: {error}"
    return True, ""
