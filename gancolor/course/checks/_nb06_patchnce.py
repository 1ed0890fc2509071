"""Check of notebook 06's exercise 6.5: CUT's PatchNCE loss (re-exported by nb06).

The student's ``patch_nce(query, key, temperature)`` gets unit rows (N, S, C) whose answer is known:
matching patches (a small loss), patches that tell nothing apart (log S), random patches compared
with the reference (:func:`gancolor.losses.patchnce.patch_nce_loss`), then the gradients: the query
must be trained, the key must not (the paper's code detaches it). A wrong value is matched against
the typical mistakes, which are named: no temperature (or multiplying by it), the positive in the
wrong column, negatives taken from the other images of the batch too, the loss summed instead of
averaged, and the positive term alone (no negatives: -ẑ·z / τ).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from gancolor.course.checks._framework import (
    Mistake,
    diagnose,
    exercise,
    expect_close,
    expect_scalar,
    expect_true,
    show_number,
)
from gancolor.losses.patchnce import patch_nce_loss as reference

__all__ = ["patch_nce"]

_HINT = ("logits = torch.bmm(query, key.detach().transpose(1, 2)) / temperature  # (N, S, S); "
         "the positive of row i is column i: F.cross_entropy(logits.reshape(N * S, S), "
         "torch.arange(S).repeat(N))")


def _unit(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed)), dim=-1)


def _mistakes(query: torch.Tensor, key: torch.Tensor, tau: float) -> list[Mistake]:
    """(compute, problem, hint) of the typical mistakes, on ``query``, ``key`` (N, S, C)."""
    n, s, _ = query.shape
    logits = torch.bmm(query, key.transpose(1, 2))  # (N, S, S), without τ
    labels = torch.arange(s).repeat(n)

    def ce(scores: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        return F.cross_entropy(scores.reshape(n * s, s), labels, reduction=reduction)

    flat_q, flat_k = query.reshape(n * s, -1), key.reshape(n * s, -1)
    return [
        (lambda: ce(logits), "the logits are not divided by the temperature τ: ẑ·z / τ sharpens the "
         "softmax (τ = 0.07)", "divide the dot products by temperature"),
        (lambda: ce(logits * tau), "the logits are multiplied by the temperature instead of divided by it",
         "logits = ẑ·z / τ"),
        (lambda: F.cross_entropy(logits.reshape(n * s, s) / tau, torch.zeros(n * s, dtype=torch.long)),
         "the positive is in the wrong column: the positive of query patch i is key patch i (the "
         "diagonal), so the labels are 0, 1, ..., S - 1", "labels = torch.arange(S).repeat(N)"),
        (lambda: F.cross_entropy(flat_q @ flat_k.t() / tau, torch.arange(n * s)),
         "the negatives come from every image of the batch: CUT takes them from the same image only "
         "(an (N, S, S) batch of dot products, torch.bmm, not one (N S, N S) matrix)",
         "torch.bmm(query, key.transpose(1, 2)) keeps the images apart"),
        (lambda: ce(logits / tau, "sum"), "the loss is summed over the patches instead of averaged",
         "F.cross_entropy averages by default"),
        (lambda: -(query * key).sum(-1).mean() / tau, "only the positive term: without the negatives "
         "(the softmax over the other patches) every patch could map to the same vector",
         "use the cross-entropy over all S patches of the image"),
    ]


@exercise("6.5", "PatchNCE loss", hint=_HINT)
def patch_nce(student: Callable) -> None:
    """``student(query, key, temperature)``: (N, S, C) unit rows each, τ -> the PatchNCE loss, a scalar."""
    __tracebackhide__ = True
    query, key = _unit((3, 16, 6), 1), _unit((3, 16, 6), 2)
    query.requires_grad_(True)
    key.requires_grad_(True)
    got = expect_scalar(student(query, key, 0.07), "patch_nce(random patches)",
                        hint="average the cross-entropy over every patch of every image")
    expected = reference(query, key, 0.07).detach()

    def close(a: torch.Tensor, b: torch.Tensor) -> bool:
        return abs(float(a) - float(b)) <= 1e-4 * max(1.0, abs(float(b)))

    if not close(got.detach(), expected):
        diagnose(got.detach(), expected, _mistakes(query.detach(), key.detach(), 0.07), close=close,
                 show=show_number)
        expect_close(got.detach(), expected, "patch_nce(random patches)", hint=_HINT, atol=1e-4)
    expect_true(got.requires_grad, "no gradient reaches the query: ẑ = H(G(x)) is what the loss trains",
                hint="do not detach the query (or the logits)")
    got.backward()
    expect_true(query.grad is not None and bool(query.grad.abs().max() > 0),
                "no gradient reaches the query: ẑ = H(G(x)) is what the loss trains",
                hint="do not detach the query (or the logits)")
    expect_true(key.grad is None or not bool(key.grad.abs().max() > 0),
                "the gradient also flows into the key: the input's patches are the fixed target, so the "
                "paper's code detaches them", hint="use key.detach() in the dot products")

    s = 8  # known values
    distinct = torch.eye(s)[None].repeat(2, 1, 1)  # every patch its own direction
    expect_close(student(distinct, distinct.clone(), 0.07), reference(distinct, distinct, 0.07),
                 "patch_nce(matching patches)", hint="each query is its own key: a small loss", atol=1e-6)
    flat = torch.full((1, s, 4), 0.5)  # every patch the same: a uniform guess over S
    expect_close(student(flat, flat.clone(), 0.07), math.log(s), "patch_nce(identical patches)",
                 hint="when no patch can be told apart the loss is log S", atol=1e-4)
