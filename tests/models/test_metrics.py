"""Metrics: PSNR/SSIM against hand values, colourfulness, FID/KID statistics, Inception weights."""

import importlib
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from gancolor.errors import CheckpointError, MissingWeightsError
from gancolor.metrics import (
    InceptionFeatureExtractor,
    colorfulness,
    feature_statistics,
    fid,
    fid_from_features,
    frechet_distance,
    inception_weights_path,
    kid,
    kid_from_features,
    psnr,
    ssim,
)
from gancolor.metrics.fid import INCEPTION_WEIGHTS_ENV, INCEPTION_WEIGHTS_FILENAME, INCEPTION_WEIGHTS_URL


def _random_images(n: int, size: int = 16, seed: int = 0) -> torch.Tensor:
    """(n, 3, size, size) smooth-ish random images in [0, 1] (float64)."""
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, size // 4, size // 4, generator=generator, dtype=torch.float64)
    return torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)


def _gaussian(n: int, dim: int, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    """(n, dim) samples of N(shift, I)."""
    return np.random.default_rng(seed).normal(loc=shift, size=(n, dim))


# ---------------------------------------------------------------------------------------------
# PSNR, SSIM
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [0.1, 0.01, 0.25])
def test_psnr_of_a_uniform_error_is_10_log10_of_one_over_its_square(error):
    target = torch.full((2, 3, 8, 8), 0.5, dtype=torch.float64)
    pred = target + error
    expected = 10 * math.log10(1 / error**2)  # MSE = e², MAX = 1
    assert torch.allclose(psnr(pred, target), torch.full((2,), expected, dtype=torch.float64), atol=1e-9)


def test_psnr_is_per_image_and_inf_for_identical_images():
    target = _random_images(2)
    pred = target.clone()
    pred[1] = (pred[1] + 0.1).clamp(0, 1)
    values = psnr(pred, target)
    assert values.shape == (2,)
    assert math.isinf(values[0]) and values[0] > 0
    assert 15 < values[1] < 25


def test_ssim_is_one_for_identical_images_lower_for_noise_and_symmetric():
    clean = _random_images(3, size=32)
    noise = 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    noisy = (clean + noise).clamp(0, 1)
    assert torch.allclose(ssim(clean, clean), torch.ones(3, dtype=torch.float64))
    forward, backward = ssim(noisy, clean), ssim(clean, noisy)
    assert (forward < 0.95).all()
    assert torch.allclose(forward, backward, atol=1e-12)
    much_noisier = (clean + 3 * noise).clamp(0, 1)
    assert (ssim(much_noisier, clean) < forward).all()


@pytest.mark.parametrize("size", [1, 4, 5, 8, 10])
def test_ssim_handles_images_smaller_than_the_window(size):
    clean = _random_images(2, size=16)[..., :size, :size]
    noisy = (clean + 0.2).clamp(0, 1)
    assert torch.allclose(ssim(clean, clean), torch.ones(2, dtype=torch.float64))
    assert (ssim(noisy, clean) < 1).all()


def test_uint8_path_equals_float_path():
    as_uint8 = (_random_images(2, seed=3) * 255).round().to(torch.uint8)
    other = (_random_images(2, seed=4) * 255).round().to(torch.uint8)
    as_float = as_uint8.double() / 255
    other_float = other.double() / 255
    assert torch.equal(psnr(as_uint8, other), psnr(as_float, other_float))
    assert torch.equal(ssim(as_uint8, other), ssim(as_float, other_float))


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(1, 3, 8, 8\).*\(1, 3, 8, 9\)"):
        psnr(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9))


def test_images_outside_unit_range_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ssim(torch.full((1, 3, 8, 8), -1.0), torch.zeros(1, 3, 8, 8))


# ---------------------------------------------------------------------------------------------
# Colourfulness
# ---------------------------------------------------------------------------------------------


def test_colorfulness_of_gray_images_is_zero():
    gray = torch.linspace(0, 1, 64, dtype=torch.float64).view(1, 1, 8, 8).expand(2, 3, 8, 8)
    assert torch.allclose(colorfulness(gray), torch.zeros(2, dtype=torch.float64))


