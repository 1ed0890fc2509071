"""Which later cells of a student notebook touch an unfinished exercise.

A cell that passes an unfinished function to a ``checks.<name>(...)`` call is tagged
``raises-exception``; any other use would break the student notebook, so it is a
:class:`~gancolor.course.build.markup.MarkupError`. The cells are read as Python ASTs,
IPython syntax (``%pip``, ``%time``, ``%%time``) included.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

from nbformat import NotebookNode

from gancolor.course.build.markup import RAISES_EXCEPTION_TAG, MarkupError, Stub

__all__ = ["parse_cell", "is_check_call", "tag_check_cells"]


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def parse_cell(source: str) -> ast.Module:
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


def is_check_call(node: ast.AST) -> bool:
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
        if is_check_call(sub):
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


def tag_check_cells(cells: Sequence[NotebookNode], stubs: dict[int, list[Stub]], notebook: str,
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
            tree = parse_cell(cell.source)
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
