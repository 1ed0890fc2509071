"""``gancolor evaluate``: held-out metrics of trained models against the baselines.

One function per ``--task``: colorizers (on the embedded data, a dataset, a folder, or whole real
photos with ``--data photos``), CycleGAN stylizers, and the two heads of a multi-task model; each
prints a table (or JSON with ``--json``) through :func:`report`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path

from gancolor.commands.data import load_domains, load_images
from gancolor.commands.options import IMAGE_SIZE, TEMPERATURE, int_in
from gancolor.errors import UserError

__all__ = ["add_parser", "run", "report"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor evaluate`` to ``subparsers``; returns its parser."""
    evaluate = subparsers.add_parser("evaluate", help="held-out metrics of trained models and baselines")
    evaluate.add_argument("--task", default="colorize", choices=["colorize", "stylize", "multitask", "video",
                                                                    "exemplar"],
                          help="what the checkpoints do (default: colorize)")
    evaluate.add_argument("--checkpoint", type=Path, action="append", default=None,
                          help="model file; repeat to compare (default: the shipped models of the task; "
                               "video: the temporal colorizer file)")
    evaluate.add_argument("--data", default="embedded",
                          help="'embedded', 'photos' (whole real photos the dependencies ship), "
                               "'embedded-paintings' (stylize: photo -> painting), a dataset name or a "
                               "folder")
    evaluate.add_argument("--split", default="test", choices=["train", "val", "test"])
    evaluate.add_argument("--source", default="all", choices=["all", "photos", "scenes"],
                          help="embedded colorize data only: which part")
    evaluate.add_argument("--size", type=IMAGE_SIZE, default=64,
                          help="image size for a folder (default: 64)")
    evaluate.add_argument("--hints", type=int_in(0, 10_000), nargs="+", default=None, metavar="N",
                          help="hint colorizers: N simulated hints per image; several N give a curve")
    evaluate.add_argument("--temperature", type=TEMPERATURE, nargs="+", default=None, metavar="T",
                          help="classification colorizers: decode at each temperature T "
                               "(default: the model's)")
    evaluate.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"], help="stylize only")
    evaluate.add_argument("--fid-weights", default=None, help="pytorch-fid Inception weights file")
    evaluate.add_argument("--clips", type=int_in(1, 10_000), default=None, metavar="N",
                          help="video only: the first N clips of the split (default: all)")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return evaluate


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor evaluate`` as parsed by :func:`add_parser`: a table (or JSON) of each model
    against the baselines on held-out data; returns the exit status."""
    if args.task == "stylize":
        return _evaluate_stylizers(args)
    if args.task == "multitask":
        return _evaluate_multitask(args)
    if args.task == "video":
        return _evaluate_video(args)
    if args.task == "exemplar":  # each half of real photos coloured from the other half as reference
        from gancolor.evaluation.exemplar_eval import exemplar_report

        print(exemplar_report(args.split, as_json=args.json))
        return 0
    if args.data == "photos":
        return _evaluate_photos(args)
    return _evaluate_colorizers(args)


def _shipped_checkpoints(hints: bool, automatic: bool = True) -> list[Path]:
    """The shipped colorizer files: the hint model with ``hints``, the automatic ones with ``automatic``."""
    from gancolor.infer.colorizer import default_checkpoint

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
    from gancolor.infer.colorizer import load_colorizer

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


def _evaluate_photos(args: argparse.Namespace) -> int:
    """``--data photos``: whole held-out real photos (gancolor.evaluate_photos), every method at
    full resolution beside the baselines: the gray photo, the mean ab and colour transfer (fitted on
    every other image of the embedded train split, as in notebook 04) and, with hints, Levin et al. 2004."""
    from gancolor.data import load_embedded
    from gancolor.data.real_photos import real_photos
    from gancolor.evaluation.baseline_colorizers import ColorTransfer, Levin2004, MeanAB
    from gancolor.evaluation.photo_eval import BaselinePhoto, GrayPhoto, evaluate_photos, format_photo_table

    counts = sorted(set(args.hints or [0]))
    paths = args.checkpoint or _shipped_checkpoints(hints=any(counts))
    train = load_embedded("train").images[::2]
    baselines = {"gray": GrayPhoto(), "mean ab": BaselinePhoto(MeanAB.fit(train)),
                 "colour transfer": BaselinePhoto(ColorTransfer(train))}
    methods = {**baselines, **({"Levin 2004": Levin2004()} if any(counts) else {}),
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
    from gancolor.evaluation.colorizer_eval import evaluate_colorizers, evaluate_with_hints

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


def _evaluate_stylizers(args: argparse.Namespace) -> int:
    """``--task stylize``: PSNR/SSIM against the true target (paired data) and FID/KID (when the
    Inception weights exist), for each stylizer and the identity mapping."""
    from gancolor.evaluation.stylizer_eval import evaluate_stylizer
    from gancolor.infer.stylizer import default_stylizer, load_stylizer, shipped_stylizer

    painting = args.data in ("embedded-paintings", "photos")
    paths = args.checkpoint or [shipped_stylizer("painting") if painting else default_stylizer()]
    if painting:
        return _evaluate_painting_stylizers(args, paths)
    domains = load_domains(args.data, args.split, args.size)
    with_fid, fid_note = _fid_available(args.fid_weights)
    if not domains.paired and not with_fid:
        raise UserError(f"{args.data}: unpaired domains have no true target to compare with; FID/KID need "
                        f"the Inception weights ({fid_note})")
    results: dict[str, dict[str, float]] = {}
    for path in paths:
        scores = evaluate_stylizer(load_stylizer(path), domains, args.direction, with_fid=with_fid,
                                   fid_weights=args.fid_weights, progress=not args.json)
        results[f"stylizer ({Path(path).name})"] = scores["stylizer"]
        results["identity (input unchanged)"] = scores["identity"]
    note = f"{args.direction}: {len(domains.a)} A and {len(domains.b)} B images. {fid_note}".strip()
    return report(results, args, len(domains.a), note)


def _evaluate_painting_stylizers(args: argparse.Namespace, paths: list[Path]) -> int:
    """``--task stylize --data embedded-paintings|photos``: photo -> painting against the rendered
    true painting, beside the baselines fitted on the training paintings
    (gancolor.evaluation.painting_eval)."""
    from gancolor.data.paintings import PAINTING_DOMAINS
    from gancolor.evaluation.painting_eval import evaluate_painting_photos, evaluate_painting_split
    from gancolor.infer.stylizer import load_stylizer

    if args.direction != "AtoB":
        raise UserError(f"--data {args.data}: only photo -> painting (AtoB) has a true target (the renderer)")
    results: dict[str, dict[str, float]] = {}
    for path in paths:
        stylizer = load_stylizer(path)
        if stylizer.domains != PAINTING_DOMAINS:
            raise UserError(f"{path}: a {'2'.join(stylizer.domains)} stylizer; --data {args.data} scores "
                            "photo -> painting stylizers (gancolor train cyclegan --data embedded-paintings)")
        if args.data == "photos":
            per_photo = evaluate_painting_photos(stylizer, args.split)
            scores, count = per_photo.pop("mean"), len(per_photo)
            note = f"real {args.split} photos at {stylizer.inference_size} px long side, against paint(photo)"
        else:
            scores = evaluate_painting_split(stylizer, args.split)["all"]
            count = len(load_images("embedded", args.split)[0])
            note = "AtoB (photo -> painting) against the rendered painting of each image"
        results[f"stylizer ({Path(path).name})"] = scores.pop("stylizer")
        results.update(scores)
    return report(results, args, count,
                  note + "; baselines fitted on the train paintings (the blur's width on train pairs)")


def _evaluate_multitask(args: argparse.Namespace) -> int:
    """``--task multitask``: the colour head vs the summer truth and the style head vs the winter truth
    (embedded scenes of ``--split``), beside the gray/identity baselines and the shipped single-task
    models."""
    from gancolor.data.embedded import load_embedded
    from gancolor.evaluation.multitask_eval import evaluate_multitask
    from gancolor.infer.colorizer import default_checkpoint, load_colorizer
    from gancolor.infer.multitask_model import default_multitask, load_multitask
    from gancolor.infer.stylizer import default_stylizer, load_stylizer

    if args.data != "embedded":
        raise UserError(f"{args.data}: multi-task evaluation needs aligned summer/winter pairs; "
                        "use --data embedded")
    paths = args.checkpoint or [default_multitask()]
    if len(paths) != 1:
        raise UserError("--task multitask evaluates one --checkpoint at a time")
    colorizer = load_colorizer(default_checkpoint("gan")) if default_checkpoint("gan").is_file() else None
    stylizer = load_stylizer(default_stylizer()) if default_stylizer().is_file() else None
    results = evaluate_multitask(load_multitask(Path(paths[0])), split=args.split, colorizer=colorizer,
                                 stylizer=stylizer)
    rows = {f"{job}: {method}": scores for job, table in results.items() for method, scores in table.items()}
    note = ("colour rows vs the summer photo, style rows vs its winter twin; single-task models: the shipped "
            "colorizer_gan.pt and stylizer_summer2winter.pt")
    return report(rows, args, len(load_embedded(args.split, source="scenes").images), note)


def _evaluate_video(args: argparse.Namespace) -> int:
    """``--task video``: PSNR and flicker of per-frame colorization, the smoothing baseline and the
    temporal model on the embedded clips of ``--split`` (:func:`gancolor.video.clip_eval.evaluate_video`)."""
    from gancolor.video.clip_eval import evaluate_video, format_video_report

    if args.data != "embedded":
        raise UserError(f"--data {args.data}: video evaluation runs on the embedded clips (they have true "
                        "colours and true motion)")
    if args.checkpoint and len(args.checkpoint) > 1:
        raise UserError("--task video evaluates one temporal --checkpoint at a time")
    result = evaluate_video(args.split, temporal=args.checkpoint[0] if args.checkpoint else None,
                            limit=args.clips, progress=not args.json)
    print(json.dumps({"task": "video", **result}) if args.json else format_video_report(result))
    return 0


def report(results: dict[str, dict[str, float]], args: argparse.Namespace, num_images: int, note: str = ""
           ) -> int:
    """Print ``results`` ({model: {metric: value}}) as a table, or as JSON with ``--json``."""
    from gancolor.evaluation.scores import format_table

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
