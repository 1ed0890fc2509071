"""Checks of notebook 02, DCGAN: a generator block, the 32x32 discriminator, the WGAN-GP penalty.

The checks look at behaviour. For the two networks they run the student's module on random
batches of several sizes and record, with forward hooks, what goes into and comes out of every
(transposed) convolution; the layers in between must then compute exactly the DCGAN recipe
(batch norm with the batch's statistics, ReLU in G, LeakyReLU 0.2 in D, no norm on D's first
layer, logits out). When they do not, the check tries the usual mistakes (ReLU instead of
LeakyReLU, ``nn.LeakyReLU()``'s default slope 0.01, norm after the activation, a norm on D's
first layer, a final sigmoid ...) and names the one it recognises.

The gradient penalty is checked on critics whose gradient is known in closed form: a linear
critic D(x) = w·x has ∇D = w everywhere, so the penalty must be (||w|| - 1)², and its gradient
with respect to w must be what autograd gives only with ``create_graph=True``. On a quadratic
critic, whose gradient depends on x̂, the penalty's backward must not reach the fakes (x̂ is built
from detached images, so D's step sends nothing into G).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.course.checks._framework import (
    ExerciseFailed,
    describe,
    exercise,
    expect_finite,
    expect_shape,
    expect_tensor,
    expect_true,
    first_mistake,
    tensors_close,
)
from gancolor.course.checks.nb02_collapse import collapsed_runs
from gancolor.course.checks.nb02_training_step import training_step

__all__ = ["generator_block", "dcgan_discriminator", "gradient_penalty", "training_step", "collapsed_runs"]

# Two computations agree when they differ by less than this (float32, values of order 1).
_ATOL = 1e-4


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = _ATOL) -> bool:
    return tensors_close(a, b, atol=atol, rtol=1e-4)


def _expect_module(obj: object, what: str, hint: str) -> nn.Module:
    expect_true(isinstance(obj, nn.Module), f"{what} should return an nn.Module (e.g. an nn.Sequential)",
                expected="an nn.Module", got=f"{type(obj).__name__}: {describe(obj)}", hint=hint)
    return obj  # type: ignore[return-value]


class _Calls:
    """Records (module, input, output) of every call of the layers of ``types`` inside ``model``."""

    def __init__(self, model: nn.Module, types: tuple[type[nn.Module], ...]) -> None:
        self.calls: list[tuple[nn.Module, torch.Tensor, torch.Tensor]] = []
        self._handles = [m.register_forward_hook(self._hook) for m in model.modules() if isinstance(m, types)]

    def _hook(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        self.calls.append((module, inputs[0].detach(), output.detach()))

    def __enter__(self) -> _Calls:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()


def _run(model: nn.Module, x: torch.Tensor, what: str, hint: str) -> object:
    """``model(x)``; an error inside it (e.g. mismatched channels) becomes an ExerciseFailed."""
    __tracebackhide__ = True
    try:
        return model(x)
    except NotImplementedError:
        raise
    except Exception as error:  # raised inside torch's layers: the framework cannot tell it is the student's
        first = (str(error).strip().splitlines() or [""])[0]
        raise ExerciseFailed(f"running {what} on an input of shape {tuple(x.shape)} raised "
                             f"{type(error).__name__}: {first}", hint=hint) from error


def _batch_norm(x: torch.Tensor, norm: nn.Module | None) -> torch.Tensor:
    """Batch norm with the batch's statistics (training mode), with ``norm``'s scale and shift if any."""
    weight = getattr(norm, "weight", None)
    bias = getattr(norm, "bias", None)
    eps = getattr(norm, "eps", 1e-5)
    return F.batch_norm(x, None, None, weight=None if weight is None else weight.detach(),
                        bias=None if bias is None else bias.detach(), training=True, eps=eps)


def _instance_norm(x: torch.Tensor, norm: nn.Module | None) -> torch.Tensor:
    weight = getattr(norm, "weight", None)
    bias = getattr(norm, "bias", None)
    return F.instance_norm(x, weight=None if weight is None else weight.detach(),
                           bias=None if bias is None else bias.detach())


def _norm_of_size(model: nn.Module, channels: int, types: tuple[type[nn.Module], ...]) -> nn.Module | None:
    """The first normalisation layer of ``types`` in ``model`` for ``channels`` feature maps."""
    for module in model.modules():
        if isinstance(module, types) and getattr(module, "num_features", None) == channels:
            return module
    return None


# --------------------------------------------------------------------------------------
# 2.1 generator block
# --------------------------------------------------------------------------------------

_BLOCK_HINT = ("nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, "
               "padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU())")


def _check_block_output(y: torch.Tensor, pre: torch.Tensor, norm: nn.Module | None) -> None:
    """``y`` must be ReLU(BatchNorm(pre)), ``pre`` the transposed conv's output; else name the mistake."""
    __tracebackhide__ = True
    expected = F.relu(_batch_norm(pre, norm))
    if _close(y, expected):
        return
    relu_hint = "use nn.ReLU()"
    match = first_mistake(y, close=_close, mistakes=[
        (lambda: F.relu(pre), "the output is not normalised: there is no batch norm between the "
         "transposed conv and the ReLU", "add nn.BatchNorm2d(out_channels) right after the ConvTranspose2d"),
        (lambda: _batch_norm(F.relu(pre), norm), "batch norm comes after the ReLU: DCGAN normalises the "
         "conv's output first, then applies the ReLU", "order: ConvTranspose2d -> BatchNorm2d -> ReLU"),
        (lambda: F.relu(_instance_norm(pre, norm)), "the block normalises each image on its own "
         "(instance norm); DCGAN uses batch norm", "use nn.BatchNorm2d(out_channels)"),
        (lambda: F.leaky_relu(_batch_norm(pre, norm), 0.2), "the block ends with LeakyReLU(0.2): that is "
         "the discriminator's activation; DCGAN's generator uses ReLU", relu_hint),
        (lambda: F.leaky_relu(_batch_norm(pre, norm), 0.01), "the block ends with a LeakyReLU: DCGAN's "
         "generator uses ReLU", relu_hint),
        (lambda: torch.tanh(_batch_norm(pre, norm)), "the block ends with Tanh: Tanh is only for G's "
         "output layer (pixels in [-1, 1]); hidden blocks use ReLU", relu_hint),
        (lambda: _batch_norm(pre, norm), "the block has no activation after the batch norm",
         "end the block with nn.ReLU()"),
    ])
    if match is not None:
        raise ExerciseFailed(match[0], hint=match[1])
    if bool((y < 0).any()):
        raise ExerciseFailed("the block's output has negative values, but it should end with a ReLU",
                             got=describe(y))
    raise ExerciseFailed("the block's output is not ReLU(BatchNorm(ConvTranspose(x))) (with the batch's "
                         "mean and variance, as in training mode)", expected=describe(expected),
                         got=describe(y))


