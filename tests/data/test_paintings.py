"""The painterly renderer (gancolor.data.paintings) and the photo <-> painting domains."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gancolor.color import rgb_to_lab, uint8_to_unit
from gancolor.commands.data import load_domains
from gancolor.data.embedded import load_embedded
from gancolor.data.paintings import (
    PAINTING_DOMAINS,
    PALETTE,
    brush_strokes,
    load_painting_domains,
    paint,
    soft_palette,
    stroke_orientation,
)


def _images(n: int = 3, size: int = 32, seed: int = 0) -> torch.Tensor:
    """(n, 3, size, size) uint8: smooth colour blobs with an edge."""
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    images = torch.nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    images[:, :, :, size // 2:] *= 0.5  # a vertical edge
    return (images * 255).round().to(torch.uint8)


def test_paint_is_deterministic_keeps_shape_and_rejects_bad_input():
    images = _images()
    painted = paint(images)
    assert painted.shape == images.shape and painted.dtype == torch.uint8
    assert torch.equal(painted, paint(images.clone())) and not torch.equal(painted, images)
    with pytest.raises(ValueError, match="uint8"):
        paint(images.float())


def test_soft_palette_mixes_the_nearest_paints():
    palette = uint8_to_unit(PALETTE)
    paints = soft_palette(uint8_to_unit(_images()))
    assert paints.shape == (3, 3, 32, 32) and paints.min() >= 0 and paints.max() <= 1
    swatches = palette.t().reshape(1, 3, 1, -1)  # every palette colour, one pixel each
    assert (soft_palette(swatches) - swatches).abs().max() < 0.02  # a paint stays (almost) itself
    # As T -> 0 the soft choice becomes the nearest paint: a photo's colours end on palette colours.
    nearest = soft_palette(uint8_to_unit(_images()), temperature=1e-3).permute(0, 2, 3, 1).reshape(-1, 1, 3)
    assert ((nearest - palette).abs().amax(dim=-1).min(dim=1).values < 1e-3).all()
    between = uint8_to_unit(((PALETTE[0].int() + PALETTE[1].int()) // 2).to(torch.uint8)).view(1, 3, 1, 1)
    soft = soft_palette(between, temperature=1e5)  # T -> inf: the mean of all paints
    assert torch.allclose(soft.view(3), palette.mean(dim=0), atol=1e-3)
    with pytest.raises(ValueError, match="temperature"):
        soft_palette(swatches, temperature=0)


def test_painting_moves_colours_towards_the_palette():
    images = _images(n=4, seed=3)
    palette_lab = rgb_to_lab(uint8_to_unit(PALETTE).t().reshape(1, 3, 1, -1))[0, :, 0].t()  # (K, 3)

    def distance_to_palette(x: torch.Tensor) -> float:
        lab = rgb_to_lab(uint8_to_unit(x)).permute(0, 2, 3, 1).reshape(-1, 1, 3)
        return float((lab - palette_lab).norm(dim=-1).min(dim=1).values.mean())

    assert distance_to_palette(paint(images)) < 0.7 * distance_to_palette(images)


def test_strokes_run_along_an_edge_and_keep_it_sharp():
    gray = torch.zeros(1, 1, 24, 24)
    gray[..., 12:] = 1.0  # a vertical edge
    theta = stroke_orientation(gray)
    inside = theta[..., 4:-4, 4:-4]
    assert torch.allclose(torch.remainder(inside, math.pi), torch.full_like(inside, math.pi / 2), atol=1e-4)
    along = brush_strokes(gray, theta)
    across = brush_strokes(gray, theta + math.pi / 2)
    assert torch.equal(along[..., 4:-4, :], gray[..., 4:-4, :])  # smeared along the edge: unchanged
    assert (across - gray).abs().max() > 0.3  # smeared across it: blurred


def test_painting_domains_are_paired_renderings():
    domains = load_painting_domains("val")
    assert domains.paired and domains.names == PAINTING_DOMAINS
    assert torch.equal(domains.b[:8], paint(domains.a[:8]))
    assert load_domains("embedded-paintings", "val", 64).names == PAINTING_DOMAINS
    assert load_domains("embedded", "val", 64).names == ("summer", "winter")  # the default is unchanged
    with pytest.raises(ValueError, match="split"):
        load_painting_domains("holdout")


# The renderer defines the painting domain: its exact output is pinned, so that a change to it (which
# changes the data, the shipped model's resume identity and every figure of model card 3b) is a choice.
_PINNED = Path(__file__).parent.parent / "fixtures" / "paintings_val_first4.png"


def _pinned_input() -> torch.Tensor:
    """The first two photo crops and the first two scenes of the embedded val split, (4, 3, 64, 64) uint8."""
    images = load_embedded("val", source="all", size=64).images
    return torch.cat([images[:2], images[-2:]])


def test_renderer_output_is_pinned():
    painted = torch.cat(list(paint(_pinned_input())), dim=2)  # (3, 64, 256): side by side
    if os.environ.get("GANCOLOR_UPDATE_FIXTURES"):  # after a deliberate change to the renderer
        Image.fromarray(painted.permute(1, 2, 0).numpy()).save(_PINNED)
    pinned = torch.from_numpy(np.array(Image.open(_PINNED))).permute(2, 0, 1)
    assert pinned.shape == painted.shape
    difference = (painted.int() - pinned.int()).abs()
    # Another CPU may round a few pixels to their neighbouring palette colour; nothing more.
    assert (difference <= 2).float().mean() > 0.99, "the renderer's output changed (see _PINNED)"
    assert difference.float().mean() < 0.5
