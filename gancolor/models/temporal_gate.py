"""Temporal colorizers: colour frame t from its per-frame colours and the colours already given to t - 1.

Both work frame by frame (a video streams through them) on normalised tensors at the working size:
``L`` (N, 1, H, W) in [-1, 1] and ``ab`` (N, 2, H, W) in [-1, 1] (see :mod:`gancolor.color`). The
per-frame colours ``ab_frame`` come from any colorizer (e.g. the GAN); the previous output is first
aligned to frame t by the camera motion that :func:`gancolor.flow.estimate_shift` finds in L.

- :func:`smoothing_step` (non-learned): where the aligned previous frame's lightness matches this
  one (|ΔL| <= ``tolerance``), keep ``alpha`` of the previous colour and take 1 - alpha of the new
  one (an exponential moving average along the motion); elsewhere (moving objects, new content,
  the border the pan uncovers) take the new colour.
- :class:`TemporalGate` (learned, recurrent): a small U-Net sees (L_t, ab_frame_t, the aligned
  previous output, the aligned previous L, the inside mask) and outputs a gate g in [0, 1] per
  pixel; the colour of frame t is

      ab_t = g * ab_{t-1}(aligned) + (1 - g) * ab_frame_t

  so it can only choose between colours the per-frame colorizer or the past gave, which keeps them
  as vivid as the GAN's, and it learns where the past colour still applies (trained by
  :mod:`gancolor.train.temporal_consistency` on the clips of :mod:`gancolor.data.clips`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gancolor.color import L_SCALE
from gancolor.flow import estimate_shifts, shift_frames
from gancolor.models.unet import UNetGenerator

__all__ = ["Previous", "align_previous", "smoothing_step", "TemporalGate", "GATE_INPUTS"]

#: Input channels of the gate network: L_t, ab_frame (2), aligned previous ab (2), aligned L_{t-1}, inside.
GATE_INPUTS = 7


@dataclass
class Previous:
    """What a temporal colorizer carries from frame t - 1: ``L`` (N, 1, H, W), its ``ab`` (N, 2, H, W)."""

    L: torch.Tensor  # noqa: N815
    ab: torch.Tensor


def align_previous(L: torch.Tensor, prev: Previous) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # noqa: N803
    """The previous frame's L and ab moved onto frame t by the estimated camera shift.

    Returns (L_prev (N, 1, H, W), ab_prev (N, 2, H, W), inside (N, 1, H, W) float in {0, 1}).
    The shift is estimated without gradients (it is a choice, not a function to learn through).
    """
    with torch.no_grad():
        # estimate_shift gives where t-1's content went in t; aligning reads t-1 at p - shift.
        shifts = [(-dx, -dy) for dx, dy in estimate_shifts(prev.L.detach().float(), L.detach().float())]
    moved, inside = shift_frames(torch.cat([prev.L, prev.ab], dim=1), shifts)
    return moved[:, :1], moved[:, 1:], inside[:, None].to(L.dtype)


def smoothing_step(L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous | None,  # noqa: N803
                   alpha: float = 0.9, tolerance: float = 2.0) -> torch.Tensor:
    """ab of frame t by motion-compensated exponential smoothing (see the module docstring).

    ``tolerance`` is in L units (0..100). Returns (N, 2, H, W); the first frame (``prev`` None) keeps
    its per-frame colours.
    """
    if prev is None:
        return ab_frame
    L_prev, ab_prev, inside = align_previous(L, prev)  # noqa: N806
    steady = inside * ((L - L_prev).abs() * L_SCALE <= tolerance).to(L.dtype)
    return ab_frame + steady * alpha * (ab_prev - ab_frame)


class TemporalGate(nn.Module):
    """The learned recurrent step: a U-Net that gates between the past colours and the new ones.

    Inputs: ``width``, ``depth`` of the U-Net (64 px frames need depth <= 6). Call :meth:`step`
    frame by frame; ``forward(x)`` is the raw U-Net on the stacked inputs (N, 7, H, W) -> (N, 1, H, W)
    gate logits.
    """

    def __init__(self, width: int = 16, depth: int = 4, max_width: int = 128) -> None:
        super().__init__()
        self.config = dict(width=width, depth=depth, max_width=max_width)
        self.net = UNetGenerator(in_channels=GATE_INPUTS, out_channels=1, width=width, depth=depth,
                                 max_width=max_width, norm="instance", dropout=0.0, output="logits")
        self.size_multiple = self.net.size_multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def step(self, L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous | None) -> torch.Tensor:  # noqa: N803
        """ab of frame t: (N, 1, H, W) L and (N, 2, H, W) per-frame ab -> (N, 2, H, W); H, W multiples
        of ``size_multiple``. The first frame keeps its per-frame colours."""
        if prev is None:
            return ab_frame
        L_prev, ab_prev, inside = align_previous(L, prev)  # noqa: N806
        x = torch.cat([L, ab_frame, ab_prev, L_prev, inside], dim=1)
        gate = torch.sigmoid(self.net(x)) * inside
        return ab_frame + gate * (ab_prev - ab_frame)
