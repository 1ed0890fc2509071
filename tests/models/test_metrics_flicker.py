"""The flicker metric (warping error) on clips whose answer is known (issue 13)."""

from __future__ import annotations

import math

import torch

from gancolor.metrics.flicker import (
    estimate_shift,
    estimated_warping_error,
    flicker,
    follow_flow,
    true_motion_mask,
    warping_error,
)

T, S = 6, 32


def _background(seed: int = 0) -> torch.Tensor:
    """A textured gray-blue background (3, S, 2S) uint8 so that phase correlation has something to lock on."""
    g = torch.Generator().manual_seed(seed)
    base = torch.tensor([90, 120, 170], dtype=torch.float32)[:, None, None]
    noise = torch.randn(1, S, 2 * S, generator=g) * 25
    return (base + noise).clamp(0, 255).to(torch.uint8)


def _static_flow() -> torch.Tensor:
    return torch.zeros(T - 1, 2, S, S, dtype=torch.int64)


def test_static_clip_with_constant_colours_has_zero_flicker() -> None:
    frames = _background()[:, :, :S].expand(T, 3, S, S).clone()
    ids = torch.zeros(T, S, S, dtype=torch.uint8)
    valid = true_motion_mask(ids, _static_flow())
    assert valid.all()
    assert flicker(frames, _static_flow(), valid) == 0.0
    assert estimated_warping_error(frames) == 0.0


def test_random_colours_per_frame_flicker_a_lot() -> None:
    g = torch.Generator().manual_seed(1)
    frames = torch.randint(0, 256, (T, 3, S, S), generator=g, dtype=torch.uint8)
    valid = torch.ones(T - 1, S, S, dtype=torch.bool)
    assert flicker(frames, _static_flow(), valid) > 30.0


def test_translating_object_measured_along_its_true_motion_has_zero_flicker() -> None:
    """A red square moving 2 px right per frame over a static background: 0 along the true motion,
    large if the motion is ignored."""
    frames = _background()[:, :, :S].expand(T, 3, S, S).clone()
    ids = torch.zeros(T, S, S, dtype=torch.uint8)
    red = torch.tensor([200, 30, 30], dtype=torch.uint8)[:, None, None]
    for t in range(T):
        frames[t, :, 10:18, 4 + 2 * t: 12 + 2 * t] = red
        ids[t, 10:18, 4 + 2 * t: 12 + 2 * t] = 1
    flow = _static_flow()
    flow[:, 0] = torch.where(ids[:-1] == 1, 2, 0)
    valid = true_motion_mask(ids, flow)
    assert flicker(frames, flow, valid) == 0.0
    assert flicker(frames, flow, valid, region=ids[:-1] == 1) == 0.0
    assert flicker(frames, _static_flow(), torch.ones_like(valid)) > 1.0  # ignoring the motion
    # background the square covers at t + 1 (occluded) and the square's edges are left out
    assert not valid[0, 12, 12] and not valid[0, 12, 13] and not valid[0, 12, 4]
    assert valid[0, 12, 5] and valid[0, 12, 20]


def test_follow_flow_reads_the_pixel_the_motion_points_to() -> None:
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    flow = torch.zeros(1, 2, 4, 4, dtype=torch.int64)
    flow[:, 0] = 1  # one pixel to the right
    assert follow_flow(x, flow)[0, 0, 0].tolist() == [1.0, 2.0, 3.0, 3.0]


def test_estimated_shift_follows_a_pan_and_the_estimated_error_ignores_it() -> None:
    world = _background(2)
    frames = torch.stack([world[:, :, 3 * t: 3 * t + S] for t in range(T)])  # camera pans 3 px right
    lab_l = frames.float().mean(1)
    assert estimate_shift(lab_l[0], lab_l[1]) == (-3, 0)
    assert estimated_warping_error(frames) < 1e-3


def test_empty_mask_gives_nan() -> None:
    ab = torch.zeros(T, 2, S, S)
    assert math.isnan(warping_error(ab, _static_flow(), torch.zeros(T - 1, S, S, dtype=torch.bool)))
