"""Check of notebook 07's exercise 7.3, is the gain real: a model's gain over the best baseline, with its
standard error from per-image scores (re-exported by :mod:`gancolor.course.checks.nb07_multitask`).

The student's ``gain_over_best(per_image, model, baselines)`` gets per-image PSNRs ``{method: (N,)}``
and returns ``(gain, standard error, name of the best baseline)``: the best baseline is the one with
the highest *mean* score, chosen once for the whole set; the gain is the mean of the per-image
differences model - best; its standard error is their standard deviation over sqrt(N) (paired: the
same images under both methods). The scores are built so that every typical mistake gives another
answer and is named: the best baseline chosen per image (an oracle that looks at the truth), the
worst or the first listed baseline, a method that is not a baseline (the model itself, an upper
reference), the difference reversed, the standard deviation instead of the standard error, and an
unpaired error (the two methods' errors added as if independent). Either variance (dividing by N
or N - 1) passes, and so do NumPy arrays, tensors and plain lists as inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from gancolor.course.checks._framework import ExerciseFailed, describe, exercise, expect_true

__all__ = ["gain_over_best"]

_HINT = ("choose the baseline with the highest mean score over all images (one choice for the whole test "
         "set, as section 5's table ranks them); the gain is the mean of the per-image differences model "
         "minus that baseline, and its standard error is the spread of those differences divided by the "
         "square root of the number of images")
_DEVIATION = ("you returned the standard deviation of the differences, not the standard error of their mean "
              "(divide by the square root of the number of images)")
_UNPAIRED = ("you added the two methods' errors as if they were independent: both score the *same* images, "
             "so take the spread of the per-image differences (a paired comparison)")

_MODEL, _BASELINES, _REFERENCE = "model", ("Reinhard", "identity", "mean target"), "upper reference"


def _scores() -> dict[str, np.ndarray]:
    """Per-image PSNRs (N = 16) of a model, three baselines and an upper reference, in dB.

    The mean target is the best baseline on average, Reinhard wins on some images (so a per-image
    maximum is larger than the best mean), the model's errors go with the baseline's (a paired
    error is smaller than an unpaired one), and the upper reference beats the model.
    """
    rng = np.random.default_rng(7)
    scene = rng.normal(0.0, 2.0, 16)  # how hard each scene is: shared by every method
    mean_target = 17.0 + scene + rng.normal(0.0, 0.6, 16)
    reinhard = 15.5 + scene + rng.normal(0.0, 1.5, 16)
    identity = 9.5 + 0.5 * scene + rng.normal(0.0, 0.5, 16)
    model = 19.5 + scene + rng.normal(0.0, 0.8, 16)
    return {"Reinhard": reinhard, _MODEL: model, _REFERENCE: model + 0.7 + rng.normal(0.0, 0.3, 16),
            "mean target": mean_target, "identity": identity}


def _gain(model: np.ndarray, baseline: np.ndarray, ddof: int = 1) -> tuple[float, float]:
    diff = model - baseline
    return float(diff.mean()), float(diff.std(ddof=ddof) / math.sqrt(len(diff)))


def _as_number(value: object, what: str) -> float:
    __tracebackhide__ = True
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, (int, float, np.number)) or (isinstance(value, np.ndarray) and value.size == 1):
        return float(value)
    raise ExerciseFailed(f"the {what} should be one number", got=describe(value),
                         hint="average over the images: one gain and one standard error for the whole set")


def _array(values: object) -> np.ndarray:
    """A float64 copy of scores given as a tensor, an array or a list."""
    if isinstance(values, torch.Tensor):
        return values.detach().double().cpu().numpy().copy()
    return np.array(values, dtype=np.float64)


def _run(student: Callable, scores: dict[str, object],
         baselines: tuple[str, ...]) -> tuple[float, float, str]:
    """The student's (gain, error, best) for one case, checked for form; the inputs must stay unchanged."""
    __tracebackhide__ = True
    copies = {name: _array(values) for name, values in scores.items()}
    result = student(scores, _MODEL, baselines)
    expect_true(isinstance(result, tuple) and len(result) == 3,
                "gain_over_best should return a tuple (gain, standard error, name of the best baseline)",
                got=describe(result))
    gain, error, best = result
    expect_true(isinstance(best, str), "the third value should be the best baseline's name (a str)",
                got=describe(best))
    expect_true(all(np.array_equal(_array(scores[name]), copies[name]) for name in copies),
                "gain_over_best changed the scores it was given: work on copies")
    return _as_number(gain, "gain"), _as_number(error, "standard error"), best


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


