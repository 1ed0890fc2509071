"""PSNR and flicker of the video methods on the embedded clips (``gancolor evaluate --task video``).

For every clip of a split, each method of :data:`gancolor.video.methods.METHODS` colours the frames
from their lightness; the result (true L, predicted ab) is scored against the true frames:

- ``psnr``: mean PSNR (dB) over all frames, as :func:`gancolor.metrics.psnr` on 8-bit RGB;
- ``flicker``: the warping error along the clips' true motion (:func:`gancolor.metrics.flicker.
  warping_error`, ab units), over every aligned pixel, and ``flicker_ambiguous`` over the balloons and
  car bodies only (the objects whose colour a per-frame GAN must guess anew in every frame);
- ``flicker_estimated``: the warping error under the estimated camera pan, what one can measure on a
  real video (:func:`gancolor.metrics.flicker.estimated_warping_error`).

The true frames are scored too (``truth``: flicker 0 up to rounding), as a sanity line.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from tqdm.auto import tqdm

from gancolor.color import AB_SCALE, L_SCALE, lab_to_rgb
from gancolor.data.clips import load_clips
from gancolor.data.lab import lab_batch
from gancolor.infer.colorizer import default_checkpoint, load_colorizer
from gancolor.metrics import psnr
from gancolor.metrics.flicker import estimated_warping_error, frames_to_lab, true_motion_mask, warping_error
from gancolor.video.methods import METHODS, Stream, load_temporal, per_frame_ab, smoothing

__all__ = ["evaluate_video", "format_video_report", "SCORES"]

#: The scores of each method, in report order.
SCORES = ("psnr", "flicker", "flicker_ambiguous", "flicker_estimated")


def _to_rgb8(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """L_n (T, 1, H, W), ab_n (T, 2, H, W) -> RGB (T, 3, H, W) uint8."""
    lab = torch.cat([(L + 1.0) * L_SCALE, ab.float() * AB_SCALE], dim=1)
    return lab_to_rgb(lab).mul(255.0).round().to(torch.uint8)


def evaluate_video(split: str = "test", temporal: str | Path | None = None, *, limit: int | None = None,
                   alpha: float = 0.9, progress: bool = True) -> dict:
    """Score every method on the clips of ``split`` (``limit``: only the first clips).

    ``temporal``: a temporal colorizer file (default: the shipped one). Returns
    ``{"split", "clips", "frames", "methods": {name: {score: float}}, "truth": {score: float}}``
    with the :data:`SCORES` per method (means over clips weighted by their pixels/frames).
    """
    clips = load_clips(split)  # type: ignore[arg-type]
    n = len(clips) if limit is None else min(limit, len(clips))
    gate = load_temporal(temporal)
    colorizers = {mode: load_colorizer(default_checkpoint(mode)) for mode in ("gan", "l1")}
    names = (*METHODS, "truth")
    totals: dict[str, dict[str, list[float]]] = {name: {s: [] for s in SCORES} for name in names}
    for i in tqdm(range(n), desc=f"video {split}", unit="clip", leave=False, disable=not progress):
        frames = clips.frames[i]
        L, _ = lab_batch(frames)  # noqa: N806
        flow = clips.flow(i)
        valid = true_motion_mask(clips.ids[i].long(), flow)
        region = clips.ambiguous[i, :-1]
        ab_frame = {name: per_frame_ab(c, L) for name, c in colorizers.items()}
        outputs = {
            "per-frame (l1)": ab_frame["l1"],
            "per-frame (gan)": ab_frame["gan"],
            "smoothing (gan)": Stream(smoothing(alpha)).run(L, ab_frame["gan"]),
            "temporal (gan)": Stream(gate.step).run(L, ab_frame[gate.per_frame]),
        }
        for name, ab in outputs.items():
            _score(totals[name], frames, _to_rgb8(L, ab), flow, valid, region)
        _score(totals["truth"], frames, frames, flow, valid, region)
    means = {name: {s: _mean(v) for s, v in scores.items()} for name, scores in totals.items()}
    return {"split": split, "clips": n, "frames": int(clips.frames.shape[1]),
            "methods": {name: means[name] for name in METHODS}, "truth": means["truth"]}


def _score(into: dict[str, list[float]], truth: torch.Tensor, rgb: torch.Tensor, flow: torch.Tensor,
           valid: torch.Tensor, region: torch.Tensor) -> None:
    """Append one clip's scores of ``rgb`` (T, 3, H, W) uint8 against ``truth``."""
    ab = frames_to_lab(rgb)[:, 1:]
    into["psnr"].append(float(psnr(rgb, truth).clamp(max=100.0).mean()))
    into["flicker"].append(warping_error(ab, flow, valid))
    into["flicker_ambiguous"].append(warping_error(ab, flow, valid, region))
    into["flicker_estimated"].append(estimated_warping_error(rgb, gray=truth))


def _mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else float("nan")


def format_video_report(result: dict) -> str:
    """The result of :func:`evaluate_video` as a plain-text table, one method per line."""
    head = f"{'method':<18}{'PSNR dB':>9}{'flicker':>9}{'ambiguous':>11}{'estimated':>11}"
    lines = [f"video colorization, {result['split']} clips: {result['clips']} x {result['frames']} frames",
             head, "-" * len(head)]
    for name, scores in [*result["methods"].items(), ("true colours", result["truth"])]:
        lines.append(f"{name:<18}{scores['psnr']:>9.2f}{scores['flicker']:>9.2f}"
                     f"{scores['flicker_ambiguous']:>11.2f}{scores['flicker_estimated']:>11.2f}")
    lines.append("flicker: mean |Δab| (CIE Lab) between consecutive frames along the true motion, on the "
                 "pixels it aligns; ambiguous: balloons and cars only; estimated: along the estimated "
                 "camera pan, as measurable on real video")
    return "\n".join(lines)
