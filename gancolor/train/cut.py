"""CUT (Park et al. 2020): one-sided unpaired translation A -> B, content kept by PatchNCE, not a cycle.

CycleGAN keeps content by asking a second generator to undo the first, pixel by pixel (L1). A style
that *abstracts* (a painting smooths strokes and flattens colours) cannot be undone, so the cycle
either forbids it or makes G hide the detail in faint patterns for F to read back (Chu et al. 2017).
CUT drops F and the cycle. One generator G and one PatchGAN D; G's own encoder and a small MLP H say
whether each patch of G(x) still matches the patch of x at the same place (eq. 5 of the paper,
:mod:`gancolor.losses.patchnce`):

    L = L_GAN(G, D, X, Y) + λ_X L_PatchNCE(G, H, X) + λ_Y L_PatchNCE(G, H, Y)            (eq. 6, λ = 1)

    L_GAN: LSGAN as in the paper's code: G minimises E (D(G(x)) - 1)²,
           D minimises ½ [E (D(y) - 1)² + E D(G(x))²]
    L_PatchNCE(G, H, Y): the same loss on y and G(y), "identity" (the paper's CUT, not FastCUT): it
           keeps G from changing what already is in the target domain; the code halves the sum of
           the two NCE terms, and so do we.

An option of ours, off by default (``lambda_transport`` = λ_T > 0): a **transport cost**
λ_T E ||G(x) - x||² beside the GAN term. Among all the maps whose outputs D cannot tell from B, it
prefers the one that moves each pixel least: the quadratic-cost optimal transport map between the
two domains (the idea behind Neural Optimal Transport, Korotin et al. 2023). For a style that is a
small, local change of the photo (a palette pulled towards the nearest paints) that map is the style.

A second option of ours (``lambda_pixel`` = λ_P > 0): a **pixel critic** P beside the PatchGAN, the
PixelGAN of pix2pix (1x1 convs, :class:`~gancolor.models.PixelDiscriminator`), with its own LSGAN
terms: G adds λ_P E (P(G(x)) - 1)², P minimises ½ [E (P(y) - 1)² + E P(G(x))²]. P sees one pixel at
a time, so it judges only the colours, never the content: it cannot memorise the few training
photos, as the PatchGAN does (:mod:`gancolor.evaluation.domain_gap`), and it asks G for the
painting's colour distribution on every image. Measured on the embedded paintings, it did not help:
colours alone tell photos from paintings only faintly (model card 3b).

Defaults as in the paper's code: τ = 0.07, 256 patches per layer, a 256-256 MLP per layer, Adam
(2e-4, β = (0.5, 0.999)), the rate constant for the first half of training then decaying linearly to
0, no pool of past fakes. Options of ours: the residual generator of
:class:`~gancolor.models.ResnetGenerator` (starts as the identity), with ``filter_size`` a filter it
predicts at every pixel so that it can smooth cheaply; ``nce_layers``, the encoder maps PatchNCE
compares (the shipped painting model leaves out the two pixel-level ones, which charge G for every
grain of texture it removes); and D's own norm.

The result is a one-sided stylizer file (``AtoB`` only): there is no B -> A generator.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from gancolor.color import signed_to_unit, uint8_to_signed
from gancolor.data.unpaired import UnpairedDomains
from gancolor.losses import cyclegan_discriminator_loss, cyclegan_generator_loss
from gancolor.losses.patchnce import PatchProjector, patch_nce_loss, sample_locations
from gancolor.model_files import STYLIZER_FORMAT, generator_record, write_model_file
from gancolor.models import PatchDiscriminator, PixelDiscriminator, ResnetGenerator
from gancolor.models.patchgan import check_crop_size
from gancolor.runtime import pick_device, seed_everything
from gancolor.train import distributed
from gancolor.train.config import TrainConfig
from gancolor.train.engine import Losses, Networks, Trainer, Update, eval_mode
from gancolor.train.precision import Precision
from gancolor.train.sampling import step_generator
from gancolor.train.schedule import linear_decay
from gancolor.train.unpaired_setup import (
    check_unpaired_settings,
    unpaired_batch,
    unpaired_data_id,
    unpaired_samplers,
)

__all__ = ["CUTConfig", "CUTTrainer", "export_cut_stylizer", "LOSS_NAMES"]

#: The losses :meth:`CUTTrainer.train_step` reports, unweighted.
LOSS_NAMES = ("g_gan", "g_pixel", "nce_x", "nce_y", "transport", "d", "d_pixel")

# step_generator streams: the random choices of one step, independent of each other.
_PATCHES = 2  # (0 and 1: the A and B crops, unpaired_setup)


@dataclass
class CUTConfig(TrainConfig):
    """Everything that defines a CUT run (defaults: 64 px crops on a CPU, the networks of CycleGAN's
    ``tiny`` preset, so the exported G is 4.0 MB)."""

    image_size: int = 64
    batch_size: int = 1  # the paper's
    width: int = 32  # G: k of c7s1-k
    n_blocks: int = 6
    n_down: int = 2
    upsample: str = "bilinear"  # as our CycleGAN: no checkerboard
    norm: str = "instance"
    d_norm: str | None = None  # D's own norm; None = ``norm``
    d_width: int = 64
    d_layers: int = 3  # 70x70 PatchGAN
    gan_loss: str = "lsgan"
    lambda_nce: float = 1.0  # λ_X = λ_Y
    # Our option, 0 = the paper: + λ_T E ||G(x) - x||², a transport cost (the module docstring).
    lambda_transport: float = 0.0
    # Our option, 0 = the paper: + λ_P × a PixelGAN critic's LSGAN terms (the module docstring).
    lambda_pixel: float = 0.0
    nce_identity: bool = True  # the L_PatchNCE(G, H, Y) term (CUT; off = FastCUT's objective)
    n_patches: int = 256  # S per layer
    # Which of G's encoder layers PatchNCE compares (indices into ResnetGenerator.encode's maps, 0 = the
    # image itself); "" = all of them, the paper's choice. Ours: "2,3,4" leaves out the pixel-level
    # maps, which charge G for removing fine texture.
    nce_layers: str = ""
    temperature: float = 0.07  # τ
    mlp_dim: int = 256
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    steps: int = 3000
    decay_steps: int | None = None  # None = steps // 2
    flip: bool = True
    residual: bool = False  # G(x) = tanh(atanh(x) + h), starting at the identity
    # Ours, with ``residual``: K > 0 also filters x by a K x K filter G predicts at every pixel
    # (ResnetGenerator's filter_size): G can smooth without rebuilding the detail it removes.
    filter_size: int = 0

    @property
    def resolved_decay_steps(self) -> int:
        return self.steps // 2 if self.decay_steps is None else self.decay_steps

    def omitted(self) -> set[str]:
        """Besides the speed options, ``lambda_pixel`` and ``filter_size`` at 0 and ``nce_layers`` ""
        (all): the config of such a run is the one it had before the setting existed (older checkpoints
        resume)."""
        off = {name for name in ("lambda_pixel", "nce_layers", "filter_size") if not getattr(self, name)}
        return super().omitted() | off

    def nce_layer_indices(self, n_layers: int) -> tuple[int, ...]:
        """The indices of :attr:`nce_layers` among ``n_layers`` encoder maps (all of them for "");
        ValueError naming the setting for anything else than distinct integers in [0, n_layers)."""
        if not self.nce_layers.strip():
            return tuple(range(n_layers))
        try:
            indices = tuple(int(part) for part in self.nce_layers.split(","))
        except ValueError:
            indices = ()
        if not indices or len(set(indices)) != len(indices) or not all(0 <= i < n_layers for i in indices):
            raise ValueError(f"nce_layers must be distinct comma-separated integers in 0..{n_layers - 1}; "
                             f"got {self.nce_layers!r}")
        return tuple(sorted(indices))


class CUTTrainer(Trainer):
    """The CUT task for :func:`~gancolor.train.fit`: modules ``G`` (A -> B), ``H`` (the patch MLPs,
    trained with G), ``D`` (real B?) and, with ``lambda_pixel`` > 0, ``P`` (a real B colour?). The step
    is :meth:`generate`, :meth:`g_losses` (G and H), then :meth:`d_losses`, next to eq. 6 in the module
    docstring.

    ``domains``: A and B, uint8, at least ``config.image_size`` px a side; paired domains are
    trained as unpaired (independent shuffles).
    """

    name = "cut"

    # -- the step: eq. 6 (the module docstring) ----------------------------------------------------

    def generate(self, nets: Networks, batch: dict) -> dict:
        """G(x) and, for the identity NCE term, G(y): (B, 3, S, S) in [-1, 1]."""
        fakes = {"fake_b": nets.G(batch["real_a"])}
        if self.config.nce_identity:
            fakes["idt_b"] = nets.G(batch["real_b"])
        return fakes

    def patch_nce(self, nets: Networks, source: torch.Tensor, output: torch.Tensor,
                  step: int) -> torch.Tensor:
        """L_PatchNCE of one pair (eq. 5): the patches of ``output`` = G(``source``) against those of
        ``source`` at the same sampled places (the same for both pairs of a step), averaged over G's
        encoder layers. The keys are a fixed target (the loss detaches them): computed without a graph."""
        generator = self.G  # the encoder itself (``encode`` is not a DDP method; CUT runs in one process)
        layers = self.nce_layers
        with torch.no_grad():
            source_features = generator.encode(source)
            keys_features = [source_features[i] for i in layers]
            locations = sample_locations(keys_features, self.config.n_patches,
                                         step_generator(self.config.seed, step, _PATCHES))
            keys = nets.H(keys_features, locations)  # z: (B, S, dim) per layer
        output_features = generator.encode(output)
        queries = nets.H([output_features[i] for i in layers], locations)  # ẑ
        terms = [patch_nce_loss(q, k, self.config.temperature) for q, k in zip(queries, keys, strict=True)]
        return torch.stack(terms).mean()

    def g_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """G and H: min L_GAN(G, D) + λ ½ [L_PatchNCE(G, H, X) + L_PatchNCE(G, H, Y)] (D only a critic),
        + λ_T E ||G(x) - x||² when ``lambda_transport`` = λ_T > 0."""
        cfg, step = self.config, batch["step"]
        terms = {"g_gan": cyclegan_generator_loss(nets.D(fakes["fake_b"]), cfg.gan_loss),  # E (D(G(x)) - 1)²
                 "nce_x": self.patch_nce(nets, batch["real_a"], fakes["fake_b"], step),
                 "g_pixel": 0.0, "nce_y": 0.0, "transport": 0.0}
        nce = terms["nce_x"]
        if cfg.nce_identity:
            terms["nce_y"] = self.patch_nce(nets, batch["real_b"], fakes["idt_b"], step)
            nce = 0.5 * (nce + terms["nce_y"])
        loss = terms["g_gan"] + cfg.lambda_nce * nce
        if cfg.lambda_pixel:  # + λ_P E (P(G(x)) - 1)²: the colours of a painting, pixel by pixel
            terms["g_pixel"] = cyclegan_generator_loss(nets.P(fakes["fake_b"]), cfg.gan_loss)
            loss = loss + cfg.lambda_pixel * terms["g_pixel"]
        if cfg.lambda_transport:  # λ_T E ||G(x) - x||²: of the maps D accepts, prefer the one moving least
            terms["transport"] = (fakes["fake_b"].float() - batch["real_a"].float()).pow(2).mean()
            loss = loss + cfg.lambda_transport * terms["transport"]
        return loss, terms

    def d_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """D: min ½ [E (D(y) - 1)² + E D(G(x))²] on this step's fakes (detached); the pixel critic P
        the same terms on its per-pixel logits, when ``lambda_pixel`` > 0."""
        fake = fakes["fake_b"].detach()
        loss = cyclegan_discriminator_loss(nets.D(batch["real_b"]), nets.D(fake), self.config.gan_loss)
        terms: dict[str, torch.Tensor | float] = {"d": loss, "d_pixel": 0.0}
        if self.config.lambda_pixel:
            terms["d_pixel"] = cyclegan_discriminator_loss(nets.P(batch["real_b"]), nets.P(fake),
                                                           self.config.gan_loss)
            loss = loss + terms["d_pixel"]
        return loss, terms

    @property
    def updates(self) -> tuple[Update, ...]:
        """G's (and H's) update, then D's."""
        return Update("G", self.g_losses), Update("D", self.d_losses)

    # -- the setup ---------------------------------------------------------------------------------

    def __init__(self, config: CUTConfig, domains: UnpairedDomains,
                 device: str | torch.device | None = None, precision: Precision | None = None) -> None:
        check_unpaired_settings(config, domains)
        for name in ("lambda_nce", "lambda_transport", "lambda_pixel"):
            if not getattr(config, name) >= 0:
                raise ValueError(f"{name} is a weight >= 0; got {getattr(config, name)}")
        if not config.temperature > 0:
            raise ValueError(f"temperature must be > 0; got {config.temperature}")
        if config.n_patches < 2:
            raise ValueError(f"n_patches must be >= 2 (a patch needs negatives); got {config.n_patches}")
        distributed.check_batch_size(config.batch_size)
        self.config, self.domains = config, domains
        self.device = pick_device(str(device) if device is not None else None)
        self.images_a, self.images_b = domains.a.cpu(), domains.b.cpu()
        self._data_id = unpaired_data_id(domains)
        self.sampler_a, self.sampler_b = unpaired_samplers(domains, config.batch_size, config.seed)
        self.step = 0
        seed_everything(config.seed)
        self.G = ResnetGenerator(3, 3, width=config.width, n_blocks=config.n_blocks, n_down=config.n_down,
                                 norm=config.norm, upsample=config.upsample, residual=config.residual,
                                 filter_size=config.filter_size)
        channels = self.G.encoder_channels()
        #: The encoder maps PatchNCE compares (indices into ``G.encode``'s list).
        self.nce_layers = config.nce_layer_indices(len(channels))
        self.H = PatchProjector([channels[i] for i in self.nce_layers], config.mlp_dim)
        self.D = PatchDiscriminator(3, width=config.d_width, n_layers=config.d_layers,
                                    norm=config.d_norm or config.norm)
        check_crop_size(self.D, config.image_size)
        if config.image_size % self.G.size_multiple or config.image_size < self.G.min_size:
            raise ValueError(f"image_size {config.image_size} must be a multiple of {self.G.size_multiple} "
                             f"and at least {self.G.min_size} for n_down={config.n_down}")
        self.modules: dict[str, torch.nn.Module] = {"G": self.G, "H": self.H, "D": self.D}
        if config.lambda_pixel:  # made only when used: a run without it draws the same random numbers
            self.modules["P"] = PixelDiscriminator(3, width=config.d_width)
        critics = [name for name in ("D", "P") if name in self.modules]
        self.trained_by = {"G": ("G", "H"), "D": tuple(critics)}
        betas = (config.beta1, config.beta2)
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam([*self.G.parameters(), *self.H.parameters()], lr=config.lr, betas=betas),
            "D": torch.optim.Adam([p for name in critics for p in self.modules[name].parameters()],
                                  lr=config.lr, betas=betas),
        }
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {
            name: linear_decay(optimizer, config.steps, config.resolved_decay_steps)
            for name, optimizer in self.optimizers.items()
        }
        self._prepare(precision)

    def batch(self, step: int) -> dict:
        """The unpaired batches of ``step``: ``real_a``, ``real_b`` (B, 3, S, S) in [-1, 1]; ``step``."""
        return unpaired_batch((self.images_a, self.images_b), (self.sampler_a, self.sampler_b), self.config,
                              step, self.device)

    def preview(self, domains: UnpairedDomains) -> dict[str, torch.Tensor]:
        """A | G(A) | B (the true translation when ``domains`` are paired), each (N, 3, S, S) in [0, 1]."""
        a, b = (uint8_to_signed(images.to(self.device)) for images in (domains.a, domains.b))
        with eval_mode(self.G):
            fake_b = self.G(a)
        name_a, name_b = self.domains.names
        shown = {name_a: a, f"{name_a} -> {name_b}": fake_b,
                 (f"true {name_b}" if domains.paired else name_b): b}
        return {name: signed_to_unit(x) for name, x in shown.items()}


def export_cut_stylizer(trainer: CUTTrainer, path: str | os.PathLike, half: bool = True,
                        inference_size: int = 256) -> Path:
    """Write G as a one-sided stylizer file (``AtoB`` only; read by
    :func:`~gancolor.infer.stylizer.load_stylizer`), atomically; float16 weights by default (4.0 MB)."""
    return write_model_file(path, STYLIZER_FORMAT, {
        "generators": {"AtoB": generator_record(trainer.G, half)},
        "domains": list(trainer.domains.names),
        "source": trainer.domains.source,
        "train_config": {"method": "cut", **trainer.config.to_dict()},
        "steps": int(trainer.step),
        "inference_size": int(inference_size),
    })
