"""Check 4.2: the pix2pix discriminator loss on (L, ab) pairs, its value and its gradients."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gancolor import losses
from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    all_zero,
    exercise,
    expect_true,
    gradients,
    gradients_close,
    show_number,
    tensors_close,
)
from gancolor.course.checks.nb04_colorization.pix2pix_bench import Batch, diagnose_number, scalar_loss

__all__ = ["pix2pix_discriminator_loss"]


_D_HINT = ("real_logits = D(torch.cat([L, ab_real], 1)); "
           "fake_logits = D(torch.cat([L, ab_fake.detach()], 1)); "
           "loss = softplus(-real_logits).mean() + softplus(fake_logits).mean() "
           "(discriminator_loss of notebook 01)")


def _d_reference(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return losses.discriminator_loss(real, fake)


@exercise("4.2", "pix2pix discriminator loss", hint=_D_HINT)
def pix2pix_discriminator_loss(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(D, L, ab_real, ab_fake)``: -[E log D(L, ab_real) + E log(1 - D(L, ab_fake))].

    pix2pix's own ½ of it is accepted too (same minimiser, half the gradient); other scalings are
    not. The fakes must be detached (no gradient reaches G); D must get a gradient from both terms,
    in two calls (one call on real and fake concatenated would mix them in BatchNorm's statistics).
    """
    __tracebackhide__ = True
    b = Batch()
    D = b.D  # noqa: N806
    what = "pix2pix_discriminator_loss(D, L, ab_real, ab_fake)"
    ab_fake = b.fake()
    got = scalar_loss(student_fn(D, b.L.clone(), b.ab_real.clone(), ab_fake), what)
    expect_true("real" in D.seen, "D never saw the real pairs (L, ab_real)", hint=_D_HINT)
    expect_true("fake" in D.seen, "D never saw the generated pairs (L, ab_fake)", hint=_D_HINT)

    with torch.no_grad():
        real, fake = D.reference(b.ab_real), D.reference(ab_fake)
    expected = _d_reference(real, fake)
    # The sum of the two terms, or pix2pix's own ½·(real term + fake term) (its code halves D's loss
    # to slow D down relative to G): the same minimiser, the gradients halved.
    scale = next((c for c in (1.0, 0.5) if tensors_close(got, c * expected)), None)
    if scale is None:
        mistakes: list[Mistake] = [
            (lambda: _d_reference(fake, real), "you swapped the labels: D should call the true colours real "
             "(target 1) and the generated ones fake (target 0)",
             "softplus(-real_logits).mean() + softplus(fake_logits).mean()"),
            (lambda: -expected, "your loss is the negative of the expected one: D would learn to be wrong",
             _D_HINT),
            (lambda: F.softplus(-real).mean(), "your loss has only the real term",
             "add the fake term softplus(fake_logits).mean()"),
            (lambda: F.softplus(fake).mean(), "your loss has only the fake term",
             "add the real term softplus(-real_logits).mean()"),
            (lambda: losses.generator_loss(fake), "you returned the generator's loss -E log D(L, G(L)); "
             "this is D's loss", _D_HINT),
            (lambda: F.softplus(-real).sum() + F.softplus(fake).sum(), "you summed over the patches "
             "instead of taking the mean", "use .mean(): one loss per patch logit, averaged"),
        ]
        diagnose_number(got, expected, mistakes + [
            (lambda compute=compute: compute() / 2, problem, hint) for compute, problem, hint in mistakes])
        raise ExerciseFailed(f"{what} is not the discriminator loss of the pix2pix objective: the sum of the "
                             "two terms (or pix2pix's half of it)", expected=show_number(expected),
                             got=show_number(got), hint=_D_HINT)

    # Gradients: D learns from both terms; nothing reaches G.
    b.zero_grad()
    expect_true(got.requires_grad, "your loss is not connected to D: no gradient can train it",
                hint="don't compute the logits under torch.no_grad() and don't call .item() or .detach() "
                     "on them; detach only ab_fake")
    got.backward()
    g_grads = gradients(list(b.G.parameters()))
    d_got = gradients(list(D.parameters()))
    b.zero_grad()
    (scale * _d_reference(D.reference(b.ab_real), D.reference(b.fake().detach()))).backward()
    d_expected = gradients(list(D.parameters()))
    b.zero_grad()
    expect_true(all_zero(g_grads), "the gradient of D's loss reaches the generator: the generated colours "
                "are not detached",
                hint="use ab_fake.detach() inside D's loss. Otherwise loss_d.backward() also sends gradients "
                     "into G, which push G to make its colours easier to spot as fake, and it frees the "
                     "graph that G's own step still needs")
    if not gradients_close(d_got, d_expected):
        b.zero_grad()
        (scale * _d_reference(D.reference(b.ab_real), D.reference(b.fake()).detach())).backward()
        real_only = gradients(list(D.parameters()))
        b.zero_grad()
        if gradients_close(d_got, real_only):
            raise ExerciseFailed("D gets no gradient from the fake term: its logits were computed without a "
                                 "graph (torch.no_grad() or .detach() on the logits)",
                                 hint="detach the colours, not the logits: "
                                      "D(torch.cat([L, ab_fake.detach()], 1)) stops the gradient at G but "
                                      "still trains D on the fakes")
        raise ExerciseFailed("the gradient of your loss with respect to D's weights is not the expected one",
                             hint=_D_HINT)
