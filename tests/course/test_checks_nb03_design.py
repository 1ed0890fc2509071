"""The check of exercise 3.5 (how coarse may ab be?) both ways, with the usual mistakes named."""

from __future__ import annotations

import pytest
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.course.checks.nb03_design import low_resolution_errors

check = checks.coarsest_ab


def solution(lab, budget, factors):
    errors = low_resolution_errors(lab, factors)
    return max([f for f, e in zip(factors, errors, strict=True) if e <= budget], default=1)


def loop_form(lab, budget, factors):
    """Walks the factors from the coarsest down (the errors grow with the factor on photos)."""
    for f in sorted(factors, reverse=True):
        if low_resolution_errors(lab, [f])[0] <= budget:
            return f
    return 1


def shrinks_l(lab, budget, factors):
    errors = low_resolution_errors(lab, factors, shrink_l=True)
    return max([f for f, e in zip(factors, errors, strict=True) if e <= budget], default=1)


def smallest(lab, budget, factors):
    errors = low_resolution_errors(lab, factors)
    return min([f for f, e in zip(factors, errors, strict=True) if e <= budget], default=1)


def first_over(lab, budget, factors):
    errors = low_resolution_errors(lab, factors)
    return next((f for f, e in zip(factors, errors, strict=True) if e > budget), factors[-1])


@pytest.mark.parametrize("student", [solution, loop_form], ids=["max", "loop"])
def test_passes(student, capsys):
    passes(check, student, capsys)


def test_stub_raises_not_implemented():
    def stub(*args):
        raise NotImplementedError("Exercise 3.5: not done yet")

    with pytest.raises(NotImplementedError):
        check(stub)


@pytest.mark.parametrize(("student", "needle"), [
    (shrinks_l, "you shrink L too"),
    (smallest, "smallest factor"),
    (first_over, "first factor *over* the budget"),
    (lambda lab, budget, factors: 8, "the coarsest ab within budget is"),
    (lambda lab, budget, factors: "8", "return one factor"),
], ids=["shrinks-L", "smallest", "first-over", "constant", "a-string"])
def test_fails_naming_the_mistake(student, needle):
    fails(check, student, needle)
