"""Held-out evaluation of colorizers: one table of PSNR, SSIM, colourfulness (FID/KID optional).

Every method is scored on the same images against the same ground truth:
- the colorizers being compared (e.g. the GAN and the L1-only model),
- the gray baseline (ab = 0: the input itself, shown as a colour image),
- the ground truth, whose colourfulness is the target to reach (its PSNR is infinite).

Colourfulness is reported twice: over whole images and over the ambiguous-colour objects
only (balloons, cars), where an L1 model averages vivid hues to gray-brown.

Hint colorizers (Zhang et al. 2017) are scored with *simulated* user hints: N small squares of
the ground truth's mean colour at random places (:func:`gancolor.data.hint_maps.sample_hints`), the same
for every model, fixed by a seed. :func:`evaluate_with_hints` gives PSNR against the number of
hints, which rises for a model that uses them. Print the results with
:func:`gancolor.evaluation.scores.format_table`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from tqdm.auto import tqdm

from gancolor.color import uint8_to_unit
from gancolor.data.hint_maps import sample_hints
from gancolor.data.lab import lab_batch
from gancolor.evaluation.baseline_colorizers import gray_baseline
from gancolor.evaluation.scores import add_fid_kid, score_images
from gancolor.infer.colorizer import Colorizer
from gancolor.runtime import derive_seed

__all__ = ["colorize_images", "evaluate_colorizers", "evaluate_with_hints", "simulated_hints",
           "EVAL_HINT_SIZE"]

#: Side (px of the evaluated image) of each simulated hint square.
EVAL_HINT_SIZE = 3


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
        L_n, ab_n = lab_batch(images[start:start + batch_size])  # noqa: N806
        maps = (None, None)
        if hints and colorizer.takes_hints:
            maps = simulated_hints(ab_n, hints, seed=hint_seed, first_index=start)
        outputs.append(colorizer.colorize_lab(L_n, *maps))
    return torch.cat(outputs)


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
    target = uint8_to_unit(images)
    predictions = {name: colorize_images(model, images, progress=progress, hints=hints, hint_seed=hint_seed)
                   for name, model in colorizers.items()}
    predictions["gray"] = gray_baseline(images)
    predictions["ground truth"] = target
    results = {name: score_images(pred, target, ambiguous) for name, pred in predictions.items()}
    if with_fid:
        add_fid_kid(results, predictions, target, fid_weights, progress)
    return results


def evaluate_with_hints(colorizer: Colorizer, images: torch.Tensor, counts: Sequence[int] = (0, 1, 5, 20),
                        seed: int = 0, ambiguous: torch.Tensor | None = None, progress: bool = False
                        ) -> dict[int, dict[str, float]]:
    """Score a hint colorizer given ``count`` simulated hints per image, for each count.

    The hints of ``count`` + more are not a superset of those of ``count`` (each count draws its
    own), but all models see the same hints for a given (seed, count, image index).
    Inputs: ``images`` (N, 3, H, W) uint8 ground truth; ``ambiguous`` (N, H, W) bool or None.
    Returns: {count: {"psnr", "ssim", "colorfulness", "colorfulness_ambiguous"}}; for
    :func:`~gancolor.evaluation.scores.format_table`, name the rows e.g.
    ``{f"{k} hints": row for k, row in result.items()}``.
    Raises :class:`~gancolor.errors.UserError` for a colorizer without hint inputs.
    """
    colorizer._check_hints(any(counts))
    target = uint8_to_unit(images)
    return {int(count): score_images(colorize_images(colorizer, images, progress=progress, hints=int(count),
                                                     hint_seed=seed), target, ambiguous)
            for count in counts}
