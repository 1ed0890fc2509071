"""The checks of notebook 08 (interactive colorization with hints) both ways: they pass on the
reference, let the student's stub raise NotImplementedError, and fail on typical mistakes with a
message that names the mistake."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.color import AB_SCALE
from gancolor.course import checks
from gancolor.data.hint_maps import sample_hints
from gancolor.infer.user_hints import hints_to_maps


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 8.x: not done yet")


# --------------------------------------------------------------------------------------
# 8.1 simulated hints: the notebook's solution, with switchable mistakes
# --------------------------------------------------------------------------------------


def fill_value(fill: str, ab_n: torch.Tensor, i: int, rows: slice, cols: slice, patch: torch.Tensor
               ) -> torch.Tensor:
    """What a student's sampler paints into a hint square: the right mean, or a typical mistake."""
    if fill == "mean":
        return patch.mean(dim=(1, 2), keepdim=True)
    if fill == "copy":
        return patch
    if fill == "image":
        return ab_n[i].mean(dim=(1, 2), keepdim=True)
    if fill == "both":
        return patch.mean()
    if fill == "sum":
        return patch.sum(dim=(1, 2), keepdim=True)
    assert fill == "batch"
    return ab_n[:, :, rows, cols].mean(dim=(0, 2, 3))[:, None, None]


def sampler(fill: str = "mean", high: str = "fit", start: str = "zeros", mask_value: float = 1.0,
            source: str = "generator", per_image: bool = True, count: str = "k", swap: bool = False,
            in_place: bool = False, mask_dtype: torch.dtype | None = None) -> Callable:
    def simulate_hints(ab_n: torch.Tensor, num_hints: int, size: int, generator: torch.Generator
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        n, _, height, width = ab_n.shape
        hint_ab = torch.zeros_like(ab_n) if start == "zeros" else ab_n.clone()
        mask = torch.zeros_like(ab_n[:, :1])
        hints = num_hints if count == "k" else min(num_hints, 1)

        def draw(high_value: int) -> int:
            if source == "generator":
                return int(torch.randint(0, high_value, (), generator=generator))
            if source == "global":
                return int(torch.randint(0, high_value, ()))
            return int(np.random.randint(0, high_value))

        corners = None
        for i in range(n):
            for j in range(hints):
                if per_image or corners is None or j >= len(corners):
                    extra = {"fit": 1, "off_by_one": 0, "any": size}[high]
                    corner = (draw(height - size + extra), draw(width - size + extra))
                    if not per_image:
                        corners = (corners or []) + [corner]
                else:
                    corner = corners[j]
                top, left = corner
                rows, cols = slice(top, top + size), slice(left, left + size)
                patch = ab_n[i, :, rows, cols]
                if swap:
                    patch = ab_n[i, :, left:left + size, top:top + size]
                value = fill_value(fill, ab_n, i, rows, cols, patch)
                hint_ab[i, :, rows, cols] = value
                mask[i, :, rows, cols] = mask_value
        if in_place:
            ab_n.mul_(1.0)
            ab_n[:, :, 0, 0] = 0.0
        if mask_dtype is not None:
            mask = mask.to(mask_dtype)
        return hint_ab, mask

    return simulate_hints


def test_simulate_hints_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.simulate_hints, sampler(), capsys)
    passes(checks.simulate_hints, sampler(mask_dtype=torch.bool), capsys)  # a bool mask is fine

    def package(ab_n: torch.Tensor, num_hints: int, size: int, generator: torch.Generator):
        return sample_hints(ab_n, generator, min_size=size, max_size=size, num_hints=num_hints)

    passes(checks.simulate_hints, package, capsys)  # the package's sampler (integral image, vectorised)


def test_simulate_hints_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 8.x"):
        checks.simulate_hints(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (sampler(fill="copy"), ["copied the ground-truth pixels", "ONE colour"]),
    (sampler(fill="image"), ["mean ab of the whole image"]),
    (sampler(fill="both"), ["averaged a and b together"]),
    (sampler(fill="sum"), ["summed the ab values"]),
    (sampler(fill="batch"), ["averaged over the images of the batch"]),
    (sampler(swap=True), ["rows and columns are swapped"]),
    (sampler(start="truth"), ["not 0 outside the hints", "torch.zeros_like(ab_n)"]),
    (sampler(mask_value=2.0), ["should hold only 0 and 1"]),
    (sampler(mask_value=0.0), ["the mask", "is all 0 although hint_ab holds hints"]),
    (sampler(high="any"), ["cut by the edge of the image"]),
    (sampler(high="off_by_one"), ["off-by-one", "upper bound is excluded"]),
    (sampler(source="global"), ["uses a random source other than its `generator`"]),
    (sampler(source="numpy"), ["uses a random source other than its `generator`"]),
    (sampler(per_image=False), ["same place"]),
    (sampler(count="one"), ["every image got a single square"]),
    (sampler(in_place=True), ["changed ab_n in place"]),
])
def test_simulate_hints_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.simulate_hints, student, *needles)


