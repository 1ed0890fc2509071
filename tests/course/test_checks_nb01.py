"""The checks of notebook 01 pass on the reference, re-raise the stub's NotImplementedError,
and name the typical mistakes (wrong sign, real/fake swapped, sigmoid + log, sum for mean ...)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gancolor import losses, toys
from gancolor.course import checks
from gancolor.course.checks import ExerciseFailed, passed_line

# --------------------------------------------------------------------------------------
# Exercise 1.1: discriminator loss
# --------------------------------------------------------------------------------------


def d_reference(real_logits, fake_logits):
    return losses.discriminator_loss(real_logits, fake_logits, kind="minimax")


def d_bce(real_logits, fake_logits):
    """How a student would write it with BCE-with-logits."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def d_logsigmoid(real_logits, fake_logits):
    return -(F.logsigmoid(real_logits).mean() + F.logsigmoid(-fake_logits).mean())


def d_stub(real_logits, fake_logits):
    raise NotImplementedError("Exercise 1.1: compute the loss from logits")


D_MISTAKES = {
    "wrong sign": (lambda r, f: -d_reference(r, f),
                   "negative of the expected one.*maximise instead of minimise"),
    "swapped": (lambda r, f: d_reference(f, r), "swapped real and fake"),
    "sigmoid + log": (lambda r, f: -(torch.log(torch.sigmoid(r)).mean()
                                     + torch.log(1 - torch.sigmoid(f)).mean()),
                      r"-?inf for a fake logit of 50(.|\n)*softplus"),
    "eps in the log": (lambda r, f: -(torch.log(torch.sigmoid(r) + 1e-8).mean()
                                      + torch.log(1 - torch.sigmoid(f) + 1e-8).mean()),
                       "finite but wrong for a fake logit of 50(.|\n)*eps"),
    "clamped BCE": (lambda r, f: (F.binary_cross_entropy(torch.sigmoid(r), torch.ones_like(r))
                                  + F.binary_cross_entropy(torch.sigmoid(f), torch.zeros_like(f))),
                    "finite but wrong(.|\n)*clamps the log at -100"),
    "sum": (lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(), "summed over the batch"),
    "halved": (lambda r, f: d_reference(r, f) / 2, "half the expected one"),
    "one BCE over both": (lambda r, f: F.binary_cross_entropy_with_logits(
        torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])),
        "one mean over the real and fake"),
    "real term only": (lambda r, f: F.softplus(-r).mean(), "only the real term"),
    "sigmoid twice": (lambda r, f: d_bce(torch.sigmoid(r), torch.sigmoid(f)),
                      "applied sigmoid to the logits"),
    "no mean": (lambda r, f: torch.cat([F.softplus(-r).flatten(), F.softplus(f).flatten()]), "single number"),
    "detached": (lambda r, f: torch.tensor(d_reference(r, f).item()), "not connected to the logits"),
    "python float": (lambda r, f: d_reference(r, f).item(), "should be a torch.Tensor"),
}


def test_discriminator_loss_passes_on_the_reference(capsys):
    checks.discriminator_loss(d_reference)
    assert capsys.readouterr().out.strip() == passed_line("1.1", "discriminator loss")
    for student in (d_bce, d_logsigmoid):
        checks.discriminator_loss(student)


def test_discriminator_loss_lets_the_stub_raise():
    with pytest.raises(NotImplementedError, match="Exercise 1.1"):
        checks.discriminator_loss(d_stub)


@pytest.mark.parametrize("mistake", sorted(D_MISTAKES))
def test_discriminator_loss_names_the_mistake(mistake):
    student, message = D_MISTAKES[mistake]
    with pytest.raises(ExerciseFailed, match=message) as info:
        checks.discriminator_loss(student)
    assert str(info.value).startswith("Exercise 1.1 (discriminator loss): ")


# --------------------------------------------------------------------------------------
# Exercise 1.2: generator loss, both forms
# --------------------------------------------------------------------------------------


def g_reference(fake_logits, kind):
    return losses.generator_loss(fake_logits, kind)


def g_bce(fake_logits, kind):
    if kind == "minimax":
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def g_stub(fake_logits, kind):
    raise NotImplementedError("Exercise 1.2: both forms")


