"""Temporal colorizers: smoothing, the learned gate, its trainer and the video evaluation (issue 13)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from gancolor.data.clips import ClipSplit, build_clips
from gancolor.errors import CheckpointError
from gancolor.models.temporal_gate import Previous, TemporalGate, smoothing_step
from gancolor.train.temporal_consistency import TemporalConfig, export_temporal, train_temporal
from gancolor.video.methods import Stream, load_temporal


@pytest.fixture(scope="module")
def clips() -> ClipSplit:
    return ClipSplit(**build_clips(size=32, frames=6, n_clips={"train": 3, "val": 1, "test": 1},
                                   progress=False)["splits"]["train"])


def test_smoothing_keeps_colours_where_the_pan_explains_the_frame() -> None:
    g = torch.Generator().manual_seed(0)
    world = torch.rand(1, 1, 32, 48, generator=g) * 2 - 1
    L0, L1 = world[..., 0:32], world[..., 2:34]  # noqa: N806 - camera pans 2 px right
    ab0 = torch.full((1, 2, 32, 32), 0.3)
    ab1 = torch.full((1, 2, 32, 32), -0.3)  # the per-frame colorizer changed its mind
    out = smoothing_step(L1, ab1, Previous(L0, ab0), alpha=1.0)
    assert torch.allclose(out[..., :, :30], ab0[..., :, :30])  # carried along the pan
    assert torch.allclose(out[..., :, 30:], ab1[..., :, 30:])  # the uncovered strip: new colours
    assert torch.equal(smoothing_step(L1, ab1, None), ab1)  # first frame


def test_gate_mixes_only_given_colours() -> None:
    gate = TemporalGate(width=4, depth=2).eval()
    L = torch.zeros(1, 1, 16, 16)  # noqa: N806
    a, b = torch.full((1, 2, 16, 16), 0.5), torch.full((1, 2, 16, 16), -0.5)
    out = gate.step(L, b, Previous(L, a))
    assert out.shape == (1, 2, 16, 16) and (out >= -0.5).all() and (out <= 0.5).all()


def test_trainer_learns_and_exports(clips: ClipSplit, tmp_path: Path) -> None:
    ab_frame = torch.zeros(3, 6, 2, 32, 32)  # a per-frame colorizer that always says gray
    config = TemporalConfig(width=4, depth=2, batch_size=2, window=3)
    trainer, history = train_temporal(config, clips, ab_frame, 3, out_dir=tmp_path, progress=False)
    assert len(history) == 3 and all(math.isfinite(history.mean(k)) for k in ("g_l1", "g_temp"))
    batch = trainer.batch(0)
    assert batch["L"].shape == (2, 3, 1, 32, 32) and batch["flow"].shape == (2, 2, 2, 32, 32)
    assert batch["valid"].any()
    path = export_temporal(trainer, tmp_path / "temporal.pt")
    model = load_temporal(path)
    assert model.per_frame == "gan"
    L = torch.zeros(6, 1, 30, 30)  # noqa: N806 - any size: padded to the gate's multiple
    assert Stream(model.step).run(L, torch.zeros(6, 2, 30, 30)).shape == (6, 2, 30, 30)
    with pytest.raises(CheckpointError):
        load_temporal(tmp_path / "checkpoint.pt")
