"""Check of exercise 2.4, one DCGAN training step: a D update on detached fakes, then a G update.

The check looks at behaviour, never at the code. It gives the student's ``train_step`` a tiny G
and D (both with batch norm, as in DCGAN) and plain SGD optimizers, whose update is
``θ ← θ - lr·g``: from what each parameter moved, the check reads back the gradient that was
applied and compares it with the package's own step (:class:`gancolor.train.unconditional.DCGANTrainer`,
``d_losses`` then ``g_losses``). Before the call every parameter holds a stale gradient, as after
a previous step, so a forgotten ``zero_grad`` shows in the update. Hooks record every call of D
(one batch of real and fake together goes through D's batch norm as one batch) and every gradient
that reaches G's output before D's update (D's loss back-propagated into G).

Accepted: any form of the same step (separate or summed real and fake losses, one backward or
two, the fakes detached or made under ``torch.no_grad()``, ``zero_grad`` anywhere before each
backward), and D's loss halved, ½·(real + fake), as pix2pix writes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.course.checks._framework import ExerciseFailed, describe, exercise, tensors_close
from gancolor.train.engine import Networks
from gancolor.train.unconditional import DCGANConfig, DCGANTrainer

__all__ = ["training_step"]

_BATCH, _Z_DIM, _FEATURES, _LR = 6, 4, 5, 0.1
_STEP_HINT = ("section 4's two numbered steps, in order: D's update on the fakes cut off from G, then G's "
              "update through the updated D; each update clears its optimizer's old gradients before its "
              "backward pass and ends with its optimizer's step")


class _CountingSGD(torch.optim.SGD):
    """Plain SGD that counts its steps (to tell what happened before D's update)."""

    def __init__(self, params, lr: float) -> None:  # noqa: ANN001 (torch's own type)
        super().__init__(params, lr=lr)
        self.steps = 0

    def step(self, closure=None):  # noqa: ANN001, ANN201
        self.steps += 1
        return super().step(closure)


class _Watched(nn.Module):
    """Wraps a network: records the batch size of every call and, for G, every gradient that
    reaches its output together with the number of D updates done by then."""

    def __init__(self, net: nn.Module, opt_d: _CountingSGD | None = None) -> None:
        super().__init__()
        self.net = net
        self.opt_d = opt_d
        self.batch_sizes: list[int] = []
        self.output_grads: list[tuple[int, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batch_sizes.append(int(x.shape[0]))
        y = self.net(x)
        if self.opt_d is not None and y.requires_grad:
            y.register_hook(self._record)
        return y

    def _record(self, grad: torch.Tensor) -> None:
        self.output_grads.append((self.opt_d.steps if self.opt_d else 0, grad.detach().clone()))


def _tiny_nets() -> tuple[nn.Module, nn.Module]:
    """G: z (B, 4) -> "images" (B, 5) in [-1, 1]; D: (B, 5) -> logits (B,); both with batch norm."""
    G = nn.Sequential(nn.Linear(_Z_DIM, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, _FEATURES), nn.Tanh())  # noqa: N806
    D = nn.Sequential(nn.Linear(_FEATURES, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 1),  # noqa: N806
                      nn.Flatten(0))
    return G, D


def _grad(loss: torch.Tensor, net: nn.Module) -> list[torch.Tensor]:
    params = list(net.parameters())
    found = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    return [torch.zeros_like(p) if g is None else g.detach() for p, g in zip(params, found, strict=True)]


def _add(*grads: list[torch.Tensor]) -> list[torch.Tensor]:
    return [sum(parts) for parts in zip(*grads, strict=True)]


def _scale(grads: list[torch.Tensor], c: float) -> list[torch.Tensor]:
    return [c * g for g in grads]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(tensors_close(x, y, atol=2e-5, rtol=1e-3) for x, y in zip(a, b, strict=True))


class _Reference:
    """The package's step on copies of the nets, and the gradients of the usual mistakes.

    ``half`` is D's loss halved, ½·(real + fake): D's update is then half as long, and G is judged
    by that D.
    """

    def __init__(self, G: nn.Module, D: nn.Module, real: torch.Tensor, z: torch.Tensor,  # noqa: N803
                 stale_g: list[torch.Tensor], stale_d: list[torch.Tensor], half: bool = False) -> None:
        task = SimpleNamespace(config=DCGANConfig(loss="nonsaturating"))  # what d_losses/g_losses read
        G0, D0 = copy.deepcopy(G), copy.deepcopy(D)  # noqa: N806
        fake = G0(z)
        nets = Networks({"G": G0, "D": D0})
        loss_d, _ = DCGANTrainer.d_losses(task, nets, {"real": [real]}, {"fake": [fake]})
        self.loss_d = float(loss_d.detach()) * (0.5 if half else 1.0)
        self.d = _scale(_grad(loss_d, D0), 0.5 if half else 1.0)  # the right D gradient
        # The usual mistakes of D's update.
        self.d_stale = _add(self.d, stale_d)
        self.d_real_only = _grad(F.softplus(-D0(real)).mean(), D0)
        loss_g_old = DCGANTrainer.g_losses(task, nets, {}, {"fake": [fake]})[0]
        self.d_plus_g = _add(self.d, _grad(loss_g_old, D0))
        # The mistakes of G's update with D before its update.
        undetached = F.softplus(-D0(real)).mean() + F.softplus(D0(fake)).mean()  # fakes not detached
        self.g_old_d = _grad(loss_g_old, G0)
        self.g_plus_d_loss = _grad(undetached, G0)  # completed below
        self.fake_grad_old_d = torch.autograd.grad(loss_g_old, fake, retain_graph=True)[0]
        # D's update, then the right G gradient through the updated D, and its mistakes.
        with torch.no_grad():
            for p, g in zip(D0.parameters(), self.d, strict=True):
                p -= _LR * g
        loss_g, _ = DCGANTrainer.g_losses(task, nets, {}, {"fake": [fake]})
        self.loss_g = float(loss_g.detach())
        self.g = _grad(loss_g, G0)
        self.g_stale = _add(self.g, stale_g)
        self.g_plus_d_loss = _add(self.g, self.g_plus_d_loss)
        self.g_from_d_loss = _grad(F.softplus(-D0(real)).mean() + F.softplus(D0(fake)).mean(), G0)


def _applied(before: list[torch.Tensor], net: nn.Module) -> list[torch.Tensor]:
    """The gradient an SGD step applied: (θ_before - θ_after) / lr."""
    return [(b - p.detach()) / _LR for b, p in zip(before, net.parameters(), strict=True)]


def _fail(problem: str, hint: str) -> ExerciseFailed:
    return ExerciseFailed(problem, hint=hint)


_DETACH = ("D's loss back-propagates into G: the fakes D judges in its own update are not cut off from G, "
           "so D's backward pass runs on through G (it should train D only)")
_DETACH_HINT = ("in D's update, D must judge a copy of the fakes that has no graph back into G "
                "(section 4, step 1)")


def _run_student(student_fn: Callable, G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer,  # noqa: N803
                 opt_d: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor) -> object:
    __tracebackhide__ = True
    try:
        return student_fn(G, D, opt_g, opt_d, real, z)
    except RuntimeError as error:
        if "backward through the graph a second time" in str(error):
            raise ExerciseFailed(f"{_DETACH}; G's graph was then freed, and G's own backward pass failed "
                                 "(\"Trying to backward through the graph a second time\")",
                                 hint=_DETACH_HINT) from error
        raise


def _check_d_calls(batch_sizes: list[int]) -> None:
    __tracebackhide__ = True
    if any(size != _BATCH for size in batch_sizes):
        raise _fail(f"D was called on a batch of {max(batch_sizes)} (real and fake together, {_BATCH} each): "
                    "its batch norm then normalises real and fake images with shared statistics, so D can "
                    "tell them apart by the batch they came in, not by what they look like (section 5)",
                    "call D once on the real batch and once on the fakes")


def _check_early_grads(output_grads: list[tuple[int, torch.Tensor]], ref: _Reference) -> None:
    """A gradient that reached G's output before D's update came from D's loss (or an early G loss)."""
    __tracebackhide__ = True
    early = [grad for d_steps, grad in output_grads if d_steps == 0]
    for grad in early:
        if tensors_close(grad, ref.fake_grad_old_d, atol=1e-6):
            raise _fail("G's loss was back-propagated before D's update: G must be judged by the D of "
                        "*after* its update (section 4, step 2)",
                        "do D's whole update first, then compute G's loss")
        if bool(grad.abs().max() > 0):
            raise _fail(_DETACH, _DETACH_HINT)


def _check_d_update(applied: list[torch.Tensor], ref: _Reference, halved: _Reference) -> _Reference:
    """The reference whose D update was applied (D's loss as is, or halved); else name the mistake."""
    __tracebackhide__ = True
    for candidate in (ref, halved):
        if _same(applied, candidate.d):
            return candidate
    known = [
        (lambda: [torch.zeros_like(g) for g in ref.d], "D was not updated: its parameters did not move",
         "end D's update with its optimizer's step"),
        (lambda: ref.d_stale, "D's update also applied the gradients left over from the previous step: "
         "D's optimizer never cleared them (backward adds to .grad)",
         "clear D's gradients before its backward"),
        (lambda: ref.d_plus_g, "D's update also contains the gradient of G's loss: G's loss was "
         "back-propagated into D before D's step",
         "do D's update (zero_grad, backward, step) before computing G's loss"),
        (lambda: _scale(ref.d, -1.0), "D moved the wrong way: it was trained to be fooled (its loss has the "
         "wrong sign)", "D minimises -V: -log D on real logits, -log(1 - D) on fake logits (notebook 01)"),
        (lambda: ref.d_real_only, "D's update uses only the real images' term of its loss",
         "D's loss is the real term plus the fake term"),
    ]
    for compute, problem, hint in known:
        if _same(applied, compute()):
            raise _fail(problem, hint)
    raise ExerciseFailed("D's update is not one SGD step on D's loss, E[-log D(x)] + E[-log(1 - D(G(z)))], "
                         "with the fakes detached", expected=describe(ref.d[0]), got=describe(applied[0]),
                         hint=_STEP_HINT)


def _check_g_update(applied: list[torch.Tensor], ref: _Reference) -> None:
    __tracebackhide__ = True
    if _same(applied, ref.g):
        return
    known = [
        ([torch.zeros_like(g) for g in ref.g], "G was not updated: its parameters did not move",
         "end G's update with its optimizer's step"),
        (ref.g_stale, "G's update also applied the gradients left over from the previous step: G's optimizer "
         "never cleared them (backward adds to .grad)", "clear G's gradients before G's backward"),
        (ref.g_plus_d_loss, f"{_DETACH}, and those gradients were still in G when G stepped", _DETACH_HINT),
        (ref.g_from_d_loss, "G was updated with D's loss: G's step used the gradient of D's loss, which "
         "trains G to help D", "G's update back-propagates G's own loss, -log D(G(z)) (notebook 01)"),
        (_scale(ref.g_from_d_loss, -1.0), "G was updated to maximise D's loss (the minimax form): notebook "
         "01 showed that its gradient vanishes while D wins",
         "G minimises -log D(G(z)), the non-saturating loss"),
        (ref.g_old_d, "G's loss was computed with D from before its update: G must be judged by the updated "
         "D (section 4, step 2)", "call D on the fakes again after D's step"),
    ]
    for wrong, problem, hint in known:
        if _same(applied, wrong):
            raise _fail(problem, hint)
    raise ExerciseFailed("G's update is not one SGD step on G's loss -log D(G(z)) through the updated D",
                         expected=describe(ref.g[0]), got=describe(applied[0]), hint=_STEP_HINT)


def _check_losses(got: object, ref: _Reference) -> None:
    __tracebackhide__ = True
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise ExerciseFailed("train_step should return two numbers, (D's loss, G's loss)",
                             got=describe(got), hint="return both losses as Python floats (.item())")
    values = []
    for name, value in zip(("D", "G"), got, strict=True):
        try:
            values.append(float(value.detach()) if isinstance(value, torch.Tensor) else float(value))
        except (TypeError, ValueError):
            raise ExerciseFailed(f"{name}'s loss should be a number", got=describe(value)) from None
    loss_d, loss_g = values
    if abs(loss_d - ref.loss_d) >= 1e-4:
        raise ExerciseFailed("the D loss returned is not D's loss of this step (before D's update)",
                             expected=f"{ref.loss_d:.4g}", got=f"{loss_d:.4g}")
    if abs(loss_g - ref.loss_g) >= 1e-4:
        raise ExerciseFailed("the G loss returned is not G's loss through the updated D",
                             expected=f"{ref.loss_g:.4g}", got=f"{loss_g:.4g}")


@exercise("2.4", "DCGAN training step", hint=_STEP_HINT)
def training_step(student_fn: Callable) -> None:
    """``student_fn(G, D, opt_g, opt_d, real_batch, z)`` -> (D loss, G loss): one non-saturating step.

    Checked on tiny batch-norm nets with plain SGD and stale gradients in every parameter: the
    update D and G each received, the calls of D, and the gradients that reached G before D's update.
    """
    G, D = _tiny_nets()  # noqa: N806
    real = torch.rand(_BATCH, _FEATURES) * 2 - 1
    z = torch.randn(_BATCH, _Z_DIM)
    stale_g = [torch.randn_like(p) for p in G.parameters()]
    stale_d = [torch.randn_like(p) for p in D.parameters()]
    ref = _Reference(G, D, real, z, stale_g, stale_d)
    halved = _Reference(G, D, real, z, stale_g, stale_d, half=True)

    opt_d = _CountingSGD(D.parameters(), lr=_LR)
    opt_g = _CountingSGD(G.parameters(), lr=_LR)
    for p, stale in [*zip(G.parameters(), stale_g, strict=True), *zip(D.parameters(), stale_d, strict=True)]:
        p.grad = stale.clone()
    before_g = [p.detach().clone() for p in G.parameters()]
    before_d = [p.detach().clone() for p in D.parameters()]
    watched_g, watched_d = _Watched(G, opt_d), _Watched(D)

    got = _run_student(student_fn, watched_g, watched_d, opt_g, opt_d, real, z)
    _check_d_calls(watched_d.batch_sizes)
    ref = _check_d_update(_applied(before_d, D), ref, halved)
    _check_early_grads(watched_g.output_grads, ref)
    _check_g_update(_applied(before_g, G), ref)
    _check_losses(got, ref)
