"""The ``gancolor`` command: demo, train, colorize, stylize, evaluate, download, grade.

Every user error (bad file, bad checkpoint, bad option) ends as one line on stderr and a
non-zero exit status, never a traceback. Run ``gancolor COMMAND --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gancolor.commands import colorize, demo, download, evaluate, grade, stylize, train
from gancolor.commands.options import OneLineParser
from gancolor.errors import UserError

__all__ = ["main", "build_parser", "COMMANDS"]

#: The sub-commands in the order ``gancolor --help`` lists them: modules of :mod:`gancolor.commands`,
#: each with ``add_parser(subparsers)`` (its options) and ``run(args) -> int`` (what it does).
COMMANDS = (demo, train, colorize, stylize, evaluate, download, grade)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``gancolor``: ``--version`` and every sub-command of :data:`COMMANDS`; a parsed
    command line holds the ``run`` function of its sub-command as ``args.run``."""
    from gancolor import __version__

    parser = OneLineParser(prog="gancolor", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"gancolor {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gancolor`` and ``python -m gancolor``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
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
