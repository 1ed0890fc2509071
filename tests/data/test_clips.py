"""The procedural video clips: deterministic, moving, with exact true motion (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gancolor.data.clips import ClipSplit, build_clips, render_clip, sample_motion
from gancolor.data.clips.embedded_clips import clip_seed
from gancolor.data.scenes import sample_layout
from gancolor.metrics.flicker import flicker, true_motion_mask

SMALL = {"train": 4, "val": 1, "test": 2}


@pytest.fixture(scope="module")
def built() -> dict:
    return build_clips(size=32, frames=6, n_clips=SMALL, progress=False)


def test_build_shapes_types_and_seasons(built: dict) -> None:
    train = ClipSplit(**built["splits"]["train"])
    assert train.frames.shape == (4, 6, 3, 32, 32) and train.frames.dtype == torch.uint8
    assert train.ids.shape == (4, 6, 32, 32) and train.ambiguous.dtype == torch.bool
    assert train.season == ["summer", "winter", "summer", "winter"]
    assert train.flow(0).shape == (5, 2, 32, 32)


def test_build_is_deterministic_and_splits_differ(built: dict) -> None:
    again = build_clips(size=32, frames=6, n_clips=SMALL, progress=False)
    assert torch.equal(again["splits"]["train"]["frames"], built["splits"]["train"]["frames"])
    assert not torch.equal(built["splits"]["train"]["frames"][0], built["splits"]["test"]["frames"][0])


def test_something_moves_in_every_clip(built: dict) -> None:
    frames = built["splits"]["train"]["frames"]
    assert all(not torch.equal(clip[0], clip[-1]) for clip in frames)


def test_true_colours_do_not_flicker_along_the_true_motion(built: dict) -> None:
    train = ClipSplit(**built["splits"]["train"])
    for i in range(len(train)):
        flow = train.flow(i)
        valid = true_motion_mask(train.ids[i], flow)
        assert valid.float().mean() > 0.5
        assert flicker(train.frames[i], flow, valid) < 0.05


def test_objects_pass_in_front_of_each_other() -> None:
    """Some test clip hides part of an object at the next frame (occlusion the mask leaves out)."""
    hidden = 0
    for i in range(6):
        rng = clip_seed("train", i)
        layout = sample_layout(rng)
        motion = sample_motion(rng, layout, 64)
        clip = render_clip(layout, motion, 8, 64, "summer")
        ids = torch.from_numpy(clip.ids.astype(np.int64))
        flow = torch.from_numpy(motion.flow(clip.ids[:-1].astype(np.int64)))
        valid = true_motion_mask(ids, flow)
        hidden += int(((ids[:-1] > 0) & ~valid).sum())
    assert hidden > 0


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="count for each"):
        build_clips(n_clips={"train": 1}, progress=False)
