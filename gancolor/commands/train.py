"""``gancolor train TASK``: train a model with the package's trainers, export it, report held-out metrics.

Every task goes the same way: settings = the ``--config`` preset (``tiny`` by default) with the
options given on the command line; :func:`gancolor.train.fit` with checkpoints in ``--out``
(``--resume`` continues); then the model file, ``history.json`` and ``losses.png`` in ``--out``
and, on the embedded data, held-out metrics of the new model.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from gancolor.commands.data import load_images
from gancolor.errors import UserError

__all__ = ["train_colorize", "train_cyclegan", "train_multitask"]


def _settings(args: argparse.Namespace, task: str, num_examples: int, **options: Any) -> tuple[Any, int]:
    """The task's config and step count: the preset, then the options the user gave (None = not given)."""
    from gancolor.train.presets import preset_config

    if args.steps is not None and args.steps <= 0:
        raise UserError(f"--steps must be positive, got {args.steps}")
    if args.device:
        torch.device(args.device)  # validates the name
    common = dict(image_size=args.image_size, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                  steps=args.steps)
    try:
        return preset_config(task, args.config or "tiny", num_examples, **common, **options)
    except ValueError as error:
        raise UserError(str(error)) from None


def _fit_and_export(trainer: Any, steps: int, args: argparse.Namespace, export: Callable[[Path], Path],
                    what: str) -> Path:
    """Train ``trainer`` for ``steps`` steps (checkpoints in ``args.out``); export the model; save curves."""
    from gancolor.train import fit
    from gancolor.viz import plot_losses

    print(f"training {what} for {steps} steps on {args.device or trainer.device} -> {args.out}")
    started = time.perf_counter()
    history = fit(trainer, steps, out_dir=args.out, resume=args.resume,
                  checkpoint_every=args.checkpoint_every)
    seconds = time.perf_counter() - started
    model_path = export(args.out)
    (args.out / "history.json").write_text(json.dumps(history.to_dict()))
    plot_losses(history.losses, history.steps, path=args.out / "losses.png")
    print(f"trained in {seconds:.0f} s (this run; {history.seconds:.0f} s in all); wrote {model_path}")
    return model_path


def train_colorize(args: argparse.Namespace) -> int:
    """``gancolor train colorize``: train, then export ``colorizer.pt`` and print validation metrics."""
    from gancolor.evaluate import evaluate_colorizers, format_table
    from gancolor.inference import load_colorizer
    from gancolor.train import ColorizationTrainer, export_colorizer

    options = dict(width=args.width, depth=args.depth, lambda_l1=args.lambda_l1, gan_loss=args.gan_loss,
                   l1_only=args.l1_only or None, hints=args.hints or None)
    config, _ = _settings(args, "colorize", 1, **options)
    images, _ = load_images(args.data, split="train", size=config.image_size)
    config, steps = _settings(args, "colorize", len(images), **options)
    kind = ("L1-only" if config.l1_only else "GAN") + (" hint" if config.hints else "")
    trainer = ColorizationTrainer(config, images, device=args.device)
    inference_size = args.inference_size or 4 * config.image_size
    colorizer_path = _fit_and_export(
        trainer, steps, args, lambda out: export_colorizer(trainer, out / "colorizer.pt",
                                                           inference_size=inference_size),
        f"a {kind} colorizer on {len(images)} images ({args.data})")
    if args.data == "embedded":
        from gancolor.data import load_embedded

        val = load_embedded("val", size=config.image_size)
        results = evaluate_colorizers({"model": load_colorizer(colorizer_path)}, val.images, val.ambiguous,
                                      hints=5 if config.hints else 0)
        print("validation (embedded val split" + (", 5 simulated hints" if config.hints else "") + "):")
        print(format_table(results))
    return 0
