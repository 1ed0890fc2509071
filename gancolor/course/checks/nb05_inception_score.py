"""Check 5.4 of notebook 05: the Inception Score from class probabilities (re-exported by nb05_evaluation).

``inception_score(probabilities)`` for one set, probabilities (N, C) with rows summing to 1, must
return exp(E_x KL(p(y|x) || p(y))) with p(y) the mean row. It is compared with
:func:`gancolor.metrics.inception_score_from_probabilities` (one split) on random distributions,
on uniform rows (IS 1), on one-hot rows over k evenly used classes (IS k, and 0 log 0 must count
as 0) and on a set that uses its classes unevenly. Wrong values are matched against the typical
mistakes: KL in the wrong direction, the log of the marginal taken per sample (the mean of the
logs, or each row as its own marginal), no exp, the mean of exp(KL) instead of exp of the mean,
the mean over classes instead of the sum, log base 2. The entropy form H(p(y)) - E H(p(y|x)) is
the same number and passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from gancolor.course.checks._framework import (
    ExerciseFailed,
    exercise,
    expect_true,
    show_number,
    tensors_close,
)
from gancolor.metrics.inception_score import inception_score_from_probabilities

__all__ = ["inception_score"]

_HINT = ("the marginal p(y) is the mean of the rows over the set; each row's KL(p(y|x) || p(y)) sums over "
         "the classes, with 0 log 0 = 0; the score is exp of the mean KL (section 5's formula)")


def _variant(p: torch.Tensor, kind: str) -> torch.Tensor:
    """IS of p (N, C) float64 computed with one of the typical mistakes."""
    marginal = p.mean(dim=0, keepdim=True)  # (1, C)
    log_p = torch.log(p)
    if kind == "reversed":  # KL(p(y) || p(y|x))
        kl = (torch.xlogy(marginal, marginal) - marginal * log_p).sum(dim=1)
        return torch.exp(kl.mean())
    if kind == "mean_of_logs":  # log p(y) taken as the mean over x of log p(y|x)
        log_marginal = log_p.clamp_min(-1e30).mean(dim=0, keepdim=True)
        kl = (torch.xlogy(p, p) - p * log_marginal).sum(dim=1)
        return torch.exp(kl.mean())
    kl = (torch.xlogy(p, p) - torch.xlogy(p, marginal)).sum(dim=1)  # (N,)
    return {
        "own_marginal": torch.tensor(1.0, dtype=p.dtype),  # each row compared with itself
        "no_exp": kl.mean(),
        "mean_of_exp": torch.exp(kl).mean(),
        "class_mean": torch.exp((kl / p.shape[1]).mean()),
        "log2": torch.exp(kl.mean() / math.log(2)),
    }[kind]


_MISTAKES = {
    "reversed": "KL is in the wrong direction: it is KL(p(y|x) || p(y)), each image's prediction against the "
                "marginal, weighted by p(y|x)",
    "mean_of_logs": "log p(y) was taken as the mean over the images of log p(y|x): the marginal is the "
                    "mean of the probabilities, and its log is taken after averaging",
    "own_marginal": "every KL is 0 (IS 1 whatever the predictions): the marginal p(y) must be the mean over "
                    "the whole set, not each image's own p(y|x)",
    "no_exp": "you returned the mean KL: the Inception Score is exp of it",
    "mean_of_exp": "you averaged exp(KL) over the images: the score is exp of the mean KL",
    "class_mean": "you averaged the KL terms over the classes: KL sums over them",
    "log2": "you used log base 2: the score is exp of a KL in nats (natural log)",
}


def _sets() -> dict[str, tuple[torch.Tensor, float | None]]:
    """Named test sets (N, C) float64 with the score they must get (None: the reference's)."""
    generator = torch.Generator().manual_seed(0)
    random = torch.softmax(3 * torch.randn(24, 6, generator=generator, dtype=torch.float64), dim=1)
    one_hot = torch.eye(4, dtype=torch.float64).repeat(5, 1)  # 20 images, 4 classes used evenly
    uneven = torch.zeros(12, 5, dtype=torch.float64)
    uneven[:8, 0] = 1.0  # 8 certain of class 0, 4 of class 1
    uneven[8:, 1] = 1.0
    return {
        "random predictions (24 images, 6 classes)": (random, None),
        "uniform predictions": (torch.full((10, 8), 1 / 8, dtype=torch.float64), 1.0),
        "one-hot predictions over 4 evenly used classes": (one_hot, 4.0),
        "one-hot predictions, classes used 8 : 4": (uneven, None),
    }


@exercise("5.4", "Inception Score", hint=_HINT)
def inception_score(student_fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``student_fn(probabilities)``: IS of one set, probabilities (N, C) -> a number."""
    __tracebackhide__ = True
    for name, (p, known) in _sets().items():
        got = student_fn(p.clone())
        if isinstance(got, (int, float)):
            got = torch.tensor(float(got), dtype=torch.float64)
        expect_true(isinstance(got, torch.Tensor) and got.numel() == 1,
                    "inception_score should return one number for the whole set (a 0-d tensor)",
                    got=repr(got)[:80], hint=_HINT)
        got = got.detach().double().reshape(())
        expected = torch.tensor(inception_score_from_probabilities(p, splits=1)[0], dtype=torch.float64)
        if known is not None and not math.isclose(float(expected), known, rel_tol=1e-9):
            raise AssertionError(f"the reference scored {name} {float(expected)}, not {known}")  # a check bug
        if tensors_close(got, expected, atol=1e-6, rtol=1e-5):
            continue
        if not torch.isfinite(got):
            zeros = bool((p == 0).any())
            raise ExerciseFailed(
                f"on {name} your score is {show_number(got)}" + (
                    ": these rows contain zeros, and 0 · log 0 must count as 0 (it is the limit of "
                    "p log p), not NaN" if zeros else ""),
                hint="torch.xlogy(p, p) computes p log p with 0 log 0 = 0" if zeros else _HINT)
        for kind, problem in _MISTAKES.items():
            value = _variant(p, kind)
            if torch.isfinite(value) and tensors_close(got, value, atol=1e-6, rtol=1e-5):
                raise ExerciseFailed(f"on {name}: {problem}", expected=show_number(expected),
                                     got=show_number(got), hint=_HINT)
        raise ExerciseFailed(f"on {name} your score is not exp(E_x KL(p(y|x) || p(y)))",
                             expected=show_number(expected), got=show_number(got), hint=_HINT)
