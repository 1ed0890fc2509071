"""The checks of notebook 02 (DCGAN) both ways: they pass on the package's reference code and on
student-style variants, let the stub's NotImplementedError through, and fail on typical mistakes
with a message that names the mistake."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from exercise_asserts import fails, passes
from torch import nn

from gancolor import losses
from gancolor.course import checks
from gancolor.models import DCGANDiscriminator
from gancolor.models.dcgan import _upsample_conv
from gancolor.models.init import make_norm


def stub(*args: object) -> None:
    raise NotImplementedError("Exercise 2.x: not done yet")




def test_the_checks_are_exported():
    assert {"generator_block", "dcgan_discriminator", "gradient_penalty"} <= set(checks.available())


def test_checks_leave_the_global_random_state_alone(capsys):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    checks.generator_block(reference_block)
    checks.dcgan_discriminator(reference_discriminator)
    checks.gradient_penalty(losses.gradient_penalty)
    assert torch.equal(torch.get_rng_state(), before)


# --------------------------------------------------------------------------------------
# 2.1 generator block
# --------------------------------------------------------------------------------------


def reference_block(in_channels: int, out_channels: int) -> nn.Module:
    """The package's generator block: the layers DCGANGenerator stacks."""
    return nn.Sequential(_upsample_conv(in_channels, out_channels, "transpose", bias=False),
                         make_norm("batch", out_channels), nn.ReLU())


def make_block(kernel: int = 4, stride: int = 2, padding: int = 1, norm: str = "batch", act: str = "relu",
               order: str = "norm-act", out: str = "out") -> Callable[[int, int], nn.Module]:
    def generator_block(in_channels: int, out_channels: int) -> nn.Module:
        c_out = out_channels if out == "out" else in_channels
        conv = nn.ConvTranspose2d(in_channels, c_out, kernel, stride, padding)
        norm_layer = {"batch": nn.BatchNorm2d(c_out), "instance": nn.InstanceNorm2d(c_out, affine=True),
                      "none": nn.Identity()}[norm]
        act_layer = {"relu": nn.ReLU(), "leaky": nn.LeakyReLU(0.2), "tanh": nn.Tanh(),
                     "none": nn.Identity()}[act]
        layers = [norm_layer, act_layer] if order == "norm-act" else [act_layer, norm_layer]
        return nn.Sequential(conv, *layers)

    return generator_block


