"""Checks of notebook 10, exemplar colorization: Welsh et al. 2002's luminance remapping and its
nearest-sample colour match.

10.1 ``remap_luminance(L_ref, L_target)`` is compared with
:func:`gancolor.infer.exemplar.remap_luminance` on random lightness maps of different sizes and
statistics; a wrong answer is matched against the typical mistakes (the target remapped instead of
the reference, the ratio of deviations upside down, variances instead of deviations, only the mean
shifted, the target's mean not added back).

10.2 ``nearest_ab(target, samples, sample_ab)`` is compared with
:func:`gancolor.infer.exemplar.match_ab` (k = 1) on random features; a wrong answer is matched
against the typical mistakes (the farthest sample, lightness alone, the distance summed over the
wrong axis, the sample's index or features instead of its colour, (P, 2) instead of (2, P)).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gancolor.course.checks._framework import (
    Mistake,
    diagnose,
    exercise,
    expect_close,
    expect_shape,
    expect_tensor,
    expect_true,
)
from gancolor.infer.exemplar import match_ab
from gancolor.infer.exemplar import remap_luminance as reference_remap

__all__ = ["remap_luminance", "nearest_ab"]


# --------------------------------------------------------------------------------------
# 10.1 luminance remapping
# --------------------------------------------------------------------------------------

_REMAP_HINT = ("mu and sigma of each map (.mean(), .std()); return sigma_t / sigma_r * (L_ref - mu_r) "
               "+ mu_t: the reference moved to the target's statistics, with the reference's shape")


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to the choice of a biased or unbiased standard deviation."""
    return a.shape == b.shape and bool(torch.allclose(a.double(), b.double(), atol=0.05, rtol=3e-3))


def _stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x.mean(), x.std(unbiased=False)


def _remap_mistakes(ref: torch.Tensor, target: torch.Tensor) -> list[Mistake]:
    (mu_r, s_r), (mu_t, s_t) = _stats(ref), _stats(target)
    return [
        (lambda: s_r / s_t * (target - mu_t) + mu_r,
         "you remapped the target to the reference's statistics; it is the reference that moves, so that "
         "its lightness can be compared with the target's",
         "return a map of L_ref's shape: sigma_t / sigma_r * (L_ref - mu_r) + mu_t"),
        (lambda: s_r / s_t * (ref - mu_r) + mu_t,
         "the ratio of deviations is upside down: sigma_r / sigma_t instead of sigma_t / sigma_r",
         "the remapped reference must have the target's spread: multiply by sigma_t / sigma_r"),
        (lambda: s_t**2 / s_r**2 * (ref - mu_r) + mu_t,
         "you scaled by the ratio of variances; the scale is the ratio of standard deviations",
         "sigma = .std(), not .var()"),
        (lambda: ref - mu_r + mu_t,
         "only the mean was moved: the spread of the reference's lightness must become the target's too",
         "multiply (L_ref - mu_r) by sigma_t / sigma_r"),
        (lambda: s_t / s_r * (ref - mu_r),
         "the target's mean is missing: the result is centred on 0 instead of mu_t",
         "add mu_t after scaling"),
        (lambda: s_t / s_r * ref + mu_t - mu_r,
         "you scaled L_ref before subtracting its mean, so the mean is not mu_t",
         "subtract mu_r first, then scale, then add mu_t"),
    ]


@exercise("10.1", "luminance remapping", hint=_REMAP_HINT)
def remap_luminance(student_fn: Callable) -> None:
    """``student_fn(L_ref (h, w), L_target (H, W)) -> (h, w)``: the reference's lightness with the
    target's mean and standard deviation."""
    __tracebackhide__ = True
    cases = [((20, 30), 70.0, 8.0, (25, 16), 35.0, 20.0), ((40, 40), 30.0, 25.0, (40, 40), 60.0, 5.0)]
    for ref_size, ref_mu, ref_s, tgt_size, tgt_mu, tgt_s in cases:
        ref = (torch.randn(ref_size) * ref_s + ref_mu).clamp(0, 100)
        target = (torch.randn(tgt_size) * tgt_s + tgt_mu).clamp(0, 100)
        what = (f"the remapped reference (reference {ref_size[0]} x {ref_size[1]}, mean {ref_mu:.0f}; "
                f"target {tgt_size[0]} x {tgt_size[1]}, mean {tgt_mu:.0f})")
        given_ref, given_target = ref.clone(), target.clone()
        got = student_fn(given_ref, given_target)
        expect_true(torch.equal(given_ref, ref) and torch.equal(given_target, target),
                    "remap_luminance changed its inputs in place", hint="compute a new tensor")
        got = expect_tensor(got, what)
        want = reference_remap(ref, target)
        if _close(got, want):
            continue
        diagnose(got, want, _remap_mistakes(ref, target), close=_close)
        got = expect_shape(got, tuple(ref.shape), what, hint="one value per reference pixel")
        expect_close(got, want, what, atol=0.05, rtol=3e-3)


