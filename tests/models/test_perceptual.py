"""The perceptual loss (gancolor.losses.perceptual) and its frozen feature network
(gancolor.models.feature_net)."""

from __future__ import annotations

import pytest
import torch

from gancolor.color import rotate_hue
from gancolor.errors import CheckpointError
from gancolor.losses import l1_loss
from gancolor.losses.perceptual import feature_distances, lab_perceptual_loss, perceptual_loss
from gancolor.models.feature_net import FEATURE_LAYERS, FeatureNet, load_feature_net


@pytest.fixture(scope="module")
def features() -> FeatureNet:
    return load_feature_net()


def _images(seed: int = 0, n: int = 2, size: int = 32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=gen) * 2 - 1


def test_feature_net_is_frozen_in_eval_mode_and_gives_three_scales(features):
    assert not any(p.requires_grad for p in features.parameters())
    features.train()  # a trainer calling train() on everything must not wake it up
    assert not features.training and not any(m.training for m in features.modules())
    maps = features(_images())
    assert [tuple(m.shape) for m in maps] == [(2, 32, 32, 32), (2, 64, 16, 16), (2, 128, 8, 8)]
    assert features.taps == FEATURE_LAYERS


def test_zero_for_identical_images_positive_otherwise(features):
    x = _images()
    assert perceptual_loss(features, x, x).item() == 0.0
    assert perceptual_loss(features, _images(1), x).item() > 0.0


def test_gradients_flow_into_the_prediction_not_the_network(features):
    pred, target = _images(1).requires_grad_(True), _images(2)
    perceptual_loss(features, pred, target).backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    assert all(p.grad is None for p in features.parameters())


def test_deterministic(features):
    a, b = _images(3), _images(4)
    assert torch.equal(perceptual_loss(features, a, b), perceptual_loss(features, a, b))
    assert torch.equal(perceptual_loss(load_feature_net(), a, b), perceptual_loss(features, a, b))


def test_weights_and_shapes_are_checked(features):
    a, b = _images(), _images(1)
    distances = feature_distances(features, a, b)
    assert len(distances) == 3
    weighted = perceptual_loss(features, a, b, weights=[1.0, 0.0, 0.0])
    assert torch.allclose(weighted, distances[0])
    with pytest.raises(ValueError, match="3 feature layers"):
        perceptual_loss(features, a, b, weights=[1.0])
    with pytest.raises(ValueError, match="same shape"):
        perceptual_loss(features, a, b[..., :16])


def test_it_sees_colour_structure_more_than_a_global_tint(features):
    """What sets it apart from L1: a hue turn costs more than L1 says, a global tint far less."""
    torch.manual_seed(0)
    from gancolor.data import lab_batch
    from gancolor.data.embedded import load_embedded

    L, ab = lab_batch(load_embedded("val").images[:16])  # noqa: N806
    tint = ab + 0.1
    turned = rotate_hue(ab, torch.full((16,), 2.0))
    ratio_tint = lab_perceptual_loss(features, L, tint, L, ab) / l1_loss(tint, ab)
    ratio_turn = lab_perceptual_loss(features, L, turned, L, ab) / l1_loss(turned, ab)
    assert ratio_turn > 10 * ratio_tint


def test_a_bad_feature_file_is_one_line(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(CheckpointError) as error:
        load_feature_net(bad)
    assert "\n" not in str(error.value)
