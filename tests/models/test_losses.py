"""GAN objectives: the optimal discriminator and the value of the game (Goodfellow 2014),
saturation, numerical stability, hand-computed values, gradient penalty, R1, L1."""

import math

import pytest
import torch

from gancolor.losses import (
    GAN_LOSSES,
    discriminator_loss,
    gan_value,
    generator_loss,
    gradient_penalty,
    l1_loss,
    r1_penalty,
)

# Two distributions over 10 points, as counts out of 100 (every point has mass under both).
DATA_COUNTS = torch.tensor([20, 15, 12, 10, 9, 8, 8, 7, 6, 5])
G_COUNTS = torch.tensor([2, 4, 6, 8, 10, 10, 12, 14, 16, 18])


def _optimal_logits(data_counts: torch.Tensor, g_counts: torch.Tensor, steps: int = 20) -> torch.Tensor:
    """Train one free logit per point to minimise the minimax D loss, by Newton's method.

    Repeating each point's logit by its count makes the loss's means the expectations
    E_{p_data} and E_{p_g} exactly. The loss is a sum of one convex function per logit, so its
    Hessian is diagonal: the second derivative of grad.sum() gives it.
    """
    logits = torch.zeros(len(data_counts), dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        loss = discriminator_loss(logits.repeat_interleave(data_counts), logits.repeat_interleave(g_counts),
                                  kind="minimax")
        (grad,) = torch.autograd.grad(loss, logits, create_graph=True)
        (curvature,) = torch.autograd.grad(grad.sum(), logits)
        with torch.no_grad():
            logits -= grad / curvature  # Newton step per logit
    assert grad.abs().max() < 1e-12  # converged
    return logits.detach()


def _jsd(p: torch.Tensor, q: torch.Tensor) -> float:
    """Jensen-Shannon divergence in nats: ½ KL(p || m) + ½ KL(q || m), m = (p + q) / 2."""
    m = (p + q) / 2
    return float(0.5 * (p * (p / m).log()).sum() + 0.5 * (q * (q / m).log()).sum())


def test_optimal_discriminator_is_p_data_over_p_data_plus_p_g():
    # Goodfellow et al. 2014, Proposition 1: D*(x) = p_data(x) / (p_data(x) + p_g(x)).
    p_data, p_g = DATA_COUNTS / 100.0, G_COUNTS / 100.0
    d_star = torch.sigmoid(_optimal_logits(DATA_COUNTS, G_COUNTS))
    assert torch.allclose(d_star, (p_data / (p_data + p_g)).double(), atol=1e-2)


def test_value_of_the_game_at_the_optimal_discriminator():
    # Theorem 1: V(D*, G) = -log 4 + 2 JSD(p_data || p_g).
    p_data, p_g = DATA_COUNTS.double() / 100.0, G_COUNTS.double() / 100.0
    logits = _optimal_logits(DATA_COUNTS, G_COUNTS)
    value = gan_value(logits.repeat_interleave(DATA_COUNTS), logits.repeat_interleave(G_COUNTS))
    assert float(value) == pytest.approx(-math.log(4) + 2 * _jsd(p_data, p_g), abs=1e-6)
    assert float(value) > -math.log(4) + 0.1  # these two distributions differ


def test_value_is_minus_log_4_when_the_generator_is_perfect():
    logits = _optimal_logits(DATA_COUNTS, DATA_COUNTS)
    assert torch.allclose(torch.sigmoid(logits), torch.full_like(logits, 0.5), atol=1e-6)  # D* = 1/2
    value = gan_value(logits.repeat_interleave(DATA_COUNTS), logits.repeat_interleave(DATA_COUNTS))
    assert float(value) == pytest.approx(-math.log(4), abs=1e-9)
    zeros = torch.zeros(5)
    assert float(gan_value(zeros, zeros)) == pytest.approx(-math.log(4))


def test_minimax_and_nonsaturating_share_the_discriminator_loss():
    real, fake = torch.randn(64), torch.randn(64)
    minimax = discriminator_loss(real, fake, "minimax")
    assert torch.equal(minimax, discriminator_loss(real, fake, "nonsaturating"))
    assert torch.allclose(minimax, -gan_value(real, fake))  # D maximises V
    # -[log D(x) + log(1 - D(G(z)))] with D = sigmoid, computed naively for moderate logits
    naive = -(torch.sigmoid(real).log().mean() + (1 - torch.sigmoid(fake)).log().mean())
    assert torch.allclose(minimax, naive, atol=1e-6)


def _logit_gradient(kind: str, logit: float) -> float:
    t = torch.tensor([logit], requires_grad=True)
    generator_loss(t, kind).backward()
    return float(t.grad)


def test_minimax_generator_saturates_when_the_discriminator_wins():
    # D(G(z)) = sigmoid(-10) ≈ 4.5e-5: D confidently rejects the fakes, as early in training.
    # d/dt log(1 - sigmoid(t)) = -sigmoid(t) ≈ 0, while d/dt -log sigmoid(t) = -sigmoid(-t) ≈ -1.
    saturating = _logit_gradient("minimax", -10.0)
    non_saturating = _logit_gradient("nonsaturating", -10.0)
    assert abs(saturating) < 1e-3
    assert saturating == pytest.approx(-torch.sigmoid(torch.tensor(-10.0)).item(), rel=1e-4)
    assert non_saturating == pytest.approx(-1.0, abs=1e-3)
    # Both push the fake logit up, and agree where D is unsure (t = 0): gradient -1/2.
    assert _logit_gradient("minimax", 0.0) == pytest.approx(-0.5)
    assert _logit_gradient("nonsaturating", 0.0) == pytest.approx(-0.5)


@pytest.mark.parametrize("kind", GAN_LOSSES)
def test_losses_are_finite_for_extreme_logits(kind):
    real = torch.tensor([200.0, -200.0, 0.0], requires_grad=True)
    fake = torch.tensor([-200.0, 200.0, 0.0], requires_grad=True)
    d_loss = discriminator_loss(real, fake, kind)
    g_loss = generator_loss(fake, kind)
    (d_loss + g_loss).backward()
    assert torch.isfinite(d_loss) and torch.isfinite(g_loss)
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


def test_naive_log_sigmoid_overflows_where_softplus_does_not():
    # The contrast: log(sigmoid(t)) with sigmoid(-200) rounded to 0 in float32.
    t = torch.tensor([-200.0], requires_grad=True)
    naive = torch.log(torch.sigmoid(t))
    naive.backward()
    assert torch.isinf(naive).all() and torch.isnan(t.grad).all()
    t.grad = None
    stable = generator_loss(t, "nonsaturating")  # -log sigmoid(t) = softplus(-t) = 200
    stable.backward()
    assert stable.item() == pytest.approx(200.0) and t.grad.item() == pytest.approx(-1.0)
    assert float(discriminator_loss(torch.tensor([-200.0]), torch.tensor([200.0]), "minimax")) \
        == pytest.approx(400.0)


# Hand-computed examples: real logits (2, -1), fake logits (0.5, -3).
REAL, FAKE = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])


