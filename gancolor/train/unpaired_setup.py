"""What the unpaired trainers (CycleGAN, CUT, multi-task) check and set up the same way.

Both train on two image domains sampled independently: a batch of A and a batch of B per step,
drawn by two :class:`~gancolor.train.sampling.StepSampler` s with their own seeds, so the A and B
of a step are different scenes (but by chance) even when the domains happen to be paired.
"""

from __future__ import annotations

from typing import Any

import torch

from gancolor.color import uint8_to_signed
from gancolor.data.unpaired import UnpairedDomains
from gancolor.errors import DataError
from gancolor.losses import GAN_LOSSES
from gancolor.runtime import derive_seed
from gancolor.train.sampling import StepSampler, data_fingerprint, random_crops_and_flips, step_generator

__all__ = ["check_unpaired_settings", "unpaired_batch", "unpaired_data_id", "unpaired_samplers"]

#: The step_generator streams of the A and B crops (a trainer's other random choices use 2, 3 ...).
CROPS_A, CROPS_B = 0, 1


def check_unpaired_settings(config: Any, domains: UnpairedDomains) -> None:
    """Raise :class:`DataError` for unusable domains and ValueError for bad settings.

    ``config`` has ``image_size``, ``gan_loss``, ``steps``, ``decay_steps`` and
    ``resolved_decay_steps``; each domain must be a non-empty (N, 3, H, W) uint8 tensor with
    H, W >= ``image_size``.
    """
    for name, images in zip(domains.names, (domains.a, domains.b), strict=True):
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4 \
                or images.shape[1] != 3 or len(images) == 0:
            raise DataError(f"domain {name} must be a non-empty (N, 3, H, W) uint8 tensor")
        if min(images.shape[-2:]) < config.image_size:
            raise DataError(f"domain {name} images are {tuple(images.shape[-2:])} px, smaller than "
                            f"image_size={config.image_size}")
    if config.gan_loss not in GAN_LOSSES:
        raise ValueError(f"unknown gan_loss {config.gan_loss!r}; choose one of {', '.join(GAN_LOSSES)}")
    if config.steps < 1 or not 0 <= config.resolved_decay_steps <= config.steps:
        raise ValueError(f"need steps >= 1 and 0 <= decay_steps <= steps; got steps={config.steps}, "
                         f"decay_steps={config.decay_steps}")


def unpaired_data_id(domains: UnpairedDomains) -> dict:
    """The data a checkpoint was trained on (names, sizes, fingerprints): resume refuses other data."""
    return {
        "names": list(domains.names),
        "a": {"num_images": len(domains.a), "sha": data_fingerprint(domains.a.cpu())},
        "b": {"num_images": len(domains.b), "sha": data_fingerprint(domains.b.cpu())},
    }


def unpaired_samplers(domains: UnpairedDomains, batch_size: int,
                      seed: int) -> tuple[StepSampler, StepSampler]:
    """Two independent shuffles, one per domain, seeded by (``"A"``/``"B"``, ``seed``)."""
    return (StepSampler(len(domains.a), batch_size, derive_seed("A", seed)),
            StepSampler(len(domains.b), batch_size, derive_seed("B", seed)))


def unpaired_batch(images: tuple[torch.Tensor, torch.Tensor], samplers: tuple[StepSampler, StepSampler],
                   config: Any, step: int, device: torch.device) -> dict:
    """The unpaired global batches of ``step``: ``real_a``, ``real_b`` (B, 3, S, S) in [-1, 1] on ``device``,
    S = ``config.image_size``, random crops (and flips with ``config.flip``) of the A and B images
    (N, 3, H, W) uint8 that the two ``samplers`` pick; and ``step``. A pure function of (seed, step)."""
    crops = [random_crops_and_flips(domain[sampler.indices(step)], config.image_size,
                                    step_generator(config.seed, step, stream), flip=config.flip)
             for domain, sampler, stream in zip(images, samplers, (CROPS_A, CROPS_B), strict=True)]
    real_a, real_b = (uint8_to_signed(x.to(device)) for x in crops)
    return {"real_a": real_a, "real_b": real_b, "step": step}
