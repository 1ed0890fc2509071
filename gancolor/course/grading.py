"""Grade submitted course notebooks: run each one, then read every exercise check's verdict.

For instructors (``gancolor grade SUBMISSION.ipynb... [--json] [--csv FILE]``)::

    from gancolor.course.grading import grade_submissions

    for graded in grade_submissions(["alice/03_lab_color_space.ipynb", "bob/03_lab_color_space.ipynb"]):
        print(graded.student, graded.score, "/", graded.total)

Each submission runs in a fresh kernel of this Python, in an empty temporary folder (so nothing
is written next to it), every cell whatever fails (:func:`gancolor.course.execute.run_submission`),
a cell over the time limit interrupted. Then the outputs of its *check cells* (cells that call
``checks.<name>(...)`` on the student's code) give each exercise's verdict:

- passed: the check printed ``✅ Exercise N.M (title): all checks passed.``;
- failed: the check raised ``ExerciseFailed`` or the stub's ``NotImplementedError``, whose
  message starts with ``Exercise N.M`` (that message is the one reported), or the check cell
  failed before the check could say anything (a ``NameError`` ..., a timeout), or no check cell
  of the exercise ran (deleted, or the kernel died first).

Which exercises a notebook has comes from the package: every check of
:mod:`gancolor.course.checks` carries its ``exercise_id`` (``"3.2"``: notebook 03), so a
deleted check cell is a failed exercise, never a missing one. Which course notebook a
submission is: the ``gancolor.built_from`` metadata the student notebook was built with, else
the checks its cells call, else its file name (``NN_name.ipynb``).

A submission that is not a notebook, crashes or hangs is reported in its ``problems``; the
others are graded all the same. Only outputs of check cells count, so a student who prints a
pass line elsewhere gains nothing; the notebook's code is run as it is, so grade only notebooks
you would run yourself.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from gancolor.course.build.markup import notebook_number
from gancolor.course.build.student import BUILD_METADATA
from gancolor.course.build.unfinished import is_check_call, parse_cell
from gancolor.errors import UserError, first_line

__all__ = [
    "DEFAULT_TIMEOUT",
    "CourseExercise",
    "ExerciseResult",
    "GradedSubmission",
    "course_exercises",
    "identify_notebook",
    "read_results",
    "grade_notebook",
    "grade_submissions",
    "submission_files",
    "student_names",
]

#: Default time limit of one cell, in seconds.
DEFAULT_TIMEOUT = 300

_EXERCISE_ID = r"\d+\.\d+[a-z]?"
_PASS_LINE = re.compile(rf"^✅ Exercise (?P<id>{_EXERCISE_ID}) \((?P<title>.*)\): all checks passed\.$")
_FAILURE = re.compile(rf"^Exercise (?P<id>{_EXERCISE_ID})\b")
#: The errors whose message is a check's verdict (``ExerciseFailed``) or an unfinished stub's.
_VERDICT_ERRORS = frozenset({"ExerciseFailed", "NotImplementedError"})
_CALL_FALLBACK = re.compile(r"\bchecks\.([A-Za-z_]\w*)\s*\(")


@dataclass(frozen=True)
class CourseExercise:
    """One exercise of a notebook: its id (``"3.2"``), title and the checks that grade it."""

    exercise_id: str
    title: str
    checks: tuple[str, ...]  # names of its ``checks.<name>`` functions


@dataclass(frozen=True)
class ExerciseResult:
    """One exercise of one submission: ``passed``, and the check's message (pass line or failure)."""

    exercise_id: str
    title: str
    passed: bool
    message: str