@pytest.mark.parametrize("kind, d_value, g_value", [
    # ½ mean((r-1)²) + ½ mean(f²) = ½ (1 + 4)/2 + ½ (0.25 + 9)/2;   ½ mean((f-1)²) = ½ (0.25 + 16)/2
    ("lsgan", 1.25 + 2.3125, 4.0625),
    # mean(relu(1-r)) + mean(relu(1+f)) = (0 + 2)/2 + (1.5 + 0)/2;   -mean(f) = 1.25
    ("hinge", 1.75, 1.25),
    # mean(f) - mean(r) = -1.25 - 0.5
    ("wgan", -1.75, 1.25),
    # softplus(-2), softplus(1), softplus(0.5), softplus(-3);   -mean(softplus(f))
    ("minimax", (math.log1p(math.exp(-2)) + math.log1p(math.e)) / 2
     + (math.log1p(math.exp(0.5)) + math.log1p(math.exp(-3))) / 2,
     -(math.log1p(math.exp(0.5)) + math.log1p(math.exp(-3))) / 2),
    ("nonsaturating", None, (math.log1p(math.exp(-0.5)) + math.log1p(math.exp(3))) / 2),
])
def test_loss_values_by_hand(kind, d_value, g_value):
    if d_value is not None:
        assert float(discriminator_loss(REAL, FAKE, kind)) == pytest.approx(d_value)
    assert float(generator_loss(FAKE, kind)) == pytest.approx(g_value)


