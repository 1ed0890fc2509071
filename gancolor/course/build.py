"""Student notebooks from solution notebooks: the exercise markup and the build.

``solutions/NN_name.ipynb`` is the single source; ``notebooks/NN_name.ipynb`` is generated::

    python -m gancolor.course.build solutions notebooks          # write notebooks/
    python -m gancolor.course.build solutions notebooks --check  # exit 1 if notebooks/ is stale

The markup (full description in ``docs/notebook_conventions.md``):

- In a code cell, a region inside a function body::

      # BEGIN SOLUTION 1.1: <hint shown to the student>
      ...solution code...
      # END SOLUTION

  becomes, at the indentation of the BEGIN line::

      # YOUR CODE HERE (Exercise 1.1)
      raise NotImplementedError("Exercise 1.1: <hint shown to the student>")

- In a markdown cell, ``<!-- BEGIN SOLUTION -->...<!-- END SOLUTION -->`` becomes
  ``*Your answer here.*``.
- Cells tagged ``solution-only`` are left out of the student notebook.
- A code cell that passes an unfinished exercise to a check (``checks.<name>(student_fn)``)
  gets the tag ``raises-exception``, so Jupyter and nbclient run on past it. Any other later
  use of an unfinished exercise is a build error: later cells use the package's reference.

The student notebook has no outputs or execution counts, keeps the kernel metadata and the
cell ids of the solution, and is written in nbformat's own layout, so building twice gives
identical bytes.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from gancolor.errors import UserError

__all__ = [
    "MarkupError",
    "Exercise",
    "SOLUTION_ONLY_TAG",
    "RAISES_EXCEPTION_TAG",
    "MARKDOWN_ANSWER",
    "SETUP_CELL",
    "build_student_notebook",
    "find_exercises",
    "serialize",
    "read_notebook",
    "write_notebook",
    "ensure_cell_ids",
    "build_all",
    "lint_solution_notebook",
    "main",
]

#: Cells with this tag are dropped from the student notebook.
SOLUTION_ONLY_TAG = "solution-only"
#: Jupyter / nbclient / nbval tag: the cell is expected to raise; execution continues.
RAISES_EXCEPTION_TAG = "raises-exception"
#: What a markdown solution region becomes.
MARKDOWN_ANSWER = "*Your answer here.*"
#: Solution notebooks are named ``NN_name.ipynb``; the student notebook has the same name.
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"

#: The first code cell of every notebook starts with exactly this text (lint-checked).
#: In Colab it installs the package (Colab already has torch, matplotlib, ipywidgets ...,
#: so no extras); elsewhere ``make lab`` has installed it and the ``if`` is a no-op. It
#: prints nothing, so its output is the same on CPU and GPU.
SETUP_CELL = """\
# Setup: in Colab this installs gancolor; on your machine `make lab` already has.
import sys

if "google.colab" in sys.modules:
    %pip install -q "gancolor @ git+https://github.com/gancolor/gancolor"

from gancolor.runtime import pick_device, seed_everything

device = pick_device()  # cuda > mps > cpu
FULL = False  # set True on a GPU (e.g. Colab): longer training, better pictures
generator = seed_everything(0)  # seeds Python, NumPy and torch"""

COLAB_BADGE_URL = "https://colab.research.google.com/github/gancolor/gancolor/blob/main/notebooks/{name}"

# Cell and notebook metadata that the student notebook keeps; everything else (execution
# timings, widget state, editor state) is dropped so the build is deterministic.
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
_KEPT_CELL_METADATA = ("tags", "jupyter", "collapsed", "scrolled", "editable", "deletable", "name")

