"""Solution notebooks -> the ``source/`` tree of an nbgrader course (``make nbgrader``).

For instructors who release and grade through nbgrader::

    python -m gancolor.course.nbgrader_export solutions build/nbgrader
    cd build/nbgrader
    nbgrader generate_assignment 03_lab_color_space      # -> release/03_lab_color_space/
    # students' copies in submitted/<student>/03_lab_color_space/, then
    nbgrader autograde 03_lab_color_space                 # -> gradebook.db, autograded/

writes ``source/NN_name/NN_name.ipynb`` (one assignment per notebook) and an
``nbgrader_config.py`` (per-cell time limit for the training cells). Each solution notebook is
translated so that nbgrader's own ``generate_assignment`` and ``autograde`` accept it:

- a code solution region ``# BEGIN SOLUTION 1.1: <hint>`` ... ``# END SOLUTION`` becomes
  ``# Exercise 1.1: <hint>`` (kept in the release) then ``### BEGIN SOLUTION`` ...
  ``### END SOLUTION``, in a cell with the nbgrader metadata of a solution cell;
- a markdown answer ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->`` keeps its
  markers (nbgrader replaces what they enclose with ``YOUR ANSWER HERE``), in a manually graded
  answer cell worth :data:`ANSWER_POINTS`;
- a check cell (a cell that passes an exercise's code to ``checks.<name>(...)``, the cells the
  student build tags ``raises-exception``) becomes a locked autograded test cell worth
  :data:`CHECK_POINTS`: a passing check prints, a failing one raises, and nbgrader gives the
  points to a test cell without an error;
- a cell that binds ``checks`` (``from gancolor.course import checks``) is read-only, so a
  student cannot swap the checks for lenient ones;
- cells tagged ``solution-only`` are left out, outputs and execution counts are cleared.

The cells' ids are their nbgrader ``grade_id`` (both allow ``[A-Za-z0-9_-]``). The notebook
keeps ``gancolor.built_from`` metadata, so ``gancolor grade`` recognises released copies too.
Malformed markup raises :class:`~gancolor.course.build.MarkupError`.
"""

from __future__ import annotations

import argparse
import ast
import copy
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from gancolor.course.build.markup import (
    CODE_BEGIN,
    CODE_END,
    MARKDOWN_MARKER,
    RAISES_EXCEPTION_TAG,
    SOLUTION_ONLY_TAG,
    MarkupError,
    notebook_number,
    stub_code_cell,
    stub_markdown_cell,
)
from gancolor.course.build.notebook_files import NOTEBOOK_PATTERN, read_notebook, serialize
from gancolor.course.build.student import BUILD_METADATA, build_student_notebook, ensure_cell_ids
from gancolor.course.build.unfinished import is_check_call, parse_cell
from gancolor.errors import UserError

__all__ = ["CHECK_POINTS", "ANSWER_POINTS", "NBGRADER_CONFIG", "to_nbgrader", "export_course", "main"]

#: Points of an autograded check cell, and of a manually graded markdown answer.
CHECK_POINTS = 1
ANSWER_POINTS = 1
#: The ``nbgrader_config.py`` written beside ``source/``.
NBGRADER_CONFIG = '''\
# Written by `make nbgrader` (gancolor.course.nbgrader_export); run nbgrader in this folder.
c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "gancolor"
# The notebooks train small networks on the CPU: nbgrader's default of 30 s per cell is too short.
c.Execute.timeout = 300
'''
_SCHEMA_VERSION = 3
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


def _nbgrader_metadata(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
                       points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": _SCHEMA_VERSION,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def _code_regions(source: str) -> str:
    """The source with each ``# BEGIN SOLUTION N.M: hint`` / ``# END SOLUTION`` pair in nbgrader's form."""
    lines = []
    for line in source.split("\n"):
        begin, end = CODE_BEGIN.match(line), CODE_END.match(line)
        if begin:
            indent = begin.group("indent")
            lines += [f"{indent}# Exercise {begin.group('id')}: {begin.group('hint')}",
                      f"{indent}### BEGIN SOLUTION"]
        elif end:
            lines.append(line[: len(line) - len(line.lstrip())] + "### END SOLUTION")
        else:
            lines.append(line)
    return "\n".join(lines)


def _markers_on_own_lines(source: str, name: str, index: int, cell_id: str) -> None:
    """nbgrader reads markdown markers line by line: refuse a marker sharing its line with text."""
    for lineno, line in enumerate(source.split("\n"), start=1):
        match = MARKDOWN_MARKER.search(line)
        if match and line.strip() != match.group(0):
            raise MarkupError(name, index, lineno, "for nbgrader, put `<!-- BEGIN SOLUTION -->` and "
                              "`<!-- END SOLUTION -->` on lines of their own", cell_id)


def _binds_checks(source: str) -> bool:
    """Whether a cell binds the name ``checks`` (an import or an assignment)."""
    try:
        tree = parse_cell(source)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == "checks" for alias in node.names):
                return True
        elif isinstance(node, ast.Name) and node.id == "checks" and isinstance(node.ctx, ast.Store):
            return True
    return False