def test_unknown_kind_lists_the_valid_ones():
    with pytest.raises(ValueError, match="minimax, nonsaturating, lsgan, hinge, wgan"):
        discriminator_loss(REAL, FAKE, "vanilla")
    with pytest.raises(ValueError, match="'relativistic'"):
        generator_loss(FAKE, "relativistic")


# ---------------------------------------------------------------------------------- penalties


@pytest.mark.parametrize("c", [1.0, 0.5, 3.0])
def test_gradient_penalty_of_a_linear_critic(c):
    # D(x) = <w, x> has gradient w everywhere: the penalty is (||w|| - 1)² = (c - 1)², and since
    # the gradient graph is kept, d/dw (||w|| - 1)² = 2 (c - 1) w / c reaches the critic.
    direction = torch.randn(2 * 4 * 4, generator=torch.Generator().manual_seed(0))
    w = (c * direction / direction.norm()).requires_grad_(True)
    real, fake = torch.randn(8, 2, 4, 4), torch.randn(8, 2, 4, 4)
    penalty = gradient_penalty(lambda x: x.flatten(1) @ w, real, fake)
    assert penalty.item() == pytest.approx((c - 1) ** 2, abs=1e-6)
    penalty.backward()
    assert torch.allclose(w.grad, 2 * (c - 1) * w.detach() / c, atol=1e-6)


def test_gradient_penalty_samples_on_the_segment_between_real_and_fake():
    seen = []

    def critic(x):
        seen.append(x.detach())
        return x.pow(2).flatten(1).sum(1)  # ∇ = 2x̂: non-constant, so the draw matters

    real, fake = torch.randn(6, 3, 4, 4), torch.randn(6, 3, 4, 4)
    first = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(1))
    again = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again)  # reproducible with a seeded generator
    eps = (seen[0] - fake) / (real - fake)  # x̂ = εx + (1-ε)x̃  =>  ε = (x̂ - x̃) / (x - x̃)
    per_sample = eps.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-4)  # one ε per sample
    assert ((per_sample >= 0) & (per_sample <= 1)).all()
    expected = ((2 * seen[0].flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert torch.allclose(first, expected)
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(critic, real, fake[:3])


def test_r1_penalty_of_half_squared_norm():
    # D(x) = a ½||x||² has ∇_x D = a x, so R1 = a² E||x||², and d R1 / da = 2a E||x||².
    a = torch.tensor(1.5, requires_grad=True)
    real = torch.randn(5, 3, 4, 4).requires_grad_(True)
    logits = a * 0.5 * real.pow(2).flatten(1).sum(1)
    penalty = r1_penalty(logits, real)
    mean_sq_norm = real.detach().pow(2).flatten(1).sum(1).mean()
    assert torch.allclose(penalty, 1.5**2 * mean_sq_norm)
    penalty.backward()
    assert torch.allclose(a.grad, 2 * 1.5 * mean_sq_norm)


def test_r1_penalty_explains_missing_requires_grad():
    real = torch.randn(2, 3)
    with pytest.raises(ValueError, match=r"requires_grad_\(True\)"):
        r1_penalty(real.sum(1), real)


def test_l1_loss():
    pred = torch.tensor([[0.0, 1.0], [-1.0, 0.5]])
    target = torch.tensor([[0.5, 1.0], [1.0, 0.0]])
    assert float(l1_loss(pred, target)) == pytest.approx((0.5 + 0 + 2 + 0.5) / 4)
    with pytest.raises(ValueError, match="same shape"):
        l1_loss(pred, target[:1])
