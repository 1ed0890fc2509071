"""Checks of notebook 08, interactive colorization with hints (Zhang et al. 2017): the hint
simulator that trains the model, and the user's clicks turned into the network's hint maps.

8.1 ``simulate_hints(ab_n, num_hints, size, generator)`` is a sampler, so its answer cannot be
compared with a reference drawn with other random numbers. The check looks at what the answer
must satisfy instead: the shapes, a mask of 0s and 1s, hint_ab zero outside the mask, one hint
= one ``size`` x ``size`` square inside the image whose value is the ground truth's mean ab over
that very square (the square is read off the student's mask, so the typical mistakes can be
recomputed there and named: the pixels copied instead of their mean, the mean over the whole
image, over a and b together, over the batch, rows and columns swapped ...), ``num_hints``
squares per image, positions drawn per image that reach every row and column a square can
start at, and randomness taken from the given generator only (the same generator state gives
the same hints whatever the global random state).

8.2 ``hint_maps(hints, height, width, size=3)`` is deterministic: it is compared with the
package's :func:`gancolor.hints.hints_to_maps` on hints in the middle, at the edges and corners,
overlapping, and with odd and even sizes; wrong answers are matched against the typical
mistakes (x and y swapped, ab not divided by 110, the square not centred, a hint at the top or
left edge lost to a negative slice start, the first hint winning over the last ...).

8.3 ``flood_share``, how far one hint floods beyond its object, is checked in its own module
(:mod:`gancolor.course.checks._nb08_flood`) and re-exported here.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from gancolor.color import AB_SCALE
from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    exercise,
    expect_finite,
    expect_shape,
    expect_true,
    tensors_close,
)
from gancolor.course.checks._nb08_flood import flood_share  # 8.3 (its own module: a measurement, not maps)
from gancolor.infer.user_hints import Hint, hints_to_maps

__all__ = ["simulate_hints", "hint_maps", "flood_share"]

_ATOL = 1e-5  # tensors_close's absolute tolerance, for the NumPy comparisons


def _maps(result: object, what: str, n: int, height: int, width: int, hint: str
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """The (hint_ab, mask) pair the student returned, validated: shapes, finite, a 0/1 mask.

    A bool mask is accepted (and returned as float)."""
    __tracebackhide__ = True
    expect_true(isinstance(result, (tuple, list)) and len(result) == 2,
                f"{what} should return two tensors, (hint_ab, mask)",
                got=describe(result), hint="return hint_ab, mask")
    hint_ab, mask = result
    hint_ab = expect_shape(hint_ab, (n, 2, height, width), f"hint_ab from {what}",
                           hint="hint_ab has the two colour channels of ab_n: (N, 2, H, W)")
    mask = expect_shape(mask, (n, 1, height, width), f"the mask from {what}",
                        hint="the mask is one channel, 1 where a hint is: (N, 1, H, W)")
    hint_ab = expect_finite(hint_ab, f"hint_ab from {what}").detach().cpu()
    mask = mask.detach().cpu()
    if mask.dtype == torch.bool:
        mask = mask.float()
    expect_true(mask.is_floating_point() or mask.dtype in (torch.uint8, torch.int64, torch.int32),
                f"the mask from {what} should hold numbers 0 and 1", got=mask.dtype, hint=hint)
    mask = mask.float()
    values = sorted(set(mask.unique().tolist()))
    expect_true(set(values) <= {0.0, 1.0}, f"the mask from {what} should hold only 0 and 1",
                got=f"values {values[:6]}", hint="mask[...] = 1 on every pixel of a hint, 0 elsewhere")
    sparse = float((hint_ab != 0).double().mean()) < 0.5  # hints painted here and there, not everywhere
    if not bool(mask.any()) and bool(hint_ab.any()) and sparse:
        raise ExerciseFailed(f"the mask from {what} is all 0 although hint_ab holds hints: the network would "
                             "take every hint for 'no hint here'",
                             hint="set the mask to 1 on every pixel where you paint a hint")
    outside = hint_ab * (1 - mask)
    if bool((outside != 0).any()):
        raise ExerciseFailed(f"hint_ab from {what} is not 0 outside the hints (where the mask is 0)",
                             expected="0 wherever mask == 0", got=describe(outside[outside != 0]),
                             hint="start from torch.zeros_like(ab_n) and paint only the hint squares: "
                                  "the network must see 'no hint' as 0 (and the mask as 0)")
    return hint_ab, mask


# --------------------------------------------------------------------------------------
# 8.1 simulated hints
# --------------------------------------------------------------------------------------

_SAMPLER_HINT = ("for each image and each hint: top = randint(0, H - size + 1), "
                 "left = randint(0, W - size + 1) "
                 "with generator=generator; fill hint_ab[i, :, top:top+size, left:left+size] with "
                 "ab_n[i, :, top:top+size, left:left+size].mean(dim=(1, 2), keepdim=True) and set the mask "
                 "there to 1")


def _ground_truth(n: int, height: int, width: int, seed: int) -> torch.Tensor:
    """Random ab_n in [-0.8, 0.8], every pixel different: a copied pixel never looks like a mean."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, height, width, generator=g) * 1.6 - 0.8


