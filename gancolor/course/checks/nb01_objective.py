"""Checks of notebook 01, the GAN objective: the discriminator loss, the generator loss in its
two forms, and the optimal discriminator.

Each check compares the student's function with the package's reference
(:mod:`gancolor.losses`, :func:`gancolor.toys.optimal_discriminator`) on seeded random inputs,
then on extreme logits (±50, ±150), where ``log(sigmoid(t))`` overflows to -inf and an ``eps``
inside the log or PyTorch's clamped ``binary_cross_entropy`` give a finite but wrong value, and
then compares gradients. When a value is wrong, the check first tries the typical mistakes
(wrong sign, real and fake swapped, the two generator losses swapped, a sum instead of a mean,
one term left out, sigmoid applied to logits twice ...) and names the one it recognises.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gancolor import losses, toys
from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    exercise,
    expect_close,
    expect_tensor,
    expect_true,
    tensors_close,
)

__all__ = ["discriminator_loss", "generator_loss", "optimal_discriminator"]

# A wrong answer "is" a known mistake when it agrees with it this well.
_ATOL, _RTOL = 1e-5, 1e-4
# Logits where sigmoid(t) rounds to exactly 0 or 1 in float32 (it does from |t| ≈ 17 on).
_EXTREME_LOGITS = (50.0, -50.0, 150.0, -150.0)

_LOGITS_HINT = ("compute the logs from the logits: log D = -F.softplus(-t) and log(1 - D) = -F.softplus(t) "
                "(or F.binary_cross_entropy_with_logits, or F.logsigmoid), never torch.log(torch.sigmoid(t))")
_GRAPH_HINT = ("build the loss with torch operations on the logits you get: .item(), .detach(), NumPy or "
               "torch.tensor(...) cut the graph, and then no gradient reaches D or G")

_ANY_SHAPE_HINT = ("a loss must work for logits of any shape (a PatchGAN gives (N, 1, h, w)): average over "
                   "all elements with .mean(), and make targets with torch.ones_like(logits) / "
                   "torch.zeros_like(logits), not torch.ones(len(logits))")

def _close(got: torch.Tensor, value: torch.Tensor) -> bool:
    return tensors_close(got, value, atol=_ATOL, rtol=_RTOL)


def _diagnose(got: torch.Tensor, expected: torch.Tensor, mistakes: list[Mistake]) -> None:
    """Raise the failure of the first planted mistake that ``got`` reproduces, if any."""
    __tracebackhide__ = True
    diagnose(got, expected, mistakes, close=_close, show=_short)


def _short(value: torch.Tensor) -> str:
    """A number for a 0-dim tensor, else the framework's description."""
    return f"{float(value):.4g}" if value.dim() == 0 else describe(value)


def _call_on_patches(student_fn: Callable[..., object], *args: object) -> object:
    """``student_fn(*args)`` for patch-shaped logits; a shape error becomes a failure with a hint."""
    __tracebackhide__ = True
    try:
        return student_fn(*args)
    except (ValueError, RuntimeError, IndexError) as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise ExerciseFailed(f"your function works for logits of shape (N,) but raised "
                             f"{type(error).__name__} for patch logits of shape (N, 1, h, w): {first}",
                             hint=_ANY_SHAPE_HINT) from error


def _scalar(value: object, what: str) -> torch.Tensor:
    """``value`` if it is a 0-dim tensor, else a failure that says how to get one."""
    __tracebackhide__ = True
    tensor = expect_tensor(value, what, hint="build the loss with torch operations and return the tensor, "
                                             "not a Python number")
    expect_true(tensor.dim() == 0, f"{what} should be a single number (a 0-dim tensor)",
                expected="a tensor of shape ()", got=f"a tensor of shape {tuple(tensor.shape)}",
                hint="average each term over all its elements with .mean() (the losses' default "
                     "reduction='mean'), so the loss does not depend on the batch size")
    return tensor


def _expect_gradient(loss: torch.Tensor, inputs: list[torch.Tensor], expected: list[torch.Tensor],
                     names: list[str], what: str) -> None:
    """The gradient of ``loss`` with respect to each input is the reference's."""
    __tracebackhide__ = True
    expect_true(loss.requires_grad, f"{what} is not connected to the logits: no gradient flows back",
                hint=_GRAPH_HINT)
    grads = torch.autograd.grad(loss, inputs, allow_unused=True)
    for grad, reference, name in zip(grads, expected, names, strict=True):
        expect_true(grad is not None, f"{what} does not depend on the {name}: no gradient reaches them",
                    hint=_GRAPH_HINT)
        assert grad is not None
        if not _close(grad, reference):
            flipped = _close(grad, -reference)
            expect_close(grad, reference, f"the gradient of {what} with respect to the {name}",
                         hint="it points the wrong way: check the sign of each term" if flipped else
                         "every term is a mean of a smooth function of the logits; is something "
                         "detached, clamped or rounded?")


