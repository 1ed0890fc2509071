"""Check 7.3 (a model's gain over the best baseline, with its standard error) both ways: it passes on the
reference and on equivalent correct forms, raises NotImplementedError for the stub, and names each planted
mistake."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.evaluation import paired_gain


def student(mistake: str = "", ddof: int = 1) -> Callable:
    """A student-style gain_over_best with a switchable mistake."""

    def gain_over_best(per_image, model, baselines):
        scores = {name: torch.as_tensor(values).double().numpy() for name, values in per_image.items()}
        candidates = list(per_image) if mistake == "all methods" else list(baselines)
        if mistake == "all methods":
            candidates.remove(model)
        if mistake == "worst":
            best = min(candidates, key=lambda name: scores[name].mean())
        elif mistake == "first":
            best = candidates[0]
        else:
            best = max(candidates, key=lambda name: scores[name].mean())
        m, b = scores[model], scores[best]
        if mistake == "oracle":
            b = np.max([scores[name] for name in baselines], axis=0)
        diff = b - m if mistake == "reversed" else m - b
        n = len(diff)
        error = diff.std(ddof=ddof) / math.sqrt(n)
        if mistake == "deviation":
            error = diff.std(ddof=ddof)
        elif mistake == "unpaired":
            error = math.sqrt(m.var(ddof=ddof) / n + b.var(ddof=ddof) / n)
        elif mistake == "variance":
            error = diff.var(ddof=1) / n
        if mistake == "in place":
            per_image[model] = diff
        return float(diff.mean()), float(error), best

    return gain_over_best


def torch_student(per_image, model, baselines):
    """The same with torch: tensors in, 0-dim tensors out, the population variance."""
    scores = {name: torch.as_tensor(values, dtype=torch.float64) for name, values in per_image.items()}
    best = max(baselines, key=lambda name: float(scores[name].mean()))
    diff = scores[model] - scores[best]
    return diff.mean(), diff.std(correction=0) / len(diff) ** 0.5, best


@pytest.mark.parametrize("fn", [student(), student(ddof=0), torch_student], ids=["numpy", "ddof 0", "torch"])
def test_correct_forms_pass(fn, capsys):
    passes(checks.gain_over_best, fn, capsys)


def test_stub_raises_not_implemented():
    def stub(*args):
        raise NotImplementedError("Exercise 7.3: not done yet")

    with pytest.raises(NotImplementedError):
        checks.gain_over_best(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("oracle", "best baseline of each image"),
    ("worst", "worst baseline"),
    ("first", "first baseline listed"),
    ("all methods", "not one of the baselines"),
    ("reversed", "reversed the difference"),
    ("deviation", "standard deviation of the differences"),
    ("unpaired", "as if they were independent"),
    ("variance", "variance of the mean"),
    ("in place", "changed the scores"),
])
def test_planted_mistakes_are_named(mistake, needle):
    fails(checks.gain_over_best, student(mistake), needle)


def test_a_vector_gain_is_rejected():
    def per_image_gain(per_image, model, baselines):
        best = max(baselines, key=lambda name: float(torch.as_tensor(per_image[name]).mean()))
        diff = torch.as_tensor(per_image[model]) - torch.as_tensor(per_image[best])
        return diff, 0.1, best

    fails(checks.gain_over_best, per_image_gain, "one number")


def test_the_package_reference_passes_and_validates(capsys):
    passes(checks.gain_over_best, paired_gain.gain_over_best, capsys)
    with pytest.raises(ValueError, match="every baseline"):
        paired_gain.gain_over_best({"model": [1.0, 2.0]}, "model", ("mean target",))
    with pytest.raises(ValueError, match="N >= 2"):
        paired_gain.gain_over_best({"model": [1.0, 2.0], "b": [1.0]}, "model", ("b",))