def _run_sampler(student_fn: Callable, ab_n: torch.Tensor, num_hints: int, size: int, seed: int,
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    __tracebackhide__ = True
    n, _, height, width = ab_n.shape
    given = ab_n.clone()
    what = f"simulate_hints(ab_n of shape {tuple(ab_n.shape)}, num_hints={num_hints}, size={size}, generator)"
    result = student_fn(given, num_hints, size, torch.Generator().manual_seed(seed))
    expect_true(torch.equal(given, ab_n), f"{what} changed ab_n in place",
                hint="read ab_n, write only into the new hint_ab tensor (the ground truth is used again "
                     "for the loss)")
    return _maps(result, what, n, height, width, _SAMPLER_HINT)


def _single_square(mask: torch.Tensor, size: int, image: int, what: str) -> tuple[int, int]:
    """The top-left corner of the one ``size`` x ``size`` square that ``mask`` (H, W) should hold."""
    __tracebackhide__ = True
    rows, cols = mask.nonzero(as_tuple=True)
    count = len(rows)
    height, width = mask.shape
    if count == 0:
        raise ExerciseFailed(f"{what}: image {image} has no hint (its mask is all 0)",
                             expected=f"one {size} x {size} square of 1s", got="no 1 in the mask",
                             hint="set mask[i, :, top:top+size, left:left+size] = 1 for every hint")
    top, left = int(rows.min()), int(cols.min())
    bottom, right = int(rows.max()), int(cols.max())
    box = (bottom - top + 1, right - left + 1)
    full = count == box[0] * box[1]
    if (full and box != (size, size) and box[0] <= size and box[1] <= size
            and (bottom == height - 1 or right == width - 1)):
        raise ExerciseFailed(f"{what}: the hint of image {image} is cut by the edge of the image: it covers "
                             f"{box[0]} x {box[1]} pixels at the border instead of {size} x {size}",
                             hint="choose the corner so the square fits: top in 0 .. H - size, left in "
                                  "0 .. W - size, i.e. torch.randint(0, H - size + 1, ...)")
    if not full or box != (size, size):
        raise ExerciseFailed(f"{what}: the mask of image {image} should be one {size} x {size} square",
                             expected=f"{size * size} pixels in a {size} x {size} square",
                             got=f"{count} pixels spread over rows {top}-{bottom} and columns {left}-{right}",
                             hint="one hint = one square: mask[i, :, top:top+size, left:left+size] = 1")
    return top, left


def _fill_mistakes(ab_n: torch.Tensor, i: int, top: int, left: int, size: int) -> list[Mistake]:
    """What the typical mistakes paint into the hint square of image ``i`` at (top, left)."""
    height, width = ab_n.shape[-2:]
    rows, cols = slice(top, top + size), slice(left, left + size)
    patch = ab_n[i, :, rows, cols]
    mistakes: list[Mistake] = [
        (lambda: patch, "you copied the ground-truth pixels into the hint: a hint is ONE colour, the mean "
         "ab over its square (a user gives one colour for a region, not a texture)",
         "ab_n[i, :, top:top+size, left:left+size].mean(dim=(1, 2), keepdim=True)"),
        (lambda: ab_n[i].mean(dim=(1, 2), keepdim=True).expand_as(patch),
         "you filled the hint with the mean ab of the whole image, not of the hint's square",
         "take the mean over the square only: ab_n[i, :, top:top+size, left:left+size].mean(dim=(1, 2))"),
        (lambda: patch.mean().expand_as(patch), "you averaged a and b together: both channels got the "
         "same number", "average over the pixels only, per channel: .mean(dim=(1, 2), keepdim=True)"),
        (lambda: patch.sum(dim=(1, 2), keepdim=True).expand_as(patch), "you summed the ab values of the "
         "square instead of averaging them", "use .mean(dim=(1, 2)) instead of .sum(...)"),
        (lambda: ab_n[:, :, rows, cols].mean(dim=(0, 2, 3))[:, None, None].expand_as(patch),
         "you averaged over the images of the batch too: every image's hint must come from its own "
         "ground truth", "index the image: ab_n[i, :, top:top+size, left:left+size]"),
        (lambda: patch.mean(dim=(1, 2), keepdim=True).flip(0).expand_as(patch),
         "a and b are swapped in your hint", "keep the channel order of ab_n"),
    ]
    if left + size <= height and top + size <= width:
        swapped = ab_n[i, :, left:left + size, top:top + size]
        mistakes.append((lambda: swapped.mean(dim=(1, 2), keepdim=True).expand_as(patch),
                         "you took the mean at another place than the one you marked: rows and columns "
                         "are swapped (tensors are indexed [..., row, column] = [..., y, x])",
                         "use the same (top, left) for the mean, for hint_ab and for the mask"))
    return mistakes


def _one_hint(student_fn: Callable, height: int, width: int, size: int) -> None:
    """One hint per image: read the square off the mask, check what is painted in it."""
    __tracebackhide__ = True
    n = 6
    ab_n = _ground_truth(n, height, width, seed=1)
    hint_ab, mask = _run_sampler(student_fn, ab_n, 1, size, seed=11)
    what = f"with num_hints=1, size={size} on {height} x {width} images"
    for i in range(n):
        top, left = _single_square(mask[i, 0], size, i, what)
        rows, cols = slice(top, top + size), slice(left, left + size)
        got = hint_ab[i, :, rows, cols]
        patch = ab_n[i, :, rows, cols]
        expected = patch.mean(dim=(1, 2), keepdim=True).expand_as(patch)
        if tensors_close(got, expected):
            continue
        mistakes = _fill_mistakes(ab_n, i, top, left, size)
        diagnose(got, expected, mistakes)
        raise ExerciseFailed(f"{what}: the hint of image {i} (rows {top}-{top + size - 1}, columns "
                             f"{left}-{left + size - 1}) should hold the mean ground-truth ab over that "
                             "square",
                             expected=describe(expected[:, 0, 0]), got=describe(got.reshape(2, -1)[:, 0]),
                             hint=_SAMPLER_HINT)


def _square_means(ab: np.ndarray, size: int) -> np.ndarray:
    """Mean of ab (2, H, W) over every size x size square: (2, H - size + 1, W - size + 1)."""
    t = torch.from_numpy(ab)[None].double()
    return F.avg_pool2d(t, size, stride=1)[0].numpy()


def _several_hints(student_fn: Callable) -> None:
    """num_hints squares per image: every hint pixel holds the mean of a full square of the mask
    that contains it (later squares may cover parts of earlier ones)."""
    __tracebackhide__ = True
    n, height, width, size, k = 6, 12, 10, 3, 5
    ab_n = _ground_truth(n, height, width, seed=2)
    hint_ab, mask = _run_sampler(student_fn, ab_n, k, size, seed=12)
    what = f"with num_hints={k}, size={size} on {height} x {width} images"
    counts = mask.sum(dim=(1, 2, 3))
    most = int(counts.max())
    expect_true(most <= k * size * size,
                f"{what}: an image has more hint pixels than {k} squares of {size} x {size} can cover",
                expected=f"at most {k * size * size} pixels", got=f"{most} pixels",
                hint="draw exactly num_hints squares per image")
    expect_true(bool((counts > 0).all()), f"{what}: an image got no hint at all",
                got=f"hint pixels per image {counts.int().tolist()}", hint=_SAMPLER_HINT)
    expect_true(bool((counts > size * size).any()),
                f"{what}: every image got a single square: the images should get {k} hints each",
                got=f"hint pixels per image {counts.int().tolist()}",
                hint="loop over the hints: for _ in range(num_hints): ...")
    ab, got_ab, m = ab_n.numpy().astype(np.float64), hint_ab.numpy().astype(np.float64), mask[:, 0].numpy()
    for i in range(n):
        means = _square_means(ab[i], size)  # (2, H-s+1, W-s+1)
        covered = F.avg_pool2d(torch.from_numpy(m[i])[None, None].double(), size, stride=1)[0, 0].numpy()
        inside = covered > 1 - 1e-9  # squares that lie entirely inside the mask
        for r, c in zip(*np.nonzero(m[i]), strict=True):
            value = got_ab[i, :, r, c]
            ok = False
            for top in range(max(0, r - size + 1), min(r, height - size) + 1):
                for left in range(max(0, c - size + 1), min(c, width - size) + 1):
                    if inside[top, left] and np.allclose(value, means[:, top, left], atol=_ATOL, rtol=1e-4):
                        ok = True
                        break
                if ok:
                    break
            if not ok:
                raise ExerciseFailed(f"{what}: in image {i}, the hint pixel at row {r}, column {c} holds an "
                                     f"ab that is not the mean ground-truth ab of any {size} x {size} hint "
                                     "square "
                                     "around it",
                                     got=f"ab_n ({value[0]:.4g}, {value[1]:.4g})", hint=_SAMPLER_HINT)


def _positions(student_fn: Callable) -> None:
    """Single hints on many small images: corners drawn per image, every possible corner reachable."""
    __tracebackhide__ = True
    n, height, width, size = 96, 8, 7, 3
    ab_n = _ground_truth(n, height, width, seed=3)
    _, mask = _run_sampler(student_fn, ab_n, 1, size, seed=13)
    corners = [_single_square(mask[i, 0], size, i, f"with num_hints=1, size={size} on {height} x {width} "
                              f"images") for i in range(n)]
    tops, lefts = {t for t, _ in corners}, {c for _, c in corners}
    expect_true(len(set(corners)) > 1, f"all {n} images got their hint at the same place",
                got=f"corner (top, left) = {corners[0]} for every image",
                hint="draw a new position for every image (and every hint), inside the loop over images")
    last_top, last_left = height - size, width - size
    for axis, seen, last, side in [("row", tops, last_top, "H"), ("column", lefts, last_left, "W")]:
        if max(seen) == last - 1 and min(seen) == 0:
            raise ExerciseFailed(f"in {n} draws no hint ever started at the last {axis} where a square fits "
                                 f"({last} = {side} - size): an off-by-one in the random position",
                                 expected=f"top-left {axis}s 0 .. {last}", got=f"{min(seen)} .. {max(seen)}",
                                 hint="torch.randint's upper bound is excluded: "
                                      f"torch.randint(0, {side} - size "
                                      "+ 1, ...)")
        expect_true(min(seen) == 0 and max(seen) == last and len(seen) > last // 2,
                    f"in {n} draws the hints' top-left {axis}s do not spread over the image",
                    expected=f"{axis}s 0 .. {last}, each about as often", got=f"{sorted(seen)}",
                    hint="draw the corner uniformly: torch.randint(0, " + side + " - size + 1, ...)")


def _determinism(student_fn: Callable) -> None:
    """The same generator state gives the same hints, whatever the global random state; another
    state gives others."""
    __tracebackhide__ = True
    ab_n = _ground_truth(4, 12, 10, seed=4)
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        np.random.seed(global_seed)
        random.seed(global_seed)
        runs.append(_run_sampler(student_fn, ab_n, 3, 3, seed=21))
    same = all(torch.equal(a, b) for a, b in zip(*runs, strict=True))
    expect_true(same, "two calls with generators in the same state gave different hints: the sampler "
                      "uses a random source other than its `generator` (the global one, numpy or random)",
                hint="pass generator=generator to every torch.randint / torch.rand call: the training "
                     "code then draws the same hints when a run is resumed")
    other = _run_sampler(student_fn, ab_n, 3, 3, seed=22)
    expect_true(not all(torch.equal(a, b) for a, b in zip(runs[0], other, strict=True)),
                "generators in different states gave the same hints: the positions do not come from the "
                "generator", hint="draw the positions with torch.randint(..., generator=generator)")


@exercise("8.1", "simulated hints", hint=_SAMPLER_HINT)
def simulate_hints(student_fn: Callable) -> None:
    """``student_fn(ab_n (N, 2, H, W), num_hints, size, generator) -> (hint_ab (N, 2, H, W), mask
    (N, 1, H, W))``: ``num_hints`` squares of side ``size`` per image, uniformly placed inside it,
    each filled with the mean ground-truth ab over the square; mask 1 there."""
    __tracebackhide__ = True
    # No hints: empty maps.
    ab_n = _ground_truth(3, 12, 10, seed=0)
    hint_ab, mask = _run_sampler(student_fn, ab_n, 0, 3, seed=10)
    expect_true(not bool(hint_ab.any()) and not bool(mask.any()), "with num_hints=0 the maps should be all 0",
                got=f"{int(mask.sum())} hint pixels", hint="no hints: hint_ab and mask stay 0")
    # One hint: one square, the ground truth's mean in it (odd, even and 1-pixel sizes; non-square images).
    for height, width, size in [(12, 10, 3), (9, 14, 4), (6, 5, 1)]:
        _one_hint(student_fn, height, width, size)
    _several_hints(student_fn)
    _positions(student_fn)
    _determinism(student_fn)


# --------------------------------------------------------------------------------------
# 8.2 user hints -> hint maps
# --------------------------------------------------------------------------------------

_MAPS_HINT = ("for each hint (in order): x, y = int(hint.x), int(hint.y); "
              "top, left = y - size // 2, x - size // 2; "
              "paint rows max(top, 0):top + size and columns max(left, 0):left + size of hint_ab[0] with "
              "torch.tensor(hint.ab) / 110 and of mask[0] with 1")


def _reference_maps(hints: Sequence[Hint], height: int, width: int, size: int
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    sized = [Hint(h.x, h.y, h.ab, size=float(size)) for h in hints]
    return hints_to_maps(sized, height, width)


def _painted(hints: Sequence[Hint], height: int, width: int, size: int, *, swap_xy: bool = False,
             scale: float = AB_SCALE, offset: Callable[[int], int] = lambda s: s // 2, corner: bool = False,
             python_slices: bool = False, first_wins: bool = False, swap_ab: bool = False) -> torch.Tensor:
    """hint_ab (1, 2, H, W) painted with one of the typical mistakes."""
    hint_ab = torch.zeros(1, 2, height, width)
    done = torch.zeros(height, width, dtype=torch.bool)
    for h in hints:
        x, y = int(h.x), int(h.y)
        if swap_xy:
            x, y = y, x
        top, left = (y, x) if corner else (y - offset(size), x - offset(size))
        if python_slices:  # a negative start counts from the end: the slice is empty
            rows, cols = slice(top, top + size), slice(left, left + size)
        else:
            rows, cols = slice(max(top, 0), max(top + size, 0)), slice(max(left, 0), max(left + size, 0))
        color = torch.tensor(h.ab, dtype=torch.float32) / scale
        if swap_ab:
            color = color.flip(0)
        region = hint_ab[0, :, rows, cols]
        if first_wins:
            keep = done[rows, cols]
            hint_ab[0, :, rows, cols] = torch.where(keep, region, color[:, None, None])
            done[rows, cols] = True
        else:
            hint_ab[0, :, rows, cols] = color[:, None, None]
    return hint_ab


def _show_mask(mask: torch.Tensor) -> str:
    """Where a (1, 1, H, W) mask is 1, as (row, column) pairs."""
    pixels = [tuple(int(v) for v in p) for p in mask[0, 0].nonzero()]
    if not pixels:
        return "no hint pixel"
    listed = ", ".join(f"({r}, {c})" for r, c in pixels[:8])
    return f"{len(pixels)} hint pixels at (row, column) {listed}{', ...' if len(pixels) > 8 else ''}"


def _compare_maps(student_fn: Callable, hints: Sequence[Hint], height: int, width: int, size: int,
                  case: str) -> None:
    __tracebackhide__ = True
    given = list(hints)
    what = f"hint_maps({case}, height={height}, width={width}, size={size})"
    result = student_fn(given, height, width, size)
    got_ab, got_mask = _maps(result, what, 1, height, width, _MAPS_HINT)
    want_ab, want_mask = _reference_maps(hints, height, width, size)
    if not torch.equal(got_mask, want_mask):
        def mask_of(**mistake: object) -> torch.Tensor:
            return (_painted(hints, height, width, size, **mistake) != 0).any(1, keepdim=True).float()

        mistakes_mask: list[Mistake] = [
            (lambda: torch.zeros_like(want_mask), "the mask is all 0: the network would ignore every hint",
             "set mask[0, :, rows, cols] = 1 where you paint a hint"),
            (lambda: mask_of(swap_xy=True),
             "you swapped x and y: x is the column (the last axis), y the row",
             "hint_ab[0, :, y-rows, x-columns]: rows come first"),
            (lambda: mask_of(corner=True),
             "the square starts at the click instead of being centred on it",
             "top = y - size // 2, left = x - size // 2"),
            (lambda: mask_of(offset=lambda s: (s - 1) // 2),
             "for an even size the square should reach one pixel further up and left than down and right "
             "of the click", "top = y - size // 2 (not (size - 1) // 2), and the same for left"),
            (lambda: mask_of(python_slices=True),
             "a hint next to the top or left edge is lost: a negative slice start counts from the end of the "
             "axis in Python, so the slice is empty", "clip the start: max(y - size // 2, 0)"),
        ]
        diagnose(got_mask, want_mask, mistakes_mask, close=lambda a, b: torch.equal(a, b.to(a.dtype)),
                 show=_show_mask)
        rows, cols = (got_mask != want_mask)[0, 0].nonzero(as_tuple=True)
        raise ExerciseFailed(f"{what}: the mask is wrong at {len(rows)} pixels, e.g. row {int(rows[0])}, "
                             f"column {int(cols[0])}",
                             expected=f"{int(want_mask[0, 0, rows[0], cols[0]])} there",
                             got=f"{int(got_mask[0, 0, rows[0], cols[0]])}", hint=_MAPS_HINT)
    if tensors_close(got_ab, want_ab):
        return
    mistakes: list[Mistake] = [
        (lambda: _painted(hints, height, width, size, scale=1.0),
         "the hint colours are in CIE units: the network sees ab_n = ab / 110",
         "torch.tensor(hint.ab) / 110 (gancolor.color.AB_SCALE)"),
        (lambda: _painted(hints, height, width, size, scale=100.0),
         "the hint colours are divided by 100: ab_n = ab / 110 (L is the one divided by 50)",
         "torch.tensor(hint.ab) / 110 (gancolor.color.AB_SCALE)"),
        (lambda: _painted(hints, height, width, size, swap_ab=True), "a and b are swapped in your hint_ab",
         "channel 0 is a = hint.ab[0], channel 1 is b = hint.ab[1]"),
        (lambda: _painted(hints, height, width, size, first_wins=True),
         "where two hints overlap the FIRST one wins in your maps: the last click should win (the user "
         "corrects a hint by clicking again)", "paint the hints in order, each over the ones before"),
    ]
    diff = (got_ab - want_ab).abs().amax(dim=1)[0]
    r, c = divmod(int(diff.argmax()), width)

    def show(ab: torch.Tensor) -> str:
        return f"ab_n ({float(ab[0, 0, r, c]):.4g}, {float(ab[0, 1, r, c]):.4g}) at row {r}, column {c}"

    diagnose(got_ab, want_ab, mistakes, show=show)
    raise ExerciseFailed(f"{what}: hint_ab is wrong at row {r}, column {c}",
                         expected=f"ab_n ({float(want_ab[0, 0, r, c]):.4g}, "
                                  f"{float(want_ab[0, 1, r, c]):.4g})",
                         got=f"ab_n ({float(got_ab[0, 0, r, c]):.4g}, {float(got_ab[0, 1, r, c]):.4g})",
                         hint=_MAPS_HINT)


@exercise("8.2", "hint maps from clicks", hint=_MAPS_HINT)
def hint_maps(student_fn: Callable) -> None:
    """``student_fn(hints, height, width, size=3) -> (hint_ab (1, 2, H, W), mask (1, 1, H, W))``: each
    :class:`~gancolor.hints.Hint` (integer x = column, y = row; ab in CIE units) becomes a ``size`` x
    ``size`` square centred on it (clipped to the image), filled with ab / 110; later hints win."""
    __tracebackhide__ = True
    height, width = 8, 12  # not square: x and y cannot be mixed up unnoticed
    red, green, blue = (Hint.from_rgb(0, 0, c).ab for c in ("#c0392b", "#27ae60", "#2e86c1"))

    def at(x: int, y: int, ab: tuple[float, float]) -> Hint:
        return Hint(x=float(x), y=float(y), ab=ab)

    result = student_fn([], height, width, 3)
    what = f"hint_maps([], height={height}, width={width}, size=3)"
    got_ab, got_mask = _maps(result, what, 1, height, width,
                             _MAPS_HINT)
    expect_true(not bool(got_ab.any()) and not bool(got_mask.any()), "without hints the maps should be all 0",
                got=f"{int(got_mask.sum())} hint pixels", hint="no hints: hint_ab and mask stay 0")
    cases = [
        ([at(7, 2, red)], 3, "one hint at x=7, y=2"),
        ([at(2, 5, green), at(9, 1, blue)], 3, "two hints"),
        ([at(0, 0, red), at(11, 7, green), at(0, 7, blue), at(11, 0, red)], 3, "hints in the four corners"),
        ([at(1, 0, blue), at(0, 4, green)], 3, "hints at the top and left edges"),
        ([at(4, 3, red), at(5, 4, blue)], 3, "two overlapping hints"),
        ([at(4, 3, red), at(5, 4, blue), at(4, 3, green)], 3, "a hint clicked again with another colour"),
        ([at(6, 4, green), at(3, 1, red)], 1, "1-pixel hints"),
        ([at(6, 4, green), at(1, 1, blue), at(7, 5, red)], 4, "hints of even size"),
        ([at(6, 3, blue)], 5, "a large hint"),
    ]
    for hints, size, case in cases:
        _compare_maps(student_fn, hints, height, width, size, case)