_EXERCISE_ID = r"\d+\.\d+[a-z]?"
_CODE_BEGIN = re.compile(rf"^(?P<indent>[ \t]*)# BEGIN SOLUTION (?P<id>{_EXERCISE_ID}): (?P<hint>\S.*?)\s*$")
_CODE_END = re.compile(rf"^[ \t]*# END SOLUTION(?: (?P<id>{_EXERCISE_ID}))?\s*$")
# Anything that looks like an attempt at a marker; it must then match exactly.
_CODE_MARKER_LIKE = re.compile(r"^\s*#+\s*(?P<kind>BEGIN|END)[ _-]*SOL")
_MD_MARKER = re.compile(rf"<!--\s*(?P<kind>BEGIN|END) SOLUTION(?: {_EXERCISE_ID})?\s*-->")
_MD_MARKER_LIKE = re.compile(r"(BEGIN|END)[ _-]*SOLUTION|<!--((?!-->).)*\b(BEGIN|END)\b",
                             re.IGNORECASE | re.DOTALL)
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: Student notebooks record the solution they were built from under this metadata key.
_BUILD_METADATA = "gancolor"


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
class _Stub:
    exercise: Exercise
    raise_line: int  # line of the ``raise NotImplementedError`` in the student cell, from 1


# --------------------------------------------------------------------------------------
# One cell
# --------------------------------------------------------------------------------------


def _notebook_number(name: str) -> int | None:
    match = re.match(r"^(\d\d)_", Path(name).name)
    return int(match.group(1)) if match else None


def _python_string(text: str) -> str:
    """A Python literal for ``text``, double-quoted when that needs no escapes."""
    if '"' not in text and "\\" not in text and text.isprintable():
        return f'"{text}"'
    return repr(text)


def _stub_code_cell(source: str, notebook: str, index: int, cell_id: str | None,
                    number: int | None) -> tuple[str, list[_Stub], list[int]]:
    """Replace every solution region of a code cell by its stub.

    Returns the new source, its stubs, and for each of its lines (from 1) the line of the
    solution cell it comes from (both stub lines come from the BEGIN line).
    """

    def error(line: int, problem: str) -> MarkupError:
        return MarkupError(notebook, index, line, problem, cell_id)

    out: list[str] = []
    origin: list[int] = []
    stubs: list[_Stub] = []
    open_region: tuple[int, re.Match[str]] | None = None  # (line, BEGIN match)
    region_has_code = False
    for lineno, line in enumerate(source.split("\n"), start=1):
        marker_like = _CODE_MARKER_LIKE.match(line)
        begin = _CODE_BEGIN.match(line)
        end = _CODE_END.match(line)
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
            stubs.append(_Stub(Exercise(exercise_id, hint, index, begin_line), raise_line=len(out)))
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


def _stub_markdown_cell(source: str, notebook: str, index: int, cell_id: str | None) -> str:
    """Replace every ``<!-- BEGIN SOLUTION -->...<!-- END SOLUTION -->`` by the answer prompt."""

    def line_of(position: int) -> int:
        return source.count("\n", 0, position) + 1

    for lineno, line in enumerate(source.split("\n"), start=1):
        if _CODE_BEGIN.match(line) or _CODE_END.match(line):
            raise MarkupError(notebook, index, lineno, "code-cell markup in a markdown cell: write "
                              "`<!-- BEGIN SOLUTION -->` ... `<!-- END SOLUTION -->`", cell_id)
    markers = list(_MD_MARKER.finditer(source))
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


