"""``gancolor train TASK``: train a model with the package's trainers, export it, report held-out metrics.

Every task goes the same way: settings = the ``--config`` preset (``tiny`` by default) with the
options given on the command line; :func:`gancolor.train.fit` with checkpoints in ``--out``
(``--resume`` continues); then the model file, ``history.json`` and ``losses.png`` in ``--out``
and, on the embedded data, held-out metrics of the new model.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from gancolor.commands.data import load_images
from gancolor.errors import UserError

__all__ = ["train_colorize", "train_cyclegan", "train_multitask"]


def _build(trainer_class: type, *args: Any, **kwargs: Any) -> Any:
    """``trainer_class(*args, **kwargs)``; settings it refuses (ValueError) become a one-line error."""
    try:
        return trainer_class(*args, **kwargs)
    except ValueError as error:
        raise UserError(f"{trainer_class.__name__}: {error}") from None


def _settings(args: argparse.Namespace, task: str, num_examples: int, **options: Any) -> tuple[Any, int]:
    """The task's config and step count: the preset, then the options the user gave (None = not given).

    Mixed precision and channels_last (configs with ``amp`` / ``channels_last`` fields): on with
    ``--config full`` or ``--amp`` / ``--channels-last`` on CUDA; ``--config full`` on another
    device leaves them off with a note; ``--amp`` / ``--channels-last`` there are refused.
    """
    from gancolor.runtime import pick_device
    from gancolor.train import distributed
    from gancolor.train.presets import preset_config

    if args.steps is not None and args.steps <= 0:
        raise UserError(f"--steps must be positive, got {args.steps}")
    if args.device:
        torch.device(args.device)  # validates the name
    common = dict(image_size=args.image_size, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                  steps=args.steps)
    try:
        config, steps = preset_config(task, args.config or "tiny", num_examples, **common, **options)
    except ValueError as error:
        raise UserError(str(error)) from None
    if not hasattr(config, "amp"):
        return config, steps
    cuda = pick_device(args.device).type == "cuda"
    full = args.config == "full"
    speed = {}
    for key, flag in (("amp", "--amp"), ("channels_last", "--channels-last")):
        given = getattr(args, key, None)
        if given and not cuda:
            raise UserError(f"{flag} needs a CUDA GPU: on {pick_device(args.device).type} training runs in "
                            f"float32 (leave {flag} out)")
        speed[key] = (full if given is None else given) and cuda
    if full and not cuda and not getattr(args, "_precision_noted", False) and distributed.is_main():
        print(f"note: mixed precision and channels_last are CUDA-only; the full preset trains in float32 "
              f"on {pick_device(args.device).type}")
        args._precision_noted = True
    return replace(config, **speed), steps


@contextmanager
def _processes(args: argparse.Namespace) -> Iterator[str | torch.device | None]:
    """The training device: ``--device``, or under torchrun this process's device, in the process
    group of the launch for the block (see gancolor.train.distributed)."""
    from gancolor.train import distributed

    with distributed.launch(args.device) as launch:
        yield launch.device if launch is not None else args.device


def _fit_and_export(trainer: Any, steps: int, args: argparse.Namespace, export: Callable[[Path], Path],
                    what: str) -> Path | None:
    """Train ``trainer`` for ``steps`` steps (checkpoints in ``args.out``); export the model; save curves.

    Under torchrun every process trains; rank 0 alone prints, exports and writes the files and
    returns the model's path, the others wait for it and return None.
    """
    import torch.distributed as dist

    from gancolor.io_utils import atomic_write_json
    from gancolor.train import distributed, fit
    from gancolor.train.out_dir import claim_out_dir
    from gancolor.viz import plot_losses

    if distributed.launched_by_torchrun() and not dist.is_initialized():
        raise UserError(f"gancolor train {getattr(args, 'task', '')} does not support torchrun: "
                        "start it without torchrun")
    main, world = distributed.is_main(), distributed.world_size()
    where = f"{trainer.device}" + (f" x {world} processes" if world > 1 else "")
    precision = getattr(trainer, "precision", None)
    if precision is not None and (precision.amp or precision.channels_last):
        where += f" ({precision})"
    # rank 0 locks --out and refuses one that holds a run unless --resume or --overwrite
    claim = (claim_out_dir(args.out, resume=args.resume, overwrite=getattr(args, "overwrite", False))
             if main else nullcontext())
    with claim:
        if main:
            print(f"training {what} for {steps} steps on {where} -> {args.out}")
        started = time.perf_counter()
        history = fit(trainer, steps, out_dir=args.out, resume=args.resume,
                      checkpoint_every=args.checkpoint_every)
        seconds = time.perf_counter() - started
        model_path = None
        if main:
            model_path = export(args.out)
            atomic_write_json(args.out / "history.json", history.to_dict())
            plot_losses(history.losses, history.steps, path=args.out / "losses.png")
            print(f"trained in {seconds:.0f} s (this run; {history.seconds:.0f} s in all); "
                  f"wrote {model_path}")
    distributed.barrier()  # the other processes wait until rank 0 has written the model
    return model_path


def train_colorize(args: argparse.Namespace) -> int:
    """``gancolor train colorize``: train, then export ``colorizer.pt`` and print validation metrics."""
    from gancolor.evaluate import evaluate_colorizers, format_table
    from gancolor.inference import load_colorizer
    from gancolor.train import ColorizationTrainer, export_colorizer

    options = dict(width=args.width, depth=args.depth, lambda_l1=args.lambda_l1, gan_loss=args.gan_loss,
                   norm=args.norm,
                   l1_only=args.l1_only or None, hints=args.hints or None, hint_prior=args.hint_prior,
                   hint_max=args.hint_max, hint_p_none=args.hint_p_none,
                   hint_min_size=args.hint_sizes[0] if args.hint_sizes else None,
                   hint_max_size=args.hint_sizes[1] if args.hint_sizes else None,
                   classify=args.classify or None, hue_jitter=args.hue_jitter,
                   rebalance_lambda=args.rebalance_lambda,
                   temperature=args.temperature)
    with _processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        config, _ = _settings(args, "colorize", 1, **options)
        images, _ = load_images(args.data, split="train", size=config.image_size, source=args.source)
        config, steps = _settings(args, "colorize", len(images), **options)
        kind = ("classification" if config.classify else "L1-only" if config.l1_only else "GAN") + \
            (" hint" if config.hints else "")
        trainer = _build(ColorizationTrainer, config, images, device=device)
        inference_size = args.inference_size or 4 * config.image_size
        colorizer_path = _fit_and_export(
            trainer, steps, args, lambda out: export_colorizer(trainer, out / "colorizer.pt",
                                                               inference_size=inference_size),
            f"a {kind} colorizer on {len(images)} images ({args.data}"
            + (f", {args.source}" if args.source != "all" else "") + ")")
    if colorizer_path is None:  # not rank 0 of a torchrun launch
        return 0
    if args.data == "embedded":
        from gancolor.data import load_embedded

        val = load_embedded("val", size=config.image_size)
        results = evaluate_colorizers({"model": load_colorizer(colorizer_path)}, val.images, val.ambiguous,
                                      hints=5 if config.hints else 0)
        print("validation (embedded val split" + (", 5 simulated hints" if config.hints else "") + "):")
        print(format_table(results))
    return 0


def train_cyclegan(args: argparse.Namespace) -> int:
    """``gancolor train cyclegan``: unpaired A <-> B; export ``stylizer.pt``; paired validation metrics."""
    from gancolor.commands.stylize import load_domains
    from gancolor.evaluate import format_table
    from gancolor.evaluate_style import evaluate_stylizer
    from gancolor.stylize import load_stylizer
    from gancolor.train.cyclegan import CycleGANTrainer, export_stylizer

    options = dict(width=args.width, n_blocks=args.blocks, lambda_cycle=args.lambda_cycle,
                   lambda_identity=args.lambda_identity)
    with _processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        config, _ = _settings(args, "cyclegan", 1, **options)
        domains = load_domains(args.data, "train", config.image_size)
        config, steps = _settings(args, "cyclegan", max(len(domains.a), len(domains.b)), **options)
        trainer = _build(CycleGANTrainer, config, domains, device=device)
        names = "2".join(domains.names)
        stylizer_path = _fit_and_export(
            trainer, steps, args, lambda out: export_stylizer(trainer, out / "stylizer.pt",
                                                              inference_size=4 * config.image_size),
            f"a CycleGAN {names} on {len(domains.a)} + {len(domains.b)} unpaired images ({args.data})")
    if stylizer_path is None:  # not rank 0 of a torchrun launch
        return 0
    if args.data == "embedded":
        val = load_domains("embedded", "val", config.image_size)
        stylizer = load_stylizer(stylizer_path)
        for direction in ("AtoB", "BtoA"):
            print(f"validation (embedded val split, {direction}, against the true target):")
            print(format_table(evaluate_stylizer(stylizer, val, direction)))
    return 0


def train_multitask(args: argparse.Namespace) -> int:
    """``gancolor train multitask``: gray -> colour + gray -> winter in one model; export ``multitask.pt``."""
    from gancolor.commands.stylize import load_domains
    from gancolor.multitask import evaluate_multitask, format_multitask_results, load_multitask
    from gancolor.train.colour_and_style import MultiTaskTrainer, export_multitask

    if args.data != "embedded":
        raise UserError(f"{args.data}: the multi-task model trains on the embedded summer/winter scenes "
                        "(it needs colour photos of domain A and photos of domain B); use --data embedded")
    options = dict(weight_colour=args.colour_weight, weight_style=args.style_weight)
    config, _ = _settings(args, "multitask", 1, **options)
    domains = load_domains(args.data, "train", config.image_size)
    config, steps = _settings(args, "multitask", max(len(domains.a), len(domains.b)), **options)
    trainer = _build(MultiTaskTrainer, config, domains, device=args.device)
    model_path = _fit_and_export(
        trainer, steps, args, lambda out: export_multitask(trainer, out / "multitask.pt"),
        f"a multi-task colorizer + {'2'.join(domains.names)} stylizer on {len(domains.a)} + "
        f"{len(domains.b)} images ({args.data})")
    print("validation (embedded val split):")
    print(format_multitask_results(evaluate_multitask(load_multitask(model_path), split="val",
                                                      size=config.image_size)))
    return 0
