"""Check 4.4: a whole pix2pix training step (D's update, then G's), judged by what it does.

The student's ``pix2pix_step(G, D, opt_g, opt_d, L, ab_real, lambda_l1)`` gets a tiny generator,
the inspecting conditional D of 4.2 and 4.3, and two plain-SGD optimisers that record the
gradients they find at every ``step()``. The check runs two steps and compares, step by step,
the gradients each optimiser applied with those of the pix2pix step computed here on copies:

- D's update: the gradient of E[-log D(L, ab_real)] + E[-log(1 - D(L, G(L)))] (or pix2pix's half
  of it), with nothing flowing back into G (a gradient reaching G's output before D has stepped
  means the fakes were not detached);
- G's update: the gradient of E[-log D'(L, G(L))] + λ E|ab_real - G(L)|, with D' the discriminator
  *after* its update;
- the second step's gradients must be the second step's alone (a forgotten ``zero_grad`` adds
  the first step's).

D itself refuses the colours without L (an unconditioned D) and real and fake pairs scored in one
concatenated call. Wrong G gradients are matched against the typical mistakes (λ on the
adversarial term, λ missing, L1 or the adversarial term missing, the saturating form, G updated
against D before D's update), which are then named.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable

import torch
from torch import nn

from gancolor import losses
from gancolor.course.checks import _framework as fw
from gancolor.course.checks._framework import ExerciseFailed, exercise
from gancolor.course.checks.nb04_colorization.pix2pix_bench import Batch, ConditionalD

__all__ = ["pix2pix_training_step"]

_LR = 0.05
_LAMBDA = 10.0  # not pix2pix's 100: the check wants λ to be told apart from 1 on either term
_HINT = ("follow section 5's recipe: D's update on its loss with the generated colours detached, then G's "
         "update on the adversarial term plus λ times L1, each preceded by clearing that network's gradients")

_G_FIRST = "G was updated before D: one pix2pix step updates D first, then G against the updated D"


class _Generator(nn.Module):
    """G(L) = 0.3 tanh(conv(L)), the bench's generator, noting when a gradient reaches its output."""

    def __init__(self, batch: Batch, log: list[str]) -> None:
        super().__init__()
        self.conv = batch.G
        self.log = log

    def forward(self, L: torch.Tensor) -> torch.Tensor:  # noqa: N803
        out = 0.3 * torch.tanh(self.conv(L))
        if out.requires_grad:
            out.register_hook(self._arrived)
        return out

    def _arrived(self, grad: torch.Tensor) -> None:
        self.log.append("gradient into G")


class _RecordingSGD(torch.optim.SGD):
    """Plain SGD that writes ``(name, gradients)`` into ``log`` at every step."""

    def __init__(self, name: str, params: Iterable[torch.Tensor], log: list) -> None:
        super().__init__(list(params), lr=_LR)
        self.name, self.log = name, log

    def step(self, closure: Callable | None = None) -> None:  # type: ignore[override]
        params = [p for group in self.param_groups for p in group["params"]]
        self.log.append((self.name, fw.gradients(params)))
        super().step(closure)


def _d_loss(D: ConditionalD, G: nn.Module, L: torch.Tensor, ab_real: torch.Tensor) -> torch.Tensor:  # noqa: N803
    return losses.discriminator_loss(D._logits(torch.cat([L, ab_real], 1)),
                                     D._logits(torch.cat([L, G(L).detach()], 1)))


def _g_loss(D: ConditionalD, G: nn.Module, L: torch.Tensor, ab_real: torch.Tensor, *,  # noqa: N803
            adv_weight: float = 1.0, l1_weight: float = _LAMBDA, kind: str = "nonsaturating",
            power: int = 1) -> torch.Tensor:
    ab_fake = G(L)
    adversarial = losses.generator_loss(D._logits(torch.cat([L, ab_fake], 1)), kind=kind)
    return adv_weight * adversarial + l1_weight * (ab_fake - ab_real).abs().pow(power).mean()


def _grads(loss: torch.Tensor, module: nn.Module) -> list[torch.Tensor]:
    params = list(module.parameters())
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return [g if g is not None else torch.zeros_like(p) for p, g in zip(params, grads, strict=True)]