@exercise("2.1", "generator block", hint=_BLOCK_HINT)
def generator_block(student_fn: Callable[[int, int], nn.Module]) -> None:
    """``student_fn(in_channels, out_channels)`` -> a module (N, in, H, W) -> (N, out, 2H, 2W).

    The block is ConvTranspose2d 4x4 stride 2 padding 1, BatchNorm2d, ReLU. Tried with several
    channel counts and input sizes (odd ones too), in training mode.
    """
    for in_channels, out_channels, size in [(8, 4, 4), (16, 8, 7), (3, 5, 1)]:
        block = _expect_module(student_fn(in_channels, out_channels),
                               f"generator_block({in_channels}, {out_channels})", _BLOCK_HINT)
        block.train()
        convs = [m for m in block.modules() if isinstance(m, nn.ConvTranspose2d)]
        expect_true(len(convs) == 1, "the block should contain exactly one nn.ConvTranspose2d (the learned "
                    "upsampling)", expected="1 nn.ConvTranspose2d", got=f"{len(convs)}")
        conv = convs[0]
        expect_true(conv.kernel_size == (4, 4) and conv.stride == (2, 2),
                    "the transposed convolution should have a 4x4 kernel and stride 2",
                    expected="kernel_size=(4, 4), stride=(2, 2)",
                    got=f"kernel_size={conv.kernel_size}, stride={conv.stride}",
                    hint="nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1): "
                         "a 4x4 kernel is a multiple of the stride, so its footprints overlap evenly")
        expect_true(conv.in_channels == in_channels and conv.out_channels == out_channels,
                    f"generator_block({in_channels}, {out_channels}): the transposed convolution maps the "
                    "wrong numbers of channels",
                    expected=f"{in_channels} -> {out_channels}",
                    got=f"{conv.in_channels} -> {conv.out_channels}")
        x = torch.randn(4, in_channels, size, size)
        with _Calls(block, (nn.ConvTranspose2d,)) as record:
            y = _run(block, x, f"generator_block({in_channels}, {out_channels})", _BLOCK_HINT)
        expect_shape(y, (4, out_channels, 2 * size, 2 * size),
                     f"the output of generator_block({in_channels}, {out_channels}) for an input of shape "
                     f"{tuple(x.shape)}",
                     hint="the output side of a transposed conv is (H - 1) * stride - 2 * padding + kernel: "
                          "with kernel 4, stride 2, padding 1 it is exactly 2H")
        y = expect_finite(y, "the block's output").detach()
        pre = record.calls[-1][2]  # the transposed conv's output: (N, out, 2H, 2W)
        norm = _norm_of_size(block, out_channels, (nn.BatchNorm2d, nn.InstanceNorm2d))
        _check_block_output(y, pre, norm)


