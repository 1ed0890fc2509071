"""The checks of notebook 09 (video colorization) both ways: they pass on the reference, let the
student's stub raise NotImplementedError, and fail on typical mistakes with a message that names the
mistake."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.color import L_SCALE
from gancolor.course import checks
from gancolor.flow import follow_flow
from gancolor.metrics.flicker import warping_error as package_warping_error
from gancolor.models.temporal_gate import Previous, align_previous
from gancolor.models.temporal_gate import smoothing_step as package_smoothing_step


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 9.x: not done yet")


# --------------------------------------------------------------------------------------
# 9.1 the pixels the motion aligns: the notebook's solution, with switchable mistakes
# --------------------------------------------------------------------------------------


def aligner(inside: bool = True, same: bool = True, follow: bool = True, sign: int = 1, swap: bool = False,
            inclusive: bool = False, read_now: bool = False, all_frames: bool = False,
            as_float: bool = False) -> Callable:
    def aligned_pixels(ids: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        height, width = ids.shape[-2:]
        ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
        dx, dy = (flow[:, 1], flow[:, 0]) if swap else (flow[:, 0], flow[:, 1])
        tx, ty = xs + sign * dx, ys + sign * dy
        edge = 1 if inclusive else 0
        mask = (tx >= 0) & (tx < width + edge) & (ty >= 0) & (ty < height + edge)
        if not inside:
            mask = torch.ones_like(mask)
        t = torch.arange(len(flow))[:, None, None]
        cy, cx = ty.clamp(0, height - 1), tx.clamp(0, width - 1)
        if same:
            if not follow:
                mask = mask & (ids[1:] == ids[:-1])
            elif read_now:
                mask = mask & (ids[:-1][t, cy, cx] == ids[1:])
            else:
                mask = mask & (ids[1:][t, cy, cx] == ids[:-1])
        if all_frames:
            mask = torch.cat([mask, mask[-1:]])
        return mask.float() if as_float else mask

    return aligned_pixels


def test_aligned_pixels_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.aligned_pixels, aligner(), capsys)

    def with_follow_flow(ids: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        height, width = ids.shape[-2:]
        ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
        tx, ty = xs + flow[:, 0], ys + flow[:, 1]
        inside = (tx >= 0) & (tx < width) & (ty >= 0) & (ty < height)
        return inside & (follow_flow(ids[1:, None], flow)[:, 0] == ids[:-1])

    passes(checks.aligned_pixels, with_follow_flow, capsys)


def test_aligned_pixels_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 9.x"):
        checks.aligned_pixels(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (aligner(inside=False), ["leaves the frame are counted"]),
    (aligner(same=False), ["occlusion is ignored"]),
    (aligner(follow=False), ["at the same pixel of both frames"]),
    (aligner(sign=-1), ["followed the motion backwards"]),
    (aligner(swap=True), ["dx and dy are swapped"]),
    (aligner(read_now=True), ["you read frame t at p + d"]),
    (aligner(inclusive=True), ["x = W (or y = H) is counted as inside"]),
    (aligner(all_frames=True), ["wrong shape", "(T - 1, H, W)"]),
    (aligner(as_float=True), ["wrong dtype", "bool"]),
])
def test_aligned_pixels_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.aligned_pixels, student, *needles)


def test_aligned_pixels_says_where_an_unknown_mistake_is() -> None:
    def off_somewhere(ids: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        mask = aligner()(ids, flow)
        mask[0, 2, 3] = ~mask[0, 2, 3]
        return mask

    fails(checks.aligned_pixels, off_somewhere, "is wrong at 1 pixels", "frame 0, row 2, column 3")


def test_aligned_pixels_must_not_change_its_inputs() -> None:
    def in_place(ids: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        mask = aligner()(ids, flow)
        flow.zero_()
        return mask

    fails(checks.aligned_pixels, in_place, "changed its inputs in place")


# --------------------------------------------------------------------------------------
# 9.2 the warping error
# --------------------------------------------------------------------------------------


def warper(warp: bool = True, sign: int = 1, warp_now: bool = False, norm: str = "l2", mask: str = "valid",
           per_frame: bool = False, swap: bool = False, as_tensor: bool = False) -> Callable:
    def warping_error(ab: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor) -> float | torch.Tensor:
        moved = flow.flip(1) if swap else flow
        if not warp:
            diff = ab[1:] - ab[:-1]
        elif warp_now:
            diff = follow_flow(ab[:-1], sign * moved) - ab[1:]
        else:
            diff = follow_flow(ab[1:], sign * moved) - ab[:-1]
        change = {"l2": lambda d: torch.linalg.vector_norm(d, dim=1), "l1": lambda d: d.abs().sum(dim=1),
                  "squared": lambda d: d.pow(2).sum(dim=1)}[norm](diff)
        if per_frame:
            return torch.stack([c[v].mean() for c, v in zip(change, valid, strict=True)])
        if mask == "none":
            value = change.mean()
        elif mask == "all_pixels":
            value = (change * valid).sum() / change.numel()
        else:
            value = change[valid].mean()
        return value if as_tensor else float(value)

    return warping_error


def test_warping_error_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.warping_error, warper(), capsys)
    passes(checks.warping_error, warper(as_tensor=True), capsys)  # a 0-dim tensor is fine
    passes(checks.warping_error, package_warping_error, capsys)


def test_warping_error_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 9.x"):
        checks.warping_error(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (warper(warp=False), ["at the same pixel"]),
    (warper(sign=-1), ["followed the motion backwards"]),
    (warper(warp_now=True), ["warped frame t instead of frame t + 1"]),
    (warper(swap=True), ["dx and dy are swapped"]),
    (warper(norm="l1"), ["|Δa| + |Δb|", "Euclidean"]),
    (warper(norm="squared"), ["squared distance"]),
    (warper(mask="none"), ["averaged over every pixel"]),
    (warper(mask="all_pixels"), ["divided by the number of all pixels"]),
    (warper(per_frame=True), ["should be one number"]),
])
def test_warping_error_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.warping_error, student, *needles)


def test_warping_error_names_the_mistakes_on_random_flows_too() -> None:
    """The random flows after the first test (colours moving with the motion) name the mistakes too."""
    from gancolor.course.checks import nb09_video

    g = torch.Generator().manual_seed(0)
    ab = torch.randn(4, 2, 6, 7, generator=g) * 20
    flow = torch.randint(-2, 3, (3, 2, 6, 7), generator=g)
    valid = torch.rand(3, 6, 7, generator=g) < 0.6
    for student, needle in [(warper(warp=False), "at the same pixel"), (warper(sign=-1), "backwards"),
                            (warper(warp_now=True), "warped frame t instead of frame t + 1"),
                            (warper(swap=True), "dx and dy are swapped")]:
        with pytest.raises(checks.ExerciseFailed, match=re.escape(needle)):
            nb09_video._check_warp(student, ab, flow, valid, "random data")


def test_warping_error_mean_of_frame_means_is_named() -> None:
    def frame_means(ab: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor) -> float:
        return float(warper(per_frame=True)(ab, flow, valid).mean())

    fails(checks.warping_error, frame_means, "mean of per-frame means")


# --------------------------------------------------------------------------------------
# 9.3 motion-compensated smoothing
# --------------------------------------------------------------------------------------


def smoother(inside: bool = True, units: float = L_SCALE, keep: str = "alpha", align: str = "both",
             lightness: bool = True, zero_elsewhere: bool = False, first: str = "frame") -> Callable:
    def smoothing_step(L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous | None,  # noqa: N803
                       alpha: float = 0.9, tolerance: float = 2.0) -> torch.Tensor:
        if prev is None:
            return ab_frame if first == "frame" else torch.zeros_like(ab_frame)
        L_prev, ab_prev, inner = align_previous(L, prev)  # noqa: N806
        if align in ("none", "ab"):
            L_prev = prev.L  # noqa: N806
        if align in ("none", "L"):
            ab_prev = prev.ab
        if align == "none":
            inner = torch.ones_like(inner)
        steady = inner if inside else torch.ones_like(inner)
        if lightness:
            steady = steady * ((L - L_prev).abs() * units <= tolerance).float()
        weight = alpha if keep == "alpha" else 1 - alpha
        if zero_elsewhere:
            return steady * (weight * ab_prev + (1 - weight) * ab_frame)
        return ab_frame + steady * weight * (ab_prev - ab_frame)

    return smoothing_step


def test_smoothing_step_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.smoothing_step, smoother(), capsys)
    passes(checks.smoothing_step, package_smoothing_step, capsys)


def test_smoothing_step_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 9.x"):
        checks.smoothing_step(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (smoother(inside=False), ["border that the camera motion uncovered"]),
    (smoother(units=1.0), ["tolerance is in L units"]),
    (smoother(keep="one_minus"), ["alpha is the share of the PAST colour"]),
    (smoother(align="none"), ["without moving it by the camera motion"]),
    (smoother(align="ab"), ["compared L with the previous L before aligning it"]),
    (smoother(align="L"), ["mixed in the previous ab before aligning it"]),
    (smoother(lightness=False), ["no lightness test"]),
    (smoother(zero_elsewhere=True), ["your colours are 0"]),
    (smoother(first="zeros"), ["first frame (prev=None) should keep its per-frame colours"]),
])
def test_smoothing_step_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.smoothing_step, student, *needles)


def test_smoothing_step_blames_the_students_exception() -> None:
    def forgets_the_first_frame(L, ab_frame, prev, alpha=0.9, tolerance=2.0):  # noqa: N803, ANN001
        L_prev, ab_prev, inside = align_previous(L, prev)  # noqa: N806 - prev None: AttributeError
        return ab_frame + inside * alpha * (ab_prev - ab_frame)

    fails(checks.smoothing_step, forgets_the_first_frame, "your code raised AttributeError")


def test_the_test_pair_is_aligned_by_phase_correlation() -> None:
    """The check's two frames are what it says: the estimated shift recovers the camera pan."""
    from gancolor.course.checks import nb09_video

    L, _, prev, _ = nb09_video._panned_pair(3)  # noqa: N806
    _, _, inside = align_previous(L, prev)
    assert inside[0, 0, :, :2].sum() == 0 and inside[0, 0, :, 2:].all()  # shift (2, 0): 2 columns uncovered
    assert inside[1, 0, :1].sum() == 0 and inside[1, 0, :, -1:].sum() == 0  # shift (-1, 1)
