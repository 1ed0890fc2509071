"""Exemplar colorization (gancolor.infer.exemplar): Welsh et al. 2002's steps and the refined method."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import two_tone_photo as _two_tone

from gancolor.color import rgb_to_lab
from gancolor.errors import UserError
from gancolor.imageio import ImageReadError
from gancolor.infer import exemplar
from gancolor.infer.exemplar import (
    ExemplarColorizer,
    Reference,
    jittered_samples,
    load_reference,
    local_mean_std,
    match_ab,
    multiscale_features,
    propagate_confident,
    remap_luminance,
    welsh_features,
)


def _ab(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1).double() / 255)[1:].numpy()


def test_remap_luminance_moves_mean_and_std_to_the_target():
    ref, target = torch.rand(40, 30) * 20 + 60, torch.rand(25, 50) * 80 + 10
    out = remap_luminance(ref, target)
    assert out.shape == ref.shape
    assert torch.allclose(out.mean(), target.mean(), atol=1e-3)
    assert torch.allclose(out.std(unbiased=False), target.std(unbiased=False), atol=1e-3)
    assert torch.allclose(remap_luminance(torch.full((4, 4), 50.0), target).mean(), target.mean())


def test_local_mean_std_matches_a_direct_window_computation():
    L = torch.rand(9, 11, dtype=torch.float64) * 100  # noqa: N806
    mean, std = local_mean_std(L, 3)
    padded = np.pad(L.numpy(), 1, mode="reflect")
    for y, x in [(0, 0), (4, 5), (8, 10)]:
        window = padded[y:y + 3, x:x + 3]
        assert float(mean[y, x]) == pytest.approx(window.mean(), abs=1e-3)
        assert float(std[y, x]) == pytest.approx(window.std(), abs=1e-2)
    assert welsh_features(L).shape == (2, 9, 11)
    assert multiscale_features(L).shape == (7, 9, 11)
    assert local_mean_std(torch.rand(2, 3), 27)[1].shape == (2, 3)  # smaller than the window


def test_jittered_samples_are_seeded_distinct_and_spread():
    first = jittered_samples(60, 90, 200, seed=3)
    assert torch.equal(first, jittered_samples(60, 90, 200, seed=3))
    assert not torch.equal(first, jittered_samples(60, 90, 200, seed=4))
    assert 180 <= len(first) <= 240 and len(set(first.tolist())) == len(first)
    assert int(first.min()) >= 0 and int(first.max()) < 60 * 90
    rows, cols = first // 90, first % 90
    assert rows.float().mean().item() == pytest.approx(30, abs=5) and cols.float().mean().item() == \
        pytest.approx(45, abs=7)
    assert len(jittered_samples(3, 2, 1000)) == 6  # never more than the pixels


def test_match_ab_takes_the_nearest_samples_colour_and_chunks_identically(monkeypatch):
    samples = torch.tensor([[0.0, 10.0, 20.0], [0.0, 0.0, 0.0]])
    sample_ab = torch.tensor([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]])
    target = torch.tensor([[1.0, 9.0, 19.0, 14.0], [0.0, 1.0, 0.0, 0.0]])
    ab, spread = match_ab(target, samples, sample_ab)
    assert ab.tolist() == [[1.0, 2.0, 3.0, 2.0], [-1.0, -2.0, -3.0, -2.0]] and spread.abs().max() == 0
    ab2, spread2 = match_ab(target, samples, sample_ab, k=2)
    assert ab2[0].tolist() == [1.5, 1.5, 2.5, 2.5] and (spread2 > 0).all()
    big_t, big_s, big_ab = torch.rand(3, 500), torch.rand(3, 64), torch.rand(2, 64)
    whole = match_ab(big_t, big_s, big_ab, k=4)
    monkeypatch.setattr(exemplar, "_DISTANCE_BUDGET", 64 * 7)  # chunks of 7 pixels
    chunked = match_ab(big_t, big_s, big_ab, k=4)
    assert torch.allclose(whole[0], chunked[0]) and torch.allclose(whole[1], chunked[1])


def test_propagation_keeps_confident_matches_and_fills_doubtful_ones():
    L = torch.full((20, 20), 50.0)  # noqa: N806
    L[:, 10:] = 80.0
    ab = torch.zeros(2, 20, 20)
    ab[0, :, 10:] = 40.0
    spread = torch.zeros(20, 20) + 0.1
    ab[0, 5, 15], spread[5, 15] = -40.0, 50.0  # one doubtful outlier in the bright region
    out = propagate_confident(L, ab, spread, strength=1.0)
    assert out.shape == ab.shape
    assert float(out[0, 5, 15]) > 20.0  # taken from its confident neighbours
    assert float(out[0, 2, 2]) == pytest.approx(0.0, abs=1.0)
    assert float(out[0, 2, 17]) == pytest.approx(40, abs=2)


@pytest.mark.parametrize(("method", "options"), [("welsh", {}), ("refined", {}),
                                                 ("refined", {"features": "multiscale", "strength": 1.0}),
                                                 ("refined", {"features": "unet"})])
def test_colours_follow_the_reference_at_full_resolution(method, options):
    reference = Reference.from_rgb(_two_tone(48, 64, seed=1))
    target = _two_tone(101, 157, seed=2)[:, ::-1].copy()  # mirrored: red on the left now
    colorizer = ExemplarColorizer(reference, method=method, inference_size=64, **options)
    out = colorizer.colorize_image(target)
    assert out.shape == target.shape and out.dtype == np.uint8
    ab = _ab(out)
    assert ab[0, :, 10:60].mean() > 40 and ab[1, :, 10:60].mean() > 25  # red where it is bright
    assert ab[1, :, 100:150].mean() < -30  # blue where it is dark and textured
    lightness = rgb_to_lab(torch.from_numpy(out).permute(2, 0, 1).double() / 255)[0]
    truth = rgb_to_lab(torch.from_numpy(target).permute(2, 0, 1).double() / 255)[0]
    assert (lightness - truth).abs().mean() < 1.0  # the target's own lightness
    assert np.array_equal(out, colorizer.colorize_image(target))  # deterministic


def test_a_gray_target_and_a_large_reference_work():
    gray = np.repeat(_two_tone(40, 30)[..., :1], 3, axis=2)
    reference = Reference.from_rgb(_two_tone(600, 900), long_side=64)
    assert reference.L.shape == (43, 64)
    assert ExemplarColorizer(reference, method="welsh").colorize_image(gray).shape == (40, 30, 3)


def test_unknown_method_or_features_are_refused():
    with pytest.raises(ValueError, match="welsh"):
        ExemplarColorizer(Reference.from_rgb(_two_tone(8, 8)), method="magic")
    with pytest.raises(ValueError, match="multiscale"):
        ExemplarColorizer(Reference.from_rgb(_two_tone(8, 8)), features="magic")


def test_bad_references_are_one_line_errors_naming_the_file(tmp_path):
    from PIL import Image

    with pytest.raises(ImageReadError, match="missing.jpg: no such file"):
        load_reference(tmp_path / "missing.jpg")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(ImageReadError, match="junk.png"):
        load_reference(tmp_path / "junk.png")
    Image.fromarray(np.full((20, 20), 128, np.uint8)).convert("RGB").save(tmp_path / "gray.png")
    with pytest.raises(UserError, match="gray.png: the reference photo has no colour"):
        load_reference(tmp_path / "gray.png")
