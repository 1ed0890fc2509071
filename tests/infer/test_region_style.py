"""Region-controlled style: reading and resizing masks, feathering their edge, blending in sRGB values."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from gancolor.errors import ImageReadError
from gancolor.infer.region_style import DEFAULT_FEATHER, blend_region, feather_mask, read_mask, resize_mask


def half_mask(height: int = 40, width: int = 80) -> np.ndarray:
    """Weights (H, W) float32: 1 on the left half, 0 on the right."""
    mask = np.zeros((height, width), np.float32)
    mask[:, : width // 2] = 1.0
    return mask


def test_feather_turns_a_hard_edge_into_a_smooth_ramp_of_twice_the_radius():
    soft = feather_mask(half_mask(), feather=6)
    row = soft[20]
    assert np.all(row[:34] == 1.0) and np.all(row[46:] == 0.0)  # farther than 6 px: untouched
    assert np.all(np.diff(row[33:47]) < 0)  # strictly falling across the 2 x 6 px ramp
    assert np.diff(row).min() > -0.2  # no jump: at most a fifth of the way in one pixel
    assert abs((row[39] + row[40]) / 2 - 0.5) < 1e-6  # centred on the edge (between columns 39 and 40)
    assert np.allclose(soft, soft[:1])  # the same in every row (the edge is vertical)


def test_feather_zero_keeps_the_mask_and_a_negative_radius_is_refused():
    mask = half_mask()
    assert np.array_equal(feather_mask(mask, 0), mask)
    with pytest.raises(ValueError, match="feather"):
        feather_mask(mask, -1)
    assert DEFAULT_FEATHER > 0


def test_blend_is_the_input_outside_the_stylization_inside_and_linear_between():
    rng = np.random.default_rng(0)
    original = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    stylized = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    assert np.array_equal(blend_region(original, stylized, np.zeros((10, 12))), original)
    assert np.array_equal(blend_region(original, stylized, np.ones((10, 12))), stylized)
    half = blend_region(original, stylized, np.full((10, 12), 0.5))
    expected = (original.astype(float) + stylized) / 2
    assert np.abs(half - expected).max() <= 0.5 + 1e-9  # the mean, in sRGB values, to uint8 rounding
    with pytest.raises(ValueError, match="same height and width"):
        blend_region(original, stylized, np.ones((10, 11)))


def test_resize_mask_stretches_to_the_photo_and_refuses_another_shape(tmp_path):
    mask = np.zeros((20, 30), np.uint8)
    mask[:, :15] = 255
    weights = resize_mask(mask, (200, 300))
    assert weights.shape == (200, 300) and weights.dtype == np.float32
    assert weights[:, :140].min() == 1.0 and weights[:, 160:].max() == 0.0
    with pytest.raises(ImageReadError, match="tall.png.*different shape"):
        resize_mask(np.zeros((90, 10), np.uint8), (100, 100), tmp_path / "tall.png")


def test_read_mask_takes_colour_and_alpha_and_names_a_bad_file(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[:, :2, 3] = 255  # opaque white on the left, transparent on the right
    Image.fromarray(rgba, "RGBA").save(tmp_path / "m.png")
    mask = read_mask(tmp_path / "m.png")
    assert mask.dtype == np.uint8 and mask[:, :2].min() == 255 and mask[:, 2:].max() == 0
    (tmp_path / "bad.png").write_bytes(b"not an image")
    for name, reason in [("missing.png", "no such file"), ("bad.png", "not an image")]:
        with pytest.raises(ImageReadError) as info:
            read_mask(tmp_path / name)
        assert name in str(info.value) and reason in str(info.value) and "\n" not in str(info.value)