# --------------------------------------------------------------------------------------
# Which later cells touch an unfinished exercise
# --------------------------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _parse_cell(source: str) -> ast.Module:
    """The AST of a notebook cell, IPython syntax (``%pip``, ``!ls``) included.

    Raises ``SyntaxError``. Line magics are transformed line for line, so line numbers
    match the cell's.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(source)
    tree = _compile_ast(python)
    # `%time f(x)` and `%%time` cells: analyse the Python they run, at the cell's line numbers.
    body: list[ast.stmt] = []
    for stmt in tree.body:
        magic = _python_magic(stmt)
        if magic is None:
            body.append(stmt)
            continue
        code, first_line = magic
        try:
            inner = _compile_ast(code)
        except SyntaxError:
            body.append(stmt)
            continue
        ast.increment_lineno(inner, first_line - 1)
        body.extend(inner.body)
    tree.body = body
    return tree


# Magics whose argument (line magic) or body (cell magic) is Python run in the notebook.
_PYTHON_MAGICS = {"time", "timeit", "prun", "capture"}


def _compile_ast(python: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile(python, "<cell>", "exec", flags=flags, dont_inherit=True)  # type: ignore[return-value]


def _python_magic(stmt: ast.stmt) -> tuple[str, int] | None:
    """``(code, line of its first line)`` if ``stmt`` is ``get_ipython().run_line_magic("time",
    code)`` or ``run_cell_magic("time", line, code)`` (the forms IPython turns magics into)."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    call = stmt.value
    if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("run_line_magic", "run_cell_magic")):
        return None
    args = call.args
    if not args or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
        return None
    name = args[0].value  # type: ignore[attr-defined]
    if name not in _PYTHON_MAGICS:
        return None
    if call.func.attr == "run_line_magic" and len(args) == 2:
        code = re.sub(r"^(\s*-\S+(\s+\d+)?)*\s*", "", args[1].value)  # type: ignore[attr-defined]
        return code, stmt.lineno
    if call.func.attr == "run_cell_magic" and len(args) == 3:
        return args[2].value, stmt.lineno + 1  # type: ignore[attr-defined]
    return None


def _find_raise(node: ast.AST, line: int, in_function: bool = False) -> bool | None:
    """Whether the ``raise`` on ``line`` sits inside a function body; None if not found."""
    if isinstance(node, ast.Raise) and node.lineno == line:
        return in_function
    inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    for child in ast.iter_child_nodes(node):
        found = _find_raise(child, line, inside)
        if found is not None:
            return found
    return None


def _outermost_definition(stmt: ast.stmt, line: int) -> str | None:
    """The name of the outermost def/class in ``stmt`` whose lines include ``line``."""
    if isinstance(stmt, _DEFINITIONS):
        return stmt.name
    for child in ast.iter_child_nodes(stmt):
        if isinstance(child, ast.stmt) and child.lineno <= line <= (child.end_lineno or child.lineno):
            return _outermost_definition(child, line)
    return None


def _is_check_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "checks")


def _loads(node: ast.AST) -> Iterator[ast.Name]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            yield sub


def _split_references(node: ast.AST, names: dict[str, set[str]]) -> tuple[set[str], list[ast.Name]]:
    """Names of ``names`` used as arguments of ``checks.<x>(...)`` calls, and all other uses."""
    in_checks: set[str] = set()
    elsewhere: list[ast.Name] = []

    def visit(sub: ast.AST) -> None:
        if _is_check_call(sub):
            assert isinstance(sub, ast.Call)
            for argument in [*sub.args, *(keyword.value for keyword in sub.keywords)]:
                in_checks.update(name.id for name in _loads(argument) if name.id in names)
            return
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id in names:
            elsewhere.append(sub)
        for child in ast.iter_child_nodes(sub):
            visit(child)

    visit(node)
    return in_checks, elsewhere


