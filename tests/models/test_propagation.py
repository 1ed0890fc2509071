"""Levin et al. 2004 edit propagation, the hint prior, and the residual U-Net that starts from it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gancolor.evaluation.baseline_colorizers import Levin2004
from gancolor.infer.user_hints import Hint
from gancolor.models import UNetGenerator
from gancolor.propagation import _OFFSETS, hint_prior, levin_propagate, levin_weights, prior_generator_input


def _maps(height: int, width: int, points: dict[tuple[int, int], tuple[float, float]]):
    hint_ab, mask = np.zeros((2, height, width)), np.zeros((height, width))
    for (row, col), ab in points.items():
        hint_ab[:, row, col], mask[row, col] = ab, 1
    return hint_ab, mask


def test_weights_sum_to_one_and_are_small_across_an_edge():
    L = np.full((6, 8), 30.0)
    L[:, 4:] = 80.0  # a vertical edge between columns 3 and 4
    weights, valid = levin_weights(L)
    np.testing.assert_allclose(weights.sum(0), 1.0, atol=1e-12)
    assert not valid[:, 0, 0].all()  # a corner has neighbours outside the image
    right = _OFFSETS.index((0, 1))
    assert weights[right, 2, 3] < 0.01 < weights[right, 2, 1]  # across the edge vs inside a region


def test_hint_pixels_keep_their_colour_exactly():
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 100, (20, 24))
    points = {(2, 3): (40.0, -20.0), (15, 20): (-30.0, 55.0), (10, 10): (5.0, 5.0)}
    ab = levin_propagate(L, *_maps(20, 24, points))
    for (row, col), colour in points.items():
        np.testing.assert_allclose(ab[:, row, col], colour, atol=1e-9)


def test_a_flat_region_with_one_hint_takes_its_colour_everywhere():
    ab = levin_propagate(np.full((16, 16), 50.0), *_maps(16, 16, {(8, 8): (25.0, -40.0)}))
    np.testing.assert_allclose(ab[0], 25.0, atol=1e-6)
    np.testing.assert_allclose(ab[1], -40.0, atol=1e-6)


def test_a_strong_edge_stops_the_spread():
    L = np.full((16, 32), 20.0)
    L[:, 16:] = 85.0  # dark left half, bright right half
    ab = levin_propagate(L, *_maps(16, 32, {(8, 4): (60.0, 0.0), (8, 28): (-60.0, 0.0)}))
    assert (ab[0, :, :15] > 55).all() and (ab[0, :, 17:] < -55).all()
    # Without the edge the two colours blend across the middle.
    two_hints = _maps(16, 32, {(8, 4): (60.0, 0.0), (8, 28): (-60.0, 0.0)})
    blended = levin_propagate(np.full((16, 32), 50.0), *two_hints)
    assert abs(blended[0, 8, 16]) < 20


def test_no_hint_gives_the_gray_photo():
    assert not levin_propagate(np.full((5, 7), 50.0), np.zeros((2, 5, 7)), np.zeros((5, 7))).any()


def test_hint_prior_is_levin_at_a_smaller_size_and_zero_without_hints():
    L_n = torch.zeros(2, 1, 32, 48)
    hint_ab, mask = torch.zeros(2, 2, 32, 48), torch.zeros(2, 1, 32, 48)
    hint_ab[0, :, 10:12, 20:22] = torch.tensor([0.3, -0.2]).view(2, 1, 1)
    mask[0, :, 10:12, 20:22] = 1
    prior = hint_prior(L_n, hint_ab, mask, scale=0.5)
    assert prior.shape == (2, 2, 32, 48)
    torch.testing.assert_close(prior[0, 0], torch.full((32, 48), 0.3), atol=1e-5, rtol=0)  # flat: everywhere
    assert not prior[1].any()
    x = prior_generator_input(L_n, hint_ab, mask)
    assert x.shape == (2, 6, 32, 48) and torch.equal(x[:, 4:], prior)
    assert not prior_generator_input(L_n)[:, 1:].any()


def test_residual_unet_starts_as_the_prior_and_learns_a_change():
    g = UNetGenerator(in_channels=6, out_channels=2, width=4, depth=2, max_width=8, output="residual")
    x = torch.rand(2, 6, 8, 8) * 1.6 - 0.8
    torch.testing.assert_close(g(x), x[:, 4:])
    loss = (g(x) - 0.5).abs().mean()
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())
    assert g.config["output"] == "residual" and "output" not in UNetGenerator(width=4, depth=2).config
    with pytest.raises(ValueError, match="residual"):
        UNetGenerator(in_channels=2, out_channels=2, output="residual")


def test_levin_baseline_renders_photos_at_full_resolution_and_follows_hints():
    height, width = 90, 140
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, :70] = (200, 40, 40)  # red left, blue right, the same-ish lightness differs
    rgb[:, 70:] = (40, 60, 200)
    levin = Levin2004(inference_size=64)
    hints = [Hint.from_rgb(20, 45, (200, 40, 40)), Hint.from_rgb(120, 45, (40, 60, 200))]
    out = levin.colorize_image(rgb, hints)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert out[45, 10, 0] > out[45, 10, 2] and out[45, 130, 2] > out[45, 130, 0]
    gray = levin.colorize_image(rgb, None)
    assert np.abs(gray.astype(int) - gray[..., :1]).max() <= 1  # no hints: gray


def test_rotate_hue_keeps_chroma_and_turns_the_hue():
    from gancolor.color import rotate_hue

    ab = torch.randn(3, 2, 4, 5)
    turned = rotate_hue(ab, torch.tensor([0.0, torch.pi, torch.pi / 2]))
    torch.testing.assert_close(turned[0], ab[0])
    torch.testing.assert_close(turned[1], -ab[1])
    torch.testing.assert_close(turned[2], torch.stack([-ab[2, 1], ab[2, 0]]))
    torch.testing.assert_close(turned.norm(dim=1), ab.norm(dim=1))


def test_a_levin_prior_hint_model_trains_with_turned_colours_and_exports(tmp_path):
    from gancolor.infer.colorizer import load_colorizer
    from gancolor.model_files import PRIOR_HINT_INPUTS
    from gancolor.train import ColorizationTrainer, ColorizeConfig, export_colorizer, fit

    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (8, 3, 16, 16), dtype=torch.uint8, generator=gen)
    settings = dict(image_size=16, batch_size=4, width=4, max_width=8, depth=2, hints=True, l1_only=True,
                    hint_prior="levin", hint_max_size=3)
    plain = ColorizationTrainer(ColorizeConfig(**settings), images, device="cpu")
    turned = ColorizationTrainer(ColorizeConfig(**settings, hue_jitter=1.0), images, device="cpu")
    (L0, ab0), (L1, ab1) = ((t.batch(3)["L"], t.batch(3)["ab"]) for t in (plain, turned))  # noqa: N806
    assert torch.equal(L0, L1) and not torch.allclose(ab0, ab1)
    torch.testing.assert_close(ab0.norm(dim=1), ab1.norm(dim=1))  # same chroma, other hues
    assert turned.G.in_channels == 6 and turned.generator_input(3, L1, ab1).shape == (4, 6, 16, 16)
    history = fit(turned, 2, progress=False)
    assert len(history.steps) == 2
    colorizer = load_colorizer(export_colorizer(turned, tmp_path / "c.pt", inference_size=32))
    assert tuple(colorizer.meta["inputs"]) == PRIOR_HINT_INPUTS and colorizer.prior_scale == 0.5
    rgb = images[0].permute(1, 2, 0).numpy()
    out = colorizer.colorize_image(rgb, [Hint.from_rgb(5, 5, "#00ff00", size=4)])
    assert out.shape == rgb.shape
    assert turned.config_dict()["hue_jitter"] == 1.0 and "hue_jitter" not in plain.config.to_dict()
    with pytest.raises(ValueError, match="hint_prior needs hints"):
        ColorizationTrainer(ColorizeConfig(image_size=16, width=4, depth=2, hint_prior="levin"), images)


def test_colorizer_files_with_fields_of_the_wrong_type_give_one_line(tmp_path):
    from helpers import expect_one_line_errors

    from gancolor.ab_classes import gamut_bins
    from gancolor.infer.colorizer import load_colorizer
    from gancolor.model_files import COLORIZER_FORMAT, generator_record, write_model_file

    plain = generator_record(UNetGenerator(width=4, depth=2, max_width=8))
    classes = generator_record(UNetGenerator(out_channels=len(gamut_bins()), width=4, depth=2, max_width=8,
                                             output="logits"))
    decode = {"temperature": 0.38, "bins": gamut_bins()}
    cases = {
        "inputs.pt": ({"generator": plain, "inputs": "L"}, "generator inputs"),
        "size.pt": ({"generator": plain, "inference_size": "256"}, "inference_size"),
        "size0.pt": ({"generator": plain, "inference_size": 0}, "inference_size"),
        "bins.pt": ({"generator": classes, "mode": "classify", "decode": {"temperature": 1.0}},
                    "decode.bins"),
        "temp.pt": ({"generator": classes, "mode": "classify", "decode": {**decode, "temperature": -1}},
                    "decode.temperature"),
    }
    for name, (contents, _) in cases.items():
        write_model_file(tmp_path / name, COLORIZER_FORMAT, contents)
    reasons = {name: (None, reason) for name, (_, reason) in cases.items()}
    expect_one_line_errors(tmp_path, reasons, load_colorizer)
    good = write_model_file(tmp_path / "good.pt", COLORIZER_FORMAT, {"generator": classes, "mode": "classify",
                                                                     "decode": decode})
    assert load_colorizer(good).temperature == 0.38
