"""Check of exercise 3.5, a design choice with a numeric consequence: how coarse may ab be?

A colorizer that keeps the photo's own L and predicts only ab can predict ab at low resolution and
grow it back (notebook 04 does). The student's ``coarsest_ab(lab, budget, factors)`` returns the
largest shrink factor at which ab, shrunk by area averaging and grown back bilinearly, stays within
``budget`` mean ΔE (the Euclidean distance in Lab) of the image. The check recomputes it on a photo
for several budgets (among them the error of predicting RGB at 1/8) and names the usual mistakes:
L shrunk too, the smallest instead of the largest factor, the first factor over the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from gancolor import color
from gancolor.course.checks._framework import ExerciseFailed, describe, exercise

__all__ = ["coarsest_ab"]

FACTORS = (2, 4, 8, 16, 32, 64)


def shrink_and_grow(x: torch.Tensor, factor: int) -> torch.Tensor:
    """(C, H, W) -> shrunk ``factor`` times by area averaging, grown back bilinearly to (C, H, W)."""
    small = F.interpolate(x[None], scale_factor=1 / factor, mode="area")
    return F.interpolate(small, size=x.shape[-2:], mode="bilinear", align_corners=False)[0]


def low_resolution_errors(lab: torch.Tensor, factors: Sequence[int], shrink_l: bool = False) -> list[float]:
    """Mean ΔE to ``lab`` (3, H, W) of the image with ab (and L, if ``shrink_l``) at 1/factor."""
    errors = []
    for f in factors:
        ab = shrink_and_grow(lab[1:], f)
        L = shrink_and_grow(lab[:1], f) if shrink_l else lab[:1]  # noqa: N806
        errors.append(float((torch.cat([L, ab]) - lab).norm(dim=0).mean()))
    return errors


def _largest_within(errors: list[float], factors: Sequence[int], budget: float) -> int:
    within = [f for f, e in zip(factors, errors, strict=True) if e <= budget]
    return max(within) if within else 1


def rgb_error(photo: torch.Tensor, factor: int = 8) -> float:
    """Mean ΔE of a photo (3, H, W) in [0, 1] whose RGB was predicted at 1/factor and grown back."""
    lab = color.rgb_to_lab(photo)
    return float((color.rgb_to_lab(shrink_and_grow(photo, factor).clamp(0, 1)) - lab).norm(dim=0).mean())


def _photo() -> torch.Tensor:
    from skimage import data as skdata

    rgb = torch.from_numpy(skdata.astronaut()[::2, ::2].copy()).permute(2, 0, 1).double() / 255
    return rgb  # (3, 256, 256) in [0, 1]


@exercise("3.5", "how coarse may ab be", hint="for each factor, the mean ΔE of the image with only its ab "
          "shrunk and grown back (L kept at full resolution); the answer is the largest factor within budget")
def coarsest_ab(student_fn: Callable[[torch.Tensor, float, Sequence[int]], int]) -> None:
    """``student_fn(lab, budget, factors)`` -> the largest factor whose ab-only error is <= budget
    (1 if none), tried on the astronaut for five budgets."""
    photo = _photo()
    lab = color.rgb_to_lab(photo)
    errors = low_resolution_errors(lab, FACTORS)
    shrunk_l = low_resolution_errors(lab, FACTORS, shrink_l=True)
    table = ", ".join(f"1/{f}: {e:.2f}" for f, e in zip(FACTORS, errors, strict=True))
    budgets = [rgb_error(photo, 8), 2.3, 0.5 * (errors[1] + errors[2]), 0.1, 100.0]
    for budget in budgets:
        got = student_fn(lab.clone(), budget, FACTORS)
        expected = _largest_within(errors, FACTORS, budget)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, int) or isinstance(got, bool):
            if not (isinstance(got, float) and got.is_integer()):
                raise ExerciseFailed("return one factor, an int", got=describe(got))
            got = int(got)
        if got == expected:
            continue
        problem = (f"with a budget of ΔE {budget:.2f} on the astronaut, the coarsest ab within budget is "
                   f"1/{expected}")
        known = [
            (_largest_within(shrunk_l, FACTORS, budget), "you shrink L too: the colorizer keeps the photo's "
             "own L at full resolution and predicts only ab"),
            (min([f for f, e in zip(FACTORS, errors, strict=True) if e <= budget], default=1),
             "you return the smallest factor within budget; the question is the largest (the coarsest ab)"),
            (next((f for f, e in zip(FACTORS, errors, strict=True) if e > budget), None),
             "you return the first factor *over* the budget; return the last one within it"),
        ]
        for value, mistake in known:
            if value is not None and got == value and value != expected:
                raise ExerciseFailed(f"{problem}: {mistake}", expected=f"{expected}", got=f"{got}",
                                     hint=f"mean ΔE with ab at each factor: {table}")
        raise ExerciseFailed(problem, expected=f"{expected}", got=f"{got}",
                             hint=f"the mean ΔE with ab at each factor should be {table} (shrink by area "
                                  "averaging and grow back bilinearly, as shrink_and_grow does)")