def _bound_names(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the notebook's namespace."""
    bound: set[str] = set()
    if isinstance(stmt, _DEFINITIONS):
        return {stmt.name}

    def visit(node: ast.AST) -> None:
        if isinstance(node, (*_SCOPES, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(stmt)
    return bound


def _tag_check_cells(cells: Sequence[NotebookNode], stubs: dict[int, list[_Stub]], notebook: str,
                     origin: Sequence[int], line_maps: dict[int, list[int]]) -> set[int]:
    """Indices of the student cells that pass unfinished exercises to a check.

    ``origin[i]`` is the index in the solution notebook of student cell ``i`` and
    ``line_maps[i]`` maps its lines to the solution's (for messages).

    ``unfinished`` maps each top-level name whose definition contains a stub (or uses such
    a name) to the exercises it depends on. A check call that gets such a name raises
    ``NotImplementedError`` in the student notebook: its cell is tagged. Any other use would
    break the student notebook, so it is an error.
    """
    unfinished: dict[str, set[str]] = {}
    tagged: set[int] = set()
    for student_index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        index = origin[student_index]
        cell_id = cell.get("id")
        line_map = line_maps.get(student_index)

        def solution_line(line: int | None, line_map: list[int] | None = line_map) -> int | None:
            if line is None or line_map is None:
                return line
            return line_map[min(max(line, 1), len(line_map)) - 1]

        try:
            tree = _parse_cell(cell.source)
        except SyntaxError as exc:
            if student_index in stubs:
                raise MarkupError(notebook, index, solution_line(exc.lineno),
                                  f"the student version of this cell is not valid Python ({exc.msg}); "
                                  "check the indentation of the BEGIN SOLUTION line", cell_id) from None
            if not unfinished or RAISES_EXCEPTION_TAG in cell.metadata.get("tags", []):
                continue
            raise MarkupError(notebook, index, exc.lineno, f"cell is not valid Python ({exc.msg}), "
                              "so the build cannot tell whether it uses an unfinished exercise",
                              cell_id) from None
        new: dict[str, set[str]] = {}
        for stub in stubs.get(student_index, []):
            exercise = stub.exercise
            inside_function = _find_raise(tree, stub.raise_line)
            if inside_function is None:
                raise MarkupError(notebook, index, exercise.line, f"exercise {exercise.exercise_id}: "
                                  "a solution region cannot sit in a cell magic (%%...)", cell_id)
            if not inside_function:
                raise MarkupError(notebook, index, exercise.line, f"exercise {exercise.exercise_id}: the "
                                  "solution region must be inside a function or method body, so the "
                                  "student notebook still runs top to bottom; put the code in a function "
                                  "and pass that function to a check", cell_id)
            for stmt in tree.body:
                if stmt.lineno <= stub.raise_line <= (stmt.end_lineno or stmt.lineno):
                    name = _outermost_definition(stmt, stub.raise_line)
                    if name is not None:
                        new.setdefault(name, set()).add(exercise.exercise_id)
        for stmt in tree.body:
            if isinstance(stmt, _DEFINITIONS):
                depends = {exercise_id for name in _loads(stmt) if name.id in unfinished
                           for exercise_id in unfinished[name.id]}
                depends |= new.get(stmt.name, set())
                if depends:
                    unfinished[stmt.name] = depends
                else:
                    unfinished.pop(stmt.name, None)
                continue
            in_checks, elsewhere = _split_references(stmt, unfinished)
            if elsewhere:
                name = elsewhere[0]
                exercises = ", ".join(sorted(unfinished[name.id]))
                raise MarkupError(notebook, index, solution_line(name.lineno),
                                  f"uses `{name.id}`, which is unfinished in the student notebook "
                                  f"(exercise {exercises}); later cells must use "
                                  "the package's reference implementation, or only pass it to a "
                                  "`checks.<name>(...)` call", cell_id)
            if in_checks:
                tagged.add(student_index)
            for name in _bound_names(stmt):
                unfinished.pop(name, None)
    return tagged


# --------------------------------------------------------------------------------------
# The notebook
# --------------------------------------------------------------------------------------


def ensure_cell_ids(cells: Sequence[NotebookNode]) -> None:
    """Give every cell a valid unique id: valid unique ids are kept, the others are derived
    from the cell's position (deterministic, unlike nbformat's random ones)."""
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not _CELL_ID.match(cell_id) or cell_id in seen:
            digest = hashlib.sha1(f"{index}:{cell.cell_type}".encode()).hexdigest()[:8]
            cell_id = f"cell-{index}-{digest}"
        cell["id"] = cell_id
        seen.add(cell_id)


def _tags(cell: NotebookNode) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return list(tags) if isinstance(tags, list) else []


def find_exercises(nb: NotebookNode, name: str = "notebook") -> list[Exercise]:
    """All exercise regions of a solution notebook, in order (raises :class:`MarkupError`)."""
    number = _notebook_number(name)
    exercises: list[Exercise] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and SOLUTION_ONLY_TAG not in _tags(cell):
            _, stubs, _ = _stub_code_cell(cell.source, name, index, cell.get("id"), number)
            exercises.extend(stub.exercise for stub in stubs)
    return exercises


def build_student_notebook(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of a solution notebook (the input is not modified).

    ``name`` (the file name, e.g. ``01_gan_objective.ipynb``) is used in error messages and
    to check that exercise ids start with the notebook's number. Raises :class:`MarkupError`.
    """
    number = _notebook_number(name)
    source = copy.deepcopy(nb)
    if source.nbformat != 4:
        source = nbformat.convert(source, 4)
    ensure_cell_ids(source.cells)

    cells: list[NotebookNode] = []
    origin: list[int] = []  # index in the solution notebook of each student cell
    stubs: dict[int, list[_Stub]] = {}  # by index in ``cells``
    line_maps: dict[int, list[int]] = {}  # student line -> solution line, for cells with stubs
    for index, cell in enumerate(source.cells):
        tags = _tags(cell)
        if SOLUTION_ONLY_TAG in tags:
            continue
        cell_id = cell["id"]
        metadata = {key: copy.deepcopy(cell.metadata[key]) for key in _KEPT_CELL_METADATA
                    if key in cell.get("metadata", {})}
        if "tags" in metadata:
            metadata["tags"] = tags
            if not tags:
                del metadata["tags"]
        if cell.cell_type == "code":
            text, cell_stubs, lines = _stub_code_cell(cell.source, name, index, cell_id, number)
            new = nbformat.v4.new_code_cell(text, id=cell_id, metadata=metadata)
            if cell_stubs:
                stubs[len(cells)] = cell_stubs
                line_maps[len(cells)] = lines
        elif cell.cell_type == "markdown":
            text = _stub_markdown_cell(cell.source, name, index, cell_id)
            new = nbformat.v4.new_markdown_cell(text, id=cell_id, metadata=metadata)
            if "attachments" in cell:
                new["attachments"] = copy.deepcopy(cell.attachments)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, id=cell_id, metadata=metadata)
        cells.append(new)
        origin.append(index)

    for index in _tag_check_cells(cells, stubs, name, origin, line_maps):
        tags = cells[index].metadata.setdefault("tags", [])
        if RAISES_EXCEPTION_TAG not in tags:
            tags.append(RAISES_EXCEPTION_TAG)

    student = nbformat.v4.new_notebook()
    student.nbformat_minor = max(5, int(source.get("nbformat_minor", 0)))
    student.metadata = {key: copy.deepcopy(source.metadata[key]) for key in _KEPT_NOTEBOOK_METADATA
                        if key in source.metadata}
    if name.endswith(".ipynb"):
        # Lets the build tell its own stale notebooks from a student's copies of them.
        student.metadata[_BUILD_METADATA] = {"built_from": Path(name).name}
    student.cells = cells
    return student


def serialize(nb: NotebookNode) -> str:
    """The exact text the build writes: nbformat's layout (indent 1, sorted keys), final newline."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def read_notebook(path: str | Path) -> NotebookNode:
    """Read a notebook as nbformat 4 (``UserError`` naming the file if it cannot be read)."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises json, validation and OS errors
        raise UserError(f"{path}: cannot read the notebook ({type(exc).__name__}: {exc})") from None


def write_notebook(nb: NotebookNode, path: str | Path) -> None:
    """Write ``serialize(nb)`` to ``path`` atomically."""
    _write_text(Path(path), serialize(nb))


def _write_text(path: Path, text: str) -> None:
    from gancolor.io_utils import atomic_write

    with atomic_write(path) as tmp:
        # newline="\n": the same bytes on every OS.
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # the temporary file is private (0600); notebooks are not


def _built(path: Path) -> bool:
    """Whether ``path`` is a student notebook the build wrote under this name (not a copy)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # not a notebook the build wrote
        return False
    return nb.metadata.get(_BUILD_METADATA, {}).get("built_from") == path.name


def build_all(solutions_dir: str | Path, notebooks_dir: str | Path, check: bool = False) -> list[Path]:
    """Build ``notebooks_dir/NN_name.ipynb`` for every ``solutions_dir/NN_name.ipynb``.

    Writes only notebooks whose bytes change and removes the student notebooks it built
    earlier whose solution is gone (a student's copy, e.g. ``01_x-Copy1.ipynb``, is kept).
    With ``check=True`` nothing is written. Returns the student notebooks that were (or,
    with ``check``, would be) written or removed, sorted.
    Raises :class:`MarkupError` (or ``UserError`` for an unreadable notebook); nothing is
    written unless every notebook builds.
    """
    solutions = Path(solutions_dir)
    notebooks = Path(notebooks_dir)
    if not solutions.is_dir():
        raise UserError(f"{solutions}: no such folder of solution notebooks")
    sources = sorted(solutions.glob(NOTEBOOK_PATTERN))
    if not sources:
        raise UserError(f"{solutions}: no solution notebooks (NN_name.ipynb) in this folder")

    wanted: dict[Path, str] = {}
    for path in sources:
        label = str(path)
        wanted[notebooks / path.name] = serialize(build_student_notebook(read_notebook(path), label))

    changed: list[Path] = []
    for target, text in wanted.items():
        try:
            current = target.read_bytes().decode("utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            current = None
        if current != text:
            changed.append(target)
            if not check:
                _write_text(target, text)
    stale = [path for path in sorted(notebooks.glob(NOTEBOOK_PATTERN)) if path not in wanted and _built(path)]
    for path in stale:
        changed.append(path)
        if not check:
            path.unlink()
    return sorted(changed)


# --------------------------------------------------------------------------------------
# Notebook structure (used by the tests; handy for authors)
# --------------------------------------------------------------------------------------


def lint_solution_notebook(nb: NotebookNode, name: str) -> list[str]:
    """Problems with the shape every course notebook shares (empty list: none).

    First cell: markdown with a ``# `` title, the Colab badge of ``notebooks/<name>``,
    ``## Learning goals``, ``**Runtime`` and ``**Prerequisites``. First code cell: starts
    with :data:`SETUP_CELL`. Last cell: markdown with ``## Summary`` and ``## Further
    reading``. Every non-empty code cell executed in order (1, 2, 3 ...), so nbval has
    outputs to compare.
    """
    file_name = Path(name).name
    problems: list[str] = []
    cells = nb.cells
    if not cells:
        return [f"{file_name}: the notebook is empty"]
    first = cells[0]
    if first.cell_type != "markdown":
        problems.append(f"{file_name}: the first cell must be markdown (title, badge, learning goals)")
    else:
        for needle, what in [
            ("# ", "a `# ` title"),
            (COLAB_BADGE_URL.format(name=file_name), f"the Colab badge for notebooks/{file_name}"),
            ("## Learning goals", "a `## Learning goals` heading"),
            ("**Runtime", "a `**Runtime` line (time on CPU)"),
            ("**Prerequisites", "a `**Prerequisites` line"),
        ]:
            if needle not in first.source:
                problems.append(f"{file_name}: the first cell has no {what}")
    code = [cell for cell in cells if cell.cell_type == "code"]
    if not code or not code[0].source.startswith(SETUP_CELL):
        problems.append(f"{file_name}: the first code cell must start with the standard setup cell "
                        "(gancolor.course.build.SETUP_CELL)")
    last = cells[-1]
    closing = last.cell_type == "markdown" and "## Summary" in last.source
    if not (closing and "## Further reading" in last.source):
        problems.append(f"{file_name}: the last cell must be markdown with `## Summary` and "
                        "`## Further reading`")
    counts = [cell.get("execution_count") for cell in code if cell.source.strip()]
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"{file_name}: not executed top to bottom in one run (execution counts {counts}); "
                        f"run `python -m gancolor.course.execute solutions/{file_name}`")
    return problems


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


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


if __name__ == "__main__":
    raise SystemExit(main())
