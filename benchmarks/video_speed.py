"""Frames per second of ``colorize_video`` on a 640x360 MP4 (issue 13 asks for >= 10 on this CPU).

    python benchmarks/video_speed.py [--frames 48] [--threads 2]

The test video is made here: test clips of the embedded data, upscaled to 640x360 and encoded as
H.264. The whole pipeline is timed (decode, per-frame prediction at the colorizer's working size,
temporal method, upsampling, Lab->RGB at full size, encode), per temporal method.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import torch
import torch.nn.functional as F


def make_video(path: Path, frames: int) -> Path:
    """A 640x360 H.264 MP4 of ``frames`` frames cut from the test clips."""
    from gancolor.data.clips import load_clips
    from gancolor.video.io import VideoWriter

    clips = load_clips("test").frames
    with VideoWriter(path, 640, 360, Fraction(25)) as writer:
        for i in range(frames):
            clip, t = divmod(i, clips.shape[1])
            small = clips[clip % len(clips), t][None].float()
            big = F.interpolate(small, size=(360, 640), mode="bilinear", align_corners=False)
            writer.write(big[0].round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy())
    return path


def video_fps(frames: int = 48) -> dict[str, float]:
    """Frames per second of the whole pipeline on a 640x360 H.264 video of ``frames`` frames, per
    temporal method (per-frame, smoothing and, when shipped, the learned temporal gate)."""
    from gancolor.inference import default_checkpoint, load_colorizer
    from gancolor.video.colorize_file import colorize_video
    from gancolor.video.methods import default_temporal_path, load_temporal

    gan = load_colorizer(default_checkpoint("gan"))
    methods: dict[str, object] = {"per-frame": "none", "smoothing": "smoothing"}
    if default_temporal_path().exists():
        methods["temporal gate"] = load_temporal()
    with tempfile.TemporaryDirectory() as tmp:
        source = make_video(Path(tmp) / "in.mp4", frames)
        colorize_video(source, Path(tmp) / "warmup.mp4", gan, "none", progress=False)
        return {name: colorize_video(source, Path(tmp) / "out.mp4", gan, method, progress=False)["fps"]  # type: ignore[arg-type]
                for name, method in methods.items()}


def video_rows(frames: int = 48) -> list[tuple[str, str]]:
    """The results table's rows: frames per second of each temporal method at 640x360."""
    return [(f"colorize a 640x360 video ({frames} frames), {name}", f"{fps:.1f} frames/s")
            for name, fps in video_fps(frames).items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"640x360, {args.frames} frames, {args.threads} thread(s), load {os.getloadavg()[0]:.1f}")
    for name, fps in video_fps(args.frames).items():
        print(f"{name:<14} {fps:6.1f} frames/s")


if __name__ == "__main__":
    main()
