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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gancolor.commands.data import EMBEDDED_DOMAINS, load_domains, load_images
from gancolor.commands.options import (
    IMAGE_SIZE,
    STEPS,
    TEMPERATURE,
    WORKING_SIZE,
    device_name,
    float_in,
    int_in,
)
from gancolor.errors import UserError

if TYPE_CHECKING:
    import torch

    from gancolor.train.selection import BestOnValidation

__all__ = ["add_parser", "run"]

#: The GAN objectives ``--gan-loss`` offers (:data:`gancolor.losses.GAN_LOSSES`, written out here so
#: that building the parser does not import torch).
_GAN_LOSSES = ["minimax", "nonsaturating", "lsgan", "hinge", "wgan"]

# Ranges of the training options, checked once when the command line is parsed.
_BATCH = int_in(1, 4096)
_WIDTH = int_in(1, 1024)
_LR = float_in(0, 10, low_open=True)
_WEIGHT = float_in(0, 1e6)
_SEED = int_in(0, 2**63 - 1)
_FRACTION = float_in(0, 1)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor train TASK`` (colorize, cyclegan, multitask, temporal) to ``subparsers``; returns it."""
    train = subparsers.add_parser("train", help="train a model (checkpoints, exact resume)")
    tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    _add_colorize_options(_add_task(tasks, "colorize", "colorizer.pt",
                                    "pix2pix colorization: U-Net L -> ab, PatchGAN on (L, ab)"))
    _add_superres_options(_add_task(tasks, "superres", "superres.pt",
                                    "super-resolution colorization: small gray L -> L and ab at 2x/4x"))
    _add_cyclegan_options(_add_task(tasks, "cyclegan", "stylizer.pt",
                                    "CycleGAN: unpaired translation A <-> B (ResNet G, LSGAN)"))
    _add_cut_options(_add_task(tasks, "cut", "stylizer.pt",
                               "CUT: one-sided unpaired translation A -> B (PatchNCE instead of a cycle)"))
    _add_multitask_options(_add_task(tasks, "multitask", "multitask.pt",
                                     "one model, two jobs: gray -> colour and gray -> style"))
    _add_temporal_task(tasks)
    return train


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor train TASK`` as parsed by :func:`add_parser`; returns the exit status."""
    return _TASKS[args.task](args)


def _add_task(tasks: argparse._SubParsersAction, name: str, what: str, help: str) -> argparse.ArgumentParser:
    """Add the parser of ``gancolor train NAME`` with the options every task has: data, length,
    output (``what`` is the model file it writes), resume, seed, device, precision."""
    parser = tasks.add_parser(name, help=help)
    parser.add_argument("--data", default="embedded",
                        help="'embedded' (default), 'embedded-paintings' (cyclegan: the embedded images <-> "
                             "their rendered paintings), a dataset name (`gancolor download --list`) or a "
                             "folder")
    parser.add_argument("--config", default=None, choices=["tiny", "full"],
                        help="a preset: 'tiny' (CPU, minutes; the default settings) or 'full' (GPU, the "
                             "paper's settings); options given explicitly override it")
    parser.add_argument("--steps", type=STEPS, default=None, help="total training steps (default: preset's)")
    parser.add_argument("--out", type=Path, required=True, help=f"output folder for checkpoint.pt and {what}")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run in an --out that holds one (its files are replaced)")
    parser.add_argument("--image-size", type=IMAGE_SIZE, default=None, help="training crop size in px")
    parser.add_argument("--batch-size", type=_BATCH, default=None)
    parser.add_argument("--lr", type=_LR, default=None)
    parser.add_argument("--seed", type=_SEED, default=None)
    parser.add_argument("--device", type=device_name, default=None,
                        help="cpu, cuda, mps (default: best available); under torchrun each process takes "
                             "the GPU of its LOCAL_RANK (cuda) or the CPU (gloo)")
    parser.add_argument("--checkpoint-every", type=STEPS, default=250)
    parser.add_argument("--precision", default=None, choices=["fp32", "bf16", "fp16"],
                        help="fp32; bf16 (CPU and CUDA: bfloat16 autocast, float32 weights); fp16 (CUDA: "
                             "float16 autocast + gradient scaling). Default: fp16 with --config full on "
                             "CUDA, else fp32")
    parser.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                        help="the same as --precision fp16 (--no-amp: fp32)")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="NHWC memory layout: CUDA, or the CPU with bf16 (default: on with --config "
                             "full or bf16 on CUDA; off on the CPU, where bf16 alone measured faster)")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also write TensorBoard events (losses, sample images) into --out")
    return parser


