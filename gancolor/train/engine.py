"""The machinery every trainer shares: it runs a task's paper-level losses as optimisation updates.

A task (pix2pix, CycleGAN, the multi-task model, DCGAN) writes only what its paper writes:

    batch(step)                    -> dict of tensors: the *global* batch of ``step``
    generate(nets, batch)          -> dict: the forward passes its updates share (G's fakes)
    updates                        -> the ordered updates of one step, e.g. (D, then G) for pix2pix
    <update>.losses(nets, batch, fakes) -> (objective to minimise, {name: unweighted term})

:class:`Trainer` turns that into one training step, the same way for every task:

    batch = this rank's shard of task.batch(step)               (DDP: see gancolor.train.distributed)
    with autocast:  fakes = task.generate(nets, batch)
    for update in task.updates:
        nets = networks as seen by this update: the ones it trains (DDP wrappers in a multi-process
               run) and the others frozen (requires_grad off; critics called unwrapped)
        with autocast:  objective, terms = update.losses(nets, batch, fakes)
        optimizer.zero_grad(); scaled backward and step (gancolor.train.precision)
    step every learning-rate scheduler
    return every term as a float (a later update's term replaces an earlier one of the same name)

So precision (float16/bfloat16 autocast, gradient scaling, channels_last), DistributedDataParallel
and the loss report wrap the paper's losses from outside; :func:`gancolor.train.fit` adds the loop,
the progress bar, checkpoints and the nan guard around :meth:`Trainer.train_step`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gancolor.train import distributed
from gancolor.train.config import SPEED_SETTINGS
from gancolor.train.image_pool import ImagePool
from gancolor.train.precision import Precision

__all__ = ["Update", "Networks", "Trainer", "SharedPool", "Losses", "eval_mode"]

#: What an update's ``losses`` returns: the objective it minimises and the terms it reports.
Losses = tuple[torch.Tensor, dict[str, torch.Tensor | float]]


@dataclass(frozen=True)
class Update:
    """One optimiser update of a training step: ``optimizer`` minimises the objective of ``losses``.

    ``losses(nets, batch, fakes) -> (objective, terms)``: the objective is a scalar tensor, ``terms``
    the unweighted losses to report (tensors or floats).
    """

    optimizer: str
    losses: Callable[[Networks, dict[str, Any], dict[str, Any]], Losses]


class Networks:
    """The task's networks as one update sees them, by name: ``nets.G(x)``, ``nets.D(y)``.

    The networks the update trains are the ones to call for their gradients (DistributedDataParallel
    wrappers in a multi-process run); the others are the plain modules, frozen (``requires_grad``
    off), e.g. D when it is only the critic of G's loss.
    """

    def __init__(self, networks: Mapping[str, nn.Module]) -> None:
        self._networks = dict(networks)

    def __getattr__(self, name: str) -> nn.Module:
        try:
            return self.__dict__["_networks"][name]
        except KeyError:
            raise AttributeError(f"no network {name!r}; have {sorted(self.__dict__['_networks'])}") from None

    def __getitem__(self, name: str) -> nn.Module:
        return self._networks[name]


class SharedPool(ImagePool):
    """An :class:`ImagePool` that all processes of a multi-process run keep identical.

    :meth:`query` pools the fakes of the global batch (gathered from every rank, in rank order) and
    returns this rank's shard of the result; in one process it is :meth:`ImagePool.query`.
    """

    def query(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B_rank, C, H, W) fakes -> (B_rank, C, H, W): new and stored fakes, float32, detached."""
        return distributed.shard(super().query(distributed.all_gather(images.float()), generator))


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    """Run ``modules`` in eval mode (no dropout, BatchNorm's running statistics) without gradients,
    then put each back in the mode it was in: previews leave the training state untouched."""
    modes = [module.training for module in modules]
    try:
        for module in modules:
            module.eval()
        with torch.no_grad():
            yield
    finally:
        for module, mode in zip(modules, modes, strict=True):
            module.train(mode)


