"""``gancolor grade SUBMISSION.ipynb... [--json] [--csv FILE] [--timeout SECONDS]``: grade students'
notebooks (gancolor.course.grading)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gancolor.commands.options import int_in
from gancolor.errors import UserError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gancolor grade`` to ``subparsers``; returns its parser."""
    grade = subparsers.add_parser(
        "grade", help="run students' course notebooks and report which exercises pass",
        description="Run each submitted course notebook in a fresh kernel (in an empty temporary folder), "
                    "then report per student and per exercise whether its check passed, with the check's "
                    "message. A submission that crashes, hangs or is not a notebook is reported; the "
                    "others are graded. Nothing is written but the --csv report.")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="a student's notebook (.ipynb), or a folder: every notebook inside it")
    grade.add_argument("--json", action="store_true", help="print JSON instead of the text report")
    grade.add_argument("--csv", type=Path, default=None, metavar="FILE",
                       help="also write one row per student and exercise to FILE")
    grade.add_argument("--timeout", type=int_in(1, 24 * 3600), default=None, metavar="SECONDS",
                       help="time limit of one cell; a cell over it is interrupted and reported, the rest "
                            "of the notebook still runs (default: 300)")
    grade.add_argument("--notebook", type=int_in(0, 99), default=None, metavar="NN",
                       help="grade every submission as course notebook NN (default: from the notebook's "
                            "metadata, the checks it calls or its NN_name.ipynb file name)")
    return grade


def _check_csv_target(path: Path) -> None:
    """Refuse, before any grading, a --csv FILE that could not be written."""
    if path.is_dir():
        raise UserError(f"--csv {path}: is a folder, not a file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"--csv {path}: no such folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"--csv {path}: the folder {folder} is not writable")


def run(args: argparse.Namespace) -> int:
    """Run ``gancolor grade`` as parsed by :func:`add_parser`; returns 0 once the report is out
    (whatever the grades), 1 on a usage error."""
    from gancolor.course.grade_report import json_report, text_report, write_csv
    from gancolor.course.grading import DEFAULT_TIMEOUT, grade_submissions

    if args.csv is not None:
        _check_csv_target(args.csv)
    graded = grade_submissions(
        args.submissions, timeout=args.timeout or DEFAULT_TIMEOUT, notebook=args.notebook,
        progress=lambda line: print(f"gancolor grade: {line}", file=sys.stderr, flush=True))
    print(json_report(graded) if args.json else text_report(graded), end="" if not args.json else "\n")
    if args.csv is not None:
        write_csv(graded, args.csv)
        print(f"gancolor grade: wrote {args.csv}", file=sys.stderr)
    return 0
