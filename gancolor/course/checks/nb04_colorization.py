"""Checks of notebook 04, pix2pix colorization: one level of a U-Net with its skip connection, and
the pix2pix discriminator and generator losses on (L, ab) pairs.

4.1 builds the student's ``UNetLevel`` (its ``__init__`` is given, the exercise is ``forward``) and
records with hooks what goes into and out of ``self.down``, ``self.inner`` and ``self.up``: the
level must downsample, hand the result to the deeper levels, concatenate their output with the
skip along the channels and upsample that. It then tries several input sizes, and a three-level
U-Net whose bottleneck only sees the image's average: the output must still follow a small,
local change of the input, which only the skip connections can carry.

4.2 and 4.3 run the student's loss with a small conditional discriminator that inspects every
input it gets (it must be ``torch.cat([L, ab], dim=1)``, with the real or the generated colours)
and with generated colours that come out of a tiny generator, so the check sees where the
gradients go: D's loss must not reach G (the fakes are detached), G's loss must reach G through
D and through the L1 term. D's loss may be the sum of its two terms or pix2pix's half of it; D
must score real and generated pairs in separate calls (one call on both, concatenated, would mix
them in the batch statistics of D's BatchNorm layers). Wrong values are matched against the
typical mistakes (labels swapped, λ missing, L2 instead of L1, the saturating generator loss ...),
which are then named.

4.4 decodes a predicted distribution over ab bins into one colour per pixel, Zhang et al. 2016's
annealed mean, on random logits at several temperatures, and names the typical mistakes (the
temperature ignored, multiplied instead of divided, the mode instead of the mean, Lab units
instead of ab / 110, the softmax over the wrong axis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gancolor import losses
from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    all_zero,
    describe,
    diagnose,
    exercise,
    expect_scalar,
    expect_shape,
    expect_true,
    gradients,
    gradients_close,
    show_number,
    tensors_close,
)

__all__ = ["unet_level", "pix2pix_discriminator_loss", "pix2pix_generator_loss", "annealed_mean"]


def _diagnose(got: torch.Tensor, expected: torch.Tensor, mistakes: Sequence[Mistake]) -> None:
    """Raise the failure of the first planted mistake that ``got`` reproduces, if any."""
    __tracebackhide__ = True
    diagnose(got, expected, mistakes, show=show_number)


def _scalar(value: object, what: str) -> torch.Tensor:
    """``value`` if it is a finite 0-dim tensor, else a failure that says how to get one."""
    __tracebackhide__ = True
    return expect_scalar(value, what, hint="average every term over all its elements with .mean()")


# --------------------------------------------------------------------------------------
# 4.1 one level of a U-Net
# --------------------------------------------------------------------------------------

_LEVEL_HINT = ("skip = self.down(x); h = self.inner(skip); return self.up(torch.cat([h, skip], dim=1)): "
               "the skip is the downsampled features, concatenated with the deeper levels' output "
               "along the channels (dim 1)")


class _Bottleneck(nn.Module):
    """The deepest part of a test U-Net: a 3x3 conv, (N, C, h, w) -> (N, C, h, w)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


class _GlobalContext(nn.Module):
    """A bottleneck that only passes on each channel's average: no local detail gets through it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3), keepdim=True).expand_as(x)


class _Record:
    """Records the input and output of the last call of each of a level's three parts."""

    def __init__(self, level: nn.Module) -> None:
        self.inputs: dict[str, torch.Tensor] = {}
        self.outputs: dict[str, torch.Tensor] = {}
        self.calls: dict[str, int] = {"down": 0, "inner": 0, "up": 0}
        self._handles = []
        for name in ("down", "inner", "up"):
            module = getattr(level, name)
            self._handles.append(module.register_forward_pre_hook(self._pre(name)))
            self._handles.append(module.register_forward_hook(self._post(name)))

    def _pre(self, name: str) -> Callable:
        def hook(module: nn.Module, args: tuple) -> None:
            self.calls[name] += 1
            first = args[0] if args else None
            if isinstance(first, torch.Tensor):
                self.inputs[name] = first.detach()
            self.outputs.pop(name, None)

        return hook

    def _post(self, name: str) -> Callable:
        def hook(module: nn.Module, args: tuple, output: object) -> None:
            if isinstance(output, torch.Tensor):
                self.outputs[name] = output.detach()

        return hook

    def __enter__(self) -> _Record:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()


