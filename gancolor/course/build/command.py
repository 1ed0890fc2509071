"""The command line of the build: ``python -m gancolor.course.build solutions notebooks [--check]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from gancolor.course.build.files import build_all
from gancolor.errors import UserError

__all__ = ["main"]


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m gancolor.course.build solutions notebooks [--check]``."""
    parser = argparse.ArgumentParser(
        prog="python -m gancolor.course.build",
        description="Generate student notebooks (notebooks/) from solution notebooks (solutions/).",
    )
    parser.add_argument("solutions", type=Path, help="folder of solution notebooks NN_name.ipynb")
    parser.add_argument("notebooks", type=Path, help="folder of the student notebooks to write")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and list the student notebooks that are out of date")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        changed = build_all(args.solutions, args.notebooks, check=args.check)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            names = ", ".join(str(p) for p in changed)
            print(f"out of date (run `make notebooks`): {names}", file=sys.stderr)
            return 1
        print(f"{args.notebooks}: up to date")
        return 0
    for path in changed:
        print(f"{'wrote' if path.exists() else 'removed'} {path}")
    if not changed:
        print(f"{args.notebooks}: up to date")
    return 0
