"""The exemplar evaluation: halves of a photo, the global tint, the table."""

from __future__ import annotations

import numpy as np
import torch
from helpers import two_tone_photo as _two_tone

from gancolor.color import rgb_to_lab
from gancolor.evaluation.exemplar_eval import (
    REFINED,
    GlobalTint,
    evaluate_exemplar,
    exemplar_methods,
    format_exemplar_table,
    half_pairs,
)
from gancolor.infer.exemplar import Reference


def test_half_pairs_cut_along_the_long_side_both_ways():
    wide = np.zeros((10, 21, 3), np.uint8)
    pairs = half_pairs(wide)
    assert list(pairs) == ["left", "right"]
    assert pairs["left"][0].shape == (10, 10, 3) and pairs["left"][1].shape == (10, 11, 3)
    assert pairs["right"][0] is pairs["left"][1]
    assert list(half_pairs(np.zeros((30, 8, 3), np.uint8))) == ["top", "bottom"]


def test_global_tint_gives_every_pixel_the_references_mean_colour():
    reference = _two_tone(20, 30)
    out = GlobalTint(Reference.from_rgb(reference)).colorize_image(_two_tone(17, 23, seed=5))
    ab = rgb_to_lab(torch.from_numpy(out).permute(2, 0, 1).double() / 255)[1:]
    expected = Reference.from_rgb(reference).ab.mean(dim=(1, 2)).double()
    assert out.shape == (17, 23, 3)
    assert torch.allclose(ab.mean(dim=(1, 2)), expected, atol=4.0)


def test_matching_beats_the_global_tint_where_colours_follow_lightness():
    photo = np.concatenate([_two_tone(40, 40, seed=1), _two_tone(40, 40, seed=2)], axis=1)
    results = evaluate_exemplar(exemplar_methods(), {"p": photo})
    assert set(results["gray"]["per_photo"]) == {"p/left", "p/right"}
    assert results[REFINED]["psnr"] > results["global tint (mean ab)"]["psnr"] + 3
    assert results["Welsh 2002"]["psnr"] > results["global tint (mean ab)"]["psnr"] + 3
    table = format_exemplar_table(results)
    assert "vs tint" in table and "+0.00" in table and len(table.splitlines()) == 2 + len(results)