# --------------------------------------------------------------------------------------
# 10.2 the nearest sample's colour
# --------------------------------------------------------------------------------------

_NEAREST_HINT = ("distances (P, S) = torch.cdist(target.T, samples.T); index = distances.argmin(dim=1); "
                 "return sample_ab[:, index], shape (2, P)")


def _nearest_variant(target: torch.Tensor, samples: torch.Tensor, sample_ab: torch.Tensor, *,
                     farthest: bool = False, lightness_only: bool = False) -> torch.Tensor:
    t, s = (target[:1], samples[:1]) if lightness_only else (target, samples)
    distance = torch.cdist(t.T.double(), s.T.double())
    index = distance.argmax(1) if farthest else distance.argmin(1)
    return sample_ab[:, index]


def _nearest_mistakes(target: torch.Tensor, samples: torch.Tensor, sample_ab: torch.Tensor) -> list[Mistake]:
    right = match_ab(target, samples, sample_ab)[0]
    return [
        (lambda: _nearest_variant(target, samples, sample_ab, farthest=True),
         "every pixel took the colour of the *farthest* sample (argmax instead of argmin)",
         "the best match has the smallest distance: argmin"),
        (lambda: _nearest_variant(target, samples, sample_ab, lightness_only=True),
         "you matched by lightness alone (feature 0): the texture feature (local standard deviation) is "
         "ignored", "the distance runs over all C features: torch.cdist(target.T, samples.T)"),
        (lambda: right.T,
         "the colours are (P, 2): one row per pixel; the expected layout is (2, P), like the features",
         "index the columns of sample_ab (2, S): sample_ab[:, index]"),
        (lambda: match_ab(target, samples, samples)[0],
         "you returned the nearest sample's features, not its colour", "return sample_ab[:, index]"),
    ]


def _features(pixels: int, seed_shift: float) -> torch.Tensor:
    return torch.stack([torch.rand(pixels) * 100, torch.rand(pixels) * 20 + seed_shift])


@exercise("10.2", "the nearest sample's colour", hint=_NEAREST_HINT)
def nearest_ab(student_fn: Callable) -> None:
    """``student_fn(target (C, P), samples (C, S), sample_ab (2, S)) -> (2, P)``: each pixel takes the ab of
    the sample whose features are nearest (Euclidean distance)."""
    __tracebackhide__ = True
    for pixels, count in ((50, 12), (300, 40)):
        target, samples = _features(pixels, 0.0), _features(count, 1.0)
        sample_ab = torch.randn(2, count) * 40
        what = f"the colours of {pixels} target pixels matched to {count} samples (2 features each)"
        got = student_fn(target.clone(), samples.clone(), sample_ab.clone())
        if isinstance(got, torch.Tensor) and got.dtype in (torch.int64, torch.int32) and got.dim() == 1:
            expect_true(False, "you returned the nearest sample's index, not its colour",
                        got=f"a {tuple(got.shape)} integer tensor", hint="return sample_ab[:, index]")
        got = expect_tensor(got, what)
        want = match_ab(target, samples, sample_ab)[0]
        if got.shape == want.shape and torch.allclose(got.double(), want.double(), atol=1e-4):
            continue
        diagnose(got, want, _nearest_mistakes(target, samples, sample_ab))
        got = expect_shape(got, (2, pixels), what, hint="one (a, b) column per target pixel: (2, P)")
        expect_close(got, want, what, atol=1e-4)
