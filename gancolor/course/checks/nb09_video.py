"""Checks of notebook 09, video colorization: which pixels the true motion aligns (occlusion), the
warping error that measures flicker, and one temporal step (motion-compensated smoothing).

9.1 ``aligned_pixels(ids, flow)`` is compared with the reference (target inside the frame, the same
object there at t + 1) on a small hand-made clip (an object that moves, passes behind another and
leaves the frame, a panning camera) and on random ids and flows; a wrong mask is matched against the
typical mistakes (no inside test, occlusion ignored, ids compared at the same pixel, the motion
followed backwards, dx and dy swapped, frame t read where frame t + 1 should be, W counted inside).

9.2 ``warping_error(ab, flow, valid)`` is compared with :func:`gancolor.metrics.flicker.warping_error`:
first on colours that move exactly with the motion (the answer is 0), then on random colours, flows
and masks; wrong values are matched against the typical mistakes (no warping, the motion followed
backwards, the wrong frame warped, |Δa| + |Δb| or the squared distance instead of the Euclidean
one, the mask ignored or divided by every pixel, a mean of per-frame means, dx and dy swapped).

9.3 ``smoothing_step(L, ab_frame, prev, alpha, tolerance)`` is compared with
:func:`gancolor.models.temporal_gate.smoothing_step` on two frames of a random texture moved by a
known camera shift, with an "object" whose lightness changed and a border the shift uncovered;
wrong answers are matched against the typical mistakes (no inside mask, the tolerance compared
with normalised L, alpha on the wrong colour, no motion compensation, no lightness test, 0 where
the past does not apply).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gancolor.color import L_SCALE
from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    exercise,
    expect_finite,
    expect_shape,
    expect_tensor,
    expect_true,
    tensors_close,
)
from gancolor.flow import follow_flow
from gancolor.metrics.flicker import warping_error as reference_warping_error
from gancolor.models.temporal_gate import Previous, align_previous
from gancolor.models.temporal_gate import smoothing_step as reference_smoothing_step

__all__ = ["aligned_pixels", "warping_error", "smoothing_step"]


# --------------------------------------------------------------------------------------
# 9.1 the pixels the motion aligns
# --------------------------------------------------------------------------------------

_ALIGNED_HINT = ("targets tx = xs + flow[:, 0], ty = ys + flow[:, 1] (xs, ys from torch.meshgrid(..., "
                 "indexing='ij')); inside = (tx >= 0) & (tx < W) & (ty >= 0) & (ty < H); read ids[1:] at "
                 "(ty, tx) clamped into the frame and compare with ids[:-1]; return inside & same")


def _targets(flow: torch.Tensor, height: int, width: int, sign: int = 1, swap: bool = False
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each pixel goes: (tx, ty), each (T-1, H, W) int64, for a variant of the rule."""
    ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    dx, dy = (flow[:, 1], flow[:, 0]) if swap else (flow[:, 0], flow[:, 1])
    return xs + sign * dx, ys + sign * dy


def _aligned_variant(ids: torch.Tensor, flow: torch.Tensor, *, sign: int = 1, swap: bool = False,
                     inside: bool = True, same: bool = True, follow: bool = True, read_now: bool = False,
                     inclusive: bool = False) -> torch.Tensor:
    """The aligned-pixel mask (T-1, H, W) bool, right (defaults) or with one of the typical mistakes."""
    height, width = ids.shape[-2:]
    tx, ty = _targets(flow, height, width, sign, swap)
    high_x, high_y = (width + 1, height + 1) if inclusive else (width, height)
    mask = (tx >= 0) & (tx < high_x) & (ty >= 0) & (ty < high_y)
    if not inside:
        mask = torch.ones_like(mask)
    if same:
        index = (ty.clamp(0, height - 1) * width + tx.clamp(0, width - 1)).reshape(len(tx), -1)
        now, after = ids[:-1], ids[1:]
        if not follow:
            mask = mask & (after == now)
        elif read_now:  # frame t read at p + d, compared with frame t + 1 at p
            mask = mask & (now.reshape(len(tx), -1).gather(1, index).reshape(now.shape) == after)
        else:
            mask = mask & (after.reshape(len(tx), -1).gather(1, index).reshape(now.shape) == now)
    return mask


