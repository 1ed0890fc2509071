"""Check 5.4 (the Inception Score from probabilities) both ways: the reference and the entropy form pass;
planted mistakes (KL reversed, the marginal's log per sample, no exp, 0 log 0 as NaN ...) are named."""

from __future__ import annotations

import math

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks

check = checks.inception_score


def reference(p: torch.Tensor) -> torch.Tensor:
    marginal = p.mean(dim=0, keepdim=True)
    kl = (torch.xlogy(p, p) - torch.xlogy(p, marginal)).sum(dim=1)
    return torch.exp(kl.mean())


def entropy_form(p: torch.Tensor) -> torch.Tensor:
    """exp(H(p(y)) - E_x H(p(y|x))): the same number."""
    marginal = p.mean(dim=0)
    return torch.exp(-torch.xlogy(marginal, marginal).sum() + torch.xlogy(p, p).sum(dim=1).mean())


def test_reference_and_equivalent_forms_pass(capsys: pytest.CaptureFixture[str]) -> None:
    passes(check, reference, capsys)
    passes(check, entropy_form, capsys)
    passes(check, lambda p: float(reference(p)), capsys)  # a Python float is a number too


def test_stub_raises() -> None:
    def stub(p):
        raise NotImplementedError("Exercise 5.4: not done yet")

    with pytest.raises(NotImplementedError, match="Exercise 5.4"):
        check(stub)


def kl_reversed(p):
    m = p.mean(dim=0, keepdim=True)
    return torch.exp((torch.xlogy(m, m) - m * torch.log(p)).sum(dim=1).mean())


def log_of_marginal_per_sample(p):
    log_m = torch.log(p).clamp_min(-1e30).mean(dim=0, keepdim=True)
    return torch.exp((torch.xlogy(p, p) - p * log_m).sum(dim=1).mean())


def own_marginal(p):
    return torch.exp((torch.xlogy(p, p) - torch.xlogy(p, p)).sum(dim=1).mean())


def no_exp(p):
    return torch.log(reference(p))


def mean_of_exp(p):
    m = p.mean(dim=0, keepdim=True)
    return torch.exp((torch.xlogy(p, p) - torch.xlogy(p, m)).sum(dim=1)).mean()


def nan_at_zero(p):
    m = p.mean(dim=0, keepdim=True)
    return torch.exp((p * (torch.log(p) - torch.log(m))).sum(dim=1).mean())


def log2(p):
    return torch.exp(torch.log(reference(p)) / math.log(2))


@pytest.mark.parametrize(("student", "needle"), [
    (kl_reversed, "wrong direction"),
    (log_of_marginal_per_sample, "log is taken after averaging"),
    (own_marginal, "not each image's own"),
    (no_exp, "exp of it"),
    (mean_of_exp, "averaged exp(KL)"),
    (nan_at_zero, "0 · log 0"),
    (log2, "base 2"),
    (lambda p: reference(p) + 0.5, "not exp(E_x KL"),
    (lambda p: torch.ones(3), "one number"),
])
def test_planted_mistakes_are_named(student, needle: str) -> None:
    fails(check, student, needle)
