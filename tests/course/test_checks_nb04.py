"""The checks of notebook 04 (pix2pix colorization) both ways: they pass on the reference, let the
student's stub raise NotImplementedError, and fail on typical mistakes with a message that names
the mistake."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from exercise_asserts import fails, passes
from torch import nn

from gancolor.course import checks
from gancolor.losses import discriminator_loss, generator_loss, l1_loss


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 4.x: not done yet")


# --------------------------------------------------------------------------------------
# 4.1 U-Net level: the notebook's class, with a switchable forward
# --------------------------------------------------------------------------------------


class UNetLevel(nn.Module):
    """The notebook's ``__init__``; ``forward`` is the exercise."""

    def __init__(self, in_channels: int, channels: int, out_channels: int, inner: nn.Module) -> None:
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(in_channels, channels, 4, stride=2, padding=1),
                                  nn.BatchNorm2d(channels), nn.LeakyReLU(0.2))
        self.inner = inner
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * channels, out_channels, 4, stride=2, padding=1),
                                nn.BatchNorm2d(out_channels), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.down(x)
        h = self.inner(skip)
        return self.up(torch.cat([h, skip], dim=1))


def level_with(forward: Callable[[UNetLevel, torch.Tensor], torch.Tensor]) -> type:
    return type("StudentLevel", (UNetLevel,), {"forward": forward})


def test_unet_level_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.unet_level, UNetLevel, capsys)
    # The skip first is the same architecture with its channels in another order: accepted.
    def skip_first(self: UNetLevel, x: torch.Tensor) -> torch.Tensor:
        skip = self.down(x)
        return self.up(torch.cat([skip, self.inner(skip)], dim=1))

    passes(checks.unet_level, level_with(skip_first), capsys)


def test_unet_level_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 4.x"):
        checks.unet_level(level_with(stub))


@pytest.mark.parametrize(("forward", "needles"), [
    (lambda self, x: self.up(self.inner(self.down(x))), ["skip connection is missing", "expects 2 x"]),
    (lambda self, x: self.up(self.inner(self.down(x)) + self.down(x)), ["ResNet-style", "concatenates"]),
    (lambda self, x: self.up(torch.cat([self.inner(self.down(x)), self.down(x)], dim=0)), ["along dim 0"]),
    (lambda self, x: self.up(torch.cat([self.inner(self.down(x)), x], dim=1)), ["raised RuntimeError",
                                                                                 "not x itself"]),
    (lambda self, x: self.up(torch.cat([self.down(x), self.down(x)], dim=1)), ["inner was never called"]),
    (lambda self, x: self.up(torch.cat([self.inner(self.down(x))] * 2, dim=1)), ["with itself: the skip"]),
    (lambda self, x: self.up(torch.cat([self.inner(x), x], dim=1)), ["raised RuntimeError"]),
    (lambda self, x: torch.tanh(self.up(torch.cat([self.inner(self.down(x)), self.down(x)], dim=1))),
     ["return the output of self.up unchanged"]),
    (lambda self, x: torch.cat([UNetLevel.forward(self, x), x], dim=1), ["wrong shape"]),
])
def test_unet_level_names_the_mistake(forward: Callable, needles: list[str]) -> None:
    fails(checks.unet_level, level_with(forward), *needles)


def test_unet_level_wants_the_class() -> None:
    fails(checks.unet_level, UNetLevel(1, 2, 3, nn.Identity()), "pass the class itself")


# --------------------------------------------------------------------------------------
# 4.2 and 4.3: student-style losses with switchable mistakes
# --------------------------------------------------------------------------------------