def _aligned_mistakes(ids: torch.Tensor, flow: torch.Tensor) -> list[Mistake]:
    return [
        (lambda: _aligned_variant(ids, flow, inside=False),
         "pixels whose motion leaves the frame are counted: reading frame t + 1 there clamps to the border, "
         "which shows something else (or, by chance, the same object)",
         "keep only targets inside the frame: (tx >= 0) & (tx < W) & (ty >= 0) & (ty < H)"),
        (lambda: _aligned_variant(ids, flow, same=False),
         "occlusion is ignored: a pixel whose object is hidden at t + 1 (something moved in front of it) is "
         "counted, although its colour there belongs to another object",
         "also ask for the same object at both ends: ids[1:] read at (ty, tx) == ids[:-1]"),
        (lambda: _aligned_variant(ids, flow, follow=False),
         "you compared the object ids at the same pixel of both frames; compare them where the motion takes "
         "the pixel (p + d_t(p) in frame t + 1)",
         "read ids[1:] at (ty, tx) = (y + dy, x + dx), not at (y, x)"),
        (lambda: _aligned_variant(ids, flow, sign=-1),
         "you followed the motion backwards (p - d instead of p + d): flow[t] says where a pixel of frame t "
         "goes in frame t + 1",
         "tx = xs + flow[:, 0], ty = ys + flow[:, 1]"),
        (lambda: _aligned_variant(ids, flow, swap=True),
         "dx and dy are swapped: flow[:, 0] is dx (along x, the columns, the last axis) and flow[:, 1] is dy",
         "tx = xs + flow[:, 0] (columns), ty = ys + flow[:, 1] (rows)"),
        (lambda: _aligned_variant(ids, flow, read_now=True),
         "you read frame t at p + d and compared it with frame t + 1 at p: it is frame t + 1 that is read "
         "where the pixel of frame t goes",
         "after = ids[1:] read at (ty, tx); compare with now = ids[:-1] at (y, x)"),
        (lambda: _aligned_variant(ids, flow, inclusive=True),
         "a target at x = W (or y = H) is counted as inside: the columns are 0 .. W - 1",
         "inside = (tx >= 0) & (tx < W) & (ty >= 0) & (ty < H), with < and not <="),
    ]


def _hand_made_clip() -> tuple[torch.Tensor, torch.Tensor, str]:
    """4 frames of 8 x 12 px: the world (0) panned by 1 px, a 2 x 3 object (1) moving right by 2 px
    that passes behind a static 3 x 2 object (2) and leaves the frame; returns ids, flow, a name."""
    frames, height, width = 4, 8, 12
    ids = torch.zeros(frames, height, width, dtype=torch.int64)
    for t in range(frames):
        x = 3 + 2 * t  # object 1 moves +2 px/frame in the image (3 in the world, pan 1)
        ids[t, 2:4, max(x, 0):max(x + 3, 0)] = 1
        ids[t, 1:4, 7 - t:9 - t] = 2  # object 2 stands in the world: moves -1 px/frame in the image, in front
    velocity = torch.tensor([[-1, 0], [2, 0], [-1, 0]])  # image motion of ids 0, 1, 2
    flow = velocity[ids[:-1]].permute(0, 3, 1, 2).contiguous()  # (T-1, 2, H, W)
    return ids, flow, "a panning clip where an object passes behind another and leaves the frame"


def _random_clip(seed: int, frames: int = 5, height: int = 7, width: int = 9
                 ) -> tuple[torch.Tensor, torch.Tensor, str]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 3, (frames, height, width), generator=g)
    flow = torch.randint(-2, 3, (frames - 1, 2, height, width), generator=g)
    return ids, flow, f"random ids and flows ({frames} frames of {height} x {width})"


def _check_aligned(student_fn: Callable, ids: torch.Tensor, flow: torch.Tensor, case: str) -> None:
    __tracebackhide__ = True
    frames, height, width = ids.shape
    given_ids, given_flow = ids.clone(), flow.clone()
    got = student_fn(given_ids, given_flow)
    expect_true(torch.equal(given_ids, ids) and torch.equal(given_flow, flow),
                f"aligned_pixels changed its inputs in place ({case})",
                hint="read ids and flow; build new tensors for the targets and the mask")
    what = f"the mask for {case}"
    got = expect_shape(got, (frames - 1, height, width), what,
                       hint="one mask per pair of consecutive frames: (T - 1, H, W)")
    expect_tensor(got, what, dtype=torch.bool,
                  hint="a mask is a bool tensor: comparisons give bool tensors, combine them with &")
    want = _aligned_variant(ids, flow)
    if torch.equal(got, want):
        return
    diagnose(got, want, _aligned_mistakes(ids, flow), close=torch.equal,
             show=lambda m: f"{int(m.sum())} of {m.numel()} pixels aligned")
    t, y, x = (int(i) for i in (got != want).nonzero()[0])
    dx, dy = int(flow[t, 0, y, x]), int(flow[t, 1, y, x])
    raise ExerciseFailed(f"{what} is wrong at {int((got != want).sum())} pixels, e.g. frame {t}, row {y}, "
                         f"column {x} (object {int(ids[t, y, x])}, moving by dx={dx}, dy={dy})",
                         expected=bool(want[t, y, x]), got=bool(got[t, y, x]), hint=_ALIGNED_HINT)