def _add_colorize_options(colorize: argparse.ArgumentParser) -> None:
    """The options of ``gancolor train colorize`` beyond the common ones."""
    colorize.add_argument("--l1-only", action="store_true", help="no discriminator: the L1-only baseline")
    colorize.add_argument("--source", default="all", choices=["all", "photos", "scenes"],
                          help="with --data embedded: the photo crops, the scenes, or both (default)")
    colorize.add_argument("--classify", action="store_true",
                          help="colour as classification over ab bins, rebalanced cross-entropy, no "
                               "discriminator (Zhang et al. 2016)")
    colorize.add_argument("--rebalance-lambda", type=_FRACTION, default=None,
                          help="with --classify: class rebalancing, 0 = by rarity, 1 = none (paper: 0.5)")
    colorize.add_argument("--temperature", type=TEMPERATURE, default=None,
                          help="with --classify: the model file's decoding temperature (paper: 0.38)")
    colorize.add_argument("--hints", action="store_true",
                          help="train a hint colorizer: L + sparse colour hints (Zhang et al. 2017)")
    colorize.add_argument("--hint-prior", default=None, choices=["none", "levin"],
                          help="with --hints: 'levin' = G also sees the hints spread by Levin et al. 2004 "
                               "and learns what to add to them")
    colorize.add_argument("--hue-jitter", type=_FRACTION, default=None,
                          help="share of training images whose colours turn by a random hue angle (L kept): "
                               "a hint model then follows its hints instead of remembered colours")
    colorize.add_argument("--hint-max", type=int_in(0, 10_000), default=None,
                          help="with --hints: at most this many simulated hints per image (default 32)")
    colorize.add_argument("--hint-p-none", type=float_in(0, 1, low_open=True), default=None,
                          help="with --hints: P(no hint); the number of hints is geometric (default 1/8)")
    colorize.add_argument("--hint-sizes", type=int_in(1, 4096), nargs=2, default=None, metavar=("MIN", "MAX"),
                          help="with --hints: side of the simulated hint squares in px (default 1 5)")
    colorize.add_argument("--width", type=_WIDTH, default=None, help="U-Net width of the first layer")
    colorize.add_argument("--depth", type=int_in(1, 10), default=None, help="U-Net down-sampling steps")
    colorize.add_argument("--lambda-l1", type=_WEIGHT, default=None,
                          help="weight of the L1 term (paper: 100)")
    colorize.add_argument("--gan-loss", default=None, choices=_GAN_LOSSES)
    colorize.add_argument("--norm", default=None, choices=["batch", "instance", "none"],
                          help="normalisation in G and D (default: batch; instance suits batch size 1)")
    colorize.add_argument("--inference-size", type=WORKING_SIZE, default=None,
                          help="long side (px) at which photos are colorized (default: 4 x image size)")
    _add_perceptual_option(colorize)


def _add_perceptual_option(parser: argparse.ArgumentParser, where: str = "beside L1") -> None:
    parser.add_argument("--perceptual", type=_WEIGHT, default=None,
                        help=f"weight of the perceptual (feature) loss {where}, features of the shipped "
                             "stylizer's encoder (Johnson et al. 2016; default 0 = off)")


