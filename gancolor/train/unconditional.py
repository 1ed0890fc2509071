"""Unconditional DCGAN training (Radford et al. 2015) with any of the package's GAN objectives.

The task notebook 02 uses to compare objectives on equal budgets. One step, for the batch of
real images x of ``step``:

    D step (``n_critic`` times):  min_D  L_D(D(x), D(G(z)))  [+ λ · GP]    (G(z) detached)
    G step:                       min_G  L_G(D(G(z)))                       (D frozen)

The G step reuses the fakes of the last D step (one forward pass of G per step, as in notebook
02's ``train_step``), now judged by the updated D.

with L_D, L_G from :func:`gancolor.losses.discriminator_loss` / :func:`generator_loss`
(``"nonsaturating"``, ``"lsgan"``, ``"hinge"``, ``"wgan"`` ...) and GP the WGAN-GP penalty
E[(||∇_x̂ D(x̂)||₂ - 1)²] of Gulrajani et al. 2017 when ``gp_weight`` = λ > 0.

Everything random is a function of (seed, step): the batch (:class:`StepSampler`), the noise z and
the penalty's interpolation weights are drawn on the CPU from :func:`step_generator`, so a run
gives the same batches on every device and resumes exactly (:func:`gancolor.train.fit`).

    trainer, history = train_dcgan(DCGANConfig(loss="hinge", spectral_norm=True, d_norm="none"),
                                   images, steps=300)
    samples = trainer.sample()    # (16, 3, 32, 32) in [0, 1], from fixed noise
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from gancolor.color import uint8_to_signed
from gancolor.errors import DataError
from gancolor.losses import GAN_LOSSES, discriminator_loss, generator_loss, gradient_penalty
from gancolor.models import DCGANDiscriminator, DCGANGenerator
from gancolor.models.dcgan import IMAGE_SIZES
from gancolor.runtime import pick_device, seed_everything
from gancolor.train import distributed
from gancolor.train.config import TrainConfig
from gancolor.train.engine import Losses, Networks, Trainer, Update
from gancolor.train.loop import History, fit
from gancolor.train.precision import Precision
from gancolor.train.sampling import StepSampler, data_fingerprint, step_generator

__all__ = ["DCGANConfig", "DCGANTrainer", "train_dcgan", "prepare_images"]

# Streams of step_generator(seed, step, stream): independent random numbers within one step.
_Z, _GP = 0, 1


@dataclass
class DCGANConfig(TrainConfig):
    """Everything that defines a DCGAN run (the defaults train 32x32 images on a CPU)."""

    image_size: int = 32  # 32 or 64
    z_dim: int = 100
    width: int = 32  # G's last hidden stage and D's first conv have `width` channels
    batch_size: int = 32
    loss: str = "nonsaturating"  # one of gancolor.losses.GAN_LOSSES
    gp_weight: float = 0.0  # λ of the WGAN-GP penalty (10 in the paper); 0: no penalty
    g_norm: str = "batch"
    d_norm: str = "batch"  # "none" for WGAN-GP: its penalty is per sample
    spectral_norm: bool = False  # D's convs divided by their largest singular value (Miyato 2018)
    upsample: str = "transpose"  # G: "transpose" (paper) or "nearest" (no checkerboard)
    n_critic: int = 1  # D steps per G step (WGAN-GP's paper: 5)
    lr: float = 2e-4  # Adam, both networks (Radford et al.: 2e-4, beta1 = 0.5)
    beta1: float = 0.5
    beta2: float = 0.999


def prepare_images(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """uint8 images (N, C, H, W) -> float (N, C, image_size, image_size) in [-1, 1] (G's Tanh range).

    Other sizes are resized by area averaging (each output pixel is the mean of the input pixels
    it covers: a 2x2 block when halving), which does not alias the way subsampling would.
    """
    if images.dtype != torch.uint8 or images.dim() != 4 or len(images) == 0:
        raise DataError(f"training images must be a non-empty (N, C, H, W) uint8 tensor; "
                        f"got {tuple(images.shape)} {images.dtype}")
    x = uint8_to_signed(images)  # [0, 255] -> [-1, 1]
    if tuple(x.shape[-2:]) != (image_size, image_size):
        x = F.interpolate(x, size=(image_size, image_size), mode="area")
    return x


class DCGANTrainer(Trainer):
    """The DCGAN task for :func:`~gancolor.train.fit`: G makes images from noise, D tells them from real.

    Inputs:
        config: the run's settings.
        images: (N, C, H, W) uint8 training images, resized to ``config.image_size`` if needed.
        device: "cpu", "cuda", ...; None picks cuda > mps > cpu.
        precision: overrides the :class:`Precision` that ``config.precision`` and
            ``config.channels_last`` give on ``device`` (e.g. float16 autocast on the CPU, for tests).

    The step is :meth:`generate`, ``n_critic`` updates of D (:meth:`d_losses`), then one of G
    (:meth:`g_losses`).
    """

    name = "dcgan"
    trained_by = {"G": ("G",), "D": ("D",)}
    preview_needs_data = False  # its samples come from fixed noise

    # -- the step (the module docstring) -----------------------------------------------------------

    def generate(self, nets: Networks, batch: dict) -> dict:
        """G(z) for each D update, (B, C, S, S) in [-1, 1]; only the last keeps its graph: the G
        update judges it again with the updated D (one forward pass of G per D update)."""
        last = len(batch["z"]) - 1
        fakes = []
        for k, z in enumerate(batch["z"]):
            with torch.set_grad_enabled(k == last):
                fakes.append(nets.G(z))
        return {"fake": fakes}

    def d_losses(self, nets: Networks, batch: dict, fakes: dict, k: int = 0) -> Losses:
        """D's update number ``k``: min_D L_D(D(x), D(G(z))) [+ λ GP], G(z) detached (this loss
        must not train G, and the backward pass stops at the fakes)."""
        real, fake = batch["real"][k], fakes["fake"][k].detach()
        loss_d = discriminator_loss(nets.D(real), nets.D(fake), kind=self.config.loss)
        if self.config.gp_weight == 0:
            return loss_d, {"d": loss_d}
        # L_D + λ E[(||∇D(x̂)|| - 1)²], x̂ on the lines between reals and fakes
        penalty = gradient_penalty(nets.D, real, fake, eps=batch["gp_eps"][k])
        return loss_d + self.config.gp_weight * penalty, {"d": loss_d, "gp": penalty}

    def g_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """G: min_G L_G(D(G(z))), through the updated D (only a judge here) into G."""
        loss_g = generator_loss(nets.D(fakes["fake"][-1]), kind=self.config.loss)
        return loss_g, {"g": loss_g}

    @property
    def updates(self) -> tuple[Update, ...]:
        """``n_critic`` updates of D, then one of G."""
        critic = tuple(Update("D", partial(self.d_losses, k=k)) for k in range(self.config.n_critic))
        return (*critic, Update("G", self.g_losses))

    # -- the setup ---------------------------------------------------------------------------------

    def __init__(self, config: DCGANConfig, images: torch.Tensor,
                 device: str | torch.device | None = None, precision: Precision | None = None) -> None:
        if config.loss not in GAN_LOSSES:
            raise ValueError(f"unknown loss {config.loss!r}; choose one of {', '.join(GAN_LOSSES)}")
        if config.image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}; got {config.image_size}")
        if config.gp_weight < 0 or config.n_critic < 1 or config.batch_size < 1:
            raise ValueError(f"need gp_weight >= 0, n_critic >= 1, batch_size >= 1; got "
                             f"{config.gp_weight}, {config.n_critic}, {config.batch_size}")
        if config.gp_weight > 0 and config.d_norm == "batch":
            raise ValueError("the gradient penalty is per sample, but batch norm mixes the samples of a "
                             "batch: use d_norm='none' (or 'instance') with gp_weight > 0")
        distributed.check_batch_size(config.batch_size)
        self.config = config
        self.device = pick_device(str(device) if device is not None else None)
        prepared = prepare_images(images, config.image_size)
        self._data_id = {"num_images": len(images), "image_shape": list(images.shape[1:]),
                         "sha": data_fingerprint(images)}
        self.images = prepared.to(self.device)  # (N, C, S, S) in [-1, 1]
        channels = prepared.shape[1]
        self.sampler = StepSampler(len(prepared), config.batch_size, config.seed)
        self.step = 0

        seed_everything(config.seed)  # the same seed gives the same initial weights
        self.G = DCGANGenerator(z_dim=config.z_dim, out_channels=channels, width=config.width,
                                image_size=config.image_size, upsample=config.upsample, norm=config.g_norm)
        self.D = DCGANDiscriminator(in_channels=channels, width=config.width, image_size=config.image_size,
                                    norm=config.d_norm, spectral_norm=config.spectral_norm)
        betas = (config.beta1, config.beta2)
        self.modules: dict[str, torch.nn.Module] = {"G": self.G, "D": self.D}
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=betas),
            "D": torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas),
        }
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}
        # The noise that sample() turns into images: the same for every run of the same seed.
        self.fixed_z = torch.randn(16, config.z_dim, generator=torch.Generator().manual_seed(config.seed))
        self._prepare(precision)

    def noise(self, step: int, stream: int, n: int | None = None) -> torch.Tensor:
        """z ~ N(0, I) for ``step``: (n or batch_size, z_dim) on the device, drawn on the CPU."""
        n = self.config.batch_size if n is None else n
        z = torch.randn(n, self.config.z_dim, generator=step_generator(self.config.seed, step, stream))
        return z.to(self.device)

    def real_batch(self, index: int) -> torch.Tensor:
        """Real batch number ``index``: (batch_size, C, S, S) in [-1, 1] on the device."""
        return self.images[self.sampler.indices(index).to(self.images.device)]

    def batch(self, step: int) -> dict:
        """What the D updates of ``step`` see, one entry each (update k is batch number
        ``step * n_critic + k``): ``real`` [(B, C, S, S)], ``z`` [(B, z_dim)] and, with a gradient
        penalty, its interpolation weights ``gp_eps`` [(B, 1, 1, 1)] in [0, 1]."""
        cfg = self.config
        indices = [step * cfg.n_critic + k for k in range(cfg.n_critic)]
        batch = {"real": [self.real_batch(i) for i in indices], "z": [self.noise(i, _Z) for i in indices]}
        if cfg.gp_weight > 0:
            batch["gp_eps"] = [torch.rand(cfg.batch_size, 1, 1, 1, generator=step_generator(cfg.seed, i, _GP))
                               for i in indices]
        return batch

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """Images G(z) in [0, 1]: (N, C, S, S) on the CPU; ``z`` defaults to :attr:`fixed_z` (16 images).

        G runs in eval mode (batch norm uses its running statistics, so each image depends on
        its own z only) and is put back in the mode it was in.
        """
        z = self.fixed_z if z is None else z
        was_training = self.G.training
        self.G.eval()
        try:
            images = self.G(z.to(self.device))
        finally:
            self.G.train(was_training)
        return ((images + 1) / 2).clamp(0, 1).cpu()

    def preview(self, data: object = None) -> dict[str, torch.Tensor]:
        """The 16 images G makes from :attr:`fixed_z`, as 4 columns of 4, (4, C, S, S) in [0, 1]."""
        samples = self.sample()
        if samples.shape[1] == 1:
            samples = samples.expand(-1, 3, -1, -1)
        return {f"z {4 * k}-{4 * k + 3}": samples[4 * k:4 * k + 4] for k in range(4)}


def train_dcgan(
    config: DCGANConfig,
    images: torch.Tensor,
    steps: int,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    *,
    device: str | torch.device | None = None,
    checkpoint_every: int = 500,
) -> tuple[DCGANTrainer, History]:
    """Build a :class:`DCGANTrainer` on ``images`` (N, C, H, W) uint8 and :func:`fit` it for ``steps``.

    With ``out_dir``, ``out_dir/checkpoint.pt`` is kept up to date (``resume=True`` continues it).
    Returns the trainer (``trainer.G``, ``trainer.sample()``) and the loss history.
    """
    trainer = DCGANTrainer(config, images, device=device)
    history = fit(trainer, steps, out_dir=out_dir, resume=resume, checkpoint_every=checkpoint_every,
                  progress=progress)
    return trainer, history