# --------------------------------------------------------------------------------------
# 2.2 discriminator
# --------------------------------------------------------------------------------------

_D_HINT = ("4 convs of kernel 4: Conv2d(in, w, 4, 2, 1), LeakyReLU(0.2) [32->16, no norm]; "
           "Conv2d(w, 2w, 4, 2, 1), BatchNorm2d, LeakyReLU(0.2) [16->8]; the same to 4w [8->4]; "
           "Conv2d(4w, 1, 4) [4->1]; flatten to (N,)")


def _check_activation(got: torch.Tensor, conv_out: torch.Tensor, norm: nn.Module | None, layer: int) -> None:
    """``got`` (the next conv's input) must be LeakyReLU_0.2 of conv_out (layer 1) or of its batch norm."""
    __tracebackhide__ = True
    first = layer == 1
    norm_fn = (lambda t: t) if first else (lambda t: _batch_norm(t, norm))
    if _close(got, F.leaky_relu(norm_fn(conv_out), 0.2)):
        return
    where = f"after conv {layer}"
    candidates = [
        (lambda: F.relu(norm_fn(conv_out)), f"{where}: ReLU instead of LeakyReLU(0.2). With ReLU, D passes "
         "nothing back for negative pre-activations, so G gets fewer gradients", "use nn.LeakyReLU(0.2)"),
        (lambda: F.leaky_relu(norm_fn(conv_out), 0.01), f"{where}: LeakyReLU with slope 0.01, PyTorch's "
         "default; DCGAN uses 0.2 (negative inputs pass scaled by 0.2)", "write nn.LeakyReLU(0.2)"),
        (lambda: norm_fn(conv_out), f"{where}: no activation", "add nn.LeakyReLU(0.2)"),
    ]
    if first:
        candidates = [
            (lambda s=s: F.leaky_relu(_batch_norm(conv_out, norm), s), "the first layer is normalised: "
             "DCGAN has no batch norm on D's input layer (Radford et al.: it made training unstable)",
             "remove the BatchNorm2d after the first conv") for s in (0.2, 0.01, 0.0)
        ] + candidates
    else:
        candidates = [
            (lambda: F.leaky_relu(conv_out, 0.2), f"{where}: no batch norm between the conv and the "
             "LeakyReLU",
             f"add nn.BatchNorm2d after conv {layer} (every layer but the first and the last has one)"),
            (lambda: _batch_norm(F.leaky_relu(conv_out, 0.2), norm), f"{where}: batch norm comes after the "
             "LeakyReLU; DCGAN normalises the conv's output first",
             "order: Conv2d -> BatchNorm2d -> LeakyReLU(0.2)"),
            (lambda: F.leaky_relu(_instance_norm(conv_out, norm), 0.2), f"{where}: instance norm instead of "
             "batch norm", "use nn.BatchNorm2d"),
        ] + candidates
    match = first_mistake(got, candidates, _close)
    if match is not None:
        raise ExerciseFailed(match[0], hint=match[1])
    wanted = "LeakyReLU(0.2, conv output)" if first else "LeakyReLU(0.2, BatchNorm(conv output))"
    raise ExerciseFailed(f"{where}: the next conv's input should be {wanted}",
                         expected=describe(F.leaky_relu(norm_fn(conv_out), 0.2)), got=describe(got))


