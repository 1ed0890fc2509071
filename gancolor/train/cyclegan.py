"""CycleGAN (Zhu et al. 2017): two generators translate between domains A and B without paired examples.

G = G_AB: A -> B and F = G_BA: B -> A are ResNet generators; D_B judges whether an image is a
real B, D_A whether it is a real A (PatchGANs on RGB). The full objective (eq. 3, plus Sec. 5.2):

    L(G, F, D_A, D_B) = L_GAN(G, D_B, A, B) + L_GAN(F, D_A, B, A)
                        + λ L_cyc(G, F) + λ λ_idt L_idt(G, F),          λ = 10, λ_idt = 0.5

    L_cyc(G, F) = E_a ||F(G(a)) - a||_1 + E_b ||G(F(b)) - b||_1        (eq. 2)
    L_idt(G, F) = E_b ||G(b) - b||_1    + E_a ||F(a) - a||_1

Optionally (``perceptual`` = w > 0, off by default) a *feature-level* cycle term is added:

    + w [ l_feat(F(G(a)), a) + l_feat(G(F(b)), b) ],   l_feat(ŷ, y) = Σ_j ||φ_j(ŷ) - φ_j(y)||² / (C_j H_j W_j)

Johnson et al. 2016's feature reconstruction loss (eq. 2; :mod:`gancolor.losses.perceptual`) on the
cycle reconstruction, with φ the frozen encoder of the shipped stylizer
(:mod:`gancolor.models.feature_net`). The L1 cycle term asks F to undo G pixel by pixel; this one
asks the round trip to keep the edges and textures the features see, and tolerates a small
shift or blur that L1 punishes (the content term of Johnson et al.'s style transfer, applied where
CycleGAN has a target: its own input). It is our choice of where to put the term, not the paper's.

The adversarial terms alone would let G map every summer photo to *some* winter photo; the cycle
term demands that F can undo it, so G must keep the content and change only the style.
As in the paper's code, L_GAN is least squares (LSGAN, Mao et al. 2017): G minimises
E (D(G(a)) - 1)², D minimises ½ [E (D(b) - 1)² + E D(G(a))²], with D shown fakes from a pool of
50 past ones (Shrivastava et al. 2017). Adam (lr 2e-4, β1 0.5) for both generators together
and both discriminators together; the rate is constant for the first half of training, then
decays linearly to 0. One deviation from the paper, measured: G upsamples bilinearly (+ 3x3 conv)
instead of with transposed convs, which left a checkerboard pattern (Odena et al. 2016).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.functional import avg_pool2d

from gancolor.color import signed_to_unit, uint8_to_signed
from gancolor.data.unpaired import UnpairedDomains
from gancolor.losses import (
    cycle_loss,
    cyclegan_discriminator_loss,
    cyclegan_generator_loss,
    identity_loss,
)
from gancolor.losses.perceptual import perceptual_loss
from gancolor.model_files import STYLIZER_FORMAT, generator_record, write_model_file
from gancolor.models import PatchDiscriminator, ResnetGenerator
from gancolor.models.feature_net import load_feature_net
from gancolor.models.patchgan import check_crop_size
from gancolor.runtime import pick_device, seed_everything
from gancolor.train import distributed
from gancolor.train.config import TrainConfig
from gancolor.train.engine import Losses, Networks, SharedPool, Trainer, Update, eval_mode
from gancolor.train.loop import History, fit
from gancolor.train.precision import Precision
from gancolor.train.sampling import (
    step_generator,
)
from gancolor.train.schedule import linear_decay
from gancolor.train.unpaired_setup import (
    check_unpaired_settings,
    unpaired_batch,
    unpaired_data_id,
    unpaired_samplers,
)

__all__ = ["CycleGANConfig", "CycleGANTrainer", "coarse", "export_stylizer", "train_cyclegan",
           "LOSS_NAMES", "PERCEPTUAL_NAMES"]

#: The losses :meth:`CycleGANTrainer.train_step` reports, unweighted (with ``perceptual`` > 0 also
#: :data:`PERCEPTUAL_NAMES`).
LOSS_NAMES = ("g_ab", "g_ba", "cycle_a", "cycle_b", "idt_a", "idt_b", "d_a", "d_b")
#: The feature-level cycle terms l_feat(F(G(a)), a) and l_feat(G(F(b)), b), reported when ``perceptual`` > 0.
PERCEPTUAL_NAMES = ("perc_a", "perc_b")

# step_generator streams: the random choices of one step, independent of each other.
_POOL_A, _POOL_B = 2, 3  # (0 and 1: the A and B crops, unpaired_setup)


@dataclass
class CycleGANConfig(TrainConfig):
    """Everything that defines a CycleGAN run (the defaults: 64x64 crops on a CPU, under 10 MB exported)."""

    image_size: int = 64  # training crops are image_size x image_size
    batch_size: int = 1  # the paper's; ~1.8 s/step on a busy 2-core CPU (4: ~5.6 s/step)
    width: int = 32  # G: k of c7s1-k (64 in the paper)
    n_blocks: int = 6  # G: residual blocks (6 for 128 px in the paper)
    n_down: int = 2
    # G's upsampling: bilinear + conv, not the paper's transposed conv. In 300-step runs on the
    # embedded scenes it gave no checkerboard and better test PSNR / SSIM (18.4 dB / 0.60 vs
    # 17.8 dB / 0.48 summer -> winter) for ~14% more time per step.
    upsample: str = "bilinear"
    norm: str = "instance"  # G and D
    # D's own norm, None = ``norm``. Instance norm in D divides out each image's feature statistics,
    # among them how much fine texture it has: "none" lets D see that a painting is smoother than a photo.
    d_norm: str | None = None
    d_width: int = 64
    d_layers: int = 3  # 70x70 PatchGAN
    gan_loss: str = "lsgan"
    lambda_cycle: float = 10.0  # λ
    lambda_identity: float = 0.5  # λ_idt, relative to λ: the identity term weighs λ λ_idt = 5
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    pool_size: int = 50
    steps: int = 3000  # total steps: the schedule needs it (train with fit(trainer, config.steps))
    decay_steps: int | None = None  # steps of linear decay at the end; None = steps // 2
    flip: bool = True  # random horizontal flips
    # Feature-level cycle term (Johnson et al. 2016 on F(G(a)) vs a and G(F(b)) vs b, the module
    # docstring): its weight w, beside the L1 cycle term's λ; 0 = off (not computed).
    perceptual: float = 0.0
    # Residual generators, G(x) = tanh(atanh(x) + h) starting at the identity
    # (:class:`~gancolor.models.ResnetGenerator`'s ``residual``): our option, for styles that keep
    # most of the photo. Off = the paper's generators.
    residual: bool = False
    # The A cycle at 1/k resolution: ||pool_k(F(G(a))) - pool_k(a)||_1, k x k area means (1 = the paper).
    # For a B that abstracts A (a painting drops a photo's fine detail), G may then drop detail finer
    # than k px without F having to restore it: the full-resolution cycle either forbids the
    # abstraction or makes G hide the detail in faint patterns for F to read back (Chu et al. 2017).
    cycle_a_downsample: int = 1

    def omitted(self) -> set[str]:
        """Besides the speed options, ``perceptual`` at 0, ``residual`` off, ``d_norm`` None and
        ``cycle_a_downsample`` 1: the config of such a run is the one it had before the setting
        existed (old checkpoints and stylizer files resume and compare equal)."""
        off = {name for name in ("perceptual", "residual", "d_norm") if not getattr(self, name)}
        off |= {"cycle_a_downsample"} if self.cycle_a_downsample == 1 else set()
        return super().omitted() | off

    @property
    def resolved_decay_steps(self) -> int:
        """``decay_steps``, or half of ``steps`` when it is None."""
        return self.steps // 2 if self.decay_steps is None else self.decay_steps


def coarse(images: tuple[torch.Tensor, ...], factor: int) -> tuple[torch.Tensor, ...]:
    """Each (N, C, H, W) image batch as its factor x factor area means, (N, C, H / factor, W / factor)
    (``factor`` 1: unchanged)."""
    return images if factor == 1 else tuple(avg_pool2d(x, factor) for x in images)


class CycleGANTrainer(Trainer):
    """The CycleGAN task for :func:`~gancolor.train.fit` (train it for ``config.steps`` steps).

    Inputs:
        config: the run's settings.
        domains: the images of A and B, uint8, at least ``config.image_size`` px on each side
            (larger ones are randomly cropped). Paired domains are trained as unpaired: each
            domain is shuffled by its own sampler.
        device: "cpu", "cuda", ...; None picks cuda > mps > cpu.
        precision: overrides the :class:`Precision` that ``config.precision`` and
            ``config.channels_last`` give on ``device`` (e.g. float16 autocast on the CPU, for tests).

    Modules: ``G_AB`` (A -> B), ``G_BA`` (B -> A), ``D_A`` (real A?), ``D_B`` (real B?). The step is
    :meth:`generate`, :meth:`g_losses` (both generators' update), then :meth:`d_losses` (both
    discriminators'); :class:`~gancolor.train.engine.Trainer` runs them with the precision and,
    under torchrun, DistributedDataParallel (the image pools then see the fakes of all ranks).
    """

    name = "cyclegan"
    trained_by = {"G": ("G_AB", "G_BA"), "D": ("D_A", "D_B")}

    # -- the step: eq. 3 and Sec. 5.2 (the module docstring) --------------------------------------

    def generate(self, nets: Networks, batch: dict) -> dict:
        """G(a) and F(b): (B, 3, S, S) in [-1, 1]."""
        return {"fake_b": nets.G_AB(batch["real_a"]), "fake_a": nets.G_BA(batch["real_b"])}

    def g_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """G and F: min L_GAN(G, D_B) + L_GAN(F, D_A) + λ L_cyc + λ λ_idt L_idt (the Ds only critics),
        plus w [l_feat(F(G(a)), a) + l_feat(G(F(b)), b)] when ``perceptual`` = w > 0."""
        cfg, real_a, real_b = self.config, batch["real_a"], batch["real_b"]
        fake_a, fake_b = fakes["fake_a"], fakes["fake_b"]
        rec_a, rec_b = nets.G_BA(fake_b), nets.G_AB(fake_a)  # F(G(a)), G(F(b))
        terms = {
            "g_ab": cyclegan_generator_loss(nets.D_B(fake_b), cfg.gan_loss),  # E (D_B(G(a)) - 1)²
            "g_ba": cyclegan_generator_loss(nets.D_A(fake_a), cfg.gan_loss),  # E (D_A(F(b)) - 1)²
            "cycle_a": cycle_loss(*coarse((rec_a, real_a), cfg.cycle_a_downsample)),  # E ||F(G(a)) - a||_1
            "cycle_b": cycle_loss(rec_b, real_b),  # E ||G(F(b)) - b||_1
            "idt_a": 0.0, "idt_b": 0.0,  # reported as 0 when λ_idt = 0 (then not computed)
        }
        loss = terms["g_ab"] + terms["g_ba"] + cfg.lambda_cycle * (terms["cycle_a"] + terms["cycle_b"])
        if self.features is not None:  # w [Σ_j ||φ_j(F(G(a))) - φ_j(a)||² / (C_j H_j W_j) + (same for b)]
            terms["perc_a"] = perceptual_loss(self.features, rec_a, real_a)
            terms["perc_b"] = perceptual_loss(self.features, rec_b, real_b)
            loss = loss + cfg.perceptual * (terms["perc_a"] + terms["perc_b"])
        if cfg.lambda_identity > 0:
            terms["idt_a"] = identity_loss(nets.G_BA(real_a), real_a)  # E ||F(a) - a||_1
            terms["idt_b"] = identity_loss(nets.G_AB(real_b), real_b)  # E ||G(b) - b||_1
            loss = loss + cfg.lambda_cycle * cfg.lambda_identity * (terms["idt_a"] + terms["idt_b"])
        return loss, terms

    def d_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """D_A and D_B: min ½ [E (D(real) - 1)² + E D(fake)²] on the fakes of this step, detached
        and mixed with past fakes from the pools. They share no weights: one backward trains both."""
        step, seed, kind = batch["step"], self.config.seed, self.config.gan_loss
        pooled_a = self.pool_a.query(fakes["fake_a"], step_generator(seed, step, _POOL_A))
        pooled_b = self.pool_b.query(fakes["fake_b"], step_generator(seed, step, _POOL_B))
        loss_d_a = cyclegan_discriminator_loss(nets.D_A(batch["real_a"]), nets.D_A(pooled_a), kind)
        loss_d_b = cyclegan_discriminator_loss(nets.D_B(batch["real_b"]), nets.D_B(pooled_b), kind)
        return loss_d_a + loss_d_b, {"d_a": loss_d_a, "d_b": loss_d_b}

    @property
    def updates(self) -> tuple[Update, ...]:
        """Both generators' update, then both discriminators' (as in the paper's code)."""
        return Update("G", self.g_losses), Update("D", self.d_losses)

    # -- the setup ---------------------------------------------------------------------------------

    def __init__(self, config: CycleGANConfig, domains: UnpairedDomains,
                 device: str | torch.device | None = None, precision: Precision | None = None) -> None:
        check_unpaired_settings(config, domains)
        if config.cycle_a_downsample < 1 or config.image_size % config.cycle_a_downsample:
            raise ValueError(f"cycle_a_downsample must be >= 1 and divide image_size {config.image_size}; "
                             f"got {config.cycle_a_downsample}")
        if not config.perceptual >= 0:
            raise ValueError(f"perceptual is a weight >= 0 (0 = off); got {config.perceptual}")
        distributed.check_batch_size(config.batch_size)
        self.config = config
        self.domains = domains
        self.device = pick_device(str(device) if device is not None else None)
        self.images_a, self.images_b = domains.a.cpu(), domains.b.cpu()
        self._data_id = unpaired_data_id(domains)
        # Two independent shuffles: the A and B of a step are different scenes (but by chance).
        self.sampler_a, self.sampler_b = unpaired_samplers(domains, config.batch_size, config.seed)
        self.pool_a, self.pool_b = SharedPool(config.pool_size), SharedPool(config.pool_size)
        self.step = 0

        seed_everything(config.seed)  # the same seed gives the same initial weights

        def generator() -> ResnetGenerator:
            return ResnetGenerator(3, 3, width=config.width, n_blocks=config.n_blocks, n_down=config.n_down,
                                   norm=config.norm, upsample=config.upsample, residual=config.residual)

        def discriminator() -> PatchDiscriminator:
            return PatchDiscriminator(3, width=config.d_width, n_layers=config.d_layers,
                                      norm=config.d_norm or config.norm)

        self.G_AB, self.G_BA = generator(), generator()
        self.D_A, self.D_B = discriminator(), discriminator()
        #: The frozen feature network of the feature-level cycle term (None without ``perceptual``).
        self.features = load_feature_net(device=self.device) if config.perceptual else None
        check_crop_size(self.D_A, config.image_size)
        multiple = self.G_AB.size_multiple
        if config.image_size % multiple or config.image_size < self.G_AB.min_size:
            raise ValueError(f"image_size {config.image_size} must be a multiple of {multiple} and at least "
                             f"{self.G_AB.min_size} for n_down={config.n_down}")
        self.modules: dict[str, torch.nn.Module] = {"G_AB": self.G_AB, "G_BA": self.G_BA,
                                                    "D_A": self.D_A, "D_B": self.D_B}
        betas = (config.beta1, config.beta2)
        # One optimizer per pair, as in the paper's code: G_AB and G_BA share the loss L(G, F, ...).
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam(itertools.chain(self.G_AB.parameters(), self.G_BA.parameters()),
                                  lr=config.lr, betas=betas),
            "D": torch.optim.Adam(itertools.chain(self.D_A.parameters(), self.D_B.parameters()),
                                  lr=config.lr, betas=betas),
        }
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {
            name: linear_decay(optimizer, config.steps, config.resolved_decay_steps)
            for name, optimizer in self.optimizers.items()
        }
        self._prepare(precision)

    def extra_state(self) -> dict:
        """The image pools (saved in checkpoints next to the modules)."""
        return {"pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict()}

    def load_extra_state(self, state: dict) -> None:
        self.pool_a.load_state_dict(state["pool_a"])
        self.pool_b.load_state_dict(state["pool_b"])

    def batch(self, step: int) -> dict:
        """The (unpaired) global batches of ``step``: ``real_a``, ``real_b`` (B, 3, S, S) in [-1, 1],
        S = image_size, on the device; ``step`` (the pools' random choices depend on it)."""
        return unpaired_batch((self.images_a, self.images_b), (self.sampler_a, self.sampler_b), self.config,
                              step, self.device)

    def preview(self, domains: UnpairedDomains) -> dict[str, torch.Tensor]:
        """Both translations of held-out crops (S, S px, S a multiple of G's): A | G(A) | B | F(B),
        with B the true translation of A when ``domains`` are paired; each (N, 3, S, S) in [0, 1]."""
        a, b = (uint8_to_signed(images.to(self.device)) for images in (domains.a, domains.b))
        with eval_mode(self.G_AB, self.G_BA):
            fake_b, fake_a = self.G_AB(a), self.G_BA(b)
        name_a, name_b = self.domains.names
        truth_b = f"true {name_b}" if domains.paired else name_b
        shown = {name_a: a, f"{name_a} -> {name_b}": fake_b, truth_b: b, f"{name_b} -> {name_a}": fake_a}
        return {name: signed_to_unit(x) for name, x in shown.items()}


def export_stylizer(trainer: CycleGANTrainer, path: str | os.PathLike, half: bool = True,
                    inference_size: int = 256) -> Path:
    """Write both generators as a stylizer file for :func:`gancolor.stylize.load_stylizer`, atomically.

    The file holds, for ``"AtoB"`` (G_AB) and ``"BtoA"`` (G_BA), the class, config and weights (no
    D, no optimizer state, no pools), the domain names, the training config, the steps done and
    ``inference_size``, the long side (px) at which photos are stylized. ``half`` stores the
    weights as float16 (7.9 MB = 7.5 MiB for the default config, 2 x 1.97 M parameters; outputs
    within ~1e-3 of float32); the loader casts them back to float32. Returns the path.
    """
    return write_model_file(path, STYLIZER_FORMAT, {
        "generators": {"AtoB": generator_record(trainer.G_AB, half),
                       "BtoA": generator_record(trainer.G_BA, half)},
        "domains": list(trainer.domains.names),
        "source": trainer.domains.source,
        "train_config": trainer.config.to_dict(),
        "steps": int(trainer.step),
        "inference_size": int(inference_size),
    })


def train_cyclegan(
    config: CycleGANConfig,
    domains: UnpairedDomains,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    *,
    device: str | torch.device | None = None,
    checkpoint_every: int = 500,
) -> tuple[CycleGANTrainer, History]:
    """Build a :class:`CycleGANTrainer` and :func:`fit` it for ``config.steps`` steps.

    With ``out_dir``, ``out_dir/checkpoint.pt`` is kept up to date (``resume=True`` continues it).
    Export the result with :func:`export_stylizer`.
    """
    trainer = CycleGANTrainer(config, domains, device=device)
    history = fit(trainer, config.steps, out_dir=out_dir, resume=resume, checkpoint_every=checkpoint_every,
                  progress=progress)
    return trainer, history