def d_loss(detach: bool = True, conditional: bool = True, swap: bool = False, l_last: bool = False,
           no_grad_fake: bool = False, halve: bool = False, one_call: bool = False,
           scale: float = 1.0) -> Callable:
    def pix2pix_discriminator_loss(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                                   ab_fake: torch.Tensor) -> torch.Tensor:
        fake = ab_fake.detach() if detach else ab_fake

        def pair(ab: torch.Tensor) -> torch.Tensor:
            if not conditional:
                return ab
            return torch.cat([ab, L] if l_last else [L, ab], dim=1)

        if one_call:
            real_logits, fake_logits = D(torch.cat([pair(ab_real), pair(fake)], dim=0)).chunk(2)
        else:
            real_logits = D(pair(ab_real))
            if no_grad_fake:
                with torch.no_grad():
                    fake_logits = D(pair(fake))
            else:
                fake_logits = D(pair(fake))
        if swap:
            real_logits, fake_logits = fake_logits, real_logits
        loss = scale * discriminator_loss(real_logits, fake_logits)
        return loss / 2 if halve else loss

    return pix2pix_discriminator_loss


def test_d_loss_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.pix2pix_discriminator_loss, d_loss(), capsys)
    passes(checks.pix2pix_discriminator_loss, d_loss(halve=True), capsys)  # pix2pix's ½·(real + fake)

    def with_bce(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                 ab_fake: torch.Tensor) -> torch.Tensor:
        real = D(torch.cat([L, ab_real], 1))
        fake = D(torch.cat([L, ab_fake.detach()], 1))
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))

    passes(checks.pix2pix_discriminator_loss, with_bce, capsys)


def test_d_loss_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 4.x"):
        checks.pix2pix_discriminator_loss(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (d_loss(detach=False), ["reaches the generator", "ab_fake.detach()"]),
    (d_loss(conditional=False), ["only the colours (2 channels)", "conditional", "cat([L, ab], dim=1)"]),
    (d_loss(swap=True), ["swapped the labels"]),
    (d_loss(l_last=True), ["D got (ab, L)", "lightness must come first"]),
    (d_loss(no_grad_fake=True), ["no gradient from the fake term", "detach the colours, not the logits"]),
    (d_loss(one_call=True), ["in one call", "BatchNorm", "mix real and fake", "Notebook 02",
                             "ab_fake.detach()"]),
    (d_loss(one_call=True, halve=True), ["in one call", "BatchNorm"]),
    (d_loss(swap=True, halve=True), ["swapped the labels"]),
    (d_loss(no_grad_fake=True, halve=True), ["no gradient from the fake term"]),
    (d_loss(detach=False, halve=True), ["reaches the generator"]),
])
def test_d_loss_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.pix2pix_discriminator_loss, student, *needles)


def test_d_loss_accepts_pix2pix_halved_loss_in_its_own_words(capsys: pytest.CaptureFixture[str]) -> None:
    # pix2pix's code: loss_D = (loss_D_fake + loss_D_real) * 0.5, each a BCE on the patch logits.
    def pix2pix_code(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                     ab_fake: torch.Tensor) -> torch.Tensor:
        pred_fake = D(torch.cat([L, ab_fake.detach()], 1))
        loss_d_fake = F.binary_cross_entropy_with_logits(pred_fake, torch.zeros_like(pred_fake))
        pred_real = D(torch.cat([L, ab_real], 1))
        loss_d_real = F.binary_cross_entropy_with_logits(pred_real, torch.ones_like(pred_real))
        return (loss_d_fake + loss_d_real) * 0.5

    passes(checks.pix2pix_discriminator_loss, pix2pix_code, capsys)


@pytest.mark.parametrize("scale", [2.0, 0.25, 1 / 3, 0.45])
def test_d_loss_rejects_other_scalings(scale: float) -> None:
    fails(checks.pix2pix_discriminator_loss, d_loss(scale=scale), "is not the discriminator loss",
          "pix2pix's half")


def test_d_loss_wants_both_pairs_and_a_tensor() -> None:
    def only_real(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                  ab_fake: torch.Tensor) -> torch.Tensor:
        return F.softplus(-D(torch.cat([L, ab_real], 1))).mean()

    fails(checks.pix2pix_discriminator_loss, only_real, "never saw the generated pairs")

    def as_number(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                  ab_fake: torch.Tensor) -> float:
        return d_loss()(D, L, ab_real, ab_fake).item()

    fails(checks.pix2pix_discriminator_loss, as_number, "should be a torch.Tensor")


