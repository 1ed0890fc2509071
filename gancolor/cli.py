"""The ``gancolor`` command: demo, train, colorize, stylize, evaluate, download.

Every user error (bad file, bad checkpoint, bad option) ends as one line on stderr and a
non-zero exit status, never a traceback. Run ``gancolor COMMAND --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gancolor.cli_options import OneLineParser, device_name, float_in, image_file, int_in
from gancolor.errors import UserError

__all__ = ["main", "build_parser"]

_GAN_LOSSES = ["minimax", "nonsaturating", "lsgan", "hinge", "wgan"]

# Ranges of the option values, checked once when the command line is parsed.
_STEPS = int_in(1, 10**9)
_IMAGE_SIZE = int_in(16, 4096)  # a training crop
_WORKING_SIZE = int_in(16, 16384)  # the long side a model sees at inference
_BATCH = int_in(1, 4096)
_WIDTH = int_in(1, 1024)
_LR = float_in(0, 10, low_open=True)
_WEIGHT = float_in(0, 1e6)
_SEED = int_in(0, 2**63 - 1)
_TEMPERATURE = float_in(0, 100, low_open=True)  # annealed-mean decoding (Zhang et al. 2016)
_FRACTION = float_in(0, 1)


def _add_common_train_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Options every ``gancolor train TASK`` has: data, length, output, resume, seed, device, precision."""
    parser.add_argument("--data", default="embedded",
                        help="'embedded' (default), a dataset name (`gancolor download --list`) or a folder")
    parser.add_argument("--config", default=None, choices=["tiny", "full"],
                        help="a preset: 'tiny' (CPU, minutes; the default settings) or 'full' (GPU, the "
                             "paper's settings); options given explicitly override it")
    parser.add_argument("--steps", type=_STEPS, default=None, help="total training steps (default: preset's)")
    parser.add_argument("--out", type=Path, required=True, help=f"output folder for checkpoint.pt and {what}")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run in an --out that holds one (its files are replaced)")
    parser.add_argument("--image-size", type=_IMAGE_SIZE, default=None, help="training crop size in px")
    parser.add_argument("--batch-size", type=_BATCH, default=None)
    parser.add_argument("--lr", type=_LR, default=None)
    parser.add_argument("--seed", type=_SEED, default=None)
    parser.add_argument("--device", type=device_name, default=None,
                        help="cpu, cuda, mps (default: best available); under torchrun each process takes "
                             "the GPU of its LOCAL_RANK (cuda) or the CPU (gloo)")
    parser.add_argument("--checkpoint-every", type=_STEPS, default=250)
    parser.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                        help="mixed precision (float16 autocast + gradient scaling), CUDA only "
                             "(default: on with --config full)")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                        help="NHWC memory layout for faster convolutions, CUDA only "
                             "(default: on with --config full)")


