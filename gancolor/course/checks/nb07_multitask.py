"""Checks of notebook 07, one model for two jobs: the multi-task loss and the shared-encoder forward (and,
in :mod:`gancolor.course.checks._nb07_gain`, 7.3: a model's gain over the best baseline with its error).

7.2 runs the student's ``multitask_loss(losses, weights)`` on job losses that are functions of
two small parameter tensors, with weights that tell every typical mistake apart: the weights
swapped, an unweighted sum, the weighted mean over the jobs or over the weights, one job left out.
It passes the weights in another key order than the losses (a ``zip`` over the two dicts' values
pairs them by position), then checks the gradient each job's parameters get (w_k times its own
loss's gradient, none at all for a job of weight 0), a third job, and the validation: a
missing or extra weight, a negative, NaN or infinite weight and a loss that is not a single
number must each raise ``ValueError`` naming the problem.

7.1 runs the student's ``multitask_forward(model, L_n)`` on a small
:class:`~gancolor.models.multitask.MultiTaskGenerator` and counts with a hook how often its
encoder runs: once (encode once, decode twice). It compares both outputs with the model's own
forward, in the order (ab, style), and the gradients that each head sends back into the shared
encoder: a head fed detached features trains its decoder but not the encoder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch

from gancolor.course.checks._framework import (
    ExerciseFailed,
    all_zero,
    describe,
    diagnose,
    exercise,
    expect_finite,
    expect_scalar,
    expect_shape,
    expect_tensor,
    expect_true,
    gradients,
    gradients_close,
    show_number,
    tensors_close,
)
from gancolor.course.checks._nb07_gain import gain_over_best  # 7.3 (its own module: evaluation, not models)
from gancolor.models.multitask import MultiTaskGenerator
from gancolor.models.unet import run_decoder

__all__ = ["multitask_loss", "multitask_forward", "gain_over_best"]

# --------------------------------------------------------------------------------------
# 7.2 the multi-task loss
# --------------------------------------------------------------------------------------

_LOSS_HINT = ("return sum(weights[name] * loss for name, loss in losses.items()), after checking that the "
              "keys match, every weight is finite and >= 0 and every loss is a 0-dim tensor (else raise "
              "ValueError)")


class _Jobs:
    """Two job losses of known value and gradient: colour = 2 + |p_c|², style = 3 + |p_s|² (before
    the parameters move): 2.75 and 3.5 for the parameters below."""

    def __init__(self) -> None:
        self.p_colour = torch.tensor([0.5, -0.5, 0.5], requires_grad=True)  # |p|² = 0.75
        self.p_style = torch.tensor([0.5, 0.5], requires_grad=True)  # |p|² = 0.5

    def losses(self) -> dict[str, torch.Tensor]:
        return {"colour": 2.0 + self.p_colour.square().sum(), "style": 3.0 + self.p_style.square().sum()}

    def zero_grad(self) -> None:
        self.p_colour.grad = self.p_style.grad = None


def _scalar_loss(value: object, what: str) -> torch.Tensor:
    __tracebackhide__ = True
    return expect_scalar(value, what,
                         tensor_hint="return the tensor itself (torch operations only): .item() or float() "
                                     "cut the graph, and nothing could be trained",
                         hint="a weighted sum of scalar losses is a scalar: don't stack them into a vector")


def _expect_value_error(student_fn: Callable, losses: Mapping[str, torch.Tensor],
                        weights: Mapping[str, float], case: str, needle_hint: str) -> None:
    """``student_fn(losses, weights)`` must raise ValueError; anything else is explained."""
    __tracebackhide__ = True
    call = f"multitask_loss({_describe_mapping(losses)}, {weights!r})"
    try:
        result = student_fn(dict(losses), dict(weights))
    except NotImplementedError:
        raise
    except ValueError:
        return
    except Exception as error:  # noqa: BLE001 -- the student's code raised something else: say what
        first = (str(error).strip().splitlines() or [""])[0]
        raise ExerciseFailed(f"{case}: {call} should raise ValueError, but it raised "
                             f"{type(error).__name__}: {first}",
                             hint="check it yourself at the start and raise ValueError with a clear "
                                  f"message: {needle_hint}") from error
    raise ExerciseFailed(f"{case}: {call} should raise ValueError, but it returned {describe(result)}",
                         hint=f"validate the arguments before adding anything up: {needle_hint}")


def _describe_mapping(losses: Mapping[str, torch.Tensor]) -> str:
    items = []
    for name, loss in losses.items():
        if isinstance(loss, torch.Tensor) and loss.dim() == 0:
            items.append(f"{name!r}: tensor({float(loss.detach()):g})")
        elif isinstance(loss, torch.Tensor):
            items.append(f"{name!r}: tensor of shape {tuple(loss.shape)}")
        else:
            items.append(f"{name!r}: {loss!r}")
    return "{" + ", ".join(items) + "}"


@exercise("7.2", "multi-task loss", hint=_LOSS_HINT)
def multitask_loss(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(losses, weights)``: Σ_k weights[k] * losses[k], a scalar tensor, with ValueError for a
    missing or extra weight, a weight that is negative or not finite, or a loss that is not a 0-dim
    tensor."""
    __tracebackhide__ = True
    jobs = _Jobs()
    weights = {"colour": 1.0, "style": 0.25}
    what = "multitask_loss({'colour': 2.75, 'style': 3.5}, {'colour': 1.0, 'style': 0.25})"
    got = _scalar_loss(student_fn(jobs.losses(), dict(weights)), what)
    c, s = 2.75, 3.5
    expected = torch.tensor(1.0 * c + 0.25 * s)
    if not tensors_close(got, expected):
        diagnose(got, expected, [
            (lambda: torch.tensor(0.25 * c + 1.0 * s), "you swapped the weights: each job's loss must be "
             "multiplied by its own weight", "weights['colour'] * losses['colour'] + ..."),
            (lambda: torch.tensor(c + s), "you added the losses without their weights",
             "multiply each job's loss by its weight: weights[name] * loss"),
            (lambda: torch.tensor((1.0 * c + 0.25 * s) / 2), "you averaged over the jobs: the objective is "
             "the weighted *sum* J = w_c J_c + w_s J_s, not its mean (dividing by the number of jobs halves "
             "every gradient)", "return the sum, without dividing by len(losses)"),
            (lambda: torch.tensor((1.0 * c + 0.25 * s) / 1.25), "you divided by the sum of the weights: the "
             "objective is the weighted sum, whose scale the weights set (a weighted mean would ignore "
             "scaling both weights by the same factor)", "return the sum, without dividing by sum(weights)"),
            (lambda: torch.tensor(1.0 * c), "your loss has only the colour job's term",
             "loop over every job: sum(weights[name] * loss for name, loss in losses.items())"),
            (lambda: torch.tensor(0.25 * s), "your loss has only the style job's term",
             "loop over every job: sum(weights[name] * loss for name, loss in losses.items())"),
            (lambda: torch.tensor(1.0 * c * 0.25 * s), "you multiplied the weighted losses together: the "
             "jobs' losses add up", "sum(weights[name] * loss for name, loss in losses.items())"),
        ], show=show_number)
        raise ExerciseFailed(f"{what} is not the weighted sum Σ_k w_k J_k", expected=show_number(expected),
                             got=show_number(got), hint=_LOSS_HINT)

    # The same dicts, the weights listed in the other order: pair by name, not by position.
    jobs.zero_grad()
    reordered = {"style": 0.25, "colour": 1.0}
    got = _scalar_loss(student_fn(jobs.losses(), reordered), what.replace("{'colour': 1.0, 'style': 0.25}",
                                                                          "{'style': 0.25, 'colour': 1.0}"))
    if not tensors_close(got, expected):
        positional = torch.tensor(0.25 * c + 1.0 * s)
        why = ("you paired losses and weights by position (zip over the two dicts' values), so the colour "
               "loss got the style weight" if tensors_close(got, positional)
               else "look each weight up by its job's name")
        problem = ("with the weights listed in another order ({'style': 0.25, 'colour': 1.0}) your loss "
                   "changes: " + why)
        raise ExerciseFailed(problem, expected=show_number(expected), got=show_number(got),
                             hint="for name, loss in losses.items(): ... weights[name] * loss")

    # Gradients: each job's parameters get w_k times their own loss's gradient.
    jobs.zero_grad()
    loss = student_fn(jobs.losses(), {"colour": 2.0, "style": 0.5})
    loss = _scalar_loss(loss, "multitask_loss(..., {'colour': 2.0, 'style': 0.5})")
    expect_true(loss.requires_grad, "your loss is not connected to the jobs' losses: no gradient can train "
                "the model",
                hint="don't call .item(), float() or .detach() on the losses; keep torch tensors")
    loss.backward()
    for name, param, weight in (("colour", jobs.p_colour, 2.0), ("style", jobs.p_style, 0.5)):
        wanted = weight * 2.0 * param.detach()
        got_grad = torch.zeros_like(param) if param.grad is None else param.grad
        expect_true(tensors_close(got_grad, wanted, atol=1e-6),
                    f"the gradient reaching the {name} job's parameters should be w_{name} times the "
                    f"gradient of its own loss (w_{name} = {weight:g})",
                    expected=describe(wanted), got=describe(got_grad),
                    hint="each term is weights[name] * losses[name]: the gradient of the sum is the weighted "
                         "sum of the gradients")

    # A job of weight 0 contributes nothing (no gradient, or a zero one).
    jobs.zero_grad()
    loss = _scalar_loss(student_fn(jobs.losses(), {"colour": 0.0, "style": 1.0}),
                        "multitask_loss(..., {'colour': 0.0, 'style': 1.0})")
    expect_true(tensors_close(loss, torch.tensor(3.5)),
                "with w_colour = 0 the loss should be the style job's alone",
                expected="3.5", got=show_number(loss), hint=_LOSS_HINT)

    # Any number of jobs, any names.
    three = {"colour": torch.tensor(1.0), "style": torch.tensor(2.0), "depth": torch.tensor(4.0)}
    got = _scalar_loss(student_fn(dict(three), {"depth": 0.5, "colour": 3.0, "style": 1.0}),
                       "multitask_loss with three jobs")
    expect_true(tensors_close(got, torch.tensor(7.0)),
                "with three jobs ({'colour': 1, 'style': 2, 'depth': 4}, weights 3, 1, 0.5) the loss should "
                "be 3·1 + 1·2 + 0.5·4 = 7: don't write the two job names into the function",
                expected="7", got=show_number(got), hint=_LOSS_HINT)

    # Validation: every mistake a caller can make is a ValueError.
    two = {"colour": torch.tensor(1.0), "style": torch.tensor(2.0)}
    _expect_value_error(student_fn, two, {"colour": 1.0}, "a job without a weight",
                        "if set(losses) != set(weights): raise ValueError(...)")
    _expect_value_error(student_fn, two, {"colour": 1.0, "style": 1.0, "depth": 1.0},
                        "a weight without a job", "if set(losses) != set(weights): raise ValueError(...)")
    _expect_value_error(student_fn, two, {"colour": 1.0, "style": -0.5}, "a negative weight (it would make "
                        "the optimiser *maximise* that job's loss)", "weights must be finite and >= 0")
    _expect_value_error(student_fn, two, {"colour": math.nan, "style": 1.0}, "a NaN weight",
                        "math.isfinite(w) and w >= 0 (note that nan >= 0 is False, but so is nan < 0)")
    _expect_value_error(student_fn, two, {"colour": math.inf, "style": 1.0}, "an infinite weight",
                        "math.isfinite(w)")
    _expect_value_error(student_fn, {"colour": torch.ones(4), "style": torch.tensor(2.0)},
                        {"colour": 1.0, "style": 1.0}, "a loss that is not a single number (a per-pixel "
                        "loss map, say)", "each loss must be a 0-dim tensor: loss.dim() == 0")


