"""Shared pytest settings and fixtures (keep this small)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]

# Test notebooks are data for the course tests, not tests (e.g. under `pytest --nbval`).
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The source checkout (the folder with pyproject.toml, solutions/ and notebooks/)."""
    return REPO_ROOT


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' tensors are small: one thread beats two that spin-wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
