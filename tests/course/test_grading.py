"""`gancolor grade` (gancolor.course.grading, grade_report, commands.grade): notebooks run in fresh
kernels, every exercise check's verdict read, crashes, hangs and non-notebooks reported."""

from __future__ import annotations

import copy
import csv
import json
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gancolor.cli import main
from gancolor.course.build import build_student_notebook, find_exercises, read_notebook
from gancolor.course.grade_report import CSV_COLUMNS, csv_rows, json_report, text_report
from gancolor.course.grading import (
    CourseExercise,
    ExerciseResult,
    GradedSubmission,
    course_exercises,
    grade_submissions,
    identify_notebook,
    read_results,
    student_names,
    submission_files,
)

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "fixtures" / "solutions" / "01_tiny.ipynb"
#: The fixture notebook defines its checks itself: its exercises are given, not the package's.
TINY_EXERCISES = [CourseExercise("1.1", "double", ("double",)), CourseExercise("1.2", "scale", ("scale",))]


def cells_of(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {cell.get("id"): cell for cell in nb.cells}


def code_nb(*sources: str, built_from: str | None = None) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(source) for source in sources])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    if built_from:
        nb.metadata["gancolor"] = {"built_from": built_from}
    return nb


# A torch-free notebook with a check of its own: kernels start and run in a second or two.
QUICK_CHECKS = """\
from types import SimpleNamespace

def check_double(fn):
    if fn(2) != 4:
        raise AssertionError("double(2) should be 4")
    print("✅ Exercise 9.1 (double): all checks passed.")

checks = SimpleNamespace(double=check_double)"""
QUICK_EXERCISES = [CourseExercise("9.1", "double", ("double",))]


# ------------------------------------------------------------------------------------------------
# Reading verdicts (no kernel)
# ------------------------------------------------------------------------------------------------


def executed(cells: list[tuple[str, list]]) -> nbformat.NotebookNode:
    """A notebook as if run: (source, outputs) per code cell."""
    nb = new_notebook(cells=[new_code_cell(source, outputs=outputs) for source, outputs in cells])
    nb.cells.insert(0, new_markdown_cell("# title"))
    return nb


def stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def error(name: str, value: str):
    return new_output("error", ename=name, evalue=value, traceback=[])


PASS_11 = "✅ Exercise 1.1 (double): all checks passed.\n"
PASS_12 = "✅ Exercise 1.2 (scale): all checks passed.\n"


def test_verdicts_come_from_check_cells_only_and_a_failure_wins():
    nb = executed([
        ("print('✅ Exercise 1.2 (scale): all checks passed.')", [stdout(PASS_12)]),  # not a check cell
        ("checks.double(double)", [error("ExerciseFailed", "Exercise 1.1 (double): wrong\n  hint: x2")]),
        ("checks.double(lambda x: x + x)", [stdout(PASS_11)]),  # a reference: says nothing of the student
        ("checks.scale(Scale)\nchecks.double(scale_by_two)", [stdout(PASS_12 + PASS_11)]),
    ])
    results = read_results(nb, TINY_EXERCISES)
    assert [r.passed for r in results] == [False, True]
    assert results[0].message == "Exercise 1.1 (double): wrong\n  hint: x2"
    assert results[1].message == PASS_12.strip()


def test_a_check_cell_that_fails_before_its_check_answers_fails_its_exercises():
    nb = executed([
        ("checks.double(double)", [error("NameError", "name 'double' is not defined")]),
        ("checks.scale(Scale)", [error("NotImplementedError", "Exercise 1.2: Return x times k.")]),
    ])
    results = read_results(nb, TINY_EXERCISES)
    assert results[0] == ExerciseResult(
        "1.1", "double", False, "its check cell (cell 2) raised NameError: name 'double' is not defined")
    assert results[1].message == "Exercise 1.2: Return x times k."


def test_missing_check_cells_timeouts_and_stops_are_failures_with_the_reason():
    nb = executed([("checks.double(double)", [])])
    results = read_results(nb, TINY_EXERCISES, timed_out=[1], timeout=7)
    assert results[0].message == "its check cell (cell 2) ran over the time limit of 7 s"
    assert results[1].message == "no check cell: the notebook never calls checks.scale(...)"
    nb = executed([("x = 1", []), ("checks.double(double)", []), ("checks.scale(Scale)", [])])
    results = read_results(nb, TINY_EXERCISES, stopped="the kernel died in cell 2", stopped_in=1)
    assert results[0].message == "not run: the kernel died in cell 2"
    assert not results[1].passed and results[1].message.startswith("not run")