def _make_level(student_cls: type, in_channels: int, channels: int, out_channels: int,
                inner: nn.Module) -> nn.Module:
    __tracebackhide__ = True
    level = student_cls(in_channels, channels, out_channels, inner)
    expect_true(isinstance(level, nn.Module), "UNetLevel(...) should be an nn.Module",
                got=type(level).__name__, hint="keep the class as given: class UNetLevel(nn.Module)")
    for name in ("down", "inner", "up"):
        expect_true(isinstance(getattr(level, name, None), nn.Module),
                    f"UNetLevel has no submodule self.{name}",
                    hint="keep the given __init__ (self.down, self.inner, self.up); the exercise is forward")
    expect_true(level.inner is inner, "UNetLevel(..., inner) should keep the module it gets as self.inner",
                hint="keep the given __init__; the exercise is forward")
    return level


def _up_input_problem(up_in: torch.Tensor, skip: torch.Tensor, deep: torch.Tensor | None,
                      channels: int) -> tuple[str, str] | None:
    """What is wrong with the tensor that went into self.up, if we recognise it."""
    n = skip.shape[0]
    if deep is not None and up_in.shape == skip.shape and tensors_close(up_in, deep + skip):
        return ("you added the skip to the deeper output (h + skip): that is a ResNet-style skip. A U-Net "
                "concatenates them, so the decoder gets both, side by side, as 2 x channels feature maps",
                "torch.cat([h, skip], dim=1)")
    if up_in.dim() == 4 and up_in.shape[0] == 2 * n and up_in.shape[1] == channels:
        return ("you concatenated along dim 0, the batch: self.up got twice the images, half the channels",
                "concatenate along the channels: torch.cat([h, skip], dim=1)")
    if up_in.dim() == 4 and up_in.shape[1] == channels:
        return (f"self.up got {channels} channels, but it expects 2 x {channels} = {2 * channels}: the skip "
                "connection is missing (self.up(h) alone sends everything through the bottleneck)",
                "concatenate the deeper output with the skip: self.up(torch.cat([h, skip], dim=1))")
    return None


def _check_level_call(student_cls: type, x: torch.Tensor, in_channels: int, channels: int,
                      out_channels: int) -> None:
    """One call of a level, looked at from the inside."""
    __tracebackhide__ = True
    inner = _Bottleneck(channels)
    level = _make_level(student_cls, in_channels, channels, out_channels, inner)
    what = (f"UNetLevel({in_channels}, {channels}, {out_channels}, inner) on an input of shape "
            f"{tuple(x.shape)}")
    error: Exception | None = None
    with _Record(level) as record:
        try:
            y = level(x.clone())
        except NotImplementedError:
            raise
        except ExerciseFailed:
            raise
        except Exception as caught:  # noqa: BLE001 -- torch's layers raise it; we explain it below
            error = caught

    skip = record.outputs.get("down")
    if record.calls["down"] == 0 or skip is None:
        if error is not None:
            raise _level_error(error, what) from error
        raise ExerciseFailed("self.down was never called: the level must start by downsampling x",
                             hint=_LEVEL_HINT)
    expect_true(tensors_close(record.inputs["down"], x), "self.down should get the level's input x",
                hint=_LEVEL_HINT)
    deep = record.outputs.get("inner") if record.calls["inner"] else None
    if record.calls["inner"]:
        expect_true(tensors_close(record.inputs["inner"], skip),
                    "self.inner (the deeper levels) should get the downsampled features self.down(x)",
                    expected=describe(skip), got=describe(record.inputs["inner"]), hint=_LEVEL_HINT)
    if record.calls["up"] == 0:
        if error is not None:
            raise _level_error(error, what) from error
        raise ExerciseFailed("self.up was never called: the level must end by upsampling back to the input "
                             "size",
                             hint=_LEVEL_HINT)
    up_in = record.inputs["up"]
    found = _up_input_problem(up_in, skip, deep, channels)
    if found is not None:
        wanted = (x.shape[0], 2 * channels, *skip.shape[2:])
        raise ExerciseFailed(found[0], expected=f"self.up's input of shape {wanted}",
                             got=f"shape {tuple(up_in.shape)}", hint=found[1])
    if error is not None:
        raise _level_error(error, what) from error
    if deep is None:
        raise ExerciseFailed("self.inner was never called: the deeper levels of the U-Net are skipped",
                             hint="h = self.inner(skip) runs the rest of the U-Net on the downsampled "
                                  "features")
    good = [torch.cat([deep, skip], dim=1), torch.cat([skip, deep], dim=1)]
    if not any(tensors_close(up_in, g) for g in good):
        for candidate, problem in [
            (torch.cat([deep, deep], dim=1),
             "you concatenated the deeper output with itself: the skip is missing"),
            (torch.cat([skip, skip], dim=1),
             "you concatenated the skip with itself: the deeper levels' output is missing"),
        ]:
            if tensors_close(up_in, candidate):
                raise ExerciseFailed(problem, hint=_LEVEL_HINT)
        raise ExerciseFailed("self.up should get torch.cat([h, skip], dim=1), with h = self.inner(skip) and "
                             "skip = self.down(x)", expected=describe(good[0]), got=describe(up_in),
                             hint=_LEVEL_HINT)
    y = expect_shape(y, (x.shape[0], out_channels, *x.shape[2:]), f"the output of {what}",
                     hint="return self.up(...) as it is: the level maps (N, in, H, W) to (N, out, H, W)")
    expect_true(tensors_close(y, record.outputs["up"]),
                "the level should return the output of self.up unchanged",
                expected=describe(record.outputs["up"]), got=describe(y), hint=_LEVEL_HINT)