def _naive(fake_logits, kind):
    d = torch.sigmoid(fake_logits)
    return torch.log(1 - d).mean() if kind == "minimax" else -torch.log(d).mean()


G_MISTAKES = {
    "forms swapped": (lambda t, k: g_reference(t, "nonsaturating" if k == "minimax" else "minimax"),
                      "swapped"),
    "kind ignored": (lambda t, k: g_reference(t, "nonsaturating"), "same loss for both kinds"),
    "target 0 for G": (lambda t, k: g_reference(t, k) if k == "minimax" else F.softplus(t).mean(),
                       "used the target 0"),
    "minimax sign": (lambda t, k: -g_reference(t, k) if k == "minimax" else g_reference(t, k),
                     "minimax loss is the negative of the expected one"),
    "minimax sigmoid + log": (lambda t, k: _naive(t, k) if k == "minimax" else g_reference(t, k),
                              r"-?inf for kind='minimax' and a fake logit of 50"),
    "nonsaturating sigmoid + log": (lambda t, k: _naive(t, k) if k == "nonsaturating" else g_reference(t, k),
                                    r"inf for kind='nonsaturating' and a fake logit of -150"),
    "sum": (lambda t, k: g_reference(t, k) * t.numel(), "summed over the batch"),
    "minimax as log D": (lambda t, k: F.logsigmoid(t).mean() if k == "minimax" else g_reference(t, k),
                         "negative of the nonsaturating loss"),
    "detached": (lambda t, k: g_reference(t.detach(), k), "not connected to the logits"),
}


def test_generator_loss_passes_on_the_reference(capsys):
    checks.generator_loss(g_reference)
    assert capsys.readouterr().out.strip() == passed_line("1.2", "generator loss, both forms")
    checks.generator_loss(g_bce)


def test_generator_loss_lets_the_stub_raise():
    with pytest.raises(NotImplementedError, match="Exercise 1.2"):
        checks.generator_loss(g_stub)


@pytest.mark.parametrize("mistake", sorted(G_MISTAKES))
def test_generator_loss_names_the_mistake(mistake):
    student, message = G_MISTAKES[mistake]
    with pytest.raises(ExerciseFailed, match=message) as info:
        checks.generator_loss(student)
    assert str(info.value).startswith("Exercise 1.2 (generator loss, both forms): ")


# --------------------------------------------------------------------------------------
# Exercise 1.3: optimal discriminator
# --------------------------------------------------------------------------------------


def dstar_stub(p_data, p_g):
    raise NotImplementedError("Exercise 1.3: D* from the densities")


DSTAR_MISTAKES = {
    "probability of fake": (lambda p, q: q / (p + q), "probability that x is \\*fake\\*"),
    "ratio": (lambda p, q: p / q, "ratio p_data / p_g"),
    "mean": (lambda p, q: (p / (p + q)).mean(), "shape of the densities"),
    "eps": (lambda p, q: (p + 1e-8) / (p + q + 2e-8), "tiny densities"),
    "numpy": (lambda p, q: (p / (p + q)).numpy(), "torch.Tensor"),
}


def test_optimal_discriminator_passes_on_the_reference(capsys):
    checks.optimal_discriminator(toys.optimal_discriminator)
    assert capsys.readouterr().out.strip() == passed_line("1.3", "optimal discriminator")
    checks.optimal_discriminator(lambda p_data, p_g: p_data / (p_data + p_g))
    checks.optimal_discriminator(lambda p_data, p_g: torch.sigmoid(torch.log(p_data) - torch.log(p_g)))


def test_optimal_discriminator_lets_the_stub_raise():
    with pytest.raises(NotImplementedError, match="Exercise 1.3"):
        checks.optimal_discriminator(dstar_stub)


@pytest.mark.parametrize("mistake", sorted(DSTAR_MISTAKES))
def test_optimal_discriminator_names_the_mistake(mistake):
    student, message = DSTAR_MISTAKES[mistake]
    with pytest.raises(ExerciseFailed, match=message):
        checks.optimal_discriminator(student)


def test_checks_leave_the_global_random_state_alone():
    state = torch.get_rng_state()
    checks.discriminator_loss(d_reference)
    checks.generator_loss(g_reference)
    checks.optimal_discriminator(toys.optimal_discriminator)
    assert torch.equal(torch.get_rng_state(), state)
