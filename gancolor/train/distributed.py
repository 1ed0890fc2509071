"""Training on several GPUs (or CPU processes) with PyTorch's DistributedDataParallel.

Launch any ``gancolor train colorize|cyclegan`` command with ``torchrun``:

    torchrun --standalone --nproc_per_node 4 -m gancolor train cyclegan --data horse2zebra --config full ...

torchrun starts one process per GPU and tells each its place in the environment variables
``RANK`` (0 .. WORLD_SIZE - 1), ``WORLD_SIZE`` and ``LOCAL_RANK`` (the GPU on this machine).
:func:`init_from_env` turns them into a process group: NCCL with one GPU per process
(``cuda:LOCAL_RANK``) on CUDA, gloo on the CPU. Without torchrun nothing here does anything:
every function below is then the identity or a no-op, and a single process trains as before.

How the work is split, step by step:

* **Data.** Every process computes the same *global* batch of ``step`` (a pure function of
  (seed, step), see :mod:`gancolor.train.sampling`) and keeps its contiguous shard: rank ``r`` of
  ``W`` takes examples ``r * B/W .. (r + 1) * B/W - 1`` (:func:`shard`). This plays the role of
  ``torch.utils.data.DistributedSampler`` (which deals rank ``r`` the indices ``r, r + W, r + 2W, ...``
  of one shuffled epoch), but keeps no state: a resumed run sees the same shards for free. The
  global ``batch_size`` must be divisible by ``W`` (:func:`check_batch_size`); each GPU then
  holds ``B/W`` examples, and ``--batch-size`` keeps meaning the batch of the whole step.
* **Gradients.** The networks that train are wrapped in ``DistributedDataParallel``
  (:func:`wrap`), which averages their gradients over the processes during ``backward``. Every
  loss here is a mean over the batch, so the mean of the shards' gradients is the gradient of
  the global batch: W processes take the same optimisation steps as one process would on the
  whole batch (up to float rounding). A network that is only a critic for another's loss (D in
  the G step, with ``requires_grad`` off) is called unwrapped (``.module``, i.e. the trainer's
  plain module), so DDP does not wait for gradients that never come.
* **BatchNorm.** On CUDA, BatchNorm layers become ``SyncBatchNorm``: the statistics are those of
  the global batch. gloo has no SyncBatchNorm, so on the CPU each process normalises with the
  statistics of its own shard (and DDP copies rank 0's running averages to the others at each
  forward). Only instance-norm models such as CycleGAN are then step-for-step comparable to one
  process; pix2pix's BatchNorm U-Net trains fine but differently.
* **Randomness.** Batches, crops, flips, hints and CycleGAN's image pool are functions of
  (seed, step) and identical on every rank (the pool sees the fakes of all ranks,
  :func:`all_gather`). Dropout draws from torch's global generator, which each process seeds
  with (seed, rank) (:func:`seed_rank`): the shards get independent masks. Checkpoints store
  every rank's generator state, so a resume with the same number of processes is exact.
* **Files.** Rank 0 alone shows the progress bar, writes checkpoints, the exported model and the
  curves; the other processes wait at a barrier. On resume every rank reads the checkpoint (one
  machine, or a file system that all machines share). The per-step losses are averaged over
  the ranks, so the history is that of the global batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from gancolor.errors import UserError
from gancolor.runtime import derive_seed

__all__ = [
    "Launch",
    "launched_by_torchrun",
    "torchrun_rank",
    "init_from_env",
    "shutdown",
    "launch",
    "is_distributed",
    "rank",
    "world_size",
    "is_main",
    "barrier",
    "check_batch_size",
    "shard",
    "all_gather",
    "wrap",
    "seed_rank",
    "mean_losses",
    "any_rank",
    "gather_objects",
]

_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
_device: torch.device | None = None  # this process's device, set by init_from_env


@dataclass(frozen=True)
class Launch:
    """This process's place in a torchrun launch."""

    rank: int
    world_size: int
    local_rank: int
    backend: str  # "nccl" or "gloo"
    device: torch.device  # cuda:LOCAL_RANK with nccl, cpu with gloo

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """True if torchrun started this process as one of several (see :func:`torchrun_rank`)."""
    return torchrun_rank() is not None


def torchrun_rank() -> int | None:
    """This process's ``RANK`` if torchrun started it as one of several processes, else None.

    The environment must be torchrun's, consistently: ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``
    whole numbers with ``WORLD_SIZE > 1`` and ``0 <= RANK, LOCAL_RANK < WORLD_SIZE``, and
    ``MASTER_ADDR`` and ``MASTER_PORT`` set. A stray ``RANK`` alone (left in a shell, set by a
    notebook host) is ignored: the command then runs, and reports errors, as a single process.
    """
    try:
        rank_, world, local = (int(os.environ[name]) for name in _ENV)
    except (KeyError, ValueError):
        return None
    consistent = world > 1 and 0 <= rank_ < world and 0 <= local < world
    if not consistent or not os.environ.get("MASTER_ADDR") or not os.environ.get("MASTER_PORT"):
        return None
    return rank_


def _env_int(name: str) -> int:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        raise UserError(f"torchrun's environment variable {name} is missing or not a number "
                        f"({os.environ.get(name)!r}); start the command with torchrun") from None


