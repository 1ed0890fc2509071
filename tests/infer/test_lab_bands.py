"""The banded full-resolution colour work (gancolor.infer.lab_bands) gives what the float path of
gancolor.color gave, up to one 8-bit level: on random colours, out-of-gamut chrominance, and the photos
scikit-image ships, rendered by the shipped colorizer as ``gancolor colorize`` does."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data as skdata

from gancolor.color import denormalize_ab, lab_to_rgb, normalize_lightness, rgb_to_lab, unit_to_uint8
from gancolor.infer import full_resolution, lab_bands
from gancolor.infer.colorizer import load_colorizer
from gancolor.infer.full_resolution import photo_lightness, render_full_resolution, shrink
from gancolor.infer.lab_bands import lab_to_rgb_u8, lightness_u8, upsample_rows


def float_lightness(rgb: np.ndarray) -> torch.Tensor:
    """The float path's L: (H, W, 3) uint8 -> (1, H, W) float32."""
    return rgb_to_lab(torch.from_numpy(np.array(rgb)).permute(2, 0, 1).float() / 255)[:1]


def float_rgb(L: torch.Tensor, ab_n: torch.Tensor) -> np.ndarray:  # noqa: N803
    """The float path's rendering (gancolor before the bands): ab_n (1, 2, h, w) upsampled bilinearly
    to L's (1, H, W), joined to it, Lab -> RGB, rounded to uint8 (H, W, 3)."""
    ab = F.interpolate(ab_n.float(), size=L.shape[-2:], mode="bilinear", align_corners=False)[0]
    return unit_to_uint8(lab_to_rgb(torch.cat((L, denormalize_ab(ab))))).permute(1, 2, 0).numpy()


def float_render(rgb: np.ndarray, size_for, predict_ab) -> np.ndarray:
    """render_full_resolution as it was: whole float images."""
    L = float_lightness(rgb)  # noqa: N806
    small = shrink(L[None], size_for(*L.shape[-2:]))
    return float_rgb(L, predict_ab(normalize_lightness(small)))


def assert_within_one_level(new: np.ndarray, old: np.ndarray, rare: float = 1e-4) -> None:
    assert new.shape == old.shape and new.dtype == old.dtype == np.uint8
    diff = np.abs(new.astype(int) - old.astype(int))
    assert diff.max() <= 1, f"max |diff| {diff.max()}"
    assert (diff > 0).mean() <= rare, f"{(diff > 0).mean():.2e} of the values differ"


def srgb_level(linear: np.ndarray) -> np.ndarray:
    """round(255 * sRGB gamma(clip(linear, 0, 1))) in float64: the reference of the 8-bit encoding."""
    x = np.clip(linear.astype(np.float64), 0, 1)
    return np.round(255 * np.where(x > 0.0031308, 1.055 * x ** (1 / 2.4) - 0.055, 12.92 * x)).astype(int)


# --- the pieces -------------------------------------------------------------------------------------


def test_the_8_bit_encoding_rounds_like_the_formula():
    linear = np.concatenate([np.linspace(-0.2, 1.2, 1_000_001), np.geomspace(1e-9, 1, 100_001),
                             [0.0, -0.0, 1.0, 5.0, -5.0]]).astype(np.float32)
    out = np.empty(linear.shape, np.uint8)
    lab_bands._encode_srgb(linear, out)
    reference = srgb_level(linear)
    assert np.abs(out.astype(int) - reference).max() <= 1
    assert (out != reference).sum() <= 20  # only values within a float32 rounding of a threshold


def test_lightness_matches_the_float_path():
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    grays = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)  # the gray fast path
    for rgb in (colours, grays, np.concatenate([grays[:, :200], colours[:1, :56]], axis=1)):
        assert np.abs(lightness_u8(rgb) - float_lightness(rgb)[0].numpy()).max() < 1e-4
    assert torch.equal(photo_lightness(colours), torch.from_numpy(lightness_u8(colours))[None])


def test_lightness_takes_only_uint8_rgb():
    for bad in (np.zeros((4, 4, 3), np.float32), np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8)):
        with pytest.raises(ValueError, match="uint8"):
            lightness_u8(bad)


