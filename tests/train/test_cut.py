"""CUT (Park et al. 2020): the PatchNCE loss, the generator's encoder, the trainer, the one-sided
stylizer file, and ``gancolor train cut``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image
from test_cyclegan import state_equal, tiny_domains

from gancolor.cli import main
from gancolor.color import signed_to_uint8, uint8_to_signed
from gancolor.infer.stylizer import StylizerDirectionError, load_stylizer
from gancolor.losses.patchnce import PatchProjector, patch_nce_loss, sample_locations
from gancolor.models import ResnetGenerator
from gancolor.train import fit
from gancolor.train.cut import LOSS_NAMES, CUTConfig, CUTTrainer, export_cut_stylizer


def tiny_config(**overrides) -> CUTConfig:
    settings = dict(image_size=16, batch_size=2, width=4, n_blocks=1, d_width=4, d_layers=2, n_patches=8,
                    mlp_dim=8, steps=4, seed=0)
    return CUTConfig(**(settings | overrides))


# ------------------------------------------------------------------------------------------ PatchNCE


def test_patch_nce_is_zero_for_matching_patches_and_log_s_for_no_information():
    s = 8
    distinct = torch.eye(s)[None]  # (1, S, S): every patch its own unit vector
    assert float(patch_nce_loss(distinct, distinct, temperature=0.01)) < 1e-6
    same = torch.full((1, s, s), 1 / math.sqrt(s))  # every query equally like every key
    assert float(patch_nce_loss(same, same)) == pytest.approx(math.log(s), abs=1e-5)
    shuffled = distinct[:, torch.roll(torch.arange(s), 1)]  # each query matches another patch's key
    assert float(patch_nce_loss(shuffled, distinct, temperature=0.01)) > 50


def test_patch_nce_trains_the_query_not_the_key():
    query = torch.nn.functional.normalize(torch.randn(2, 6, 4), dim=-1).requires_grad_()
    key = torch.nn.functional.normalize(torch.randn(2, 6, 4), dim=-1).requires_grad_()
    patch_nce_loss(query, key).backward()
    assert query.grad is not None and query.grad.abs().sum() > 0 and key.grad is None


def test_patch_nce_refuses_mismatched_shapes_and_a_bad_temperature():
    with pytest.raises(ValueError, match="query and key"):
        patch_nce_loss(torch.zeros(1, 4, 3), torch.zeros(1, 5, 3))
    with pytest.raises(ValueError, match="temperature"):
        patch_nce_loss(torch.zeros(1, 4, 3), torch.zeros(1, 4, 3), temperature=0)


def test_sample_locations_are_distinct_seeded_and_capped_by_the_map():
    maps = [torch.zeros(1, 3, 10, 10), torch.zeros(1, 5, 2, 3)]
    first = sample_locations(maps, 16, torch.Generator().manual_seed(1))
    again = sample_locations(maps, 16, torch.Generator().manual_seed(1))
    assert [len(x) for x in first] == [16, 6]  # a 2 x 3 map has only 6 places
    assert all(len(set(x.tolist())) == len(x) for x in first)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))


def test_projector_gives_unit_vectors_of_the_sampled_places():
    torch.manual_seed(0)
    projector = PatchProjector([3, 5], dim=7)
    maps = [torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2)]
    where = [torch.tensor([0, 15, 3]), torch.tensor([1, 2])]
    out = projector(maps, where)
    assert [tuple(x.shape) for x in out] == [(2, 3, 7), (2, 2, 7)]
    assert torch.allclose(out[0].norm(dim=-1), torch.ones(2, 3), atol=1e-5)
    picked = maps[0].flatten(2)[:, :, 15]  # place 15 of the first map, through the first head
    expected = torch.nn.functional.normalize(projector.heads[0](picked), dim=-1)
    assert torch.allclose(out[0][:, 1], expected, atol=1e-6)
    with pytest.raises(ValueError, match="expected 2"):
        projector(maps[:1], where[:1])


@pytest.mark.parametrize("n_down,n_blocks", [(2, 6), (1, 0)])
def test_encoder_features_have_the_stated_channels_and_start_with_the_padded_image(n_down, n_blocks):
    torch.manual_seed(0)
    g = ResnetGenerator(3, 3, width=4, n_blocks=n_blocks, n_down=n_down, upsample="bilinear")
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    features = g.encode(x)
    assert [f.shape[1] for f in features] == list(g.encoder_channels())
    assert torch.equal(features[0], torch.nn.functional.pad(x, (3, 3, 3, 3), mode="reflect"))
    assert features[-1].shape[-1] == 16 // 2**n_down


# ------------------------------------------------------------------------------------------- trainer


def test_trainer_reports_finite_losses_and_is_deterministic():
    domains = tiny_domains(n=6, size=20)
    runs = []
    for _ in range(2):
        trainer = CUTTrainer(tiny_config(), domains, device="cpu")
        runs.append([trainer.train_step(step) for step in range(2)])
    assert set(runs[0][0]) == set(LOSS_NAMES)
    assert all(math.isfinite(v) for losses in runs[0] for v in losses.values())
    assert runs[0] == runs[1]


def test_nce_terms_train_g_and_h_and_the_gan_term_leaves_d_alone():
    trainer = CUTTrainer(tiny_config(), tiny_domains(), device="cpu")
    before = {name: {k: v.clone() for k, v in module.state_dict().items()} for name, module in
              trainer.modules.items()}
    trainer.train_step(0)
    changed = {name: not state_equal(before[name], module.state_dict())
               for name, module in trainer.modules.items()}
    assert changed == {"G": True, "H": True, "D": True}


def test_fastcut_drops_the_identity_term():
    trainer = CUTTrainer(tiny_config(nce_identity=False), tiny_domains(), device="cpu")
    assert trainer.train_step(0)["nce_y"] == 0.0


def test_the_transport_cost_is_the_mean_squared_change_and_pulls_g_towards_the_identity():
    domains = tiny_domains()
    off = CUTTrainer(tiny_config(), domains, device="cpu")
    assert off.train_step(0)["transport"] == 0.0  # off: not computed
    residual = CUTTrainer(tiny_config(residual=True, lambda_transport=1.0), domains, device="cpu")
    assert residual.train_step(0)["transport"] < 1e-12  # G starts as the identity: nothing moved
    plain = CUTTrainer(tiny_config(lambda_transport=1.0), domains, device="cpu")
    batch = plain.batch(0)
    with torch.no_grad():
        expected = float((plain.G(batch["real_a"]) - batch["real_a"]).pow(2).mean())
    assert plain.train_step(0)["transport"] == pytest.approx(expected, rel=1e-5)
    moved = {}
    for weight in (0.0, 100.0):  # a heavy cost keeps G's output nearer its input
        config = tiny_config(residual=True, lambda_transport=weight, steps=20)
        trainer = CUTTrainer(config, domains, device="cpu")
        fit(trainer, 20, progress=False)
        with torch.no_grad():
            x = uint8_to_signed(domains.a)
            moved[weight] = float((trainer.G.eval()(x) - x).pow(2).mean())
    assert moved[100.0] < 0.1 * moved[0.0]
    with pytest.raises(ValueError, match="lambda_transport"):
        CUTTrainer(tiny_config(lambda_transport=-1.0), domains, device="cpu")


def test_the_pixel_critic_is_made_only_when_weighted_and_trained_with_d():
    domains = tiny_domains()
    off = CUTTrainer(tiny_config(), domains, device="cpu")
    assert "P" not in off.modules and off.trained_by["D"] == ("D",)
    assert {off.train_step(0)[name] for name in ("g_pixel", "d_pixel")} == {0.0}
    on = CUTTrainer(tiny_config(lambda_pixel=1.0), domains, device="cpu")
    assert on.trained_by == {"G": ("G", "H"), "D": ("D", "P")}
    before = {k: v.clone() for k, v in on.modules["P"].state_dict().items()}
    losses = on.train_step(0)
    assert losses["g_pixel"] > 0 and losses["d_pixel"] > 0
    assert not state_equal(before, on.modules["P"].state_dict())
    with pytest.raises(ValueError, match="lambda_pixel"):
        CUTTrainer(tiny_config(lambda_pixel=-1.0), domains, device="cpu")


def test_the_pixel_terms_are_lsgan_on_the_pixel_critic():
    trainer = CUTTrainer(tiny_config(lambda_pixel=1.0), tiny_domains(), device="cpu")
    batch, critic = trainer.batch(0), trainer.modules["P"]
    with torch.no_grad():
        fake = trainer.G(batch["real_a"])
        g_expected = float((critic(fake) - 1).pow(2).mean())  # E (P(G(x)) - 1)²
        d_expected = float(0.5 * ((critic(batch["real_b"]) - 1).pow(2).mean() + critic(fake).pow(2).mean()))
    losses = trainer.train_step(0)
    assert losses["g_pixel"] == pytest.approx(g_expected, rel=1e-5)
    assert losses["d_pixel"] == pytest.approx(d_expected, rel=1e-5)  # on the same (detached) fakes


def test_nce_layers_choose_the_encoder_maps_patchnce_compares():
    domains = tiny_domains()
    every = CUTTrainer(tiny_config(), domains, device="cpu")
    assert every.nce_layers == (0, 1, 2, 3, 4) and len(every.modules["H"].heads) == 5
    deep = CUTTrainer(tiny_config(nce_layers="4,2"), domains, device="cpu")
    assert deep.nce_layers == (2, 4) and len(deep.modules["H"].heads) == 2
    assert math.isfinite(deep.train_step(0)["nce_x"])
    channels = deep.G.encoder_channels()
    assert [head[0].in_features for head in deep.modules["H"].heads] == [channels[2], channels[4]]
    for bad in ("5", "1,1", "a", ","):
        with pytest.raises(ValueError, match="nce_layers"):
            CUTTrainer(tiny_config(nce_layers=bad), domains, device="cpu")
    assert "nce_layers" not in tiny_config().to_dict() and "lambda_pixel" not in tiny_config().to_dict()


def test_residual_g_starts_as_the_identity_and_refuses_bad_settings():
    domains = tiny_domains()
    trainer = CUTTrainer(tiny_config(residual=True), domains, device="cpu")
    photo = uint8_to_signed(domains.a[:2])
    with torch.no_grad():
        assert torch.allclose(trainer.G(photo), photo, atol=1e-5)
    with pytest.raises(ValueError, match="n_patches"):
        CUTTrainer(tiny_config(n_patches=1), domains, device="cpu")
    with pytest.raises(ValueError, match="temperature"):
        CUTTrainer(tiny_config(temperature=0.0), domains, device="cpu")


def test_exact_resume(tmp_path):
    domains, config = tiny_domains(), tiny_config(lambda_pixel=0.5)
    straight = CUTTrainer(config, domains, device="cpu")
    fit(straight, 4, progress=False)
    first = CUTTrainer(config, domains, device="cpu")
    fit(first, 2, out_dir=tmp_path, checkpoint_every=2, progress=False)
    resumed = CUTTrainer(config, domains, device="cpu")
    fit(resumed, 4, out_dir=tmp_path, resume=True, progress=False)
    for name in ("G", "H", "D", "P"):
        assert state_equal(straight.modules[name].state_dict(), resumed.modules[name].state_dict())


@pytest.mark.parametrize("options", [{}, {"residual": True, "filter_size": 3}])
def test_the_exported_stylizer_is_one_sided(tmp_path, options):
    trainer = CUTTrainer(tiny_config(**options), tiny_domains(), device="cpu")
    fit(trainer, 1, progress=False)
    stylizer = load_stylizer(export_cut_stylizer(trainer, tmp_path / "cut.pt"))
    assert set(stylizer.generators) == {"AtoB"} and stylizer.domains == ("summer", "winter")
    assert stylizer.meta["train_config"]["method"] == "cut" and stylizer.meta["steps"] == 1
    photo = tiny_domains().a[:1]
    with torch.no_grad():
        expected = signed_to_uint8(trainer.G.eval()(uint8_to_signed(photo)))
    assert (stylizer.stylize_tensor(photo).int() - expected.int()).abs().max() <= 2  # float16 weights
    with pytest.raises(StylizerDirectionError, match="one-sided.*summer -> winter"):
        stylizer.direction("BtoA")


# ----------------------------------------------------------------------------------------------- CLI


def test_train_cut_keeps_the_best_and_stylize_refuses_b_to_a_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "cut", "--out", str(run), "--width", "8", "--blocks", "1", "--steps", "2",
                 "--checkpoint-every", "1", "--keep-best", "--d-layers", "2", "--residual",
                 "--lambda-transport", "2.5", "--lambda-pixel", "0.5", "--nce-layers", "1,4",
                 "--filter-size", "3"]) == 0
    printed = capsys.readouterr().out
    assert "a CUT summer2winter" in printed and "best checkpoint on the val split" in printed
    assert (run / "stylizer.pt").is_file() and (run / "best_stylizer.pt").is_file()
    settings = load_stylizer(run / "stylizer.pt").meta["train_config"]
    assert settings["d_layers"] == 2 and settings["residual"] and settings["width"] == 8
    assert settings["lambda_transport"] == 2.5 and settings["lambda_pixel"] == 0.5
    assert settings["nce_layers"] == "1,4" and settings["filter_size"] == 3
    Image.fromarray(np.full((40, 30, 3), 120, np.uint8)).save(tmp_path / "p.png")
    assert main(["stylize", str(tmp_path / "p.png"), "-o", str(tmp_path / "out"),
                 "--checkpoint", str(run / "stylizer.pt")]) == 0
    status = main(["stylize", str(tmp_path / "p.png"), "-o", str(tmp_path / "back"), "--direction", "BtoA",
                   "--checkpoint", str(run / "stylizer.pt")])
    err = capsys.readouterr().err
    assert status == 1 and "one-sided" in err and err.count("\n") == 1
    assert not (tmp_path / "back").exists() or not any((tmp_path / "back").iterdir())


def test_generators_psnr_scores_in_training_generators_like_the_exported_file_and_keeps_their_mode(tmp_path):
    from gancolor.evaluation.stylizer_eval import evaluate_stylizer, generators_psnr

    domains = tiny_domains(size=16)
    trainer = CUTTrainer(tiny_config(), domains, device="cpu")
    fit(trainer, 1, progress=False)
    trainer.G.train()
    during = generators_psnr({"AtoB": trainer.G}, domains)
    assert trainer.G.training
    exported = load_stylizer(export_cut_stylizer(trainer, tmp_path / "s.pt", half=False))
    assert during == pytest.approx(evaluate_stylizer(exported, domains)["stylizer"]["psnr"], abs=1e-4)
