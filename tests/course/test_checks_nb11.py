"""The checks of notebook 11 (super-resolution and perceptual loss) both ways: they pass on the
notebook's solutions, let the stub's NotImplementedError through, and fail on planted mistakes with a
message that names the mistake."""

from __future__ import annotations

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 11.x: not done yet")


def loss(kind: str = "right"):
    def perceptual_loss(features, pred, target):
        if kind == "pixels":
            return (pred - target).pow(2).mean()
        if kind == "no_grad_target":
            wanted = features(target)
        else:
            with torch.no_grad():
                wanted = features(target)
        total = 0
        maps = list(zip(features(pred), wanted, strict=True))
        if kind == "last":
            maps = maps[-1:]
        for got, want in maps:
            diff = got - want
            total = total + {"l1": diff.abs().mean(), "sum": diff.pow(2).sum(),
                             "sqrt": diff.pow(2).mean().sqrt()}.get(kind, diff.pow(2).mean())
        if kind == "average":
            total = total / 3
        if kind == "item":
            return total.detach().clone()
        return total

    return perceptual_loss


def test_perceptual_loss_passes_on_the_solution(capsys):
    passes(checks.perceptual_loss, loss(), capsys)


def test_perceptual_loss_stub_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.perceptual_loss(stub)


@pytest.mark.parametrize("kind, needle", [
    ("pixels", "you compared the pixels"),
    ("l1", "L1 on the features"),
    ("sum", "without dividing by C_j H_j W_j"),
    ("sqrt", "square root"),
    ("last", "last layer only"),
    ("average", "you averaged the layers"),
    ("no_grad_target", "gradients reached the target"),
    ("item", "carries no gradient"),
])
def test_perceptual_loss_names_the_mistake(kind, needle):
    fails(checks.perceptual_loss, loss(kind), needle)


def shuffle(kind: str = "right"):
    def pixel_shuffle(x, r):
        n, channels, height, width = x.shape
        c = channels // (r * r)
        if kind == "nearest":
            return x[:, :c].repeat_interleave(r, dim=2).repeat_interleave(r, dim=3)
        if kind == "split":
            split = x.reshape(n, r, r, c, height, width)
            return split.permute(0, 3, 4, 1, 5, 2).reshape(n, c, height * r, width * r)
        y = x.reshape(n, c, r, r, height, width)
        if kind == "no_permute":
            return y.reshape(n, c, height * r, width * r)
        order = (0, 1, 4, 3, 5, 2) if kind == "swapped" else (0, 1, 4, 2, 5, 3)
        out = y.permute(*order).reshape(n, c, height * r, width * r)
        return out[..., :-1] if kind == "shape" else out

    return pixel_shuffle


def test_pixel_shuffle_passes_on_the_solution(capsys):
    passes(checks.pixel_shuffle, shuffle(), capsys)


def test_pixel_shuffle_stub_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.pixel_shuffle(stub)


@pytest.mark.parametrize("kind, needle", [
    ("nearest", "nearest neighbour"),
    ("split", "(r, r, C)"),
    ("swapped", "offsets are swapped"),
    ("no_permute", "a reshape alone"),
    ("shape", "wrong shape"),
])
def test_pixel_shuffle_names_the_mistake(kind, needle):
    fails(checks.pixel_shuffle, shuffle(kind), needle)
