"""PatchNCE (Park et al. 2020, "Contrastive Learning for Unpaired Image-to-Image Translation", eq. 2-5).

CUT keeps the content of a translation without a cycle: a patch of the output G(x) must be more like
the patch of the input x *at the same place* than like the input's other patches. For layer l of
G's encoder, S sampled locations s, and features turned into unit vectors by a small MLP H_l:

    z_l = H_l(G_enc^l(x)),  ẑ_l = H_l(G_enc^l(G(x)))          (N, S, C), each row of length 1

    ℓ(v, v⁺, v⁻) = -log  exp(v·v⁺/τ) / (exp(v·v⁺/τ) + Σ_n exp(v·v⁻_n/τ)),   τ = 0.07      (eq. 2)

    L_PatchNCE(G, H, X) = E_x Σ_l Σ_s ℓ(ẑ_l^s, z_l^s, z_l^{S \\ s})                         (eq. 5)

The query ẑ is the output's patch, its positive the input's patch at the same place, the negatives
the input's other S - 1 sampled patches of the same image; ℓ is a cross-entropy over S classes, the
right class being s. As in the paper's code the input's features are not trained through (the keys
are detached) and the loss is averaged over patches and layers.

Unlike the L1 cycle loss this asks nothing of colours or fine detail as such: any change that keeps
each patch recognisable among the others is free, which is what a style that abstracts (a painting)
needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PatchProjector", "patch_nce_loss", "sample_locations"]


def patch_nce_loss(query: torch.Tensor, key: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """ℓ of eq. 2 averaged over the patches: ``query`` ẑ and ``key`` z, (N, S, C) unit rows; patch s of
    ``query`` must pick patch s of ``key`` among the S of its own image. Returns a scalar >= 0 (log S for
    a query that tells nothing apart; 0 for a perfect match). ``key`` is not trained through."""
    if query.shape != key.shape or query.dim() != 3:
        raise ValueError(f"query and key must both be (N, S, C); got {tuple(query.shape)} and "
                         f"{tuple(key.shape)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    n, s, _ = query.shape
    logits = torch.bmm(query, key.detach().transpose(1, 2)).float() / temperature  # (N, S, S): ẑ^i · z^j / τ
    labels = torch.arange(s, device=query.device).repeat(n)  # the positive of row i is column i
    return F.cross_entropy(logits.reshape(n * s, s), labels)


def sample_locations(features: Sequence[torch.Tensor], n_patches: int,
                     generator: torch.Generator) -> list[torch.Tensor]:
    """For each feature map (N, C, H, W), ``n_patches`` distinct flat locations (all H W if fewer),
    drawn with ``generator``: a list of (S_l,) long tensors on the CPU, the same for every image of the
    batch (as in the paper's code)."""
    chosen = []
    for feature in features:
        count = feature.shape[-2] * feature.shape[-1]
        chosen.append(torch.randperm(count, generator=generator)[:n_patches])
    return chosen


class PatchProjector(nn.Module):
    """H: one two-layer MLP per encoder layer, features (C_l) -> unit vectors (``dim``) (the paper's
    256-256 MLP, eq. 3's H_l).

    ``forward(features, locations)``: ``features`` [(N, C_l, H_l, W_l)] and ``locations`` [(S_l,)]
    -> [(N, S_l, dim)], each row of length 1.
    """

    def __init__(self, channels: Sequence[int], dim: int = 256) -> None:
        super().__init__()
        self.config = dict(channels=list(channels), dim=dim)
        self.heads = nn.ModuleList(nn.Sequential(nn.Linear(c, dim), nn.ReLU(), nn.Linear(dim, dim))
                                   for c in channels)

    def forward(self, features: Sequence[torch.Tensor],
                locations: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        if len(features) != len(self.heads) or len(locations) != len(self.heads):
            raise ValueError(f"expected {len(self.heads)} feature maps and location sets; "
                             f"got {len(features)} and {len(locations)}")
        out = []
        for head, feature, where in zip(self.heads, features, locations, strict=True):
            flat = feature.flatten(2).transpose(1, 2)  # (N, H W, C)
            picked = flat[:, where.to(flat.device)]  # (N, S, C)
            out.append(F.normalize(head(picked), dim=-1))
        return out
