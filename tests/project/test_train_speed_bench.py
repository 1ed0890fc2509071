"""benchmarks/train_speed.py drives a reference implementation's networks file as its pix2pix step."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import train_speed  # noqa: E402

# A stand-in for the reference's models/networks.py: the same define_G / define_D signatures.
NETWORKS = '''
import torch.nn as nn

def define_G(input_nc, output_nc, ngf, netG, norm="batch", use_dropout=False, init_type="normal",
             init_gain=0.02, gpu_ids=[]):
    assert netG in ("unet_128", "resnet_6blocks")
    return nn.Sequential(nn.Conv2d(input_nc, output_nc, 3, padding=1), nn.Tanh())

def define_D(input_nc, ndf, netD, n_layers_D=3, norm="batch", **kwargs):
    assert netD == "basic"
    return nn.Sequential(nn.Conv2d(input_nc, 1, 4, 2, 1))
'''


def test_the_reference_step_trains_both_networks(tmp_path: Path, monkeypatch) -> None:
    networks = tmp_path / "networks.py"
    networks.write_text(NETWORKS)
    made = {}
    monkeypatch.setattr(torch.optim, "Adam", _recording_adam(made, torch.optim.Adam))
    step = train_speed.reference_step(networks, batch=2, size=16)
    before = {k: [p.detach().clone() for p in params] for k, params in made.items()}
    step()
    assert len(made) == 2  # one Adam for G, one for D, both stepped
    for key, params in made.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[key], params, strict=True)), key


def test_the_reference_cyclegan_step_trains_both_generators_and_discriminators(tmp_path: Path,
                                                                              monkeypatch) -> None:
    networks = tmp_path / "networks.py"
    networks.write_text(NETWORKS)
    made = {}
    monkeypatch.setattr(torch.optim, "Adam", _recording_adam(made, torch.optim.Adam))
    step = train_speed.reference_cyclegan_step(networks, size=16)
    assert len(made) == 2 and all(len(params) == 4 for params in made.values())  # (G_AB, G_BA), (D_A, D_B)
    before = {k: [p.detach().clone() for p in params] for k, params in made.items()}
    step()
    for key, params in made.items():  # every network's weights moved
        assert all(not torch.equal(a, b) for a, b in zip(before[key], params, strict=True)), key


def test_the_gancolor_cyclegan_step_runs_at_the_reference_settings() -> None:
    settings = {**train_speed.CYCLEGAN_REFERENCE_SIZE, "image_size": 32, "n_blocks": 1, "width": 8}
    step = train_speed.gancolor_cyclegan_step("fp32", False, **settings)
    step()  # builds a 32 px CycleGAN with transposed-conv upsampling and takes one step


def test_alternate_runs_every_variant_round_robin() -> None:
    calls: list[str] = []
    medians = train_speed.alternate({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3)
    assert set(medians) == {"a", "b"} and all(m >= 0 for m in medians.values())
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] * 3


def _recording_adam(made: dict, adam: type) -> type:
    class RecordingAdam(adam):  # type: ignore[misc, valid-type]
        def __init__(self, params, **kwargs):
            params = list(params)
            made[len(made)] = params
            super().__init__(params, **kwargs)
    return RecordingAdam
