"""`make nbgrader` (gancolor.course.nbgrader_export): the source tree nbgrader's own tools accept.

The last test runs nbgrader itself: generate_assignment on the fixture notebook, then autograde of a
submission with exercise 1.1 done and 1.2 not, and reads the scores from nbgrader's gradebook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gancolor.course.build import MarkupError, read_notebook
from gancolor.course.nbgrader_export import NBGRADER_CONFIG, export_course, main, to_nbgrader

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "solutions"


def by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {cell.get("id"): cell for cell in nb.cells}


def test_the_fixture_in_nbgrader_markup():
    nb = to_nbgrader(read_notebook(FIXTURES / "01_tiny.ipynb"), "01_tiny.ipynb")
    cells = by_id(nb)
    assert "instructor" not in cells  # solution-only
    exercise = cells["exercise-1-1"]
    assert exercise.metadata["nbgrader"] == {"grade": False, "grade_id": "exercise-1-1", "locked": False,
                                             "schema_version": 3, "solution": True}
    assert exercise.source.splitlines()[2:] == [
        "    # Exercise 1.1: Multiply the tensor by two.", "    ### BEGIN SOLUTION", "    return 2 * x",
        "    ### END SOLUTION"]
    for check in ("check-1-1", "check-1-2"):
        assert cells[check].metadata["nbgrader"] == {"grade": True, "grade_id": check, "locked": True,
                                                     "points": 1, "schema_version": 3, "solution": False}
        assert cells[check].metadata["tags"] == ["raises-exception"]
    assert cells["checks"].metadata["nbgrader"]["locked"] is True  # binds `checks`: read-only
    question = cells["question"].metadata["nbgrader"]
    assert (question["solution"], question["grade"], question["points"]) == (True, True, 1)
    assert "nbgrader" not in cells["later"].metadata  # a reference call, no student code
    assert nb.metadata["gancolor"] == {"built_from": "01_tiny.ipynb"}
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in nb.cells if cell.cell_type == "code")


def test_every_course_notebook_exports_and_validates(repo_root, tmp_path):
    from nbgrader.nbgraderformat import MetadataValidator

    written = export_course(repo_root / "solutions", tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written][:2] == [
        "source/00_setup_and_tour/00_setup_and_tour.ipynb", "source/01_gan_objective/01_gan_objective.ipynb"]
    assert (tmp_path / "nbgrader_config.py").read_text() == NBGRADER_CONFIG
    counts = {}
    for path in written:
        nb = nbformat.read(path, as_version=4)
        MetadataValidator().validate_nb(nb)
        meta = [cell.metadata.get("nbgrader", {}) for cell in nb.cells]
        counts[path.stem[:2]] = (sum(m.get("solution", False) and not m.get("grade") for m in meta),
                                 sum(m.get("grade", False) and not m.get("solution") for m in meta))
    assert counts["03"] == (5, 5) and counts["00"] == (0, 0)  # 5 exercises, 5 check cells


def test_markup_errors_and_the_command(tmp_path, capsys):
    nb = read_notebook(FIXTURES / "01_tiny.ipynb")
    by_id(nb)["question"].source = "Why? <!-- BEGIN SOLUTION -->Linear.<!-- END SOLUTION -->"
    with pytest.raises(MarkupError, match="lines of their own"):
        to_nbgrader(nb, "01_tiny.ipynb")
    by_id(nb)["question"].source = "<!-- BEGIN SOLUTION -->"
    with pytest.raises(MarkupError, match="without a matching END"):
        to_nbgrader(nb, "01_tiny.ipynb")
    assert main([str(tmp_path / "none"), str(tmp_path / "out")]) == 1
    assert "no such folder" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert main([str(FIXTURES), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "source" / "01_tiny" / "01_tiny.ipynb").is_file()


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run nbgrader's command line in ``course`` (its `alembic` is looked up on PATH: the venv's bin)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.slow
def test_nbgrader_generates_and_autogrades_the_export(tmp_path):
    """About 30 s: nbgrader's generate_assignment, then autograde of a half-done submission."""
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    export_course(FIXTURES, course)
    _nbgrader(course, "generate_assignment", "01_tiny")
    release = nbformat.read(course / "release" / "01_tiny" / "01_tiny.ipynb", as_version=4)
    cells = by_id(release)
    stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert stub in cells["exercise-1-1"].source and "2 * x" not in cells["exercise-1-1"].source
    assert "Because" not in cells["question"].source and "YOUR ANSWER HERE" in cells["question"].source
    assert "instructor" not in cells

    # A student who did 1.1 and not 1.2.
    cells["exercise-1-1"].source = cells["exercise-1-1"].source.replace(stub, "    return x * 2")
    submitted = course / "submitted" / "alice" / "01_tiny" / "01_tiny.ipynb"
    submitted.parent.mkdir(parents=True)
    nbformat.write(release, submitted)
    _nbgrader(course, "autograde", "01_tiny")

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook("01_tiny", "01_tiny", "alice")
        scores = {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}
        assert scores == {"check-1-1": (1.0, 1.0), "check-1-2": (0.0, 1.0), "question": (0.0, 1.0)}
        assert (notebook.code_score, notebook.max_code_score) == (1.0, 2.0)