# --------------------------------------------------------------------------------------
# 7.1 encode once, decode twice
# --------------------------------------------------------------------------------------

_FORWARD_HINT = ("features = model.encode(L_n); return model.decode(features, 'ab'), "
                 "model.decode(features, 'style', L_n): one encoder pass, both heads read the same features")


def _encoder_counter(model: MultiTaskGenerator) -> tuple[dict[str, int], Callable[[], None]]:
    """Counts the runs of the encoder's first block; returns the counter and a function removing the hook."""
    count = {"runs": 0}

    def hook(module: torch.nn.Module, args: tuple) -> None:
        count["runs"] += 1

    handle = model.encoder[0].register_forward_pre_hook(hook)
    return count, handle.remove


def _pair(value: object, what: str, n: int, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    __tracebackhide__ = True
    expect_true(isinstance(value, (tuple, list)) and len(value) == 2,
                f"{what} should return two tensors, (ab_n, style)",
                expected="a tuple (ab_n (N, 2, H, W), style (N, 3, H, W))",
                got=f"{type(value).__name__}: {describe(value)}", hint=_FORWARD_HINT)
    first, second = value  # type: ignore[misc]
    first = expect_tensor(first, f"the first output of {what}", hint=_FORWARD_HINT)
    second = expect_tensor(second, f"the second output of {what}", hint=_FORWARD_HINT)
    if first.dim() == 4 and second.dim() == 4 and first.shape[1] == 3 and second.shape[1] == 2:
        raise ExerciseFailed(f"{what} returned (style, ab): the colour head's ab_n comes first, as in "
                             "model(L_n)", expected=f"shapes ({n}, 2, {size[0]}, {size[1]}), "
                             f"({n}, 3, {size[0]}, {size[1]})",
                             got=f"shapes {tuple(first.shape)}, {tuple(second.shape)}",
                             hint="return ab_n, style")
    ab = expect_shape(first, (n, 2, *size), f"the colour output (ab_n) of {what}", hint=_FORWARD_HINT)
    style = expect_shape(second, (n, 3, *size), f"the style output of {what}", hint=_FORWARD_HINT)
    return ab, style


def _encoder_grads(model: MultiTaskGenerator) -> list[torch.Tensor]:
    return gradients(model.encoder.parameters())


@exercise("7.1", "encode once, decode twice", hint=_FORWARD_HINT)
def multitask_forward(student_fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> None:
    """``student_fn(model, L_n)`` for a MultiTaskGenerator ``model``: ``(ab_n, style)`` as ``model(L_n)``,
    with the encoder run once and gradients from both heads reaching it."""
    __tracebackhide__ = True
    model = MultiTaskGenerator(width=4, depth=3, max_width=16)  # no dropout: deterministic in train mode
    for shape in [(2, 1, 16, 16), (1, 1, 8, 24)]:
        n, size = shape[0], tuple(shape[2:])
        x = torch.rand(shape) * 2 - 1
        what = f"multitask_forward(model, L_n of shape {shape})"
        count, remove = _encoder_counter(model)
        try:
            out = student_fn(model, x.clone())
        finally:
            remove()
        ab, style = _pair(out, what, n, size)  # type: ignore[arg-type]
        runs = count["runs"]
        expect_true(runs > 0, f"{what} never ran the model's encoder", hint=_FORWARD_HINT)
        expect_true(runs == 1, f"{what} ran the shared encoder {runs} times: the point of sharing it is that "
                    "one pass serves both heads", expected="1 encoder pass", got=f"{runs} passes",
                    hint="call model.encode(L_n) once and give its features to both model.decode calls "
                         "(model.colour(L_n) and model.style(L_n) each encode again)")
        with torch.no_grad():
            ab_ref, style_ref = model(x)
        expect_finite(ab, f"the colour output of {what}")
        expect_finite(style, f"the style output of {what}")
        expect_true(tensors_close(ab, ab_ref), f"the colour output of {what} is not the colour head's answer",
                    expected=describe(ab_ref), got=describe(ab), hint=_FORWARD_HINT)
        if not tensors_close(style, style_ref):
            with torch.no_grad():
                direct = torch.tanh(run_decoder(model.style_decoder, model.encode(x)))
            if tensors_close(style, direct):
                raise ExerciseFailed(f"the style output of {what} ignores the gray photo: the style head is "
                                     "residual, winter = tanh(atanh(gray) + h)",
                                     hint="pass L_n to the style head: model.decode(features, 'style', L_n)")
            raise ExerciseFailed(f"the style output of {what} is not the style head's answer",
                                 expected=describe(style_ref), got=describe(style), hint=_FORWARD_HINT)

    # Gradients: each head trains the shared encoder (and its own decoder).
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    target_ab, target_style = torch.rand(2, 2, 16, 16) - 0.5, torch.rand(2, 3, 16, 16) * 2 - 1
    for index, head, target in ((0, "colour", target_ab), (1, "style", target_style)):
        model.zero_grad(set_to_none=True)
        out = student_fn(model, x.clone())
        loss = (out[index] - target).abs().mean()
        expect_true(loss.requires_grad, f"the {head} output has no graph: nothing could be trained",
                    hint="no torch.no_grad() and no .detach() in the forward")
        loss.backward()
        got = _encoder_grads(model)
        decoder = model.ab_decoder if index == 0 else model.style_decoder
        decoder_got = any(p.grad is not None and bool(p.grad.abs().max() > 0) for p in decoder.parameters())
        model.zero_grad(set_to_none=True)
        (model(x)[index] - target).abs().mean().backward()
        wanted = _encoder_grads(model)
        model.zero_grad(set_to_none=True)
        if gradients_close(got, wanted):
            continue
        if all_zero(got) and decoder_got:
            raise ExerciseFailed(f"the {head} head's gradient does not reach the shared encoder: its decoder "
                                 "got the features detached (or computed without a graph)",
                                 hint="don't detach the features: the encoder is shared precisely so that "
                                      "both jobs train it")
        raise ExerciseFailed(f"the gradient that the {head} head sends into the shared encoder is not the "
                             "expected one", hint=_FORWARD_HINT)
