"""sRGB <-> Lab: agreement with scikit-image, round trips, gradients, normalisation; pixel ranges and
the colour parser."""

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from gancolor.color import (
    denormalize_ab,
    denormalize_lab,
    denormalize_lightness,
    lab_normalized_to_rgb,
    lab_to_rgb,
    normalize_ab,
    normalize_lab,
    normalize_lightness,
    parse_color,
    rgb_to_lab,
    rgb_to_lab_normalized,
    signed_to_uint8,
    signed_to_unit,
    uint8_to_signed,
    uint8_to_unit,
    unit_to_signed,
    unit_to_uint8,
)


def _test_colours(n_random: int = 4000, seed: int = 0) -> np.ndarray:
    """Random colours plus the gamut corners, black, white, grays and values at the gamma knee."""
    rng = np.random.default_rng(seed)
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T
    grays = np.linspace(0, 1, 11)[:, None].repeat(3, axis=1)
    knee = np.full((3, 3), 0.04045) + np.array([[-1e-6], [0.0], [1e-6]])
    colours = np.concatenate([rng.random((n_random, 3)), corners, grays, knee])
    return colours.astype(np.float64)


def _as_image(colours: np.ndarray) -> torch.Tensor:
    """(P, 3) colours -> (3, 1, P) tensor, channel-first."""
    return torch.from_numpy(colours.T.copy()).unsqueeze(1)


def test_rgb_to_lab_matches_skimage_float64():
    colours = _test_colours()
    ours = rgb_to_lab(_as_image(colours)).squeeze(1).T.numpy()
    reference = skcolor.rgb2lab(colours[None])[0]
    assert np.abs(ours - reference).max() <= 1e-4


def test_lab_to_rgb_matches_skimage_float64():
    lab = skcolor.rgb2lab(_test_colours()[None])[0]
    ours = lab_to_rgb(_as_image(lab)).squeeze(1).T.numpy()
    reference = skcolor.lab2rgb(lab[None])[0]
    assert np.abs(ours - reference).max() <= 1e-6


def test_lab_to_rgb_clips_out_of_gamut_like_skimage():
    lab = np.array([[50.0, 100.0, -100.0], [90.0, -90.0, 90.0], [20.0, 0.0, 120.0]])
    ours = lab_to_rgb(_as_image(lab)).squeeze(1).T.numpy()
    with pytest.warns(UserWarning):  # skimage warns about negative Z for the last colour
        reference = skcolor.lab2rgb(lab[None])[0]
    assert ours.min() >= 0.0 and ours.max() <= 1.0
    assert np.abs(ours - reference).max() <= 1e-6


def test_float32_agrees_with_skimage():
    colours = _test_colours(seed=1)
    ours = rgb_to_lab(_as_image(colours).float())
    assert ours.dtype == torch.float32
    reference = skcolor.rgb2lab(colours[None])[0]
    assert np.abs(ours.squeeze(1).T.double().numpy() - reference).max() <= 2e-3


