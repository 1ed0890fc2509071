"""The perceptual (feature reconstruction) loss of Johnson et al. 2016, eq. 2, on colour images.

    l_feat(ŷ, y) = Σ_j  w_j / (C_j H_j W_j)  ||φ_j(ŷ) - φ_j(y)||²₂

φ_j are the activations of layer j of a frozen feature network (:mod:`gancolor.models.feature_net`).
L1 compares pixels one by one: a blurred edge and a sharp one shifted by a pixel cost about the same,
and the average of two plausible colours is cheap. Features compare neighbourhoods (edges, texture,
the colour of a region as the network learned to see it), so a loss on them prefers outputs that
*look* like the target over outputs that are close to it pixel by pixel. Used beside L1, never
alone: the feature network here normalises each channel per image (instance norm), so it barely sees
a global colour shift, which L1 sees at once.

The loss takes the feature network as an argument (any callable returning a list of feature maps),
so this module depends on nothing but torch and the colour conversions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from gancolor.color import lab_normalized_to_rgb, unit_to_signed

__all__ = ["feature_distances", "perceptual_loss", "lab_perceptual_loss"]

#: A feature network: (N, 3, H, W) RGB in [-1, 1] -> feature maps [(N, C_j, H_j, W_j), ...].
Features = Callable[[torch.Tensor], Sequence[torch.Tensor]]


def feature_distances(features: Features, pred: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
    """The mean squared feature distance ||φ_j(ŷ) - φ_j(y)||² / (C_j H_j W_j) of every layer j.

    Inputs: ``pred`` and ``target`` (N, 3, H, W) RGB in [-1, 1], the same shape; the target's
    features carry no gradient. Returns: one scalar per layer.
    """
    if pred.shape != target.shape or pred.dim() != 4 or pred.shape[1] != 3:
        raise ValueError(f"pred and target must be (N, 3, H, W) of the same shape; got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    with torch.no_grad():
        wanted = [f.detach() for f in features(target)]
    return [(got - want).pow(2).mean() for got, want in zip(features(pred), wanted, strict=True)]


def perceptual_loss(features: Features, pred: torch.Tensor, target: torch.Tensor,
                    weights: Sequence[float] | None = None) -> torch.Tensor:
    """Johnson et al. 2016's feature reconstruction loss Σ_j w_j ||φ_j(ŷ) - φ_j(y)||² / (C_j H_j W_j).

    Inputs: ``pred``, ``target`` (N, 3, H, W) RGB in [-1, 1]; ``weights`` w_j per layer (default
    all 1). Returns: a scalar, 0 for identical images; gradients flow into ``pred`` only.
    """
    distances = feature_distances(features, pred, target)
    weights = [1.0] * len(distances) if weights is None else list(weights)
    if len(weights) != len(distances):
        raise ValueError(f"{len(weights)} weights for {len(distances)} feature layers")
    return sum(w * d for w, d in zip(weights, distances, strict=True))


def lab_perceptual_loss(features: Features, L_pred: torch.Tensor, ab_pred: torch.Tensor,  # noqa: N803
                        L_true: torch.Tensor, ab_true: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """:func:`perceptual_loss` of colorization outputs given as normalised Lab.

    Inputs: L_n (N, 1, H, W) in [-1, 1] and ab_n (N, 2, H, W) of the prediction and of the truth
    (for colorization ``L_pred`` is ``L_true``). Both are turned into RGB in [-1, 1] (differentiable,
    out-of-gamut colours clipped) and compared through ``features``. Returns: a scalar.
    """
    pred = unit_to_signed(lab_normalized_to_rgb(L_pred, ab_pred))
    target = unit_to_signed(lab_normalized_to_rgb(L_true, ab_true))
    return perceptual_loss(features, pred, target)
