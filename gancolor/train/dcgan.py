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
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F

from gancolor.errors import DataError
from gancolor.losses import GAN_LOSSES, discriminator_loss, generator_loss, gradient_penalty
from gancolor.models import DCGANDiscriminator, DCGANGenerator
from gancolor.models.dcgan import IMAGE_SIZES
from gancolor.runtime import pick_device, seed_everything
from gancolor.train.loop import History, fit
from gancolor.train.sampling import StepSampler, data_fingerprint, step_generator

__all__ = ["DCGANConfig", "DCGANTrainer", "train_dcgan", "prepare_images"]

# Streams of step_generator(seed, step, stream): independent random numbers within one step.
_Z, _GP = 0, 1


@dataclass
class DCGANConfig:
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
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DCGANConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown DCGANConfig setting(s): {', '.join(unknown)}")
        return cls(**data)


def prepare_images(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """uint8 images (N, C, H, W) -> float (N, C, image_size, image_size) in [-1, 1] (G's Tanh range).

    Other sizes are resized by area averaging (each output pixel is the mean of the input pixels
    it covers: a 2x2 block when halving), which does not alias the way subsampling would.
    """
    if images.dtype != torch.uint8 or images.dim() != 4 or len(images) == 0:
        raise DataError(f"training images must be a non-empty (N, C, H, W) uint8 tensor; "
                        f"got {tuple(images.shape)} {images.dtype}")
    x = images.float() / 127.5 - 1  # [0, 255] -> [-1, 1]
    if tuple(x.shape[-2:]) != (image_size, image_size):
        x = F.interpolate(x, size=(image_size, image_size), mode="area")
    return x


class DCGANTrainer:
    """The DCGAN task for :func:`~gancolor.train.fit`: G makes images from noise, D tells them from real.

    Inputs:
        config: the run's settings.
        images: (N, C, H, W) uint8 training images, resized to ``config.image_size`` if needed.
        device: "cpu", "cuda", ...; None picks cuda > mps > cpu.
    """

    name = "dcgan"

    def __init__(self, config: DCGANConfig, images: torch.Tensor,
                 device: str | torch.device | None = None) -> None:
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
                                image_size=config.image_size, upsample=config.upsample,
                                norm=config.g_norm).to(self.device)
        self.D = DCGANDiscriminator(in_channels=channels, width=config.width, image_size=config.image_size,
                                    norm=config.d_norm, spectral_norm=config.spectral_norm).to(self.device)
        betas = (config.beta1, config.beta2)
        self.modules: dict[str, torch.nn.Module] = {"G": self.G, "D": self.D}
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=betas),
            "D": torch.optim.Adam(self.D.parameters(), lr=config.lr, betas=betas),
        }
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}
        # The noise that sample() turns into images: the same for every run of the same seed.
        self.fixed_z = torch.randn(16, config.z_dim, generator=torch.Generator().manual_seed(config.seed))

    def config_dict(self) -> dict:
        return {**self.config.to_dict(), "data": dict(self._data_id)}

    def noise(self, step: int, stream: int, n: int | None = None) -> torch.Tensor:
        """z ~ N(0, I) for ``step``: (n or batch_size, z_dim) on the device, drawn on the CPU."""
        n = self.config.batch_size if n is None else n
        z = torch.randn(n, self.config.z_dim, generator=step_generator(self.config.seed, step, stream))
        return z.to(self.device)

    def batch(self, index: int) -> torch.Tensor:
        """Real batch number ``index``: (batch_size, C, S, S) in [-1, 1] on the device."""
        return self.images[self.sampler.indices(index).to(self.images.device)]

    def train_step(self, step: int) -> dict[str, float]:
        """``n_critic`` D steps, then one G step on the fakes of the last D step.

        Returns: {"d": D's loss without the penalty, "g": G's loss} and, with ``gp_weight`` > 0,
        "gp": the unweighted penalty (all from the last D step).
        """
        config = self.config
        opt_d, opt_g = self.optimizers["D"], self.optimizers["G"]
        losses: dict[str, float] = {}
        for k in range(config.n_critic):
            index = step * config.n_critic + k
            last = k == config.n_critic - 1
            real = self.batch(index)
            with torch.set_grad_enabled(last):  # only the last fakes go on to the G step
                fake = self.G(self.noise(index, _Z))
            # fake.detach(): the D step must not train G (and stops the backward pass at the fakes)
            loss_d = discriminator_loss(self.D(real), self.D(fake.detach()), kind=config.loss)
            total = loss_d
            if config.gp_weight > 0:
                penalty = gradient_penalty(self.D, real, fake,
                                           generator=step_generator(config.seed, index, _GP))
                total = loss_d + config.gp_weight * penalty  # L_D + λ E[(||∇D(x̂)|| - 1)²]
                losses["gp"] = penalty.item()
            opt_d.zero_grad(set_to_none=True)
            total.backward()
            opt_d.step()
            losses["d"] = loss_d.item()

        self.D.requires_grad_(False)  # D is only a judge here: skip its weight gradients
        loss_g = generator_loss(self.D(fake), kind=config.loss)  # through the updated D into G
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        self.D.requires_grad_(True)
        losses["g"] = loss_g.item()
        return losses

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