@pytest.mark.parametrize("dtype,tolerance", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_round_trip(dtype, tolerance):
    rgb = torch.rand(2, 5, 3, 8, 8, generator=torch.Generator().manual_seed(0), dtype=dtype)
    assert (lab_to_rgb(rgb_to_lab(rgb)) - rgb).abs().max() <= tolerance


def test_batch_shapes_are_preserved_and_independent():
    rgb = torch.rand(4, 3, 6, 7, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    batched = rgb_to_lab(rgb)
    assert batched.shape == rgb.shape
    one_by_one = torch.stack([rgb_to_lab(image) for image in rgb])
    assert torch.allclose(batched, one_by_one)


def test_black_white_and_gray_have_no_chroma():
    black_white = torch.tensor([[[0.0, 1.0, 0.5]]], dtype=torch.float64).expand(3, 1, 3)
    lab = rgb_to_lab(black_white)
    assert torch.allclose(lab[0, 0], torch.tensor([0.0, 100.0, 53.3889], dtype=torch.float64), atol=1e-3)
    # The standard's rounded matrix leaves white a few thousandths off neutral (skimage too).
    assert lab[1:].abs().max() < 1e-2


def test_rgb_to_lab_gradcheck():
    # Interior points away from the piecewise knees, where the function is smooth.
    rgb = (0.1 + 0.8 * torch.rand(3, 2, 2, generator=torch.Generator().manual_seed(3))).double()
    assert torch.autograd.gradcheck(rgb_to_lab, (rgb.requires_grad_(),))


def test_lab_to_rgb_gradcheck():
    lab = torch.tensor([[[50.0, 70.0]], [[10.0, -20.0]], [[-15.0, 25.0]]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lab_to_rgb, (lab.requires_grad_(),))


def test_gradients_are_finite_at_black():
    rgb = torch.zeros(3, 2, 2, dtype=torch.float64, requires_grad=True)
    rgb_to_lab(rgb).sum().backward()
    assert torch.isfinite(rgb.grad).all()


def test_normalisation_ranges_and_inverse():
    rgb = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(4))
    L_n, ab_n = rgb_to_lab_normalized(rgb)
    assert L_n.shape == (2, 1, 16, 16) and ab_n.shape == (2, 2, 16, 16)
    assert L_n.min() >= -1.0 and L_n.max() <= 1.0
    assert ab_n.abs().max() <= 1.0
    assert torch.allclose(denormalize_lab(*normalize_lab(rgb_to_lab(rgb))), rgb_to_lab(rgb), atol=1e-4)
    assert torch.allclose(lab_normalized_to_rgb(L_n, ab_n), rgb, atol=1e-4)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="3, H, W"):
        rgb_to_lab(torch.rand(4, 8, 8))
    with pytest.raises(TypeError, match="floating"):
        rgb_to_lab(torch.zeros(3, 2, 2, dtype=torch.uint8))


def test_lightness_and_ab_normalisation_are_the_halves_of_normalize_lab():
    lab = rgb_to_lab(torch.rand(2, 3, 5, 5))
    L_n, ab_n = normalize_lab(lab)  # noqa: N806
    assert torch.equal(L_n, normalize_lightness(lab[:, :1])) and torch.equal(ab_n, normalize_ab(lab[:, 1:]))
    assert normalize_lightness(torch.tensor([0.0, 50.0, 100.0])).tolist() == [-1.0, 0.0, 1.0]
    joined = torch.cat([denormalize_lightness(L_n), denormalize_ab(ab_n)], dim=1)
    assert torch.equal(denormalize_lab(L_n, ab_n), joined)


def test_pixel_ranges_round_trip():
    pixels = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    signed = uint8_to_signed(pixels)
    assert signed.dtype == torch.float32 and signed.min() == -1.0 and signed.max() == 1.0
    assert torch.equal(signed_to_uint8(signed), pixels)
    assert torch.equal(unit_to_uint8(uint8_to_unit(pixels)), pixels)
    assert torch.allclose(signed_to_unit(unit_to_signed(uint8_to_unit(pixels))), uint8_to_unit(pixels))
    assert signed_to_uint8(torch.tensor([-3.0, 3.0])).tolist() == [0, 255]  # clamped
    assert unit_to_uint8(torch.tensor([-0.2, 0.5, 1.2])).tolist() == [0, 128, 255]
    assert signed_to_unit(torch.tensor([-2.0, 0.0, 2.0])).tolist() == [0.0, 0.5, 1.0]
    x = torch.tensor([0.0])
    signed_to_uint8(x), signed_to_unit(x), unit_to_uint8(x)
    assert x.tolist() == [0.0]  # the input is left alone


def test_parse_color_reads_hex_and_triples_only():
    assert parse_color("#f00") == (255, 0, 0) == parse_color("FF0000") == parse_color(" #ff0000 ")
    assert parse_color([255, 0, 0.2]) == (255, 0, 0) == parse_color(np.array([255, 0, 0]))
    assert parse_color((1.5, 2.4, 254.6)) == (2, 2, 255)
    for bad in ("red", "#12345", "##fff", "#ggg", "", [1, 2], [0, 0, 256], [-1, 0, 0], [True, 0, 0], 7, None,
                np.zeros((3, 1))):
        with pytest.raises(ValueError, match="bad color"):
            parse_color(bad)
