"""Pieces every model shares: the norm layer chosen by name, DCGAN weight init, parameter count.

Every model in :mod:`gancolor.models` picks its normalisation with a string, ``"batch"``,
``"instance"`` or ``"none"``, and calls :func:`init_weights` at the end of its constructor, so two
models built after the same ``torch.manual_seed`` are identical.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

__all__ = [
    "NORMS",
    "check_choice",
    "make_norm",
    "uses_bias",
    "init_weights",
    "apply_spectral_norm",
    "count_parameters",
    "add_change",
]

#: The normalisations a model can be built with.
NORMS = ("batch", "instance", "none")

ModuleT = TypeVar("ModuleT", bound=nn.Module)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    """Raise a ValueError naming the valid choices when ``value`` is not one of them."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def make_norm(kind: str, channels: int) -> nn.Module:
    """The 2-D normalisation layer called ``kind`` for ``channels`` feature maps.

    ``"batch"``: BatchNorm2d (statistics over the batch; pix2pix, DCGAN).
    ``"instance"``: InstanceNorm2d with a learned scale and shift (statistics per image;
    CycleGAN, style transfer). ``"none"``: Identity (WGAN-GP critics, spectral-norm critics).
    """
    check_choice("norm", kind, NORMS)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


def uses_bias(norm: str) -> bool:
    """Whether a conv followed by the norm ``norm`` needs its own bias.

    Batch and instance norm subtract the per-channel mean and add their own shift, so a bias
    before them is cancelled; only ``"none"`` keeps it.
    """
    return norm == "none"


def add_change(image: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
    """A residual output layer: the image plus a change, kept in [-1, 1] by adding in tanh space.

        y = tanh(atanh(x) + h)

    ``image`` x and the result (N, C, H, W) in [-1, 1] (x clamped to ±0.999 so that atanh is finite:
    an 8-bit pixel moves by less than 0.13 of a level); ``change`` h (N, C, H, W), unbounded.
    h = 0 returns x: a generator ending here starts as the identity when its last layer starts at zero,
    and only has to learn what changes (a style that keeps the photo's layout and most of its colour).
    """
    return torch.tanh(torch.atanh(image.clamp(-0.999, 0.999)) + change)


def init_weights(module: ModuleT, std: float = 0.02) -> ModuleT:
    """DCGAN / pix2pix initialisation, in place, of every layer inside ``module``.

    Conv, transposed-conv and linear weights ~ N(0, std²); norm scales ~ N(1, std²)
    (Radford et al. 2015, Sec. 4); all biases 0. Draws from torch's global generator, so it
    is deterministic after ``torch.manual_seed``. Layers on the ``meta`` device (shapes only,
    used to count parameters or walk the layer list) hold no values and are skipped.
    Returns ``module``.
    """
    for layer in module.modules():
        weight = getattr(layer, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.is_meta:
            continue
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, mean=0.0, std=std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.InstanceNorm2d)) and layer.affine:
            nn.init.normal_(layer.weight, mean=1.0, std=std)
            nn.init.zeros_(layer.bias)
    return module


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``model`` (only those with ``requires_grad`` by default)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _is_conv(layer: nn.Module) -> bool:
    return isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d))


def apply_spectral_norm(module: ModuleT) -> ModuleT:
    """Wrap every conv inside ``module`` with spectral normalisation (Miyato et al. 2018).

    W_SN = W / σ(W), σ estimated by one power iteration per training forward pass. Call it
    after :func:`init_weights`: the raw weight then lives in ``parametrizations.weight.original``.
    """
    for layer in list(module.modules()):
        if _is_conv(layer):
            torch.nn.utils.parametrizations.spectral_norm(layer)
    return module