class BlockWithFunctionalReLU(nn.Module):
    """A student's own module class, ReLU applied in forward, bias left on."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.up(x)))


def test_generator_block_passes_on_reference_and_variants(capsys):
    passes(checks.generator_block, reference_block, capsys)
    passes(checks.generator_block, make_block(), capsys)  # with a bias before the norm
    passes(checks.generator_block, BlockWithFunctionalReLU, capsys)


def test_generator_block_stub_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="Exercise 2.x"):
        checks.generator_block(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (dict(kernel=3), ["4x4 kernel", "kernel_size=(3, 3)"]),
    (dict(stride=1), ["stride 2", "stride=(1, 1)"]),
    (dict(padding=0), ["wrong shape", "(4, 4, 8, 8)", "(4, 4, 10, 10)", "2H"]),
    (dict(norm="none"), ["not normalised", "BatchNorm2d"]),
    (dict(order="act-norm"), ["after the ReLU"]),
    (dict(norm="instance"), ["instance norm"]),
    (dict(act="leaky"), ["LeakyReLU(0.2)", "discriminator"]),
    (dict(act="tanh"), ["Tanh", "output"]),
    (dict(act="none"), ["no activation"]),
    (dict(out="in"), ["wrong numbers of channels", "8 -> 4", "8 -> 8"]),
])
def test_generator_block_names_typical_mistakes(mistake, needles):
    fails(checks.generator_block, make_block(**mistake), *needles)


def test_generator_block_asks_for_a_transposed_conv():
    def upsample_then_conv(in_channels: int, out_channels: int) -> nn.Module:
        return nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, out_channels, 3, padding=1),
                             nn.BatchNorm2d(out_channels), nn.ReLU())

    fails(checks.generator_block, upsample_then_conv, "ConvTranspose2d")


def test_generator_block_wants_a_module():
    fails(checks.generator_block, lambda i, o: (lambda x: x), "nn.Module")


def test_generator_block_reports_errors_inside_torch_layers():
    def wrong_norm_size(in_channels: int, out_channels: int) -> nn.Module:
        return nn.Sequential(nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1),
                             nn.BatchNorm2d(in_channels), nn.ReLU())

    fails(checks.generator_block, wrong_norm_size, "raised RuntimeError")


# --------------------------------------------------------------------------------------
# 2.2 discriminator
# --------------------------------------------------------------------------------------


def reference_discriminator(in_channels: int, width: int) -> nn.Module:
    return DCGANDiscriminator(in_channels=in_channels, width=width, image_size=32)


def make_discriminator(kernel: int = 4, act: Callable[[], nn.Module] = lambda: nn.LeakyReLU(0.2),
                       first_norm: bool = False, norm: bool = True, order: str = "norm-act",
                       head: str = "flatten", channels: tuple[int, int, int] = (1, 2, 4)
                       ) -> Callable[[int, int], nn.Module]:
    def build_discriminator(in_channels: int, width: int) -> nn.Module:
        w1, w2, w3 = (c * width for c in channels)
        pad = 1

        def block(c_in: int, c_out: int, normed: bool) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, 2, pad)]
            norm_layer = [nn.BatchNorm2d(c_out)] if normed else []
            return layers + (norm_layer + [act()] if order == "norm-act" else [act()] + norm_layer)

        layers = [*block(in_channels, w1, first_norm), *block(w1, w2, norm), *block(w2, w3, norm),
                  nn.Conv2d(w3, 1, 4)]
        if head == "flatten":
            layers.append(nn.Flatten(0))
        elif head == "sigmoid":
            layers += [nn.Flatten(0), nn.Sigmoid()]
        return nn.Sequential(*layers)

    return build_discriminator


def test_discriminator_passes_on_reference_and_variants(capsys):
    passes(checks.dcgan_discriminator, reference_discriminator, capsys)
    passes(checks.dcgan_discriminator, make_discriminator(), capsys)  # biases everywhere
    passes(checks.dcgan_discriminator,
           lambda c, w: DCGANDiscriminator(in_channels=c, width=w, image_size=32, spectral_norm=True), capsys)


def test_discriminator_stub_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="Exercise 2.x"):
        checks.dcgan_discriminator(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (dict(act=nn.ReLU), ["after conv 1", "ReLU instead of LeakyReLU(0.2)"]),
    (dict(act=nn.LeakyReLU), ["slope 0.01", "nn.LeakyReLU(0.2)"]),
    (dict(first_norm=True), ["first layer is normalised", "remove the BatchNorm2d"]),
    (dict(norm=False), ["after conv 2", "no batch norm"]),
    (dict(order="act-norm"), ["after conv 2", "batch norm comes after the LeakyReLU"]),
    (dict(head="sigmoid"), ["sigmoid", "logits"]),
    (dict(head="none"), ["one logit per image", "(4,)", "(4, 1, 1, 1)", "flatten"]),
    (dict(kernel=3), ["conv 1", "4x4 kernel", "kernel_size=(3, 3)"]),
    (dict(channels=(1, 1, 1)), ["wrong shapes", "(64, 8, 8)", "(32, 8, 8)"]),
])
def test_discriminator_names_typical_mistakes(mistake, needles):
    fails(checks.dcgan_discriminator, make_discriminator(**mistake), *needles)


def test_discriminator_counts_its_convs():
    def three_convs(in_channels: int, width: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2),
                             nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width),
                             nn.LeakyReLU(0.2),
                             nn.Conv2d(2 * width, 1, 8), nn.Flatten(0))

    fails(checks.dcgan_discriminator, three_convs, "4 nn.Conv2d")


# --------------------------------------------------------------------------------------
# 2.3 gradient penalty
# --------------------------------------------------------------------------------------


def make_penalty(form: str = "(n-1)^2", reduce: str = "mean", per_sample: bool = True,
                 create_graph: bool = True, wrt: str = "x_hat", where: str = "between",
                 eps_shape: str = "sample", detach: bool = True, item: bool = False) -> Callable:
    def gradient_penalty(critic, real, fake):
        n = real.shape[0]
        if eps_shape == "sample":
            eps = torch.rand(n, 1, 1, 1)
        elif eps_shape == "pixel":
            eps = torch.rand_like(real)
        else:  # a constant
            eps = torch.full((n, 1, 1, 1), 0.5)
        if detach:
            real, fake = real.detach(), fake.detach()
        x_hat = real.clone() if where == "real" else eps * real + (1 - eps) * fake
        x_hat.requires_grad_(True)
        scores = critic(x_hat)
        target = {"x_hat": x_hat, "fake": fake}[wrt]
        (grad,) = torch.autograd.grad(scores.sum(), target, create_graph=create_graph)
        norms = grad.flatten(1).norm(dim=1) if per_sample else grad.norm().expand(n)
        value = {"(n-1)^2": (norms - 1) ** 2, "n": norms, "n^2": norms**2, "n-1": norms - 1}[form]
        result = value.mean() if reduce == "mean" else value.sum()
        return result.item() if item else result

    return gradient_penalty


def test_gradient_penalty_passes_on_reference_and_variant(capsys):
    passes(checks.gradient_penalty, losses.gradient_penalty, capsys)
    passes(checks.gradient_penalty, make_penalty(), capsys)


def test_gradient_penalty_stub_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="Exercise 2.x"):
        checks.gradient_penalty(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (dict(form="n"), ["||w|| = 3", "penalise ||∇D|| itself", "expected: 4", "got:      3"]),
    (dict(form="n^2"), ["you penalise ||∇D||²", "got:      9"]),
    (dict(form="n-1"), ["without squaring"]),
    (dict(reduce="sum"), ["sum over the batch", "got:      16"]),
    (dict(per_sample=False), ["one norm per sample"]),
    (dict(create_graph=False), ["cannot train the critic", "create_graph=True"]),
    (dict(where="real"), ["real images only"]),
    (dict(eps_shape="pixel"), ["one ε per sample", "not one per pixel"]),
    (dict(eps_shape="constant"), ["same ε"]),
    (dict(item=True), ["torch.Tensor"]),
])
def test_gradient_penalty_names_typical_mistakes(mistake, needles):
    fails(checks.gradient_penalty, make_penalty(**mistake), *needles)


def test_gradient_penalty_gradient_with_respect_to_the_wrong_tensor():
    # x̂ built from the (grad-requiring) fake without detaching, gradient taken w.r.t. fake:
    # it is (1 - ε) w, not w.
    fails(checks.gradient_penalty, make_penalty(wrt="fake", detach=False), "||w|| = 3", "with respect to x̂")




def test_gradient_penalty_rejects_an_interpolate_attached_to_the_generator():
    # x̂ = ε real + (1 - ε) fake from the fake as it comes out of G: the value and the critic's
    # gradient are right, but (λ·penalty).backward() also sends gradients into G.
    message = fails(checks.gradient_penalty, make_penalty(detach=False), "reaches the generator",
                    "without detaching", "fake.detach()")
    assert "expected: no gradient on fake" in message


def test_gradient_penalty_accepts_a_detached_interpolate(capsys):
    def detach_the_interpolate(critic, real, fake):  # detaching x̂ itself is just as good
        eps = torch.rand(real.shape[0], 1, 1, 1)
        x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    passes(checks.gradient_penalty, detach_the_interpolate, capsys)
