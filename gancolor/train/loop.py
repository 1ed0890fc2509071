"""The one training loop that every trainer (pix2pix, CycleGAN, multi-task) runs in.

A trainer is a :class:`Task`: it owns its networks, optimizers and data, and knows how to do
one optimisation step. :func:`fit` does the rest, the same way for every task:

    for step in range(start, steps):
        losses = task.train_step(step)        # the task draws the batch of `step` itself
        stop if a loss is nan or inf          # and never save that state
        record the losses, update the progress bar
        every `checkpoint_every` steps and at the end: save a checkpoint atomically

``resume=True`` continues from ``out_dir/checkpoint.pt`` and gives the same weights, bit for bit,
as a run that was never interrupted (on the same device and software): batches depend only on
(seed, step), and the checkpoint restores the RNG state that dropout draws from.

Under torchrun (see :mod:`gancolor.train.distributed`) every process runs ``fit``: the losses of
a step are averaged over the processes (the loss of the global batch, the same on every rank, so
all ranks stop together on a nan), rank 0 alone shows the bar and writes the checkpoint (with
every rank's RNG state) while the others wait, and on resume every rank reads the checkpoint.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Protocol, runtime_checkable

from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler
from tqdm.auto import tqdm

from gancolor.errors import UserError
from gancolor.train import distributed
from gancolor.train.checkpoint import (
    CHECKPOINT_NAME,
    load_training_checkpoint,
    restore_training_state,
    rng_state,
    save_training_checkpoint,
)
from gancolor.train.history import History
from gancolor.train.watch import TrainingMonitor

__all__ = ["Task", "History", "fit", "TrainingDivergedError"]


class TrainingDivergedError(UserError):
    """A loss became nan or inf: training stopped, and the broken state was not saved."""

    def __init__(self, step: int, what: str, last_good: str) -> None:
        self.step = step
        super().__init__(f"training diverged at step {step}: {what}; {last_good}")


def _last_good(path: Path | None, saved_at: int | None) -> str:
    if path is None:
        return "no checkpoint is kept (out_dir is None)"
    if saved_at is None:
        return f"no checkpoint of this run was saved yet (out_dir {path.parent})"
    return f"the last good checkpoint is {path} (after {saved_at} steps)"


def _nonfinite_weights(task: Task) -> str | None:
    """The first parameter or buffer of the task that holds a nan or inf, as ``"G.down.0.weight"``."""
    for module_name, module in task.modules.items():
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            if tensor.is_floating_point() and not bool(tensor.detach().isfinite().all()):
                return f"weight {module_name}.{name}"
    return None


@runtime_checkable
class Task(Protocol):
    """What :func:`fit` needs from a trainer.

    Attributes:
        name: the kind of task (``"colorize"`` ...), checked on resume.
        modules: the networks, already on the task's device; all of them are checkpointed.
        optimizers: one per network (or group); checkpointed.
        schedulers: learning-rate schedulers, stepped by the task in ``train_step``; may be empty.
        step: completed steps so far; ``fit`` keeps it current (and sets it on resume).

    Optional: a task with state beyond its modules, optimizers and schedulers (e.g. CycleGAN's
    image pools) defines ``extra_state() -> dict`` and ``load_extra_state(state: dict)``; the
    checkpoint then saves and restores that dict too (tensors, numbers, strings, lists, dicts).
    A task that trains with mixed precision has a ``precision`` attribute
    (:class:`gancolor.train.precision.Precision`) whose GradScaler states are checkpointed.
    They are not part of this Protocol, so ``isinstance(task, Task)`` holds without them.
    ``modules`` are the plain networks (for a multi-process run the task wraps them in
    DistributedDataParallel itself), so checkpoints look the same with any number of processes.
    """

    name: str
    modules: dict[str, nn.Module]
    optimizers: dict[str, Optimizer]
    schedulers: dict[str, LRScheduler]
    step: int

    def train_step(self, step: int) -> dict[str, float]:
        """Draw the batch of ``step``, do one optimisation step, return the losses as floats."""
        ...

    def config_dict(self) -> dict:
        """The settings that define the run (plain types); a resume must match them."""
        ...


def fit(
    task: Task,
    steps: int,
    *,
    out_dir: str | os.PathLike | None = None,
    resume: bool = False,
    checkpoint_every: int = 500,
    progress: bool = True,
    log_every: int = 10,
    monitor: TrainingMonitor | None = None,
) -> History:
    """Train ``task`` until ``steps`` steps in total have been done, and return the history of all of them.

    Inputs:
        steps: the total number of steps, counting those done before a resume.
        out_dir: where ``checkpoint.pt`` is written (atomically), every ``checkpoint_every`` steps
            and at the end; None trains without checkpoints.
        resume: continue from ``out_dir/checkpoint.pt`` (a ``UserError`` if there is none).
        progress: show a tqdm bar with the mean losses of the last ``log_every`` steps.
        monitor: gets every step's losses, and writes curves and samples at every checkpoint
            (:class:`gancolor.train.watch.TrainingMonitor`; rank 0 only).

    Raises :class:`TrainingDivergedError` as soon as a loss is nan or inf; the checkpoint on disk
    is then the last good one.

    In a multi-process run the returned history holds the losses averaged over the processes,
    and only rank 0 writes files and shows the bar.
    """
    if steps < 0 or checkpoint_every < 1 or log_every < 1:
        raise ValueError(f"need steps >= 0, checkpoint_every >= 1, log_every >= 1; "
                         f"got {steps}, {checkpoint_every}, {log_every}")
    path = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    history, start = History(), 0
    if resume:
        if path is None:
            raise UserError("resume=True needs out_dir, the folder that holds checkpoint.pt")
        if not path.exists():
            raise UserError(f"{path}: no checkpoint to resume from (train without resume to start a new run)")
        checkpoint = load_training_checkpoint(path)
        restore_training_state(task, checkpoint, path)
        history, start = History.from_dict(checkpoint["history"]), checkpoint["step"]
    task.step = start
    saved_at = start if resume else None  # completed steps in the checkpoint on disk, None if none of ours

    for module in task.modules.values():
        module.train()
    seconds_before, started = history.seconds, time.perf_counter()
    main = distributed.is_main()
    bar = tqdm(range(start, steps), initial=start, total=steps, desc=task.name,
               disable=not (progress and main), dynamic_ncols=True)
    try:
        for step in bar:
            losses = distributed.mean_losses(task.train_step(step))  # the same on every rank
            bad = next((name for name, value in losses.items() if not math.isfinite(value)), None)
            if bad is not None:  # the weights are broken too now: stop, and do not save them
                raise TrainingDivergedError(step, f"loss {bad!r} is {losses[bad]}",
                                            _last_good(path, saved_at))
            history.append(step, losses)
            task.step = step + 1
            if monitor is not None and main:
                monitor.log_step(step, losses)
            if progress and main and (task.step % log_every == 0 or task.step == steps):
                bar.set_postfix({k: f"{history.mean(k, last=log_every):.4g}" for k in losses}, refresh=False)
            if path is not None and (task.step % checkpoint_every == 0 or task.step == steps):
                # finite losses can still come with a broken update (on any rank: all stop together)
                broken = distributed.any_rank(_nonfinite_weights(task))
                if broken is not None:
                    raise TrainingDivergedError(step, f"{broken} became nan or inf",
                                                _last_good(path, saved_at))
                history.seconds = seconds_before + time.perf_counter() - started
                rank_rng = distributed.gather_objects(rng_state()) if distributed.is_distributed() else None
                if main:
                    save_training_checkpoint(path, task, task.step, history, rank_rng_states=rank_rng)
                    if monitor is not None:
                        monitor.checkpoint(task, history)
                distributed.barrier()  # the others wait until rank 0 has written the checkpoint
                saved_at = task.step
    finally:
        bar.close()
    history.seconds = seconds_before + time.perf_counter() - started
    return history
