"""``gancolor train TASK``: train a model with the package's trainers, export it, report held-out metrics.

Every task goes the same way: settings = the ``--config`` preset (``tiny`` by default) with the
options given on the command line; :func:`gancolor.train.fit` with checkpoints in ``--out``
(``--resume`` continues); then the model file, ``history.json`` and ``losses.png`` in ``--out``
and, on the embedded data, held-out metrics of the new model.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

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
from gancolor.commands.train_runs import (
    build_trainer,
    check_keep_best,
    fit_and_export,
    preview_domains,
    preview_images,
    print_best,
    processes,
    read_settings,
)
from gancolor.errors import UserError

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
    cut.add_argument("--lambda-transport", type=_WEIGHT, default=None,
                     help="weight of a transport cost E ||G(x) - x||^2 (in [-1, 1] units) beside the GAN "
                          "term: prefer the map that moves the photo least (default 0 = the paper)")
    cut.add_argument("--lambda-pixel", type=_WEIGHT, default=None,
                     help="weight of a second critic that judges single pixels (pix2pix's PixelGAN): it asks "
                          "for the target domain's colours on every image (default 0 = the paper)")
    cut.add_argument("--nce-layers", default=None, metavar="I,J,...",
                     help="which of G's encoder maps PatchNCE compares, 0 = the image itself (default: all "
                          "five, the paper's; e.g. 2,3,4 leaves out the pixel-level ones)")
    cut.add_argument("--no-nce-identity", dest="nce_identity", action="store_false", default=None,
                     help="leave out the PatchNCE term on G(y) vs y (FastCUT's objective)")
    cut.add_argument("--blocks", type=int_in(1, 64), default=None,
                     help="ResNet blocks in G (paper: 9 at 256 px)")
    cut.add_argument("--width", type=_WIDTH, default=None, help="G's first-layer width (paper: 64)")
    cut.add_argument("--residual", action="store_true", default=None,
                     help="a generator that outputs the input plus a change, starting as the identity")
    cut.add_argument("--filter-size", type=int_in(0, 15), default=None, metavar="K",
                     help="with --residual: G also filters the photo by a K x K filter it predicts at every "
                          "pixel (odd K; it can then smooth, e.g. along strokes; default 0 = none)")
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
    with processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        settings = read_settings(args, "colorize", **options)
        images, _ = load_images(args.data, split="train", size=settings.image_size, source=args.source)
        config, steps = settings.config(len(images))
        kind = ("classification" if config.classify else "L1-only" if config.l1_only else "GAN") + \
            (" hint" if config.hints else "")
        trainer = build_trainer(ColorizationTrainer, config, images, device=device)
        inference_size = args.inference_size or 4 * config.image_size
        colorizer_path = fit_and_export(
            trainer, steps, args, lambda out: export_colorizer(trainer, out / "colorizer.pt",
                                                               inference_size=inference_size),
            f"a {kind} colorizer on {len(images)} images ({args.data}"
            + (f", {args.source}" if args.source != "all" else "") + ")",
            preview=preview_images(args, images, config.image_size))
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
    with processes(args) as device:
        settings = read_settings(args, "superres", **options)
        images, _ = load_images(args.data, split="train", size=settings.image_size, source=args.source)
        config, steps = settings.config(len(images))
        trainer = build_trainer(SuperResTrainer, config, images, device=device)
        model_path = fit_and_export(
            trainer, steps, args, lambda out: export_superres(trainer, out / "superres.pt"),
            f"a x{config.scale} super-resolution colorizer on {len(images)} images ({args.data})",
            preview=preview_images(args, images, config.image_size))
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
    from gancolor.evaluation.stylizer_eval import evaluate_stylizer, generators_psnr
    from gancolor.infer.stylizer import load_stylizer
    from gancolor.train import distributed
    from gancolor.train.cyclegan import CycleGANTrainer, export_stylizer
    from gancolor.train.selection import BestOnValidation

    check_keep_best(args)
    options = dict(width=args.width, n_blocks=args.blocks, lambda_cycle=args.lambda_cycle,
                   lambda_identity=args.lambda_identity, perceptual=args.perceptual, residual=args.residual,
                   d_norm=args.d_norm, d_layers=args.d_layers, cycle_a_downsample=args.cycle_a_downsample)
    with processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        settings = read_settings(args, "cyclegan", **options)
        domains = load_domains(args.data, "train", settings.image_size)
        config, steps = settings.config(max(len(domains.a), len(domains.b)))
        trainer = build_trainer(CycleGANTrainer, config, domains, device=device)
        names = "2".join(domains.names)
        val = load_domains(args.data, "val", config.image_size) if args.data in EMBEDDED_DOMAINS else None

        def export(path: Path) -> Path:
            return export_stylizer(trainer, path, inference_size=4 * config.image_size)

        selection = None
        if args.keep_best and distributed.is_main():
            def score(task: CycleGANTrainer) -> float:
                return generators_psnr({"AtoB": task.G_AB, "BtoA": task.G_BA}, val)

            selection = BestOnValidation(args.out, score, export, "best_stylizer.pt", "val PSNR AtoB (dB)",
                                         resume=args.resume)
        stylizer_path = fit_and_export(
            trainer, steps, args, lambda out: export(out / "stylizer.pt"),
            f"a CycleGAN {names} on {len(domains.a)} + {len(domains.b)} unpaired images ({args.data})",
            preview=preview_domains(args, domains, config.image_size), selection=selection)
    if stylizer_path is None:  # not rank 0 of a torchrun launch
        return 0
    if val is not None:
        stylizer = load_stylizer(stylizer_path)
        for direction in ("AtoB", "BtoA"):
            print(f"validation (embedded val split, {direction}, against the true target):")
            print(format_table(evaluate_stylizer(stylizer, val, direction)))
    print_best(selection)
    return 0


def _train_cut(args: argparse.Namespace) -> int:
    """``gancolor train cut``: one-sided A -> B; export a one-sided ``stylizer.pt``; paired val metrics."""
    from gancolor.evaluation.scores import format_table
    from gancolor.evaluation.stylizer_eval import evaluate_stylizer, generators_psnr
    from gancolor.infer.stylizer import load_stylizer
    from gancolor.train import distributed
    from gancolor.train.cut import CUTTrainer, export_cut_stylizer
    from gancolor.train.selection import BestOnValidation

    check_keep_best(args)
    if distributed.launched_by_torchrun():
        raise UserError("gancolor train cut runs in one process: start it without torchrun")
    options = dict(width=args.width, n_blocks=args.blocks, lambda_nce=args.lambda_nce,
                   lambda_transport=args.lambda_transport, lambda_pixel=args.lambda_pixel,
                   nce_layers=args.nce_layers, nce_identity=args.nce_identity, residual=args.residual,
                   filter_size=args.filter_size,
                   d_norm=args.d_norm, d_layers=args.d_layers)
    settings = read_settings(args, "cut", **options)
    domains = load_domains(args.data, "train", settings.image_size)
    config, steps = settings.config(max(len(domains.a), len(domains.b)))
    trainer = build_trainer(CUTTrainer, config, domains, device=args.device)
    val = load_domains(args.data, "val", config.image_size) if args.data in EMBEDDED_DOMAINS else None

    def export(path: Path) -> Path:
        return export_cut_stylizer(trainer, path, inference_size=4 * config.image_size)

    selection = (BestOnValidation(args.out, lambda task: generators_psnr({"AtoB": task.G}, val), export,
                                  "best_stylizer.pt", "val PSNR AtoB (dB)", resume=args.resume)
                 if args.keep_best else None)
    stylizer_path = fit_and_export(
        trainer, steps, args, lambda out: export(out / "stylizer.pt"),
        f"a CUT {'2'.join(domains.names)} on {len(domains.a)} + {len(domains.b)} unpaired images "
        f"({args.data})",
        preview=preview_domains(args, domains, config.image_size), selection=selection)
    if val is not None and stylizer_path is not None:
        print("validation (embedded val split, AtoB, against the true target):")
        print(format_table(evaluate_stylizer(load_stylizer(stylizer_path), val, "AtoB")))
    print_best(selection)
    return 0


def _train_multitask(args: argparse.Namespace) -> int:
    """``gancolor train multitask``: gray -> colour + gray -> winter in one model; export ``multitask.pt``."""
    from gancolor.evaluation.multitask_eval import evaluate_multitask, format_multitask_results
    from gancolor.infer.multitask_model import load_multitask
    from gancolor.train.colour_and_style import MultiTaskTrainer, export_multitask

    if args.data != "embedded":
        raise UserError(f"{args.data}: the multi-task model trains on the embedded summer/winter scenes "
                        "(it needs colour photos of domain A and photos of domain B); use --data embedded")
    options = dict(weight_colour=args.colour_weight, weight_style=args.style_weight)
    with processes(args) as device:  # under torchrun: DDP, rank 0 writes the files
        settings = read_settings(args, "multitask", **options)
        domains = load_domains(args.data, "train", settings.image_size)
        config, steps = settings.config(max(len(domains.a), len(domains.b)))
        trainer = build_trainer(MultiTaskTrainer, config, domains, device=device)
        model_path = fit_and_export(
            trainer, steps, args, lambda out: export_multitask(trainer, out / "multitask.pt"),
            f"a multi-task colorizer + {'2'.join(domains.names)} stylizer on {len(domains.a)} + "
            f"{len(domains.b)} images ({args.data})",
            preview=preview_domains(args, domains, config.image_size))
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
