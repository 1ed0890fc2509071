"""Colorization baselines: mean ab and colour transfer keep L and paint the colours they should."""

from __future__ import annotations

import pytest
import torch

from gancolor.color import lab_to_rgb, rgb_to_lab
from gancolor.evaluation.baseline_colorizers import ColorTransfer, MeanAB, lightness_histograms


def _from_lab(L: torch.Tensor, a: float, b: float) -> torch.Tensor:  # noqa: N803
    """uint8 images (N, 3, H, W) with lightness L (N, H, W) and the constant chrominance (a, b)."""
    lab = torch.stack([L, torch.full_like(L, a), torch.full_like(L, b)], dim=1).double()
    return (lab_to_rgb(lab) * 255).round().to(torch.uint8)


def _ramp(n: int, low: float, high: float, size: int = 16) -> torch.Tensor:
    """(n, size, size) lightness ramps from ``low`` to ``high`` along the width."""
    return torch.linspace(low, high, size).expand(n, size, size).clone()


def _lab_of(rgb: torch.Tensor) -> torch.Tensor:
    return rgb_to_lab(rgb.double() if rgb.is_floating_point() else rgb.double() / 255)


def test_mean_ab_is_the_mean_over_all_pixels_and_keeps_L() -> None:
    reddish = _from_lab(_ramp(3, 40, 70), 30.0, 10.0)
    bluish = _from_lab(_ramp(1, 40, 70), -10.0, -30.0)
    images = torch.cat([reddish, bluish])
    model = MeanAB.fit(images, batch_size=3)  # batches of 3 and 1
    expected = _lab_of(images)[:, 1:].mean(dim=(0, 2, 3))
    assert model.ab.dtype == torch.float64
    assert torch.allclose(model.ab, expected, atol=1e-4)
    assert torch.allclose(model.ab, torch.tensor([20.0, 0.0], dtype=torch.float64), atol=1.0)

    gray = _from_lab(_ramp(2, 30, 80), 0.0, 0.0)
    out = model(gray)
    assert out.shape == gray.shape and out.dtype == torch.float32
    assert 0 <= out.min() and out.max() <= 1
    lab = _lab_of(out)
    assert torch.allclose(lab[:, 0], _lab_of(gray)[:, 0], atol=0.05)  # the input's L
    assert torch.allclose(lab[:, 1:], model.ab.view(1, 2, 1, 1).expand_as(lab[:, 1:]), atol=0.05)


def test_colour_transfer_picks_the_reference_with_the_nearest_lightness_histogram() -> None:
    dark_green = _from_lab(_ramp(1, 20, 45), -20.0, 15.0)  # colours inside the sRGB gamut at every L
    light_blue = _from_lab(_ramp(1, 60, 90), -5.0, -15.0)
    model = ColorTransfer(torch.cat([dark_green, light_blue]))
    queries = torch.cat([_from_lab(_ramp(1, 62, 88), 0.0, 0.0), _from_lab(_ramp(1, 22, 40), 50.0, 50.0)])
    assert model.reference_index(queries).tolist() == [1, 0]  # the colour of the query does not matter

    lab = _lab_of(model(queries))
    # L is kept, except where the new colour falls outside the sRGB gamut and gets clipped.
    assert (lab[:, 0] - _lab_of(queries)[:, 0]).abs().median() < 0.05
    mean_ab = lab[:, 1:].mean(dim=(2, 3))
    assert torch.allclose(mean_ab, torch.tensor([[-5.0, -15.0], [-20.0, 15.0]], dtype=torch.float64), atol=1)


def test_colour_transfer_reads_ab_off_the_references_lightness_curve() -> None:
    # A reference whose colour depends on L: dark half blue, light half yellow.
    L = _ramp(1, 30, 80, size=32)  # noqa: N806
    lab = torch.stack([L, torch.zeros_like(L), torch.where(L < 55, -40.0, 40.0)], dim=1).double()
    reference = (lab_to_rgb(lab) * 255).round().to(torch.uint8)
    model = ColorTransfer(reference, l_bins=10)
    out = _lab_of(model(_from_lab(_ramp(1, 30, 80, size=32), 0.0, 0.0)))
    b = out[0, 2]
    assert (b[:, :8] < -30).all() and (b[:, -8:] > 30).all()
    # Interpolated between bin centres: the jump of 80 in the reference becomes a ramp.
    assert ((b > -30) & (b < 30)).any()
    assert (b[:, 1:] - b[:, :-1]).abs().max() < 30


def test_colour_transfer_fills_lightness_bins_the_reference_lacks() -> None:
    reference = _from_lab(_ramp(1, 45, 55), 20.0, -20.0)  # only mid lightness
    model = ColorTransfer(reference, l_bins=8)
    assert torch.isfinite(model.curves).all()
    assert torch.allclose(model.curves[0], torch.tensor([20.0, -20.0]).expand(8, 2), atol=1.5)
    out = _lab_of(model(_from_lab(_ramp(1, 5, 95), 0.0, 0.0)))
    assert torch.isfinite(out).all()
    dark_and_light = out[0, 1:, :, [2, -3]]  # far outside the reference's L: the nearest bin's colour
    assert (dark_and_light[0] > 5).all() and (dark_and_light[1] < -5).all()


def test_colour_transfer_batches_give_the_same_result() -> None:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (7, 3, 8, 8), dtype=torch.uint8, generator=generator)
    whole = ColorTransfer(images[:5], batch_size=64)(images)
    pieces = ColorTransfer(images[:5], batch_size=2)(images)
    assert torch.allclose(whole, pieces, atol=1e-6)
    assert whole.shape == images.shape


def test_lightness_histograms_are_normalised() -> None:
    images = _from_lab(_ramp(2, 10, 90), 0.0, 0.0)
    histograms = lightness_histograms(images, bins=10)
    assert histograms.shape == (2, 10)
    assert torch.allclose(histograms.sum(dim=1), torch.ones(2))
    assert (histograms > 0).sum(dim=1).tolist() == [9, 9]  # 10..90 covers nine of ten bins


@pytest.mark.parametrize("bad", [torch.zeros(2, 3, 4, 4), torch.zeros(2, 4, 4, dtype=torch.uint8),
                                 torch.zeros(2, 1, 4, 4, dtype=torch.uint8)])
def test_baselines_want_uint8_rgb_batches(bad: torch.Tensor) -> None:
    with pytest.raises(ValueError, match=r"uint8 tensor of shape \(N, 3, H, W\)"):
        MeanAB.fit(bad)
    with pytest.raises(ValueError, match=r"uint8 tensor of shape \(N, 3, H, W\)"):
        ColorTransfer(bad)
    model = MeanAB(ab=torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="images must be"):
        model(bad)


def test_colour_transfer_needs_references() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ColorTransfer(torch.zeros(0, 3, 4, 4, dtype=torch.uint8))
