"""One model, two jobs: colorize (pix2pix) and stylize to winter (CycleGAN) with one shared encoder.

The generator G = :class:`~gancolor.models.multitask.MultiTaskGenerator` reads the lightness L of a
photo once and answers twice: G_ab(L), its colours, and S(L), the photo as a winter photo. Each job
keeps the objective it has on its own:

colour job (paired, pix2pix; x a summer photo, L(x) its lightness, ab(x) its colours):

    J_colour = L_GAN(G_ab, D_col) + λ_L1 ||ab(x) - G_ab(L(x))||_1            λ_L1 = 100

style job (unpaired, CycleGAN with a gray input; y a winter photo; F: winter RGB -> summer RGB, a
ResNet generator; D_B judges winter RGB, D_A summer RGB; LSGAN, pooled fakes):

    J_style = L_GAN(S, D_B) + L_GAN(F, D_A)
              + λ_cyc (||F(S(L(x))) - x||_1 + ||S(L(F(y))) - y||_1)              λ_cyc = 10
              + λ_cyc λ_idt (||S(L(y)) - y||_1 + ||F(x) - x||_1)                  λ_idt = 0.5

The first cycle turns the gray summer photo into winter and back into its *colour* version, so
S must keep the content; the second one starts from a real winter photo. The identity terms ask S
to leave a winter photo winter: S(L(y)) ≈ y is a paired, supervised "colorize winter photos"
signal that the gray input makes available (in plain CycleGAN it is just a regulariser).

G and F minimise  J = w_colour J_colour + w_style J_style  (:func:`multitask_loss`).

Why the weights matter only on the shared encoder: with Adam, each parameter's step is
(nearly) invariant to the scale of its own gradient. The colour decoder sees only J_colour and
the style decoder and F see only J_style, so w_colour and w_style change nothing for them; on
the shared encoder the two gradients add, and their ratio w_colour |∇J_colour| : w_style |∇J_style|
decides which job the shared features serve. :func:`job_gradient_norms` measures the two norms.

The default is w_colour = w_style = 1, i.e. each job keeps its paper's weights (λ_L1 = 100,
λ_cyc = 10) and nothing else. Measured on the embedded scenes (default config, batch 1, averaged
over 8 batches): the two encoder gradients are of the same size at initialisation, and from a
few hundred steps on the colour job's is ~2.5x the style job's (15 vs 6 at step 250, 19 vs 7.5
at step 500). Rebalancing them to 1:1 (w_style = 2.5) changed neither head's test PSNR by more
than 0.1 dB after 250 steps: at this capacity the jobs do not compete for the encoder, so the
simplest weighting stays. Raise w_style if a bigger dataset or a smaller encoder makes them compete.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from gancolor.color import (
    lab_normalized_to_rgb,
    normalize_lightness,
    rgb_to_lab,
    signed_to_unit,
    uint8_to_signed,
    uint8_to_unit,
)
from gancolor.data.lab import lab_batch
from gancolor.data.unpaired import UnpairedDomains
from gancolor.losses import cycle_loss, identity_loss, l1_loss
from gancolor.losses import cyclegan_discriminator_loss as gan_d_loss
from gancolor.losses import cyclegan_generator_loss as gan_g_loss
from gancolor.model_files import MULTITASK_FORMAT, generator_record, write_model_file
from gancolor.models.multitask import MultiTaskGenerator
from gancolor.models.patchgan import PatchDiscriminator, check_crop_size
from gancolor.models.resnet import ResnetGenerator
from gancolor.runtime import pick_device, seed_everything
from gancolor.train import distributed
from gancolor.train.config import TrainConfig
from gancolor.train.engine import Losses, Networks, SharedPool, Trainer, Update, eval_mode
from gancolor.train.precision import Precision
from gancolor.train.sampling import (
    random_crops_and_flips,
    step_generator,
)
from gancolor.train.schedule import linear_decay
from gancolor.train.unpaired_setup import check_unpaired_settings, unpaired_data_id, unpaired_samplers

__all__ = [
    "MultiTaskConfig",
    "MultiTaskTrainer",
    "multitask_loss",
    "job_gradient_norms",
    "export_multitask",
    "lightness_n",
    "LOSS_NAMES",
]

#: The losses :meth:`MultiTaskTrainer.train_step` reports, unweighted (idt_* only when lambda_identity > 0).
LOSS_NAMES = ("colour_gan", "colour_l1", "style_gan", "f_gan", "cycle_summer", "cycle_winter",
              "idt_style", "idt_f", "d_colour", "d_summer", "d_winter", "colour_job", "style_job")

# step_generator streams of one step: independent random choices.
_CROPS_SUMMER, _CROPS_WINTER, _POOL_SUMMER, _POOL_WINTER = 0, 1, 2, 3


@dataclass
class MultiTaskConfig(TrainConfig):
    """Everything that defines a multi-task run (defaults: 64x64 on a CPU, exported file under 10 MB)."""

    image_size: int = 64  # training crops are image_size x image_size
    batch_size: int = 1  # as CycleGAN; CPU s/step 0.53 at 1, 1.63 at 4 (transpose): 3x the updates
    # G: the shared-encoder U-Net (see MultiTaskGenerator)
    width: int = 32
    depth: int = 5  # image_size must be a multiple of 2**depth
    max_width: int = 192  # the fp16 export: 6.1 MB (with transposed convs 9.1 MB; at 256, 13 MB)
    norm: str = "instance"  # G, F and the Ds: per-image statistics (CycleGAN)
    dropout: float = 0.0  # no dropout (as CycleGAN): it would only add noise to the cycle losses
    # Both measured on the embedded test scenes after 250 steps (style head PSNR / SSIM vs winter):
    # transpose, direct 17.97 / 0.44 (checkerboard, layout lost); transpose, residual 18.35 / 0.56;
    # bilinear, residual 19.29 / 0.71 (colour head unchanged, ~21.8 dB), for 15% more time per step.
    upsample: str = "bilinear"
    style_residual: bool = True  # the style head predicts a change to the gray photo
    # F: winter RGB -> summer RGB (a CycleGAN ResNet generator; only used for training)
    f_width: int = 32
    f_blocks: int = 6
    # the three PatchGANs: D_col on cat(L, ab), D_A on summer RGB, D_B on winter RGB
    d_width: int = 32
    d_layers: int = 3
    gan_loss: str = "lsgan"
    lambda_l1: float = 100.0  # colour job: λ_L1 (pix2pix)
    lambda_cycle: float = 10.0  # style job: λ_cyc (CycleGAN)
    lambda_identity: float = 0.5  # style job: λ_idt, relative to λ_cyc (0 switches the identity terms off)
    weight_colour: float = 1.0  # w_colour, see multitask_loss and the module docstring for the choice
    weight_style: float = 1.0  # w_style
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    pool_size: int = 50
    steps: int = 2500  # total, for the schedule (fit(trainer, config.steps)); ~26 min CPU at 0.63 s/step
    decay_steps: int | None = None  # steps of linear decay at the end; None = steps // 2
    flip: bool = True

    @property
    def resolved_decay_steps(self) -> int:
        """``decay_steps``, or half of ``steps`` when it is None."""
        return self.steps // 2 if self.decay_steps is None else self.decay_steps

    @property
    def weights(self) -> dict[str, float]:
        """``{"colour": weight_colour, "style": weight_style}``, for :func:`multitask_loss`."""
        return {"colour": self.weight_colour, "style": self.weight_style}


def multitask_loss(losses: Mapping[str, torch.Tensor], weights: Mapping[str, float]) -> torch.Tensor:
    """The multi-task objective: the weighted sum  Σ_k w_k L_k  of the jobs' losses.

    Inputs: ``losses`` {job: scalar tensor}, e.g. {"colour": J_colour, "style": J_style};
    ``weights`` {job: w_k >= 0}, one per job (no more, no fewer).
    Returns: a scalar tensor (gradients flow to every job with w_k > 0).
    """
    if set(losses) != set(weights):
        raise ValueError(f"need one weight per loss: losses {sorted(losses)}, weights {sorted(weights)}")
    if not losses:
        raise ValueError("no losses to combine")
    for name, weight in weights.items():
        if not (math.isfinite(float(weight)) and float(weight) >= 0):
            raise ValueError(f"weight {name!r} must be finite and >= 0; got {weight}")
    for name, loss in losses.items():
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            got = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ValueError(f"loss {name!r} must be a scalar tensor; got {got}")
    return sum(float(weights[name]) * loss for name, loss in losses.items())  # type: ignore[return-value]


def lightness_n(rgb_n: torch.Tensor) -> torch.Tensor:
    """The normalised lightness of RGB images, differentiably: (N, 3, H, W) in [-1, 1] -> L_n (N, 1, H, W).

    How S sees F's fake summer photo in the second cycle, S(L(F(y))).
    """
    return normalize_lightness(rgb_to_lab(signed_to_unit(rgb_n))[:, :1])


class MultiTaskTrainer(Trainer):
    """The multi-task (colour + winter style) task for :func:`~gancolor.train.fit`; train ``config.steps``.

    Inputs:
        config: the run's settings.
        domains: ``a`` = summer photos (colour ground truth, and domain A of the style job),
            ``b`` = winter photos (domain B), uint8, at least ``image_size`` px on each side.
            Paired domains (the embedded scenes) are trained as unpaired: each has its own sampler.
        device: "cpu", "cuda", ...; None picks cuda > mps > cpu.
        precision: overrides the :class:`Precision` that ``config.precision`` and
            ``config.channels_last`` give on ``device`` (e.g. float16 autocast on the CPU, for tests).

    Modules: ``G`` (the shared model that is exported), ``F`` (winter -> summer, training only),
    ``D_colour``, ``D_summer``, ``D_winter``. Optimizers: ``G`` (G and F), ``D`` (the three Ds).
    The step is :meth:`generate`, :meth:`g_losses` (G and F), then :meth:`d_losses` (the Ds).
    """

    name = "multitask"
    trained_by = {"G": ("G", "F"), "D": ("D_colour", "D_summer", "D_winter")}

    # -- the step: J = w_colour J_colour + w_style J_style (the module docstring) -----------------

    def generate(self, nets: Networks, batch: dict) -> dict:
        """One pass of the shared encoder for both heads: G_ab(L(x)) (B, 2, S, S) and S(L(x))
        (B, 3, S, S); and F(y) (B, 3, S, S)."""
        fake_ab, fake_winter = nets.G(batch["L"])
        return {"fake_ab": fake_ab, "fake_winter": fake_winter, "fake_summer": nets.F(batch["winter"])}

    def job_terms(self, nets: Networks, batch: dict, fakes: dict
                  ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Both jobs' objectives {"colour": J_colour, "style": J_style} and their unweighted terms."""
        cfg, x, L, y = self.config, batch["summer"], batch["L"], batch["winter"]  # noqa: N806
        fake_ab, fake_winter, fake_summer = fakes["fake_ab"], fakes["fake_winter"], fakes["fake_summer"]
        terms = {
            "colour_gan": gan_g_loss(nets.D_colour(torch.cat([L, fake_ab], dim=1)), cfg.gan_loss),
            "colour_l1": l1_loss(fake_ab, batch["ab"]),
            "style_gan": gan_g_loss(nets.D_winter(fake_winter), cfg.gan_loss),
            "f_gan": gan_g_loss(nets.D_summer(fake_summer), cfg.gan_loss),
            "cycle_summer": cycle_loss(nets.F(fake_winter), x),  # ||F(S(L(x))) - x||_1
            # ||S(L(F(y))) - y||_1: the gray of F's fake summer photo back to winter
            "cycle_winter": cycle_loss(nets.G(lightness_n(fake_summer), head="style"), y),
        }
        colour = terms["colour_gan"] + cfg.lambda_l1 * terms["colour_l1"]
        style = (terms["style_gan"] + terms["f_gan"]
                 + cfg.lambda_cycle * (terms["cycle_summer"] + terms["cycle_winter"]))
        if cfg.lambda_identity > 0:
            terms["idt_style"] = identity_loss(nets.G(batch["L_winter"], head="style"), y)  # ||S(L(y))-y||_1
            terms["idt_f"] = identity_loss(nets.F(x), x)  # ||F(x) - x||_1
            style = style + cfg.lambda_cycle * cfg.lambda_identity * (terms["idt_style"] + terms["idt_f"])
        return {"colour": colour, "style": style}, terms

    def g_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """G and F: min w_colour J_colour + w_style J_style (the Ds only critics)."""
        jobs, terms = self.job_terms(nets, batch, fakes)
        return (multitask_loss(jobs, self.config.weights),
                {**terms, "colour_job": jobs["colour"], "style_job": jobs["style"]})

    def d_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """The three Ds on this step's fakes, detached; D_summer and D_winter also see pooled past
        fakes. They share no weights: one backward trains all three."""
        step, seed, kind, L = batch["step"], self.config.seed, self.config.gan_loss, batch["L"]  # noqa: N806
        pooled_summer = self.pool_summer.query(fakes["fake_summer"], step_generator(seed, step, _POOL_SUMMER))
        pooled_winter = self.pool_winter.query(fakes["fake_winter"], step_generator(seed, step, _POOL_WINTER))
        real_colour = torch.cat([L, batch["ab"]], dim=1)
        fake_colour = torch.cat([L, fakes["fake_ab"].detach()], dim=1)
        loss_colour = gan_d_loss(nets.D_colour(real_colour), nets.D_colour(fake_colour), kind)
        loss_summer = gan_d_loss(nets.D_summer(batch["summer"]), nets.D_summer(pooled_summer), kind)
        loss_winter = gan_d_loss(nets.D_winter(batch["winter"]), nets.D_winter(pooled_winter), kind)
        return (loss_colour + loss_summer + loss_winter,
                {"d_colour": loss_colour, "d_summer": loss_summer, "d_winter": loss_winter})

    @property
    def updates(self) -> tuple[Update, ...]:
        """G and F's update, then the discriminators' (as CycleGAN)."""
        return Update("G", self.g_losses), Update("D", self.d_losses)

    def job_losses(self, batch: dict[str, torch.Tensor]
                   ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Both jobs' generator objectives on ``batch`` (from :meth:`batch`), with the graph kept,
        outside training (e.g. :func:`job_gradient_norms`).

        Returns ``({"colour": J_colour, "style": J_style}, terms)``: ``terms`` holds every unweighted
        term and the fakes ``fake_ab``, ``fake_winter`` = S(L(x)) and ``fake_summer`` = F(y).
        """
        nets = Networks(self.modules)
        fakes = self.generate(nets, batch)
        jobs, terms = self.job_terms(nets, batch, fakes)
        return jobs, {**terms, **fakes}

    # -- the setup ---------------------------------------------------------------------------------

    def __init__(self, config: MultiTaskConfig, domains: UnpairedDomains,
                 device: str | torch.device | None = None, precision: Precision | None = None) -> None:
        check_unpaired_settings(config, domains)
        distributed.check_batch_size(config.batch_size)
        multitask_loss({k: torch.zeros(()) for k in config.weights}, config.weights)  # checks the weights
        self.config = config
        self.domains = domains
        self.device = pick_device(str(device) if device is not None else None)
        self.summer, self.winter = domains.a.cpu(), domains.b.cpu()
        self._data_id = unpaired_data_id(domains)
        self.sampler_summer, self.sampler_winter = unpaired_samplers(domains, config.batch_size, config.seed)
        self.pool_summer, self.pool_winter = SharedPool(config.pool_size), SharedPool(config.pool_size)
        self.step = 0

        seed_everything(config.seed)  # the same seed gives the same initial weights
        self.G = MultiTaskGenerator(width=config.width, depth=config.depth, max_width=config.max_width,
                                    norm=config.norm, dropout=config.dropout, upsample=config.upsample,
                                    style_residual=config.style_residual)
        if config.image_size % self.G.size_multiple:
            raise ValueError(f"image_size {config.image_size} must be a multiple of {self.G.size_multiple} "
                             f"for depth={config.depth}")
        self.F = ResnetGenerator(3, 3, width=config.f_width, n_blocks=config.f_blocks, norm=config.norm,
                                 upsample=config.upsample)
        if config.image_size % self.F.size_multiple or config.image_size < self.F.min_size:
            raise ValueError(f"image_size {config.image_size} is too small for F "
                             f"(at least {self.F.min_size})")

        def discriminator() -> PatchDiscriminator:
            return PatchDiscriminator(3, width=config.d_width, n_layers=config.d_layers, norm=config.norm)

        self.D_colour, self.D_summer, self.D_winter = discriminator(), discriminator(), discriminator()
        check_crop_size(self.D_colour, config.image_size)
        self.modules: dict[str, torch.nn.Module] = {"G": self.G, "F": self.F, "D_colour": self.D_colour,
                                                    "D_summer": self.D_summer, "D_winter": self.D_winter}
        betas = (config.beta1, config.beta2)
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam(itertools.chain(self.G.parameters(), self.F.parameters()),
                                  lr=config.lr, betas=betas),
            "D": torch.optim.Adam(itertools.chain(self.D_colour.parameters(), self.D_summer.parameters(),
                                                  self.D_winter.parameters()), lr=config.lr, betas=betas),
        }
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {
            name: linear_decay(optimizer, config.steps, config.resolved_decay_steps)
            for name, optimizer in self.optimizers.items()
        }
        self._prepare(precision)

    def extra_state(self) -> dict:
        """The image pools (saved in checkpoints next to the modules)."""
        return {"pool_summer": self.pool_summer.state_dict(), "pool_winter": self.pool_winter.state_dict()}

    def load_extra_state(self, state: dict) -> None:
        self.pool_summer.load_state_dict(state["pool_summer"])
        self.pool_winter.load_state_dict(state["pool_winter"])

    def batch(self, step: int) -> dict:
        """The (unpaired) global batches of ``step``, S = image_size, on the device:

        ``summer`` (B, 3, S, S) RGB in [-1, 1], ``L`` (B, 1, S, S) its L_n, ``ab`` (B, 2, S, S) its ab_n;
        ``winter`` (B, 3, S, S) RGB in [-1, 1], ``L_winter`` (B, 1, S, S) its L_n; ``step``.
        """
        cfg = self.config
        summer, winter = (random_crops_and_flips(images[sampler.indices(step)], cfg.image_size,
                                                 step_generator(cfg.seed, step, stream), flip=cfg.flip
                                                 ).to(self.device)
                          for images, sampler, stream in ((self.summer, self.sampler_summer, _CROPS_SUMMER),
                                                          (self.winter, self.sampler_winter, _CROPS_WINTER)))
        L, ab = lab_batch(summer)  # noqa: N806
        L_winter, _ = lab_batch(winter)  # noqa: N806
        return {"summer": uint8_to_signed(summer), "L": L, "ab": ab,
                "winter": uint8_to_signed(winter), "L_winter": L_winter, "step": step}

    def preview(self, domains: UnpairedDomains) -> dict[str, torch.Tensor]:
        """Both heads on held-out crops (S, S px): the gray summer photo, G's colours, the true colours,
        G's winter version and (paired domains) the true winter photo; each (N, 3, S, S) in [0, 1]."""
        summer, winter = domains.a.to(self.device), domains.b.to(self.device)
        L, _ = lab_batch(summer)  # noqa: N806
        with eval_mode(self.G):
            fake_ab, fake_winter = self.G(L)
        shown = {"gray": lab_normalized_to_rgb(L, torch.zeros_like(fake_ab)),
                 "colour head": lab_normalized_to_rgb(L, fake_ab), "true colours": uint8_to_unit(summer),
                 "style head": signed_to_unit(fake_winter)}
        if domains.paired:
            shown["true winter"] = uint8_to_unit(winter)
        return shown


def job_gradient_norms(trainer: MultiTaskTrainer, step: int | None = None,
                       batches: int = 1) -> dict[str, float]:
    """‖∂J_job/∂θ_encoder‖₂ of each job, unweighted, averaged over the batches of ``batches`` steps
    from ``step`` (default: the trainer's next step), without changing any weight, optimizer or pool
    (batch-norm running statistics aside).

    The weights w_colour and w_style act only through these two gradients, which add on the shared
    encoder: ``w_colour * norms["colour"] : w_style * norms["style"]`` is how much each job steers it.
    One batch is noisy (a factor ~2 at batch size 1): average a few.
    """
    if batches < 1:
        raise ValueError(f"batches must be >= 1; got {batches}")
    step = trainer.step if step is None else step
    shared = trainer.G.shared_parameters()
    totals = {"colour": 0.0, "style": 0.0}
    for s in range(step, step + batches):
        jobs, _ = trainer.job_losses(trainer.batch(s))
        for name, loss in jobs.items():
            grads = torch.autograd.grad(loss, shared, retain_graph=True, allow_unused=True)
            totals[name] += float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads if g is not None)))
    return {name: total / batches for name, total in totals.items()}


def export_multitask(trainer: MultiTaskTrainer, path: str | os.PathLike, half: bool = True,
                     inference_size: int | None = None) -> Path:
    """Write the shared generator as a multi-task file for :func:`gancolor.multitask.load_multitask`.

    Written atomically.

    The file holds G's class, config and weights only (no F, no D, no optimizer state, no pools),
    the domain names, the training config, the steps done and ``inference_size``, the long side
    (px) at which photos are processed (default 4 x image_size, as ``gancolor train colorize``).
    ``half`` stores the weights as float16 (6.1 MB for the default config); the loader casts them
    back to float32. Returns the path.
    """
    return write_model_file(path, MULTITASK_FORMAT, {
        "generator": generator_record(trainer.G, half),
        "domains": list(trainer.domains.names),
        "source": trainer.domains.source,
        "train_config": trainer.config.to_dict(),
        "steps": int(trainer.step),
        "inference_size": int(inference_size if inference_size is not None
                              else 4 * trainer.config.image_size),
    })