@dataclass
class GradedSubmission:
    """One graded notebook: who (``student``), which course notebook (``notebook``, None if
    unknown), the verdict of each of its exercises, and what went wrong (``problems``)."""

    path: Path
    student: str
    notebook: int | None
    exercises: list[ExerciseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> int:
        """How many exercises passed."""
        return sum(result.passed for result in self.exercises)

    @property
    def total(self) -> int:
        """How many exercises the notebook has."""
        return len(self.exercises)


def _id_key(exercise_id: str) -> tuple[int, int, str]:
    """Sort ``"1.2" < "1.2a" < "1.10"``."""
    match = re.match(r"^(\d+)\.(\d+)([a-z]?)$", exercise_id)
    if match is None:
        return (sys.maxsize, sys.maxsize, exercise_id)
    return int(match.group(1)), int(match.group(2)), match.group(3)


def _package_checks() -> dict[str, tuple[str, str]]:
    """``{check name: (exercise id, title)}`` for every check of :mod:`gancolor.course.checks`."""
    from gancolor.course import checks

    table: dict[str, tuple[str, str]] = {}
    for name in checks.available():
        check = getattr(checks, name)
        exercise_id = getattr(check, "exercise_id", None)
        if isinstance(exercise_id, str):
            table[name] = (exercise_id, str(getattr(check, "title", "")))
    return table


def course_exercises(number: int) -> list[CourseExercise]:
    """The exercises of course notebook ``number``, in order, from the checks the package ships.

    Empty for a notebook without exercises (or one the package does not know).
    """
    found: dict[str, tuple[str, list[str]]] = {}
    for name, (exercise_id, title) in _package_checks().items():
        if _id_key(exercise_id)[0] == number:
            found.setdefault(exercise_id, (title, []))[1].append(name)
    return [CourseExercise(exercise_id, title, tuple(sorted(names)))
            for exercise_id, (title, names) in sorted(found.items(), key=lambda item: _id_key(item[0]))]


def _check_calls(source: str) -> list[tuple[str, bool]]:
    """``(name, on_student_code)`` for each ``checks.<name>(...)`` call of a cell, in order.

    ``on_student_code`` is False for a call whose arguments name nothing from the notebook (e.g.
    ``checks.double(lambda x: 2 * x)``, a demonstration on a reference): its verdict says
    nothing about the student. A cell that is not valid Python is read with a regular expression.
    """
    try:
        tree = parse_cell(source)
    except SyntaxError:
        return [(name, True) for name in _CALL_FALLBACK.findall(source)]
    calls = [node for node in ast.walk(tree) if is_check_call(node)]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    result = []
    for call in calls:
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        result.append((call.func.attr, any(_names_outside_value(argument) for argument in arguments)))
    return result


def _names_outside_value(node: ast.AST) -> bool:
    """Whether ``node`` reads a name it does not bind itself (lambda parameters, comprehension
    variables), i.e. something the notebook defined."""
    bound: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Lambda):
            arguments = sub.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                     *(a for a in (arguments.vararg, arguments.kwarg) if a is not None)]
            bound.update(argument.arg for argument in every)
        elif isinstance(sub, ast.comprehension):
            bound.update(name.id for name in ast.walk(sub.target) if isinstance(name, ast.Name))
    return any(isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in bound
               for sub in ast.walk(node))


def identify_notebook(nb: NotebookNode, name: str) -> int | None:
    """Which course notebook ``nb`` (a file named ``name``) is, or None.

    The ``gancolor.built_from`` metadata of a student notebook first, then the notebook of most
    of the package checks its cells call, then a file name ``NN_name.ipynb``.
    """
    built = nb.get("metadata", {}).get(BUILD_METADATA)
    if isinstance(built, Mapping) and isinstance(built.get("built_from"), str):
        number = notebook_number(built["built_from"])
        if number is not None:
            return number
    known = _package_checks()
    votes: Counter[int] = Counter()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            for call, _ in _check_calls(cell.get("source", "")):
                if call in known:
                    votes[_id_key(known[call][0])[0]] += 1
    if votes:
        return votes.most_common(1)[0][0]
    return notebook_number(name)


def _cell_verdicts(cell: NotebookNode) -> tuple[list[tuple[str, bool, str]], str | None]:
    """The verdicts in a cell's outputs, ``(exercise id, passed, message)``, and its other error
    (``"NameError: name 'x' is not defined"``), if any."""
    verdicts: list[tuple[str, bool, str]] = []
    other: str | None = None
    stdout = "".join(output.get("text", "") for output in cell.get("outputs", [])
                     if output.get("output_type") == "stream" and output.get("name") == "stdout")
    for line in stdout.splitlines():
        match = _PASS_LINE.match(line.strip())
        if match:
            verdicts.append((match.group("id"), True, line.strip()))
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        name, value = str(output.get("ename", "")), str(output.get("evalue", ""))
        match = _FAILURE.match(value)
        if name in _VERDICT_ERRORS and match:
            verdicts.append((match.group("id"), False, value.strip()))
        else:
            other = f"{name}: {value.strip().splitlines()[0]}" if value.strip() else name
    return verdicts, other


