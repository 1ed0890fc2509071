"""How a ``gancolor train TASK`` command runs: its settings (preset + options), its processes (one, or
torchrun's), the training with checkpoints, curves and samples in ``--out``, the export, and the
choice of the best checkpoint on the val split (``--keep-best``). The tasks themselves are in
:mod:`gancolor.commands.train`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gancolor.commands.data import EMBEDDED_DOMAINS, load_domains
from gancolor.errors import UserError

if TYPE_CHECKING:
    import torch

    from gancolor.train.selection import BestOnValidation

__all__ = ["PREVIEWS", "Settings", "build_trainer", "check_keep_best", "fit_and_export", "preview_domains",
           "preview_images", "print_best", "processes", "read_settings", "speed_settings"]


def build_trainer(trainer_class: type, *args: Any, **kwargs: Any) -> Any:
    """``trainer_class(*args, **kwargs)``; settings it refuses (ValueError) become a one-line error."""
    try:
        return trainer_class(*args, **kwargs)
    except ValueError as error:
        raise UserError(f"{trainer_class.__name__}: {error}") from None


@dataclass(frozen=True)
class Settings:
    """A run's settings as the command line gives them, read once by :func:`read_settings`.

    ``options``: the config fields the user gave (None = not given, the preset's value stays);
    ``speed``: ``precision`` and ``channels_last``; ``image_size``: the training crop, which the
    data is read at.
    """

    task: str
    preset: str
    options: dict[str, Any]
    speed: dict[str, Any]
    image_size: int

    def config(self, num_examples: int) -> tuple[Any, int]:
        """The task's config and step count for ``num_examples`` training images (the ``full``
        preset counts its steps in epochs over the data)."""
        config, steps = _preset_config(self.task, self.preset, num_examples, self.options)
        return replace(config, **self.speed), steps


def _preset_config(task: str, preset: str, num_examples: int, options: dict[str, Any]) -> tuple[Any, int]:
    """:func:`gancolor.train.presets.preset_config`; settings it refuses become a one-line error."""
    from gancolor.train.presets import preset_config

    try:
        return preset_config(task, preset, num_examples, **options)
    except ValueError as error:
        raise UserError(str(error)) from None


def read_settings(args: argparse.Namespace, task: str, **options: Any) -> Settings:
    """The settings of ``gancolor train TASK``: the ``--config`` preset (``tiny`` by default) with
    the common options and the task's ``options`` the user gave (None = not given).

    Precision and channels_last: ``--precision`` (``--amp`` = fp16); by default fp16 and
    channels_last with ``--config full`` on CUDA, fp32 elsewhere (with a note for ``full``).
    On the CPU channels_last is only taken when asked for (with bf16): bf16 alone was faster
    (benchmarks/results.md). fp16 off CUDA is refused.
    """
    import torch

    if args.steps is not None and args.steps <= 0:
        raise UserError(f"--steps must be positive, got {args.steps}")
    if args.device:
        torch.device(args.device)  # validates the name
    given = dict(image_size=args.image_size, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                 steps=args.steps, **options)
    preset = args.config or "tiny"
    config, _ = _preset_config(task, preset, 1, given)  # all but the step count: no data needed
    return Settings(task, preset, given, speed_settings(args), config.image_size)


def speed_settings(args: argparse.Namespace) -> dict[str, Any]:
    """``precision`` and ``channels_last`` from ``--precision`` (or ``--amp``), ``--channels-last``,
    ``--config`` and the device (see :func:`read_settings`)."""
    from gancolor.runtime import pick_device
    from gancolor.train import distributed

    kind = pick_device(args.device).type
    precision = args.precision
    if args.amp is not None:
        amp_precision = "fp16" if args.amp else "fp32"
        if precision not in (None, amp_precision):
            raise UserError(f"--{'' if args.amp else 'no-'}amp means --precision {amp_precision}, "
                            f"not {precision}: give one of them")
        precision = amp_precision
    full = args.config == "full"
    if precision is None:
        precision = "fp16" if full and kind == "cuda" else "fp32"
        if full and kind != "cuda" and distributed.is_main():
            print(f"note: the full preset trains in fp32 on {kind} (give --precision bf16 for bfloat16)")
    if precision == "fp16" and kind != "cuda":
        raise UserError(f"--precision fp16 needs a CUDA GPU: on {kind} use --precision bf16 or fp32")
    if precision == "bf16" and kind not in ("cpu", "cuda"):
        raise UserError(f"--precision bf16 runs on the CPU or CUDA, not {kind}")
    nhwc_helps = kind == "cuda" or (kind == "cpu" and precision == "bf16")
    channels_last = args.channels_last
    if channels_last and not nhwc_helps:
        raise UserError(f"--channels-last needs CUDA, or --precision bf16 on the CPU (on {kind} in "
                        f"{precision} it only slows training down)")
    if channels_last is None:  # measured on a CPU with native bf16: NHWC slowed every bf16 step
        channels_last = kind == "cuda" and (full or precision == "bf16")
    return {"precision": precision, "channels_last": channels_last}


@contextmanager
def processes(args: argparse.Namespace) -> Iterator[str | torch.device | None]:
    """The training device: ``--device``, or under torchrun this process's device, in the process
    group of the launch for the block (see gancolor.train.distributed)."""
    from gancolor.train import distributed

    with distributed.launch(args.device) as launch:
        yield launch.device if launch is not None else args.device


def fit_and_export(trainer: Any, steps: int, args: argparse.Namespace, export: Callable[[Path], Path],
                    what: str, preview: Any = None, selection: BestOnValidation | None = None) -> Path | None:
    """Train ``trainer`` for ``steps`` steps (checkpoints in ``args.out``); export the model; save curves.

    At every checkpoint ``losses.png`` and ``samples_STEP.png`` (the trainer's preview of
    ``preview``) are written, and with ``--tensorboard`` TensorBoard events too; ``selection``
    (rank 0's) scores the model on held-out data and keeps the best.

    Under torchrun every process trains; rank 0 alone prints, exports and writes the files and
    returns the model's path, the others wait for it and return None.
    """
    import torch.distributed as dist

    from gancolor.io_utils import atomic_write_json
    from gancolor.train import distributed, fit
    from gancolor.train.out_dir import claim_out_dir
    from gancolor.train.watch import TrainingMonitor

    if distributed.launched_by_torchrun() and not dist.is_initialized():
        raise UserError(f"gancolor train {getattr(args, 'task', '')} does not support torchrun: "
                        "start it without torchrun")
    main, world = distributed.is_main(), distributed.world_size()
    where = f"{trainer.device}" + (f" x {world} processes" if world > 1 else "")
    precision = trainer.precision
    if precision.amp or precision.channels_last:
        where += f" ({precision})"
    # rank 0 locks --out and refuses one that holds a run unless --resume or --overwrite
    claim = (claim_out_dir(args.out, resume=args.resume, overwrite=getattr(args, "overwrite", False))
             if main else nullcontext())
    with claim:
        if main:
            print(f"training {what} for {steps} steps on {where} -> {args.out}")
        started = time.perf_counter()
        monitor = (TrainingMonitor(args.out, preview, tensorboard=args.tensorboard, selection=selection)
                   if main else None)
        try:
            history = fit(trainer, steps, out_dir=args.out, resume=args.resume,
                          checkpoint_every=args.checkpoint_every, monitor=monitor)
        finally:
            if monitor is not None:
                monitor.close()
        seconds = time.perf_counter() - started
        model_path = None
        if main:
            model_path = export(args.out)
            atomic_write_json(args.out / "history.json", history.to_dict())
            print(f"trained in {seconds:.0f} s (this run; {history.seconds:.0f} s in all); "
                  f"wrote {model_path}" + (f"; TensorBoard: tensorboard --logdir {args.out}"
                                           if args.tensorboard else ""))
    distributed.barrier()  # the other processes wait until rank 0 has written the model
    return model_path


#: How many held-out images (or pairs) ``samples_STEP.png`` shows.
PREVIEWS = 4


def preview_images(args: argparse.Namespace, images: torch.Tensor, size: int) -> torch.Tensor:
    """The photos ``samples_STEP.png`` shows: the first of the embedded val split, or of the training
    images for other data (they have no held-out split here); (4, 3, size, size) uint8."""
    from gancolor.train.watch import center_crops

    if args.data == "embedded":
        from gancolor.data import load_embedded

        images = load_embedded("val", size=size).images
    return center_crops(images[:PREVIEWS], size)


def preview_domains(args: argparse.Namespace, domains: Any, size: int) -> Any:
    """The pairs ``samples_STEP.png`` shows: the first of the val split (embedded), else of ``domains``."""
    from gancolor.data import UnpairedDomains
    from gancolor.train.watch import center_crops

    if args.data in EMBEDDED_DOMAINS:
        domains = load_domains(args.data, "val", size)
    a, b = (center_crops(images[:PREVIEWS], size) for images in (domains.a, domains.b))
    return UnpairedDomains(a, b, paired=domains.paired, names=domains.names, source=domains.source)


def check_keep_best(args: argparse.Namespace) -> None:
    """``--keep-best`` needs true translations to score against: the embedded data."""
    if args.keep_best and args.data not in EMBEDDED_DOMAINS:
        raise UserError(f"--keep-best scores the model against true translations, which only the embedded "
                        f"data have (--data {' or '.join(EMBEDDED_DOMAINS)}); {args.data} has none")


def print_best(selection: BestOnValidation | None) -> None:
    """Say which checkpoint ``selection`` kept (nothing without one)."""
    if selection is not None and (best := selection.best()) is not None:
        print(f"best checkpoint on the val split: step {best[0]} ({selection.metric} {best[1]:.2f}; "
              f"last step {selection.scores[-1]:.2f}) -> {selection.model_path}")