def _apply(module: nn.Module, grads: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for p, g in zip(module.parameters(), grads, strict=True):
            p -= _LR * g


def _scaled(grads: list[torch.Tensor], c: float) -> list[torch.Tensor]:
    return [c * g for g in grads]


def _g_mistakes(D_before: ConditionalD, D_after: ConditionalD, G: nn.Module,  # noqa: N803
                L: torch.Tensor, ab_real: torch.Tensor) -> list[tuple[list[torch.Tensor], str]]:  # noqa: N803
    """G's gradients of the typical mistakes, each with the sentence that names it."""
    def g(**keywords: object) -> list[torch.Tensor]:
        D = keywords.pop("D", D_after)  # noqa: N806
        return _grads(_g_loss(D, G, L, ab_real, **keywords), G)

    return [
        (g(adv_weight=_LAMBDA, l1_weight=1.0), "λ multiplies the adversarial term instead of the L1 term"),
        (g(l1_weight=1.0), "the L1 term is not multiplied by λ"),
        (g(l1_weight=0.0), "G's loss has no L1 term: nothing ties G's colours to the true ones"),
        (g(adv_weight=0.0), "G's loss has no adversarial term: that is the L1-only model, D teaches G "
         "nothing"),
        (g(kind="minimax"), "G's adversarial term is the saturating form E log(1 - D(L, G(L))), whose "
         "gradient vanishes while D rejects G's colours; use the non-saturating -E log D(L, G(L))"),
        (g(power=2), "G's reconstruction term is the squared error (L2), not the absolute error (L1)"),
        (g(D=D_before), "G was trained against D as it was before D's update: the step updates D first, "
         "then computes G's loss with the updated D"),
    ]


def _expected_step(D: ConditionalD, G: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                   d_scale: float) -> tuple[list, list, float, float, ConditionalD, nn.Module]:
    """One reference step on D and G in place: D's grads, G's grads, D's and G's losses, D and G before."""
    D_before, G_before = copy.deepcopy(D), copy.deepcopy(G)  # noqa: N806
    loss_d = d_scale * _d_loss(D, G, L, ab_real)
    d_grads = _grads(loss_d, D)
    _apply(D, d_grads)
    loss_g = _g_loss(D, G, L, ab_real)
    g_grads = _grads(loss_g, G)
    _apply(G, g_grads)
    return d_grads, g_grads, float(loss_d.detach()), float(loss_g.detach()), D_before, G_before


def _as_number(value: object, what: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, (int, float)):
        return float(value)
    raise ExerciseFailed(f"{what} should be a number (a float, or a 0-d tensor)", got=repr(value)[:80],
                         hint="return the two losses of this step, D's and G's, e.g. with .item()")


def _run_student(student_fn: Callable, b: Batch, G: _Generator, D: ConditionalD,  # noqa: N803
                 opt_g: _RecordingSGD, opt_d: _RecordingSGD, events: list, step: int) -> tuple[float, float]:
    """Call the student's step once; a freed graph after an undetached D loss is named here."""
    __tracebackhide__ = True
    start = len(events)
    try:
        result = student_fn(G, D, opt_g, opt_d, b.L.clone(), b.ab_real.clone(), lambda_l1=_LAMBDA)
    except ExerciseFailed:
        names = [e[0] for e in events[start:] if isinstance(e, tuple)]
        if names[:1] == ["G"]:  # D then judged colours from a G that had already moved
            raise ExerciseFailed(_G_FIRST, hint=_HINT) from None
        raise
    except RuntimeError as error:
        if step == 2 and "does not require grad" in str(error) \
                and not all(p.requires_grad for p in D.parameters()):
            raise ExerciseFailed("on the second step D's loss had no gradient: D is still frozen "
                                 "(requires_grad off) from G's update of the first step",
                                 hint="switch D's gradients back on after G's update") from error
        if "does not require grad" in str(error) and any(isinstance(e, tuple) and e[0] == "D"
                                                         for e in events[start:]):
            raise ExerciseFailed("G's loss has no gradient to follow: the generated colours were detached "
                                 "(or computed without a graph) in G's loss too",
                                 hint="only D's loss sees the colours cut off from G; G learns through "
                                      "D's verdict on its own, attached output") from error
        if "backward through the graph a second time" in str(error) and "gradient into G" in events[start:]:
            raise ExerciseFailed(
                "D's loss sent its gradient back into G: the generated colours were not detached in D's "
                "loss, and its backward freed the graph that G's own update still needed",
                hint="in D's loss, D must see the generated colours cut off from G's graph") from error
        raise
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ExerciseFailed("pix2pix_step should return two numbers: (D's loss, G's loss)",
                             got=repr(result)[:80], hint=_HINT)
    return _as_number(result[0], "D's loss"), _as_number(result[1], "G's loss")


def _check_order(new_events: list, step: int) -> tuple[list, list]:
    """The optimiser steps of one training step: D's once, then G's once; (D's grads, G's grads)."""
    __tracebackhide__ = True
    steps = [e for e in new_events if isinstance(e, tuple)]
    names = [name for name, _ in steps]
    fw.expect_true("D" in names, "D was never updated: opt_d.step() was not called", hint=_HINT)
    fw.expect_true("G" in names, "G was never updated: opt_g.step() was not called", hint=_HINT)
    fw.expect_true(names[:1] != ["G"], _G_FIRST, hint=_HINT)
    fw.expect_true(names == ["D", "G"], f"in step {step} the optimisers stepped in the order {names}: "
                   "one pix2pix step updates D once, then G once", expected="['D', 'G']", got=str(names),
                   hint=_HINT)
    fw.expect_true(new_events.count("gradient into G") <= 1,
                   "D's loss sent its gradient back into G: the generated colours were not detached in "
                   "D's loss",
                   hint="in D's loss, D must see the generated colours cut off from G's graph (this update "
                        "trains D only)")
    return steps[0][1], steps[1][1]


@exercise("4.4", "pix2pix training step", hint=_HINT)
def pix2pix_training_step(student_fn: Callable[..., object]) -> None:
    """``student_fn(G, D, opt_g, opt_d, L, ab_real, lambda_l1)``: D's update, then G's; (loss_d, loss_g).

    D's loss may be the sum of its two terms or pix2pix's half of it.
    """
    __tracebackhide__ = True
    b = Batch()
    events: list = []
    G = _Generator(b, events)  # noqa: N806
    D = b.D  # noqa: N806
    ref_G, ref_D = copy.deepcopy(G), copy.deepcopy(D)  # noqa: N806
    ref_G.log = []
    opt_g, opt_d = _RecordingSGD("G", G.parameters(), events), _RecordingSGD("D", D.parameters(), events)

    d_scale = 1.0
    for step in (1, 2):
        start = len(events)
        loss_d, loss_g = _run_student(student_fn, b, G, D, opt_g, opt_d, events, step)
        fw.expect_true("real" in D.seen and "fake" in D.seen, "D must see both the real pairs (L, ab_real) "
                       "and the generated pairs (L, G(L)) in its loss", hint=_HINT)
        d_got, g_got = _check_order(events[start:], step)

        if step == 1:  # pix2pix's ½ (real + fake) is the same minimiser: accept it, then hold it
            full = _grads(_d_loss(ref_D, ref_G, b.L, b.ab_real), ref_D)
            d_scale = next((c for c in (1.0, 0.5) if fw.gradients_close(d_got, _scaled(full, c))), 1.0)
        d_exp, g_exp, loss_d_exp, loss_g_exp, D_before, G_before = _expected_step(  # noqa: N806
            ref_D, ref_G, b.L, b.ab_real, d_scale)

        if not fw.gradients_close(d_got, d_exp):
            if step == 2 and fw.all_zero(d_got):
                raise ExerciseFailed("on the second step D got no gradient at all: is D still frozen "
                                     "(requires_grad off) from G's update of the first step?", hint=_HINT)
            if step == 2:
                raise ExerciseFailed("on the second step D's update used gradients left over from the "
                                     "first step: D's gradients were not cleared before its backward, so "
                                     "they add up",
                                     hint="clear D's gradients at the start of D's update, every step")
            raise ExerciseFailed("D's update did not follow the gradient of D's pix2pix loss (the sum of the "
                                 "real and the fake terms, or half of it)", hint=_HINT)
        if not fw.gradients_close(g_got, g_exp):
            if step == 2:
                raise ExerciseFailed("on the second step G's update used gradients left over from the "
                                     "first step: G's gradients were not cleared before its backward, so "
                                     "they add up",
                                     hint="clear G's gradients before G's backward, every step")
            if fw.all_zero(g_got):
                raise ExerciseFailed("G's update got no gradient at all: the generated colours were detached "
                                     "(or computed without a graph) in G's loss too",
                                     hint="only D's loss sees the colours cut off from G; G learns through "
                                          "D's verdict on its own, attached output")
            for grads, problem in _g_mistakes(D_before, ref_D, G_before, b.L, b.ab_real):
                if fw.gradients_close(g_got, grads):
                    raise ExerciseFailed(problem, hint=_HINT)
            raise ExerciseFailed("G's update did not follow the gradient of E[-log D(L, G(L))] + "
                                 "λ E|ab_real - G(L)| with the updated D", hint=_HINT)
        if not (fw.tensors_close(torch.tensor(loss_d), torch.tensor(loss_d_exp))
                and fw.tensors_close(torch.tensor(loss_g), torch.tensor(loss_g_exp))):
            expected = f"({fw.show_number(loss_d_exp)}, {fw.show_number(loss_g_exp)})"
            raise ExerciseFailed("the updates are right, but the returned losses are not this step's D and G "
                                 "losses", expected=expected,
                                 got=f"({fw.show_number(loss_d)}, {fw.show_number(loss_g)})", hint=_HINT)
        with torch.no_grad():  # keep the student's networks exactly on the reference's path
            for mine, theirs in ((G, ref_G), (D, ref_D)):
                for p, q in zip(mine.parameters(), theirs.parameters(), strict=True):
                    fw.expect_true(fw.tensors_close(p, q, atol=1e-5), "after the step the weights are not "
                                   "where one SGD step along those gradients puts them", hint=_HINT)
        D.seen.clear()