class Trainer:
    """The base of the four trainers: a :class:`gancolor.train.loop.Task` built from paper-level losses.

    A subclass sets ``modules``, ``optimizers`` (and ``schedulers``), then calls :meth:`_prepare`;
    it defines :meth:`batch`, :meth:`generate`, :attr:`updates` and ``trained_by`` ({optimizer:
    names of the modules it updates}).
    """

    name: str
    config: Any
    device: torch.device
    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler]
    trained_by: dict[str, tuple[str, ...]]
    step: int
    _data_id: dict

    #: The optimizer whose networks ``generate`` runs (their graph feeds its loss).
    generator_optimizer = "G"

    # -- what a task defines -------------------------------------------------------------------

    def batch(self, step: int) -> dict[str, Any]:
        """The global batch of ``step`` (tensors of B examples along dim 0, on the device)."""
        raise NotImplementedError

    def generate(self, nets: Networks, batch: dict[str, Any]) -> dict[str, Any]:
        """The forward passes the updates share (by default none)."""
        return {}

    @property
    def updates(self) -> tuple[Update, ...]:
        """The optimiser updates of one step, in order."""
        raise NotImplementedError

    # -- the machinery ---------------------------------------------------------------------------

    def _prepare(self, precision: Precision | None = None) -> None:
        """Move the modules to the device, set the memory format, wrap them for DDP, seed the rank."""
        if precision is None:
            precision = Precision.for_device(self.device, self.config.precision, self.config.channels_last,
                                             optimizers=self.optimizers)
        self.precision = precision
        precision.configure(self.optimizers)
        for module in self.modules.values():
            self.precision.module(module.to(self.device))
        #: The networks as trained: DistributedDataParallel wrappers in a multi-process run
        #: (SyncBatchNorm on CUDA), the modules themselves in one process.
        self.ddp: dict[str, nn.Module] = {name: distributed.wrap(module, self.device)
                                          for name, module in self.modules.items()}
        distributed.seed_rank(self.config.seed)  # dropout: one stream per rank, seeded by (seed, rank)

    def config_dict(self) -> dict:
        """The settings that define the run (a resume must match them): the config without its
        speed settings (a run may resume in another precision) and the data's identity."""
        settings = {k: v for k, v in self.config.to_dict().items() if k not in SPEED_SETTINGS}
        return {**settings, "data": dict(self._data_id)}

    @contextmanager
    def networks_for(self, optimizer: str) -> Iterator[Networks]:
        """The networks as update ``optimizer`` sees them: its own trainable (DDP-wrapped), the
        others frozen and unwrapped; every module is trainable again afterwards."""
        own = set(self.trained_by[optimizer])
        for name, module in self.modules.items():
            module.requires_grad_(name in own)
        try:
            yield Networks({name: self.ddp[name] if name in own else module
                            for name, module in self.modules.items()})
        finally:
            for module in self.modules.values():
                module.requires_grad_(True)

    def local_batch(self, step: int) -> dict[str, Any]:
        """This rank's shard of the batch of ``step`` (all of it in one process), in the memory format."""

        def local(value: Any) -> Any:
            if isinstance(value, torch.Tensor):
                value = distributed.shard(value)
                is_image_batch = value.dim() == 4 and value.is_floating_point()
                return self.precision.inputs(value) if is_image_batch else value
            if isinstance(value, list):
                return [local(v) for v in value]
            return value

        return {key: local(value) for key, value in self.batch(step).items()}

    def train_step(self, step: int) -> dict[str, float]:
        """One step: the task's updates in order on the batch of ``step``; returns the reported terms."""
        batch = self.local_batch(step)
        autocast = self.precision.autocast
        with self.networks_for(self.generator_optimizer) as nets, autocast():
            fakes = self.generate(nets, batch)
        report: dict[str, float] = {}
        for update in self.updates:
            optimizer = self.optimizers[update.optimizer]
            with self.networks_for(update.optimizer) as nets:
                with autocast():
                    objective, terms = update.losses(nets, batch, fakes)
                optimizer.zero_grad(set_to_none=True)
                self.precision.backward_step(update.optimizer, objective, optimizer)
            report.update({name: _as_float(value) for name, value in terms.items()})
        for scheduler in self.schedulers.values():
            scheduler.step()
        return report


def _as_float(value: torch.Tensor | float) -> float:
    """A reported loss as a Python float."""
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
