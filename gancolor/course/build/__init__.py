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

The package, one job per module (each imports only the ones above it):

- :mod:`~gancolor.course.build.markup` -- the markup of one cell: solution regions -> stubs;
- :mod:`~gancolor.course.build.unfinished` -- which later cells use an unfinished exercise;
- :mod:`~gancolor.course.build.student` -- a solution notebook -> its student notebook;
- :mod:`~gancolor.course.build.notebook_files` -- read, serialise and write notebooks; build a folder;
- :mod:`~gancolor.course.build.release` -- the release tag Colab installs and opens; re-pinning;
- :mod:`~gancolor.course.build.lint` -- the shape every course notebook shares;
- :mod:`~gancolor.course.build.command` -- the command line.
"""

from __future__ import annotations

from gancolor.course.build.command import main
from gancolor.course.build.lint import COLAB_BADGE_URL, SETUP_CELL, lint_solution_notebook
from gancolor.course.build.markup import (
    MARKDOWN_ANSWER,
    RAISES_EXCEPTION_TAG,
    SOLUTION_ONLY_TAG,
    Exercise,
    MarkupError,
)
from gancolor.course.build.notebook_files import (
    NOTEBOOK_PATTERN,
    build_all,
    read_notebook,
    serialize,
    write_notebook,
)
from gancolor.course.build.student import build_student_notebook, ensure_cell_ids, find_exercises

__all__ = [
    "MarkupError",
    "Exercise",
    "SOLUTION_ONLY_TAG",
    "RAISES_EXCEPTION_TAG",
    "MARKDOWN_ANSWER",
    "SETUP_CELL",
    "COLAB_BADGE_URL",
    "NOTEBOOK_PATTERN",
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
