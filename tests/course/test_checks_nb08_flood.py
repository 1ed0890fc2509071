"""Check 8.3 (how far one hint floods) both ways: it passes on the reference and on equivalent forms,
raises NotImplementedError for the stub, and names each planted mistake."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.course.checks._nb08_flood import _mistakes, scene
from gancolor.evaluation.hint_reach import flood_share as reference


def student(mistake: str = "") -> Callable:
    """A student-style flood_share with a switchable mistake."""

    def flood_share(before_ab, after_ab, hint_ab, obj):
        wanted = torch.tensor(hint_ab).view(2, 1, 1)
        d0 = ((before_ab - wanted) ** 2).sum(dim=0).sqrt()
        d1 = ((after_ab - wanted) ** 2).sum(dim=0).sqrt()
        where = ~obj
        if mistake == "whole image":
            where = torch.ones_like(obj)
        if mistake == "object only":
            where = obj
        hit = d1 <= d0 / 2
        if mistake == "wrong way":
            hit = d1 > d0 / 2
        if mistake == "distance moved":
            hit = (after_ab - before_ab).norm(dim=0) >= d0 / 2
        if mistake == "per channel":
            hit = ((after_ab - wanted).abs() <= (before_ab - wanted).abs() / 2).all(dim=0)
        if mistake == "squared halved":
            hit = d1 ** 2 <= d0 ** 2 / 2
        if mistake == "mean":
            return bool(d1[where].mean() <= d0[where].mean() / 2)
        if mistake == "count":
            return int(hit[where].sum())
        if mistake == "percent":
            return 100 * float(hit[where].float().mean())
        if mistake == "in place":
            after_ab -= wanted
        return float(hit[where].float().mean())

    return flood_share


def numpy_squared(before_ab, after_ab, hint_ab, obj):
    """An equivalent form: NumPy, squared distances against a quarter, a strict <, a 0-d tensor out."""
    b, a, o = before_ab.numpy(), after_ab.numpy(), obj.numpy()
    h = np.asarray(hint_ab)[:, None, None]
    near = ((a - h) ** 2).sum(axis=0) < ((b - h) ** 2).sum(axis=0) / 4
    return torch.tensor(near[~o].sum() / (~o).sum())


@pytest.mark.parametrize("fn", [student(), numpy_squared, reference],
                         ids=["torch", "numpy-squared", "package"])
def test_correct_forms_pass(fn, capsys):
    passes(checks.flood_share, fn, capsys)


def test_stub_raises_not_implemented():
    def stub(*args):
        raise NotImplementedError("Exercise 8.3: not done yet")

    with pytest.raises(NotImplementedError):
        checks.flood_share(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("whole image", "every pixel of the image"),
    ("object only", "the object's pixels"),
    ("wrong way", "wrong way round"),
    ("distance moved", "in any direction"),
    ("per channel", "judged separately"),
    ("squared halved", "squared distance"),
    ("mean", "yes/no"),
    ("count", "number of pixels"),
    ("percent", "percentage"),
    ("in place", "in place"),
])
def test_planted_mistakes_are_named(mistake, needle):
    fails(checks.flood_share, student(mistake), needle)


def test_the_mistakes_answer_differently_on_the_test_scene():
    """Every typical mistake gives its own answer, none the right one, so each can be named."""
    before, after, hint_ab, obj = scene()
    right = reference(before, after, hint_ab, obj)
    values = [value for value, _ in _mistakes(before, after, hint_ab, obj)]
    assert all(abs(v - right) > 1e-3 for v in values)
    assert all(abs(v - w) > 1e-3 for i, v in enumerate(values) for w in values[i + 1:])


def test_reference_on_simple_cases():
    before = torch.zeros(2, 2, 2)
    after = torch.tensor([[[9.0, 6.0], [0.0, 10.0]], [[0.0, 0.0], [0.0, 0.0]]])  # hint at a = 10
    obj = torch.tensor([[False, False], [False, True]])
    assert reference(before, after, (10.0, 0.0), obj) == pytest.approx(2 / 3)  # 9 and 6 moved half way, 0 not
