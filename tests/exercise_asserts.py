"""Assertions shared by the exercise-check tests: a check passes, or fails naming the mistake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gancolor.course.checks import ExerciseFailed


def passes(check: Callable[[object], None], student: object, capsys: pytest.CaptureFixture[str]) -> None:
    """``check(student)`` prints exactly its one success line."""
    check(student)
    out = capsys.readouterr().out
    assert out == f"✅ Exercise {check.exercise_id} ({check.title}): all checks passed.\n"


def fails(check: Callable[[object], None], student: object, *needles: str) -> str:
    """Run ``check(student)``, expect ExerciseFailed whose message contains every needle; return it."""
    with pytest.raises(ExerciseFailed) as info:
        check(student)
    message = str(info.value)
    assert message.startswith(f"Exercise {check.exercise_id} ({check.title}): "), message
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"
    return message
