"""Check 4.5: Zhang et al. 2016's annealed mean, a distribution over ab bins decoded to one colour."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    exercise,
    expect_shape,
    expect_true,
    tensors_close,
)

__all__ = ["annealed_mean"]


_T_HINT = ("probabilities = torch.softmax(logits / temperature, dim=1) (the class axis); then the "
           "mean colour sum_q p_q * bins_q, divided by 110 to give ab_n")


def _annealed_reference(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> torch.Tensor:
    p = torch.softmax(logits.double() / temperature, dim=1)
    return torch.einsum("nqhw,qc->nchw", p, bins.double()) / 110.0


def _annealed_mistakes(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> list[Mistake]:
    """The typical wrong decodings of ``logits`` at ``temperature``, each with what it means."""
    p = torch.softmax(logits.double(), dim=1)
    bins = bins.double()

    def mean_of(probabilities: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nqhw,qc->nchw", probabilities, bins) / 110.0

    return [
        (lambda: _annealed_reference(logits, bins, 1.0),
         f"at T = {temperature:g} your colours are the plain mean (T = 1): the temperature is not used",
         "divide the logits by the temperature before the softmax"),
        (lambda: _annealed_reference(logits, bins, 1.0 / temperature),
         "you multiplied the logits by T instead of dividing: a small T should sharpen the distribution, "
         "not flatten it", "torch.softmax(logits / temperature, dim=1)"),
        (lambda: bins[logits.argmax(dim=1)].permute(0, 3, 1, 2) / 110.0,
         "these are the most likely bins (the mode, T -> 0), not the annealed mean",
         "take the mean over all bins, weighted by softmax(logits / T)"),
        (lambda: _annealed_reference(logits, bins, temperature) * 110.0,
         "your colours are in Lab units; the network's ab_n is ab / 110", "divide by 110"),
        (lambda: mean_of(p.pow(1 / temperature)),
         "the sharpened probabilities p^(1/T) were not renormalised to sum to 1",
         "exp(log p / T) / sum(...), i.e. torch.softmax(logits / temperature, dim=1)"),
        (lambda: mean_of(torch.softmax(logits.double() / temperature, dim=0)),
         "the softmax runs over the batch axis (dim=0); the classes are dim=1", "torch.softmax(..., dim=1)"),
        (lambda: mean_of(torch.softmax(logits.double() / temperature, dim=-1)),
         "the softmax runs over the image's width (dim=-1); the classes are dim=1",
         "torch.softmax(..., dim=1)"),
    ]


@exercise("4.5", "annealed mean", hint=_T_HINT)
def annealed_mean(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(logits (N, Q, H, W), bins (Q, 2) Lab units, temperature) -> ab_n (N, 2, H, W)``."""
    __tracebackhide__ = True
    from gancolor.ab_classes import gamut_bins

    bins = gamut_bins()
    logits = torch.randn(2, len(bins), 3, 4) * 3.0
    what = "annealed_mean(logits, bins, temperature)"
    for temperature in (1.0, 0.38, 0.1):
        got = expect_shape(student_fn(logits.clone(), bins.clone(), temperature),
                           (2, 2, 3, 4), f"{what} for logits (2, {len(bins)}, 3, 4)",
                           hint="one colour (a, b) per pixel: shape (N, 2, H, W)")
        expected = _annealed_reference(logits, bins, temperature)
        if tensors_close(got, expected, atol=1e-4):
            continue
        diagnose(got, expected, _annealed_mistakes(logits, bins, temperature))
        raise ExerciseFailed(f"{what} at T = {temperature:g} is not the annealed mean",
                             expected=describe(expected), got=describe(got))
    # The two ends: T = 1 is the mean of the distribution; a tiny T picks the most likely bin.
    one_hot = torch.full((1, len(bins), 1, 1), -50.0)
    one_hot[0, 7] = 0.0
    got = expect_shape(student_fn(one_hot, bins.clone(), 0.38), (1, 2, 1, 1), what)
    expect_true(tensors_close(got[0, :, 0, 0], bins[7].double() / 110.0, atol=1e-4),
                "a distribution sure of one bin must decode to that bin's colour",
                expected=describe(bins[7] / 110.0), got=describe(got[0, :, 0, 0]))
