"""Toy problems of notebook 01: the ring of Gaussians, mode coverage, the MLP, D*, Gaussian densities."""

import math

import pytest
import torch

from gancolor import toys


def test_ring_centers_lie_evenly_on_the_circle():
    centers = toys.ring_centers(8, radius=2.0)
    assert centers.shape == (8, 2) and centers.dtype == torch.float32
    assert torch.allclose(centers.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(centers[0], torch.tensor([2.0, 0.0]))
    assert torch.allclose(centers[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    with pytest.raises(ValueError, match="modes"):
        toys.ring_centers(0)


def test_sample_ring_is_repeatable_and_has_the_right_spread():
    a = toys.sample_ring(4000, std=0.05, generator=torch.Generator().manual_seed(0))
    b = toys.sample_ring(4000, std=0.05, generator=torch.Generator().manual_seed(0))
    assert a.shape == (4000, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)
    distance_to_nearest = torch.cdist(a, toys.ring_centers()).min(dim=1).values
    # |N(0, std² I_2)| is Rayleigh: mean std * sqrt(pi / 2)
    assert distance_to_nearest.mean().item() == pytest.approx(0.05 * math.sqrt(math.pi / 2), rel=0.05)


def test_mode_coverage_of_real_samples_and_of_a_collapsed_generator():
    rng = torch.Generator().manual_seed(1)
    real = toys.mode_coverage(toys.sample_ring(2000, std=0.05, generator=rng), std=0.05)
    assert real.covered == 8 and bool(real.covered_mask.all())
    assert real.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # 3 sigmas in 2-D
    assert int(real.counts.sum()) == round(real.high_quality * 2000)

    collapsed = toys.ring_centers()[3] + 0.01 * torch.randn(500, 2, generator=rng)  # all on mode 3
    result = toys.mode_coverage(collapsed, std=0.05)
    assert result.covered == 1 and result.covered_mask.tolist() == [i == 3 for i in range(8)]
    assert result.counts.tolist() == [0, 0, 0, 500, 0, 0, 0, 0]
    assert result.high_quality == 1.0

    between = toys.mode_coverage(torch.zeros(100, 2))  # the center of the ring: near no mode
    assert between.covered == 0 and between.high_quality == 0.0


def test_mode_coverage_threshold_and_bad_shape():
    points = torch.cat([toys.ring_centers()[:1].repeat(10, 1), toys.ring_centers()[1:2].repeat(2, 1)])
    assert toys.mode_coverage(points, min_count=3).covered == 1
    assert toys.mode_coverage(points, min_count=2).covered == 2
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        toys.mode_coverage(torch.zeros(5, 3))


def test_mlp_shapes_and_layers():
    torch.manual_seed(0)
    net = toys.mlp(8, 2, hidden=16, layers=3)
    assert net(torch.randn(5, 8)).shape == (5, 2)
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert toys.mlp(2, 1, layers=1)(torch.randn(4, 2)).shape == (4, 1)
    with pytest.raises(ValueError):
        toys.mlp(2, 1, layers=0)


def test_optimal_discriminator():
    p_data = torch.tensor([1.0, 3.0, 0.0, 2.0, 0.0])
    p_g = torch.tensor([1.0, 1.0, 2.0, 0.0, 0.0])
    assert toys.optimal_discriminator(p_data, p_g).tolist() == [0.5, 0.75, 0.0, 1.0, 0.5]


def test_optimal_discriminator_maximises_the_value_pointwise():
    """a log y + b log(1 - y) is largest at y = a / (a + b)."""
    a, b = torch.tensor(0.3, dtype=torch.float64), torch.tensor(1.1, dtype=torch.float64)
    y = torch.linspace(0.001, 0.999, 9999, dtype=torch.float64)
    best = y[(a * y.log() + b * (1 - y).log()).argmax()]
    assert best.item() == pytest.approx(toys.optimal_discriminator(a, b).item(), abs=1e-3)


def test_normal_pdf_and_log_pdf():
    x = torch.linspace(-10, 10, 20001, dtype=torch.float64)
    pdf = toys.normal_pdf(x, 1.0, 2.0)
    assert (pdf.sum() * 0.001).item() == pytest.approx(1.0, abs=1e-5)  # tails beyond 4.5 sigma: 3.4e-6
    assert torch.allclose(toys.normal_log_pdf(x, 1.0, 2.0).exp(), pdf)
    assert toys.normal_pdf(torch.tensor(0.0)).item() == pytest.approx(1 / math.sqrt(2 * math.pi))
    far = torch.tensor([-200.0], dtype=torch.float64)
    assert toys.normal_pdf(far).item() == 0.0 and torch.isfinite(toys.normal_log_pdf(far)).all()