def _level_error(error: Exception, what: str) -> ExerciseFailed:
    first = (str(error).strip().splitlines() or [""])[0]
    hint = _LEVEL_HINT
    if "Sizes of tensors must match" in first:
        hint = ("torch.cat needs equal sizes in every dim but the one it joins: the skip is self.down(x), "
                "of size H/2 like the deeper output, not x itself. " + _LEVEL_HINT)
    return ExerciseFailed(f"running {what} raised {type(error).__name__}: {first}", hint=hint)


def _three_level_unet(student_cls: type, bottom: nn.Module) -> nn.Module:
    """(N, 1, H, W) -> (N, 2, H, W): three nested student levels around ``bottom``, H -> H/8 -> H."""
    __tracebackhide__ = True
    level3 = _make_level(student_cls, 16, 32, 16, bottom)  # H/4 -> H/8 -> H/4
    level2 = _make_level(student_cls, 8, 16, 8, level3)  # H/2 -> H/4 -> H/2
    level1 = _make_level(student_cls, 1, 8, 8, level2)  # H -> H/2 -> H
    return nn.Sequential(level1, nn.Conv2d(8, 2, kernel_size=1), nn.Tanh())


@exercise("4.1", "U-Net level with a skip connection", hint=_LEVEL_HINT)
def unet_level(student_cls: type) -> None:
    """``student_cls(in_channels, channels, out_channels, inner)``: an ``nn.Module`` whose forward maps
    (N, in, H, W) to (N, out, H, W) as up(cat(inner(down(x)), down(x))). ``__init__`` is given."""
    __tracebackhide__ = True
    expect_true(isinstance(student_cls, type) and issubclass(student_cls, nn.Module),
                "pass the class itself: checks.unet_level(UNetLevel)", got=describe(student_cls))

    # One level, looked at from the inside, at several sizes (non-square, batches of 1 to 4).
    for shape, (c_in, channels, c_out) in [((2, 3, 16, 16), (3, 8, 5)), ((1, 1, 32, 48), (1, 4, 2)),
                                           ((4, 6, 8, 8), (6, 12, 6))]:
        _check_level_call(student_cls, torch.randn(shape), c_in, channels, c_out)

    # Nested levels make a U-Net: the output has the input's size at every size.
    net = _three_level_unet(student_cls, _Bottleneck(32))
    for shape in [(2, 1, 32, 32), (1, 1, 64, 96), (3, 1, 16, 16)]:
        y = net(torch.randn(shape))
        expect_shape(y, (shape[0], 2, *shape[2:]), f"the output of a 3-level U-Net built from UNetLevel "
                     f"for an input of shape {shape}", hint=_LEVEL_HINT)

    # Fine detail crosses the skips: with a bottleneck that only knows the image's average, a change
    # to one small patch of the input must still change the output there, and much less far away.
    net = _three_level_unet(student_cls, _GlobalContext()).eval()
    x = torch.randn(1, 1, 32, 32)
    changed = x.clone()
    changed[..., 8:10, 8:10] += 2.0
    with torch.no_grad():
        diff = (net(changed) - net(x)).abs().amax(dim=1)[0]  # (H, W)
    near, far = float(diff[6:12, 6:12].max()), float(diff[20:, 20:].max())
    expect_true(near > 1e-3 and near > 10 * far,
                "the output does not follow the details of the input: changing a 2x2 patch of the input "
                "should change the output at that patch much more than far from it",
                expected="a large change near the patch, almost none far from it",
                got=f"largest change {near:.3g} near the patch, {far:.3g} far from it",
                hint="the detail must reach the decoder through the skip connection: concatenate "
                     "self.down(x) with the deeper output before self.up")


