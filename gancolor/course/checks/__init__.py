"""Exercise checks, one module per notebook, all reachable as ``checks.<name>``.

In a notebook::

    from gancolor.course import checks

    checks.discriminator_loss(discriminator_loss)   # prints "✅ Exercise 1.1 ..." or raises

The checks of notebook NN live in ``nbNN_<topic>.py`` and are listed in that module's
``__all__``; this package re-exports them. ``_NOTEBOOK_MODULES`` is the explicit list of
those modules, in course order. A module of the list that does not exist yet (the course is
being written) is skipped; any other import error propagates, so a broken check module is
never hidden. The test ``tests/course/test_course_build.py`` makes sure every ``checks.<name>``
that a solution notebook calls is available. Two modules exporting the same name is an
error.

The framework (``ExerciseFailed``, ``exercise``, ``expect_*``) is in
:mod:`gancolor.course.checks._framework` and re-exported here for check authors.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from gancolor.course.checks._framework import (
    ExerciseFailed,
    describe,
    exercise,
    expect_close,
    expect_finite,
    expect_shape,
    expect_tensor,
    expect_true,
    passed_line,
    seeded,
)

#: The per-notebook check modules, in course order (the lead edits this list).
_NOTEBOOK_MODULES: tuple[str, ...] = (
    "nb01_objective",
    "nb02_dcgan",
    "nb03_lab",
    "nb04_colorization",
    "nb05_evaluation",
    "nb06_cyclegan",
    "nb07_multitask",
    "nb08_hints",
    "nb09_video",
    "nb10_exemplar",
    "nb11_superres",
)

__all__ = [
    "ExerciseFailed",
    "exercise",
    "expect_tensor",
    "expect_shape",
    "expect_close",
    "expect_finite",
    "expect_true",
    "passed_line",
    "describe",
    "seeded",
    "available",
]
_FRAMEWORK = frozenset(__all__)


def _load(names: tuple[str, ...]) -> dict[str, object]:
    """The checks exported by the modules ``names`` that exist, by check name."""
    found: dict[str, object] = {}
    origin: dict[str, str] = {}
    for name in names:
        qualified = f"{__name__}.{name}"
        try:
            module: ModuleType = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:  # not written yet; anything missing *inside* it is an error
                continue
            raise
        for check in getattr(module, "__all__", ()):
            if check in found or check in _FRAMEWORK:
                other = origin.get(check, "the framework")
                raise ImportError(f"check name {check!r} is exported by both {other} and {qualified}")
            found[check] = getattr(module, check)
            origin[check] = qualified
    return found


_CHECKS = _load(_NOTEBOOK_MODULES)
globals().update(_CHECKS)


def available() -> list[str]:
    """The names of the available checks, sorted (``checks.<name>`` for each)."""
    return sorted(_CHECKS)


__all__ += sorted(_CHECKS)
