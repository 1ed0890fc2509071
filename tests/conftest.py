"""Shared pytest settings and fixtures (keep this small)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Test notebooks are data for the course tests, not tests (e.g. under `pytest --nbval`).
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The source checkout (the folder with pyproject.toml, solutions/ and notebooks/)."""
    return REPO_ROOT