def read_results(nb: NotebookNode, exercises: Sequence[CourseExercise], *, timed_out: Iterable[int] = (),
                 timeout: float = DEFAULT_TIMEOUT, stopped: str | None = None,
                 stopped_in: int | None = None) -> list[ExerciseResult]:
    """The verdict of each of ``exercises`` in the outputs of an executed notebook.

    ``timed_out``: cells (from 0) interrupted at the time limit ``timeout``; ``stopped``: why the
    run ended early, in cell ``stopped_in`` (None: before any cell). A failure in any check cell
    of an exercise fails it, whatever passed elsewhere; an exercise whose check never ran fails
    with the reason.
    """
    timed_out = set(timed_out)
    name_to_id = {name: exercise.exercise_id for exercise in exercises for name in exercise.checks}
    passes: dict[str, str] = {}
    failures: dict[str, str] = {}
    check_cells: dict[str, int] = {}  # exercise id -> its first check cell
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        calls = _check_calls(cell.source)
        if not any(on_student_code for _, on_student_code in calls):
            continue
        for name, _ in calls:
            if name in name_to_id:
                check_cells.setdefault(name_to_id[name], index)
        verdicts, other = _cell_verdicts(cell)
        for exercise_id, passed, message in verdicts:
            (passes if passed else failures).setdefault(exercise_id, message)
        reason = None
        if index in timed_out:
            reason = f"its check cell (cell {index + 1}) ran over the time limit of {timeout:g} s"
        elif other is not None:
            reason = f"its check cell (cell {index + 1}) raised {other}"
        elif stopped is not None and index == stopped_in:
            reason = f"its check cell (cell {index + 1}) did not finish: {stopped}"
        if reason is not None:
            answered = {exercise_id for exercise_id, _, _ in verdicts}
            for name, _ in calls:
                if name in name_to_id and name_to_id[name] not in answered:
                    failures.setdefault(name_to_id[name], reason)
    return [_result(exercise, passes, failures, check_cells.get(exercise.exercise_id), stopped, stopped_in)
            for exercise in exercises]


def _result(exercise: CourseExercise, passes: Mapping[str, str], failures: Mapping[str, str],
            check_cell: int | None, stopped: str | None, stopped_in: int | None) -> ExerciseResult:
    """One exercise's result from the verdicts found; ``check_cell`` is its first check cell."""
    exercise_id = exercise.exercise_id
    if exercise_id in failures:
        passed, message = False, failures[exercise_id]
    elif exercise_id in passes:
        passed, message = True, passes[exercise_id]
    elif check_cell is None:
        calls = " or ".join(f"checks.{name}(...)" for name in exercise.checks) or "its check"
        passed, message = False, f"no check cell: the notebook never calls {calls}"
    elif stopped is not None and (stopped_in is None or check_cell > stopped_in):
        passed, message = False, f"not run: {stopped}"
    else:
        passed, message = False, f"its check cell (cell {check_cell + 1}) gave no verdict"
    return ExerciseResult(exercise_id, exercise.title, passed, message)


def grade_notebook(nb: NotebookNode, exercises: Sequence[CourseExercise],
                   timeout: int = DEFAULT_TIMEOUT) -> tuple[list[ExerciseResult], list[str]]:
    """Run ``nb`` (in place) in a fresh kernel in an empty temporary folder, then read its verdicts.

    Returns the result of each of ``exercises`` and the problems of the run (cells over the time
    limit ``timeout`` seconds, a dead kernel ...).
    """
    from gancolor.course.execute import run_submission

    with tempfile.TemporaryDirectory(prefix="gancolor-grade-") as folder:
        outcome = run_submission(nb, folder, timeout)
    problems = [f"timeout: cell {index + 1} ran over {timeout} s and was interrupted"
                for index in outcome.timed_out]
    if outcome.stopped is not None:
        problems.append(outcome.stopped)
    results = read_results(nb, exercises, timed_out=outcome.timed_out, timeout=timeout,
                           stopped=outcome.stopped, stopped_in=outcome.stopped_in)
    return results, problems


