"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint holds the state of every module, optimizer and scheduler of a task, the random
number generator states (dropout masks draw from them), the step, the loss history, and the
task's name and config so that a run is never resumed with different settings by mistake.
Batches need no state: they are a pure function of (seed, step) (see ``sampling``).

A task with more state than its modules, optimizers and schedulers (CycleGAN's image pools)
defines ``extra_state() -> dict`` and ``load_extra_state(dict)``; the dict (tensors, numbers,
strings, lists, dicts) is saved under ``"extra"`` and given back on resume. Tasks without them
write no ``"extra"``. A task with a ``precision`` attribute (:class:`~gancolor.train.precision.Precision`)
that trains with mixed precision also saves its GradScalers' states, under ``"scalers"``.

In a multi-process run (:mod:`gancolor.train.distributed`) rank 0 writes the file, and
``"rng"`` also holds every rank's generator states (``"ranks"``), so that each process gets its
own dropout stream back on resume. Resumed with another number of processes (or in one), each
rank instead reseeds from (seed, rank, step): the batches are still the same, the dropout
masks not those of an uninterrupted run.

The file holds only tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(..., weights_only=True)``, which cannot run code from an untrusted file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from gancolor import __version__
from gancolor.errors import CheckpointError, first_line
from gancolor.io_utils import atomic_torch_save
from gancolor.model_files import COLORIZER_FORMAT, STYLIZER_FORMAT
from gancolor.runtime import derive_seed
from gancolor.train import distributed
from gancolor.train.config import SPEED_SETTINGS
from gancolor.train.history import History

if TYPE_CHECKING:
    from gancolor.train.loop import Task

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_NAME",
    "save_training_checkpoint",
    "load_training_checkpoint",
    "restore_training_state",
    "rng_state",
]

CHECKPOINT_FORMAT = "gancolor.training_checkpoint"
CHECKPOINT_VERSION = 1
#: The file name ``fit`` uses inside its ``out_dir``.
CHECKPOINT_NAME = "checkpoint.pt"
_REQUIRED_KEYS = ("task", "config", "step", "history", "modules", "optimizers", "schedulers", "rng")


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _this_rank_rng_state(state: dict[str, Any], task: Task, step: int) -> dict[str, Any] | None:
    """This process's part of a checkpoint's ``"rng"``; None (after reseeding from (seed, rank,
    step)) if the checkpoint was written by another number of processes."""
    ranks, world, rank = state.get("ranks"), distributed.world_size(), distributed.rank()
    if ranks is not None and len(ranks) == world:
        return ranks[rank]
    if world > 1 or ranks is not None:
        seed = getattr(getattr(task, "config", None), "seed", 0)
        torch.manual_seed(derive_seed("resume", seed, rank, step))
        return None
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    cuda_states = state.get("cuda")
    if cuda_states and torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_states)


def rng_state() -> dict[str, Any]:
    """This process's random generator states (torch CPU, every CUDA device), as checkpoints store them."""
    return _rng_state()


def save_training_checkpoint(path: str | os.PathLike, task: Task, step: int, history: History,
                             rank_rng_states: list[dict[str, Any]] | None = None) -> None:
    """Write ``task``'s full training state after ``step`` completed steps to ``path``, atomically.

    ``rank_rng_states``: in a multi-process run, :func:`rng_state` of every rank in rank order
    (rank 0 writes the file); None in a single process.
    """
    rng = _rng_state()
    if rank_rng_states is not None and len(rank_rng_states) > 1:
        rng["ranks"] = list(rank_rng_states)
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_VERSION,
        "gancolor_version": __version__,
        "task": task.name,
        "config": task.config_dict(),
        "step": int(step),
        "history": history.to_dict(),
        "modules": {name: module.state_dict() for name, module in task.modules.items()},
        "optimizers": {name: opt.state_dict() for name, opt in task.optimizers.items()},
        "schedulers": {name: sched.state_dict() for name, sched in task.schedulers.items()},
        "rng": rng,
    }
    if hasattr(task, "extra_state"):
        checkpoint["extra"] = task.extra_state()
    precision = getattr(task, "precision", None)
    scalers = precision.state_dict() if precision is not None else {}
    if scalers:
        checkpoint["scalers"] = scalers
    atomic_torch_save(checkpoint, path)


