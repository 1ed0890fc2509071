"""The check of exercise 2.5 (which runs collapsed?) judges the conclusion against measured diversity."""

from __future__ import annotations

import pytest
import torch

from gancolor.course import checks
from gancolor.metrics import sample_diversity

check = checks.collapsed_runs


@pytest.fixture
def runs():
    rng = torch.Generator().manual_seed(0)
    real = torch.rand(64, 3, 8, 8, generator=rng) * 2 - 1
    varied = torch.rand(16, 3, 8, 8, generator=rng) * 2 - 1
    one = torch.rand(1, 3, 8, 8, generator=rng) * 2 - 1
    collapsed = one + 0.05 * torch.randn(16, 3, 8, 8, generator=rng)
    dull = 0.6 * varied  # less contrast, but every sample differs
    return {"varied": varied, "dull": dull, "collapsed": collapsed}, real


def by_measurement(pictures, real):
    return {name for name, images in pictures.items() if sample_diversity(images, real) < 0.5}


def test_diversity_is_one_for_real_images_and_near_zero_for_copies(runs):
    pictures, real = runs
    assert sample_diversity(real, real) == pytest.approx(1.0)
    assert sample_diversity(pictures["collapsed"], real) < 0.1
    assert 0.5 < sample_diversity(pictures["dull"], real) < 0.7


@pytest.mark.parametrize("student", [by_measurement, lambda p, r: ["collapsed"]], ids=["measured", "named"])
def test_passes_on_the_right_conclusion(student, runs, capsys):
    check(student, *runs)
    assert capsys.readouterr().out == "✅ Exercise 2.5 (which runs collapsed): all checks passed.\n"


def test_stub_raises_not_implemented(runs):
    def stub(pictures, real):
        raise NotImplementedError("Exercise 2.5: not done yet")

    with pytest.raises(NotImplementedError):
        check(stub, *runs)


@pytest.mark.parametrize(("student", "needles"), [
    (lambda p, r: set(), ("the collapsed run collapsed, but you did not name it",)),
    (lambda p, r: {"collapsed", "dull"}, ("the dull run did not collapse", "are not collapsed ones")),
    (lambda p, r: {"collapsed", "WGAN"}, ("not runs of this comparison",)),
    (lambda p, r: "collapsed", ("as a set",)),
], ids=["missed", "dull-is-not-collapsed", "unknown-name", "a-string"])
def test_fails_on_wrong_conclusions(student, needles, runs):
    with pytest.raises(checks.ExerciseFailed) as info:
        check(student, *runs)
    for needle in needles:
        assert needle in str(info.value)


def test_diversity_needs_two_images_to_compare():
    with pytest.raises(ValueError, match="N >= 2"):
        sample_diversity(torch.zeros(1, 3, 8, 8), torch.rand(4, 3, 8, 8))
