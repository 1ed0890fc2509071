"""Checks of notebook 11, super-resolution and perceptual loss: the feature reconstruction loss
(Johnson et al. 2016) and the pixel shuffle (Shi et al. 2016).

11.1 ``perceptual_loss(features, pred, target)`` is compared with
:func:`gancolor.losses.perceptual.perceptual_loss` through a small seeded feature network of three
layers; a wrong value is matched against the typical mistakes (pixels compared instead of features,
|Δφ| instead of Δφ², the squared distance summed instead of averaged, the Euclidean norm instead of
its square, the last layer only, the layers averaged instead of summed), and gradients must reach
the prediction and never the target.

11.2 ``pixel_shuffle(x, r)`` ((N, C r², H, W) -> (N, C, r H, r W)) is compared with
``torch.nn.functional.pixel_shuffle``; a wrong answer is matched against the typical mistakes (the
channel split in the wrong order, the row and column offsets swapped, nearest-neighbour
upsampling of the first channels, a reshape without the permute).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    exercise,
    expect_scalar,
    expect_shape,
    expect_true,
    tensors_close,
)
from gancolor.losses.perceptual import perceptual_loss as reference_perceptual_loss

__all__ = ["perceptual_loss", "pixel_shuffle"]


# --------------------------------------------------------------------------------------
# 11.1 the perceptual loss
# --------------------------------------------------------------------------------------

_PERCEPTUAL_HINT = ("run both images through features (a list of maps, one per layer); for each layer "
                    "take the mean of the squared difference of the maps (the target's without gradient); "
                    "add the layers up (Johnson et al. 2016, eq. 2)")


class _TinyFeatures(nn.Module):
    """Three conv + ReLU layers, seeded, frozen:
    (N, 3, H, W) -> [(N, 4, H, W), (N, 6, H/2, W/2), (N, 8, H/4, W/4)]."""

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(11)
        self.convs = nn.ModuleList([nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(4, 6, 3, stride=2, padding=1),
                                    nn.Conv2d(6, 8, 3, stride=2, padding=1)])
        with torch.no_grad():
            for conv in self.convs:
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.4)
                conv.bias.copy_(torch.randn(conv.bias.shape, generator=gen) * 0.1)
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for conv in self.convs:
            x = torch.relu(conv(x))
            maps.append(x)
        return maps


def _perceptual_mistakes(features: _TinyFeatures, pred: torch.Tensor, target: torch.Tensor) -> list[Mistake]:
    def per_layer(distance: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> list[torch.Tensor]:
        return [distance(a, b) for a, b in zip(features(pred), features(target), strict=True)]

    return [
        (lambda: (pred - target).pow(2).mean(),
         "you compared the pixels, not the features: that is the MSE loss the perceptual loss replaces",
         "pass pred and target through features(...) and compare the maps it returns"),
        (lambda: (pred - target).abs().mean(),
         "you compared the pixels with L1, not the features", "compare features(pred) with features(target)"),
        (lambda: sum(per_layer(lambda a, b: (a - b).abs().mean())),
         "you used |φ(ŷ) - φ(y)| (L1 on the features): Johnson et al.'s loss is the squared distance",
         "(a - b).pow(2).mean() per layer"),
        (lambda: sum(per_layer(lambda a, b: (a - b).pow(2).sum())),
         "you summed the squared differences without dividing by C_j H_j W_j: large layers would weigh "
         "more just for having more values", "take the mean per layer, not the sum"),
        (lambda: sum(per_layer(lambda a, b: (a - b).pow(2).mean().sqrt())),
         "you took the square root (a Euclidean norm): the loss is the squared distance", "drop the sqrt"),
        (lambda: per_layer(lambda a, b: (a - b).pow(2).mean())[-1],
         "you used the last layer only: every layer of the list counts", "sum the distances of all layers"),
        (lambda: sum(per_layer(lambda a, b: (a - b).pow(2).mean())) / 3,
         "you averaged the layers: they are added up (weights w_j = 1)", "sum over the layers, no division"),
    ]


@exercise("11.1", "the perceptual loss", hint=_PERCEPTUAL_HINT)
def perceptual_loss(student_fn: Callable) -> None:
    """``student_fn(features, pred (N, 3, H, W), target (N, 3, H, W)) -> scalar``:
    Σ_j mean((φ_j(ŷ) - φ_j(y))²)."""
    __tracebackhide__ = True
    features = _TinyFeatures()
    gen = torch.Generator().manual_seed(1)
    pred = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    target = torch.rand(2, 3, 16, 16, generator=gen) * 2 - 1
    same = expect_scalar(student_fn(features, target.clone(), target.clone()),
                         "the loss of an image against itself", hint="return one number: a 0-dim tensor")
    expect_true(abs(float(same)) < 1e-7, "the loss of an image against itself should be 0",
                expected=0.0, got=float(same), hint=_PERCEPTUAL_HINT)
    pred_leaf, target_leaf = pred.clone().requires_grad_(True), target.clone().requires_grad_(True)
    got = expect_scalar(student_fn(features, pred_leaf, target_leaf), "the loss", hint="return one number")
    want = reference_perceptual_loss(features, pred, target)
    if not tensors_close(got, want):
        diagnose(got, want, _perceptual_mistakes(features, pred, target))
        raise ExerciseFailed("the loss is not Σ_j mean((φ_j(pred) - φ_j(target))²)",
                             expected=describe(want), got=describe(got))
    expect_true(got.requires_grad, "the loss carries no gradient: the generator could not learn from it",
                hint="do not call .item() or .detach() on the prediction's features")
    got.backward()
    expect_true(pred_leaf.grad is not None and float(pred_leaf.grad.abs().sum()) > 0,
                "no gradient reached the prediction", hint="compute features(pred) with gradients")
    expect_true(target_leaf.grad is None or float(target_leaf.grad.abs().sum()) == 0,
                "gradients reached the target: the target is what G aims at, not something to change",
                hint="compute the target's features under torch.no_grad() (or detach them)")


# --------------------------------------------------------------------------------------
# 11.2 the pixel shuffle
# --------------------------------------------------------------------------------------

_SHUFFLE_HINT = ("split the channels as (C, r, r), so x is (N, C, r, r, H, W); move the two r axes beside "
                 "H and W as (N, C, H, r, W, r) (the first r is the row offset, the second the column "
                 "offset); then reshape to (N, C, H r, W r) (Shi et al. 2016, eq. 4)")


def _shuffle_mistakes(x: torch.Tensor, r: int) -> list[Mistake]:
    n, channels, height, width = x.shape
    c = channels // (r * r)
    big = (n, c, height * r, width * r)
    return [
        (lambda: x.reshape(n, r, r, c, height, width).permute(0, 3, 4, 1, 5, 2).reshape(big),
         "you split the channels as (r, r, C): channel k of the output is made of channels "
         "k r² .. k r² + r² - 1 of the input, so the split is (C, r, r)", "x.reshape(N, C, r, r, H, W)"),
        (lambda: x.reshape(n, c, r, r, height, width).permute(0, 1, 4, 3, 5, 2).reshape(big),
         "the row and column offsets are swapped: in each group the first r is the row (down), the second "
         "the column (across)", "permute to (N, C, H, r_row, W, r_col)"),
        (lambda: x.reshape(n, c, r, r, height, width).reshape(n, c, height * r, width * r),
         "a reshape alone does not move the pixels where they belong: the r x r offsets must sit beside H "
         "and W before the final reshape", "permute to (N, C, H, r, W, r) before reshaping"),
        (lambda: x[:, :c].repeat_interleave(r, dim=2).repeat_interleave(r, dim=3),
         "you enlarged the first channels by repeating pixels (nearest neighbour): the pixel shuffle "
         "*places* the r² channels of each group as the r x r pixels of a block",
         "reshape / permute, no repeat"),
    ]


@exercise("11.2", "the pixel shuffle", hint=_SHUFFLE_HINT)
def pixel_shuffle(student_fn: Callable) -> None:
    """``student_fn(x (N, C r², H, W), r) -> (N, C, r H, r W)``, without torch's pixel_shuffle."""
    __tracebackhide__ = True
    gen = torch.Generator().manual_seed(2)
    for shape, r in (((1, 4, 2, 3), 2), ((2, 18, 3, 2), 3), ((1, 32, 2, 2), 4)):
        x = torch.randn(shape, generator=gen)
        given = x.clone()
        got = student_fn(given, r)
        n, channels, height, width = shape
        what = f"pixel_shuffle of a {shape} input with r = {r}"
        got = expect_shape(got, (n, channels // (r * r), height * r, width * r), what,
                           hint="(N, C r², H, W) -> (N, C, H r, W r)")
        want = F.pixel_shuffle(x, r)
        if not tensors_close(got, want):
            diagnose(got, want, _shuffle_mistakes(x, r))
            raise ExerciseFailed(f"{what} puts pixels in the wrong places", expected=describe(want),
                                 got=describe(got))