def _add_superres_options(superres: argparse.ArgumentParser) -> None:
    """The options of ``gancolor train superres`` beyond the common ones (--image-size: the
    high-resolution crop)."""
    superres.add_argument("--scale", type=int, default=None, choices=[2, 4],
                          help="upscaling factor (default 2)")
    superres.add_argument("--gan", action="store_true", help="add pix2pix's PatchGAN (default: L1 only)")
    superres.add_argument("--width", type=_WIDTH, default=None, help="U-Net width of the first layer")
    superres.add_argument("--depth", type=int_in(1, 10), default=None, help="U-Net down-sampling steps")
    superres.add_argument("--source", default="all", choices=["all", "photos", "scenes"],
                          help="with --data embedded: the photo crops, the scenes, or both (default)")
    _add_perceptual_option(superres)


_D_LAYERS_HELP = ("the PatchGAN's stride-2 layers, which set the patch it judges: 1 -> 16 px, 2 -> 34 px, "
                  "3 -> 70 px (the paper's, default)")


def _add_cyclegan_options(cyclegan: argparse.ArgumentParser) -> None:
    """The options of ``gancolor train cyclegan`` beyond the common ones."""
    cyclegan.add_argument("--lambda-cycle", type=_WEIGHT, default=None, help="cycle loss weight (paper: 10)")
    cyclegan.add_argument("--lambda-identity", type=_WEIGHT, default=None,
                          help="weight of the identity loss, times --lambda-cycle (paper: 0.5)")
    cyclegan.add_argument("--blocks", type=int_in(1, 64), default=None,
                          help="ResNet blocks in G (paper: 9 at 256 px)")
    cyclegan.add_argument("--width", type=_WIDTH, default=None, help="G's first-layer width (paper: 64)")
    cyclegan.add_argument("--residual", action="store_true", default=None,
                          help="generators that output the input plus a change, starting as the identity "
                               "(suits styles that keep most of the photo, e.g. --data embedded-paintings)")
    cyclegan.add_argument("--d-norm", default=None, choices=["instance", "batch", "none"],
                          help="the discriminators' normalisation (default: that of G, instance)")
    cyclegan.add_argument("--d-layers", type=int_in(1, 6), default=None, help=_D_LAYERS_HELP)
    cyclegan.add_argument("--cycle-a-downsample", type=int_in(1, 64), default=None, metavar="K",
                          help="compare the A cycle F(G(a)) with a at 1/K resolution, so G may drop detail "
                               "finer than K px (a painting's abstraction; default 1 = the paper)")
    _add_perceptual_option(cyclegan, "beside the L1 cycle term, on the cycle reconstructions F(G(a)) vs a "
                                     "and G(F(b)) vs b")
    cyclegan.add_argument("--keep-best", action="store_true",
                          help="at every checkpoint score G (A -> B) on the val split (PSNR against the true "
                               "translation; --data embedded or embedded-paintings) and keep the best as "
                               "OUT/best_stylizer.pt; the scores go to OUT/validation.json")


def _add_cut_options(cut: argparse.ArgumentParser) -> None:
    """The options of ``gancolor train cut`` beyond the common ones."""
    cut.add_argument("--lambda-nce", type=_WEIGHT, default=None,
                     help="weight of the PatchNCE terms (paper: 1)")
    cut.add_argument("--no-nce-identity", dest="nce_identity", action="store_false", default=None,
                     help="leave out the PatchNCE term on G(y) vs y (FastCUT's objective)")
    cut.add_argument("--blocks", type=int_in(1, 64), default=None,
                     help="ResNet blocks in G (paper: 9 at 256 px)")
    cut.add_argument("--width", type=_WIDTH, default=None, help="G's first-layer width (paper: 64)")
    cut.add_argument("--residual", action="store_true", default=None,
                     help="a generator that outputs the input plus a change, starting as the identity")
    cut.add_argument("--d-norm", default=None, choices=["instance", "batch", "none"],
                     help="the discriminator's normalisation (default: that of G, instance)")
    cut.add_argument("--d-layers", type=int_in(1, 6), default=None, help=_D_LAYERS_HELP)
    cut.add_argument("--keep-best", action="store_true",
                     help="at every checkpoint score G on the val split (PSNR against the true translation; "
                          "--data embedded or embedded-paintings) and keep the best as OUT/best_stylizer.pt")