def test_colorfulness_of_half_red_half_blue_matches_the_hand_computation():
    image = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    image[0, 0, :, :2] = 255  # left half pure red
    image[0, 2, :, 2:] = 255  # right half pure blue
    # red: rg = 255, yb = 127.5; blue: rg = 0, yb = -255 (half the pixels each)
    mean_rg, std_rg = 127.5, 127.5
    mean_yb, std_yb = (127.5 - 255) / 2, (127.5 + 255) / 2
    expected = math.sqrt(std_rg**2 + std_yb**2) + 0.3 * math.sqrt(mean_rg**2 + mean_yb**2)
    assert colorfulness(image).item() == pytest.approx(expected, rel=1e-12)
    assert colorfulness(image.double() / 255).item() == pytest.approx(expected, rel=1e-12)


def test_saturated_image_is_more_colourful_than_its_desaturated_version():
    image = _random_images(3, seed=5)
    gray = image.mean(dim=1, keepdim=True)
    desaturated = gray + 0.5 * (image - gray)
    assert (colorfulness(image) > colorfulness(desaturated)).all()


def test_mask_restricts_colorfulness_to_the_object_and_empty_mask_is_nan():
    image = torch.full((2, 3, 16, 16), 0.5, dtype=torch.float64)  # gray background
    image[:, :, 4:8, 4:8] = torch.tensor([1.0, 0.1, 0.1], dtype=torch.float64).view(3, 1, 1)  # red balloon
    mask = torch.zeros(2, 16, 16, dtype=torch.bool)
    mask[0, 4:8, 4:8] = True  # image 1 keeps an empty mask
    whole, on_object = colorfulness(image), colorfulness(image, mask)
    assert on_object[0] > whole[0]
    # a uniform red object has no spread: M = 0.3 · |μ| on the 0-255 scale
    assert on_object[0].item() == pytest.approx(0.3 * math.hypot(0.9 * 255, 0.45 * 255), rel=1e-9)
    assert math.isnan(on_object[1])


# ---------------------------------------------------------------------------------------------
# FID, KID on features
# ---------------------------------------------------------------------------------------------


def test_fid_from_features_equals_pytorch_fid():
    from pytorch_fid.fid_score import calculate_frechet_distance

    a = _gaussian(500, 16, seed=0)
    b = _gaussian(400, 16, seed=1) * 1.5 + 0.3
    mu_a, sigma_a = np.mean(a, axis=0), np.cov(a, rowvar=False)
    mu_b, sigma_b = np.mean(b, axis=0), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # its sqrtm(disp=False), scipy >= 1.16
        reference = calculate_frechet_distance(mu_a, sigma_a, mu_b, sigma_b)
    assert fid_from_features(a, b) == pytest.approx(reference, rel=1e-6)
    assert fid_from_features(torch.from_numpy(a).float(), b) == pytest.approx(reference, rel=1e-4)


def test_frechet_distance_of_known_gaussians():
    # Isotropic: Σ1 = a²I, Σ2 = b²I -> d² = ||μ1 - μ2||² + D (a - b)²
    dim, a, b = 4, 2.0, 0.5
    mu1, mu2 = np.zeros(dim), np.arange(dim, dtype=float)
    expected = float(mu2 @ mu2) + dim * (a - b) ** 2
    assert frechet_distance(mu1, a**2 * np.eye(dim), mu2, b**2 * np.eye(dim)) == pytest.approx(expected)


def test_frechet_distance_with_singular_covariances_matches_the_eigenvalue_form():
    # 10 samples in 16 dimensions: rank-9 covariances. Tr((Σ1 Σ2)^½) = Σ sqrt(eig(Σ1^½ Σ2 Σ1^½)).
    mu1, sigma1 = feature_statistics(_gaussian(10, 16, seed=2))
    mu2, sigma2 = feature_statistics(_gaussian(10, 16, seed=3))
    root1 = _psd_sqrt(sigma1)
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0, None)).sum()
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-3)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def test_feature_statistics_are_the_mean_and_unbiased_covariance():
    features = _gaussian(50, 3, seed=4)
    mu, sigma = feature_statistics(torch.from_numpy(features))
    centred = features - features.mean(axis=0)
    assert mu.dtype == np.float64 and mu.shape == (3,) and sigma.shape == (3, 3)
    assert np.allclose(mu, features.mean(axis=0))
    assert np.allclose(sigma, centred.T @ centred / 49)


