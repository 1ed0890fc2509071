"""Check 4.3: the pix2pix generator loss (adversarial + λ L1), its value and its gradients."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gancolor import losses
from gancolor.course.checks._framework import (
    ExerciseFailed,
    exercise,
    expect_true,
    gradients,
    gradients_close,
    show_number,
    tensors_close,
)
from gancolor.course.checks.nb04_colorization.pix2pix_bench import Batch, diagnose_number, scalar_loss

__all__ = ["pix2pix_generator_loss"]


_G_HINT = ("fake_logits = D(torch.cat([L, ab_fake], 1)) (not detached); "
           "loss = softplus(-fake_logits).mean() + lambda_l1 * (ab_fake - ab_real).abs().mean()")


@exercise("4.3", "pix2pix generator loss", hint=_G_HINT)
def pix2pix_generator_loss(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(D, L, ab_real, ab_fake, lambda_l1=100.0)``: -E log D(L, G(L)) + λ E|ab_real - G(L)|."""
    __tracebackhide__ = True
    b = Batch()
    D = b.D  # noqa: N806
    what = "pix2pix_generator_loss(D, L, ab_real, ab_fake)"
    ab_fake = b.fake()
    got = scalar_loss(student_fn(D, b.L.clone(), b.ab_real.clone(), ab_fake), what)
    if "fake" not in D.seen:
        problem = ("D judged the true colours instead of the generated ones: G's loss is about D(L, G(L))"
                   if "real" in D.seen else "D never saw the generated colours")
        raise ExerciseFailed(problem, hint=_G_HINT)

    with torch.no_grad():
        fake, real = D.reference(ab_fake), D.reference(b.ab_real)
    adv = losses.generator_loss(fake)
    diff = ab_fake.detach() - b.ab_real
    l1 = diff.abs().mean()
    expected = adv + 100.0 * l1
    if not tensors_close(got, expected):
        diagnose_number(got, expected, [
            (lambda: adv + l1, "the L1 term is not multiplied by λ = 100, so the adversarial term dominates "
             "and G's colours drift away from the truth", "return adversarial + lambda_l1 * l1"),
            (lambda: adv + 100.0 * diff.pow(2).mean(), "you used the squared error (L2) instead of the "
             "absolute error (L1). L2 punishes big errors more and averages ambiguous colours even more: "
             "pix2pix chose L1 because it blurs less", "(ab_fake - ab_real).abs().mean(), or F.l1_loss"),
            (lambda: adv + 100.0 * diff.pow(2).mean().sqrt(), "you used the root mean squared error instead "
             "of the mean absolute error (L1)", "(ab_fake - ab_real).abs().mean(), or F.l1_loss"),
            (lambda: -F.softplus(fake).mean() + 100.0 * l1, "you used the saturating (minimax) form "
             "E log(1 - D(L, G(L))): its gradient vanishes while D rejects G's colours, i.e. at the start",
             "use the non-saturating form -E log D(L, G(L)) = softplus(-fake_logits).mean()"),
            (lambda: F.softplus(fake).mean() + 100.0 * l1, "the adversarial term uses the label 'fake': G "
             "should want D to call its colours real (target 1)", "softplus(-fake_logits).mean()"),
            (lambda: losses.generator_loss(real) + 100.0 * l1,
             "D judged the true colours in the adversarial term",
             "fake_logits = D(torch.cat([L, ab_fake], 1))"),
            (lambda: 100.0 * adv + l1, "λ multiplies the adversarial term instead of the L1 term",
             "return adversarial + lambda_l1 * l1"),
            (lambda: adv + 100.0 * diff.abs().sum(), "you summed the L1 term over the pixels instead of "
             "taking the mean", "(ab_fake - ab_real).abs().mean()"),
            (lambda: 100.0 * l1, "your loss has only the L1 term: this is the L1-only model, without D",
             "add the adversarial term softplus(-D(torch.cat([L, ab_fake], 1))).mean()"),
            (lambda: adv, "your loss has only the adversarial term (λ = 0): nothing ties the colours to the "
             "truth", "add lambda_l1 * (ab_fake - ab_real).abs().mean()"),
            (lambda: losses.discriminator_loss(real, fake) + 100.0 * l1, "the adversarial term is D's loss; "
             "G's is -E log D(L, G(L))", _G_HINT),
        ])
        raise ExerciseFailed(f"{what} is not the pix2pix generator loss with λ = 100 (the default)",
                             expected=show_number(expected), got=show_number(got), hint=_G_HINT)

    # λ is an argument: 10 and 0 must be used.
    for lam in (10.0, 0.0):
        D.seen.clear()
        value = scalar_loss(student_fn(D, b.L.clone(), b.ab_real.clone(), b.fake(), lambda_l1=lam),
                        f"pix2pix_generator_loss(..., lambda_l1={lam:g})")
        wanted = adv + lam * l1
        if not tensors_close(value, wanted):
            ignored = tensors_close(value, expected)
            raise ExerciseFailed(f"with lambda_l1={lam:g} the loss should be adversarial + {lam:g} x L1"
                                 + (": your function ignores its lambda_l1 argument" if ignored else ""),
                                 expected=show_number(wanted), got=show_number(value),
                                 hint="use the argument lambda_l1, don't write 100 into the formula")

    # Gradients: G learns through D (not detached) and through L1.
    b.zero_grad()
    D.seen.clear()
    loss = scalar_loss(student_fn(D, b.L.clone(), b.ab_real.clone(), b.fake()), what)
    expect_true(loss.requires_grad, "your loss is not connected to the generator: no gradient can train G",
                hint="don't call .item(), .detach() or torch.no_grad() anywhere in G's loss")
    loss.backward()
    g_got = gradients(list(b.G.parameters()))
    b.zero_grad()
    fake_now = b.fake()
    (losses.generator_loss(D.reference(fake_now)) + 100.0 * losses.l1_loss(fake_now, b.ab_real)).backward()
    g_expected = gradients(list(b.G.parameters()))
    b.zero_grad()
    if not gradients_close(g_got, g_expected):
        fake_now = b.fake()
        (losses.generator_loss(D.reference(fake_now.detach())) + 100.0 * losses.l1_loss(fake_now, b.ab_real)
         ).backward()
        l1_only = gradients(list(b.G.parameters()))
        b.zero_grad()
        if gradients_close(g_got, l1_only):
            raise ExerciseFailed("no gradient reaches G through D: the generated colours were detached (or "
                                 "D's logits computed without a graph) in G's loss",
                                 hint="in G's loss D must see ab_fake itself: G learns by following D's "
                                      "gradient. Detach only in D's loss")
        raise ExerciseFailed("the gradient of your loss with respect to G's weights is not the expected one",
                             hint=_G_HINT)
