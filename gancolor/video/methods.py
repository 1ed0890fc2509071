"""The video colorization methods, frame by frame: per-frame, smoothed, and the learned temporal gate.

Every method maps a clip's lightness and the per-frame colorizer's colours to the colours it shows:
``L`` (T, 1, H, W) L_n in [-1, 1] and ``ab_frame`` (T, 2, H, W) ab_n -> (T, 2, H, W) ab_n, one frame
after the other (a long video streams through :class:`Stream` with constant memory).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from tqdm.auto import tqdm

from gancolor.data.lab import lab_batch
from gancolor.errors import CheckpointError
from gancolor.infer.colorizer import Colorizer
from gancolor.model_files import TEMPORAL_FORMAT, build_generator, read_model_file
from gancolor.models.temporal_gate import Previous, TemporalGate, smoothing_step
from gancolor.runtime import package_root

__all__ = ["METHODS", "Stream", "TemporalModel", "default_temporal_path", "load_temporal", "per_frame_ab",
           "clip_ab_frames"]

#: How a temporal method turns (L_t, ab_frame_t, previous) into ab_t.
StepFn = Callable[[torch.Tensor, torch.Tensor, "Previous | None"], torch.Tensor]

#: The methods ``gancolor evaluate --task video`` compares (per-frame colorizer in brackets).
METHODS = ("per-frame (l1)", "per-frame (gan)", "smoothing (gan)", "temporal (gan)")


def default_temporal_path() -> Path:
    """The shipped temporal gate (trained by ``gancolor train temporal``; model card)."""
    return package_root() / "weights" / "temporal.pt"


class TemporalModel:
    """A trained :class:`TemporalGate` with the name of the per-frame colorizer it was trained on."""

    def __init__(self, gate: TemporalGate, per_frame: str, meta: dict) -> None:
        self.gate = gate.eval()
        self.per_frame = per_frame
        self.meta = meta

    @torch.no_grad()
    def step(self, L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous | None) -> torch.Tensor:  # noqa: N803
        """ab_n of frame t (N, 2, H, W) from L_n (N, 1, H, W), per-frame ab_n and the previous frame;
        frames are reflect-padded to the gate's size multiple."""
        if prev is None:
            return ab_frame
        height, width = L.shape[-2:]
        m = self.gate.size_multiple
        pad = (0, -width % m, 0, -height % m)

        def padded(x: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.pad(x, pad, mode="replicate") if any(pad) else x

        out = self.gate.step(padded(L), padded(ab_frame), Previous(padded(prev.L), padded(prev.ab)))
        return out[..., :height, :width]


def load_temporal(path: str | Path | None = None) -> TemporalModel:
    """Load a temporal colorizer file (``export_temporal``); None = the shipped one. A missing, corrupt
    or wrong-kind file raises :class:`~gancolor.errors.CheckpointError` (one line)."""
    path = Path(path) if path is not None else default_temporal_path()
    blob = read_model_file(path, TEMPORAL_FORMAT)
    gate = build_generator(blob.get("generator"), {"TemporalGate": TemporalGate}, path)
    per_frame = blob.get("per_frame", "gan")
    if not isinstance(per_frame, str):
        raise CheckpointError(path, f"per_frame must name a colorizer; got {per_frame!r}")
    return TemporalModel(gate, per_frame, {k: v for k, v in blob.items() if k != "generator"})


class Stream:
    """Colour a video one frame at a time: ``push(L_n, ab_frame) -> ab_n`` keeps only the last frame.

    ``step`` is a temporal method (``TemporalModel.step``, :func:`smoothing_step`), or None for
    per-frame colours.
    """

    def __init__(self, step: StepFn | None) -> None:
        self.step = step
        self.prev: Previous | None = None

    def push(self, L: torch.Tensor, ab_frame: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """(N, 1, H, W), (N, 2, H, W) -> (N, 2, H, W) ab_n of this frame."""
        ab = ab_frame if self.step is None else self.step(L, ab_frame, self.prev)
        self.prev = Previous(L, ab)
        return ab

    def run(self, L: torch.Tensor, ab_frame: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """A whole clip: (T, 1, H, W), (T, 2, H, W) -> (T, 2, H, W)."""
        return torch.cat([self.push(L[t : t + 1], ab_frame[t : t + 1]) for t in range(len(L))])


def smoothing(alpha: float = 0.9, tolerance: float = 2.0) -> StepFn:
    """The non-learned baseline as a step function (see :func:`smoothing_step`)."""

    def step(L: torch.Tensor, ab_frame: torch.Tensor, prev: Previous | None) -> torch.Tensor:  # noqa: N803
        return smoothing_step(L, ab_frame, prev, alpha, tolerance)

    return step


@torch.no_grad()
def per_frame_ab(colorizer: Colorizer, L: torch.Tensor, batch: int = 128) -> torch.Tensor:  # noqa: N803
    """The colorizer's ab_n for every frame at the frames' size: (N, 1, H, W) -> (N, 2, H, W)."""
    return torch.cat([colorizer.predict_ab(L[i : i + batch]) for i in range(0, len(L), batch)])


def clip_ab_frames(colorizer: Colorizer, frames: torch.Tensor, progress: bool = True) -> torch.Tensor:
    """Per-frame ab_n of clips: frames (N, T, 3, S, S) uint8 -> (N, T, 2, S, S) float16."""
    n, t, _, height, width = frames.shape
    out = torch.empty(n, t, 2, height, width, dtype=torch.float16)
    for i in tqdm(range(n), desc="per-frame colours", unit="clip", leave=False, disable=not progress):
        L, _ = lab_batch(frames[i])  # noqa: N806
        out[i] = per_frame_ab(colorizer, L).half()
    return out
