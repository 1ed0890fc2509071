"""One solution notebook -> its student notebook (in memory): stubs, kept metadata, check tags."""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from gancolor.course.build.markup import (
    RAISES_EXCEPTION_TAG,
    SOLUTION_ONLY_TAG,
    Exercise,
    Stub,
    notebook_number,
    stub_code_cell,
    stub_markdown_cell,
)
from gancolor.course.build.unfinished import tag_check_cells

__all__ = ["BUILD_METADATA", "ensure_cell_ids", "find_exercises", "build_student_notebook"]

# Cell and notebook metadata that the student notebook keeps; everything else (execution
# timings, widget state, editor state) is dropped so the build is deterministic.
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
_KEPT_CELL_METADATA = ("tags", "jupyter", "collapsed", "scrolled", "editable", "deletable", "name")
_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: Student notebooks record the solution they were built from under this metadata key.
BUILD_METADATA = "gancolor"


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
    number = notebook_number(name)
    exercises: list[Exercise] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and SOLUTION_ONLY_TAG not in _tags(cell):
            _, stubs, _ = stub_code_cell(cell.source, name, index, cell.get("id"), number)
            exercises.extend(stub.exercise for stub in stubs)
    return exercises


def build_student_notebook(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of a solution notebook (the input is not modified).

    ``name`` (the file name, e.g. ``01_gan_objective.ipynb``) is used in error messages and
    to check that exercise ids start with the notebook's number. Raises :class:`MarkupError`.
    """
    number = notebook_number(name)
    source = copy.deepcopy(nb)
    if source.nbformat != 4:
        source = nbformat.convert(source, 4)
    ensure_cell_ids(source.cells)

    cells: list[NotebookNode] = []
    origin: list[int] = []  # index in the solution notebook of each student cell
    stubs: dict[int, list[Stub]] = {}  # by index in ``cells``
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
            text, cell_stubs, lines = stub_code_cell(cell.source, name, index, cell_id, number)
            new = nbformat.v4.new_code_cell(text, id=cell_id, metadata=metadata)
            if cell_stubs:
                stubs[len(cells)] = cell_stubs
                line_maps[len(cells)] = lines
        elif cell.cell_type == "markdown":
            text = stub_markdown_cell(cell.source, name, index, cell_id)
            new = nbformat.v4.new_markdown_cell(text, id=cell_id, metadata=metadata)
            if "attachments" in cell:
                new["attachments"] = copy.deepcopy(cell.attachments)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, id=cell_id, metadata=metadata)
        cells.append(new)
        origin.append(index)

    for index in tag_check_cells(cells, stubs, name, origin, line_maps):
        tags = cells[index].metadata.setdefault("tags", [])
        if RAISES_EXCEPTION_TAG not in tags:
            tags.append(RAISES_EXCEPTION_TAG)

    student = nbformat.v4.new_notebook()
    student.nbformat_minor = max(5, int(source.get("nbformat_minor", 0)))
    student.metadata = {key: copy.deepcopy(source.metadata[key]) for key in _KEPT_NOTEBOOK_METADATA
                        if key in source.metadata}
    if name.endswith(".ipynb"):
        # Lets the build tell its own stale notebooks from a student's copies of them.
        student.metadata[BUILD_METADATA] = {"built_from": Path(name).name}
    student.cells = cells
    return student
