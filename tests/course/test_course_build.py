"""The course machinery: solution -> student build, its markup errors, the sync of notebooks/,
and the exercise-check framework (what a student sees when a check passes or fails)."""

from __future__ import annotations

import ast
import copy
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gancolor.course import build, checks
from gancolor.course.build import (
    MARKDOWN_ANSWER,
    RAISES_EXCEPTION_TAG,
    MarkupError,
    build_all,
    build_student_notebook,
    find_exercises,
    read_notebook,
    serialize,
)
from gancolor.course.build.unfinished import is_check_call, parse_cell
from gancolor.course.checks import ExerciseFailed, exercise, expect_close, expect_shape, expect_true

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "solutions"
NAME = "01_test.ipynb"


def nb_of(*cells: str | nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A notebook of code cells (strings) and ready-made cells, with stable ids c0, c1, ..."""
    made = []
    for i, cell in enumerate(cells):
        cell = new_code_cell(textwrap.dedent(cell).strip("\n")) if isinstance(cell, str) else cell
        cell["id"] = f"c{i}"
        made.append(cell)
    nb = new_notebook(cells=made)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def student_sources(nb: nbformat.NotebookNode, name: str = NAME) -> list[str]:
    return [cell.source for cell in build_student_notebook(nb, name).cells]


def tags_of(nb: nbformat.NotebookNode) -> list[list[str]]:
    return [cell.metadata.get("tags", []) for cell in build_student_notebook(nb, NAME).cells]


DISCRIMINATOR_LOSS = '''
    def discriminator_loss(real_logits, fake_logits):
        """The discriminator's loss."""
        # BEGIN SOLUTION 1.1: Use F.binary_cross_entropy_with_logits with target 1 for real, 0 for fake.
        real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return real + fake
        # END SOLUTION
'''


# --------------------------------------------------------------------------------------
# Code and markdown regions
# --------------------------------------------------------------------------------------


def test_code_region_becomes_a_stub_at_the_begin_lines_indentation() -> None:
    [source] = student_sources(nb_of(DISCRIMINATOR_LOSS))
    assert source == textwrap.dedent('''\
        def discriminator_loss(real_logits, fake_logits):
            """The discriminator's loss."""
            # YOUR CODE HERE (Exercise 1.1)
            raise NotImplementedError("Exercise 1.1: Use F.binary_cross_entropy_with_logits with target 1 for real, 0 for fake.")''')  # noqa: E501


def test_regions_in_methods_keep_the_rest_of_the_cell() -> None:
    cell = '''
        class Block(nn.Module):
            def __init__(self, width: int) -> None:
                super().__init__()
                # BEGIN SOLUTION 1.2: Make a 3x3 convolution.
                self.conv = nn.Conv2d(width, width, 3, padding=1)
                # END SOLUTION 1.2

            def forward(self, x):
                if x is None:
                    # BEGIN SOLUTION 1.3: Return "x" plus the convolution of x.
                    return x + self.conv(x)
                    # END SOLUTION
                return x
    '''
    [source] = student_sources(nb_of(cell))
    assert source == textwrap.dedent('''\
        class Block(nn.Module):
            def __init__(self, width: int) -> None:
                super().__init__()
                # YOUR CODE HERE (Exercise 1.2)
                raise NotImplementedError("Exercise 1.2: Make a 3x3 convolution.")

            def forward(self, x):
                if x is None:
                    # YOUR CODE HERE (Exercise 1.3)
                    raise NotImplementedError('Exercise 1.3: Return "x" plus the convolution of x.')
                return x''')


def test_the_stub_raises_the_hint_even_with_quotes_and_backslashes() -> None:
    hint = 'Return "a\\b" \'quoted\' - λ'
    cell = f"""
        def f():
            # BEGIN SOLUTION 1.4: {hint}
            return 1
            # END SOLUTION
    """
    [source] = student_sources(nb_of(cell))
    namespace: dict[str, object] = {}
    exec(compile(source, "<student>", "exec"), namespace)
    with pytest.raises(NotImplementedError) as info:
        namespace["f"]()  # type: ignore[operator]
    assert str(info.value) == f"Exercise 1.4: {hint}"


def test_find_exercises_lists_every_region_in_order() -> None:
    nb = nb_of(DISCRIMINATOR_LOSS, "x = 1", """
        def g():
            # BEGIN SOLUTION 1.2: Two.
            return 2
            # END SOLUTION
    """)
    found = [(e.exercise_id, e.hint, e.cell, e.line) for e in find_exercises(nb, NAME)]
    assert found == [
        ("1.1", "Use F.binary_cross_entropy_with_logits with target 1 for real, 0 for fake.", 0, 3),
        ("1.2", "Two.", 2, 2),
    ]


def test_markdown_answer_regions() -> None:
    question = ("**Question.** Why sepia?\n\n<!-- BEGIN SOLUTION -->\nBecause the mean of many hues is "
                "brownish.\n\nA second paragraph.\n<!-- END SOLUTION -->\n\nMore text, and inline: "
                "<!-- BEGIN SOLUTION 3.1 -->a short answer<!-- END SOLUTION -->.")
    [source] = student_sources(nb_of(new_markdown_cell(question)))
    assert source == (f"**Question.** Why sepia?\n\n{MARKDOWN_ANSWER}\n\nMore text, and inline: "
                      f"{MARKDOWN_ANSWER}.")


def test_cells_without_markup_are_unchanged_and_solution_only_cells_are_dropped() -> None:
    secret = new_code_cell("print('instructors only')", metadata={"tags": ["solution-only", "other"]})
    kept = new_code_cell("print(1)", metadata={"tags": ["keep-me"]})
    nb = nb_of("import torch", secret, new_markdown_cell("# Title"), kept)
    student = build_student_notebook(nb, NAME)
    assert [(c.id, c.cell_type, c.source) for c in student.cells] == [
        ("c0", "code", "import torch"), ("c2", "markdown", "# Title"), ("c3", "code", "print(1)")]
    assert student.cells[2].metadata == {"tags": ["keep-me"]}


# --------------------------------------------------------------------------------------
# raises-exception tags
# --------------------------------------------------------------------------------------


def test_only_check_cells_of_unfinished_exercises_get_raises_exception() -> None:
    nb = nb_of(
        "from gancolor.course import checks",
        DISCRIMINATOR_LOSS,
        "checks.discriminator_loss(discriminator_loss)",     # the student's stub: raises
        "checks.discriminator_loss(losses.minimax_d_loss)",   # the reference: runs
        "print('no check here')",
    )
    assert tags_of(nb) == [[], [], [RAISES_EXCEPTION_TAG], [], []]


def test_code_built_on_an_unfinished_exercise_is_unfinished_too() -> None:
    nb = nb_of(
        DISCRIMINATOR_LOSS,
        """
        def total_loss(r, f):
            return discriminator_loss(r, f) * 2
        """,
        "checks.total(total_loss)",
        "checks.total(fn=lambda r, f: total_loss(r, f))",
    )
    assert tags_of(nb) == [[], [], [RAISES_EXCEPTION_TAG], [RAISES_EXCEPTION_TAG]]


def test_rebinding_a_name_to_the_reference_ends_its_unfinished_state() -> None:
    nb = nb_of(
        DISCRIMINATOR_LOSS,
        "checks.discriminator_loss(discriminator_loss)",
        "from gancolor.losses import discriminator_loss",
        "checks.discriminator_loss(discriminator_loss)\nloss = discriminator_loss(a, b)",
    )
    assert tags_of(nb) == [[], [RAISES_EXCEPTION_TAG], [], []]


def test_existing_tags_are_kept_and_not_duplicated() -> None:
    check = new_code_cell("checks.discriminator_loss(discriminator_loss)",
                          metadata={"tags": ["mine", RAISES_EXCEPTION_TAG]})
    assert tags_of(nb_of(DISCRIMINATOR_LOSS, check)) == [[], ["mine", RAISES_EXCEPTION_TAG]]


def test_ipython_syntax_in_cells_is_understood() -> None:
    nb = nb_of("%matplotlib inline\n!echo hi", DISCRIMINATOR_LOSS,
               "%time checks.discriminator_loss(discriminator_loss)")
    assert tags_of(nb) == [[], [], [RAISES_EXCEPTION_TAG]]


def test_using_an_unfinished_exercise_outside_a_check_is_an_error() -> None:
    nb = nb_of(DISCRIMINATOR_LOSS, "x = 1", "print('ok')\nloss = discriminator_loss(real, fake)")
    with pytest.raises(MarkupError) as info:
        build_student_notebook(nb, NAME)
    message = str(info.value)
    assert message.startswith(f"{NAME}, cell 3 (id 'c2'), line 2: uses `discriminator_loss`")
    assert "exercise 1.1" in message and "reference" in message


def test_error_lines_are_the_solution_cells_lines() -> None:
    cell = ("def f():\n    # BEGIN SOLUTION 1.1: A.\n    x = 1\n    y = 2\n    return x + y\n"
            "    # END SOLUTION\n\nprint(f())")
    with pytest.raises(MarkupError, match=r"cell 1 \(id 'c0'\), line 8: uses `f`"):
        build_student_notebook(nb_of(cell), NAME)


def test_error_positions_count_solution_cells_including_dropped_ones() -> None:
    secret = new_code_cell("pass", metadata={"tags": ["solution-only"]})
    nb = nb_of(secret, DISCRIMINATOR_LOSS, "discriminator_loss(1, 2)")
    with pytest.raises(MarkupError, match=r"cell 3 \(id 'c2'\), line 1"):
        build_student_notebook(nb, NAME)


# --------------------------------------------------------------------------------------
# Malformed markup
# --------------------------------------------------------------------------------------

MALFORMED = {
    "begin without end": ("def f():\n    # BEGIN SOLUTION 1.1: Do it.\n    return 1",
                          "line 2: BEGIN SOLUTION without a matching END SOLUTION"),
    "nested": ("def f():\n    # BEGIN SOLUTION 1.1: A.\n    x = 1\n    # BEGIN SOLUTION 1.2: B.\n"
               "    return 1\n    # END SOLUTION\n    # END SOLUTION",
               "line 4: nested BEGIN SOLUTION: the region opened at line 2"),
    "no id": ("def f():\n    # BEGIN SOLUTION: Do it.\n    return 1\n    # END SOLUTION",
              "line 2: BEGIN SOLUTION without an exercise id"),
    "no id, no hint": ("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION",
                       "line 2: BEGIN SOLUTION without an exercise id"),
    "no hint": ("def f():\n    # BEGIN SOLUTION 1.1\n    return 1\n    # END SOLUTION",
                "line 2: BEGIN SOLUTION has no hint"),
    "typo": ("def f():\n    # BEGIN_SOLUTION 1.1: Do it.\n    return 1\n    # END SOLUTION",
             "line 2: malformed marker"),
    "end without begin": ("def f():\n    return 1\n    # END SOLUTION",
                          "line 3: END SOLUTION without a BEGIN"),
    "end of another exercise": ("def f():\n    # BEGIN SOLUTION 1.1: A.\n    return 1\n"
                                "    # END SOLUTION 1.2",
                                "line 4: END SOLUTION 1.2 closes the region of exercise 1.1"),
    "empty region": ("def f():\n    # BEGIN SOLUTION 1.1: A.\n\n    # END SOLUTION\n    return 1",
                     "line 2: the solution region of exercise 1.1 is empty"),
    "not in a function": ("# BEGIN SOLUTION 1.1: Compute x.\nx = 1\n# END SOLUTION",
                          "line 1: exercise 1.1: the solution region must be inside a function"),
    "in a class body": ("class A:\n    # BEGIN SOLUTION 1.1: A.\n    x = 1\n    # END SOLUTION",
                        "line 2: exercise 1.1: the solution region must be inside a function"),
    "bad indentation": ("def f():\n    x = 1\n        # BEGIN SOLUTION 1.1: A.\n        return x\n"
                        "        # END SOLUTION",
                        "line 3: the student version of this cell is not valid Python"),
    "stub at top level": ("def f():\n    x = 1\n# BEGIN SOLUTION 1.1: A.\n    return x\n# END SOLUTION",
                          "line 3: exercise 1.1: the solution region must be inside a function"),
    "typo in the word": ("def f():\n    # BEGIN SOLUTON 1.1: A.\n    return 1\n    # END SOLUTION",
                         "line 2: malformed marker '# BEGIN SOLUTON 1.1: A.'"),
    "another notebook's id": ("def f():\n    # BEGIN SOLUTION 2.1: A.\n    return 1\n    # END SOLUTION",
                              "line 2: exercise 2.1 in notebook 01: exercise ids of this notebook "
                              "start with 1."),
}


@pytest.mark.parametrize("source, expected", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_code_markup_names_notebook_cell_and_line(source: str, expected: str) -> None:
    nb = nb_of("import torch", source)
    with pytest.raises(MarkupError) as info:
        build_student_notebook(nb, NAME)
    assert str(info.value).startswith(f"{NAME}, cell 2 (id 'c1'), ")
    assert expected in str(info.value)


MALFORMED_MARKDOWN = {
    "begin without end": ("Q\n<!-- BEGIN SOLUTION -->\nA", "line 2: BEGIN SOLUTION without a matching END"),
    "nested": ("<!-- BEGIN SOLUTION -->\n<!-- BEGIN SOLUTION -->\nA\n<!-- END SOLUTION -->",
               "line 2: nested BEGIN SOLUTION"),
    "end without begin": ("Q\n\nA\n<!-- END SOLUTION -->", "line 4: END SOLUTION without a BEGIN"),
    "typo": ("Q\n<!-- BEGIN SOLUTON --> A <!-- END SOLUTION -->", "line 2: malformed marker"),
    "typo 2": ("Q\n<!-- begin solution -->\nA\n<!-- END SOLUTION -->", "line 2: malformed marker"),
    "code markup": ("# BEGIN SOLUTION 1.1: hint\nA\n# END SOLUTION",
                    "line 1: code-cell markup in a markdown cell"),
}


@pytest.mark.parametrize("source, expected", MALFORMED_MARKDOWN.values(), ids=MALFORMED_MARKDOWN.keys())
def test_malformed_markdown_markup_names_notebook_cell_and_line(source: str, expected: str) -> None:
    nb = nb_of(new_markdown_cell("# Title"), new_markdown_cell(source))
    with pytest.raises(MarkupError, match=r"^01_test.ipynb, cell 2 \(id 'c1'\), ") as info:
        build_student_notebook(nb, NAME)
    assert expected in str(info.value)


# --------------------------------------------------------------------------------------
# The student notebook as a file
# --------------------------------------------------------------------------------------


def executed_solution() -> nbformat.NotebookNode:
    cell = new_code_cell("print('hi')\n1 + 1", execution_count=3, metadata={
        "execution": {"iopub.execute_input": "2026-01-01T00:00:00Z"}, "tags": [], "scrolled": True})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=3)]
    nb = nb_of(cell, DISCRIMINATOR_LOSS)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"x": {}}}}
    nb.metadata["toc"] = {"number_sections": True}
    return nb


def test_outputs_counts_and_editor_metadata_are_dropped_kernel_metadata_kept() -> None:
    nb = executed_solution()
    student = build_student_notebook(nb, NAME)
    first = student.cells[0]
    assert first.outputs == [] and first.execution_count is None
    assert first.metadata == {"scrolled": True}
    assert student.metadata == {"kernelspec": nb.metadata.kernelspec,
                                "language_info": nb.metadata.language_info,
                                "gancolor": {"built_from": NAME}}
    assert [c.id for c in student.cells] == ["c0", "c1"]
    nbformat.validate(student)
    # The input is not modified.
    assert nb.cells[0].outputs and "widgets" in nb.metadata and "BEGIN SOLUTION" in nb.cells[1].source


def test_cells_without_valid_unique_ids_get_deterministic_ones() -> None:
    nb = nb_of("a = 1", "b = 2", "c = 3")
    del nb.cells[0]["id"]
    nb.cells[2]["id"] = "c1"  # duplicate
    ids = [c.id for c in build_student_notebook(nb, NAME).cells]
    assert ids == [c.id for c in build_student_notebook(nb, NAME).cells]
    assert ids[1] == "c1" and len(set(ids)) == 3


def test_building_twice_gives_identical_bytes_in_nbformats_layout() -> None:
    nb = executed_solution()
    text = serialize(build_student_notebook(nb, NAME))
    assert text == serialize(build_student_notebook(copy.deepcopy(nb), NAME))
    assert text.endswith("}\n") and '\n "cells": [\n' in text  # indent=1, trailing newline
    assert serialize(nbformat.reads(text, as_version=4)) == text  # what Jupyter would save


# --------------------------------------------------------------------------------------
# build_all and the command line
# --------------------------------------------------------------------------------------


@pytest.fixture()
def course(tmp_path: Path) -> tuple[Path, Path]:
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    shutil.copytree(FIXTURES, solutions)
    return solutions, notebooks


def test_build_all_writes_only_changes_and_removes_its_stale_notebooks(course: tuple[Path, Path]) -> None:
    solutions, notebooks = course
    assert build_all(solutions, notebooks, check=True) == [notebooks / "01_tiny.ipynb"]
    assert not notebooks.exists()  # --check writes nothing

    assert build_all(solutions, notebooks) == [notebooks / "01_tiny.ipynb"]
    first = (notebooks / "01_tiny.ipynb").read_bytes()
    assert build_all(solutions, notebooks) == [] and build_all(solutions, notebooks, check=True) == []
    assert (notebooks / "01_tiny.ipynb").read_bytes() == first

    # A renamed solution: the old student notebook goes, a student's copy of it stays.
    shutil.copy(notebooks / "01_tiny.ipynb", notebooks / "01_tiny-Copy1.ipynb")
    (solutions / "01_tiny.ipynb").rename(solutions / "01_small.ipynb")
    expected = [notebooks / "01_small.ipynb", notebooks / "01_tiny.ipynb"]
    assert build_all(solutions, notebooks, check=True) == expected
    assert build_all(solutions, notebooks) == expected
    assert sorted(p.name for p in notebooks.iterdir()) == ["01_small.ipynb", "01_tiny-Copy1.ipynb"]


def test_build_all_writes_nothing_when_one_notebook_is_malformed(course: tuple[Path, Path]) -> None:
    solutions, notebooks = course
    bad = nb_of("def f():\n    # BEGIN SOLUTION 2.1: A.\n    return 1")
    nbformat.write(bad, solutions / "02_bad.ipynb")
    with pytest.raises(MarkupError, match="02_bad.ipynb, cell 1 .*line 2: BEGIN SOLUTION without"):
        build_all(solutions, notebooks)
    assert not notebooks.exists()


def test_command_line_exit_codes(course: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    solutions, notebooks = course
    args = [str(solutions), str(notebooks)]
    assert build.main([*args, "--check"]) == 1
    assert "out of date (run `make notebooks`)" in capsys.readouterr().err
    assert build.main(args) == 0
    assert f"wrote {notebooks / '01_tiny.ipynb'}" in capsys.readouterr().out
    assert build.main([*args, "--check"]) == 0
    assert build.main([str(solutions / "missing"), str(notebooks)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_notebooks_folder_is_in_sync_with_solutions() -> None:
    """notebooks/ must be exactly what `make notebooks` generates from solutions/."""
    out_of_date = build_all(SOLUTIONS, NOTEBOOKS, check=True)
    assert not out_of_date, (
        "notebooks/ is out of date with solutions/ (run `make notebooks`; it overwrites edits made "
        f"in notebooks/): {', '.join(p.name for p in out_of_date)}")


# --------------------------------------------------------------------------------------
# The solution notebooks and the checks they call
# --------------------------------------------------------------------------------------


def _check_calls(nb: nbformat.NotebookNode) -> set[str]:
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            for node in ast.walk(parse_cell(cell.source)):
                if is_check_call(node):
                    names.add(node.func.attr)  # type: ignore[attr-defined]
    return names


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_every_exercise_has_an_available_check(path: Path) -> None:
    nb = read_notebook(path)
    called = _check_calls(nb)
    missing = called - set(checks.available())
    assert not missing, f"{path.name} calls checks that do not exist: {sorted(missing)}"
    checked_ids = {getattr(checks, name).exercise_id for name in called}
    unchecked = {e.exercise_id for e in find_exercises(nb, path.name)} - checked_ids
    assert not unchecked, f"{path.name}: exercises without a `checks.<name>(...)` cell: {sorted(unchecked)}"


# --------------------------------------------------------------------------------------
# The check framework
# --------------------------------------------------------------------------------------


@exercise("1.1", "double", hint="Multiply by two.")
def check_double(fn) -> None:  # noqa: ANN001
    x = torch.randn(5)
    expect_close(fn(x), 2 * x, "double(x) for a random x")


def test_a_passing_check_prints_one_stable_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_double(lambda x: x + x) is None
    assert capsys.readouterr().out == "✅ Exercise 1.1 (double): all checks passed.\n"
    assert (check_double.exercise_id, check_double.title) == ("1.1", "double")  # type: ignore[attr-defined]


def test_the_stubs_not_implemented_error_propagates_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    error = NotImplementedError("Exercise 1.1: Multiply by two.")

    def stub(x):  # noqa: ANN001, ANN202
        raise error

    with pytest.raises(NotImplementedError) as info:
        check_double(stub)
    assert info.value is error and info.value.__cause__ is None
    assert capsys.readouterr().out == ""


def test_a_wrong_answer_fails_with_what_was_expected_and_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ExerciseFailed) as info:
        check_double(lambda x: x * 3)
    message = str(info.value)
    assert message.startswith("Exercise 1.1 (double): double(x) for a random x is not close to the "
                              "expected value at 5 of 5 positions; the worst is at index (")
    assert "\n  expected: " in message and "\n  got:      " in message
    assert message.endswith("\n  hint: Multiply by two.")
    assert isinstance(info.value, AssertionError)
    assert capsys.readouterr().out == ""


def test_an_exception_in_student_code_becomes_a_failure_that_keeps_the_cause() -> None:
    def crashes(x):  # noqa: ANN001, ANN202
        return x @ torch.ones(3, 3)

    with pytest.raises(ExerciseFailed) as info:
        check_double(crashes)
    assert str(info.value).startswith("Exercise 1.1 (double): your code raised RuntimeError: ")
    assert str(info.value).endswith("hint: Multiply by two.")
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_bug_in_the_check_itself_is_not_blamed_on_the_student() -> None:
    # A check module inside the package: its own exceptions are bugs in the check.
    source = "def check(fn):\n    fn(1)\n    return {}['missing']\n"
    namespace: dict[str, object] = {}
    fake_file = Path(checks.__file__).parent / "nb99_fake.py"
    exec(compile(source, str(fake_file), "exec"), namespace)
    wrapped = exercise("9.1", "fake")(namespace["check"])  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        wrapped(lambda x: x)


def test_checks_are_seeded_and_leave_the_global_random_state_alone() -> None:
    seen: list[torch.Tensor] = []

    def spy(x: torch.Tensor) -> torch.Tensor:
        seen.append(x.clone())
        return 2 * x

    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    check_double(spy)
    check_double(spy)
    assert torch.equal(seen[0], seen[1])
    assert torch.equal(torch.rand(3), expected_next)


def test_expect_helpers_messages() -> None:
    with pytest.raises(ExerciseFailed, match=r"the output has the wrong shape\n  expected: \(8, any, 32\)\n"
                                             r"  got:      \(8, 3\)"):
        expect_shape(torch.zeros(8, 3), (8, None, 32), "the output")
    assert expect_shape(torch.zeros(8, 5, 32), (8, None, 32), "the output").shape == (8, 5, 32)
    with pytest.raises(ExerciseFailed, match=r"the loss should be a torch.Tensor\n"
                                             r"  expected: a torch.Tensor\n  got:      float: 0.5"):
        expect_close(0.5, torch.tensor(0.5), "the loss")
    expect_close(0.5, 0.5 + 1e-7, "a number")
    with pytest.raises(ExerciseFailed, match=r"the loss is not close to the expected value\n"
                                             r"  expected: 0.6931\n  got:      0.5"):
        expect_close(torch.tensor(0.5), torch.tensor(0.6931), "the loss")
    with pytest.raises(ExerciseFailed, match="the loss contains NaN or inf where a finite value is expected"):
        expect_close(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]), "the loss")
    expect_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]), "NaN matches NaN")
    with pytest.raises(ExerciseFailed, match=r"^D\(x\) must be in \[0, 1\]\n  hint: use a sigmoid$"):
        expect_true(False, "D(x) must be in [0, 1]", hint="use a sigmoid")
    with pytest.raises(ValueError, match="not of the form"):
        exercise("one", "bad id")


def test_checks_package_lists_and_loads_check_modules(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert checks.available() == sorted(checks.available())
    for name in checks.available():
        check = getattr(checks, name)
        assert callable(check) and check.exercise_id.count(".") == 1

    (tmp_path / "nb98_a.py").write_text("__all__ = ['twin']\ntwin = 1\n")
    (tmp_path / "nb98_b.py").write_text("__all__ = ['twin']\ntwin = 2\n")
    (tmp_path / "nb98_broken.py").write_text("import a_module_that_does_not_exist_anywhere\n")
    monkeypatch.setattr(checks, "__path__", [*checks.__path__, str(tmp_path)])
    for module in ("nb98_a", "nb98_b", "nb98_broken"):
        monkeypatch.delitem(sys.modules, f"gancolor.course.checks.{module}", raising=False)
    assert checks._load(("nb98_not_written_yet", "nb98_a")) == {"twin": 1}
    with pytest.raises(ModuleNotFoundError, match="a_module_that_does_not_exist_anywhere"):
        checks._load(("nb98_broken",))
    with pytest.raises(ImportError, match="'twin' is exported by both gancolor.course.checks.nb98_a and"):
        checks._load(("nb98_a", "nb98_b"))
    for module in ("nb98_a", "nb98_b", "nb98_broken"):
        sys.modules.pop(f"gancolor.course.checks.{module}", None)