def _extreme_failure(got: torch.Tensor, expected: torch.Tensor, where: str) -> ExerciseFailed:
    """The message for a wrong value at an extreme logit ``where`` (e.g. "a fake logit of 50")."""
    got_value, expected_value = f"{float(got):.4g}", f"{float(expected):.4g}"
    if not bool(torch.isfinite(got.detach()).all()):
        return ExerciseFailed(f"your loss is {got_value} for {where}, where the right value is finite",
                              expected=expected_value, got=got_value,
                              hint="sigmoid(t) rounds to exactly 0 or 1 in float32 for |t| > 17, so "
                                   "log(sigmoid(t)) or log(1 - sigmoid(t)) is log(0) = -inf. "
                                   + _LOGITS_HINT[0].upper() + _LOGITS_HINT[1:])
    return ExerciseFailed(f"your loss is finite but wrong for {where}", expected=expected_value,
                          got=got_value,
                          hint="an eps inside the log (log(sigmoid(t) + 1e-8)), a clamp, or "
                               "F.binary_cross_entropy on sigmoid outputs (it clamps the log at -100) "
                               "caps the loss and kills its gradient exactly where D is most wrong. "
                               + _LOGITS_HINT[0].upper() + _LOGITS_HINT[1:])


# --------------------------------------------------------------------------------------
# Exercise 1.1: the discriminator loss
# --------------------------------------------------------------------------------------