def test_a_check_cell_that_is_not_python_is_still_read():
    nb = executed([("checks.double(double) +", [error("SyntaxError", "invalid syntax (1)")])])
    message = read_results(nb, TINY_EXERCISES)[0].message
    assert message.startswith("its check cell (cell 2) raised SyntaxError")


def test_the_package_says_which_exercises_each_notebook_has(repo_root):
    """Every solution notebook's exercises (its markup) are the ones its package checks carry."""
    for path in sorted((repo_root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        number = int(path.name[:2])
        marked = {exercise.exercise_id for exercise in find_exercises(read_notebook(path), path.name)}
        assert {e.exercise_id for e in course_exercises(number)} == marked, path.name
    lab = course_exercises(3)
    assert [e.exercise_id for e in lab] == ["3.1", "3.2", "3.3", "3.4", "3.5"]
    assert lab[0] == CourseExercise("3.1", "sRGB gamma decoding", ("srgb_to_linear",))
    assert course_exercises(0) == [] and course_exercises(42) == []


def test_which_notebook_a_submission_is(repo_root):
    student = read_notebook(repo_root / "notebooks" / "03_lab_color_space.ipynb")
    assert identify_notebook(student, "alice.ipynb") == 3  # the build's metadata
    solution = read_notebook(repo_root / "solutions" / "04_colorization.ipynb")
    assert identify_notebook(solution, "whatever.ipynb") == 4  # the checks it calls
    assert identify_notebook(code_nb("x = 1"), "07_multitask.ipynb") == 7  # its name
    assert identify_notebook(code_nb("x = 1"), "homework.ipynb") is None


def test_students_are_named_by_file_or_by_folder_when_names_repeat(tmp_path):
    assert student_names([Path("a/alice.ipynb"), Path("a/bob.ipynb")]) == ["alice", "bob"]
    assert student_names([Path("alice/03.ipynb"), Path("bob/03.ipynb")]) == ["alice", "bob"]
    assert student_names([Path("x/alice/03.ipynb"), Path("y/alice/03.ipynb")]) == ["x/alice", "y/alice"]
    (tmp_path / "s" / ".ipynb_checkpoints").mkdir(parents=True)
    for name in ("b.ipynb", "a.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb", "notes.txt"):
        (tmp_path / "s" / name).write_text("{}")
    assert [p.name for p in submission_files([tmp_path / "s"])] == ["a.ipynb", "b.ipynb"]


def test_unknown_notebooks_and_notebooks_without_exercises_are_reported_without_running(tmp_path):
    nbformat.write(code_nb("x = 1"), tmp_path / "homework.ipynb")
    nbformat.write(code_nb("x = 1"), tmp_path / "00_setup_and_tour.ipynb")
    (tmp_path / "broken.ipynb").write_text("{}")
    unknown, tour, broken = grade_submissions(
        [tmp_path / "homework.ipynb", tmp_path / "00_setup_and_tour.ipynb", tmp_path / "broken.ipynb"])
    assert unknown.notebook is None and unknown.problems[0].startswith("cannot tell which course notebook")
    assert tour.problems == ["notebook 00 has no exercises to grade"] and tour.exercises == []
    assert broken.problems[0].startswith("not a notebook (")
    (forced,) = grade_submissions([tmp_path / "broken.ipynb"], notebook=3)  # --notebook 03
    assert [r.exercise_id for r in forced.exercises] == ["3.1", "3.2", "3.3", "3.4", "3.5"]
    assert forced.score == 0 and forced.problems == broken.problems


def test_reports():
    graded = [
        GradedSubmission(Path("alice/01.ipynb"), "alice", 1, [
            ExerciseResult("1.1", "double", True, PASS_11.strip()),
            ExerciseResult("1.2", "scale", False, "Exercise 1.2 (scale): wrong\n  hint: multiply")]),
        GradedSubmission(Path("bob/01.ipynb"), "bob", 1, [
            ExerciseResult("1.1", "double", False, "not run: x"), ExerciseResult("1.2", "scale", False, "y")],
            problems=["timeout: cell 3 ran over 5 s and was interrupted"]),
        GradedSubmission(Path("carol/x.ipynb"), "carol", None, problems=["not a notebook (NotJSONError)"]),
    ]
    text = text_report(graded)
    assert "alice (alice/01.ipynb, notebook 01): 1/2 exercises passed" in text
    assert "  FAIL  1.2  scale\n        Exercise 1.2 (scale): wrong\n          hint: multiply" in text
    assert "  problem: timeout: cell 3 ran over 5 s" in text
    assert "  alice    pass  FAIL  1/2\n  bob      FAIL  FAIL  0/2 !" in text
    data = json.loads(json_report(graded))["submissions"]
    assert data[0]["exercises"][1] == {"exercise": "1.2", "title": "scale", "passed": False,
                                       "message": "Exercise 1.2 (scale): wrong\n  hint: multiply"}
    assert data[2]["notebook"] is None and data[2]["score"] == 0 and data[2]["total"] == 0
    rows = csv_rows(graded)
    assert len(rows) == 5 and list(rows[0]) == list(CSV_COLUMNS)
    assert rows[2]["problems"] == "timeout: cell 3 ran over 5 s and was interrupted"
    assert rows[4]["exercise"] == "" and rows[4]["notebook"] == "?"


# ------------------------------------------------------------------------------------------------
# Real runs
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_class(tmp_path_factory):
    """The fixture notebook handed in three times, same file name in each student's folder:
    untouched (alice), the solution (bob), a planted mistake in 1.1 and 1.2's check cell deleted (carol)."""
    root = tmp_path_factory.mktemp("class")
    solution = read_notebook(TINY)
    mistake = copy.deepcopy(solution)
    cells_of(mistake)["exercise-1-1"].source = cells_of(mistake)["exercise-1-1"].source.replace(
        "return 2 * x", "return x + 1")
    mistake.cells = [cell for cell in mistake.cells if cell.get("id") != "check-1-2"]
    for student, nb in (("alice", build_student_notebook(solution, TINY.name)), ("bob", solution),
                        ("carol", mistake)):
        (root / student).mkdir()
        nbformat.write(nb, root / student / TINY.name)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    start = time.perf_counter()
    graded = grade_submissions([root], exercises=TINY_EXERCISES, timeout=120)
    seconds = time.perf_counter() - start
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # nothing written beside them
    return {g.student: g for g in graded}, seconds


def test_the_untouched_student_notebook_scores_zero(tiny_class):
    alice = tiny_class[0]["alice"]
    assert (alice.score, alice.total, alice.problems) == (0, 2, [])
    assert [r.message for r in alice.exercises] == ["Exercise 1.1: Multiply the tensor by two.",
                                                    'Exercise 1.2: Return "x" times self.k.']


def test_the_solution_scores_full_marks(tiny_class):
    bob = tiny_class[0]["bob"]
    assert (bob.score, bob.total, bob.problems) == (2, 2, [])
    assert bob.exercises[0].message == PASS_11.strip()


def test_a_planted_mistake_fails_with_the_checks_message_and_a_deleted_check_cell_fails(tiny_class):
    carol = tiny_class[0]["carol"]
    assert carol.score == 0 and carol.notebook == 1  # from its file name
    first, second = carol.exercises
    assert first.message.startswith("Exercise 1.1 (double): double([0, 1, 2]) is not close to the expected")
    assert "  expected: 0\n  got:      1\n  hint: Multiply by two." in first.message
    assert second.message == "no check cell: the notebook never calls checks.scale(...)"


def test_hangs_crashes_and_non_notebooks_are_reported_not_fatal(tmp_path):
    cases = {
        "hang": code_nb(QUICK_CHECKS,
                        "import time\ndef double(x):\n    while True:\n        time.sleep(0.05)",
                        "checks.double(double)", "print('the cells after a timeout still run')"),
        "deaf": code_nb(QUICK_CHECKS, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                        "while True:\n    pass", "def double(x):\n    return 2 * x", "checks.double(double)"),
        "crash": code_nb(QUICK_CHECKS, "def double(x):\n    return 2 * x", "import os\nos._exit(3)",
                         "checks.double(double)"),
        "fine": code_nb(QUICK_CHECKS, "def double(x):\n    return 2 * x", "checks.double(double)"),
    }
    for name, nb in cases.items():
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    (tmp_path / "text.ipynb").write_text("not a notebook")
    paths = [tmp_path / f"{name}.ipynb" for name in (*cases, "text")] + [tmp_path / "gone.ipynb"]
    graded = {g.student: g for g in grade_submissions(paths, exercises=QUICK_EXERCISES, timeout=5)}

    hang = graded["hang"]
    assert hang.problems == ["timeout: cell 3 ran over 5 s and was interrupted"]
    assert hang.exercises[0].message == "its check cell (cell 3) ran over the time limit of 5 s"
    deaf = graded["deaf"]
    assert deaf.problems[-1] == ("cell 3 ran over 5 s right after cell 2 did: the kernel did not answer the "
                                 "interrupt, so the rest was not run")
    assert deaf.problems[:2] == ["timeout: cell 2 ran over 5 s and was interrupted",
                                 "timeout: cell 3 ran over 5 s and was interrupted"]
    assert deaf.exercises[0].message == f"not run: {deaf.problems[-1]}"
    crash = graded["crash"]
    assert crash.problems == ["the kernel died in cell 3, so the rest was not run"]
    assert crash.exercises[0].message == "not run: the kernel died in cell 3, so the rest was not run"
    assert graded["fine"].score == 1 and graded["fine"].problems == []
    assert graded["text"].problems[0].startswith("not a notebook (NotJSONError")
    assert graded["text"].exercises[0].message == "not graded: the submission could not be read"
    assert graded["gone"].problems == ["no such file"]


def test_the_grade_command(tmp_path, capsys, monkeypatch):
    """A submission of notebook 03 (the package's checks): one exercise right, one wrong, one check
    cell deleted, one calling a misspelt name, and a pass line printed by hand."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    nb = code_nb(
        "from gancolor.course import checks\nfrom gancolor import color",
        "def srgb_to_linear(rgb):\n    return color.srgb_to_linear(rgb)",
        "checks.srgb_to_linear(srgb_to_linear)",
        "def rgb_to_lab(rgb):\n    return rgb * 100",
        "checks.rgb_to_lab(rgb_to_lab)",
        "checks.normalize_lab(normalise_lab)",
        "print('✅ Exercise 3.2 (XYZ to Lab): all checks passed.')",
        built_from="03_lab_color_space.ipynb")
    nbformat.write(nb, folder / "dana.ipynb")
    monkeypatch.chdir(tmp_path)
    assert main(["grade", "submissions", "--json", "--csv", "grades.csv", "--timeout", "120"]) == 0
    out, err = capsys.readouterr()
    (dana,) = json.loads(out)["submissions"]
    assert (dana["student"], dana["notebook"], dana["score"], dana["total"]) == ("dana", 3, 1, 5)
    verdicts = {e["exercise"]: (e["passed"], e["message"].splitlines()[0]) for e in dana["exercises"]}
    assert verdicts["3.1"] == (True, "✅ Exercise 3.1 (sRGB gamma decoding): all checks passed.")
    assert verdicts["3.2"] == (False, "no check cell: the notebook never calls checks.xyz_to_lab(...)")
    assert verdicts["3.3"][1].startswith("Exercise 3.3 (sRGB to Lab): ")
    assert verdicts["3.4"] == (False, "its check cell (cell 6) raised NameError: name 'normalise_lab' is "
                                      "not defined")
    assert "grading 1/1: submissions/dana.ipynb (dana)" in err
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["student"], r["exercise"], r["passed"]) for r in rows] == [
        ("dana", "3.1", "yes"), ("dana", "3.2", "no"), ("dana", "3.3", "no"), ("dana", "3.4", "no"),
        ("dana", "3.5", "no")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv", "submissions"]


def test_grade_command_errors_are_one_line_and_come_before_any_grading(tmp_path, capsys):
    nbformat.write(code_nb("x = 1"), tmp_path / "a.ipynb")
    assert main(["grade", str(tmp_path / "a.ipynb"), "--csv", str(tmp_path / "no" / "g.csv")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "no such folder" in err
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty")]) == 1
    assert "no notebooks (*.ipynb) in this folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["grade", str(tmp_path / "a.ipynb"), "--timeout", "0"])


@pytest.mark.slow
def test_a_real_course_notebook_pair(repo_root, tmp_path):
    """Notebook 03 as released (scores 0) and as solved (full marks): about 20 s on an idle 2-core CPU."""
    student = tmp_path / "student" / "03_lab_color_space.ipynb"
    solution = tmp_path / "solution" / "03_lab_color_space.ipynb"
    for target, source in ((student, repo_root / "notebooks"), (solution, repo_root / "solutions")):
        target.parent.mkdir()
        target.write_bytes((source / target.name).read_bytes())
    graded = {g.student: g for g in grade_submissions([student, solution], timeout=300)}
    assert (graded["student"].score, graded["student"].total, graded["student"].problems) == (0, 5, [])
    assert all(r.message.startswith(f"Exercise {r.exercise_id}: ") for r in graded["student"].exercises)
    assert (graded["solution"].score, graded["solution"].total, graded["solution"].problems) == (5, 5, [])
