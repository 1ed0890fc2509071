"""The critic-alone diagnostic: it tells apart domains that differ, and not domains that do not."""

from __future__ import annotations

import pytest
import torch

from gancolor.data.unpaired import UnpairedDomains
from gancolor.evaluation.domain_gap import critic_accuracy


def _domains(n: int, seed: int, b_differs: bool) -> UnpairedDomains:
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(60, 200, (n, 3, 64, 64), generator=g).to(torch.uint8)  # noisy "photos"
    if b_differs:  # smooth, bright "paintings"
        b = torch.full((n, 3, 64, 64), 230, dtype=torch.uint8)
    else:
        b = torch.randint(60, 200, (n, 3, 64, 64), generator=g).to(torch.uint8)
    return UnpairedDomains(a=a, b=b, paired=False, names=("photo", "painting"), source="test")


def test_domains_that_differ_are_told_apart_and_parts_are_scored_separately():
    train, held_out = _domains(16, 0, True), _domains(8, 1, True)
    results = critic_accuracy(train, held_out, {"first": slice(0, 4), "rest": slice(4, None)}, steps=30,
                              batch_size=4, progress=False)
    assert set(results) == {"first", "rest"}
    assert all(row["accuracy"] == 1.0 and row["mean_b"] > row["mean_a"] for row in results.values())


def test_the_same_domain_twice_is_at_chance_and_the_seed_fixes_the_result():
    train, held_out = _domains(16, 0, False), _domains(32, 1, False)
    first = critic_accuracy(train, held_out, steps=30, batch_size=4, progress=False)
    assert abs(first["all"]["accuracy"] - 0.5) <= 0.25
    assert critic_accuracy(train, held_out, steps=30, batch_size=4, progress=False) == first


def test_the_pixel_critic_sees_colours_and_not_texture():
    train, held_out = _domains(16, 0, True), _domains(8, 1, True)  # B: another colour
    colour = critic_accuracy(train, held_out, steps=30, batch_size=4, progress=False, critic="pixel")
    assert colour["all"]["accuracy"] == 1.0

    def sorted_pixels(domains: UnpairedDomains) -> UnpairedDomains:  # the same pixels, arranged smoothly
        flat = domains.a.flatten(2)  # (N, 3, H*W)
        order = flat.float().sum(dim=1).argsort(dim=1)  # by brightness: one smooth ramp per image
        ramps = torch.gather(flat, 2, order[:, None].expand_as(flat)).view_as(domains.a)
        return UnpairedDomains(a=domains.a, b=ramps, paired=True, names=domains.names, source="test")

    train, held_out = sorted_pixels(_domains(16, 0, False)), sorted_pixels(_domains(16, 1, False))
    texture = {name: critic_accuracy(train, held_out, steps=30, batch_size=4, progress=False, critic=name)
               for name in ("patch", "pixel")}
    assert texture["patch"]["all"]["accuracy"] == 1.0
    assert abs(texture["pixel"]["all"]["accuracy"] - 0.5) <= 0.25
    with pytest.raises(ValueError, match="critic"):
        critic_accuracy(train, held_out, steps=1, progress=False, critic="global")
