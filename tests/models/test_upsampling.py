"""The super-resolution generator (gancolor.models.upsampling)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gancolor.models.upsampling import UpsamplingGenerator, pixel_shuffle_block


@pytest.mark.parametrize("scale", [2, 4])
def test_output_is_scale_times_larger_in_range(scale):
    g = UpsamplingGenerator(scale=scale, width=8, depth=3, max_width=16, features=8)
    x = torch.rand(2, 1, 16, 24) * 2 - 1
    out = g(x)
    assert out.shape == (2, 3, 16 * scale, 24 * scale)
    assert out.abs().max() <= 1.0


def test_untrained_lightness_is_bicubic():
    torch.manual_seed(0)
    g = UpsamplingGenerator(scale=2, width=8, depth=2, max_width=16, features=8).eval()
    x = torch.rand(1, 1, 8, 8) * 1.6 - 0.8
    bicubic = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False).clamp(-1, 1)
    assert torch.allclose(g(x)[:, :1], bicubic, atol=1e-6)


def test_pixel_shuffle_block_doubles():
    assert pixel_shuffle_block(4)(torch.zeros(1, 4, 5, 7)).shape == (1, 4, 10, 14)


def test_bad_settings_and_inputs():
    with pytest.raises(ValueError, match="scale"):
        UpsamplingGenerator(scale=3)
    g = UpsamplingGenerator(scale=2, width=8, depth=2, max_width=8, features=4)
    with pytest.raises(ValueError, match=r"\(N, 1, h, w\)"):
        g(torch.zeros(1, 3, 8, 8))
    rebuilt = type(g)(**g.config)
    assert rebuilt.config == g.config
