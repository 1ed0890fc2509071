"""Colorize a video file: ``colorize_video("old_film.mp4", "out/old_film.mp4", colorizer)``.

Each frame is colorized as a photo is (:func:`gancolor.inference.render_full_resolution`: chrominance
predicted at the colorizer's working size, upsampled, joined to the frame's own full-resolution
lightness), with a temporal method between the per-frame prediction and the upsampling, so the
colours of frame t also depend on those of frame t - 1. Frames stream through: memory does not grow
with the length of the video.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Literal

from tqdm.auto import tqdm

from gancolor.errors import UserError
from gancolor.imageio import write_image
from gancolor.infer.colorizer import Colorizer, default_checkpoint, load_colorizer
from gancolor.infer.full_resolution import render_full_resolution
from gancolor.video.io import VideoReader, VideoWriter
from gancolor.video.methods import Stream, TemporalModel, default_temporal_path, load_temporal, smoothing

__all__ = ["TEMPORAL_CHOICES", "colorize_video", "load_video_colorizer", "output_path"]

#: What ``temporal`` may be besides a loaded :class:`TemporalModel`.
TEMPORAL_CHOICES = ("none", "smoothing")


def load_video_colorizer(checkpoint: str | os.PathLike | None = None,
                         temporal: str | os.PathLike | None = None,
                         device: str = "cpu") -> tuple[Colorizer, TemporalModel | str]:
    """The per-frame colorizer and temporal method ``gancolor colorize clip.mp4`` uses.

    ``temporal``: a temporal colorizer file, ``"smoothing"``, ``"none"``, or None for the shipped
    gate (``"smoothing"`` if none is shipped). ``checkpoint``: the per-frame colorizer; None means
    the shipped one the temporal model was trained on (the GAN), or the default colorizer without a
    gate.
    """
    model: TemporalModel | str
    if temporal is None:
        model = load_temporal() if default_temporal_path().exists() else "smoothing"
    elif str(temporal) in TEMPORAL_CHOICES:
        model = str(temporal)
    else:
        model = load_temporal(temporal)
    if checkpoint is not None:
        return load_colorizer(checkpoint, device=device), model
    if isinstance(model, TemporalModel):
        return load_colorizer(default_checkpoint(model.per_frame), device=device), model
    return load_colorizer(device=device), model


def output_path(path_in: str | os.PathLike, out_dir: str | os.PathLike, frames: bool = False) -> Path:
    """Where ``gancolor colorize clip.mp4 -o out/`` writes: ``out/clip.mp4`` (GIF in, GIF out; other
    containers become MP4), or the folder ``out/clip/`` of numbered PNG frames with ``frames``."""
    path_in = Path(path_in)
    if frames:
        return Path(out_dir) / path_in.stem
    return Path(out_dir) / (path_in.stem + (".gif" if path_in.suffix.lower() == ".gif" else ".mp4"))


def colorize_video(path_in: str | os.PathLike, path_out: str | os.PathLike, colorizer: Colorizer,
                   temporal: TemporalModel | Literal["none", "smoothing"] = "smoothing", *,
                   frames: bool = False, audio: bool = True, progress: bool = True) -> dict:
    """Colour every frame of ``path_in`` and write ``path_out`` (.mp4 or .gif, chosen by its name), or,
    with ``frames``, numbered PNGs ``path_out/000001.png`` ...

    ``temporal``: a trained :class:`TemporalModel` (it should sit on top of the same kind of
    per-frame colorizer it was trained with), ``"smoothing"`` (motion-compensated smoothing of ab,
    no training) or ``"none"`` (per-frame). The output keeps the input's size, frame rate, frame
    count and (MP4, ``audio``) its audio track. Returns ``{"path", "frames", "seconds", "fps"}``.
    Unreadable or truncated input raises :class:`~gancolor.errors.VideoReadError` (one line).
    """
    step = temporal.step if isinstance(temporal, TemporalModel) else \
        smoothing() if temporal == "smoothing" else None
    if not isinstance(temporal, TemporalModel) and temporal not in TEMPORAL_CHOICES:
        raise UserError(f"unknown temporal method {temporal!r}; choose {', '.join(TEMPORAL_CHOICES)} "
                        "or a temporal colorizer file")
    stream = Stream(step)

    def predict_ab(L_n, *maps):  # noqa: N803 - render_full_resolution's interface, hints unused
        return stream.push(L_n, colorizer.predict_ab(L_n))

    path_out = Path(path_out)
    started = time.perf_counter()
    with VideoReader(path_in) as reader:
        info = reader.info
        bar = tqdm(total=info.frames or None, desc=Path(path_in).name, unit="frame", disable=not progress)
        count = 0
        try:
            if frames:
                path_out.mkdir(parents=True, exist_ok=True)
                for count, rgb in enumerate(reader, 1):
                    out = render_full_resolution(rgb, colorizer.working_size, predict_ab)
                    write_image(path_out / f"{count:06d}.png", out)
                    bar.update(1)
            else:
                with VideoWriter(path_out, info.width, info.height, info.fps,
                                 audio_from=path_in if audio and info.audio else None) as writer:
                    for rgb in reader:
                        writer.write(render_full_resolution(rgb, colorizer.working_size, predict_ab))
                        bar.update(1)
                    count = writer.count
        finally:
            bar.close()
    seconds = time.perf_counter() - started
    return {"path": str(path_out), "frames": count, "seconds": seconds, "fps": count / max(seconds, 1e-9)}
