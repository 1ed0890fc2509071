"""The test bench of checks 4.2 and 4.3: a batch with a tiny generator, and a conditional
discriminator that inspects every input it gets."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    expect_scalar,
    expect_true,
    show_number,
    tensors_close,
)

__all__ = ["Batch", "ConditionalD", "diagnose_number", "scalar_loss"]


def diagnose_number(got: torch.Tensor, expected: torch.Tensor, mistakes: Sequence[Mistake]) -> None:
    """Raise the failure of the first planted mistake that ``got`` reproduces, if any."""
    __tracebackhide__ = True
    diagnose(got, expected, mistakes, show=show_number)


def scalar_loss(value: object, what: str) -> torch.Tensor:
    """``value`` if it is a finite 0-dim tensor, else a failure that says how to get one."""
    __tracebackhide__ = True
    return expect_scalar(value, what, hint="average every term over all its elements with .mean()")


_CAT_HINT = "D sees the lightness and the colours together: D(torch.cat([L, ab], dim=1)), 3 channels, L first"


class Batch:
    """A test batch: L (N, 1, H, W), true ab, and ab_fake = G(L) from a tiny generator ``G``."""

    def __init__(self, n: int = 4, size: int = 16) -> None:
        self.L = torch.rand(n, 1, size, size) * 2 - 1
        self.ab_real = 0.4 + 0.2 * torch.randn(n, 2, size, size)  # vivid true colours
        self.G = nn.Conv2d(1, 2, kernel_size=3, padding=1)
        self.D = ConditionalD(self)

    def fake(self) -> torch.Tensor:
        """G(L): (N, 2, H, W), a fresh graph back to G's weights (not detached)."""
        return 0.3 * torch.tanh(self.G(self.L))

    def zero_grad(self) -> None:
        for p in [*self.G.parameters(), *self.D.parameters()]:
            p.grad = None


class ConditionalD(nn.Module):
    """A small conditional patch discriminator that checks every input it gets.

    Its logits (N, 1, H/4, W/4) depend on L and strongly on the colours (vivid colours look real),
    so swapping real and fake, or dropping a term, changes the loss a lot.
    """

    def __init__(self, batch: Batch) -> None:
        super().__init__()
        self.batch = batch
        self.net = nn.Sequential(nn.Conv2d(3, 8, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(8, 1, 4, stride=2, padding=1))
        self.seen: list[str] = []

    def reference(self, ab: torch.Tensor) -> torch.Tensor:
        """The logits of (L, ab) without recording: the check's own reference."""
        return self._logits(torch.cat([self.batch.L, ab], dim=1))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        vividness = F.avg_pool2d(x[:, 1:].sum(dim=1, keepdim=True), 4)  # (N, 1, H/4, W/4)
        return self.net(x) + 4.0 * vividness

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        __tracebackhide__ = True
        self._inspect(x)
        return self._logits(x)

    def _inspect(self, x: object) -> None:
        __tracebackhide__ = True
        b = self.batch
        n, size = b.L.shape[0], tuple(b.L.shape[2:])
        expect_true(isinstance(x, torch.Tensor) and x.dim() == 4,
                    "D should get one image tensor (N, 3, H, W)", got=describe(x), hint=_CAT_HINT)
        assert isinstance(x, torch.Tensor)
        if x.shape[1] == 2:
            raise ExerciseFailed("D got only the colours (2 channels): this discriminator is conditional, it "
                                 "judges whether the colours fit this lightness, so it sees L as well",
                                 expected=f"(N, 3, {size[0]}, {size[1]})", got=str(tuple(x.shape)),
                                 hint=_CAT_HINT)
        expect_true(x.shape[1] == 3 and tuple(x.shape[2:]) == size and x.shape[0] in (n, 2 * n),
                    "D's input has the wrong shape", expected=f"({n}, 3, {size[0]}, {size[1]})",
                    got=str(tuple(x.shape)), hint=_CAT_HINT)
        fake = b.fake().detach()
        pairs = {"real": torch.cat([b.L, b.ab_real], dim=1), "fake": torch.cat([b.L, fake], dim=1)}
        if x.shape[0] == 2 * n and {"real", "fake"} <= {
                k for chunk in x.detach().split(n) for k, v in pairs.items() if tensors_close(chunk, v)}:
            raise ExerciseFailed(
                "D scored the real and the generated pairs in one call, concatenated into one batch: "
                "through D's BatchNorm layers (pix2pix's PatchGAN has them) the batch statistics then mix "
                "real and fake images, so D normalises each with the other's mean and variance and "
                "judges them differently from separate calls. Notebook 02 warns against this: D sees "
                "real and fake batches separately", expected="two calls of D, one per batch",
                got=f"one call on a batch of {2 * n} = {n} real + {n} generated pairs",
                hint="real_logits = D(torch.cat([L, ab_real], 1)); "
                     "fake_logits = D(torch.cat([L, ab_fake.detach()], 1))")
        for chunk in x.detach().split(n):
            name = next((k for k, v in pairs.items() if tensors_close(chunk, v)), None)
            if name is None:
                swapped = [torch.cat([ab, b.L], dim=1) for ab in (b.ab_real, fake)]
                if any(tensors_close(chunk, s) for s in swapped):
                    raise ExerciseFailed("D got (ab, L): the lightness must come first, as the trainer "
                                         "and the shipped models have it", hint=_CAT_HINT)
                raise ExerciseFailed("D should get L with the true colours, or L with the generated colours",
                                     expected="torch.cat([L, ab_real], 1) or torch.cat([L, ab_fake], 1)",
                                     got=describe(chunk), hint=_CAT_HINT)
            self.seen.append(name)