@exercise("9.1", "pixels the motion aligns", hint=_ALIGNED_HINT)
def aligned_pixels(student_fn: Callable) -> None:
    """``student_fn(ids (T, H, W) int, flow (T-1, 2, H, W) int) -> (T-1, H, W) bool``: the pixels of
    frames 0 .. T-2 whose target p + d_t(p) is inside the frame and shows the same object at t + 1."""
    __tracebackhide__ = True
    clips = [_hand_made_clip(), _random_clip(1), _random_clip(2, frames=3, height=10, width=6)]
    for ids, flow, case in clips:
        _check_aligned(student_fn, ids, flow, case)


# --------------------------------------------------------------------------------------
# 9.2 the warping error
# --------------------------------------------------------------------------------------

_WARP_HINT = ("after = follow_flow(ab[1:], flow) (frame t + 1 read where each pixel of frame t goes); "
              "change = torch.linalg.vector_norm(after - ab[:-1], dim=1); return float(change[valid].mean())")


def _change(ab: torch.Tensor, flow: torch.Tensor, *, sign: int = 1, swap: bool = False,
            warp_now: bool = False, norm: str = "l2", warp: bool = True) -> torch.Tensor:
    """|ab_{t+1}(p + d) - ab_t(p)| per pixel (T-1, H, W), right (defaults) or with a typical mistake."""
    moved = flow.flip(1) if swap else flow
    if not warp:
        diff = ab[1:] - ab[:-1]
    elif warp_now:
        diff = follow_flow(ab[:-1], sign * moved) - ab[1:]
    else:
        diff = follow_flow(ab[1:], sign * moved) - ab[:-1]
    if norm == "l1":
        return diff.abs().sum(dim=1)
    if norm == "squared":
        return diff.pow(2).sum(dim=1)
    return torch.linalg.vector_norm(diff, dim=1)


