"""A model's gain over its best baseline from per-image scores, with the standard error of that gain.

The tables of :mod:`gancolor.evaluation` report means; :func:`gain_over_best` says whether a
difference of means is more than the luck of the test images drawn. Every method scores the same
images, so the comparison is paired: the error is that of the mean per-image difference (notebook 07,
exercise 7.3), smaller than the two methods' errors added when their scores move together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

__all__ = ["gain_over_best"]


def gain_over_best(per_image: Mapping[str, object], model: str,
                   baselines: Sequence[str]) -> tuple[float, float, str]:
    """``(mean gain, its standard error, best baseline)`` of ``model`` over the best of ``baselines``.

    Inputs: ``per_image`` {method: (N,) scores, higher is better (e.g. PSNR in dB), tensor, array or
    list}, N >= 2, the same images in the same order for every method. The best baseline is the one
    with the highest mean score, chosen once for the whole set (never per image: that would look at
    the truth to choose). The error is std(model - best) / sqrt(N), with the N - 1 variance.
    """
    if model not in per_image or not baselines or any(name not in per_image for name in baselines):
        raise ValueError(f"per_image must hold the model {model!r} and every baseline {list(baselines)}; "
                         f"it holds {sorted(per_image)}")
    scores = {name: torch.as_tensor(per_image[name], dtype=torch.float64).reshape(-1)
              for name in (model, *baselines)}
    sizes = {len(values) for values in scores.values()}
    if len(sizes) != 1 or sizes.pop() < 2:
        raise ValueError("every method needs a score for each of the same N >= 2 images")
    best = max(baselines, key=lambda name: float(scores[name].mean()))
    diff = scores[model] - scores[best]
    return float(diff.mean()), float(diff.std() / math.sqrt(len(diff))), best