def _add_train_parser(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a model (checkpoints, exact resume)")
    tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")

    colorize = tasks.add_parser("colorize", help="pix2pix colorization: U-Net L -> ab, PatchGAN on (L, ab)")
    _add_common_train_options(colorize, "colorizer.pt")
    colorize.add_argument("--l1-only", action="store_true", help="no discriminator: the L1-only baseline")
    colorize.add_argument("--source", default="all", choices=["all", "photos", "scenes"],
                          help="with --data embedded: the photo crops, the scenes, or both (default)")
    colorize.add_argument("--classify", action="store_true",
                          help="colour as classification over ab bins, rebalanced cross-entropy, no "
                               "discriminator (Zhang et al. 2016)")
    colorize.add_argument("--rebalance-lambda", type=_FRACTION, default=None,
                          help="with --classify: class rebalancing, 0 = by rarity, 1 = none (paper: 0.5)")
    colorize.add_argument("--temperature", type=_TEMPERATURE, default=None,
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
    colorize.add_argument("--inference-size", type=_WORKING_SIZE, default=None,
                          help="long side (px) at which photos are colorized (default: 4 x image size)")

    cyclegan = tasks.add_parser("cyclegan", help="CycleGAN: unpaired translation A <-> B (ResNet G, LSGAN)")
    _add_common_train_options(cyclegan, "stylizer.pt")
    cyclegan.add_argument("--lambda-cycle", type=_WEIGHT, default=None, help="cycle loss weight (paper: 10)")
    cyclegan.add_argument("--lambda-identity", type=_WEIGHT, default=None,
                          help="weight of the identity loss, times --lambda-cycle (paper: 0.5)")
    cyclegan.add_argument("--blocks", type=int_in(1, 64), default=None,
                          help="ResNet blocks in G (paper: 9 at 256 px)")
    cyclegan.add_argument("--width", type=_WIDTH, default=None, help="G's first-layer width (paper: 64)")

    multitask = tasks.add_parser("multitask", help="one model, two jobs: gray -> colour and gray -> style")
    _add_common_train_options(multitask, "multitask.pt")
    multitask.add_argument("--colour-weight", type=_WEIGHT, default=None, help="weight of the colour loss")
    multitask.add_argument("--style-weight", type=_WEIGHT, default=None, help="weight of the style loss")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="gancolor", description=__doc__.splitlines()[0])
    from gancolor import __version__

    parser.add_argument("--version", action="version", version=f"gancolor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="colorize held-out images with the shipped models -> demo.png")
    demo.add_argument("--out", type=image_file, default=Path("demo.png"),
                      help="image to write (default: demo.png)")
    demo.add_argument("--rows", type=int_in(1, 64), default=8, help="images in the figure (default: 8)")

    _add_train_parser(commands)

    colorize = commands.add_parser("colorize", help="colorize photos of any size")
    colorize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    colorize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    colorize.add_argument("--checkpoint", type=Path, default=None,
                          help="colorizer file (default: the shipped L1 model; with --hints: the hint model)")
    colorize.add_argument("--hints", type=Path, default=None,
                          help='JSON colour hints, [{"x": 120, "y": 80, "color": "#ff0000"}, ...]')
    colorize.add_argument("--size", type=_WORKING_SIZE, default=None, help="long side (px) the model sees")
    colorize.add_argument("--device", type=device_name, default="cpu")
    colorize.add_argument("--temperature", type=_TEMPERATURE, default=None,
                          help="classification colorizers (Zhang et al. 2016): decode at this temperature, "
                               "1 = safe mean, towards 0 = vivid (default: the model's)")

    stylize = commands.add_parser("stylize", help="translate photos of any size with a CycleGAN (A <-> B)")
    stylize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    stylize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    stylize.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"],
                         help="AtoB (default; summer -> winter for the shipped model) or BtoA")
    stylize.add_argument("--checkpoint", type=Path, default=None,
                         help="stylizer file (default: the shipped summer <-> winter model)")
    stylize.add_argument("--size", type=_WORKING_SIZE, default=None, help="long side (px) the model sees")
    stylize.add_argument("--device", type=device_name, default="cpu")

    evaluate = commands.add_parser("evaluate", help="held-out metrics of trained models and baselines")
    evaluate.add_argument("--task", default="colorize", choices=["colorize", "stylize", "multitask"],
                          help="what the checkpoints do (default: colorize)")
    evaluate.add_argument("--checkpoint", type=Path, action="append", default=None,
                          help="model file; repeat to compare (default: the shipped models of the task)")
    evaluate.add_argument("--data", default="embedded",
                          help="'embedded', 'photos' (whole real photos the dependencies ship), a dataset "
                               "name or a folder")
    evaluate.add_argument("--split", default="test", choices=["train", "val", "test"])
    evaluate.add_argument("--source", default="all", choices=["all", "photos", "scenes"],
                          help="embedded colorize data only: which part")
    evaluate.add_argument("--size", type=_IMAGE_SIZE, default=64,
                          help="image size for a folder (default: 64)")
    evaluate.add_argument("--hints", type=int_in(0, 10_000), nargs="+", default=None, metavar="N",
                          help="hint colorizers: N simulated hints per image; several N give a curve")
    evaluate.add_argument("--temperature", type=_TEMPERATURE, nargs="+", default=None, metavar="T",
                          help="classification colorizers: decode at each temperature T "
                               "(default: the model's)")
    evaluate.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"], help="stylize only")
    evaluate.add_argument("--fid-weights", default=None, help="pytorch-fid Inception weights file")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")

    download = commands.add_parser("download", help="download a public dataset (sha256-checked, resumable)")
    download.add_argument("names", nargs="*", metavar="NAME", help="dataset name(s); see --list")
    download.add_argument("--list", action="store_true", help="list the datasets and which are downloaded")
    download.add_argument("--root", default=None, help="where datasets go (default: the gancolor cache)")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from gancolor.demo import run_demo

        return run_demo(out=args.out, rows=args.rows)
    if args.command == "train":
        from gancolor.commands import train

        return getattr(train, f"train_{args.task}")(args)
    if args.command == "colorize":
        from gancolor.commands import colorize_files

        return colorize_files(args.inputs, args.out, checkpoint=args.checkpoint, size=args.size,
                              device=args.device, hints=args.hints, temperature=args.temperature)
    if args.command == "stylize":
        from gancolor.commands import stylize_files

        return stylize_files(args.inputs, args.out, direction=args.direction, checkpoint=args.checkpoint,
                             size=args.size, device=args.device)
    if args.command == "evaluate":
        from gancolor.commands import evaluate_command

        return evaluate_command(args)
    if args.command == "download":
        from gancolor.data.download_cli import download_command

        return download_command(args.names, root=args.root, list_only=args.list)
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gancolor`` and ``python -m gancolor``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UserError as error:
        if _reports_errors():
            print(f"gancolor: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gancolor: interrupted", file=sys.stderr)
        return 130


def _reports_errors() -> bool:
    """True unless this is a torchrun process other than rank 0: every rank fails alike, rank 0 says
    it once. A stray ``RANK`` outside torchrun never hides an error."""
    from gancolor.train.distributed import torchrun_rank

    return torchrun_rank() in (None, 0)


if __name__ == "__main__":
    raise SystemExit(main())