def _add_multitask_options(multitask: argparse.ArgumentParser) -> None:
    """The options of ``gancolor train multitask`` beyond the common ones."""
    multitask.add_argument("--colour-weight", type=_WEIGHT, default=None, help="weight of the colour loss")
    multitask.add_argument("--style-weight", type=_WEIGHT, default=None, help="weight of the style loss")


def _add_temporal_task(tasks: argparse._SubParsersAction) -> None:
    """``gancolor train temporal``: the video colorizer's temporal gate, on the embedded clips."""
    temporal = tasks.add_parser("temporal", help="video: the temporal gate on top of a per-frame colorizer, "
                                                 "trained on the embedded clips")
    temporal.add_argument("--steps", type=STEPS, default=900, help="total training steps (default: 900)")
    temporal.add_argument("--out", type=Path, required=True,
                          help="output folder for checkpoint.pt and temporal.pt")
    temporal.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    temporal.add_argument("--overwrite", action="store_true",
                          help="start a new run in an --out that holds one (its files are replaced)")
    temporal.add_argument("--per-frame", default="gan", choices=["gan", "l1"],
                          help="the shipped per-frame colorizer the gate sits on (default: gan)")
    temporal.add_argument("--seed", type=_SEED, default=None)
    temporal.add_argument("--device", type=device_name, default=None)
    temporal.add_argument("--checkpoint-every", type=STEPS, default=200)


# -- running a task ----------------------------------------------------------------------------


def _build(trainer_class: type, *args: Any, **kwargs: Any) -> Any:
    """``trainer_class(*args, **kwargs)``; settings it refuses (ValueError) become a one-line error."""
    try:
        return trainer_class(*args, **kwargs)
    except ValueError as error:
        raise UserError(f"{trainer_class.__name__}: {error}") from None


