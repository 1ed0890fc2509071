"""pix2pix colorization (Isola et al. 2017): a U-Net G predicts ab from L, a PatchGAN D judges (L, ab).

The objective (pix2pix, eq. 4), with x = L and y = ab:

    G* = arg min_G max_D  L_cGAN(G, D) + λ L_L1(G),      λ = 100
    L_cGAN(G, D) = E[log D(x, y)] + E[log(1 - D(x, G(x)))]
    L_L1(G)      = E[ ||y - G(x)||_1 ]

D is conditional: it sees the lightness with the colours, so it judges whether these colours fit
this image, not just whether they look like colours. L1 alone (``l1_only``, the comparison model)
predicts the average of the plausible colours, which for objects of any colour is gray-brown;
the adversarial term pushes G towards one vivid, plausible choice instead.

With ``hints`` (Zhang et al. 2017, "Real-Time User-Guided Image Colorization"), G also sees sparse
colour hints simulated from the ground truth, x = cat(L, hint ab, hint mask) (see gancolor.hints),
and learns to spread a few given colours over the regions they belong to; D still judges (L, ab).
With ``hint_prior="levin"`` G starts from the classic answer: x also holds the hints spread by
Levin et al. 2004 (gancolor.propagation.hint_prior), and G(x) = prior + a learned residual.

With ``classify`` (Zhang et al. 2016, "Colorful Image Colorization"), G scores Q quantised ab bins
per pixel and is trained, without D, by the class-rebalanced cross-entropy of gancolor.ab_classes;
photos are decoded by the annealed mean at ``temperature`` (T = 1 safe, T -> 0 vivid).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from gancolor.ab_classes import (
    annealed_mean,
    bin_frequencies,
    classification_loss,
    gamut_bins,
    rebalancing_weights,
)
from gancolor.color import denormalize_ab, lab_normalized_to_rgb, rotate_hue, uint8_to_unit
from gancolor.data import lab_batch
from gancolor.data.hint_maps import HINT_CHANNELS, generator_input, sample_hints
from gancolor.errors import DataError
from gancolor.losses import GAN_LOSSES, discriminator_loss, generator_loss, l1_loss
from gancolor.losses.perceptual import lab_perceptual_loss
from gancolor.model_files import (
    COLORIZER_FORMAT,
    HINT_INPUTS,
    PLAIN_INPUTS,
    PRIOR_HINT_INPUTS,
    generator_record,
    write_model_file,
)
from gancolor.models import PatchDiscriminator, UNetGenerator
from gancolor.models.feature_net import load_feature_net
from gancolor.models.patchgan import check_crop_size
from gancolor.propagation import prior_generator_input
from gancolor.runtime import pick_device, seed_everything
from gancolor.train import distributed
from gancolor.train.config import TrainConfig
from gancolor.train.engine import Losses, Networks, Trainer, Update, eval_mode
from gancolor.train.loop import History, fit
from gancolor.train.precision import Precision
from gancolor.train.sampling import StepSampler, data_fingerprint, random_crops_and_flips, step_generator

__all__ = ["ColorizeConfig", "ColorizationTrainer", "export_colorizer", "train_colorizer"]


@dataclass
class ColorizeConfig(TrainConfig):
    """Everything that defines a colorization run (the defaults train on 64x64 crops on a CPU)."""

    image_size: int = 64  # training crops are image_size x image_size
    batch_size: int = 16
    width: int = 32  # G: channels of the first U-Net level, doubling per level ...
    max_width: int = 256  # ... up to this (256 keeps the exported file under 10 MB)
    depth: int = 5  # G: number of down-sampling levels; image_size must be a multiple of 2**depth
    norm: str = "batch"  # G and D
    dropout: float = 0.5  # G's decoder dropout, pix2pix's only source of noise
    d_width: int = 32
    d_layers: int = 3  # 3 layers: 70x70 receptive field
    gan_loss: str = "nonsaturating"
    lambda_l1: float = 100.0  # λ
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    l1_only: bool = False  # no D: G minimises L1 alone (the comparison model)
    flip: bool = True  # random horizontal flips
    # User-guided colorization (Zhang et al. 2017): G sees cat(L, hint ab, hint mask), hints
    # simulated per step by gancolor.hints.sample_hints with these settings.
    hints: bool = False
    hint_p_none: float = 0.125  # P(no hint) = the geometric's stop probability (paper: 1/8)
    hint_max: int = 32  # at most this many hints per image
    hint_min_size: int = 1  # hint squares: side uniform in [min, max] px of the training crop
    hint_max_size: int = 5
    # "levin": G also sees the hints spread by Levin et al. 2004 (solved at hint_prior_scale x the
    # crop size) and predicts a residual on top of them (UNetGenerator(output="residual")).
    hint_prior: str = "none"
    hint_prior_scale: float = 0.5
    # Share of training images whose colours are turned round the hue circle by a random angle
    # (L unchanged): where colour cannot be told from L, a hint model must follow its hints
    # instead of painting the colours it remembers (a green "grass" suit on a real photo).
    hue_jitter: float = 0.0
    # Colour as classification (Zhang et al. 2016): G scores the ab bins of gancolor.ab_classes,
    # trained by the rebalanced cross-entropy (no D); `temperature` is the exported decoding default.
    classify: bool = False
    rebalance_lambda: float = 0.5
    temperature: float = 0.38
    # Perceptual loss (Johnson et al. 2016): G also minimises `perceptual` x the feature distance of
    # its colours to the true ones through the frozen gancolor.models.feature_net (0 = off).
    perceptual: float = 0.0

    def omitted(self) -> set[str]:
        """Besides the speed options, the hint settings without ``hints`` (and the prior's without
        a prior), the classification settings without ``classify`` and ``hue_jitter`` at 0: the
        config of such a run is the one it had before those settings existed (old checkpoints resume)."""
        omitted = super().omitted()
        if not self.hints:
            omitted.update(_HINT_KEYS)
        if not self.hints or self.hint_prior == "none":
            omitted.update(_PRIOR_KEYS)
        if not self.classify:
            omitted.update(_CLASSIFY_KEYS)
        if not self.hue_jitter:
            omitted.add("hue_jitter")
        if not self.perceptual:
            omitted.add("perceptual")
        return omitted


_HINT_KEYS = ("hints", "hint_p_none", "hint_max", "hint_min_size", "hint_max_size")
_PRIOR_KEYS = ("hint_prior", "hint_prior_scale")
#: step_generator stream of the hue rotations.
HUE_STREAM = 2
_CLASSIFY_KEYS = ("classify", "rebalance_lambda", "temperature")
#: Training images whose colours give the class frequencies p̃ (evenly spaced over the set).
_FREQUENCY_IMAGES = 512
#: Hint priors a hint colorizer can start from.
HINT_PRIORS = ("none", "levin")
#: step_generator stream of the simulated hints (stream 0 draws crops and flips).
HINT_STREAM = 1


class ColorizationTrainer(Trainer):
    """The pix2pix colorization task for :func:`~gancolor.train.fit`.

    Inputs:
        config: the run's settings.
        images: (N, 3, H, W) uint8 RGB training images, H, W >= config.image_size (larger ones are
            randomly cropped at each step).
        device: "cpu", "cuda", ...; None picks cuda > mps > cpu.
        precision: overrides the :class:`Precision` that ``config.precision`` and
            ``config.channels_last`` give on ``device`` (e.g. float16 autocast on the CPU, for tests).

    The step is :meth:`generate`, then :meth:`d_losses` (D's update), then :meth:`g_losses`
    (G's); :class:`~gancolor.train.engine.Trainer` runs them with the precision and, under
    torchrun, DistributedDataParallel (each rank trains on its shard of the global batch;
    BatchNorm is SyncBatchNorm on CUDA, per-rank on the CPU; dropout seeded by (seed, rank)).
    """

    name = "colorize"
    trained_by = {"G": ("G",), "D": ("D",)}

    # -- the step: pix2pix eq. 4 (the module docstring) -------------------------------------------

    def generate(self, nets: Networks, batch: dict) -> dict:
        """G(x): ab_n (B, 2, S, S) in [-1, 1] (with ``classify``, Q logits (B, Q, S, S))."""
        return {"ab": nets.G(batch["x"])}

    def d_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """D: max_D E[log D(x, y)] + E[log(1 - D(x, G(x)))], as the loss D minimises.

        G(x) is detached: this loss trains D only (G gets its own objective from the updated D).
        """
        L = batch["L"]  # noqa: N806
        L_fake = fakes.get("L", L)  # noqa: N806  (a super-resolution G outputs L too)
        real_logits = nets.D(torch.cat([L, batch["ab"]], dim=1))  # D(x, y): (B, 1, h, w) patches
        fake_logits = nets.D(torch.cat([L_fake.detach(), fakes["ab"].detach()], dim=1))  # D(x, G(x))
        loss_d = discriminator_loss(real_logits, fake_logits, kind=self.config.gan_loss)
        return loss_d, {"d": loss_d}

    def g_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """G: min_G L_cGAN(G, D) + λ L_L1(G), D only a critic; L1 alone for ``l1_only``, and
        Zhang et al.'s class-rebalanced cross-entropy over the ab bins for ``classify``; plus
        ``perceptual`` x Johnson et al.'s feature loss when set. A G that outputs L too
        (super-resolution) has L1 on its L beside the L1 on ab."""
        fake_ab, real_ab, L = fakes["ab"], batch["ab"], batch["L"]  # noqa: N806
        if self.config.classify:
            loss_cl = classification_loss(fake_ab, real_ab, self.class_weights)
            return loss_cl, {"g_cl": loss_cl}
        L_fake = fakes.get("L", L)  # noqa: N806
        loss_l1 = l1_loss(fake_ab, real_ab)  # E ||y - G(x)||_1
        if "L" in fakes:
            loss_l1 = loss_l1 + l1_loss(L_fake, L)
        loss, terms = loss_l1, {"g_l1": loss_l1}
        if not self.config.l1_only:
            loss_gan = generator_loss(nets.D(torch.cat([L_fake, fake_ab], dim=1)), kind=self.config.gan_loss)
            loss, terms = loss_gan + self.config.lambda_l1 * loss_l1, {"g_gan": loss_gan, "g_l1": loss_l1}
        if self.features is not None:  # Σ_j ||φ_j(G(x)) - φ_j(y)||² / (C_j H_j W_j)
            loss_perc = lab_perceptual_loss(self.features, L_fake, fake_ab, L, real_ab)
            loss, terms = loss + self.config.perceptual * loss_perc, {**terms, "g_perc": loss_perc}
        return loss, terms

    @property
    def updates(self) -> tuple[Update, ...]:
        """D's update, then G's (with the updated D); G's alone without D (``l1_only``, ``classify``)."""
        update_g = Update("G", self.g_losses)
        return (update_g,) if self.D is None else (Update("D", self.d_losses), update_g)

    # -- the setup ---------------------------------------------------------------------------------

    def __init__(self, config: ColorizeConfig, images: torch.Tensor,
                 device: str | torch.device | None = None, precision: Precision | None = None) -> None:
        _check_settings(config, images)
        distributed.check_batch_size(config.batch_size)
        self.config = config
        self.device = pick_device(str(device) if device is not None else None)
        self.images = images.cpu()
        self._data_id = {"num_images": len(images), "image_shape": list(images.shape[1:]),
                         "sha": data_fingerprint(self.images)}
        self.sampler = StepSampler(len(images), config.batch_size, config.seed)
        self.step = 0

        seed_everything(config.seed)  # the same seed gives the same initial weights and dropout masks
        betas = (config.beta1, config.beta2)
        self.uses_prior = config.hints and config.hint_prior != "none"
        in_channels = (HINT_CHANNELS + 2 if self.uses_prior else HINT_CHANNELS) if config.hints else 1
        self.bins = gamut_bins() if config.classify else None
        self.G = self.build_generator(in_channels)
        #: The frozen feature network of the perceptual loss (None without ``perceptual``).
        self.features = load_feature_net(device=self.device) if config.perceptual else None
        #: Zhang et al.'s class weights w (Q,) from the training set's colours (classify only).
        self.class_weights = self._class_weights() if config.classify else None
        if config.image_size % self.G.size_multiple:
            raise ValueError(f"image_size {config.image_size} must be a multiple of {self.G.size_multiple} "
                             f"for a depth-{config.depth} U-Net")
        self.modules: dict[str, torch.nn.Module] = {"G": self.G}
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=betas)}
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}
        self.D: PatchDiscriminator | None = None
        if not (config.l1_only or config.classify):
            self.D = PatchDiscriminator(in_channels=3, width=config.d_width, n_layers=config.d_layers,
                                        norm=config.norm)
            check_crop_size(self.D, config.image_size)
            self.modules["D"] = self.D
            self.optimizers["D"] = torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas)
        self._prepare(precision)

    def build_generator(self, in_channels: int) -> torch.nn.Module:
        """G: the U-Net of the config (a subclass may build another generator)."""
        config = self.config
        return UNetGenerator(in_channels=in_channels, out_channels=len(self.bins) if config.classify else 2,
                             width=config.width, depth=config.depth,
                             max_width=config.max_width, norm=config.norm, dropout=config.dropout,
                             output="logits" if config.classify else
                             "residual" if self.uses_prior else "tanh")

    def _class_weights(self) -> torch.Tensor:
        """w (Q,) of Zhang et al. (Eq. 4) from the colours of up to 512 evenly spaced training images."""
        step = max(1, len(self.images) // _FREQUENCY_IMAGES)
        _, ab_n = lab_batch(self.images[::step][:_FREQUENCY_IMAGES])
        frequencies = bin_frequencies(denormalize_ab(ab_n))
        return rebalancing_weights(frequencies, self.config.rebalance_lambda).to(self.device)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """The global training batch of ``step``, on the device, S = image_size:

        ``L`` = L_n (B, 1, S, S) in [-1, 1], ``ab`` = ab_n (B, 2, S, S) of random crops (and flips),
        ``x`` = G's input (:meth:`generator_input`). With ``hue_jitter`` the colours of a share
        of the images are turned by a random hue angle.
        """
        x = self.images[self.sampler.indices(step)]  # (B, 3, H, W) uint8
        x = random_crops_and_flips(x, self.config.image_size, step_generator(self.config.seed, step),
                                   flip=self.config.flip)
        L, ab = lab_batch(x.to(self.device))  # noqa: N806
        if self.config.hue_jitter:  # turn a share of the images' colours by a random hue angle
            hue = step_generator(self.config.seed, step, HUE_STREAM)
            turn = torch.rand(len(x), generator=hue) < self.config.hue_jitter
            angles = torch.where(turn, torch.rand(len(x), generator=hue) * 2 * torch.pi, 0.0)
            ab = rotate_hue(ab, angles)
        return {"x": self.generator_input(step, L, ab), "L": L, "ab": ab}

    def generator_input(self, step: int, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """G's input for the batch of ``step``: L_n (B, 1, S, S), or with ``hints``
        cat(L_n, hint ab_n, mask) (B, 4, S, S), the hints simulated from ``ab`` (B, 2, S, S) with
        their own generator of (seed, step), so a resumed run draws the same hints; with a
        ``hint_prior``, cat(L_n, hint ab_n, mask, prior ab_n) (B, 6, S, S)."""
        if not self.config.hints:
            return L
        config = self.config
        hint_ab, mask = sample_hints(ab, step_generator(config.seed, step, HINT_STREAM),
                                     max_hints=config.hint_max, min_size=config.hint_min_size,
                                     max_size=config.hint_max_size, p_none=config.hint_p_none)
        if self.uses_prior:
            return prior_generator_input(L, hint_ab, mask, config.hint_prior_scale)
        return generator_input(L, hint_ab, mask)

    def preview(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """What the model does on held-out uint8 photos (N, 3, S, S), S a multiple of 2**depth:
        ``input`` (the gray photo, with the simulated hints of step 0 painted in), ``output`` (G's
        colours) and ``truth``, each (N, 3, S, S) in [0, 1]."""
        L, ab = lab_batch(images.to(self.device))  # noqa: N806
        x = self.generator_input(0, L, ab)
        with eval_mode(self.G):
            out = self.G(x)
        if self.config.classify:
            out = annealed_mean(out, self.config.temperature, self.bins)
        hints = x[:, 1:3] * x[:, 3:4] if self.config.hints else torch.zeros_like(ab)
        return {"input": lab_normalized_to_rgb(L, hints), "output": lab_normalized_to_rgb(L, out),
                "truth": uint8_to_unit(images)}


def _check_settings(config: ColorizeConfig, images: torch.Tensor) -> None:
    """Refuse training images and settings that cannot train (one-line errors)."""
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3 or len(images) == 0:
        raise DataError(f"training images must be a non-empty (N, 3, H, W) uint8 tensor; "
                        f"got {tuple(images.shape)} {images.dtype}")
    if min(images.shape[-2:]) < config.image_size:
        raise DataError(f"training images are {tuple(images.shape[-2:])} px, smaller than "
                        f"image_size={config.image_size}")
    if config.gan_loss not in GAN_LOSSES:
        raise ValueError(f"unknown gan_loss {config.gan_loss!r}; choose one of {', '.join(GAN_LOSSES)}")
    if config.hints and not (1 <= config.hint_min_size <= config.hint_max_size <= config.image_size
                             and config.hint_max >= 0 and 0.0 < config.hint_p_none <= 1.0):
        raise ValueError("hint settings need 1 <= hint_min_size <= hint_max_size <= image_size, "
                         "hint_max >= 0 and 0 < hint_p_none <= 1")
    if config.hint_prior not in HINT_PRIORS or not 0.0 < config.hint_prior_scale <= 1.0:
        raise ValueError(f"hint_prior must be one of {', '.join(HINT_PRIORS)} and "
                         f"0 < hint_prior_scale <= 1; "
                         f"got {config.hint_prior!r}, {config.hint_prior_scale}")
    if config.hint_prior != "none" and not config.hints:
        raise ValueError("hint_prior needs hints=True (a prior spreads the hints)")
    if not 0.0 <= config.hue_jitter <= 1.0:
        raise ValueError(f"hue_jitter is a probability in [0, 1]; got {config.hue_jitter}")
    if config.perceptual < 0 or (config.perceptual and config.classify):
        raise ValueError(f"perceptual is a weight >= 0, without classify; got {config.perceptual}")
    if config.classify and (config.hints or not 0.0 <= config.rebalance_lambda <= 1.0
                            or not config.temperature > 0):
        raise ValueError("classify needs hints=False, 0 <= rebalance_lambda <= 1 and temperature > 0")


def export_colorizer(trainer: ColorizationTrainer, path: str | os.PathLike, half: bool = True,
                     inference_size: int | None = None) -> Path:
    """Write the generator as a colorizer file for ``gancolor.inference.load_colorizer``, atomically.

    The file holds the U-Net's class, config and weights (no D, no optimizer state), the training
    config, the number of steps done, the mode ("gan" or "l1") and the generator's input channels
    ("inputs": ["L"], or ["L", "hint_a", "hint_b", "hint_mask"] for a hint model). ``half`` stores
    the weights as float16, halving the file (8.3 MB for the default config; outputs then differ
    from float32 by ~1e-4 in ab_n, far below one 8-bit RGB level); loaders cast them back to float32.
    ``inference_size``, if given, is stored as the long side (px) at which the colorizer should
    see photos (``gancolor.inference`` has a default otherwise). Returns the path.
    """
    contents = {
        "generator": generator_record(trainer.G, half),
        "train_config": trainer.config.to_dict(),
        "steps": int(trainer.step),
        "mode": "classify" if trainer.config.classify else "l1" if trainer.config.l1_only else "gan",
        "inputs": list(PRIOR_HINT_INPUTS if trainer.uses_prior else
                       HINT_INPUTS if trainer.config.hints else PLAIN_INPUTS),
    }
    if trainer.config.classify:
        contents["decode"] = {"method": "annealed_mean", "temperature": float(trainer.config.temperature),
                              "bins": trainer.bins.clone()}
    if trainer.uses_prior:
        contents["prior"] = {"method": trainer.config.hint_prior, "scale": trainer.config.hint_prior_scale}
    if inference_size is not None:
        contents["inference_size"] = int(inference_size)
    return write_model_file(path, COLORIZER_FORMAT, contents)


def train_colorizer(
    config: ColorizeConfig,
    images: torch.Tensor,
    steps: int,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    *,
    device: str | torch.device | None = None,
    checkpoint_every: int = 500,
) -> tuple[ColorizationTrainer, History]:
    """Build a :class:`ColorizationTrainer` on ``images`` (N, 3, H, W) uint8 and :func:`fit` it for ``steps``.

    With ``out_dir``, ``out_dir/checkpoint.pt`` is kept up to date (``resume=True`` continues it).
    Export the result with :func:`export_colorizer`.
    """
    trainer = ColorizationTrainer(config, images, device=device)
    history = fit(trainer, steps, out_dir=out_dir, resume=resume, checkpoint_every=checkpoint_every,
                  progress=progress)
    return trainer, history
