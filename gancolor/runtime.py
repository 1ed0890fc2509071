"""Where code runs and how it is made repeatable: device choice, seeding, cache folder."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

__all__ = ["pick_device", "seed_everything", "cache_dir", "package_root"]


def pick_device(preferred: str | None = None) -> torch.device:
    """The device to train on: ``preferred`` if given, else cuda > mps > cpu."""
    if preferred:
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); returns a CPU generator seeded the same."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def package_root() -> Path:
    """The folder of the installed ``gancolor`` package."""
    return Path(__file__).resolve().parent


def cache_dir() -> Path:
    """Where built datasets and downloads are cached (created on demand).

    ``$GANCOLOR_CACHE`` if set; else ``datasets/cache`` of the source checkout when the
    package runs from one (git-ignored); else ``~/.cache/gancolor``.
    """
    env = os.environ.get("GANCOLOR_CACHE")
    if env:
        path = Path(env)
    else:
        checkout_datasets = package_root().parent / "datasets"
        if checkout_datasets.is_dir() and (package_root().parent / "pyproject.toml").is_file():
            path = checkout_datasets / "cache"
        else:
            path = Path.home() / ".cache" / "gancolor"
    path.mkdir(parents=True, exist_ok=True)
    return path