@dataclass(frozen=True)
class _Settings:
    """A run's settings as the command line gives them, read once by :func:`_read_settings`.

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


def _read_settings(args: argparse.Namespace, task: str, **options: Any) -> _Settings:
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
    return _Settings(task, preset, given, _speed_settings(args), config.image_size)


def _speed_settings(args: argparse.Namespace) -> dict[str, Any]:
    """``precision`` and ``channels_last`` from ``--precision`` (or ``--amp``), ``--channels-last``,
    ``--config`` and the device (see :func:`_read_settings`)."""
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
def _processes(args: argparse.Namespace) -> Iterator[str | torch.device | None]:
    """The training device: ``--device``, or under torchrun this process's device, in the process
    group of the launch for the block (see gancolor.train.distributed)."""
    from gancolor.train import distributed

    with distributed.launch(args.device) as launch:
        yield launch.device if launch is not None else args.device


def _fit_and_export(trainer: Any, steps: int, args: argparse.Namespace, export: Callable[[Path], Path],
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
_PREVIEWS = 4


def _preview_images(args: argparse.Namespace, images: torch.Tensor, size: int) -> torch.Tensor:
    """The photos ``samples_STEP.png`` shows: the first of the embedded val split, or of the training
    images for other data (they have no held-out split here); (4, 3, size, size) uint8."""
    from gancolor.train.watch import center_crops

    if args.data == "embedded":
        from gancolor.data import load_embedded

        images = load_embedded("val", size=size).images
    return center_crops(images[:_PREVIEWS], size)


def _preview_domains(args: argparse.Namespace, domains: Any, size: int) -> Any:
    """The pairs ``samples_STEP.png`` shows: the first of the val split (embedded), else of ``domains``."""
    from gancolor.data import UnpairedDomains
    from gancolor.train.watch import center_crops

    if args.data in EMBEDDED_DOMAINS:
        domains = load_domains(args.data, "val", size)
    a, b = (center_crops(images[:_PREVIEWS], size) for images in (domains.a, domains.b))
    return UnpairedDomains(a, b, paired=domains.paired, names=domains.names, source=domains.source)


def _train_colorize(args: argparse.Namespace) -> int:
    """``gancolor train colorize``: train, then export ``colorizer.pt`` and print validation metrics."""
    from gancolor.evaluation.colorizer_eval import evaluate_colorizers
    from gancolor.evaluation.scores import format_table
    from gancolor.infer.colorizer import load_colorizer
    from gancolor.train import ColorizationTrainer, export_colorizer

    options = dict(width=args.width, depth=args.depth, lambda_l1=args.lambda_l1, gan_loss=args.gan_loss,
                   norm=args.norm,
                   l1_only=args.l1_only or None, hints=args.hints or None, hint_prior=args.hint_prior,
                   hint_max=args.hint_max, hint_p_none=args.hint_p_none,
                   hint_min_size=args.hint_sizes[0] if args.hint_sizes else None,
                   hint_max_size=args.hint_sizes[1] if args.hint_sizes else None,
                   classify=args.classify or None, hue_jitter=args.hue_jitter,
                   rebalance_lambda=args.rebalance_lambda,
                   temperature=args.temperature, perceptual=args.perceptual)
    with _processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        settings = _read_settings(args, "colorize", **options)
        images, _ = load_images(args.data, split="train", size=settings.image_size, source=args.source)
        config, steps = settings.config(len(images))
        kind = ("classification" if config.classify else "L1-only" if config.l1_only else "GAN") + \
            (" hint" if config.hints else "")
        trainer = _build(ColorizationTrainer, config, images, device=device)
        inference_size = args.inference_size or 4 * config.image_size
        colorizer_path = _fit_and_export(
            trainer, steps, args, lambda out: export_colorizer(trainer, out / "colorizer.pt",
                                                               inference_size=inference_size),
            f"a {kind} colorizer on {len(images)} images ({args.data}"
            + (f", {args.source}" if args.source != "all" else "") + ")",
            preview=_preview_images(args, images, config.image_size))
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


def _train_superres(args: argparse.Namespace) -> int:
    """``gancolor train superres``: train, export ``superres.pt``, print validation metrics beside
    bicubic upscaling then the shipped colorizer."""
    from gancolor.train.superres import SuperResTrainer, export_superres

    options = dict(scale=args.scale, width=args.width, depth=args.depth, perceptual=args.perceptual,
                   l1_only=False if args.gan else None)
    with _processes(args) as device:
        settings = _read_settings(args, "superres", **options)
        images, _ = load_images(args.data, split="train", size=settings.image_size, source=args.source)
        config, steps = settings.config(len(images))
        trainer = _build(SuperResTrainer, config, images, device=device)
        model_path = _fit_and_export(
            trainer, steps, args, lambda out: export_superres(trainer, out / "superres.pt"),
            f"a x{config.scale} super-resolution colorizer on {len(images)} images ({args.data})",
            preview=_preview_images(args, images, config.image_size))
    if model_path is None or args.data != "embedded":
        return 0
    from gancolor.data import load_embedded
    from gancolor.evaluation.scores import format_table
    from gancolor.evaluation.superres_eval import evaluate_superres
    from gancolor.infer.upscaler import load_superres

    val = load_embedded("val", size=config.image_size)
    print(f"validation (embedded val split, {config.image_size // config.scale} -> {config.image_size} px):")
    print(format_table(evaluate_superres(load_superres(model_path), val.images)))
    return 0


def _train_cyclegan(args: argparse.Namespace) -> int:
    """``gancolor train cyclegan``: unpaired A <-> B; export ``stylizer.pt``; paired validation metrics."""
    from gancolor.evaluation.scores import format_table
    from gancolor.evaluation.stylizer_eval import evaluate_stylizer
    from gancolor.infer.stylizer import load_stylizer
    from gancolor.train import distributed
    from gancolor.train.cyclegan import CycleGANTrainer, export_stylizer, validation_psnr
    from gancolor.train.selection import BestOnValidation

    _check_keep_best(args)
    options = dict(width=args.width, n_blocks=args.blocks, lambda_cycle=args.lambda_cycle,
                   lambda_identity=args.lambda_identity, perceptual=args.perceptual, residual=args.residual,
                   d_norm=args.d_norm, d_layers=args.d_layers, cycle_a_downsample=args.cycle_a_downsample)
    with _processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        settings = _read_settings(args, "cyclegan", **options)
        domains = load_domains(args.data, "train", settings.image_size)
        config, steps = settings.config(max(len(domains.a), len(domains.b)))
        trainer = _build(CycleGANTrainer, config, domains, device=device)
        names = "2".join(domains.names)
        val = load_domains(args.data, "val", config.image_size) if args.data in EMBEDDED_DOMAINS else None

        def export(path: Path) -> Path:
            return export_stylizer(trainer, path, inference_size=4 * config.image_size)

        selection = None
        if args.keep_best and distributed.is_main():
            selection = BestOnValidation(args.out, lambda task: validation_psnr(task, val), export,
                                         "best_stylizer.pt", "val PSNR AtoB (dB)", resume=args.resume)
        stylizer_path = _fit_and_export(
            trainer, steps, args, lambda out: export(out / "stylizer.pt"),
            f"a CycleGAN {names} on {len(domains.a)} + {len(domains.b)} unpaired images ({args.data})",
            preview=_preview_domains(args, domains, config.image_size), selection=selection)
    if stylizer_path is None:  # not rank 0 of a torchrun launch
        return 0
    if val is not None:
        stylizer = load_stylizer(stylizer_path)
        for direction in ("AtoB", "BtoA"):
            print(f"validation (embedded val split, {direction}, against the true target):")
            print(format_table(evaluate_stylizer(stylizer, val, direction)))
    _print_best(selection)
    return 0


def _train_cut(args: argparse.Namespace) -> int:
    """``gancolor train cut``: one-sided A -> B; export a one-sided ``stylizer.pt``; paired val metrics."""
    from gancolor.evaluation.scores import format_table
    from gancolor.evaluation.stylizer_eval import evaluate_stylizer
    from gancolor.infer.stylizer import load_stylizer
    from gancolor.train import distributed
    from gancolor.train.cut import CUTTrainer, cut_validation_psnr, export_cut_stylizer
    from gancolor.train.selection import BestOnValidation

    _check_keep_best(args)
    if distributed.launched_by_torchrun():
        raise UserError("gancolor train cut runs in one process: start it without torchrun")
    options = dict(width=args.width, n_blocks=args.blocks, lambda_nce=args.lambda_nce,
                   nce_identity=args.nce_identity, residual=args.residual, d_norm=args.d_norm,
                   d_layers=args.d_layers)
    settings = _read_settings(args, "cut", **options)
    domains = load_domains(args.data, "train", settings.image_size)
    config, steps = settings.config(max(len(domains.a), len(domains.b)))
    trainer = _build(CUTTrainer, config, domains, device=args.device)
    val = load_domains(args.data, "val", config.image_size) if args.data in EMBEDDED_DOMAINS else None

    def export(path: Path) -> Path:
        return export_cut_stylizer(trainer, path, inference_size=4 * config.image_size)

    selection = (BestOnValidation(args.out, lambda task: cut_validation_psnr(task, val), export,
                                  "best_stylizer.pt", "val PSNR AtoB (dB)", resume=args.resume)
                 if args.keep_best else None)
    stylizer_path = _fit_and_export(
        trainer, steps, args, lambda out: export(out / "stylizer.pt"),
        f"a CUT {'2'.join(domains.names)} on {len(domains.a)} + {len(domains.b)} unpaired images "
        f"({args.data})",
        preview=_preview_domains(args, domains, config.image_size), selection=selection)
    if val is not None and stylizer_path is not None:
        print("validation (embedded val split, AtoB, against the true target):")
        print(format_table(evaluate_stylizer(load_stylizer(stylizer_path), val, "AtoB")))
    _print_best(selection)
    return 0


def _check_keep_best(args: argparse.Namespace) -> None:
    """``--keep-best`` needs true translations to score against: the embedded data."""
    if args.keep_best and args.data not in EMBEDDED_DOMAINS:
        raise UserError(f"--keep-best scores the model against true translations, which only the embedded "
                        f"data have (--data {' or '.join(EMBEDDED_DOMAINS)}); {args.data} has none")


def _print_best(selection: BestOnValidation | None) -> None:
    """Say which checkpoint ``selection`` kept (nothing without one)."""
    if selection is not None and (best := selection.best()) is not None:
        print(f"best checkpoint on the val split: step {best[0]} ({selection.metric} {best[1]:.2f}; "
              f"last step {selection.scores[-1]:.2f}) -> {selection.model_path}")


def _train_multitask(args: argparse.Namespace) -> int:
    """``gancolor train multitask``: gray -> colour + gray -> winter in one model; export ``multitask.pt``."""
    from gancolor.evaluation.multitask_eval import evaluate_multitask, format_multitask_results
    from gancolor.infer.multitask_model import load_multitask
    from gancolor.train.colour_and_style import MultiTaskTrainer, export_multitask

    if args.data != "embedded":
        raise UserError(f"{args.data}: the multi-task model trains on the embedded summer/winter scenes "
                        "(it needs colour photos of domain A and photos of domain B); use --data embedded")
    options = dict(weight_colour=args.colour_weight, weight_style=args.style_weight)
    with _processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        settings = _read_settings(args, "multitask", **options)
        domains = load_domains(args.data, "train", settings.image_size)
        config, steps = settings.config(max(len(domains.a), len(domains.b)))
        trainer = _build(MultiTaskTrainer, config, domains, device=device)
        model_path = _fit_and_export(
            trainer, steps, args, lambda out: export_multitask(trainer, out / "multitask.pt"),
            f"a multi-task colorizer + {'2'.join(domains.names)} stylizer on {len(domains.a)} + "
            f"{len(domains.b)} images ({args.data})",
            preview=_preview_domains(args, domains, config.image_size))
    if model_path is None:  # not rank 0 of a torchrun launch
        return 0
    print("validation (embedded val split):")
    print(format_multitask_results(evaluate_multitask(load_multitask(model_path), split="val",
                                                      size=config.image_size)))
    return 0


def _train_temporal(args: argparse.Namespace) -> int:
    """``gancolor train temporal``: train the temporal gate; export ``temporal.pt``; test-clip metrics
    with ``gancolor evaluate --task video --checkpoint OUT/temporal.pt``."""
    from gancolor.train.out_dir import claim_out_dir
    from gancolor.train.temporal_consistency import TemporalConfig
    from gancolor.video.train_temporal import train_temporal_model

    config = TemporalConfig(seed=args.seed) if args.seed is not None else TemporalConfig()
    with claim_out_dir(args.out, resume=args.resume, overwrite=args.overwrite):
        print(f"training the temporal gate on the {args.per_frame} colorizer for {args.steps} steps "
              f"-> {args.out}")
        _, history, path = train_temporal_model(args.steps, args.out, resume=args.resume,
                                                per_frame=args.per_frame, config=config,
                                                checkpoint_every=args.checkpoint_every, device=args.device)
    print(f"trained in {history.seconds:.0f} s in all; wrote {path}")
    print(f"test clips: gancolor evaluate --task video --checkpoint {path}")
    return 0


#: ``gancolor train TASK``: what runs each task.
_TASKS: dict[str, Callable[[argparse.Namespace], int]] = {
    "colorize": _train_colorize,
    "superres": _train_superres,
    "cyclegan": _train_cyclegan,
    "cut": _train_cut,
    "multitask": _train_multitask,
    "temporal": _train_temporal,
}
