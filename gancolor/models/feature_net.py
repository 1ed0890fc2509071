"""A frozen feature network for the perceptual loss that works offline: the encoder of the shipped
summer -> winter stylizer (CycleGAN's ResNet generator, trained by the course on the embedded data).

Why this network (torchvision's VGG weights cannot be downloaded here):

- it sees **colour**: its input is RGB. The encoder of a shipped colorizer sees L only, so its
  features do not change at all when ab changes: a perceptual loss on them would be blind to the
  very thing colorization predicts;
- it is **fixed**: the discriminator's features (feature matching, Salimans et al. 2016) move as D
  trains, so the loss would change under G's feet and could not be computed by a user outside a run;
- it was **trained on the same images** (64 px scenes) by a task that needs to see textures and
  colours (turning summer into winter), so its filters are edge, texture and colour detectors of
  this domain, not random projections.

Layers used: the ReLU after the 7x7 conv (full resolution, 32 channels), after the first stride-2
conv (1/2, 64 channels) and after the second (1/4, 128 channels): Johnson et al. take early layers
for content, where spatial detail is kept. Each follows an instance norm, so per-channel means
(a global colour cast) are mostly normalised away: use it beside L1.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gancolor.model_files import STYLIZER_FORMAT, build_generator, read_model_file
from gancolor.models.resnet import ResnetGenerator
from gancolor.runtime import package_root

__all__ = ["FeatureNet", "default_feature_weights", "load_feature_net", "FEATURE_LAYERS"]

#: Indices (in ResnetGenerator.layers) of the ReLUs whose outputs are the features: c7s1, d2k, d4k.
FEATURE_LAYERS = (3, 6, 9)


def default_feature_weights() -> Path:
    """The shipped stylizer whose summer -> winter encoder gives the features."""
    return package_root() / "weights" / "stylizer_summer2winter.pt"


class FeatureNet(nn.Module):
    """The first layers of a :class:`ResnetGenerator`, frozen, always in eval mode.

    Input: (N, 3, H, W) RGB in [-1, 1], H and W any size >= 4. Output: a list of feature maps
    [(N, k, H, W), (N, 2k, H/2, W/2), (N, 4k, H/4, W/4)] for the default layers. Its parameters
    never require gradients (gradients still flow through it into the input) and ``train()``
    leaves it in eval mode, so the loss it defines is the same function at every step.
    """

    def __init__(self, generator: ResnetGenerator, layers: tuple[int, ...] = FEATURE_LAYERS) -> None:
        super().__init__()
        if not layers or list(layers) != sorted(set(layers)) or layers[-1] >= len(generator.layers):
            raise ValueError(f"layers must be increasing indices below {len(generator.layers)}; got {layers}")
        self.layers = nn.Sequential(*list(generator.layers)[: layers[-1] + 1])
        self.taps = tuple(layers)
        self.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True) -> FeatureNet:
        """Stays in eval mode whatever ``mode`` (a frozen network: its norms never change)."""
        return super().train(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(N, 3, H, W) in [-1, 1] -> the feature maps of :attr:`taps`."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"FeatureNet expects (N, 3, H, W) RGB; got {tuple(x.shape)}")
        features = []
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index in self.taps:
                features.append(x)
        return features


def load_feature_net(path: str | Path | None = None, direction: str = "AtoB",
                     device: str | torch.device = "cpu") -> FeatureNet:
    """The :class:`FeatureNet` of the stylizer file ``path`` (default: the shipped one), from its
    ``direction`` generator; raises :class:`~gancolor.errors.CheckpointError` (one line) for a bad file."""
    path = Path(path) if path is not None else default_feature_weights()
    blob = read_model_file(path, STYLIZER_FORMAT)
    record = (blob.get("generators") or {}).get(direction)
    generator = build_generator(record, {"ResnetGenerator": ResnetGenerator}, path, name=direction)
    return FeatureNet(generator).to(device)
