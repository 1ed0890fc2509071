"""The shape every course notebook shares (title cell, setup cell, summary), checked by the tests."""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from gancolor.course.build.release import COLAB_NOTEBOOKS_URL, INSTALL_URL

__all__ = ["SETUP_CELL", "COLAB_BADGE_URL", "lint_solution_notebook"]

#: The first code cell of every notebook starts with exactly this text (lint-checked).
#: In Colab it installs the package at this version's release tag (Colab already has torch,
#: matplotlib, ipywidgets ..., so no extras); elsewhere ``make lab`` has installed it and the
#: ``if`` is a no-op. It prints nothing, so its output is the same on CPU and GPU.
SETUP_CELL = f"""\
# Setup: in Colab this installs gancolor; on your machine `make lab` already has.
import sys

if "google.colab" in sys.modules:
    %pip install -q "gancolor @ {INSTALL_URL}"

from gancolor.runtime import pick_device, seed_everything

device = pick_device()  # cuda > mps > cpu
FULL = False  # set True on a GPU (e.g. Colab): longer training, better pictures
generator = seed_everything(0)  # seeds Python, NumPy and torch"""

#: The Colab badge of ``notebooks/<name>``, at the same release tag as the install line.
COLAB_BADGE_URL = COLAB_NOTEBOOKS_URL + "{name}"


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
