"""The check of exercise 2.4 (a DCGAN training step) both ways: it passes on notebook 02's step and on
equivalent forms, lets the stub's NotImplementedError through, and names each planted mistake."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from exercise_asserts import fails, passes

from gancolor import losses
from gancolor.course import checks

check = checks.training_step


def reference(G, D, opt_g, opt_d, real_batch, z):  # noqa: N803
    """Notebook 02's step (section 4), as a loop over the two updates, D's first."""
    fake = G(z)
    updates = [(opt_d, lambda: losses.discriminator_loss(D(real_batch), D(fake.detach()))),
               (opt_g, lambda: losses.generator_loss(D(fake)))]
    out = []
    for optimizer, loss_of in updates:
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        optimizer.step()
        out.append(loss.item())
    return tuple(out)


def separate_backwards(G, D, opt_g, opt_d, real_batch, z):  # noqa: N803
    """Real and fake terms back-propagated one after the other; zero_grad of both up front; fakes
    made under no_grad for D and again for G; binary cross-entropy written out."""
    opt_d.zero_grad()
    opt_g.zero_grad()
    with torch.no_grad():
        fake = G(z)
    real_logits, fake_logits = D(real_batch), D(fake)
    loss_real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    loss_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    loss_real.backward()
    loss_fake.backward()
    opt_d.step()
    fake_logits = D(G(z))
    loss_g = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    loss_g.backward()
    opt_g.step()
    return loss_real.item() + loss_fake.item(), loss_g.item()


def halved_d_loss(G, D, opt_g, opt_d, real_batch, z):  # noqa: N803
    """pix2pix's 0.5 * (real + fake) for D, tensors returned."""
    fake = G(z)
    loss_d = 0.5 * (F.softplus(-D(real_batch)).mean() + F.softplus(D(fake.detach())).mean())
    D.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = F.softplus(-D(fake)).mean()
    G.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d, loss_g


def variant(detach=True, zero_d=True, zero_g=True, step_d=True, step_g=True, concat=False,
            g_loss="nonsaturating", zero_first=False, retain=False, g_before_d=False):
    def train_step(G, D, opt_g, opt_d, real_batch, z):  # noqa: N803
        if zero_first:
            if zero_d:
                opt_d.zero_grad()
            if zero_g:
                opt_g.zero_grad()
        fake = G(z)
        judged = fake.detach() if detach else fake
        if g_before_d:
            loss_g = losses.generator_loss(D(fake))
            loss_g.backward()
            opt_g.step()
        if concat:
            logits = D(torch.cat([real_batch, judged]))
            real_logits, fake_logits = logits[: len(real_batch)], logits[len(real_batch):]
        else:
            real_logits, fake_logits = D(real_batch), D(judged)
        loss_d = losses.discriminator_loss(real_logits, fake_logits)
        if zero_d and not zero_first:
            opt_d.zero_grad()
        loss_d.backward(retain_graph=retain)
        if step_d:
            opt_d.step()
        if g_before_d:
            return loss_d.item(), loss_g.item()
        if g_loss == "d_loss":
            loss_g = losses.discriminator_loss(D(real_batch), D(fake))
        elif g_loss == "minimax":
            loss_g = losses.generator_loss(D(fake), "minimax")
        else:
            loss_g = losses.generator_loss(D(fake))
        if zero_g and not zero_first:
            opt_g.zero_grad()
        loss_g.backward()
        if step_g:
            opt_g.step()
        return loss_d.item(), loss_g.item()

    return train_step


@pytest.mark.parametrize("student", [reference, separate_backwards, halved_d_loss, variant(zero_first=True)],
                         ids=["notebook", "separate-backwards", "halved-d-loss", "zero-grad-first"])
def test_passes_on_equivalent_steps(student, capsys):
    passes(check, student, capsys)


def test_the_stub_raises_not_implemented():
    def stub(*args):
        raise NotImplementedError("Exercise 2.4: not done yet")

    with pytest.raises(NotImplementedError, match="Exercise 2.4"):
        check(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (variant(detach=False), ("D's loss back-propagates into G", "graph a second time")),
    (variant(detach=False, retain=True), ("D's loss back-propagates into G",)),
    (variant(detach=False, retain=True, zero_first=True), ("D's loss back-propagates into G",)),
    (variant(g_loss="d_loss"), ("G was updated with D's loss",)),
    (variant(g_loss="minimax"), ("minimax",)),
    (variant(concat=True), ("real and fake together", "batch norm")),
    (variant(zero_d=False), ("D's optimizer never cleared them",)),
    (variant(zero_g=False), ("G's optimizer never cleared them",)),
    (variant(step_d=False), ("D was not updated",)),
    (variant(step_g=False), ("G was not updated",)),
    (variant(g_before_d=True), ("before D's update",)),
], ids=["no-detach", "no-detach-retain-graph", "no-detach-zero-grad-first", "g-with-d-loss", "minimax",
        "one-d-call-concatenated", "no-zero-grad-d", "no-zero-grad-g", "no-d-step", "no-g-step", "g-first"])
def test_fails_on_planted_mistakes_naming_them(student, needles):
    fails(check, student, *needles)


def test_a_wrong_returned_loss_is_named():
    def wrong_return(*args):
        loss_d, loss_g = reference(*args)
        return loss_g, loss_d

    fails(check, wrong_return, "D loss returned")


def test_leaves_the_global_random_state_alone(capsys):
    torch.manual_seed(5)
    before = torch.get_rng_state()
    check(reference)
    assert torch.equal(torch.get_rng_state(), before)
