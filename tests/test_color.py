"""sRGB <-> Lab: agreement with scikit-image, round trips, gradients, normalisation."""

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from gancolor.color import (
    denormalize_lab,
    lab_normalized_to_rgb,
    lab_to_rgb,
    normalize_lab,
    rgb_to_lab,
    rgb_to_lab_normalized,
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
