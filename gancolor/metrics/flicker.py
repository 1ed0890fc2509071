"""Temporal consistency of a colorized video: the warping error ("flicker").

Per-frame colorization of a video flickers: an object whose colour cannot be told from its gray
value (a balloon) may get another hue in every frame. The warping error (Lai et al. 2018,
"Learning Blind Video Temporal Consistency") measures it: follow every pixel p of frame t to where
the motion takes it in frame t + 1, and average how much its colour changed there,

    E_warp = 1 / |V| * sum_{t, p in V_t} || ab_{t+1}(p + d_t(p)) - ab_t(p) ||_2       (CIE Lab units)

over the pixels V_t that the motion really aligns: inside the frame at both ends, showing the same
object at both ends (not occluded at t + 1), and not on an object's edge (anti-aliased pixels mix
two objects). Only chrominance ab counts: a colorizer keeps the input's lightness, so its flicker
is all in ab. The true colours of a clip have E_warp = 0.

- :func:`warping_error` -- with the true motion (the procedural clips know it exactly, see
  :meth:`gancolor.data.clips.ClipSplit.flow` and :func:`true_motion_mask`);
- :func:`estimated_warping_error` -- for real videos, whose motion is unknown: the motion is
  *estimated* as one global integer translation per frame pair (phase correlation of the
  lightness, :func:`gancolor.flow.estimate_shift`, which follows a camera pan), and only pixels
  whose lightness that translation explains (|ΔL| below ``tolerance``) count. It therefore
  measures colour change on what the camera motion aligns (static scene, still or panning
  camera); independently moving objects mostly drop out through their lightness change, and a
  region whose gray value stays the same while its true colour changes would count as flicker
  (rare in real film).

Frames are (T, 3, H, W) RGB, uint8 or float in [0, 1]; results are Python floats.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gancolor.color import rgb_to_lab
from gancolor.flow import estimate_shift, follow_flow, shift_frames
from gancolor.metrics.image_quality import to_unit_float

__all__ = ["frames_to_lab", "true_motion_mask", "warping_error", "flicker", "estimated_warping_error",
           "follow_flow", "estimate_shift"]


def frames_to_lab(frames: torch.Tensor) -> torch.Tensor:
    """RGB frames (T, 3, H, W) uint8 or float in [0, 1] -> CIE Lab (T, 3, H, W) float32."""
    return rgb_to_lab(to_unit_float(frames, "frames", dtype=torch.float32))


def _interior(ids: torch.Tensor) -> torch.Tensor:
    """(T, H, W) ids -> bool: pixels whose 3x3 neighbourhood (inside the frame) shows one object."""
    x = ids.float()[:, None]
    padded = F.pad(x, (1, 1, 1, 1), mode="replicate")
    high = F.max_pool2d(padded, 3, stride=1)
    low = -F.max_pool2d(-padded, 3, stride=1)
    return (high == low)[:, 0]


def true_motion_mask(ids: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """The pixels V_t that the true motion aligns: ids (T, H, W) of every frame, flow (T-1, 2, H, W)
    integer -> (T-1, H, W) bool: target inside the frame, the same object there at t + 1, and not
    on an object edge at either end."""
    height, width = ids.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    tx, ty = xs + flow[:, 0], ys + flow[:, 1]
    inside = (tx >= 0) & (tx < width) & (ty >= 0) & (ty < height)
    now, after = ids[:-1], ids[1:]
    same = follow_flow(after[:, None], flow)[:, 0] == now
    edges_after = follow_flow(_interior(after)[:, None].to(torch.uint8), flow)[:, 0].bool()
    return inside & same & _interior(now) & edges_after


def warping_error(ab: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor,
                  region: torch.Tensor | None = None) -> float:
    """E_warp of chrominance ``ab`` (T, 2, H, W) in Lab units along integer ``flow`` (T-1, 2, H, W),
    averaged over ``valid`` (T-1, H, W) bool (and, if given, ``region`` (T-1, H, W) bool, e.g. the
    ambiguous objects of frames 0..T-2). NaN when no pixel counts."""
    change = torch.linalg.vector_norm(follow_flow(ab[1:], flow) - ab[:-1], dim=1)  # (T-1, H, W)
    mask = valid if region is None else valid & region
    return float(change[mask].mean()) if mask.any() else float("nan")


def flicker(frames: torch.Tensor, flow: torch.Tensor, valid: torch.Tensor,
            region: torch.Tensor | None = None) -> float:
    """:func:`warping_error` of RGB ``frames`` (T, 3, H, W) (uint8, or float in [0, 1])."""
    return warping_error(frames_to_lab(frames)[:, 1:], flow, valid, region)


def estimated_warping_error(frames: torch.Tensor, tolerance: float = 2.0,
                            gray: torch.Tensor | None = None) -> float:
    """E_warp of RGB ``frames`` (T, 3, H, W) without known motion (see the module docstring).

    Each frame pair is aligned by :func:`estimate_shift` on the lightness of ``gray`` (the input
    video, (T, 3, H, W) or (T, 1, H, W) RGB/L frames; default: ``frames`` themselves), and pixels
    whose lightness differs by more than ``tolerance`` L units after alignment, or whose source
    lies outside the frame, are left out. NaN when no pixel counts.
    """
    lab = frames_to_lab(frames)
    L = lab[:, :1] if gray is None else (frames_to_lab(gray)[:, :1] if gray.shape[1] == 3 else gray)  # noqa: N806
    shifts = [estimate_shift(L[t, 0], L[t + 1, 0]) for t in range(len(L) - 1)]
    aligned, inside = shift_frames(torch.cat([L[1:], lab[1:, 1:]], dim=1), shifts)
    steady = (aligned[:, 0] - L[:-1, 0]).abs() <= tolerance
    change = torch.linalg.vector_norm(aligned[:, 1:] - lab[:-1, 1:], dim=1)
    mask = inside & steady
    return float(change[mask].mean()) if mask.any() else float("nan")