def _d_reference(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return losses.discriminator_loss(real, fake, kind="minimax")


def _d_mistakes(real: torch.Tensor, fake: torch.Tensor) -> list[Mistake]:
    ref = _d_reference(real, fake)
    return [
        (lambda: -ref, "your loss is the negative of the expected one: did you maximise instead of minimise?",
         "the loss to minimise is -V = -[E log D(x) + E log(1 - D(G(z)))], i.e. "
         "F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()"),
        (lambda: _d_reference(fake, real), "you swapped real and fake",
         "D should call real samples real (target 1: term -log D(x) = softplus(-t)) and fakes fake "
         "(target 0: term -log(1 - D(G(z))) = softplus(t))"),
        (lambda: ref / 2, "your loss is half the expected one",
         "add the two means (real term + fake term) as in eq. 1; don't average them, and don't take one "
         "BCE over real and fake concatenated"),
        (lambda: (F.softplus(-real).sum() + F.softplus(fake).sum()) / (real.numel() + fake.numel()),
         "you took one mean over the real and fake logits together",
         "a single BCE over torch.cat([real, fake]) weighs each side by its batch size and halves the "
         "loss; add the two means instead: mean over the real logits + mean over the fake logits"),
        (lambda: F.softplus(-real).sum() + F.softplus(fake).sum(),
         "you summed over the batch instead of taking the mean",
         "use .mean() for each term (BCE-with-logits' default reduction), so the loss does not grow "
         "with the batch size"),
        (lambda: F.softplus(-real).mean(), "your loss has only the real term", "add the fake term, "
         "-E log(1 - D(G(z))) = F.softplus(fake_logits).mean()"),
        (lambda: F.softplus(fake).mean(), "your loss has only the fake term", "add the real term, "
         "-E log D(x) = F.softplus(-real_logits).mean()"),
        (lambda: _d_reference(torch.sigmoid(real), torch.sigmoid(fake)),
         "you applied sigmoid to the logits before a loss that expects logits",
         "F.binary_cross_entropy_with_logits and F.softplus take the raw logits: the sigmoid is inside them"),
    ]


@exercise("1.1", "discriminator loss", hint=_LOGITS_HINT)
def discriminator_loss(student_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``student_fn(real_logits, fake_logits)``: D's minimax loss -V, a mean, on logits."""
    __tracebackhide__ = True
    what = "discriminator_loss(real_logits, fake_logits)"
    real, fake = 3 * torch.randn(8), 3 * torch.randn(12)  # different batch sizes on purpose

    # Value on ordinary logits, with the typical mistakes named.
    got = _scalar(student_fn(real.clone(), fake.clone()), what)
    expected = _d_reference(real, fake)
    if not _close(got, expected):
        _diagnose(got, expected, _d_mistakes(real, fake))
        expect_close(got, expected, f"{what} on random logits", atol=_ATOL, rtol=_RTOL,
                     hint="D minimises -V = -[mean of log D(x) over the real logits + mean of "
                          "log(1 - D(G(z))) over the fake logits], with D = sigmoid(logit)")

    # Any shape of logits: PatchGAN discriminators give (N, 1, h, w).
    patches_real, patches_fake = torch.randn(2, 1, 3, 3), torch.randn(3, 1, 3, 3)
    got = _scalar(_call_on_patches(student_fn, patches_real.clone(), patches_fake.clone()),
                  f"{what} for patch logits of shape (N, 1, h, w)")
    expect_close(got, _d_reference(patches_real, patches_fake),
                 f"{what} for patch logits of shape (N, 1, h, w)", hint=_ANY_SHAPE_HINT)

    # Extreme logits, one at a time, on each side.
    zero = torch.zeros(1)
    for t in _EXTREME_LOGITS:
        logit = torch.tensor([t])
        for side, args in (("real", (logit, zero)), ("fake", (zero, logit))):
            got = _scalar(student_fn(args[0].clone(), args[1].clone()), what)
            expected = _d_reference(*args)
            if not _close(got, expected):
                raise _extreme_failure(got, expected, f"a {side} logit of {t:g}")

    # Gradients: D pushes real logits up and fake logits down, at ordinary and extreme logits.
    real_in = torch.cat([real, torch.tensor(_EXTREME_LOGITS)]).requires_grad_(True)
    fake_in = torch.cat([fake, torch.tensor(_EXTREME_LOGITS)]).requires_grad_(True)
    ref_grads = torch.autograd.grad(_d_reference(real_in, fake_in), [real_in, fake_in])
    _expect_gradient(student_fn(real_in, fake_in), [real_in, fake_in], list(ref_grads),
                     ["real logits", "fake logits"], "your loss")


# --------------------------------------------------------------------------------------
# Exercise 1.2: the generator loss, minimax (saturating) and non-saturating
# --------------------------------------------------------------------------------------

_KINDS = ("minimax", "nonsaturating")
_G_FORMULAS = ("minimax (saturating): G minimises the mean of log(1 - D(G(z))); non-saturating: G minimises "
               "the mean of -log D(G(z)); D = sigmoid(logit)")


def _g_mistakes(fake: torch.Tensor, kind: str) -> list[Mistake]:
    ref = losses.generator_loss(fake, kind)
    other = "nonsaturating" if kind == "minimax" else "minimax"
    ref_other = losses.generator_loss(fake, other)
    formula = ("E log(1 - D(G(z))) = -F.softplus(fake_logits).mean()" if kind == "minimax"
               else "-E log D(G(z)) = F.softplus(-fake_logits).mean()")
    mistakes: list[Mistake] = [
        (lambda: ref_other, f"for kind={kind!r} you returned the {other} loss",
         f"the {kind} generator loss is {formula}"),
    ]
    if kind == "nonsaturating":
        mistakes.append((lambda: F.softplus(fake).mean(),
                         "for kind='nonsaturating' you used the target 0 (fake) for the generator",
                         "G wants D to call its samples real: BCE-with-logits against ones, i.e. "
                         "-E log D(G(z)) = F.softplus(-fake_logits).mean()"))
    mistakes += [
        (lambda: -ref, f"your {kind} loss is the negative of the expected one: G would help D instead of "
                       "fooling it",
         f"the {kind} generator loss, to minimise, is {formula}"),
        (lambda: -ref_other, f"for kind={kind!r} you returned the negative of the {other} loss",
         f"the {kind} generator loss is {formula}"),
        (lambda: ref * fake.numel(), "you summed over the batch instead of taking the mean",
         "use .mean(), so the loss does not grow with the batch size"),
        (lambda: losses.generator_loss(torch.sigmoid(fake), kind),
         "you applied sigmoid to the logits before a loss that expects logits",
         "F.softplus and F.binary_cross_entropy_with_logits take the raw logits"),
    ]
    return mistakes


@exercise("1.2", "generator loss, both forms", hint=_LOGITS_HINT)
def generator_loss(student_fn: Callable[[torch.Tensor, str], torch.Tensor]) -> None:
    """Check ``student_fn(fake_logits, kind)`` for kind ``"minimax"`` and ``"nonsaturating"``."""
    __tracebackhide__ = True
    fake = 3 * torch.randn(16)

    # Values on ordinary logits, with the typical mistakes named.
    results = {}
    for kind in _KINDS:
        what = f"generator_loss(fake_logits, {kind!r})"
        results[kind] = _scalar(student_fn(fake.clone(), kind), what)
    swapped = (_close(results["minimax"], losses.generator_loss(fake, "nonsaturating"))
               and _close(results["nonsaturating"], losses.generator_loss(fake, "minimax")))
    expect_true(not swapped, "your 'minimax' and 'nonsaturating' losses are swapped", hint=_G_FORMULAS)
    expect_true(not _close(results["minimax"], results["nonsaturating"]),
                "your function returns the same loss for both kinds",
                hint="use the `kind` argument: 'minimax' and 'nonsaturating' are different losses")
    for kind in _KINDS:
        expected = losses.generator_loss(fake, kind)
        if not _close(results[kind], expected):
            _diagnose(results[kind], expected, _g_mistakes(fake, kind))
            expect_close(results[kind], expected, f"generator_loss(fake_logits, {kind!r}) on random logits",
                         atol=_ATOL, rtol=_RTOL, hint=_G_FORMULAS)

    # Any shape of logits.
    patches = torch.randn(2, 1, 3, 3)
    for kind in _KINDS:
        what = f"generator_loss(fake_logits, {kind!r}) for patch logits of shape (N, 1, h, w)"
        expect_close(_scalar(_call_on_patches(student_fn, patches.clone(), kind), what),
                     losses.generator_loss(patches, kind), what, hint=_ANY_SHAPE_HINT)

    # Extreme logits.
    for kind in _KINDS:
        for t in _EXTREME_LOGITS:
            logit = torch.tensor([t])
            got = _scalar(student_fn(logit.clone(), kind), f"generator_loss(fake_logits, {kind!r})")
            expected = losses.generator_loss(logit, kind)
            if not _close(got, expected):
                raise _extreme_failure(got, expected, f"kind={kind!r} and a fake logit of {t:g}")

    # Gradients: both forms push D's logit on fakes up; they differ in size where D rejects the fakes.
    for kind in _KINDS:
        fake_in = torch.cat([fake, torch.tensor(_EXTREME_LOGITS), torch.tensor([-10.0, 10.0])])
        fake_in.requires_grad_(True)
        (ref_grad,) = torch.autograd.grad(losses.generator_loss(fake_in, kind), [fake_in])
        _expect_gradient(student_fn(fake_in, kind), [fake_in], [ref_grad], ["fake logits"],
                         f"your {kind} loss")


# --------------------------------------------------------------------------------------
# Exercise 1.3: the optimal discriminator
# --------------------------------------------------------------------------------------


@exercise("1.3", "optimal discriminator",
          hint="D*(x) = p_data(x) / (p_data(x) + p_g(x)), elementwise with torch operations")
def optimal_discriminator(student_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``student_fn(p_data, p_g)``: D* = p_data / (p_data + p_g), elementwise."""
    __tracebackhide__ = True
    what = "optimal_discriminator(p_data, p_g)"
    p_data = torch.rand(4, 5, dtype=torch.float64) * 2 + 1e-3
    p_g = torch.rand(4, 5, dtype=torch.float64) * 2 + 1e-3
    expected = toys.optimal_discriminator(p_data, p_g)

    got = expect_tensor(student_fn(p_data.clone(), p_g.clone()), what,
                        hint="work with torch operations on the tensors you get and return a tensor")
    expect_true(tuple(got.shape) == (4, 5), f"{what} should have the shape of the densities: D* is "
                "computed point by point", expected="(4, 5)", got=tuple(got.shape),
                hint="no sum or mean: one D*(x) for each x")
    if not _close(got, expected):
        _diagnose(got, expected, [
            (lambda: p_g / (p_data + p_g),
             "you returned the probability that x is *fake*, p_g / (p_data + p_g)",
             "D(x) is the probability that x is real: p_data(x) / (p_data(x) + p_g(x))"),
            (lambda: p_data / p_g, "you returned the ratio p_data / p_g, which is not a probability "
             "(it can exceed 1)", "divide by the sum of the densities: p_data / (p_data + p_g)"),
            (lambda: p_data / (p_data + p_g) / 2, "your D* is half the expected one",
             "D*(x) = p_data(x) / (p_data(x) + p_g(x)): no factor 1/2"),
            (lambda: torch.sigmoid(p_data - p_g), "you returned sigmoid(p_data - p_g)",
             "D* is sigmoid(log p_data - log p_g), i.e. p_data / (p_data + p_g)"),
        ])
        expect_close(got, expected, f"{what} on random densities", atol=1e-6, rtol=1e-5)

    same = torch.rand(7, dtype=torch.float64) + 0.1
    got = expect_tensor(student_fn(same.clone(), same.clone()), what)
    expect_close(got, torch.full((7,), 0.5, dtype=torch.float64), f"{what} where p_g = p_data",
                 hint="where the generator matches the data, the best D can only guess: D* = 1/2")

    # A float32 input far in the tails, where both densities are tiny but not zero.
    tiny_data = torch.tensor([1e-30, 3e-20, 0.5], dtype=torch.float32)
    tiny_g = torch.tensor([3e-30, 1e-20, 0.5], dtype=torch.float32)
    got = expect_tensor(student_fn(tiny_data.clone(), tiny_g.clone()), what)
    expect_close(got, toys.optimal_discriminator(tiny_data, tiny_g), f"{what} for tiny densities (1e-30)",
                 atol=1e-6, rtol=1e-5,
                 hint="don't add an eps to the densities: the ratio of two tiny densities is still exact")
