"""Stylization baselines: the mean target image and Reinhard colour transfer, and the gain over the best."""

from __future__ import annotations

import pytest
import torch

from gancolor.color import rgb_to_lab, uint8_to_unit
from gancolor.evaluation.style_baselines import (
    MeanImage,
    ReinhardTransfer,
    gain_over_best_baseline,
    score_style_baselines,
)


def images(n: int, seed: int, low: int = 0, high: int = 256, size: int = 16) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(low, high, (n, 3, size, size), dtype=torch.uint8, generator=g)


def test_mean_image_is_the_pixelwise_mean_whatever_the_input():
    targets = torch.stack([torch.full((3, 4, 4), value, dtype=torch.uint8) for value in (10, 30)])
    mean = MeanImage.fit(targets)
    out = mean(images(3, 0, size=4))
    assert out.dtype == torch.uint8 and out.shape == (3, 3, 4, 4) and bool((out == 20).all())
    assert mean(images(1, 0, size=8)).shape == (1, 3, 8, 8)  # resized to another size
    with pytest.raises(ValueError, match="uint8"):
        MeanImage.fit(targets.float())


def test_reinhard_matches_the_target_lab_mean_and_std():
    targets = images(6, 1, low=120, high=220)
    transfer = ReinhardTransfer.fit(targets)
    out = transfer(images(2, 2, low=0, high=100))
    lab = rgb_to_lab(uint8_to_unit(out)).double()
    for image in lab:
        assert torch.allclose(image.mean(dim=(1, 2)), transfer.mean, atol=1.5)  # uint8 rounding, gamut clip
        assert torch.allclose(image.std(dim=(1, 2), correction=0), transfer.std, rtol=0.1, atol=1.0)
    # An image of the target domain's statistics already is left (nearly) as it was.
    same = ReinhardTransfer.fit(targets[:1])
    assert (same(targets[:1]).int() - targets[:1].int()).abs().max() <= 2


def test_scores_and_gain_over_the_best_baseline():
    source, target = images(4, 3), images(4, 4, low=100, high=140)
    results = score_style_baselines(images(8, 5, low=100, high=140), source, target)
    assert set(results) == {"identity", "mean target", "Reinhard"}
    assert results["mean target"]["psnr"] > results["identity"]["psnr"]
    results["model"] = {"psnr": results["mean target"]["psnr"] + 2.0, "ssim": 0.0}
    gain, best = gain_over_best_baseline(results, "model")
    assert best == max(("identity", "mean target", "Reinhard"), key=lambda k: results[k]["psnr"])
    assert gain == pytest.approx(results["model"]["psnr"] - results[best]["psnr"])
