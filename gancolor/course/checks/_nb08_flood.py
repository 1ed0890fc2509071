"""Check of notebook 08's exercise 8.3, how far one hint floods (re-exported by ``nb08_hints``).

The student's ``flood_share(before_ab, after_ab, hint_ab, obj)`` gets a small scene it cannot
guess: random colours before the hint, and after it pixels that moved towards the hint's colour
by random fractions, sideways, or away from it; most of the object's pixels took the hint. The
answer must be the reference :func:`gancolor.evaluation.hint_reach.flood_share`: the share of the
pixels off the object whose ab is at most half as far from the hint's ab after as before
(Euclidean distance in the ab plane). No pixel lies near that line, so ``<`` or ``<=``, squared
distances compared with a quarter, NumPy or torch all give the same answer. Wrong answers are
matched against the typical mistakes: all pixels or the object's counted, the test the wrong way
round, the distance moved rather than the distance to the hint, a and b judged separately,
squared distances halved, the mean distance compared instead of pixels counted, a count or a
percentage instead of a share. Two more scenes: nothing changed (0) and an empty object (every
pixel counts).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gancolor.course.checks._framework import ExerciseFailed, describe, exercise, expect_true
from gancolor.evaluation.hint_reach import flood_share as reference

__all__ = ["flood_share"]

_HINT = ("per pixel off the object: its distance in the ab plane to the hint's colour after the hint, "
         "against half its distance before (section 5's cell that compares the mean distances does it "
         "for the whole scene); the answer is the fraction of those pixels for which it holds")

_SIZE = 24
_HINT_AB = (38.0, -27.0)


def scene(seed: int = 8) -> tuple[torch.Tensor, torch.Tensor, tuple[float, float], torch.Tensor]:
    """A test scene: before_ab, after_ab (2, 24, 24) CIE units, the hint's ab, the object (24, 24) bool.

    Off the object pixels move towards the hint by a random fraction in [-0.6, 1], plus a sideways
    step; no pixel's distance ratio after / before lies within 0.03 of one half."""
    g = torch.Generator().manual_seed(seed)
    before = torch.rand(2, _SIZE, _SIZE, generator=g, dtype=torch.float64) * 120 - 60
    wanted = torch.tensor(_HINT_AB, dtype=torch.float64).view(2, 1, 1)
    towards = wanted - before
    t = torch.rand(1, _SIZE, _SIZE, generator=g, dtype=torch.float64) * 1.6 - 0.6
    side = torch.stack([-towards[1], towards[0]]) * (torch.rand(1, _SIZE, _SIZE, generator=g,
                                                                dtype=torch.float64) - 0.5) * 0.8
    after = before + t * towards + side
    obj = torch.zeros(_SIZE, _SIZE, dtype=torch.bool)
    obj[6:15, 5:13] = True
    took = obj & (torch.rand(_SIZE, _SIZE, generator=g) < 0.85)  # most of the object took the hint
    after = torch.where(took, wanted + 0.05 * towards, after)
    ratio = (after - wanted).norm(dim=0) / (before - wanted).norm(dim=0)
    after = torch.where((ratio - 0.5).abs() < 0.03, before, after)  # nothing near the line
    return before.float(), after.float(), _HINT_AB, obj