def test_fid_is_near_zero_for_one_distribution_and_grows_with_a_mean_shift():
    reference = _gaussian(4000, 16, seed=10)
    same = fid_from_features(reference, _gaussian(4000, 16, seed=11))
    assert 0 <= same < 0.05
    shifted = [
        fid_from_features(reference, _gaussian(4000, 16, shift, seed=11)) for shift in (0.25, 0.5, 1.0)
    ]
    assert same < shifted[0] < shifted[1] < shifted[2]
    assert shifted[2] == pytest.approx(16 * 1.0**2, rel=0.05)  # ||Δμ||² = D · shift²


def test_fid_is_biased_upwards_for_small_samples():
    small = np.mean(
        [fid_from_features(_gaussian(50, 16, seed=s), _gaussian(50, 16, seed=100 + s)) for s in range(3)]
    )
    large = np.mean(
        [fid_from_features(_gaussian(2000, 16, seed=s), _gaussian(2000, 16, seed=100 + s)) for s in range(3)]
    )
    assert small > 10 * large


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_mean_shift():
    reference = _gaussian(600, 16, seed=20)
    kid_kwargs = {"num_subsets": 20, "subset_size": 200, "seed": 0}
    same_mean, same_std = kid_from_features(reference, _gaussian(600, 16, seed=21), **kid_kwargs)
    assert abs(same_mean) < 0.02 and same_std > 0
    shifted = [
        kid_from_features(reference, _gaussian(600, 16, s, seed=21), **kid_kwargs)[0]
        for s in (0.25, 0.5, 1.0)
    ]
    assert same_mean < shifted[0] < shifted[1] < shifted[2]
    assert shifted[0] > 3 * same_std


def test_kid_is_deterministic_for_a_seed():
    a, b = _gaussian(300, 8, seed=30), _gaussian(300, 8, 0.1, seed=31)
    assert kid_from_features(a, b, num_subsets=10, subset_size=100, seed=7) == kid_from_features(
        a, b, num_subsets=10, subset_size=100, seed=7
    )
    assert kid_from_features(a, b, num_subsets=10, subset_size=100, seed=7) != kid_from_features(
        a, b, num_subsets=10, subset_size=100, seed=8
    )


def test_kid_clamps_the_subset_size_and_matches_a_direct_computation():
    # subset_size > N: every subset is the whole (permuted) sample, so all subsets agree (std 0)
    a, b = _gaussian(20, 4, seed=40), _gaussian(20, 4, 0.5, seed=41)
    mean, std = kid_from_features(a, b, num_subsets=3, subset_size=1000)
    kernel = lambda x, y: (x @ y.T / 4 + 1) ** 3  # noqa: E731
    off_diagonal = ~np.eye(20, dtype=bool)
    direct = kernel(a, a)[off_diagonal].mean() + kernel(b, b)[off_diagonal].mean() - 2 * kernel(a, b).mean()
    assert mean == pytest.approx(direct, rel=1e-10) and std == pytest.approx(0, abs=1e-10)


