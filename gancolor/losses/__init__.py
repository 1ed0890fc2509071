"""GAN objectives on logits, gradient penalties, the reconstruction loss of pix2pix, CycleGAN's cycle
and identity losses.

Every discriminator here outputs a logit t (any real number); the probability "real" is
D = sigmoid(t). The logs of the GAN objective are then computed without ever forming D:

    log D       = log sigmoid(t)     = -softplus(-t)
    log (1 - D) = log sigmoid(-t)    = -softplus(t)

softplus(t) = log(1 + e^t) is finite for any finite t, whereas ``torch.log(torch.sigmoid(t))``
is -inf once sigmoid(t) underflows to 0 (t < -104 in float32), and its gradient NaN.

Losses are means over every element (batch, and patches for a PatchGAN), returned as scalars to
minimise. Which ``kind`` to use:

- ``"minimax"``: the game of Goodfellow et al. 2014, eq. (1), as written. G's gradient vanishes
  while D confidently rejects its samples, i.e. at the start of training.
- ``"nonsaturating"``: same D; G maximises log D(G(z)) instead (Goodfellow 2014, Sec. 3). The default.
- ``"lsgan"``: least squares on the raw score (Mao et al. 2017), targets 1 (real) and 0 (fake).
- ``"hinge"``: margin loss for D, -score for G (Lim & Ye 2017; Miyato et al. 2018).
- ``"wgan"``: the Wasserstein critic (Arjovsky et al. 2017); needs a Lipschitz critic, in practice
  :func:`gradient_penalty` (Gulrajani et al. 2017) or spectral norm.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = [
    "GAN_LOSSES",
    "discriminator_loss",
    "generator_loss",
    "gan_value",
    "cyclegan_generator_loss",
    "cyclegan_discriminator_loss",
    "gradient_penalty",
    "r1_penalty",
    "l1_loss",
    "cycle_loss",
    "identity_loss",
]

#: The adversarial objectives :func:`discriminator_loss` and :func:`generator_loss` know.
GAN_LOSSES = ("minimax", "nonsaturating", "lsgan", "hinge", "wgan")


def _check_kind(kind: str) -> None:
    if kind not in GAN_LOSSES:
        raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                       kind: str = "nonsaturating") -> torch.Tensor:
    """The discriminator's (or critic's) loss, to minimise.

    Inputs: ``real_logits`` = D(x) and ``fake_logits`` = D(G(z)), any shapes (e.g. (N,) or
    (N, 1, h, w) patches), raw scores without sigmoid. Detach the fakes when training D.
    Returns: a scalar tensor.
    """
    _check_kind(kind)
    if kind in ("minimax", "nonsaturating"):
        # -[E log D(x) + E log(1 - D(G(z)))]  (Goodfellow 2014, eq. 1, D's side)
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if kind == "lsgan":
        # ½ E (D(x) - 1)² + ½ E D(G(z))²  (Mao 2017: targets a = 0 for fakes, b = 1 for reals)
        return 0.5 * (real_logits - 1).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()
    if kind == "hinge":
        # E max(0, 1 - D(x)) + E max(0, 1 + D(G(z)))
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    # wgan: the critic maximises E D(x) - E D(G(z)), an estimate of the Wasserstein-1 distance
    return fake_logits.mean() - real_logits.mean()


def generator_loss(fake_logits: torch.Tensor, kind: str = "nonsaturating") -> torch.Tensor:
    """The generator's loss, to minimise.

    Inputs: ``fake_logits`` = D(G(z)), any shape, raw scores (not detached: G learns through D).
    Returns: a scalar tensor.
    """
    _check_kind(kind)
    if kind == "minimax":
        # E log(1 - D(G(z)))  (Goodfellow 2014, eq. 1, G's side); gradient -sigmoid(t) -> 0 as t -> -inf
        return -F.softplus(fake_logits).mean()
    if kind == "nonsaturating":
        # -E log D(G(z)); gradient -sigmoid(-t) -> -1 as t -> -inf: strong when D wins
        return F.softplus(-fake_logits).mean()
    if kind == "lsgan":
        # ½ E (D(G(z)) - 1)²  (Mao 2017: G aims at c = 1)
        return 0.5 * (fake_logits - 1).pow(2).mean()
    # hinge and wgan: -E D(G(z))
    return -fake_logits.mean()


def gan_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The value of the minimax game V(D, G) = E log D(x) + E log(1 - D(G(z))) (Goodfellow 2014, eq. 1).

    For the best D, V = -log 4 + 2 JSD(p_data || p_g) (Theorem 1): -log 4 ≈ -1.386 exactly when
    p_g = p_data. Inputs: logits as in :func:`discriminator_loss`. Returns: a scalar tensor.
    """
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()