# --------------------------------------------------------------------------------------
# 4.2 and 4.3: the pix2pix losses
# --------------------------------------------------------------------------------------

_CAT_HINT = "D sees the lightness and the colours together: D(torch.cat([L, ab], dim=1)), 3 channels, L first"


class _Batch:
    """A test batch: L (N, 1, H, W), true ab, and ab_fake = G(L) from a tiny generator ``G``."""

    def __init__(self, n: int = 4, size: int = 16) -> None:
        self.L = torch.rand(n, 1, size, size) * 2 - 1
        self.ab_real = 0.4 + 0.2 * torch.randn(n, 2, size, size)  # vivid true colours
        self.G = nn.Conv2d(1, 2, kernel_size=3, padding=1)
        self.D = _ConditionalD(self)

    def fake(self) -> torch.Tensor:
        """G(L): (N, 2, H, W), a fresh graph back to G's weights (not detached)."""
        return 0.3 * torch.tanh(self.G(self.L))

    def zero_grad(self) -> None:
        for p in [*self.G.parameters(), *self.D.parameters()]:
            p.grad = None


class _ConditionalD(nn.Module):
    """A small conditional patch discriminator that checks every input it gets.

    Its logits (N, 1, H/4, W/4) depend on L and strongly on the colours (vivid colours look real),
    so swapping real and fake, or dropping a term, changes the loss a lot.
    """

    def __init__(self, batch: _Batch) -> None:
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
    b = _Batch()
    D = b.D  # noqa: N806
    what = "pix2pix_discriminator_loss(D, L, ab_real, ab_fake)"
    ab_fake = b.fake()
    got = _scalar(student_fn(D, b.L.clone(), b.ab_real.clone(), ab_fake), what)
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
        _diagnose(got, expected, mistakes + [
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


_G_HINT = ("fake_logits = D(torch.cat([L, ab_fake], 1)) (not detached); "
           "loss = softplus(-fake_logits).mean() + lambda_l1 * (ab_fake - ab_real).abs().mean()")


@exercise("4.3", "pix2pix generator loss", hint=_G_HINT)
def pix2pix_generator_loss(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(D, L, ab_real, ab_fake, lambda_l1=100.0)``: -E log D(L, G(L)) + λ E|ab_real - G(L)|."""
    __tracebackhide__ = True
    b = _Batch()
    D = b.D  # noqa: N806
    what = "pix2pix_generator_loss(D, L, ab_real, ab_fake)"
    ab_fake = b.fake()
    got = _scalar(student_fn(D, b.L.clone(), b.ab_real.clone(), ab_fake), what)
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
        _diagnose(got, expected, [
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
        value = _scalar(student_fn(D, b.L.clone(), b.ab_real.clone(), b.fake(), lambda_l1=lam),
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
    loss = _scalar(student_fn(D, b.L.clone(), b.ab_real.clone(), b.fake()), what)
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


# --------------------------------------------------------------------------------------
# 4.4 the annealed mean (Zhang et al. 2016)
# --------------------------------------------------------------------------------------

_T_HINT = ("probabilities = torch.softmax(logits / temperature, dim=1) (the class axis); then the "
           "mean colour sum_q p_q * bins_q, divided by 110 to give ab_n")


def _annealed_reference(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> torch.Tensor:
    p = torch.softmax(logits.double() / temperature, dim=1)
    return torch.einsum("nqhw,qc->nchw", p, bins.double()) / 110.0


def _annealed_mistakes(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> list[Mistake]:
    """The typical wrong decodings of ``logits`` at ``temperature``, each with what it means."""
    p = torch.softmax(logits.double(), dim=1)
    bins = bins.double()

    def mean_of(probabilities: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nqhw,qc->nchw", probabilities, bins) / 110.0

    return [
        (lambda: _annealed_reference(logits, bins, 1.0),
         f"at T = {temperature:g} your colours are the plain mean (T = 1): the temperature is not used",
         "divide the logits by the temperature before the softmax"),
        (lambda: _annealed_reference(logits, bins, 1.0 / temperature),
         "you multiplied the logits by T instead of dividing: a small T should sharpen the distribution, "
         "not flatten it", "torch.softmax(logits / temperature, dim=1)"),
        (lambda: bins[logits.argmax(dim=1)].permute(0, 3, 1, 2) / 110.0,
         "these are the most likely bins (the mode, T -> 0), not the annealed mean",
         "take the mean over all bins, weighted by softmax(logits / T)"),
        (lambda: _annealed_reference(logits, bins, temperature) * 110.0,
         "your colours are in Lab units; the network's ab_n is ab / 110", "divide by 110"),
        (lambda: mean_of(p.pow(1 / temperature)),
         "the sharpened probabilities p^(1/T) were not renormalised to sum to 1",
         "exp(log p / T) / sum(...), i.e. torch.softmax(logits / temperature, dim=1)"),
        (lambda: mean_of(torch.softmax(logits.double() / temperature, dim=0)),
         "the softmax runs over the batch axis (dim=0); the classes are dim=1", "torch.softmax(..., dim=1)"),
        (lambda: mean_of(torch.softmax(logits.double() / temperature, dim=-1)),
         "the softmax runs over the image's width (dim=-1); the classes are dim=1",
         "torch.softmax(..., dim=1)"),
    ]


@exercise("4.4", "annealed mean", hint=_T_HINT)
def annealed_mean(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(logits (N, Q, H, W), bins (Q, 2) Lab units, temperature) -> ab_n (N, 2, H, W)``."""
    __tracebackhide__ = True
    from gancolor.ab_classes import gamut_bins

    bins = gamut_bins()
    logits = torch.randn(2, len(bins), 3, 4) * 3.0
    what = "annealed_mean(logits, bins, temperature)"
    for temperature in (1.0, 0.38, 0.1):
        got = expect_shape(student_fn(logits.clone(), bins.clone(), temperature),
                           (2, 2, 3, 4), f"{what} for logits (2, {len(bins)}, 3, 4)",
                           hint="one colour (a, b) per pixel: shape (N, 2, H, W)")
        expected = _annealed_reference(logits, bins, temperature)
        if tensors_close(got, expected, atol=1e-4):
            continue
        diagnose(got, expected, _annealed_mistakes(logits, bins, temperature))
        raise ExerciseFailed(f"{what} at T = {temperature:g} is not the annealed mean",
                             expected=describe(expected), got=describe(got))
    # The two ends: T = 1 is the mean of the distribution; a tiny T picks the most likely bin.
    one_hot = torch.full((1, len(bins), 1, 1), -50.0)
    one_hot[0, 7] = 0.0
    got = expect_shape(student_fn(one_hot, bins.clone(), 0.38), (1, 2, 1, 1), what)
    expect_true(tensors_close(got[0, :, 0, 0], bins[7].double() / 110.0, atol=1e-4),
                "a distribution sure of one bin must decode to that bin's colour",
                expected=describe(bins[7] / 110.0), got=describe(got[0, :, 0, 0]))