@exercise("2.2", "DCGAN discriminator", hint=_D_HINT)
def dcgan_discriminator(student_fn: Callable[[int, int], nn.Module]) -> None:
    """``student_fn(in_channels, width)`` -> D: images (N, in_channels, 32, 32) -> logits (N,).

    Checked in training mode for (in_channels, width) = (3, 32) and (1, 8) and batches of 4 and 7:
    four 4x4 convs taking 32x32 to 16, 8, 4 and 1 pixels with w, 2w, 4w and 1 channels;
    LeakyReLU(0.2) between them; batch norm after the 2nd and 3rd conv only; logits out.
    """
    for in_channels, width in [(3, 32), (1, 8)]:
        name = f"build_discriminator({in_channels}, {width})"
        model = _expect_module(student_fn(in_channels, width), name, _D_HINT)
        model.train()
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        expect_true(len(convs) == 4, f"{name} should have 4 nn.Conv2d layers (32x32 -> 16 -> 8 -> 4 -> 1)",
                    expected="4", got=str(len(convs)))
        for index, conv in enumerate(convs, start=1):
            expect_true(conv.kernel_size == (4, 4), f"conv {index} should have a 4x4 kernel",
                        expected="kernel_size=(4, 4)", got=f"kernel_size={conv.kernel_size}",
                        hint="DCGAN's convs are 4x4: stride 2 and padding 1 halve the side, and the last one "
                             "(no padding) turns the 4x4 map into a single score")
        for n in (4, 7):
            x = torch.randn(n, in_channels, 32, 32)
            with _Calls(model, (nn.Conv2d,)) as record:
                y = _run(model, x, name, _D_HINT)
            calls = record.calls
            expect_true(len(calls) == 4, f"{name} should apply 4 convolutions per forward pass",
                        expected="4", got=str(len(calls)))
            sizes = [tuple(out.shape[1:]) for _, _, out in calls]
            wanted = [(width, 16, 16), (2 * width, 8, 8), (4 * width, 4, 4), (1, 1, 1)]
            expect_true(sizes == wanted,
                        "the feature maps after the 4 convs have the wrong shapes (channels, H, W)",
                        expected=", ".join(map(str, wanted)), got=", ".join(map(str, sizes)),
                        hint="channels w, 2w, 4w, 1; strided convs Conv2d(c_in, c_out, 4, stride=2, "
                             "padding=1) halve the side; the last, Conv2d(4w, 1, 4), has no padding: "
                             "4x4 -> 1x1")
            for layer in (1, 2, 3):
                channels = calls[layer - 1][2].shape[1]
                norm = _norm_of_size(model, channels, (nn.BatchNorm2d, nn.InstanceNorm2d))
                _check_activation(calls[layer][1], calls[layer - 1][2], norm, layer)
            logits = calls[3][2].flatten()
            y = expect_tensor(y, f"the output of {name}")
            if y.shape != (n,) and y.numel() == n:
                raise ExerciseFailed(f"D should return one logit per image, shape (N,) = ({n},)",
                                     expected=f"({n},)", got=str(tuple(y.shape)),
                                     hint="flatten the (N, 1, 1, 1) output: .flatten() or .view(-1) "
                                          "(or end the nn.Sequential with nn.Flatten(0))")
            expect_shape(y, (n,), f"the output of {name} for {n} images", hint=_D_HINT)
            y = y.detach()
            if _close(y, torch.sigmoid(logits)):
                raise ExerciseFailed("D ends with a sigmoid; it should return logits (raw scores). The "
                                     "losses apply the sigmoid themselves, stably, through softplus",
                                     hint="remove the final nn.Sigmoid()")
            expect_true(_close(y, logits), "the output should be the last conv's score, unchanged (a logit)",
                        expected=describe(logits), got=describe(y))


# --------------------------------------------------------------------------------------
# 2.3 gradient penalty
# --------------------------------------------------------------------------------------

_GP_HINT = ("x̂ = ε·real + (1-ε)·fake with ε = torch.rand(N, 1, 1, 1); x̂.requires_grad_(True); "
            "grad = torch.autograd.grad(critic(x̂).sum(), x̂, create_graph=True)[0]; "
            "((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()")

_IMAGE_SHAPE = (4, 3, 4, 4)  # small images: N = 4


class _LinearCritic(nn.Module):
    """D(x) = w · x per sample, so ∇_x D = w everywhere: the penalty is (||w|| - 1)² exactly."""

    def __init__(self, norm: float, shape: tuple[int, ...], seed: int) -> None:
        super().__init__()
        w = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        self.w = nn.Parameter(w * (norm / w.norm()))
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        return (x * self.w).flatten(1).sum(dim=1)  # (N,)


