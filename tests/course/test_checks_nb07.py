"""The checks of notebook 07 (one model, two jobs) both ways: they pass on the reference, let the
student's stub raise NotImplementedError, and fail on typical mistakes with a message that names
the mistake."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.models.multitask import MultiTaskGenerator
from gancolor.models.unet import run_decoder
from gancolor.train.colour_and_style import multitask_loss as reference_loss


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 7.x: not done yet")


# --------------------------------------------------------------------------------------
# 7.2 the multi-task loss
# --------------------------------------------------------------------------------------


def validate(losses: Mapping[str, torch.Tensor], weights: Mapping[str, float]) -> None:
    if set(losses) != set(weights):
        raise ValueError("one weight per loss")
    for weight in weights.values():
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError("weights must be finite and >= 0")
    for loss in losses.values():
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise ValueError("losses must be scalar tensors")


def student_loss(combine: Callable[[Mapping, Mapping], object], check: bool = True) -> Callable:
    def multitask_loss(losses: Mapping[str, torch.Tensor], weights: Mapping[str, float]) -> object:
        if check:
            validate(losses, weights)
        return combine(losses, weights)

    return multitask_loss


def weighted(losses: Mapping, weights: Mapping) -> torch.Tensor:
    return sum(weights[k] * v for k, v in losses.items())


def test_multitask_loss_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.multitask_loss, reference_loss, capsys)
    passes(checks.multitask_loss, student_loss(weighted), capsys)
    # Skipping the jobs of weight 0 is fine too.
    passes(checks.multitask_loss, student_loss(
        lambda losses, weights: sum(weights[k] * v for k, v in losses.items() if weights[k] > 0)), capsys)


def test_multitask_loss_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 7.x"):
        checks.multitask_loss(stub)


def other(name: str) -> str:
    return "style" if name == "colour" else "colour"


@pytest.mark.parametrize(("combine", "needles"), [
    (lambda ls, ws: sum(ws[other(k)] * v for k, v in ls.items()), ["swapped the weights"]),
    (lambda ls, ws: sum(ls.values()), ["without their weights"]),
    (lambda ls, ws: weighted(ls, ws) / len(ls), ["averaged over the jobs", "*sum*"]),
    (lambda ls, ws: weighted(ls, ws) / sum(ws.values()), ["divided by the sum of the weights"]),
    (lambda ls, ws: ws["colour"] * ls["colour"], ["only the colour job's term"]),
    (lambda ls, ws: sum(w * v for w, v in zip(ws.values(), ls.values(), strict=True)), ["paired losses and "
                                                                                      "weights by position"]),
    (lambda ls, ws: weighted(ls, ws).detach(), ["not connected"]),
    (lambda ls, ws: float(weighted(ls, ws).detach()), ["should be a torch.Tensor", ".item()"]),
    (lambda ls, ws: torch.stack([ws[k] * v for k, v in ls.items()]), ["single number", "don't stack"]),
    (lambda ls, ws: ws["colour"] * ls["colour"] + ws["style"] * ls["style"], ["three jobs", "job names"]),
])
def test_multitask_loss_names_the_mistake(combine: Callable, needles: list[str]) -> None:
    fails(checks.multitask_loss, student_loss(combine), *needles)


def test_multitask_loss_wants_the_validation() -> None:
    fails(checks.multitask_loss, student_loss(weighted, check=False), "a job without a weight",
          "should raise ValueError", "raised KeyError")

    def no_key_check(losses: Mapping, weights: Mapping) -> torch.Tensor:
        if any(k not in weights for k in losses):
            raise ValueError("a job without a weight")
        return sum(weights[k] * v for k, v in losses.items())  # extra weights pass silently

    fails(checks.multitask_loss, no_key_check, "a weight without a job", "it returned")

    def no_sign_check(losses: Mapping, weights: Mapping) -> torch.Tensor:
        if set(losses) != set(weights):
            raise ValueError("keys")
        return weighted(losses, weights)

    fails(checks.multitask_loss, no_sign_check, "a negative weight", "maximise")

    def nan_slips_through(losses: Mapping, weights: Mapping) -> torch.Tensor:
        if set(losses) != set(weights):
            raise ValueError("keys")
        if any(w < 0 for w in weights.values()):
            raise ValueError("negative")
        return weighted(losses, weights)

    fails(checks.multitask_loss, nan_slips_through, "a NaN weight", "nan >= 0 is False")

    def no_shape_check(losses: Mapping, weights: Mapping) -> torch.Tensor:
        if set(losses) != set(weights):
            raise ValueError("keys")
        if not all(math.isfinite(w) and w >= 0 for w in weights.values()):
            raise ValueError("weights")
        return weighted(losses, weights)

    fails(checks.multitask_loss, no_shape_check, "not a single number", "0-dim tensor")


# --------------------------------------------------------------------------------------
# 7.1 encode once, decode twice
# --------------------------------------------------------------------------------------


def reference_forward(model: MultiTaskGenerator, L_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N803
    features = model.encode(L_n)
    return model.decode(features, "ab"), model.decode(features, "style", L_n)


def test_multitask_forward_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.multitask_forward, reference_forward, capsys)
    passes(checks.multitask_forward, lambda model, L_n: model(L_n), capsys)  # noqa: N803

    def by_hand(model: MultiTaskGenerator, L_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N803
        features, h = [], L_n
        for block in model.encoder:
            h = block(h)
            features.append(h)
        return model.decode(features, "ab", L_n), model.decode(features, "style", L_n)

    passes(checks.multitask_forward, by_hand, capsys)


def test_multitask_forward_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 7.x"):
        checks.multitask_forward(stub)


def detached(model: MultiTaskGenerator, L_n: torch.Tensor, heads: tuple[str, ...]) -> tuple:  # noqa: N803
    features = model.encode(L_n)
    cut = [f.detach() for f in features]
    return (model.decode(cut if "ab" in heads else features, "ab"),
            model.decode(cut if "style" in heads else features, "style", L_n))


@pytest.mark.parametrize(("forward", "needles"), [
    (lambda m, x: (m.decode(m.encode(x), "ab"), m.decode(m.encode(x), "style", x)), ["2 times", "one pass"]),
    (lambda m, x: (m.colour(x), m.style(x)), ["2 times", "each encode again"]),
    (lambda m, x: tuple(reversed(reference_forward(m, x))), ["returned (style, ab)"]),
    (lambda m, x: reference_forward(m, x)[0], ["should return two tensors"]),
    (lambda m, x: (m.decode(m.encode(x), "ab"),) * 2, ["wrong shape"]),
    (lambda m, x: (lambda f: (m.decode(f, "ab"), m.decode(f, "style")))(m.encode(x)),
     ["raised ValueError", "needs L_n"]),
    (lambda m, x: (lambda f: (m.decode(f, "ab"), torch.tanh(run_decoder(m.style_decoder, f))))(m.encode(x)),
     ["ignores the gray photo", "residual"]),
    (lambda m, x: (lambda f: (torch.tanh(run_decoder(m.ab_decoder, f)) * 0.5,
                              m.decode(f, "style", x)))(m.encode(x)), ["not the colour head's answer"]),
    (lambda m, x: detached(m, x, ("ab",)), ["colour head's gradient does not reach the shared encoder",
                                            "don't detach"]),
    (lambda m, x: detached(m, x, ("style",)), ["style head's gradient does not reach the shared encoder"]),
    (lambda m, x: tuple(t.detach() for t in reference_forward(m, x)), ["has no graph"]),
])
def test_multitask_forward_names_the_mistake(forward: Callable, needles: list[str]) -> None:
    fails(checks.multitask_forward, forward, *needles)


def test_multitask_forward_never_ran_the_encoder() -> None:
    def zeros(model: MultiTaskGenerator, L_n: torch.Tensor) -> tuple:  # noqa: N803
        n, _, h, w = L_n.shape
        return torch.zeros(n, 2, h, w), torch.zeros(n, 3, h, w)

    fails(checks.multitask_forward, zeros, "never ran the model's encoder")


def test_checks_are_deterministic_and_leave_the_global_random_state_alone(
        capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.multitask_loss(reference_loss)
    checks.multitask_forward(reference_forward)
    assert torch.equal(torch.rand(3), expected)
    first = fails(checks.multitask_forward, lambda m, x: (m.colour(x), m.style(x)))
    assert fails(checks.multitask_forward, lambda m, x: (m.colour(x), m.style(x))) == first
    capsys.readouterr()
