"""Whole-pixel motion between video frames: follow a displacement field, estimate a camera pan.

Two tools that the flicker metric (:mod:`gancolor.metrics.flicker`), the temporal colorizers
(:mod:`gancolor.models.temporal_gate`) and their training share:

- :func:`follow_flow` -- read frame t + 1 where each pixel of frame t goes (integer flow);
- :func:`estimate_shift` -- the global translation between two frames by phase correlation
  (Kuglin and Hines 1975): the peak of the inverse FFT of the normalised cross-power spectrum.
  It follows a camera pan exactly when most of the frame moves together, and says nothing about
  objects that move on their own;
- :func:`shift_frames` -- align frames by such translations, with the mask of pixels that stay inside.
"""

from __future__ import annotations

import torch

__all__ = ["follow_flow", "estimate_shift", "estimate_shifts", "shift_frames"]


def follow_flow(x_next: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """x_{t+1}(p + d_t(p)) for every pixel p: ``x_next`` (N, C, H, W), ``flow`` (N, 2, H, W) integer
    (dx, dy) px -> (N, C, H, W); positions outside the frame are clamped to its border (mask them)."""
    if flow.is_floating_point():
        raise TypeError("follow_flow takes whole-pixel flows (an integer tensor)")
    n, channels, height, width = x_next.shape
    ys, xs = torch.meshgrid(torch.arange(height, device=flow.device), torch.arange(width, device=flow.device),
                            indexing="ij")
    tx = (xs + flow[:, 0]).clamp(0, width - 1)
    ty = (ys + flow[:, 1]).clamp(0, height - 1)
    index = (ty * width + tx).reshape(n, 1, -1).expand(n, channels, -1)
    return x_next.reshape(n, channels, -1).gather(2, index.to(x_next.device)).reshape(x_next.shape)


def estimate_shift(L_prev: torch.Tensor, L_next: torch.Tensor,  # noqa: N803
                   max_shift: int | None = None) -> tuple[int, int]:
    """The global integer translation (dx, dy) taking frame t's content to frame t + 1's:
    ``L_prev``, ``L_next`` (H, W) lightness (any scale). ``max_shift`` bounds |dx|, |dy| (default a
    quarter of the shorter side). Two identical frames give (0, 0)."""
    height, width = L_prev.shape
    a = L_prev.double() - L_prev.double().mean()
    b = L_next.double() - L_next.double().mean()
    cross = torch.fft.fft2(b) * torch.fft.fft2(a).conj()
    corr = torch.fft.ifft2(cross / cross.abs().clamp_min(1e-9)).real
    limit = max_shift if max_shift is not None else max(1, min(height, width) // 4)
    dy, dx = torch.arange(height), torch.arange(width)
    dy = torch.where(dy > height // 2, dy - height, dy)
    dx = torch.where(dx > width // 2, dx - width, dx)
    far = (dy.abs()[:, None] > limit) | (dx.abs()[None, :] > limit)
    corr = corr.cpu().masked_fill(far, -torch.inf)
    k = int(corr.argmax())
    return int(dx[k % width]), int(dy[k // width])


def estimate_shifts(L_prev: torch.Tensor, L_next: torch.Tensor) -> list[tuple[int, int]]:  # noqa: N803
    """:func:`estimate_shift` for each pair of a batch: (N, 1, H, W) twice -> N shifts (dx, dy)."""
    return [estimate_shift(a[0], b[0]) for a, b in zip(L_prev, L_next, strict=True)]


def shift_frames(x_next: torch.Tensor, shifts: list[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Align each frame t + 1 to frame t by its global shift: x_next (N, C, H, W), shifts[i] = (dx, dy)
    -> (aligned (N, C, H, W), inside (N, H, W) bool: the pixels whose source lies in the frame)."""
    n, _, height, width = x_next.shape
    flow = torch.tensor(shifts, dtype=torch.int64, device=x_next.device).reshape(n, 2, 1, 1)
    flow = flow.expand(n, 2, height, width)
    ys, xs = torch.meshgrid(torch.arange(height, device=x_next.device),
                            torch.arange(width, device=x_next.device), indexing="ij")
    tx, ty = xs + flow[:, 0], ys + flow[:, 1]
    inside = (tx >= 0) & (tx < width) & (ty >= 0) & (ty < height)
    return follow_flow(x_next, flow), inside
