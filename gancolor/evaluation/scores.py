"""The scores of an evaluation and their table: PSNR, SSIM, colourfulness per method (FID/KID optional).

Every evaluation of :mod:`gancolor.evaluation` scores its methods' outputs against the same ground
truth with :func:`score_images` (and :func:`add_fid_kid`), and prints them with :func:`format_table`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

__all__ = ["METRIC_COLUMNS", "score_images", "add_fid_kid", "format_table"]

#: Table columns, in order, with their headings.
METRIC_COLUMNS = {
    "psnr": "PSNR dB",
    "ssim": "SSIM",
    "colorfulness": "colorful",
    "colorfulness_ambiguous": "colorful (ambig.)",
    "fid": "FID",
    "kid": "KID",
    "palette_de": "palette dE",  # photo -> painting: distance to the painter's palette (painting_eval)
}


def _nanmean(values: torch.Tensor) -> float:
    finite = values[~torch.isnan(values)]
    return float(finite.mean()) if len(finite) else math.nan


def score_images(pred: torch.Tensor, target: torch.Tensor, ambiguous: torch.Tensor | None = None
                 ) -> dict[str, float]:
    """Mean metrics of predictions against targets.

    Inputs: ``pred``, ``target`` (N, 3, H, W) in [0, 1]; ``ambiguous`` (N, H, W) bool or None.
    Returns: {"psnr", "ssim", "colorfulness", "colorfulness_ambiguous"}; PSNR is averaged over
    images with finite PSNR (identical images have infinite PSNR and are reported as inf).
    """
    from gancolor.metrics import colorfulness, psnr, ssim

    psnr_values = psnr(pred, target)
    finite = psnr_values[torch.isfinite(psnr_values)]
    scores = {
        "psnr": float(finite.mean()) if len(finite) else math.inf,
        "ssim": float(ssim(pred, target).mean()),
        "colorfulness": float(colorfulness(pred).mean()),
        "colorfulness_ambiguous": math.nan,
    }
    if ambiguous is not None and bool(ambiguous.any()):
        scores["colorfulness_ambiguous"] = _nanmean(colorfulness(pred, mask=ambiguous))
    return scores


def add_fid_kid(results: Mapping[str, dict[str, float]], predictions: Mapping[str, torch.Tensor],
                target: torch.Tensor, fid_weights: str | None = None, progress: bool = False) -> None:
    """Add "fid" and "kid" of each method's ``predictions`` against the real ``target`` to ``results``.

    Inputs: ``predictions`` {method: (N, 3, H, W)} and ``target`` (M, 3, H, W), float in [0, 1] or
    uint8; ``results`` {method: scores} with a row per method. A prediction that *is* ``target`` (the
    ground truth row) reuses its features. Needs the Inception weights: raises
    :class:`~gancolor.errors.MissingWeightsError` with instructions when absent.
    """
    from gancolor.metrics import InceptionFeatureExtractor, fid_from_features, kid_from_features

    extractor = InceptionFeatureExtractor(weights_path=fid_weights)
    real = extractor.extract(target, progress=progress)
    for name, pred in predictions.items():
        fake = real if pred is target else extractor.extract(pred, progress=progress)
        results[name]["fid"] = fid_from_features(fake, real)
        results[name]["kid"] = kid_from_features(fake, real)[0]


def format_table(results: Mapping[str, Mapping[str, float]], digits: int = 2) -> str:
    """A plain-text table, one row per method and one column per metric present."""
    columns = [key for key in METRIC_COLUMNS if any(key in row for row in results.values())]
    name_width = max(len("method"), *(len(name) for name in results))
    headings = [METRIC_COLUMNS[key] for key in columns]
    widths = [max(len(heading), 8) for heading in headings]
    header = [f"{'method':<{name_width}}"] + [f"{h:>{w}}" for h, w in zip(headings, widths, strict=True)]
    lines = ["  ".join(header)]
    lines.append("-" * len(lines[0]))
    for name, row in results.items():
        cells = []
        for key, width in zip(columns, widths, strict=True):
            value = row.get(key, math.nan)
            places = 3 if key == "kid" else digits
            text = "-" if value is None or math.isnan(value) else ("inf" if math.isinf(value) else
                                                                    f"{value:.{places}f}")
            cells.append(f"{text:>{width}}")
        lines.append("  ".join([f"{name:<{name_width}}"] + cells))
    return "\n".join(lines)
