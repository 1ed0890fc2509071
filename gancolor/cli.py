"""The ``gancolor`` command: demo, train, colorize, evaluate.

Every user error (bad file, bad checkpoint, bad option) ends as one line on stderr and a
non-zero exit status, never a traceback. Run ``gancolor COMMAND --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from gancolor.errors import UserError

__all__ = ["main", "build_parser"]


def _add_train_parser(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train a model (checkpoints, exact resume)")
    tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    colorize = tasks.add_parser("colorize", help="pix2pix colorization: U-Net L -> ab, PatchGAN on (L, ab)")
    colorize.add_argument("--data", default="embedded", help="'embedded' or a folder of photos (default: embedded)")
    colorize.add_argument("--steps", type=int, default=3000, help="total training steps (default: 3000)")
    colorize.add_argument("--out", type=Path, required=True, help="output folder for checkpoint.pt and colorizer.pt")
    colorize.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    colorize.add_argument("--l1-only", action="store_true", help="no discriminator: the L1-only baseline")
    colorize.add_argument("--image-size", type=int, default=64, help="training crop size in px (default: 64)")
    colorize.add_argument("--batch-size", type=int, default=16)
    colorize.add_argument("--width", type=int, default=32, help="U-Net width of the first layer (default: 32)")
    colorize.add_argument("--depth", type=int, default=5, help="U-Net down-sampling steps (default: 5)")
    colorize.add_argument("--lambda-l1", type=float, default=100.0, help="weight of the L1 term (default: 100)")
    colorize.add_argument("--gan-loss", default="nonsaturating",
                          choices=["minimax", "nonsaturating", "lsgan", "hinge", "wgan"])
    colorize.add_argument("--lr", type=float, default=2e-4)
    colorize.add_argument("--seed", type=int, default=0)
    colorize.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    colorize.add_argument("--checkpoint-every", type=int, default=500)
    colorize.add_argument("--inference-size", type=int, default=None,
                          help="long side (px) at which photos are colorized (default: 4 x image size)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gancolor", description=__doc__.splitlines()[0])
    from gancolor import __version__

    parser.add_argument("--version", action="version", version=f"gancolor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="colorize held-out images with the shipped models -> demo.png")
    demo.add_argument("--out", type=Path, default=Path("demo.png"), help="image to write (default: demo.png)")
    demo.add_argument("--rows", type=int, default=8, help="images in the figure (default: 8)")

    _add_train_parser(commands)

    colorize = commands.add_parser("colorize", help="colorize photos of any size")
    colorize.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    colorize.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    colorize.add_argument("--checkpoint", type=Path, default=None, help="colorizer file (default: shipped GAN)")
    colorize.add_argument("--size", type=int, default=None, help="long side (px) the model sees")
    colorize.add_argument("--device", default="cpu")

    evaluate = commands.add_parser("evaluate", help="held-out metrics of colorizers and the gray baseline")
    evaluate.add_argument("--checkpoint", type=Path, action="append", default=None,
                          help="colorizer file; repeat to compare (default: the shipped GAN and L1 models)")
    evaluate.add_argument("--data", default="embedded", help="'embedded' or a folder of photos")
    evaluate.add_argument("--split", default="test", choices=["train", "val", "test"])
    evaluate.add_argument("--source", default="all", choices=["all", "photos", "scenes"],
                          help="embedded data only: which part")
    evaluate.add_argument("--size", type=int, default=64, help="image size for a folder (default: 64)")
    evaluate.add_argument("--fid-weights", default=None, help="pytorch-fid Inception weights file")
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from gancolor.demo import run_demo

        return run_demo(out=args.out, rows=args.rows)
    if args.command == "train":
        from gancolor.commands import train_colorize

        return train_colorize(args)
    if args.command == "colorize":
        from gancolor.commands import colorize_files

        return colorize_files(args.inputs, args.out, checkpoint=args.checkpoint, size=args.size, device=args.device)
    if args.command == "evaluate":
        from gancolor.commands import evaluate_command

        return evaluate_command(args)
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gancolor`` and ``python -m gancolor``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UserError as error:
        print(f"gancolor: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gancolor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