def init_from_env(device: str | torch.device | None = None) -> Launch:
    """Join the process group described by torchrun's ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``
    (and ``MASTER_ADDR``, ``MASTER_PORT``).

    ``device``: None picks CUDA if available (each process takes ``cuda:LOCAL_RANK``, NCCL),
    else the CPU (gloo); ``"cuda"`` or ``"cpu"`` choose. A device index (``cuda:1``) is refused:
    torchrun assigns the GPUs.
    """
    global _device
    rank_, world, local = (_env_int(name) for name in _ENV)
    if device is None:
        kind = "cuda" if torch.cuda.is_available() else "cpu"
    else:
        requested = torch.device(device)
        if requested.index is not None:
            raise UserError(f"--device {device}: under torchrun each process uses the GPU of its "
                            "LOCAL_RANK; pass --device cuda (or leave it out)")
        kind = requested.type
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device cuda, but CUDA is not available")
        if local >= torch.cuda.device_count():
            raise UserError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} GPU(s): start at "
                            "most one process per GPU (torchrun --nproc_per_node)")
        torch.cuda.set_device(local)
        launch_ = Launch(rank_, world, local, "nccl", torch.device("cuda", local))
    elif kind == "cpu":
        launch_ = Launch(rank_, world, local, "gloo", torch.device("cpu"))
    else:
        raise UserError(f"multi-process training runs on CUDA (nccl) or the CPU (gloo), not {kind}")
    if not dist.is_initialized():
        options: dict[str, Any] = {"device_id": launch_.device} if kind == "cuda" else {}
        dist.init_process_group(launch_.backend, init_method="env://", rank=rank_, world_size=world,
                                **options)
    _device = launch_.device
    return launch_


def shutdown() -> None:
    """Leave the process group (if any)."""
    global _device
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    _device = None


@contextmanager
def launch(device: str | torch.device | None = None) -> Iterator[Launch | None]:
    """``with launch(args.device) as ctx:`` joins the torchrun process group for the block and
    leaves it afterwards; ``ctx`` is None (and nothing happens) without torchrun."""
    if not launched_by_torchrun():
        yield None
        return
    ctx = init_from_env(device)
    try:
        yield ctx
    finally:
        shutdown()


def is_distributed() -> bool:
    """True inside a process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """The number of processes (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main() -> bool:
    """True on rank 0, the process that logs and writes files (and in a single process)."""
    return rank() == 0


def _collective_device() -> torch.device:
    """Where tensors for collectives live: this rank's GPU with NCCL, else the CPU."""
    if _device is not None:
        return _device
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def barrier() -> None:
    """Wait until every process gets here (no-op in a single process)."""
    if is_distributed():
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[_collective_device().index])
        else:
            dist.barrier()


def check_batch_size(batch_size: int) -> None:
    """Refuse a global batch that the processes cannot share equally (a ``UserError``)."""
    world = world_size()
    if batch_size % world:
        lower, upper = max(world, batch_size - batch_size % world), batch_size + world - batch_size % world
        raise UserError(f"batch_size {batch_size} cannot be split over {world} processes: the global "
                        f"batch size must be a multiple of the number of processes (e.g. {lower} or {upper})")


def shard(batch: torch.Tensor) -> torch.Tensor:
    """This rank's contiguous slice of a global ``batch`` (along dim 0): rank r of W gets
    ``batch[r * n : (r + 1) * n]``, n = len(batch) / W. The whole batch in a single process."""
    world = world_size()
    if world == 1:
        return batch
    check_batch_size(len(batch))
    n = len(batch) // world
    return batch[rank() * n:(rank() + 1) * n]


def all_gather(tensor: torch.Tensor) -> torch.Tensor:
    """The ranks' ``tensor`` shards concatenated along dim 0, in rank order (the inverse of
    :func:`shard`), on every rank; no gradient flows back. ``tensor`` itself in a single process."""
    if not is_distributed():
        return tensor
    tensor = tensor.detach().contiguous()
    parts = [torch.empty_like(tensor) for _ in range(world_size())]
    dist.all_gather(parts, tensor)
    return torch.cat(parts)


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` wrapped in DistributedDataParallel for training (``module`` itself in a single
    process). On CUDA its BatchNorm layers are first made SyncBatchNorm, in place (the
    parameters stay the same objects, so optimizers built on them keep working)."""
    if not is_distributed():
        return module
    if device.type == "cuda":
        converted = nn.SyncBatchNorm.convert_sync_batchnorm(module)
        if converted is not module:  # a bare BatchNorm: never one of the package's networks
            raise TypeError("wrap() needs a network that contains its BatchNorm layers")
        return nn.parallel.DistributedDataParallel(module, device_ids=[device.index])
    return nn.parallel.DistributedDataParallel(module)


def seed_rank(seed: int) -> None:
    """Give each process its own torch random stream, seeded by (seed, rank), for dropout and
    any other draw from the global generator (no-op in a single process, whose stream stays
    the one ``seed_everything(seed)`` started)."""
    if is_distributed():
        torch.manual_seed(derive_seed("rank", seed, rank()))


def mean_losses(losses: dict[str, float]) -> dict[str, float]:
    """The losses averaged over the ranks (every rank reports the same names): with equal
    shards, the loss of the global batch. ``losses`` itself in a single process."""
    if not is_distributed():
        return losses
    names = sorted(losses)
    values = torch.tensor([float(losses[name]) for name in names], dtype=torch.float64,
                          device=_collective_device())
    dist.all_reduce(values)
    values /= world_size()
    return dict(zip(names, values.tolist(), strict=True))


def gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` (picklable), in rank order, on every rank; ``[obj]`` in a single process."""
    if not is_distributed():
        return [obj]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def any_rank(value: Any) -> Any:
    """The first non-None ``value`` of the ranks (the same answer on every rank), or None."""
    return next((v for v in gather_objects(value) if v is not None), None)
