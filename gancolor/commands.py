"""What the ``gancolor`` sub-commands do (the parser lives in :mod:`gancolor.cli`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from tqdm.auto import tqdm

from gancolor.errors import DataError, ImageReadError, UserError

__all__ = ["load_images", "colorize_files", "output_path_for", "train_colorize", "evaluate_command"]

#: Output formats we write; anything else (gif ...) is written as PNG.
_WRITABLE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


def load_images(data: str, split: str = "train", size: int = 64, source: str = "all"
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images for training or evaluation: ``"embedded"`` (its ``split``) or a folder of photos.

    Returns: images (N, 3, size, size) uint8 and the ambiguous-object masks (N, size, size)
    bool for embedded data (None for a folder).
    """
    if data == "embedded":
        from gancolor.data import load_embedded

        split_data = load_embedded(split, source=source, size=size)
        return split_data.images, split_data.ambiguous
    folder = Path(data)
    if not folder.is_dir():
        raise DataError(f"{data}: not 'embedded' and not a folder of images")
    from gancolor.data import load_image_folder

    return load_image_folder(folder, size=size), None


def output_path_for(source: Path, root: Path | None, out_dir: Path) -> Path:
    """Where the colorized version of ``source`` goes: same name (and sub-folder when it was
    found inside the folder ``root``) under ``out_dir``; unwritable formats become PNG."""
    relative = source.relative_to(root) if root is not None else Path(source.name)
    suffix = source.suffix.lower()
    return out_dir / (relative if suffix in _WRITABLE_SUFFIXES else relative.with_suffix(".png"))


def _expand_inputs(inputs: Sequence[str]) -> list[tuple[Path, Path | None]]:
    """(file, folder it was found in or None) for every input; folders are expanded."""
    from gancolor.imageio import list_images

    pairs: list[tuple[Path, Path | None]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = list_images([path])
            if not found:
                print(f"gancolor: warning: {path}: no images in this folder", file=sys.stderr)
            pairs.extend((file, path) for file in found)
        else:
            pairs.append((path, None))
    return pairs


def colorize_files(inputs: Sequence[str], out_dir: Path, checkpoint: Path | None = None,
                   size: int | None = None, device: str = "cpu") -> int:
    """Colorize every input at full resolution into ``out_dir``.

    A file that cannot be read or written gets one line on stderr and the others are still
    processed; returns 1 if any file failed, else 0.
    """
    from gancolor.imageio import read_image, write_image
    from gancolor.inference import load_colorizer

    colorizer = load_colorizer(checkpoint, device=device, inference_size=size)
    files = _expand_inputs(inputs)
    if not files:
        raise DataError("no input images found")
    failures = 0
    written: set[Path] = set()
    for source, root in tqdm(files, desc="colorizing", unit="image", disable=len(files) < 2):
        target = output_path_for(source, root, out_dir)
        try:
            if target.resolve() == source.resolve():
                raise UserError(f"{source}: output would overwrite the input; choose another -o folder")
            if target in written:
                raise UserError(f"{source}: another input already wrote {target}")
            image = read_image(source)
            colorized = colorizer.colorize_image(image.rgb)
            write_image(target, colorized, alpha=image.alpha)
            written.add(target)
        except (ImageReadError, UserError) as error:
            failures += 1
            tqdm.write(f"gancolor: error: {error}", file=sys.stderr)
    done = len(files) - failures
    print(f"colorized {done} of {len(files)} image(s) into {out_dir}")
    return 1 if failures else 0


def train_colorize(args: argparse.Namespace) -> int:
    """``gancolor train colorize``: train, then export ``colorizer.pt`` and print validation metrics."""
    from gancolor.evaluate import evaluate_colorizers, format_table
    from gancolor.inference import load_colorizer
    from gancolor.train import ColorizeConfig, export_colorizer, train_colorizer
    from gancolor.viz import plot_losses

    if args.steps <= 0:
        raise UserError(f"--steps must be positive, got {args.steps}")
    config = ColorizeConfig(
        image_size=args.image_size, batch_size=args.batch_size, width=args.width, depth=args.depth,
        lambda_l1=args.lambda_l1, gan_loss=args.gan_loss, lr=args.lr, l1_only=args.l1_only, seed=args.seed,
    )
    if args.device:
        torch.device(args.device)  # validates the name
    images, _ = load_images(args.data, split="train", size=args.image_size)
    print(f"training {'L1-only' if args.l1_only else 'GAN'} colorizer on {len(images)} images "
          f"({args.data}), {args.steps} steps -> {args.out}")
    started = time.perf_counter()
    trainer, history = train_colorizer(config, images, steps=args.steps, out_dir=args.out, resume=args.resume,
                                       device=args.device, checkpoint_every=args.checkpoint_every)
    seconds = time.perf_counter() - started
    inference_size = args.inference_size or 4 * args.image_size
    colorizer_path = args.out / "colorizer.pt"
    export_colorizer(trainer, colorizer_path, inference_size=inference_size)
    (args.out / "history.json").write_text(json.dumps(history.to_dict()))
    plot_losses(history.losses, history.steps, path=args.out / "losses.png")
    print(f"trained in {seconds:.0f} s; wrote {colorizer_path}")
    if args.data == "embedded":
        from gancolor.data import load_embedded

        val = load_embedded("val", size=args.image_size)
        results = evaluate_colorizers({"model": load_colorizer(colorizer_path)}, val.images, val.ambiguous)
        print("validation (embedded val split):")
        print(format_table(results))
    return 0


def _shipped_checkpoints() -> list[Path]:
    from gancolor.inference import default_checkpoint

    return [path for path in (default_checkpoint("gan"), default_checkpoint("l1")) if path.is_file()]


def evaluate_command(args: argparse.Namespace) -> int:
    """``gancolor evaluate``: a table (or JSON) of each colorizer, the gray baseline and ground truth."""
    from gancolor.evaluate import evaluate_colorizers, format_table
    from gancolor.inference import load_colorizer

    paths = args.checkpoint or _shipped_checkpoints()
    if not paths:
        raise UserError("no --checkpoint given and no shipped colorizer found in gancolor/weights")
    colorizers = {}
    for path in paths:
        colorizer = load_colorizer(path)
        name = f"{colorizer.mode.upper() if colorizer.mode == 'gan' else 'L1-only'} ({path.name})"
        colorizers[name] = colorizer
    images, ambiguous = load_images(args.data, split=args.split, size=args.size, source=args.source)
    with_fid, fid_note = _fid_available(args.fid_weights)
    results = evaluate_colorizers(colorizers, images, ambiguous, fid_weights=args.fid_weights, with_fid=with_fid,
                                  progress=not args.json)
    if args.json:
        clean = {name: {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                 for name, row in results.items()}
        print(json.dumps({"data": args.data, "split": args.split, "images": len(images), "results": clean},
                         indent=2))
    else:
        print(f"{args.data} {args.split} split, {len(images)} images")
        print(format_table(results))
        if fid_note:
            print(fid_note)
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