def _has_answer(source: str, name: str, index: int, cell_id: str) -> bool:
    """Whether a markdown cell has a solution region (malformed markup raises :class:`MarkupError`)."""
    return stub_markdown_cell(source, name, index, cell_id) != source


def _calls_checks(source: str) -> bool:
    try:
        return any(is_check_call(node) for node in ast.walk(parse_cell(source)))
    except SyntaxError:
        return False


def to_nbgrader(nb: NotebookNode, name: str = "notebook.ipynb") -> NotebookNode:
    """The nbgrader source version of a solution notebook (the input is not modified).

    ``name`` (``NN_name.ipynb``) is used in error messages and recorded as ``gancolor.built_from``.
    Raises :class:`MarkupError` for malformed markup (the same checks as the student build).
    """
    source = copy.deepcopy(nb)
    if source.nbformat != 4:
        source = nbformat.convert(source, 4)
    ensure_cell_ids(source.cells)
    number = notebook_number(name)
    student = build_student_notebook(source, name)  # validates the markup; tags the check cells
    check_cells = {cell.id for cell in student.cells
                   if RAISES_EXCEPTION_TAG in cell.metadata.get("tags", []) and _calls_checks(cell.source)}
    cells = []
    for index, cell in enumerate(source.cells):
        tags = list(cell.metadata.get("tags", []))
        if SOLUTION_ONLY_TAG in tags:
            continue
        cell_id = cell.id
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            _, stubs, _ = stub_code_cell(cell.source, name, index, cell_id, number)
            if stubs:
                cell.source = _code_regions(cell.source)
                cell.metadata["nbgrader"] = _nbgrader_metadata(cell_id, solution=True)
            elif cell_id in check_cells:
                cell.metadata["nbgrader"] = _nbgrader_metadata(cell_id, grade=True, locked=True,
                                                               points=CHECK_POINTS)
                if RAISES_EXCEPTION_TAG not in tags:
                    cell.metadata["tags"] = [*tags, RAISES_EXCEPTION_TAG]
            elif _binds_checks(cell.source):
                cell.metadata["nbgrader"] = _nbgrader_metadata(cell_id, locked=True)
        elif cell.cell_type == "markdown" and _has_answer(cell.source, name, index, cell_id):
            _markers_on_own_lines(cell.source, name, index, cell_id)
            cell.metadata["nbgrader"] = _nbgrader_metadata(cell_id, solution=True, grade=True,
                                                           points=ANSWER_POINTS)
        cells.append(cell)
    out = nbformat.v4.new_notebook()
    out.nbformat_minor = max(5, int(source.get("nbformat_minor", 0)))
    out.metadata = {key: copy.deepcopy(source.metadata[key]) for key in _KEPT_NOTEBOOK_METADATA
                    if key in source.metadata}
    out.metadata[BUILD_METADATA] = {"built_from": Path(name).name}
    out.cells = cells
    return out


def export_course(solutions_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write ``out_dir/source/NN_name/NN_name.ipynb`` for every ``solutions_dir/NN_name.ipynb``, and
    ``out_dir/nbgrader_config.py``; returns the notebooks written, sorted.

    Every notebook is translated before anything is written (a :class:`MarkupError` writes nothing).
    """
    from gancolor.io_utils import atomic_write_text

    solutions, out = Path(solutions_dir), Path(out_dir)
    if not solutions.is_dir():
        raise UserError(f"{solutions}: no such folder of solution notebooks")
    paths = sorted(solutions.glob(NOTEBOOK_PATTERN))
    if not paths:
        raise UserError(f"{solutions}: no solution notebooks (NN_name.ipynb) in this folder")
    texts = {out / "source" / path.stem / path.name: serialize(to_nbgrader(read_notebook(path), str(path)))
             for path in paths}
    for target, text in texts.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, text)
    atomic_write_text(out / "nbgrader_config.py", NBGRADER_CONFIG)
    return sorted(texts)


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m gancolor.course.nbgrader_export SOLUTIONS OUT``: the nbgrader source tree."""
    parser = argparse.ArgumentParser(
        prog="python -m gancolor.course.nbgrader_export",
        description="Write an nbgrader course folder (source/ and nbgrader_config.py) from the solution "
                    "notebooks.")
    parser.add_argument("solutions", type=Path, help="folder of solution notebooks (NN_name.ipynb)")
    parser.add_argument("out", type=Path, help="the nbgrader course folder to write (e.g. build/nbgrader)")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        written = export_course(args.solutions, args.out)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} assignment(s) in {args.out / 'source'} and {args.out / 'nbgrader_config.py'}"
          f"; then: cd {args.out} && nbgrader generate_assignment NAME")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