def _mistakes(before: torch.Tensor, after: torch.Tensor, hint_ab: tuple[float, float], obj: torch.Tensor
              ) -> list[tuple[float, str]]:
    """(what each typical mistake answers, its name) for one scene."""
    wanted = torch.tensor(hint_ab).view(2, 1, 1)
    d0, d1 = (before - wanted).norm(dim=0), (after - wanted).norm(dim=0)
    c0, c1 = (before - wanted).abs(), (after - wanted).abs()
    off = ~obj
    moved = (after - before).norm(dim=0)
    share = reference(before, after, hint_ab, obj)

    def frac(hit: torch.Tensor, where: torch.Tensor = off) -> float:
        return float(hit[where].double().mean())

    return [
        (frac(d1 <= d0 / 2, torch.ones_like(obj)), "you counted every pixel of the image; count only the "
         "pixels off the object (where obj is False): the question is how far the hint floods beyond it"),
        (frac(d1 <= d0 / 2, obj), "you counted the object's pixels; the question is about the pixels off "
         "the object (where obj is False)"),
        (1 - share, "the test is the wrong way round: you counted the pixels that did NOT move half way "
         "towards the hint"),
        (frac(moved >= d0 / 2), "you measured how far each pixel moved, in any direction; 'half way "
         "towards the hint' is about its distance to the hint's colour: at most half of what it was"),
        (frac((c1 <= c0 / 2).all(dim=0)), "a and b were judged separately (both had to halve); use one "
         "distance in the ab plane, sqrt(da^2 + db^2), to the hint's colour"),
        (frac((c1 <= c0 / 2).any(dim=0)), "a and b were judged separately (either could halve); use one "
         "distance in the ab plane, sqrt(da^2 + db^2), to the hint's colour"),
        (frac(c1.sum(dim=0) <= c0.sum(dim=0) / 2), "you used |da| + |db|; the distance between two "
         "colours in the ab plane is sqrt(da^2 + db^2)"),
        (frac(d1 ** 2 <= d0 ** 2 / 2), "you halved the squared distance: half the distance is a quarter of "
         "the squared distance"),
        (float(off.sum()) * share, "you returned the number of pixels; return their share (a fraction "
         "of the pixels off the object, in [0, 1])"),
        (100 * share, "you returned a percentage; return the share as a fraction in [0, 1]"),
    ]


def _answer(student: Callable, before: torch.Tensor, after: torch.Tensor, hint_ab: tuple[float, float],
            obj: torch.Tensor, what: str) -> float:
    """The student's number for one scene, after checking its type and that no input was changed."""
    __tracebackhide__ = True
    copies = before.clone(), after.clone(), obj.clone()
    got = student(before, after, hint_ab, obj)
    expect_true(all(torch.equal(a, b) for a, b in zip(copies, (before, after, obj), strict=True)),
                f"flood_share changed one of its inputs in place ({what}): work on new tensors")
    if isinstance(got, bool) or (isinstance(got, torch.Tensor) and got.dtype == torch.bool):
        raise ExerciseFailed(f"flood_share returned a yes/no ({what}); the question is what share of the "
                             "pixels off the object moved half way: a number in [0, 1], one vote per pixel "
                             "(a comparison of mean distances hides whether few pixels moved a lot or "
                             "most moved)", got=describe(got))
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.detach().reshape(())
    try:
        return float(got)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"flood_share should return one number ({what})", got=describe(got),
                             hint="a Python float, or a one-element tensor") from None


@exercise("8.3", "how far one hint floods", hint=_HINT)
def flood_share(student: Callable) -> None:
    """``student(before_ab, after_ab, hint_ab, obj)``: (2, H, W) x 2 CIE ab, two numbers, (H, W) bool
    -> the share in [0, 1] of the pixels off ``obj`` that moved at least half way to ``hint_ab``."""
    __tracebackhide__ = True
    before, after, hint_ab, obj = scene()
    got = _answer(student, before, after, hint_ab, obj, "the test scene")
    expected = reference(before, after, hint_ab, obj)
    if abs(got - expected) > 1e-6:
        for value, problem in _mistakes(before, after, hint_ab, obj):
            if abs(got - value) <= 1e-6:
                raise ExerciseFailed(f"on the test scene: {problem}", expected=f"{expected:.4f}",
                                     got=f"{got:.4f}")
        raise ExerciseFailed("on the test scene the share of off-object pixels that moved at least half way "
                             "to the hint's colour is not right", expected=f"{expected:.4f}",
                             got=f"{got:.4f}")
    got = _answer(student, before, before.clone(), hint_ab, obj, "nothing changed")
    expect_true(abs(got) <= 1e-6, "when the hint changes nothing (after = before), no pixel moved towards "
                "it: the share should be 0", expected="0", got=f"{got:.4g}",
                hint="a pixel counts when its distance after is at most half its distance before")
    empty = torch.zeros_like(obj)
    got = _answer(student, before, after, hint_ab, empty, "an empty object")
    expected = reference(before, after, hint_ab, empty)
    expect_true(abs(got - expected) <= 1e-6, "with an empty object every pixel is off it and counts",
                expected=f"{expected:.4f}", got=f"{got:.4g}")
