"""Held-out evaluation of colorizers: one table of PSNR, SSIM, colourfulness (FID/KID optional).

Every method is scored on the same images against the same ground truth:
- the colorizers being compared (e.g. the GAN and the L1-only model),
- the gray baseline (ab = 0: the input itself, shown as a colour image),
- the ground truth, whose colourfulness is the target to reach (its PSNR is infinite).

Colourfulness is reported twice: over whole images and over the ambiguous-colour objects
only (balloons, cars), where an L1 model averages vivid hues to gray-brown.

Hint colorizers (Zhang et al. 2017) are scored with *simulated* user hints: N small squares of
the ground truth's mean colour at random places (:func:`gancolor.hints.sample_hints`), the same
for every model, fixed by a seed. :func:`evaluate_with_hints` gives PSNR against the number of
hints, which rises for a model that uses them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from tqdm.auto import tqdm

from gancolor.color import lab_to_rgb
from gancolor.hints import sample_hints
from gancolor.inference import Colorizer
from gancolor.runtime import derive_seed

__all__ = ["colorize_images", "gray_baseline", "score_images", "evaluate_colorizers", "evaluate_with_hints",
           "simulated_hints", "format_table", "METRIC_COLUMNS", "EVAL_HINT_SIZE"]

#: Side (px of the evaluated image) of each simulated hint square.
EVAL_HINT_SIZE = 3

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


def simulated_hints(ab_n: torch.Tensor, num_hints: int, seed: int = 0, first_index: int = 0,
                    size: int = EVAL_HINT_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """``num_hints`` simulated user hints per image, from the ground truth ``ab_n`` (N, 2, H, W).

    Image i of the batch gets the hints of the generator seeded by (seed, first_index + i): the
    hints of an image depend on its index in the evaluated set only, not on the batch size.
    Returns: hint_ab (N, 2, H, W) and mask (N, 1, H, W) in {0, 1} (see :func:`sample_hints`).
    """
    maps = [sample_hints(ab_n[i:i + 1], torch.Generator().manual_seed(derive_seed("eval-hints", seed,
                                                                                  first_index + i)),
                         min_size=size, max_size=size, num_hints=num_hints) for i in range(len(ab_n))]
    return torch.cat([m[0] for m in maps]), torch.cat([m[1] for m in maps])


@torch.no_grad()
def colorize_images(colorizer: Colorizer, images: torch.Tensor, batch_size: int = 64,
                    progress: bool = False, hints: int = 0, hint_seed: int = 0) -> torch.Tensor:
    """Colorize ground-truth images from their lightness (and, for a hint model, simulated hints).

    Inputs: ``images`` (N, 3, H, W) uint8. ``hints``: the number of hints per image simulated
    from the ground truth (:func:`simulated_hints`, seeded by ``hint_seed``); a colorizer without
    hint inputs ignores them and colorizes automatically.
    Returns: RGB (N, 3, H, W) float in [0, 1].
    """
    outputs = []
    starts = range(0, len(images), batch_size)
    for start in tqdm(starts, desc="colorizing", disable=not progress, leave=False):
        L_n, ab_n = _lab_inputs(images[start:start + batch_size])  # noqa: N806
        maps = (None, None)
        if hints and colorizer.takes_hints:
            maps = simulated_hints(ab_n, hints, seed=hint_seed, first_index=start)
        outputs.append(colorizer.colorize_lab(L_n, *maps))
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
                        with_fid: bool = False, progress: bool = False, hints: int = 0,
                        hint_seed: int = 0) -> dict[str, dict[str, float]]:
    """Score each colorizer, the gray baseline and the ground truth on the same images.

    Inputs: ``images`` (N, 3, H, W) uint8 ground truth; ``ambiguous`` (N, H, W) bool.
    ``with_fid``: also FID and KID against the ground truth (needs the Inception weights:
    raises :class:`~gancolor.errors.MissingWeightsError` with instructions when absent).
    ``hints``: hint colorizers get this many simulated hints per image (the same for all of them,
    fixed by ``hint_seed``); colorizers without hint inputs are scored automatically.
    Returns: {method name: {metric: value}}, ordered: colorizers, "gray", "ground truth".
    """
    target = images.float() / 255.0
    predictions = {name: colorize_images(model, images, progress=progress, hints=hints, hint_seed=hint_seed)
                   for name, model in colorizers.items()}
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


def evaluate_with_hints(colorizer: Colorizer, images: torch.Tensor, counts: Sequence[int] = (0, 1, 5, 20),
                        seed: int = 0, ambiguous: torch.Tensor | None = None, progress: bool = False
                        ) -> dict[int, dict[str, float]]:
    """Score a hint colorizer given ``count`` simulated hints per image, for each count.

    The hints of ``count`` + more are not a superset of those of ``count`` (each count draws its
    own), but all models see the same hints for a given (seed, count, image index).
    Inputs: ``images`` (N, 3, H, W) uint8 ground truth; ``ambiguous`` (N, H, W) bool or None.
    Returns: {count: {"psnr", "ssim", "colorfulness", "colorfulness_ambiguous"}}; for
    :func:`format_table`, name the rows e.g. ``{f"{k} hints": row for k, row in result.items()}``.
    Raises :class:`~gancolor.errors.UserError` for a colorizer without hint inputs.
    """
    colorizer._check_hints(any(counts))
    target = images.float() / 255.0
    return {int(count): score_images(colorize_images(colorizer, images, progress=progress, hints=int(count),
                                                     hint_seed=seed), target, ambiguous)
            for count in counts}


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
