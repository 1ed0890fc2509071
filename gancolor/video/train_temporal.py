"""Train the temporal gate on the embedded clips on top of a shipped per-frame colorizer.

    gancolor train temporal --steps 900 --out runs/temporal [--resume]

writes ``runs/temporal/checkpoint.pt`` as it goes and ``runs/temporal/temporal.pt`` at the end (copy
it to ``gancolor/weights/temporal.pt`` to ship it); :func:`train_temporal_model` is what it calls.
"""

from __future__ import annotations

import os
from pathlib import Path

from gancolor.data.clips import load_clips
from gancolor.infer.colorizer import default_checkpoint, load_colorizer
from gancolor.train.loop import History
from gancolor.train.temporal_consistency import (
    TemporalConfig,
    TemporalTrainer,
    export_temporal,
    train_temporal,
)
from gancolor.video.methods import clip_ab_frames

__all__ = ["train_temporal_model"]


def train_temporal_model(steps: int, out_dir: str | os.PathLike, *, resume: bool = False,
                         per_frame: str = "gan", config: TemporalConfig | None = None,
                         progress: bool = True, checkpoint_every: int = 200,
                         device: str | None = None) -> tuple[TemporalTrainer, History, Path]:
    """Train on the train clips for ``steps`` steps; returns the trainer, history and exported file."""
    clips = load_clips("train")
    colorizer = load_colorizer(default_checkpoint(per_frame))
    ab_frame = clip_ab_frames(colorizer, clips.frames, progress=progress)
    trainer, history = train_temporal(config or TemporalConfig(), clips, ab_frame, steps, out_dir=out_dir,
                                      resume=resume, progress=progress, device=device,
                                      checkpoint_every=checkpoint_every)
    path = export_temporal(trainer, Path(out_dir) / "temporal.pt", per_frame=per_frame)
    return trainer, history, path