def submission_files(paths: Iterable[str | Path]) -> list[Path]:
    """The submissions named on the command line: files as given, folders as every ``*.ipynb``
    inside them (``.ipynb_checkpoints`` skipped), sorted. Raises ``UserError`` for an empty folder."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.relative_to(path).parts)
            if not found:
                raise UserError(f"{path}: no notebooks (*.ipynb) in this folder")
            files.extend(found)
        else:
            files.append(path)
    return files


def student_names(paths: Sequence[Path]) -> list[str]:
    """Who handed in each submission: its file name without ``.ipynb``, or its folder's name when
    file names repeat (``alice/03.ipynb``, ``bob/03.ipynb``), or its folder path when those repeat too."""
    stems = [path.stem for path in paths]
    if len(set(stems)) == len(stems):
        return stems
    folders = [path.absolute().parent for path in paths]
    pairs = [(folder.name, stem) for folder, stem in zip(folders, stems, strict=True)]
    if len(set(pairs)) == len(pairs):
        return [folder.name or str(folder) for folder in folders]
    common = Path(*_common_parts(folders))
    return [str(folder.relative_to(common)) if folder != common else folder.name for folder in folders]


def _common_parts(folders: Sequence[Path]) -> tuple[str, ...]:
    parts = [folder.parts for folder in folders]
    common: list[str] = []
    for group in zip(*parts, strict=False):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    return tuple(common)


def grade_submissions(paths: Iterable[str | Path], *, timeout: int = DEFAULT_TIMEOUT,
                      notebook: int | None = None, exercises: Sequence[CourseExercise] | None = None,
                      progress: Callable[[str], None] | None = None) -> list[GradedSubmission]:
    """Grade each notebook of ``paths`` (files, or folders of them); one result per notebook.

    ``notebook`` forces which course notebook they all are (default: :func:`identify_notebook`);
    ``exercises`` replaces the package's list (notebooks with checks of their own); ``progress``
    gets one line per submission. A submission that cannot be read, run or identified is reported
    in its ``problems``, never raised.
    """
    files = submission_files(paths)
    graded = []
    for count, (path, student) in enumerate(zip(files, student_names(files), strict=True), start=1):
        if progress is not None:
            progress(f"grading {count}/{len(files)}: {path} ({student})")
        start = time.perf_counter()
        result = GradedSubmission(path=path, student=student, notebook=notebook)
        graded.append(result)
        nb, unreadable = _read_submission(path)
        if nb is None:
            result.notebook = notebook if notebook is not None else notebook_number(path.name)
            result.problems.append(unreadable)
            for exercise in exercises if exercises is not None else _known_exercises(result.notebook):
                result.exercises.append(ExerciseResult(exercise.exercise_id, exercise.title, False,
                                                       "not graded: the submission could not be read"))
            continue
        if result.notebook is None:
            result.notebook = identify_notebook(nb, path.name)
        wanted = list(exercises) if exercises is not None else _known_exercises(result.notebook)
        if result.notebook is None and exercises is None:
            result.problems.append("cannot tell which course notebook this is (no gancolor metadata, no "
                                   "known checks, not named NN_name.ipynb): use --notebook NN")
            continue
        if not wanted:
            which = "this notebook" if result.notebook is None else f"notebook {result.notebook:02d}"
            result.problems.append(f"{which} has no exercises to grade")
            continue
        result.exercises, problems = grade_notebook(nb, wanted, timeout)
        result.problems.extend(problems)
        result.seconds = time.perf_counter() - start
    return graded


def _read_submission(path: Path) -> tuple[NotebookNode | None, str]:
    """The notebook at ``path`` (as nbformat 4), or None and why it cannot be read."""
    import nbformat

    if not path.exists():
        return None, "no such file"
    if path.is_dir():
        return None, "a folder, not a notebook"
    try:
        return nbformat.read(path, as_version=4), ""
    except Exception as error:  # nbformat raises JSON, validation, Unicode and OS errors
        return None, f"not a notebook ({type(error).__name__}: {first_line(error)})"


def _known_exercises(number: int | None) -> list[CourseExercise]:
    return [] if number is None else course_exercises(number)
