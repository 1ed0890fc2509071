"""The notebooks: shape of every solution notebook, and every student notebook runs top to
bottom with its exercises unfinished (only the check cells raise, and only NotImplementedError).

The solution notebooks' outputs are compared by nbval (`make test-notebooks`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from gancolor.course.build import (
    RAISES_EXCEPTION_TAG,
    build_student_notebook,
    lint_solution_notebook,
    read_notebook,
)

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb"))
STUDENT_NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "solutions" / "01_tiny.ipynb"
CELL_TIMEOUT = 300  # seconds; the notebooks themselves take about two minutes in all


def test_the_course_has_notebooks() -> None:
    assert SOLUTIONS and SOLUTIONS[0].name == "00_setup_and_tour.ipynb"
    assert [p.name for p in STUDENT_NOTEBOOKS] == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_notebook_has_the_course_shape(path: Path) -> None:
    """Learning goals, runtime, prerequisites and the Colab badge first; the standard setup
    cell; a summary with further reading last; executed top to bottom (so nbval compares)."""
    assert lint_solution_notebook(read_notebook(path), path.name) == []


def test_lint_reports_what_is_missing() -> None:
    problems = lint_solution_notebook(read_notebook(FIXTURE), FIXTURE.name)
    text = "\n".join(problems)
    for expected in ["Colab badge", "Learning goals", "**Runtime", "**Prerequisites", "standard setup cell",
                     "## Summary", "not executed top to bottom"]:
        assert expected in text


def run_student_notebook(nb: nbformat.NotebookNode, cwd: Path) -> nbformat.NotebookNode:
    """Execute; fail the test if a cell without ``raises-exception`` raises."""
    from nbclient.exceptions import CellExecutionError

    from gancolor.course.execute import execute_notebook

    try:
        return execute_notebook(nb, cwd=cwd, timeout=CELL_TIMEOUT)
    except CellExecutionError as exc:
        pytest.fail(f"a cell raised although its exercise is not involved:\n{exc}", pytrace=False)


def errors_by_cell(nb: nbformat.NotebookNode) -> dict[str, tuple[bool, list[tuple[str, str]]]]:
    """cell id -> (tagged raises-exception, [(error name, error value), ...]) for code cells."""
    return {
        cell.id: (RAISES_EXCEPTION_TAG in cell.metadata.get("tags", []),
                  [(o.ename, o.evalue) for o in cell.outputs if o.output_type == "error"])
        for cell in nb.cells if cell.cell_type == "code"
    }


def assert_only_unfinished_exercises_raise(nb: nbformat.NotebookNode, name: str) -> None:
    for cell_id, (tagged, errors) in errors_by_cell(nb).items():
        if tagged:
            assert len(errors) == 1 and errors[0][0] == "NotImplementedError", (
                f"{name}, cell {cell_id!r} checks an unfinished exercise: it must raise the stub's "
                f"NotImplementedError and nothing else; it raised {errors or 'nothing'}")
            message = errors[0][1]
            assert message.startswith("Exercise "), f"{name}, cell {cell_id!r}: {message!r} is not a stub's"
        else:
            assert not errors, f"{name}, cell {cell_id!r} raised {errors}"


@pytest.mark.slow
@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: p.name)
def test_student_notebook_runs_with_exercises_unfinished(path: Path) -> None:
    nb = run_student_notebook(read_notebook(path), cwd=path.parent)
    assert_only_unfinished_exercises_raise(nb, path.name)


@pytest.mark.slow
def test_the_build_produces_a_student_notebook_that_runs_to_the_end(tmp_path: Path) -> None:
    """End to end on a tiny course notebook: build, execute, look at every cell."""
    student = build_student_notebook(read_notebook(FIXTURE), FIXTURE.name)
    nb = run_student_notebook(student, cwd=tmp_path)
    assert_only_unfinished_exercises_raise(nb, FIXTURE.name)
    errors = {cell_id: found for cell_id, (_, found) in errors_by_cell(nb).items() if found}
    assert errors == {
        "check-1-1": [("NotImplementedError", "Exercise 1.1: Multiply the tensor by two.")],
        "check-1-2": [("NotImplementedError", 'Exercise 1.2: Return "x" times self.k.')],
    }
    last = nb.cells[-1]
    assert [o.text for o in last.outputs if o.output_type == "stream"] == [
        "✅ Exercise 1.1 (double): all checks passed.\ntensor([0., 2., 4.])\n"]


@pytest.mark.slow
def test_execute_stores_outputs_and_rebuilds_the_student_notebook(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gancolor.course import build, execute

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    solution = solutions / FIXTURE.name
    solution.write_bytes(FIXTURE.read_bytes())
    assert execute.main([str(solution)]) == 0
    assert f"executed {solution} in " in capsys.readouterr().out

    nb = read_notebook(solution)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert "widgets" not in nb.metadata and all("execution" not in cell.metadata for cell in code)
    outputs = {cell.id: "".join(o.get("text", "") for o in cell.outputs) for cell in code}
    assert outputs["check-1-2"] == ("✅ Exercise 1.2 (scale): all checks passed.\n"
                                    "✅ Exercise 1.1 (double): all checks passed.\n")
    student = tmp_path / "notebooks" / FIXTURE.name
    expected = build.serialize(build.build_student_notebook(nb, FIXTURE.name))
    assert student.read_text(encoding="utf-8") == expected

    # A failing cell: nothing is written.
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0", id="boom")])
    broken.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    build.write_notebook(broken, solutions / "02_broken.ipynb")
    before = (solutions / "02_broken.ipynb").read_bytes()
    assert execute.main([str(solutions / "02_broken.ipynb")]) == 1
    assert "a cell failed, nothing written" in capsys.readouterr().err
    assert (solutions / "02_broken.ipynb").read_bytes() == before
    assert not (tmp_path / "notebooks" / "02_broken.ipynb").exists()
