"""Notebook files: read, serialise deterministically, write atomically, and build a whole folder."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from gancolor.course.build.student import BUILD_METADATA, build_student_notebook
from gancolor.errors import UserError

__all__ = ["NOTEBOOK_PATTERN", "serialize", "read_notebook", "write_notebook", "build_all"]

#: Solution notebooks are named ``NN_name.ipynb``; the student notebook has the same name.
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"


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
    return nb.metadata.get(BUILD_METADATA, {}).get("built_from") == path.name


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
