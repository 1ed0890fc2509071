"""Where gancolor caches datasets: ``$GANCOLOR_CACHE``, a checkout's ``datasets/cache``, or, installed,
``$XDG_CACHE_HOME/gancolor`` (``~/.cache/gancolor`` when ``XDG_CACHE_HOME`` is unset)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gancolor import runtime

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def installed(tmp_path, monkeypatch) -> Path:
    """Make gancolor look installed (its package folder in a site-packages without pyproject.toml)."""
    site = tmp_path / "site-packages"
    (site / "gancolor").mkdir(parents=True)
    monkeypatch.setattr(runtime, "package_root", lambda: site / "gancolor")
    monkeypatch.delenv("GANCOLOR_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_installed_package_caches_under_xdg_cache_home(installed, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(installed / "xdg"))
    assert runtime.cache_dir() == installed / "xdg" / "gancolor"
    assert (installed / "xdg" / "gancolor").is_dir()


def test_installed_package_without_xdg_uses_dot_cache(installed, monkeypatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert runtime.cache_dir() == installed / "home" / ".cache" / "gancolor"


@pytest.mark.parametrize("value", ["", "relative/cache"])
def test_an_empty_or_relative_xdg_cache_home_is_ignored(installed, monkeypatch, value) -> None:
    """The XDG base-directory spec: a relative path in XDG_CACHE_HOME is invalid and ignored."""
    monkeypatch.setenv("XDG_CACHE_HOME", value)
    assert runtime.cache_dir() == installed / "home" / ".cache" / "gancolor"


def test_gancolor_cache_wins_over_xdg(installed, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(installed / "xdg"))
    monkeypatch.setenv("GANCOLOR_CACHE", str(installed / "mine"))
    assert runtime.cache_dir() == installed / "mine"
    assert not (installed / "xdg").exists()


def test_a_checkout_keeps_its_datasets_cache(monkeypatch, tmp_path) -> None:
    """Run from the source checkout, the cache stays in the git-ignored ``datasets/cache``."""
    monkeypatch.delenv("GANCOLOR_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runtime.package_root() == REPO / "gancolor"
    assert runtime.cache_dir() == REPO / "datasets" / "cache"
    assert not (tmp_path / "xdg").exists()