@pytest.mark.parametrize("out_size, in_size", [(3000, 192), (37, 5), (5, 37), (64, 64), (1, 7), (7, 1)])
def test_row_resampling_is_torch_bilinear(out_size, in_size):
    rows = torch.randn(1, 1, in_size, 3, generator=torch.Generator().manual_seed(0))
    expected = F.interpolate(rows, size=(out_size, 3), mode="bilinear", align_corners=False)[0, 0].numpy()
    first, second, w0, w1 = upsample_rows(out_size, in_size)
    got = rows[0, 0].numpy()[first] * w0[:, None] + rows[0, 0].numpy()[second] * w1[:, None]
    assert np.abs(got - expected).max() < 5e-5  # (float32 sample positions: torch's to ~1e-5 at row 190)


def test_rgb_matches_the_float_path_on_random_and_out_of_gamut_colours():
    rng = np.random.default_rng(1)
    L = torch.from_numpy(rng.uniform(0, 100, (1, 90, 130)).astype(np.float32))  # noqa: N806
    for small in ((90, 130), (13, 17), (200, 300)):  # same size, upsampled, downsampled
        ab_n = torch.from_numpy(rng.uniform(-1.2, 1.2, (1, 2, *small)).astype(np.float32))
        assert_within_one_level(lab_to_rgb_u8(L[0].numpy(), ab_n), float_rgb(L, ab_n), rare=1e-3)


def test_bands_and_threads_do_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (61, 47, 3), dtype=np.uint8)
    ab_n = torch.from_numpy(rng.uniform(-1, 1, (1, 2, 9, 7)).astype(np.float32))
    expected = lab_to_rgb_u8(lightness_u8(rgb), ab_n)
    for band_pixels, threads in ((100, 1), (1, 2), (47 * 3 + 1, 2), (10**9, 2)):
        monkeypatch.setattr(lab_bands, "BAND_PIXELS", band_pixels)
        monkeypatch.setattr(torch, "get_num_threads", lambda threads=threads: threads)
        assert np.array_equal(lab_to_rgb_u8(lightness_u8(rgb), ab_n), expected)


def test_a_broken_chrominance_still_gives_an_image():
    ab_n = torch.full((1, 2, 3, 3), float("nan"))
    out = lab_to_rgb_u8(np.full((5, 4), 50, np.float32), ab_n)
    assert out.shape == (5, 4, 3) and out.dtype == np.uint8


# --- whole photos, as `gancolor colorize` renders them ----------------------------------------------


def skimage_photos() -> dict[str, np.ndarray]:
    photos = {name: getattr(skdata, name)() for name in ("astronaut", "coffee", "chelsea", "rocket")}
    photos["camera (gray)"] = np.repeat(skdata.camera()[..., None], 3, axis=2)
    photos["a 5x7 crop"] = photos["coffee"][:5, :7]
    return photos


@pytest.fixture(scope="module")
def colorizer():
    return load_colorizer()  # the shipped default, as `gancolor colorize` uses it


@pytest.mark.parametrize("name", list(skimage_photos()))
def test_colorize_matches_the_float_path_on_real_photos(colorizer, name):
    rgb = skimage_photos()[name]
    new = render_full_resolution(rgb, colorizer.working_size, colorizer.predict_ab)
    old = float_render(rgb, colorizer.working_size, colorizer.predict_ab)
    assert_within_one_level(new, old)


@pytest.mark.slow
def test_colorize_matches_the_float_path_on_a_12_megapixel_photo(colorizer):
    rgb = np.asarray(Image.fromarray(skdata.astronaut()).resize((4000, 3000), Image.BICUBIC))
    new = render_full_resolution(rgb, colorizer.working_size, colorizer.predict_ab)
    old = float_render(rgb, colorizer.working_size, colorizer.predict_ab)
    assert_within_one_level(new, old)


def test_the_network_runs_on_one_thread_only_for_a_small_working_image(monkeypatch):
    seen = []

    def predict_ab(L_n, *maps):  # noqa: N803
        seen.append(torch.get_num_threads())
        return torch.zeros(1, 2, *L_n.shape[-2:])

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        rgb = np.zeros((40, 60, 3), np.uint8)
        render_full_resolution(rgb, lambda h, w: (16, 24), predict_ab)
        monkeypatch.setattr(full_resolution, "ONE_THREAD_PIXELS", 16 * 24 - 1)
        render_full_resolution(rgb, lambda h, w: (16, 24), predict_ab)
        assert seen == [1, 2] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
