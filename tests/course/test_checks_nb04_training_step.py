"""Check 4.4 (a whole pix2pix training step) both ways: correct steps in several equivalent forms pass;
planted mistakes (missing detach, unconditioned D, λ on the wrong term, forgotten zero_grad, the
wrong order) fail with the mistake named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.losses import discriminator_loss, generator_loss

check = checks.pix2pix_training_step


def make_step(*, detach: bool = True, condition: bool = True, lam_on: str = "l1", zero_d: bool = True,
              zero_g: bool = True, half_d: bool = False, module_zero: bool = False, recompute: bool = False,
              freeze_d: bool = False, unfreeze_d: bool = True, g_first: bool = False,
              one_call: bool = False, retain: bool = False) -> Callable:
    def pair(L, ab):
        return torch.cat([L, ab], 1) if condition else ab

    def step(G, D, opt_g, opt_d, L, ab_real, lambda_l1=100.0):
        ab_fake = G(L)

        def d_update():
            if zero_d:
                D.zero_grad() if module_zero else opt_d.zero_grad()
            fake_in = ab_fake.detach() if detach else ab_fake
            if one_call:
                logits = D(torch.cat([pair(L, ab_real), pair(L, fake_in)], 0))
                real_logits, fake_logits = logits.chunk(2)
            else:
                real_logits, fake_logits = D(pair(L, ab_real)), D(pair(L, fake_in))
            loss = discriminator_loss(real_logits, fake_logits)
            loss = 0.5 * loss if half_d else loss
            loss.backward(retain_graph=retain)
            opt_d.step()
            return loss

        def g_update():
            fake = G(L) if recompute else ab_fake
            if zero_g:
                G.zero_grad() if module_zero else opt_g.zero_grad()
            if freeze_d:
                D.requires_grad_(False)
            adv = generator_loss(D(pair(L, fake)))
            l1 = (fake - ab_real).abs().mean()
            loss = adv + lambda_l1 * l1 if lam_on == "l1" else lambda_l1 * adv + l1
            loss.backward()
            opt_g.step()
            if freeze_d and unfreeze_d:
                D.requires_grad_(True)
            return loss

        if g_first:
            loss_g = g_update()
            loss_d = d_update()
        else:
            loss_d = d_update()
            loss_g = g_update()
        return loss_d.item(), loss_g.item()

    return step


def test_reference_passes(capsys: pytest.CaptureFixture[str]) -> None:
    passes(check, make_step(), capsys)


@pytest.mark.parametrize("variant", [
    {"half_d": True},  # pix2pix's ½ (real + fake)
    {"module_zero": True},  # D.zero_grad() / G.zero_grad() instead of the optimisers'
    {"recompute": True},  # G(L) again for G's update
    {"freeze_d": True},  # D frozen during G's update, as the package's trainer does
])
def test_equivalent_correct_forms_pass(variant: dict, capsys: pytest.CaptureFixture[str]) -> None:
    passes(check, make_step(**variant), capsys)


def test_returned_tensors_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    inner = make_step()

    def step(*args, **kwargs):
        d, g = inner(*args, **kwargs)
        return torch.tensor(d), torch.tensor(g)

    passes(check, step, capsys)


def test_stub_raises() -> None:
    def stub(*args, **kwargs):
        raise NotImplementedError("Exercise 4.4: not done yet")

    with pytest.raises(NotImplementedError, match="Exercise 4.4"):
        check(stub)


@pytest.mark.parametrize(("variant", "needles"), [
    ({"detach": False}, ["not detached", "freed the graph"]),
    ({"detach": False, "retain": True}, ["not detached"]),
    ({"condition": False}, ["only the colours", "conditional"]),
    ({"lam_on": "adv"}, ["λ multiplies the adversarial term"]),
    ({"zero_d": False}, ["second step D's update", "not cleared"]),
    ({"zero_g": False}, ["second step G's update", "not cleared"]),
    ({"g_first": True}, ["G was updated before D"]),
    ({"one_call": True}, ["one call", "BatchNorm"]),
    ({"freeze_d": True, "unfreeze_d": False}, ["still frozen"]),
])
def test_planted_mistakes_are_named(variant: dict, needles: list[str]) -> None:
    fails(check, make_step(**variant), *needles)


def _without(term: str) -> Callable:
    def step(G, D, opt_g, opt_d, L, ab_real, lambda_l1=100.0):
        ab_fake = G(L)
        opt_d.zero_grad()
        loss_d = discriminator_loss(D(torch.cat([L, ab_real], 1)), D(torch.cat([L, ab_fake.detach()], 1)))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        adv = generator_loss(D(torch.cat([L, ab_fake], 1)))
        l1 = (ab_fake - ab_real).abs().mean()
        loss_g = {"l1": adv, "adv": lambda_l1 * l1, "lambda": adv + l1,
                  "l2": adv + lambda_l1 * (ab_fake - ab_real).pow(2).mean()}[term]
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    return step


@pytest.mark.parametrize(("term", "needle"), [
    ("l1", "no L1 term"), ("adv", "no adversarial term"), ("lambda", "not multiplied by λ"), ("l2", "(L2)"),
])
def test_wrong_generator_terms_are_named(term: str, needle: str) -> None:
    fails(check, _without(term), needle)


def test_g_against_the_old_d_is_named() -> None:
    def step(G, D, opt_g, opt_d, L, ab_real, lambda_l1=100.0):
        ab_fake = G(L)
        opt_d.zero_grad()
        opt_g.zero_grad()
        loss_d = discriminator_loss(D(torch.cat([L, ab_real], 1)), D(torch.cat([L, ab_fake.detach()], 1)))
        loss_g = generator_loss(D(torch.cat([L, ab_fake], 1))) + lambda_l1 * F.l1_loss(ab_fake, ab_real)
        loss_d.backward()
        grads_d = [p.grad.clone() for p in D.parameters()]
        loss_g.backward()
        for p, g in zip(D.parameters(), grads_d, strict=True):
            p.grad = g
        opt_d.step()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    fails(check, step, "before D's update")


@pytest.mark.parametrize(("freeze", "needle"), [(True, "G's loss too"), (False, "no gradient at all")])
def test_detached_fakes_in_g_loss_are_named(freeze: bool, needle: str) -> None:
    def step(G, D, opt_g, opt_d, L, ab_real, lambda_l1=100.0):
        ab_fake = G(L).detach()
        opt_d.zero_grad()
        loss_d = discriminator_loss(D(torch.cat([L, ab_real], 1)), D(torch.cat([L, ab_fake], 1)))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        D.requires_grad_(not freeze)
        loss_g = generator_loss(D(torch.cat([L, ab_fake], 1))) + lambda_l1 * F.l1_loss(ab_fake, ab_real)
        D.requires_grad_(True)
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    fails(check, step, "detached", needle)


def test_wrong_return_value_is_named() -> None:
    inner = make_step()

    def step(*args, **kwargs):
        inner(*args, **kwargs)

    fails(check, step, "two numbers")