def test_simulate_hints_wants_two_tensors_of_the_right_shapes() -> None:
    def one(ab_n, num_hints, size, generator):
        return sampler()(ab_n, num_hints, size, generator)[0]

    fails(checks.simulate_hints, one, "should return two tensors")

    def two_channel_mask(ab_n, num_hints, size, generator):
        hint_ab, mask = sampler()(ab_n, num_hints, size, generator)
        return hint_ab, mask.expand(-1, 2, -1, -1)

    fails(checks.simulate_hints, two_channel_mask, "wrong shape", "(N, 1, H, W)")

    def too_many(ab_n, num_hints, size, generator):
        return sampler()(ab_n, 2 * num_hints + 3, size, generator)

    fails(checks.simulate_hints, too_many, "with num_hints=0 the maps should be all 0")

    def ignores_generator(ab_n, num_hints, size, generator):
        return sampler()(ab_n, num_hints, size, torch.Generator().manual_seed(0))

    fails(checks.simulate_hints, ignores_generator, "different states gave the same hints")


def test_simulate_hints_blames_the_students_exception() -> None:
    def crashes(ab_n, num_hints, size, generator):
        n, _, height, width = ab_n.shape
        hint_ab = torch.zeros_like(ab_n)
        mask = torch.zeros(n, 1, height, width)
        for i in range(n):
            for _ in range(num_hints):
                top = int(torch.randint(0, height - size + 1, (), generator=generator))
                square = ab_n[i, :, top:top + size]
                hint_ab[i, :, top:top + size, :size] = square.mean(dim=(1, 2))  # wrong shape
                mask[i, :, top:top + size, :size] = 1
        return hint_ab, mask

    fails(checks.simulate_hints, crashes, "your code raised RuntimeError")


# --------------------------------------------------------------------------------------
# 8.2 hint maps from clicks
# --------------------------------------------------------------------------------------


def painter(swap_xy: bool = False, scale: float = AB_SCALE, centre: str = "half", clip: bool = True,
            order: str = "last", swap_ab: bool = False, mask_value: float = 1.0, batch_axis: bool = True
            ) -> Callable:
    def hint_maps(hints, height: int, width: int, size: int = 3):
        hint_ab = torch.zeros(1, 2, height, width)
        mask = torch.zeros(1, 1, height, width)
        for hint in (hints if order == "last" else reversed(hints)):
            x, y = int(hint.x), int(hint.y)
            if swap_xy:
                x, y = y, x
            shift = {"half": size // 2, "odd": (size - 1) // 2, "corner": 0}[centre]
            top, left = y - shift, x - shift
            if clip:
                rows, cols = slice(max(top, 0), top + size), slice(max(left, 0), left + size)
            else:
                rows, cols = slice(top, top + size), slice(left, left + size)
            color = torch.tensor(hint.ab) / scale
            if swap_ab:
                color = color.flip(0)
            hint_ab[0, :, rows, cols] = color[:, None, None]
            mask[0, :, rows, cols] = mask_value
        if not batch_axis:
            return hint_ab[0], mask[0]
        return hint_ab, mask

    return hint_maps


def test_hint_maps_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.hint_maps, painter(), capsys)

    def package(hints, height, width, size=3):
        from gancolor.infer.user_hints import Hint

        return hints_to_maps([Hint(h.x, h.y, h.ab, size=float(size)) for h in hints], height, width)

    passes(checks.hint_maps, package, capsys)


def test_hint_maps_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 8.x"):
        checks.hint_maps(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (painter(swap_xy=True), ["swapped x and y", "x is the column"]),
    (painter(scale=1.0), ["CIE units", "ab / 110"]),
    (painter(scale=100.0), ["divided by 100"]),
    (painter(centre="corner"), ["starts at the click instead of being centred"]),
    (painter(centre="odd"), ["even size", "size // 2"]),
    (painter(clip=False), ["negative slice start", "max(y - size // 2, 0)"]),
    (painter(order="first"), ["the FIRST one wins", "last click should win"]),
    (painter(swap_ab=True), ["a and b are swapped"]),
    (painter(mask_value=0.0), ["is all 0 although hint_ab holds hints"]),
    (painter(mask_value=0.5), ["should hold only 0 and 1"]),
    (painter(batch_axis=False), ["wrong shape", "(1, 2, 8, 12)"]),
])
def test_hint_maps_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.hint_maps, student, *needles)


def test_checks_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    expected = (torch.rand(3), np.random.rand(), random.random())
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    checks.simulate_hints(sampler())
    checks.hint_maps(painter())
    assert torch.equal(torch.rand(3), expected[0])
    assert np.random.rand() == expected[1] and random.random() == expected[2]
