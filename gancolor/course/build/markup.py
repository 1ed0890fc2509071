"""The exercise markup of one cell: solution regions found, checked and replaced by stubs.

A code cell's ``# BEGIN SOLUTION 1.1: <hint>`` ... ``# END SOLUTION`` becomes a ``raise
NotImplementedError("Exercise 1.1: <hint>")`` at the BEGIN line's indentation; a markdown cell's
``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->`` becomes :data:`MARKDOWN_ANSWER`.
Malformed markup raises :class:`MarkupError`, naming notebook, cell and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gancolor.errors import UserError

__all__ = [
    "SOLUTION_ONLY_TAG",
    "RAISES_EXCEPTION_TAG",
    "MARKDOWN_ANSWER",
    "CODE_BEGIN",
    "CODE_END",
    "MARKDOWN_MARKER",
    "MarkupError",
    "Exercise",
    "Stub",
    "notebook_number",
    "stub_code_cell",
    "stub_markdown_cell",
]

#: Cells with this tag are dropped from the student notebook.
SOLUTION_ONLY_TAG = "solution-only"
#: Jupyter / nbclient / nbval tag: the cell is expected to raise; execution continues.
RAISES_EXCEPTION_TAG = "raises-exception"
#: What a markdown solution region becomes.
MARKDOWN_ANSWER = "*Your answer here.*"

_EXERCISE_ID = r"\d+\.\d+[a-z]?"
#: The lines that open and close a code cell's solution region, and a markdown cell's markers.
CODE_BEGIN = re.compile(rf"^(?P<indent>[ \t]*)# BEGIN SOLUTION (?P<id>{_EXERCISE_ID}): (?P<hint>\S.*?)\s*$")
CODE_END = re.compile(rf"^[ \t]*# END SOLUTION(?: (?P<id>{_EXERCISE_ID}))?\s*$")
# Anything that looks like an attempt at a marker; it must then match exactly.
_CODE_MARKER_LIKE = re.compile(r"^\s*#+\s*(?P<kind>BEGIN|END)[ _-]*SOL")
MARKDOWN_MARKER = re.compile(rf"<!--\s*(?P<kind>BEGIN|END) SOLUTION(?: {_EXERCISE_ID})?\s*-->")
_MD_MARKER_LIKE = re.compile(r"(BEGIN|END)[ _-]*SOLUTION|<!--((?!-->).)*\b(BEGIN|END)\b",
                             re.IGNORECASE | re.DOTALL)


class MarkupError(UserError):
    """Exercise markup the build cannot turn into a student notebook.

    The message names the notebook, the cell (counted from 1, markdown cells included),
    its id, and the line inside the cell (counted from 1).
    """

    def __init__(self, notebook: str, cell: int | None, line: int | None, problem: str,
                 cell_id: str | None = None) -> None:
        self.notebook = notebook
        self.cell = cell
        self.line = line
        self.problem = problem
        where = notebook
        if cell is not None:
            where += f", cell {cell + 1}"
            if cell_id:
                where += f" (id {cell_id!r})"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Exercise:
    """One solution region of a code cell: its id (``"1.1"``), hint and position."""

    exercise_id: str
    hint: str
    cell: int  # index in the solution notebook's cells, from 0
    line: int  # line of the BEGIN marker inside the cell, from 1


@dataclass(frozen=True)
class Stub:
    """A stub the build wrote in place of a solution region."""

    exercise: Exercise
    raise_line: int  # line of the ``raise NotImplementedError`` in the student cell, from 1


def notebook_number(name: str) -> int | None:
    """NN of a notebook named ``NN_name.ipynb`` (None for other names)."""
    match = re.match(r"^(\d\d)_", Path(name).name)
    return int(match.group(1)) if match else None


def _python_string(text: str) -> str:
    """A Python literal for ``text``, double-quoted when that needs no escapes."""
    if '"' not in text and "\\" not in text and text.isprintable():
        return f'"{text}"'
    return repr(text)


def stub_code_cell(source: str, notebook: str, index: int, cell_id: str | None,
                    number: int | None) -> tuple[str, list[Stub], list[int]]:
    """Replace every solution region of a code cell by its stub.

    Returns the new source, its stubs, and for each of its lines (from 1) the line of the
    solution cell it comes from (both stub lines come from the BEGIN line).
    """

    def error(line: int, problem: str) -> MarkupError:
        return MarkupError(notebook, index, line, problem, cell_id)

    out: list[str] = []
    origin: list[int] = []
    stubs: list[Stub] = []
    open_region: tuple[int, re.Match[str]] | None = None  # (line, BEGIN match)
    region_has_code = False
    for lineno, line in enumerate(source.split("\n"), start=1):
        marker_like = _CODE_MARKER_LIKE.match(line)
        begin = CODE_BEGIN.match(line)
        end = CODE_END.match(line)
        if marker_like and not (begin or end):
            stripped = line.strip()
            if re.match(r"^# BEGIN SOLUTION(\s|:|$)", stripped):
                if not re.match(rf"^# BEGIN SOLUTION {_EXERCISE_ID}\b", stripped):
                    raise error(lineno, "BEGIN SOLUTION without an exercise id: write "
                                        "`# BEGIN SOLUTION 1.2: <hint>`")
                if re.match(rf"^# BEGIN SOLUTION {_EXERCISE_ID}:?$", stripped):
                    raise error(lineno, "BEGIN SOLUTION has no hint: write "
                                        "`# BEGIN SOLUTION 1.2: <what the student should do>`")
            raise error(lineno, f"malformed marker {stripped!r}: write "
                                "`# BEGIN SOLUTION 1.2: <hint>` ... `# END SOLUTION`")
        if begin:
            if open_region is not None:
                raise error(lineno, f"nested BEGIN SOLUTION: the region opened at line "
                                    f"{open_region[0]} has no END SOLUTION yet")
            exercise_id = begin.group("id")
            major = int(exercise_id.split(".")[0])
            if number is not None and major != number:
                raise error(lineno, f"exercise {exercise_id} in notebook {number:02d}: exercise ids of "
                                    f"this notebook start with {number}.")
            open_region = (lineno, begin)
            region_has_code = False
            continue
        if end:
            if open_region is None:
                raise error(lineno, "END SOLUTION without a BEGIN SOLUTION before it")
            begin_line, begin = open_region
            exercise_id = begin.group("id")
            if end.group("id") and end.group("id") != exercise_id:
                raise error(lineno, f"END SOLUTION {end.group('id')} closes the region of "
                                    f"exercise {exercise_id} (line {begin_line})")
            if not region_has_code:
                raise error(begin_line, f"the solution region of exercise {exercise_id} is empty")
            indent = begin.group("indent")
            hint = begin.group("hint")
            message = _python_string(f"Exercise {exercise_id}: {hint}")
            out.append(f"{indent}# YOUR CODE HERE (Exercise {exercise_id})")
            out.append(f"{indent}raise NotImplementedError({message})")
            origin += [begin_line, begin_line]
            stubs.append(Stub(Exercise(exercise_id, hint, index, begin_line), raise_line=len(out)))
            open_region = None
            continue
        if open_region is None:
            out.append(line)
            origin.append(lineno)
        elif line.strip():
            region_has_code = True
    if open_region is not None:
        raise error(open_region[0], "BEGIN SOLUTION without a matching END SOLUTION")
    return "\n".join(out), stubs, origin


def stub_markdown_cell(source: str, notebook: str, index: int, cell_id: str | None) -> str:
    """Replace every ``<!-- BEGIN SOLUTION -->...<!-- END SOLUTION -->`` by the answer prompt."""

    def line_of(position: int) -> int:
        return source.count("\n", 0, position) + 1

    for lineno, line in enumerate(source.split("\n"), start=1):
        if CODE_BEGIN.match(line) or CODE_END.match(line):
            raise MarkupError(notebook, index, lineno, "code-cell markup in a markdown cell: write "
                              "`<!-- BEGIN SOLUTION -->` ... `<!-- END SOLUTION -->`", cell_id)
    markers = list(MARKDOWN_MARKER.finditer(source))
    marker_spans = [m.span() for m in markers]
    for like in _MD_MARKER_LIKE.finditer(source):
        if not any(start <= like.start() < stop for start, stop in marker_spans):
            raise MarkupError(notebook, index, line_of(like.start()),
                              "malformed marker: write `<!-- BEGIN SOLUTION -->` ... "
                              "`<!-- END SOLUTION -->`", cell_id)
    pieces: list[str] = []
    position = 0
    open_marker: re.Match[str] | None = None
    for marker in markers:
        if marker.group("kind") == "BEGIN":
            if open_marker is not None:
                raise MarkupError(notebook, index, line_of(marker.start()),
                                  f"nested BEGIN SOLUTION: the region opened at line "
                                  f"{line_of(open_marker.start())} has no END SOLUTION yet", cell_id)
            pieces.append(source[position:marker.start()])
            open_marker = marker
        else:
            if open_marker is None:
                raise MarkupError(notebook, index, line_of(marker.start()),
                                  "END SOLUTION without a BEGIN SOLUTION before it", cell_id)
            pieces.append(MARKDOWN_ANSWER)
            position = marker.end()
            open_marker = None
    if open_marker is not None:
        raise MarkupError(notebook, index, line_of(open_marker.start()),
                          "BEGIN SOLUTION without a matching END SOLUTION", cell_id)
    pieces.append(source[position:])
    return "".join(pieces)
