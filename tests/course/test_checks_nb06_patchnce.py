"""Check 6.5 (CUT's PatchNCE loss) both ways: it passes on the reference and on an equivalent formula,
raises NotImplementedError for the stub, and names each planted mistake."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.losses.patchnce import patch_nce_loss


def student(mistake: str = "") -> object:
    """A student-style PatchNCE with a switchable mistake."""

    def patch_nce(query, key, temperature):
        n, s, _ = query.shape
        if mistake != "key trained":
            key = key.detach()
        if mistake == "batch negatives":
            logits = query.reshape(n * s, -1) @ key.reshape(n * s, -1).t() / temperature
            return F.cross_entropy(logits, torch.arange(n * s))
        if mistake == "positive only":
            return -(query * key).sum(-1).mean() / temperature
        logits = torch.bmm(query, key.transpose(1, 2))
        if mistake == "no temperature":
            pass
        elif mistake == "times temperature":
            logits = logits * temperature
        else:
            logits = logits / temperature
        wrong = mistake == "wrong column"
        labels = torch.zeros(n * s, dtype=torch.long) if wrong else torch.arange(s).repeat(n)
        if mistake == "query detached":
            logits = logits.detach()
        reduction = "sum" if mistake == "summed" else "mean"
        if mistake == "shape":
            return F.cross_entropy(logits.reshape(n * s, s), labels, reduction="none")
        # an equivalent form: positives on the diagonal, log-sum-exp over the row
        positive = logits.diagonal(dim1=1, dim2=2)
        per_patch = torch.logsumexp(logits, dim=2) - positive
        if mistake == "wrong column":
            return F.cross_entropy(logits.reshape(n * s, s), labels)
        return per_patch.sum() if reduction == "sum" else per_patch.mean()

    return patch_nce


def test_reference_and_an_equivalent_answer_pass(capsys):
    passes(checks.patch_nce, patch_nce_loss, capsys)
    passes(checks.patch_nce, student(), capsys)


def test_stub_raises_not_implemented():
    def stub(query, key, temperature):
        raise NotImplementedError("Exercise 6.5: not done yet")

    with pytest.raises(NotImplementedError):
        checks.patch_nce(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("no temperature", "not divided by the temperature"),
    ("times temperature", "multiplied by the temperature"),
    ("wrong column", "wrong column"),
    ("batch negatives", "every image of the batch"),
    ("summed", "summed"),
    ("positive only", "only the positive term"),
    ("key trained", "flows into the key"),
    ("query detached", "query"),
    ("shape", "single number"),
])
def test_typical_mistakes_are_named(mistake, needle):
    fails(checks.patch_nce, student(mistake), needle)
