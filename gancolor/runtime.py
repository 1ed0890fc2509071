"""Where code runs and how it is made repeatable: device choice, seeding, cache folder."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import numpy as np
import torch

from gancolor.errors import UserError

__all__ = [
    "check_device",
    "pick_device",
    "seed_everything",
    "derive_seed",
    "cache_dir",
    "user_cache_home",
    "package_root",
]


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from a tuple of ints and strings, the same on every machine and run.

    (Python's ``hash`` is salted per process for strings, so it cannot be used here.)
    """
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def check_device(name: str) -> torch.device:
    """The device ``name`` ("cpu", "cuda", "cuda:1", "mps") if this machine has it.

    Raises :class:`~gancolor.errors.UserError` (one line) for an unknown name or a device that
    is not available here.
    """
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError, TypeError):
        raise UserError(f"unknown device {name!r} (use cpu, cuda, cuda:N or mps)") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"device {name!r}: CUDA is not available on this machine (use cpu)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    elif device.type == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise UserError(f"device {name!r}: MPS is not available on this machine (use cpu)")
    elif device.type != "cpu":
        raise UserError(f"device {name!r}: gancolor runs on cpu, cuda or mps")
    return device


def pick_device(preferred: str | None = None) -> torch.device:
    """The device to train on: ``preferred`` if given (checked by :func:`check_device`), else
    cuda > mps > cpu."""
    if preferred:
        return check_device(preferred)
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


def user_cache_home() -> Path:
    """The user's cache folder of the XDG base-directory spec: ``$XDG_CACHE_HOME`` when it is set
    to an absolute path (the spec says to ignore a relative one), else ``~/.cache``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg)
    return Path.home() / ".cache"


def cache_dir() -> Path:
    """Where built datasets and downloads are cached (created on demand).

    ``$GANCOLOR_CACHE`` if set; else ``datasets/cache`` of the source checkout when the
    package runs from one (git-ignored); else, for an installed package, ``gancolor`` in the
    user's cache folder: ``$XDG_CACHE_HOME/gancolor``, or ``~/.cache/gancolor`` when
    ``XDG_CACHE_HOME`` is unset (:func:`user_cache_home`). Raises
    :class:`~gancolor.errors.UserError` (one line) if the folder is a file or cannot be written;
    temporary files left there by killed processes are removed.
    """
    from gancolor.io_utils import check_writable_folder, clean_stale_temporaries

    env = os.environ.get("GANCOLOR_CACHE")
    if env:
        path = Path(env)
    else:
        checkout_datasets = package_root().parent / "datasets"
        if checkout_datasets.is_dir() and (package_root().parent / "pyproject.toml").is_file():
            path = checkout_datasets / "cache"
        else:
            path = user_cache_home() / "gancolor"
    what = "GANCOLOR_CACHE" if env else "the cache folder (set GANCOLOR_CACHE to choose another)"
    check_writable_folder(path, what)
    clean_stale_temporaries(path)
    return path
