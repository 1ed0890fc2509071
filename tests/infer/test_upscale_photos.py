"""Super-resolution colorization of photos of any size (gancolor.infer.upscaler) and its evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import smooth_photo

from gancolor.errors import CheckpointError, UserError
from gancolor.infer.upscaler import SuperResolver, load_superres
from gancolor.models.upsampling import UpsamplingGenerator


@pytest.fixture(scope="module")
def model() -> SuperResolver:
    torch.manual_seed(0)
    return SuperResolver(UpsamplingGenerator(scale=2, width=8, depth=2, max_width=16, features=8).eval(),
                         scale=2, tile=48)


def test_tiles_give_the_same_image_as_one_pass_away_from_tile_edges(model):
    L = torch.rand(1, 1, 70, 90) * 2 - 1  # noqa: N806
    tiled = model.upscale_lab(L)
    whole = SuperResolver(model.generator, scale=2, tile=1000).upscale_lab(L)
    assert tiled.shape == whole.shape == (1, 3, 140, 180)
    # the receptive field of this tiny U-Net is well inside the 16 px margins: the same numbers
    assert torch.allclose(tiled, whole, atol=1e-4)


@pytest.mark.parametrize("size", [(1, 1), (5, 33), (37, 64)])
def test_photos_of_any_size(model, size):
    rgb = smooth_photo(size[1], size[0])
    for factor in (2, 4):
        assert model.upscale_image(rgb, factor).shape == (factor * size[0], factor * size[1], 3)


def test_bad_factors_and_huge_outputs_are_one_line(model):
    with pytest.raises(ValueError, match="powers of 2"):
        model.passes(3)
    with pytest.raises(UserError, match="pixel limit"):
        model.upscale_image(np.zeros((6000, 6000, 3), np.uint8), 4)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(CheckpointError) as error:
        load_superres(tmp_path / "none.pt")
    assert "\n" not in str(error.value)


def test_evaluation_has_the_baselines(model):
    from gancolor.evaluation.superres_eval import evaluate_superres, evaluate_superres_photos

    images = torch.from_numpy(np.stack([smooth_photo(32, 32, seed=s) for s in range(2)])).permute(0, 3, 1, 2)
    results = evaluate_superres(model, images.contiguous())
    assert set(results) == {"bicubic gray", "bicubic + colorizer", "model"}
    assert results["bicubic gray"]["colorfulness"] < 1.0
    photos = evaluate_superres_photos(model, {"a": smooth_photo(41, 30)})
    assert set(photos) == set(results) and all(np.isfinite(s["psnr"]) for s in photos.values())