@exercise("7.3", "is the gain real", hint=_HINT)
def gain_over_best(student_fn: Callable[..., tuple[float, float, str]]) -> None:
    """``student_fn(per_image, model, baselines)`` -> (mean gain over the best baseline, its paired standard
    error, that baseline's name)."""
    __tracebackhide__ = True
    scores = _scores()
    call = f"gain_over_best(per_image, {_MODEL!r}, {_BASELINES!r})"
    as_tensors = {name: torch.from_numpy(values.copy()) for name, values in scores.items()}
    gain, error, best = _run(student_fn, as_tensors, _BASELINES)

    model = scores[_MODEL]
    means = {name: scores[name].mean() for name in _BASELINES}
    expected_best = max(means, key=means.get)
    if best != expected_best:
        if best == _MODEL or best == _REFERENCE:
            problem = (f"{call} chose {best!r}, which is not one of the baselines: compare the model only "
                       "with the methods listed in `baselines` (the others are the model or a reference)")
        elif best == min(means, key=means.get):
            problem = (f"{call} chose the worst baseline: the model must be judged against the strongest "
                       "thing that costs nothing, the baseline with the highest mean score")
        elif best == _BASELINES[0]:
            problem = f"{call} chose the first baseline listed, not the one with the highest mean score"
        else:
            problem = f"{call} did not choose the baseline with the highest mean score"
        raise ExerciseFailed(problem, expected=repr(expected_best), got=repr(best), hint=_HINT)

    want_gain, want_error = _gain(model, scores[expected_best])
    if not _close(gain, want_gain):
        oracle = float((model - np.max([scores[n] for n in _BASELINES], axis=0)).mean())
        wrong = {
            -want_gain: "you reversed the difference: the gain is the model's score minus the baseline's",
            oracle: ("you took the best baseline of each image: that oracle looks at the truth to choose, "
                     "which no real baseline can; choose one baseline for the whole set, by its mean score"),
            float((model - scores[_REFERENCE]).mean()):
                "you compared with the upper reference, not a baseline",
            float(np.median(model - scores[expected_best])):
                "you took the median of the differences: the gain is their mean (the tables report means)",
        }
        problem = next((text for value, text in wrong.items() if _close(gain, value)),
                       f"{call}: the gain is not the mean of the per-image differences model - best baseline")
        raise ExerciseFailed(problem, expected=f"{want_gain:.4g}", got=f"{gain:.4g}", hint=_HINT)

    population = _gain(model, scores[expected_best], ddof=0)[1]
    if not (_close(error, want_error) or _close(error, population)):
        n = len(model)
        diff = model - scores[expected_best]
        base = scores[expected_best]
        wrong = {
            float(diff.std(ddof=1)): _DEVIATION,
            float(diff.std(ddof=0)): _DEVIATION,
            float(math.sqrt(model.var(ddof=1) / n + base.var(ddof=1) / n)): _UNPAIRED,
            float(math.sqrt(model.var(ddof=0) / n + base.var(ddof=0) / n)): _UNPAIRED,
            float(diff.var(ddof=1) / n): "you returned the variance of the mean: take its square root",
            float(model.std(ddof=1) / math.sqrt(n)): "you returned the standard error of the model's scores "
                                                     "alone: take it of the differences model - baseline",
        }
        problem = next((text for value, text in wrong.items() if _close(error, value)),
                       f"{call}: the standard error is not that of the mean per-image difference")
        raise ExerciseFailed(problem, expected=f"{want_error:.4g}", got=f"{error:.4g}", hint=_HINT)

    # Plain lists and another baseline order: the same answer (the choice is by score, not by position).
    listed = {name: [float(v) for v in values] for name, values in scores.items()}
    again = _run(student_fn, listed, tuple(reversed(_BASELINES)))
    expect_true(again[2] == expected_best and _close(again[0], gain) and _close(again[1], error),
                "with the baselines listed in another order (and the scores as lists), the answer changed",
                expected=f"({want_gain:.4g}, {want_error:.4g}, {expected_best!r})",
                got=f"({again[0]:.4g}, {again[1]:.4g}, {again[2]!r})",
                hint="choose the baseline by its mean score, whatever its position; np.asarray reads lists")

    # One baseline only: it is the best; a model equal to it gains 0 with error 0.
    same = {_MODEL: scores[_MODEL], "twin": scores[_MODEL].copy()}
    gain, error, best = _run(student_fn, same, ("twin",))
    expect_true(best == "twin" and _close(gain, 0.0) and _close(error, 0.0),
                "a model compared with an identical baseline should gain 0 dB with a standard error of 0",
                expected="(0, 0, 'twin')", got=f"({gain:.4g}, {error:.4g}, {best!r})")
