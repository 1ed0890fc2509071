"""The ResNet generator's predicted-filter skip (``filter_size``):
F(x)(p) = x(p) + Σ_Δ w_Δ(p) (x(p+Δ) - x(p))."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gancolor.models import ResnetGenerator
from gancolor.models.resnet import filter_pixels


def test_filter_pixels_gives_the_identity_a_box_blur_and_a_shift():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 12, 10) * 2 - 1
    assert torch.equal(filter_pixels(x, torch.zeros(2, 25, 12, 10)), x)
    box = F.avg_pool2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), 5, stride=1)
    assert torch.allclose(filter_pixels(x, torch.full((2, 25, 12, 10), 1 / 25)), box, atol=1e-6)
    right = torch.zeros(2, 9, 12, 10)
    right[:, 5] = 1  # row-major 3 x 3 window: index 5 is Δ = (0, +1), the right neighbour
    assert torch.allclose(filter_pixels(x, right)[..., :-1], x[..., 1:], atol=1e-6)
    flat = torch.full((1, 3, 6, 6), 0.3)  # weights act on differences: a flat image stays flat
    assert torch.allclose(filter_pixels(flat, torch.randn(1, 9, 6, 6)), flat, atol=1e-6)
    with pytest.raises(ValueError, match="K²"):
        filter_pixels(x, torch.zeros(2, 4, 12, 10))


def _fit_a_blur(filter_size: int) -> tuple[ResnetGenerator, float]:
    """A residual generator fitted for 100 Adam steps to a 3 x 3 box blur of noise; its final loss."""
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16) * 1.6 - 0.8
    target = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), 3, stride=1)
    model = ResnetGenerator(3, 3, width=8, n_blocks=1, upsample="bilinear", residual=True,
                            filter_size=filter_size)
    with torch.no_grad():
        assert torch.allclose(model(x), x, atol=1e-5)  # both start as the identity
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(100):
        loss = (model(x) - target).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, loss.item()


def test_the_filter_lets_the_generator_smooth_what_the_plain_residual_one_must_rebuild():
    filtering, filtered_loss = _fit_a_blur(3)
    _, plain_loss = _fit_a_blur(0)
    assert filtered_loss < 0.3 * plain_loss
    assert filtering.filter_head[1].weight.abs().sum() > 0  # the filter head moved, not only h
    assert filtering.config["filter_size"] == 3
    assert type(filtering)(**filtering.config).config == filtering.config
    assert "filter_size" not in ResnetGenerator(3, 3, width=8, n_blocks=1, residual=True).config


@pytest.mark.parametrize("settings", [dict(filter_size=4, residual=True), dict(filter_size=-3, residual=True),
                                      dict(filter_size=3, residual=False)])
def test_filter_size_must_be_odd_and_needs_the_residual_output(settings):
    with pytest.raises(ValueError, match="filter_size"):
        ResnetGenerator(3, 3, width=4, n_blocks=1, **settings)
