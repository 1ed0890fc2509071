"""Training the recurrent temporal colorizer (:class:`gancolor.models.temporal_gate.TemporalGate`) on clips.

The gate G sees frame t's lightness, its per-frame colours (from a fixed per-frame colorizer, e.g.
the shipped GAN, computed once by the caller) and its own colours of frame t - 1 aligned by the
estimated camera pan, and mixes the past and the new colours (see the model's docstring). Unrolled
over a window of K frames, ab_0 = ab_frame_0 and ab_t = G(L_t, ab_frame_t, ab_{t-1}) for t >= 1:

    L_G = E_t[ || ab_t - ab*_t ||_1 ]                                   fidelity to the true colours
        + λ_temp E_t[ mean_{p in V_t} || ab_t(p + d_t(p)) - ab_{t-1}(p) ||_1 ]   temporal consistency

with d_t the true motion of the clip and V_t the pixels it aligns (not occluded, not on an edge;
:func:`gancolor.metrics.flicker.true_motion_mask`), the warping error of Lai et al. 2018 used as a
loss. Gradients flow back through the whole window (backpropagation through time). There is no
discriminator: G only chooses between colours, so it cannot make them duller than the GAN's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from gancolor.data import lab_batch
from gancolor.data.clips import ClipSplit
from gancolor.errors import DataError
from gancolor.flow import follow_flow
from gancolor.metrics.flicker import true_motion_mask
from gancolor.model_files import TEMPORAL_FORMAT, generator_record, write_model_file
from gancolor.models.temporal_gate import Previous, TemporalGate
from gancolor.runtime import pick_device, seed_everything
from gancolor.train.config import TrainConfig
from gancolor.train.engine import Losses, Networks, Trainer, Update
from gancolor.train.loop import History, fit
from gancolor.train.precision import Precision
from gancolor.train.sampling import StepSampler, data_fingerprint, step_generator

__all__ = ["TemporalConfig", "TemporalTrainer", "export_temporal", "train_temporal"]


@dataclass
class TemporalConfig(TrainConfig):
    """Settings of a temporal run (the defaults train in minutes on a CPU)."""

    width: int = 16
    depth: int = 4
    max_width: int = 128
    batch_size: int = 8  # clips per step
    window: int = 6  # K frames unrolled per clip
    lr: float = 1e-3
    lambda_temporal: float = 2.0  # λ_temp
    flip: bool = True  # random horizontal flips of whole windows


class TemporalTrainer(Trainer):
    """The temporal task for :func:`~gancolor.train.fit`.

    Inputs:
        clips: the training clips (:func:`gancolor.data.clips.load_clips`), N clips of T frames.
        ab_frame: (N, T, 2, S, S) the per-frame colorizer's ab_n of every frame (float, any precision).
    """

    name = "temporal"
    trained_by = {"G": ("G",)}

    def generate(self, nets: Networks, batch: dict) -> dict:
        """Unroll G over the window: ``ab`` (B, K, 2, S, S), ab_0 the per-frame colours."""
        L, ab_frame = batch["L"], batch["ab_frame"]  # noqa: N806
        out, prev = [], None
        for t in range(L.shape[1]):
            ab = nets.G.step(L[:, t], ab_frame[:, t], prev) if prev is not None else ab_frame[:, t]
            out.append(ab)
            prev = Previous(L[:, t], ab)
        return {"ab": torch.stack(out, dim=1)}

    def g_losses(self, nets: Networks, batch: dict, fakes: dict) -> Losses:
        """L1 to the true colours + λ_temp * the warping error along the true motion (t >= 1)."""
        ab, real = fakes["ab"][:, 1:], batch["ab"][:, 1:]
        loss_l1 = (ab - real).abs().mean()
        b, k = batch["flow"].shape[:2]
        size = ab.shape[-2:]
        after = follow_flow(fakes["ab"][:, 1:].reshape(b * k, 2, *size),
                            batch["flow"].reshape(b * k, 2, *size))
        change = (after - fakes["ab"][:, :-1].reshape(b * k, 2, *size)).abs().mean(1)
        valid = batch["valid"].reshape(b * k, *size).to(change.dtype)
        loss_temp = (change * valid).sum() / valid.sum().clamp_min(1.0)
        return loss_l1 + self.config.lambda_temporal * loss_temp, {"g_l1": loss_l1, "g_temp": loss_temp}

    @property
    def updates(self) -> tuple[Update, ...]:
        return (Update("G", self.g_losses),)

    def __init__(self, config: TemporalConfig, clips: ClipSplit, ab_frame: torch.Tensor,
                 device: str | torch.device | None = None, precision: Precision | None = None) -> None:
        n, frames = clips.frames.shape[:2]
        if ab_frame.shape != (n, frames, 2, *clips.frames.shape[-2:]):
            raise DataError(f"ab_frame must be (N, T, 2, H, W) = "
                            f"{(n, frames, 2, *clips.frames.shape[-2:])}; got {tuple(ab_frame.shape)}")
        if not 2 <= config.window <= frames:
            raise ValueError(f"window must be in 2..{frames} frames; got {config.window}")
        self.config = config
        self.device = pick_device(str(device) if device is not None else None)
        self.clips = clips
        self.ab_frame = ab_frame.half().cpu()
        self._data_id = {"num_clips": n, "frames": frames, "sha": data_fingerprint(clips.frames)}
        self.sampler = StepSampler(n, config.batch_size, config.seed)
        self.step = 0
        seed_everything(config.seed)
        self.G = TemporalGate(config.width, config.depth, config.max_width)
        self.modules: dict[str, torch.nn.Module] = {"G": self.G}
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            "G": torch.optim.Adam(self.G.parameters(), lr=config.lr)}
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}
        self._prepare(precision)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """B windows of K frames: ``L`` (B, K, 1, S, S), ``ab`` and ``ab_frame`` (B, K, 2, S, S) ab_n,
        ``flow`` (B, K-1, 2, S, S) the true motion, ``valid`` (B, K-1, S, S) the pixels it aligns."""
        k = self.config.window
        indices = self.sampler.indices(step).tolist()
        g = step_generator(self.config.seed, step)
        starts = torch.randint(0, self.clips.frames.shape[1] - k + 1, (len(indices),), generator=g).tolist()
        coins = torch.rand(len(indices), generator=g) < 0.5
        mirror = coins.tolist() if self.config.flip else [False] * len(indices)
        rgb, ab_frame, flow, valid = [], [], [], []
        for i, s, m in zip(indices, starts, mirror, strict=True):
            window = slice(s, s + k)
            ids = self.clips.ids[i, window].long()
            f = self.clips.flow(i)[s : s + k - 1]
            x, y = self.clips.frames[i, window], self.ab_frame[i, window].float()
            if m:  # a mirrored clip moves the other way
                ids, x, y = ids.flip(-1), x.flip(-1), y.flip(-1)
                f = f.flip(-1) * torch.tensor([-1, 1]).reshape(1, 2, 1, 1)
            rgb.append(x)
            ab_frame.append(y)
            flow.append(f)
            valid.append(true_motion_mask(ids, f))
        b, size = len(indices), self.clips.frames.shape[-2:]
        L, ab = lab_batch(torch.stack(rgb).reshape(b * k, 3, *size))  # noqa: N806
        dev = self.device
        return {"L": L.reshape(b, k, 1, *size).to(dev), "ab": ab.reshape(b, k, 2, *size).to(dev),
                "ab_frame": torch.stack(ab_frame).to(dev), "flow": torch.stack(flow).to(dev),
                "valid": torch.stack(valid).to(dev)}


def export_temporal(trainer: TemporalTrainer, path: str | os.PathLike, per_frame: str = "gan") -> Path:
    """Write the gate as a temporal colorizer file (for ``gancolor.video.load_temporal``), atomically.

    ``per_frame`` names the shipped per-frame colorizer it was trained on top of ("gan", "l1" ...);
    it is recorded so that the loader pairs the gate with the same one.
    """
    return write_model_file(path, TEMPORAL_FORMAT, {
        "generator": generator_record(trainer.G, half=True),
        "train_config": trainer.config.to_dict(),
        "steps": int(trainer.step),
        "per_frame": per_frame,
    })


def train_temporal(config: TemporalConfig, clips: ClipSplit, ab_frame: torch.Tensor, steps: int,
                   out_dir: str | os.PathLike | None = None, resume: bool = False, progress: bool = True, *,
                   device: str | torch.device | None = None,
                   checkpoint_every: int = 200) -> tuple[TemporalTrainer, History]:
    """Build a :class:`TemporalTrainer` and :func:`fit` it for ``steps`` (checkpoints in ``out_dir``)."""
    trainer = TemporalTrainer(config, clips, ab_frame, device=device)
    history = fit(trainer, steps, out_dir=out_dir, resume=resume, checkpoint_every=checkpoint_every,
                  progress=progress)
    return trainer, history