def load_training_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """Read a training checkpoint written by :func:`save_training_checkpoint`.

    A missing, unreadable, or other kind of file raises :class:`CheckpointError` with a one-line reason.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such checkpoint file" if not path.exists() else "not a file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # corrupt zip, truncated pickle, disallowed objects ...: many types
        raise CheckpointError(path, f"not a readable PyTorch checkpoint ({first_line(error)})") from None
    kind = checkpoint.get("format") if isinstance(checkpoint, dict) else type(checkpoint).__name__
    if kind != CHECKPOINT_FORMAT:
        hints = {COLORIZER_FORMAT: " (an exported colorizer: load it with gancolor.inference)",
                 STYLIZER_FORMAT: " (an exported stylizer: load it with gancolor.stylize)"}
        hint = hints.get(kind, "") if isinstance(kind, str) else ""
        raise CheckpointError(path, f"not a gancolor training checkpoint (format: {kind}){hint}")
    version = checkpoint.get("format_version", 0)
    if not _is_whole(version):
        raise CheckpointError(path, f"field 'format_version' is a {type(version).__name__}, "
                                    "not a whole number")
    if version > CHECKPOINT_VERSION:
        newer = str(checkpoint.get("gancolor_version"))[:20]
        raise CheckpointError(path, f"written by a newer gancolor ({newer}); upgrade gancolor to resume it")
    missing = [key for key in _REQUIRED_KEYS if key not in checkpoint]
    if missing:
        raise CheckpointError(path, f"incomplete training checkpoint (missing {', '.join(missing)})")
    _check_fields(path, checkpoint)
    return checkpoint


#: The type of every required field of a training checkpoint.
_FIELD_TYPES = {"task": str, "config": dict, "step": int, "history": dict, "modules": dict,
                "optimizers": dict, "schedulers": dict, "rng": dict}


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(path: Path, checkpoint: dict) -> None:
    """Refuse (one-line ``CheckpointError``) a checkpoint whose fields have the wrong type or shape."""
    for key, kind in _FIELD_TYPES.items():
        value = checkpoint[key]
        if not isinstance(value, kind) or (kind is int and not _is_whole(value)):
            raise CheckpointError(path, f"field {key!r} is a {type(value).__name__}, not a {kind.__name__}")
    if checkpoint["step"] < 0:
        raise CheckpointError(path, f"field 'step' is negative ({checkpoint['step']})")
    for key in ("modules", "optimizers", "schedulers"):
        bad = [str(name)[:40] for name, state in checkpoint[key].items() if not isinstance(state, dict)]
        if bad:
            raise CheckpointError(path, f"field {key!r}: {', '.join(bad)} is not a state dict")
    if not isinstance(checkpoint["rng"].get("torch"), torch.Tensor):
        raise CheckpointError(path, "field 'rng' holds no torch generator state")
    try:
        History.from_dict(checkpoint["history"])
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise CheckpointError(path, f"field 'history' is malformed ({first_line(error)})") from None


def _flatten(config: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _config_differences(saved: dict, current: dict) -> list[str]:
    """``["lr: 0.0002 in the checkpoint, 0.001 now", ...]`` for every setting that differs."""
    saved = {k: v for k, v in saved.items() if k not in SPEED_SETTINGS}  # older runs stored them
    saved, current = _flatten(saved), _flatten(current)
    return [
        f"{key}: {saved.get(key, '(absent)')!r} in the checkpoint, {current.get(key, '(absent)')!r} now"
        for key in sorted(set(saved) | set(current), key=str)
        if saved.get(key, "(absent)") != current.get(key, "(absent)")
    ]


def _load_states(path: Path, kind: str, objects: dict, states: dict) -> None:
    if set(objects) != set(states):
        raise CheckpointError(path, f"{kind} {sorted(states)} in the checkpoint, {sorted(objects)} now")
    for name, obj in objects.items():
        try:
            obj.load_state_dict(states[name])
        except (RuntimeError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
            reason = f"{kind[:-1]} {name!r} does not match ({first_line(error)})"
            raise CheckpointError(path, reason) from None


def restore_training_state(task: Task, checkpoint: dict, path: str | os.PathLike) -> None:
    """Load a checkpoint's module, optimizer, scheduler and RNG states into ``task``.

    Refuses (``CheckpointError``) a checkpoint of another task or another config, saying what differs.
    ``path`` is only used in error messages.
    """
    path = Path(path)
    if checkpoint["task"] != task.name:
        raise CheckpointError(path, f"is a {checkpoint['task'][:40]!r} checkpoint, not {task.name!r}")
    differences = _config_differences(checkpoint["config"], task.config_dict())
    if differences:
        shown = "; ".join(" ".join(d.split())[:120] for d in differences[:5])
        more = f"; and {len(differences) - 5} more" if len(differences) > 5 else ""
        raise CheckpointError(path, f"was trained with a different config: {shown}{more}")
    _load_states(path, "modules", task.modules, checkpoint["modules"])
    _load_states(path, "optimizers", task.optimizers, checkpoint["optimizers"])
    _load_states(path, "schedulers", task.schedulers, checkpoint["schedulers"])
    _load_extra_state(path, task, checkpoint.get("extra"))
    try:
        precision = getattr(task, "precision", None)
        if precision is not None:
            precision.load_state_dict(checkpoint.get("scalers", {}))
            precision.configure(task.optimizers)  # the saved param_groups carry the saving run's kernel
        rng = _this_rank_rng_state(checkpoint["rng"], task, int(checkpoint["step"]))
        if rng is not None:
            _set_rng_state(rng)
    except (RuntimeError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise CheckpointError(path, f"scaler or random generator state does not fit ({first_line(error)})"
                              ) from None


def _load_extra_state(path: Path, task: Task, extra: dict | None) -> None:
    """Give a task its ``extra_state`` back; refuse a checkpoint and a task that disagree on having one."""
    loader = getattr(task, "load_extra_state", None)
    if extra is None and loader is None:
        return
    if extra is None:
        raise CheckpointError(path, f"holds no extra state, which the {task.name!r} task needs")
    if not isinstance(extra, dict):
        raise CheckpointError(path, f"field 'extra' is a {type(extra).__name__}, not a dict")
    if loader is None:
        keys = ", ".join(str(key)[:20] for key in extra)
        raise CheckpointError(path, f"holds extra state ({keys}) that the {task.name!r} task cannot take")
    try:
        loader(extra)
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(path, f"extra state does not match ({first_line(error)})") from None