def g_loss(l1: str = "l1", use_lambda: bool = True, form: str = "nonsaturating", judge: str = "fake",
           detach: bool = False, hardcode: bool = False) -> Callable:
    def pix2pix_generator_loss(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor,  # noqa: N803
                               ab_fake: torch.Tensor, lambda_l1: float = 100.0) -> torch.Tensor:
        judged = {"fake": ab_fake.detach() if detach else ab_fake, "real": ab_real}[judge]
        logits = D(torch.cat([L, judged], dim=1) if judge != "unconditional" else judged)
        adversarial = generator_loss(logits, kind=form)
        reconstruction = l1_loss(ab_fake, ab_real) if l1 == "l1" else F.mse_loss(ab_fake, ab_real)
        lam = 100.0 if hardcode else lambda_l1
        return adversarial + (lam if use_lambda else 1.0) * reconstruction

    return pix2pix_generator_loss


def test_g_loss_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.pix2pix_generator_loss, g_loss(), capsys)


def test_g_loss_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 4.x"):
        checks.pix2pix_generator_loss(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (g_loss(use_lambda=False), ["not multiplied by λ"]),
    (g_loss(l1="l2"), ["squared error (L2)"]),
    (g_loss(form="minimax"), ["saturating (minimax) form"]),
    (g_loss(judge="real"), ["judged the true colours"]),
    (g_loss(detach=True), ["no gradient reaches G through D", "Detach only in D's loss"]),
    (g_loss(hardcode=True), ["ignores its lambda_l1 argument"]),
])
def test_g_loss_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.pix2pix_generator_loss, student, *needles)


def test_g_loss_wants_a_conditional_d_and_the_generator_label() -> None:
    def unconditional(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor, ab_fake: torch.Tensor,  # noqa: N803
                      lambda_l1: float = 100.0) -> torch.Tensor:
        return generator_loss(D(ab_fake)) + lambda_l1 * l1_loss(ab_fake, ab_real)

    fails(checks.pix2pix_generator_loss, unconditional, "only the colours (2 channels)")

    def fake_label(D: nn.Module, L: torch.Tensor, ab_real: torch.Tensor, ab_fake: torch.Tensor,  # noqa: N803
                   lambda_l1: float = 100.0) -> torch.Tensor:
        return F.softplus(D(torch.cat([L, ab_fake], 1))).mean() + lambda_l1 * l1_loss(ab_fake, ab_real)

    fails(checks.pix2pix_generator_loss, fake_label, "uses the label 'fake'")


def test_checks_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.pix2pix_generator_loss(g_loss())
    checks.unet_level(UNetLevel)
    assert torch.equal(torch.rand(3), expected)


# --------------------------------------------------------------------------------------
# 4.4 annealed mean
# --------------------------------------------------------------------------------------


def annealed(kind: str = "right") -> Callable:
    def decode(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> torch.Tensor:
        scaled = {"no_t": logits, "times_t": logits * temperature}.get(kind, logits / temperature)
        p = torch.softmax(scaled, dim=0 if kind == "dim0" else 1)
        if kind == "unnormalised":
            p = torch.softmax(logits, dim=1).pow(1 / temperature)
        if kind == "mode":
            return bins[logits.argmax(dim=1)].permute(0, 3, 1, 2) / 110
        ab = torch.einsum("nqhw,qc->nchw", p, bins)
        return ab if kind == "lab_units" else ab / 110
    return decode


def test_annealed_mean_passes_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.annealed_mean, annealed(), capsys)


def test_annealed_mean_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 4.x"):
        checks.annealed_mean(stub)


@pytest.mark.parametrize(("kind", "needle"), [
    ("no_t", "the temperature is not used"),
    ("times_t", "multiplied the logits by T"),
    ("mode", "the mode"),
    ("lab_units", "Lab units"),
    ("unnormalised", "not renormalised"),
    ("dim0", "batch axis"),
])
def test_annealed_mean_names_the_mistake(kind: str, needle: str) -> None:
    fails(checks.annealed_mean, annealed(kind), needle)