def cyclegan_generator_loss(fake_logits: torch.Tensor, kind: str = "lsgan") -> torch.Tensor:
    """G's adversarial term as the CycleGAN code computes it: for LSGAN E (D(G(a)) - 1)².

    (:func:`generator_loss` carries Mao et al.'s ½ for LSGAN; the CycleGAN code has none, and the
    ½ would halve the adversarial term against λ L_cyc.) Other kinds: :func:`generator_loss`.
    """
    loss = generator_loss(fake_logits, kind=kind)
    return 2.0 * loss if kind == "lsgan" else loss


def cyclegan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                                kind: str = "lsgan") -> torch.Tensor:
    """D's loss as the CycleGAN code: ½ (loss on reals + loss on fakes), "to slow down D" (Sec. 4).

    For LSGAN :func:`discriminator_loss` already is ½ [E (D(b) - 1)² + E D(G(a))²].
    """
    loss = discriminator_loss(real_logits, fake_logits, kind=kind)
    return loss if kind == "lsgan" else 0.5 * loss


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None,
                     eps: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP penalty E[(||∇_x̂ D(x̂)||₂ - 1)²] (Gulrajani et al. 2017, eq. 3), without its λ.

    x̂ = ε x + (1 - ε) x̃ with ε ~ U[0, 1] per sample, on the line between a real and a fake. The
    graph of the gradient is kept (``create_graph=True``), so ``(λ * penalty).backward()``
    trains the critic; λ = 10 in the paper. The critic must treat samples independently: no
    batch norm (use ``norm="none"``), else each x̂'s gradient mixes in the others.

    Inputs: ``critic`` maps (N, ...) to scores (N,) or (N, 1, h, w) (patch scores are summed
    per sample); ``real`` and ``fake`` (N, ...) of the same shape; ``generator`` draws ε, or
    ``eps`` (N, 1, ..., 1) in [0, 1] gives it (e.g. this process's share of the global batch's ε).
    Returns: a scalar tensor.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape; got {tuple(real.shape)} and "
                         f"{tuple(fake.shape)}")
    if eps is None:
        device = generator.device if generator is not None else real.device
        eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=generator, device=device)
    eps = eps.to(real)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)  # x̂ = εx + (1-ε)x̃
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    grad_norm = torch.linalg.vector_norm(grad.flatten(1), dim=1)  # ||∇_x̂ D(x̂)||₂ per sample
    return (grad_norm - 1).pow(2).mean()


def r1_penalty(real_logits: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
    """R1 penalty E[||∇_x D(x)||²] on real data (Mescheder et al. 2018, Sec. 4.1), without its γ/2.

    Call ``real_inputs.requires_grad_(True)`` before computing ``real_logits = D(real_inputs)``.
    The graph is kept, so ``(gamma / 2 * penalty).backward()`` trains D.

    Inputs: ``real_logits`` (N,) or (N, 1, h, w), ``real_inputs`` (N, ...) that produced them.
    Returns: a scalar tensor.
    """
    if not real_inputs.requires_grad:
        raise ValueError("r1_penalty needs the gradient with respect to the real images: call "
                         "real.requires_grad_(True) before real_logits = D(real)")
    (grad,) = torch.autograd.grad(real_logits.sum(), real_inputs, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()  # E ||∇_x D(x)||²


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error E|y - G(x)|, the reconstruction term of pix2pix (Isola 2017, eq. 3).

    pix2pix minimises L_GAN + λ L_L1 with λ = 100: L1 pulls the output toward the target and so
    gets the overall colours right (alone it averages ambiguous colours into sepia), while the
    adversarial term makes them vivid and sharp. Inputs: same shapes. Returns: a scalar tensor.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape; got {tuple(pred.shape)} and "
                         f"{tuple(target.shape)}")
    return (pred - target).abs().mean()


def cycle_loss(reconstructed: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """One direction of CycleGAN's cycle-consistency loss (Zhu et al. 2017, eq. 2), without its λ.

        L_cyc(G, F) = E_x ||F(G(x)) - x||_1 + E_y ||G(F(y)) - y||_1

    Call it once per domain: ``cycle_loss(F(G(x)), x)`` and ``cycle_loss(G(F(y)), y)``; the
    paper weights their sum by λ = 10. Translating there and back must give the image back, so G
    cannot map every input to the same plausible output (mode collapse) nor lose its content.
    Inputs: (N, C, H, W) of the same shape, in [-1, 1]. Returns: the mean absolute error, a scalar.
    """
    return l1_loss(reconstructed, original)


def identity_loss(same: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """One term of CycleGAN's identity loss (Zhu et al. 2017, Sec. 5.2; Taigman et al. 2017), without its λ.

        L_idt(G, F) = E_y ||G(y) - y||_1 + E_x ||F(x) - x||_1

    A generator given an image already in its target domain should leave it alone:
    ``identity_loss(G(y), y)``. It keeps the colours of the input where nothing needs to change
    (the paper weights it 0.5 λ). Inputs: (N, C, H, W) of the same shape. Returns: a scalar.
    """
    return l1_loss(same, original)
