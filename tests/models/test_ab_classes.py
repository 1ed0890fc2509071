"""Zhang et al. 2016 colour classification: bins, soft encoding, rebalancing, annealed mean, training."""

from __future__ import annotations

import torch

from gancolor.ab_classes import (
    annealed_mean,
    bin_frequencies,
    classification_loss,
    gamut_bins,
    nearest_bins,
    rebalancing_weights,
    soft_encode,
)
from gancolor.color import AB_SCALE, rgb_to_lab


def test_bins_cover_the_srgb_gamut_on_a_10_unit_grid():
    bins = gamut_bins()
    assert 250 <= len(bins) <= 320 and bins.shape[1] == 2
    assert torch.equal(bins, torch.round(bins / 10) * 10)
    rgb = torch.rand(3, 4000, 1, generator=torch.Generator().manual_seed(0)).double()
    colours = rgb_to_lab(rgb)[1:, :, 0].T
    distance = torch.cdist(colours.float(), bins).min(dim=1).values
    assert distance.max() <= 5 * 2**0.5 + 1e-4  # every sRGB colour lies in some bin's cell
    assert (bins[:, 0] > 90).any() and not (bins.abs() > 110).any()


def test_soft_encoding_weights_the_nearest_bins_most():
    ab = torch.tensor([[3.0, -47.0], [60.0, 60.0], [0.0, 0.0]]).T.reshape(1, 2, 3, 1)
    index, weight = soft_encode(ab)
    torch.testing.assert_close(weight.sum(dim=1), torch.ones(1, 3, 1))
    bins = gamut_bins()
    for i in range(3):
        nearest = bins[index[0, 0, i, 0]]
        assert (nearest - ab[0, :, i, 0]).norm() <= (bins - ab[0, :, i, 0]).norm(dim=1).min() + 1e-4
        assert weight[0, 0, i, 0] == weight[0, :, i, 0].max()
    assert torch.equal(nearest_bins(ab), index[:, 0])


def test_rebalancing_favours_rare_colours_and_keeps_the_expected_weight_at_one():
    ab = torch.zeros(1, 2, 10, 10)
    ab[..., :2] = torch.tensor([50.0, 50.0]).view(1, 2, 1, 1)  # 20 % saturated, 80 % gray
    p = bin_frequencies(ab)
    torch.testing.assert_close(p.sum(), torch.tensor(1.0, dtype=torch.float64))
    w = rebalancing_weights(p, 0.5)
    torch.testing.assert_close((p * w.double()).sum(), torch.tensor(1.0, dtype=torch.float64))
    gray, vivid = nearest_bins(torch.zeros(1, 2, 1, 1)).item(), nearest_bins(ab[..., :1, :1]).item()
    assert w[vivid] > w[gray]
    torch.testing.assert_close(rebalancing_weights(p, 1.0), torch.ones(len(p)))  # λ = 1: unweighted


def test_annealed_mean_moves_from_the_mean_to_the_mode():
    bins = gamut_bins()
    a, b = nearest_bins(torch.tensor([40.0, 40.0]).view(1, 2, 1, 1)).item(), \
        nearest_bins(torch.tensor([-40.0, -40.0]).view(1, 2, 1, 1)).item()
    logits = torch.full((1, len(bins), 1, 1), -30.0)
    logits[0, a], logits[0, b] = 0.0, -0.5  # two modes, the first more likely
    mean = annealed_mean(logits, 1.0) * AB_SCALE
    p = torch.softmax(logits[0, :, 0, 0], 0)
    torch.testing.assert_close(mean[0, :, 0, 0], (p[:, None] * bins).sum(0), atol=1e-3, rtol=0)
    mode = annealed_mean(logits, 0.01) * AB_SCALE
    torch.testing.assert_close(mode[0, :, 0, 0], bins[a], atol=1e-3, rtol=0)
    sharper = annealed_mean(logits, 0.38)[0, :, 0, 0] * AB_SCALE
    assert mean[0, :, 0, 0].norm() < sharper.norm()  # a lower temperature is more vivid


def test_the_loss_is_smallest_at_the_soft_target_and_its_gradient_reaches_the_logits():
    ab_n = (torch.rand(2, 2, 4, 4, generator=torch.Generator().manual_seed(1)) * 120 - 60) / AB_SCALE
    index, weight = soft_encode(ab_n * AB_SCALE)
    target = torch.full((2, len(gamut_bins()), 4, 4), 1e-9).scatter(1, index, weight)
    perfect = classification_loss(target.log(), ab_n)
    uniform = classification_loss(torch.zeros_like(target), ab_n)
    assert perfect < uniform
    logits = torch.zeros_like(target, requires_grad=True)
    classification_loss(logits, ab_n, rebalancing_weights(bin_frequencies(ab_n * AB_SCALE))).backward()
    assert logits.grad.abs().sum() > 0


def test_a_classification_colorizer_trains_exports_and_decodes_at_any_temperature(tmp_path):
    from gancolor.infer.colorizer import load_colorizer
    from gancolor.train import ColorizeConfig, export_colorizer, train_colorizer

    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8, generator=gen)
    config = ColorizeConfig(image_size=16, batch_size=4, width=4, max_width=8, depth=2, classify=True)
    trainer, history = train_colorizer(config, images, steps=3, progress=False)
    assert trainer.D is None and list(history.losses) == ["g_cl"]
    path = export_colorizer(trainer, tmp_path / "c.pt", inference_size=16)
    colorizer = load_colorizer(path)
    assert colorizer.mode == "classify" and colorizer.temperature == 0.38 and not colorizer.takes_hints
    rgb = images[0].permute(1, 2, 0).numpy()
    vivid = colorizer.colorize_image(rgb)
    colorizer.set_temperature(1.0)
    safe = colorizer.colorize_image(rgb)
    assert vivid.shape == safe.shape == rgb.shape and not (vivid == safe).all()