# ---------------------------------------------------------------------------------------------
# Inception weights and feature extractor
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def no_weights(monkeypatch, tmp_path):
    """No env var, and a torch hub cache that is an empty folder."""
    monkeypatch.delenv(INCEPTION_WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    return tmp_path / "torch_home" / "hub" / "checkpoints" / INCEPTION_WEIGHTS_FILENAME


def test_missing_weights_raise_one_line_naming_the_url_and_the_path(no_weights):
    with pytest.raises(MissingWeightsError) as caught:
        inception_weights_path()
    message = str(caught.value)
    assert "\n" not in message
    assert (
        str(no_weights) in message and INCEPTION_WEIGHTS_URL in message and INCEPTION_WEIGHTS_ENV in message
    )


def test_missing_explicit_weights_file_is_named(no_weights, tmp_path):
    missing = tmp_path / "nowhere.pth"
    with pytest.raises(MissingWeightsError, match="nowhere.pth") as caught:
        InceptionFeatureExtractor(missing, device="cpu")
    assert "\n" not in str(caught.value)


def test_weights_are_found_from_env_var_and_hub_cache(no_weights, monkeypatch, tmp_path):
    no_weights.parent.mkdir(parents=True)
    no_weights.write_bytes(b"x")
    assert inception_weights_path() == no_weights
    elsewhere = tmp_path / "inception.pth"
    elsewhere.write_bytes(b"x")
    monkeypatch.setenv(INCEPTION_WEIGHTS_ENV, str(elsewhere))
    assert inception_weights_path() == elsewhere  # the env var comes before the hub cache
    assert inception_weights_path(no_weights) == no_weights  # an explicit path comes first


def test_weights_url_is_pytorch_fids():
    from pytorch_fid.inception import FID_WEIGHTS_URL

    assert INCEPTION_WEIGHTS_URL == FID_WEIGHTS_URL and FID_WEIGHTS_URL.endswith(INCEPTION_WEIGHTS_FILENAME)


@pytest.fixture(scope="module")
def random_inception_weights(tmp_path_factory) -> Path:
    """A state dict with the FID Inception's layout and random weights (the real ones are not here).

    The FID blocks subclass torchvision's Inception blocks with the same sub-modules, so the
    state dict of torchvision's Inception-v3 (1008 classes, no aux head) has the same keys.
    Kaiming-normal convolutions keep the activations O(1) through the network.
    """
    import torchvision

    torch.manual_seed(0)
    network = torchvision.models.inception_v3(
        weights=None, aux_logits=False, num_classes=1008, init_weights=False
    )
    for module in network.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    path = tmp_path_factory.mktemp("inception") / "random_inception.pth"
    torch.save(network.state_dict(), path)
    return path


@pytest.mark.slow
def test_extractor_loads_a_local_file_and_returns_pool3_features(random_inception_weights):
    extractor = InceptionFeatureExtractor(random_inception_weights, device="cpu")
    as_uint8 = (_random_images(2, size=16, seed=6) * 255).round().to(torch.uint8)
    features = extractor.extract(as_uint8, batch_size=1, progress=False)
    assert features.shape == (2, 2048) and features.dtype == np.float32
    assert np.isfinite(features).all() and (features >= 0).all()  # averages of ReLU outputs
    assert np.abs(features[0] - features[1]).max() > 1e-3 * np.abs(features).max()
    # one batch of floats in [0, 1] gives the same features as two batches of uint8
    as_float = extractor.extract(as_uint8.float() / 255, batch_size=2, progress=False)
    assert np.allclose(features, as_float, rtol=1e-4, atol=1e-5 * np.abs(features).max())


class _FakeExtractor:
    """Stands in for the Inception network: the features are the mean colours (N, 3)."""

    def __init__(self, weights_path=None, device=None):
        self.weights_path = inception_weights_path(weights_path)

    def extract(self, images, batch_size=50, progress=True):
        return images.double().mean(dim=(2, 3)).numpy()  # (N, 3)


def test_fid_and_kid_conveniences_extract_both_sets_and_compare_them(monkeypatch, tmp_path):
    fid_module = importlib.import_module("gancolor.metrics.fid")  # the attribute `fid` is the function
    monkeypatch.setattr(fid_module, "InceptionFeatureExtractor", _FakeExtractor)
    weights = tmp_path / "weights.pth"
    weights.write_bytes(b"x")
    a, b = _random_images(30, size=8, seed=8), _random_images(30, size=8, seed=9) * 0.5
    features_a, features_b = (_FakeExtractor(weights).extract(x) for x in (a, b))
    assert fid(a, b, weights_path=weights) == fid_from_features(features_a, features_b)
    assert kid(a, b, weights_path=weights, num_subsets=5, subset_size=10, seed=3) == kid_from_features(
        features_a, features_b, num_subsets=5, subset_size=10, seed=3
    )


def test_a_file_that_is_not_the_inception_state_dict_is_refused(tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="garbage.pth"):
        InceptionFeatureExtractor(garbage, device="cpu")
    wrong_keys = tmp_path / "wrong_keys.pth"
    torch.save({"conv.weight": torch.zeros(1)}, wrong_keys)
    with pytest.raises(CheckpointError, match="wrong_keys.pth") as caught:
        InceptionFeatureExtractor(wrong_keys, device="cpu")
    assert "\n" not in str(caught.value)
