"""Held-out evaluation of colorizers: one table of PSNR, SSIM, colourfulness (FID/KID optional).

Every method is scored on the same images against the same ground truth:
- the colorizers being compared (e.g. the GAN and the L1-only model),
- the gray baseline (ab = 0: the input itself, shown as a colour image),
- the ground truth, whose colourfulness is the target to reach (its PSNR is infinite).

Colourfulness is reported twice: over whole images and over the ambiguous-colour objects
only (balloons, cars), where an L1 model averages vivid hues to gray-brown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from tqdm.auto import tqdm

from gancolor.color import lab_to_rgb
from gancolor.inference import Colorizer

__all__ = ["colorize_images", "gray_baseline", "score_images", "evaluate_colorizers", "format_table",
           "METRIC_COLUMNS"]

#: Table columns, in order, with their headings.
METRIC_COLUMNS = {
    "psnr": "PSNR dB",
    "ssim": "SSIM",
    "colorfulness": "colorful",
    "colorfulness_ambiguous": "colorful (ambig.)",
    "fid": "FID",
    "kid": "KID",
}


def _lab_inputs(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    from gancolor.data import lab_batch

    return lab_batch(images)


@torch.no_grad()
def colorize_images(colorizer: Colorizer, images: torch.Tensor, batch_size: int = 64,
                    progress: bool = False) -> torch.Tensor:
    """Colorize ground-truth images from their lightness alone.

    Inputs: ``images`` (N, 3, H, W) uint8. Returns: RGB (N, 3, H, W) float in [0, 1].
    """
    outputs = []
    for start in tqdm(range(0, len(images), batch_size), desc="colorizing", disable=not progress, leave=False):
        L_n, _ = _lab_inputs(images[start:start + batch_size])  # noqa: N806
        outputs.append(colorizer.colorize_lab(L_n))
    return torch.cat(outputs)


def gray_baseline(images: torch.Tensor) -> torch.Tensor:
    """The input lightness with zero chrominance: (N, 3, H, W) uint8 -> RGB float in [0, 1]."""
    L_n, ab_n = _lab_inputs(images)  # noqa: N806
    return lab_to_rgb(torch.cat(((L_n + 1.0) * 50.0, torch.zeros_like(ab_n)), dim=1))


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


def evaluate_colorizers(colorizers: Mapping[str, Colorizer], images: torch.Tensor,
                        ambiguous: torch.Tensor | None = None, fid_weights: str | None = None,
                        with_fid: bool = False, progress: bool = False) -> dict[str, dict[str, float]]:
    """Score each colorizer, the gray baseline and the ground truth on the same images.

    Inputs: ``images`` (N, 3, H, W) uint8 ground truth; ``ambiguous`` (N, H, W) bool.
    ``with_fid``: also FID and KID against the ground truth (needs the Inception weights:
    raises :class:`~gancolor.errors.MissingWeightsError` with instructions when absent).
    Returns: {method name: {metric: value}}, ordered: colorizers, "gray", "ground truth".
    """
    target = images.float() / 255.0
    predictions = {name: colorize_images(model, images, progress=progress) for name, model in colorizers.items()}
    predictions["gray"] = gray_baseline(images)
    predictions["ground truth"] = target
    results = {name: score_images(pred, target, ambiguous) for name, pred in predictions.items()}
    if with_fid:
        from gancolor.metrics import InceptionFeatureExtractor, fid_from_features, kid_from_features

        extractor = InceptionFeatureExtractor(weights_path=fid_weights)
        real = extractor.extract(target, progress=progress)
        for name, pred in predictions.items():
            fake = real if name == "ground truth" else extractor.extract(pred, progress=progress)
            results[name]["fid"] = fid_from_features(fake, real)
            results[name]["kid"] = kid_from_features(fake, real)[0]
    return results


def format_table(results: Mapping[str, Mapping[str, float]], digits: int = 2) -> str:
    """A plain-text table, one row per method and one column per metric present."""
    columns = [key for key in METRIC_COLUMNS if any(key in row for row in results.values())]
    name_width = max(len("method"), *(len(name) for name in results))
    headings = [METRIC_COLUMNS[key] for key in columns]
    widths = [max(len(heading), 8) for heading in headings]
    lines = ["  ".join([f"{'method':<{name_width}}"] + [f"{h:>{w}}" for h, w in zip(headings, widths)])]
    lines.append("-" * len(lines[0]))
    for name, row in results.items():
        cells = []
        for key, width in zip(columns, widths):
            value = row.get(key, math.nan)
            text = "-" if value is None or math.isnan(value) else ("inf" if math.isinf(value) else
                                                                    f"{value:.{3 if key == 'kid' else digits}f}")
            cells.append(f"{text:>{width}}")
        lines.append("  ".join([f"{name:<{name_width}}"] + cells))
    return "\n".join(lines)
