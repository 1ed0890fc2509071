"""The checks of notebook 10 (exemplar colorization) both ways: they pass on the notebook's
solutions, let the student's stub raise NotImplementedError, and fail on typical mistakes with a
message that names the mistake."""

from __future__ import annotations

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 10.x: not done yet")


# 10.1 luminance remapping: the notebook's solution, with switchable mistakes

def remapper(mistake: str = "") -> callable:
    def remap_luminance(L_ref: torch.Tensor, L_target: torch.Tensor) -> torch.Tensor:  # noqa: N803
        mu_r, sigma_r = L_ref.mean(), L_ref.std()
        mu_t, sigma_t = L_target.mean(), L_target.std()
        if mistake == "target":
            return sigma_r / sigma_t * (L_target - mu_t) + mu_r
        if mistake == "inverted":
            return sigma_r / sigma_t * (L_ref - mu_r) + mu_t
        if mistake == "variance":
            return L_target.var() / L_ref.var() * (L_ref - mu_r) + mu_t
        if mistake == "shift":
            return L_ref - mu_r + mu_t
        if mistake == "no_mean":
            return sigma_t / sigma_r * (L_ref - mu_r)
        if mistake == "order":
            return sigma_t / sigma_r * L_ref + mu_t - mu_r
        if mistake == "in_place":
            L_ref -= mu_r
            return sigma_t / sigma_r * L_ref + mu_t
        if mistake == "numpy":
            return (sigma_t / sigma_r * (L_ref - mu_r) + mu_t).numpy().tolist()
        return sigma_t / sigma_r * (L_ref - mu_r) + mu_t

    return remap_luminance


def test_remap_passes_on_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.remap_luminance, remapper(), capsys)


def test_remap_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.remap_luminance(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("target", "remapped the target"),
    ("inverted", "upside down"),
    ("variance", "ratio of variances"),
    ("shift", "only the mean was moved"),
    ("no_mean", "target's mean is missing"),
    ("order", "before subtracting its mean"),
    ("in_place", "changed its inputs in place"),
    ("numpy", "should be a torch.Tensor"),
])
def test_remap_names_the_mistake(mistake: str, needle: str) -> None:
    fails(checks.remap_luminance, remapper(mistake), needle)


# 10.2 the nearest sample's colour

def matcher(mistake: str = "") -> callable:
    def nearest_ab(target: torch.Tensor, samples: torch.Tensor, sample_ab: torch.Tensor) -> torch.Tensor:
        t, s = (target[:1], samples[:1]) if mistake == "lightness" else (target, samples)
        distances = torch.cdist(t.T, s.T)  # (P, S)
        index = distances.argmax(dim=1) if mistake == "farthest" else distances.argmin(dim=1)
        if mistake == "index":
            return index
        if mistake == "features":
            return samples[:, index]
        if mistake == "transposed":
            return sample_ab[:, index].T
        if mistake == "manhattan":
            return sample_ab[:, torch.cdist(t.T, s.T, p=1).argmin(dim=1)]
        return sample_ab[:, index]

    return nearest_ab


def test_nearest_passes_on_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.nearest_ab, matcher(), capsys)


def test_nearest_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.nearest_ab(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("farthest", "farthest"),
    ("lightness", "lightness alone"),
    ("index", "index, not its colour"),
    ("features", "features, not its colour"),
    ("transposed", "(P, 2)"),
    ("manhattan", "not close to the expected value"),
])
def test_nearest_names_the_mistake(mistake: str, needle: str) -> None:
    fails(checks.nearest_ab, matcher(mistake), needle)