class _QuadraticCritic(nn.Module):
    """D(x) = ½ Σ a x² per sample: ∇_x D = a x, whose norm differs from point to point."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.rand(shape, generator=torch.Generator().manual_seed(7)) + 0.5)
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        return 0.5 * (self.a * x * x).flatten(1).sum(dim=1)


def _call_penalty(student_fn: Callable, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                  what: str) -> torch.Tensor:
    __tracebackhide__ = True
    got = student_fn(critic, real, fake)
    return expect_shape(got, (), f"the penalty {what}",
                        hint="return one number, a 0-dim tensor: the mean over the batch of (||∇D(x̂)|| - 1)²")


def _segment_weights(x: torch.Tensor, real: torch.Tensor, fake: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample, the ε that puts x closest to ε·real + (1-ε)·fake, and the distance left."""
    d = (real - fake).flatten(1)
    eps = ((x - fake).flatten(1) * d).sum(1) / d.pow(2).sum(1)
    residual = (x - fake - eps.view(-1, *[1] * (x.dim() - 1)) * (real - fake)).flatten(1).norm(dim=1)
    return eps, residual


@exercise("2.3", "gradient penalty", hint=_GP_HINT)
def gradient_penalty(student_fn: Callable[[Callable, torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``student_fn(critic, real, fake)`` -> E[(||∇_x̂ critic(x̂)||₂ - 1)²], x̂ = ε real + (1-ε) fake.

    1. Linear critics with ||w|| = 3, 1, 0.5: the penalty is (||w|| - 1)² = 4, 0, 0.25.
    2. The critic is evaluated at points on the segments between each real and fake image, one
       random ε in [0, 1] per sample.
    3. On a critic whose gradient norm varies, the value matches the penalty at those points.
    4. It can be trained: backward() reaches the critic's weights with the right gradient
       (autograd.grad needs create_graph=True for that).
    5. It trains the critic only: backward() sends nothing into ``fake`` (x̂ built from detached images).
    """
    n = _IMAGE_SHAPE[0]
    real = torch.randn(_IMAGE_SHAPE)
    fake = torch.randn(_IMAGE_SHAPE).requires_grad_(True)  # as it comes out of G

    # 1. Linear critics: the gradient is w everywhere.
    for c in (3.0, 1.0, 0.5):
        critic = _LinearCritic(c, _IMAGE_SHAPE[1:], seed=int(10 * c))
        got = _call_penalty(student_fn, critic, real, fake, f"for a linear critic with ||∇D|| = {c:g}")
        value = float(got.detach())
        expected = (c - 1) ** 2
        if abs(value - expected) <= 1e-4:
            continue
        problem = (f"for the linear critic D(x) = w·x with ||w|| = {c:g}, ∇D = w at every point, so the "
                   f"penalty must be (||w|| - 1)² = {expected:g}")
        known = {
            c: ("you penalise ||∇D|| itself; WGAN-GP penalises its distance to 1, (||∇D|| - 1)²",
                "subtract 1 and square: ((grad_norm - 1) ** 2).mean()"),
            c * c: ("you penalise ||∇D||²; WGAN-GP penalises (||∇D|| - 1)², which pushes the norm towards 1, "
                    "not 0", "((grad_norm - 1) ** 2).mean()"),
            c - 1: ("you return ||∇D|| - 1 without squaring it", "((grad_norm - 1) ** 2).mean()"),
            n * expected: ("you sum over the batch; the penalty is a mean over the samples", "use .mean()"),
            (c * n**0.5 - 1) ** 2: ("you take the norm of the whole batch's gradient; the penalty needs one "
                                    "norm per sample", "grad.flatten(1).norm(dim=1) gives (N,) norms"),
        }
        for value_if, (mistake, hint) in known.items():
            if abs(value - value_if) <= 1e-4 and abs(value_if - expected) > 1e-4:
                raise ExerciseFailed(f"{problem}: {mistake}", expected=f"{expected:g}", got=f"{value:.4g}",
                                     hint=hint)
        raise ExerciseFailed(problem, expected=f"{expected:g}", got=f"{value:.4g}",
                             hint="take the gradient with respect to x̂, the tensor you pass to the critic "
                                  "(not real or fake), of critic(x̂).sum(); then one norm per sample")

    # 2. Where the critic is evaluated: on the segments, one random ε per sample.
    critic = _QuadraticCritic(_IMAGE_SHAPE[1:])
    got = _call_penalty(student_fn, critic, real, fake, "for a quadratic critic")
    expect_true(critic.inputs, "the critic was never called", hint=_GP_HINT)
    fits = [(x, *_segment_weights(x, real.detach(), fake.detach())) for x in critic.inputs
            if x.shape == real.shape]
    on_segment = [(x, eps) for x, eps, residual in fits
                  if bool((residual < 1e-4).all()) and bool(((eps > -1e-6) & (eps < 1 + 1e-6)).all())]
    if not on_segment:
        per_pixel = any(bool((((x - fake.detach()) * (x - real)) <= 1e-6).all()) for x in critic.inputs
                        if x.shape == real.shape)
        if per_pixel:
            raise ExerciseFailed("x̂ is not on the straight line between a real and a fake image: draw one ε "
                                 "per sample (shape (N, 1, 1, 1)), not one per pixel",
                                 hint="eps = torch.rand(real.shape[0], 1, 1, 1, device=real.device)")
        raise ExerciseFailed("the critic is never evaluated at points x̂ = ε·real + (1-ε)·fake (one ε in "
                             "[0, 1] per sample)", hint=_GP_HINT)
    x_hat, eps = on_segment[-1]
    for end, value in (("real", 1.0), ("fake", 0.0)):
        if bool(((eps - value).abs() < 1e-6).all()):
            raise ExerciseFailed(f"the critic is evaluated at the {end} images only; the penalty belongs "
                                 "at random points x̂ between real and fake images",
                                 hint="x_hat = eps * real + (1 - eps) * fake, eps = torch.rand(N, 1, 1, 1)")
    expect_true(len(set(eps.round(decimals=4).tolist())) > 1,
                "every sample uses the same ε; draw one ε per sample", got=f"ε = {describe(eps)}",
                hint="eps = torch.rand(real.shape[0], 1, 1, 1)")
    critic.inputs.clear()
    _call_penalty(student_fn, critic, real, fake, "for a quadratic critic")
    again = [_segment_weights(x, real.detach(), fake.detach())[0] for x in critic.inputs
             if x.shape == real.shape]
    expect_true(not any(_close(e, eps, 1e-6) for e in again),
                "ε is the same on every call; it must be random, ε ~ U[0, 1]",
                got=f"ε = {describe(eps)} twice", hint="eps = torch.rand(real.shape[0], 1, 1, 1)")

    # 3. The value at those points, for a gradient whose norm varies.
    grad = critic.a.detach() * x_hat  # ∇ ½ Σ a x² = a x
    expected = (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
    expect_finite(got, "the penalty")
    if not _close(got.detach(), expected, 1e-4):
        raise ExerciseFailed("for D(x) = ½ Σ a·x², whose gradient a·x̂ varies from point to point, the "
                             "penalty at your points x̂ is wrong", expected=describe(expected),
                             got=describe(got),
                             hint="take the gradient of critic(x̂).sum() with respect to x̂ itself")

    # 4. Trainable: the penalty's gradient reaches the critic's weights.
    c = 3.0
    critic = _LinearCritic(c, _IMAGE_SHAPE[1:], seed=99)
    got = _call_penalty(student_fn, critic, real, fake, "for a linear critic")
    expect_true(got.requires_grad, "the penalty does not depend on the critic's weights, so it cannot train "
                "the critic", hint="call torch.autograd.grad(..., create_graph=True): it keeps the graph of "
                "the gradient, so the penalty can be back-propagated")
    got.backward()
    w = critic.w.detach()
    wanted = 2 * (c - 1) * w / w.norm()  # d/dw (||w|| - 1)²
    expect_true(critic.w.grad is not None, "backward() of the penalty does not reach the critic's weights",
                hint="torch.autograd.grad(..., create_graph=True)")
    expect_true(_close(critic.w.grad, wanted, 1e-4),
                "the gradient of the penalty with respect to the critic's weights is wrong",
                expected=describe(wanted), got=describe(critic.w.grad),
                hint="torch.autograd.grad(..., create_graph=True)")

    # 5. The penalty trains the critic only: no gradient reaches G through the fakes. (With the
    #    quadratic critic ∇D(x̂) = a·x̂ depends on x̂, so an x̂ still attached to fake passes it on.)
    fake.grad = None
    got = _call_penalty(student_fn, _QuadraticCritic(_IMAGE_SHAPE[1:]), real, fake, "for a quadratic critic")
    got.backward()
    leak = fake.grad
    if leak is not None and bool(leak.abs().max() > 0):
        raise ExerciseFailed("the penalty's gradient reaches the generator: x̂ is built from fake without "
                             "detaching it, so (λ·penalty).backward() in D's step also sends gradients "
                             "into G (and keeps G's graph alive)", expected="no gradient on fake",
                             got=f"fake.grad = {describe(leak)}",
                             hint="build x̂ from detached images: x_hat = (eps * real.detach() + (1 - eps) * "
                                  "fake.detach()).requires_grad_(True)")