def _masked_mean(change: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    return change[valid].mean()


def _warp_mistakes(ab: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor) -> list[Mistake]:
    right = _change(ab, flow)
    return [
        (lambda: _masked_mean(_change(ab, flow, warp=False), valid),
         "you compared ab_{t+1} and ab_t at the same pixel: without following the motion, everything that "
         "moves counts as flicker", "read frame t + 1 where the pixel goes: follow_flow(ab[1:], flow)"),
        (lambda: _masked_mean(_change(ab, flow, sign=-1), valid),
         "you followed the motion backwards (p - d instead of p + d)",
         "follow_flow(ab[1:], flow), not -flow"),
        (lambda: _masked_mean(_change(ab, flow, warp_now=True), valid),
         "you warped frame t instead of frame t + 1: flow[t] starts at the pixels of frame t, so it is "
         "frame t + 1 that is read at p + d", "follow_flow(ab[1:], flow) - ab[:-1]"),
        (lambda: _masked_mean(_change(ab, flow, swap=True), valid),
         "dx and dy are swapped: flow[:, 0] is dx (columns), flow[:, 1] is dy (rows)",
         "pass the flow as it is to follow_flow"),
        (lambda: _masked_mean(_change(ab, flow, norm="l1"), valid),
         "you used |Δa| + |Δb|: the warping error is the Euclidean distance in the ab plane, "
         "sqrt(Δa² + Δb²)", "torch.linalg.vector_norm(difference, dim=1)"),
        (lambda: _masked_mean(_change(ab, flow, norm="squared"), valid),
         "you used the squared distance Δa² + Δb²: take its square root (the distance in Lab units)",
         "torch.linalg.vector_norm(difference, dim=1)"),
        (lambda: right.mean(),
         "you averaged over every pixel: only the pixels in `valid` count (occluded pixels, pixels that "
         "leave the frame and object edges have no right answer)", "change[valid].mean()"),
        (lambda: (right * valid).sum() / right.numel(),
         "you summed over the valid pixels but divided by the number of all pixels",
         "change[valid].mean() divides by the number of valid pixels"),
        (lambda: torch.stack([c[v].mean() for c, v in zip(right, valid, strict=True)]).mean(),
         "you took the mean of per-frame means: every valid pixel counts once, so frames with more valid "
         "pixels weigh more", "one mean over all valid pixels of all frame pairs: change[valid].mean()"),
    ]


def _as_number(got: object, what: str) -> float:
    __tracebackhide__ = True
    if isinstance(got, torch.Tensor):
        expect_true(got.numel() == 1, f"{what} should be one number, the mean over all valid pixels",
                    expected="a float (or a one-element tensor)", got=describe(got),
                    hint="average over frames and pixels together: change[valid].mean()")
        return float(got.detach().reshape(-1)[0])
    expect_true(isinstance(got, (int, float)) and not isinstance(got, bool),
                f"{what} should be a number", got=f"{type(got).__name__}: {describe(got)}",
                hint="return float(change[valid].mean())")
    return float(got)


def _check_warp(student_fn: Callable, ab: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor, case: str
                ) -> None:
    __tracebackhide__ = True
    given = (ab.clone(), flow.clone(), valid.clone())
    got = _as_number(student_fn(*given), f"warping_error on {case}")
    expect_true(all(torch.equal(a, b) for a, b in zip(given, (ab, flow, valid), strict=True)),
                f"warping_error changed its inputs in place ({case})", hint="read ab, flow and valid only")
    want = reference_warping_error(ab, flow, valid)
    if abs(got - want) <= 1e-4 * max(1.0, abs(want)):
        return
    diagnose(torch.tensor(got, dtype=torch.float64), torch.tensor(want, dtype=torch.float64),
             _warp_mistakes(ab, flow, valid), close=lambda a, b: tensors_close(a, b.double(), atol=1e-4),
             show=lambda v: f"{float(v):.4g}")
    raise ExerciseFailed(f"warping_error on {case} is not the expected value", expected=f"{want:.4g}",
                         got=f"{got:.4g}", hint=_WARP_HINT)


def _moving_colours(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ab of 4 frames 9 x 11 that move exactly by the flow (2 left, 1 down), valid = inside: E_warp = 0."""
    g = torch.Generator().manual_seed(seed)
    frames, height, width = 4, 9, 11
    world = torch.randn(2, height + frames, width + 2 * frames, generator=g) * 30
    ab = torch.stack([world[:, frames - t:frames - t + height, 2 * t:2 * t + width] for t in range(frames)])
    flow = torch.zeros(frames - 1, 2, height, width, dtype=torch.int64)
    flow[:, 0], flow[:, 1] = -2, 1
    valid = _aligned_variant(torch.zeros(frames, height, width, dtype=torch.int64), flow)
    return ab, flow, valid


@exercise("9.2", "warping error", hint=_WARP_HINT)
def warping_error(student_fn: Callable) -> None:
    """``student_fn(ab (T, 2, H, W), flow (T-1, 2, H, W) int, valid (T-1, H, W) bool) -> float``: the
    mean over valid pixels of || ab_{t+1}(p + d_t(p)) - ab_t(p) ||_2."""
    __tracebackhide__ = True
    ab, flow, valid = _moving_colours(0)
    got = _as_number(student_fn(ab.clone(), flow.clone(), valid.clone()), "warping_error")
    if abs(got) > 1e-4:
        diagnose(torch.tensor(got, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64),
                 _warp_mistakes(ab, flow, valid), close=lambda a, b: tensors_close(a, b.double(), atol=1e-4),
                 show=lambda v: f"{float(v):.4g}")
        raise ExerciseFailed("colours that move exactly with the motion should give a warping error of 0",
                             expected="0", got=f"{got:.4g}",
                             hint="compare each pixel of frame t with frame t + 1 where the flow takes it: "
                                  "follow_flow(ab[1:], flow) - ab[:-1]")
    g = torch.Generator().manual_seed(5)
    for frames, height, width in [(5, 8, 9), (3, 6, 12)]:
        ab = torch.randn(frames, 2, height, width, generator=g) * 25
        flow = torch.randint(-2, 3, (frames - 1, 2, height, width), generator=g)
        share = torch.linspace(0.3, 0.9, frames - 1)[:, None, None]  # a different share valid per frame
        valid = torch.rand(frames - 1, height, width, generator=g) < share
        _check_warp(student_fn, ab, flow, valid, f"random colours, flows and masks ({frames} frames of "
                                                 f"{height} x {width})")


# --------------------------------------------------------------------------------------
# 9.3 motion-compensated smoothing
# --------------------------------------------------------------------------------------

_SMOOTH_HINT = ("if prev is None: return ab_frame; L_prev, ab_prev, inside = align_previous(L, prev); "
                "steady = inside * ((L - L_prev).abs() * 50 <= tolerance); "
                "return ab_frame + steady * alpha * (ab_prev - ab_frame)")


def _smooth_variant(L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous, alpha: float,  # noqa: N803
                    tolerance: float, *, inside: bool = True, units: float = L_SCALE, keep: str = "alpha",
                    aligned_L: bool = True, aligned_ab: bool = True, lightness: bool = True,  # noqa: N803
                    zero_elsewhere: bool = False) -> torch.Tensor:
    L_prev, ab_prev, inner = align_previous(L, prev)  # noqa: N806
    if not aligned_L:
        L_prev = prev.L  # noqa: N806
    if not aligned_ab:
        ab_prev = prev.ab
    if not (aligned_L or aligned_ab):
        inner = torch.ones_like(inner)
    steady = inner if inside else torch.ones_like(inner)
    if lightness:
        steady = steady * ((L - L_prev).abs() * units <= tolerance).to(L.dtype)
    weight = alpha if keep == "alpha" else 1.0 - alpha
    if zero_elsewhere:
        return steady * (weight * ab_prev + (1 - weight) * ab_frame)
    return ab_frame + steady * weight * (ab_prev - ab_frame)


def _smooth_mistakes(L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous, alpha: float,  # noqa: N803
                     tolerance: float) -> list[Mistake]:
    def variant(**kwargs: object) -> Callable[[], torch.Tensor]:
        return lambda: _smooth_variant(L, ab_frame, prev, alpha, tolerance, **kwargs)  # type: ignore[arg-type]

    return [
        (variant(inside=False),
         "the border that the camera motion uncovered keeps the past: there the aligned previous frame is "
         "only the clamped edge of the frame, not a past of these pixels",
         "multiply by the `inside` mask that align_previous returns"),
        (variant(units=1.0),
         "the tolerance is in L units (0 .. 100) but you compared it with the normalised L_n (in [-1, 1]): "
         "almost every change of lightness passes the test",
         "(L - L_prev).abs() * 50 <= tolerance (gancolor.color.L_SCALE = 50)"),
        (variant(keep="one_minus"),
         "you keep 1 - alpha of the past and alpha of the new colour: alpha is the share of the PAST colour "
         "(alpha = 0.9 keeps 90 % of it)", "ab_frame + steady * alpha * (ab_prev - ab_frame)"),
        (variant(aligned_L=False, aligned_ab=False),
         "you used the previous frame as it is, without moving it by the camera motion: with a pan, every "
         "pixel is compared with (and mixed with) another point of the scene",
         "L_prev, ab_prev, inside = align_previous(L, prev)"),
        (variant(aligned_L=False),
         "you compared L with the previous L before aligning it (but mixed the aligned ab)",
         "use the L_prev that align_previous returns"),
        (variant(aligned_ab=False),
         "you mixed in the previous ab before aligning it (but tested the aligned L)",
         "use the ab_prev that align_previous returns"),
        (variant(lightness=False),
         "no lightness test: where an object moved (or was uncovered) the past colour belongs to another "
         "object, and the aligned previous L shows it",
         "steady = inside * ((L - L_prev).abs() * 50 <= tolerance)"),
        (variant(zero_elsewhere=True),
         "where the past does not apply your colours are 0 (gray): take the new per-frame colour there",
         "ab_frame + steady * alpha * (ab_prev - ab_frame) is ab_frame where steady = 0"),
    ]


def _panned_pair(seed: int) -> tuple[torch.Tensor, torch.Tensor, Previous, str]:
    """Two frames (batch of 2, 24 x 28 px) of a random texture, the second moved by a camera shift
    ((2, 0) and (-1, 1)), plus noise of up to 1 L unit and two objects whose lightness changed by 15
    and by 40 L units."""
    g = torch.Generator().manual_seed(seed)
    n, height, width = 2, 24, 28
    L_prev = torch.rand(n, 1, height, width, generator=g) * 1.6 - 0.8  # noqa: N806
    ab_prev = torch.rand(n, 2, height, width, generator=g) * 1.2 - 0.6
    L = torch.empty_like(L_prev)  # noqa: N806
    for i, (dx, dy) in enumerate([(2, 0), (-1, 1)]):
        # content moves by (dx, dy): L(p) = L_prev(p - shift), clamped at the frame's edge
        flow = torch.zeros(1, 2, height, width, dtype=torch.int64)
        flow[:, 0], flow[:, 1] = -dx, -dy
        L[i] = follow_flow(L_prev[i:i + 1], flow)[0]
    L = L + (torch.rand(L.shape, generator=g) - 0.5) * 0.04  # noqa: N806 - up to 1 L unit of noise
    L[:, :, 8:14, 10:17] += 0.3  # an object: 15 L units brighter
    patch = L[:, :, 16:21, 3:9]
    L[:, :, 16:21, 3:9] = torch.where(patch > 0, patch - 0.8, patch + 0.8)  # another: 40 L units off
    L = L.clamp(-1, 1)  # noqa: N806
    ab_frame = torch.rand(n, 2, height, width, generator=g) * 1.2 - 0.6
    case = "two frames moved by a camera pan, with objects that changed"
    return L, ab_frame, Previous(L_prev, ab_prev), case


def _check_smooth(student_fn: Callable, L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous,  # noqa: N803
                  alpha: float, tolerance: float, case: str) -> None:
    __tracebackhide__ = True
    given = (L.clone(), ab_frame.clone(), Previous(prev.L.clone(), prev.ab.clone()))
    got = student_fn(*given, alpha, tolerance)
    what = f"smoothing_step on {case} (alpha={alpha}, tolerance={tolerance})"
    unchanged = all(torch.equal(a, b) for a, b in [(given[0], L), (given[1], ab_frame), (given[2].L, prev.L),
                                                    (given[2].ab, prev.ab)])
    expect_true(unchanged, f"{what} changed its inputs in place",
                hint="build the result as a new tensor: ab_frame + steady * alpha * (ab_prev - ab_frame)")
    got = expect_shape(got, tuple(ab_frame.shape), f"the result of {what}",
                       hint="one ab per pixel: (N, 2, H, W), like ab_frame")
    got = expect_finite(got, f"the result of {what}")
    want = reference_smoothing_step(L, ab_frame, prev, alpha, tolerance)
    if tensors_close(got, want):
        return
    wrong = ~torch.isclose(got.detach().double(), want.double(), atol=1e-5, rtol=1e-4)
    i, c, y, x = (int(v) for v in wrong.nonzero()[0])
    where = f"image {i}, channel {c}, row {y}, column {x}"
    diagnose(got, want, _smooth_mistakes(L, ab_frame, prev, alpha, tolerance),
             show=lambda ab: f"{float(ab[i, c, y, x]):.4g} at {where} (the first wrong value)")
    raise ExerciseFailed(f"{what} is wrong at {int(wrong.sum())} of {wrong.numel()} values, e.g. {where}",
                         expected=f"{float(want[i, c, y, x]):.4g}", got=f"{float(got[i, c, y, x]):.4g}",
                         hint=_SMOOTH_HINT)


@exercise("9.3", "motion-compensated smoothing", hint=_SMOOTH_HINT)
def smoothing_step(student_fn: Callable) -> None:
    """``student_fn(L (N, 1, H, W), ab_frame (N, 2, H, W), prev: Previous | None, alpha, tolerance) ->
    (N, 2, H, W)``: where the aligned previous frame is inside and its lightness is within ``tolerance``
    L units, keep ``alpha`` of its colour; elsewhere the per-frame colour; the first frame unchanged."""
    __tracebackhide__ = True
    L, ab_frame, prev, case = _panned_pair(3)  # noqa: N806
    first = student_fn(L.clone(), ab_frame.clone(), None, 0.9, 2.0)
    first = expect_shape(first, tuple(ab_frame.shape), "the result for the first frame (prev=None)",
                         hint="the first frame has no past: return ab_frame")
    expect_true(tensors_close(first, ab_frame),
                "the first frame (prev=None) should keep its per-frame colours",
                expected=describe(ab_frame), got=describe(first), hint="if prev is None: return ab_frame")
    for alpha, tolerance in [(0.8, 0.5), (0.9, 2.0), (0.5, 5.0)]:  # 0.5 first: tells the mistakes apart
        _check_smooth(student_fn, L, ab_frame, prev, alpha, tolerance, case)
