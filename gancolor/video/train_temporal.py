"""Train the temporal gate on the embedded clips on top of a shipped per-frame colorizer.

    python -m gancolor.video.train_temporal --steps 1500 --out runs/temporal [--resume]

writes ``runs/temporal/checkpoint.pt`` as it goes and ``runs/temporal/temporal.pt`` at the end (copy
it to ``gancolor/weights/temporal.pt`` to ship it). :func:`train_temporal_model` is the one call a
``gancolor train temporal`` sub-command needs.
"""

from __future__ import annotations

import argparse
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
                         progress: bool = True) -> tuple[TemporalTrainer, History, Path]:
    """Train on the train clips for ``steps`` steps; returns the trainer, history and exported file."""
    clips = load_clips("train")
    colorizer = load_colorizer(default_checkpoint(per_frame))
    ab_frame = clip_ab_frames(colorizer, clips.frames, progress=progress)
    trainer, history = train_temporal(config or TemporalConfig(), clips, ab_frame, steps, out_dir=out_dir,
                                      resume=resume, progress=progress)
    path = export_temporal(trainer, Path(out_dir) / "temporal.pt", per_frame=per_frame)
    return trainer, history, path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", default="runs/temporal")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--per-frame", default="gan")
    args = parser.parse_args(argv)
    _, history, path = train_temporal_model(args.steps, args.out, resume=args.resume,
                                            per_frame=args.per_frame)
    print(f"{path}: {len(history)} steps this run, {history.seconds:.0f} s of training in all")


if __name__ == "__main__":
    main()
