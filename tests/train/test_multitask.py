"""The multi-task model (colour + winter style, one encoder): model, trainer, export, inference, scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gancolor.data.lab import lab_batch
from gancolor.data.unpaired import UnpairedDomains
from gancolor.errors import CheckpointError
from gancolor.evaluation.multitask_eval import evaluate_multitask, format_multitask_results
from gancolor.infer.colorizer import Colorizer
from gancolor.infer.multitask_model import MultiTaskModel, load_multitask
from gancolor.infer.stylizer import Stylizer
from gancolor.models import ResnetGenerator, UNetGenerator, count_parameters
from gancolor.models.multitask import HeadView, MultiTaskGenerator, gray_rgb_n
from gancolor.train import CHECKPOINT_NAME, fit
from gancolor.train.colour_and_style import (
    LOSS_NAMES,
    MultiTaskConfig,
    MultiTaskTrainer,
    export_multitask,
    job_gradient_norms,
    lightness_n,
    multitask_loss,
)

TINY_G = dict(width=4, depth=3, max_width=16)


def tiny_config(**overrides) -> MultiTaskConfig:
    """16x16 crops, 3-level shared U-Net of width 4, a 1-block F, 2-layer PatchGANs, a 2-image pool."""
    settings = dict(image_size=16, batch_size=2, width=4, depth=3, max_width=16, f_width=4, f_blocks=1,
                    d_width=4, d_layers=2, pool_size=2, steps=6, seed=0)
    return MultiTaskConfig(**(settings | overrides))


def blobs(n: int, size: int, seed: int) -> torch.Tensor:
    """(n, 3, size, size) uint8 smooth colour blobs."""
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    big = torch.nn.functional.interpolate(small, size=(size, size), mode="bilinear", align_corners=False)
    return (big * 255).round().to(torch.uint8)


def domains(n: int = 6, size: int = 20) -> UnpairedDomains:
    summer = blobs(n, size, 0)
    winter = (summer.float() * 0.4 + 150).clamp(0, 255).to(torch.uint8)  # paler, brighter twins
    return UnpairedDomains(a=summer, b=winter, paired=True, names=("summer", "winter"), source="test blobs")


# -- the model ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 8, 8), (3, 1, 16, 24), (2, 1, 32, 8)])
def test_generator_shapes_and_range(shape):
    model = MultiTaskGenerator(**TINY_G).eval()
    ab, style = model(torch.rand(shape) * 2 - 1)
    assert ab.shape == (shape[0], 2, *shape[2:]) and style.shape == (shape[0], 3, *shape[2:])
    assert ab.abs().max() <= 1 and style.abs().max() <= 1
    assert model.size_multiple == 8
    assert type(model)(**model.config).config == model.config  # rebuildable from its config


def test_generator_rejects_bad_input():
    model = MultiTaskGenerator(**TINY_G)
    with pytest.raises(ValueError, match="divisible by"):
        model(torch.zeros(1, 1, 12, 16))
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        model(torch.zeros(1, 3, 16, 16))


def test_encoder_is_shared_by_both_heads():
    torch.manual_seed(0)
    model = MultiTaskGenerator(**TINY_G)
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    for head, other in (("ab", "style_decoder"), ("style", "ab_decoder")):
        model.zero_grad(set_to_none=True)
        model.decode(model.encode(x), head, x).square().mean().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters()), head
        assert all(p.grad is None for p in getattr(model, other).parameters()), head
    # one encoder instead of two: fewer weights than two single-task U-Nets of the same size
    separate = sum(count_parameters(UNetGenerator(1, out, **TINY_G, upsample="bilinear")) for out in (2, 3))
    shared = count_parameters(MultiTaskGenerator(**TINY_G))
    assert shared == separate - count_parameters(model.encoder)


def test_residual_style_head_starts_from_the_gray_photo():
    model = MultiTaskGenerator(**TINY_G, style_residual=True).eval()
    output_conv = [m for m in model.style_decoder[0] if isinstance(m, torch.nn.Conv2d)][-1]
    torch.nn.init.zeros_(output_conv.weight)  # the change h = 0 (the conv has a bias, zero-initialised)
    L_n = torch.rand(2, 1, 16, 16) * 2 - 1  # noqa: N806
    gray = gray_rgb_n(L_n)
    assert torch.allclose(model.style(L_n), gray.clamp(-0.999, 0.999), atol=1e-5)
    assert torch.allclose(gray[:, 0], gray[:, 2], atol=1e-4)  # gray: equal channels
    with pytest.raises(ValueError, match="style_channels=3"):
        MultiTaskGenerator(**TINY_G, style_residual=True, style_channels=1)


def test_head_view_matches_forward():
    model = MultiTaskGenerator(**TINY_G).eval()
    x = torch.rand(1, 1, 16, 16) * 2 - 1
    ab, style = model(x)
    assert torch.equal(HeadView(model, "ab")(x), ab) and torch.equal(model.style(x), style)


# -- the objective ------------------------------------------------------------------------------


def test_multitask_loss_is_the_weighted_sum():
    a, b = torch.tensor(2.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)
    total = multitask_loss({"colour": a, "style": b}, {"colour": 0.5, "style": 2.0})
    assert total.item() == pytest.approx(7.0)
    total.backward()
    assert a.grad.item() == pytest.approx(0.5) and b.grad.item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one weight per loss"):
        multitask_loss({"colour": a}, {"colour": 1.0, "style": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        multitask_loss({"colour": a}, {"colour": -1.0})
    with pytest.raises(ValueError, match="scalar"):
        multitask_loss({"colour": torch.ones(2)}, {"colour": 1.0})


def test_lightness_n_matches_lab_batch():
    images = blobs(2, 8, 3)
    L_n, _ = lab_batch(images)  # noqa: N806
    assert torch.allclose(lightness_n(images.float() / 127.5 - 1), L_n, atol=1e-4)


def test_train_step_losses_and_gradient_norms():
    trainer = MultiTaskTrainer(tiny_config(), domains(), device="cpu")
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    norms = job_gradient_norms(trainer, 0)
    assert set(norms) == {"colour", "style"} and all(0 < v < float("inf") for v in norms.values())
    # measuring changes nothing
    assert all(torch.equal(v, trainer.G.state_dict()[k]) for k, v in before.items())
    losses = trainer.train_step(0)
    assert set(losses) == set(LOSS_NAMES)
    assert all(np.isfinite(v) for v in losses.values())
    no_identity = MultiTaskTrainer(tiny_config(lambda_identity=0.0), domains(), device="cpu").train_step(0)
    assert set(no_identity) == set(LOSS_NAMES) - {"idt_style", "idt_f"}


def test_config_checks():
    with pytest.raises(ValueError, match="multiple of 8"):
        MultiTaskTrainer(tiny_config(image_size=12), domains(), device="cpu")
    with pytest.raises(ValueError, match="weight"):
        MultiTaskTrainer(tiny_config(weight_style=-1.0), domains(), device="cpu")
    with pytest.raises(ValueError, match="unknown MultiTaskConfig"):
        MultiTaskConfig.from_dict({"nope": 1})
    assert MultiTaskConfig.from_dict(tiny_config().to_dict()) == tiny_config()


def _all_state(trainer: MultiTaskTrainer) -> dict[str, torch.Tensor]:
    state = {f"{m}.{k}": v for m, module in trainer.modules.items() for k, v in module.state_dict().items()}
    for name, pool in (("pool_summer", trainer.pool_summer), ("pool_winter", trainer.pool_winter)):
        state[name] = pool.state_dict()["images"]
    return state


def test_resume_is_bit_identical(tmp_path):
    # dropout: the RNG must come back too; a residual style head: its gradient path is exercised
    config = tiny_config(dropout=0.5, steps=6, decay_steps=3, style_residual=True)
    straight = MultiTaskTrainer(config, domains(), device="cpu")
    fit(straight, 6, progress=False)
    first = MultiTaskTrainer(config, domains(), device="cpu")
    fit(first, 3, out_dir=tmp_path, progress=False)
    assert len(first.pool_winter) == 2  # full pool: its content matters from here on
    resumed = MultiTaskTrainer(config, domains(), device="cpu")
    history = fit(resumed, 6, out_dir=tmp_path, resume=True, progress=False)
    assert len(history) == 6 and (tmp_path / CHECKPOINT_NAME).is_file()
    a, b = _all_state(straight), _all_state(resumed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:3]


# -- export, load, inference --------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    trainer = MultiTaskTrainer(tiny_config(), domains(), device="cpu")
    fit(trainer, 2, progress=False)
    path = export_multitask(trainer, tmp_path_factory.mktemp("mt") / "multitask.pt", inference_size=16)
    return trainer, path


def test_export_and_load(exported):
    trainer, path = exported
    model = load_multitask(path)
    assert model.inference_size == 16 and model.meta["steps"] == 2
    assert model.meta["domains"] == ["summer", "winter"]
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    trainer.G.eval()
    with torch.no_grad():
        want = trainer.G(x)
    got = model.predict(x)
    assert all(torch.allclose(g, w, atol=5e-3) for g, w in zip(got, want, strict=True))  # fp16 weights
    stored = torch.load(path, weights_only=True)["generator"]["state_dict"]
    assert set(stored) == set(trainer.G.state_dict())  # G only: no F, no Ds


def test_default_config_export_is_under_10_mb(tmp_path):
    trainer = MultiTaskTrainer(MultiTaskConfig(), domains(2, 64), device="cpu")
    path = export_multitask(trainer, tmp_path / "m.pt")
    assert path.stat().st_size < 10e6


@pytest.mark.parametrize("shape", [(37, 23, 3), (9, 50, 3), (13, 11, 3), (21, 30)])
def test_colorize_and_stylize_full_resolution(exported, shape):
    model = load_multitask(exported[1])  # inference_size 16: larger photos take the upsampling path
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    coloured, stylised = model.colorize_and_stylize(image)
    assert coloured.shape == stylised.shape == (*shape[:2], 3)
    assert coloured.dtype == stylised.dtype == np.uint8
    # the colour version keeps the input's own lightness, pixel for pixel (up to 8-bit rounding)
    rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    L_in = lab_batch(torch.from_numpy(rgb).permute(2, 0, 1)[None])[0]  # noqa: N806
    L_out = lab_batch(torch.from_numpy(coloured).permute(2, 0, 1)[None])[0]  # noqa: N806
    assert (L_in - L_out).abs().mean() < 0.02


def test_colorize_and_stylize_rejects_bad_arrays(exported):
    model = load_multitask(exported[1])
    with pytest.raises(ValueError, match="uint8"):
        model.colorize_and_stylize(np.zeros((8, 8, 3), dtype=np.float32))


def test_load_errors(tmp_path, exported):
    with pytest.raises(CheckpointError, match="no such"):
        load_multitask(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_multitask(corrupt)
    wrong = tmp_path / "colorizer.pt"
    torch.save({"format": "gancolor.colorizer"}, wrong)
    with pytest.raises(CheckpointError, match="load_colorizer"):
        load_multitask(wrong)
    blob = torch.load(exported[1], weights_only=True)
    blob["generator"]["config"]["width"] = 8
    mismatched = tmp_path / "mismatched.pt"
    torch.save(blob, mismatched)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_multitask(mismatched)
    for error in (CheckpointError,):  # every message is one line
        try:
            load_multitask(corrupt)
        except error as e:
            assert "\n" not in str(e)


def test_evaluate_multitask(exported):
    model = load_multitask(exported[1])
    data = domains(4, 16)
    colorizer = model.colorizer
    assert isinstance(colorizer, Colorizer)
    assert colorizer.colorize_lab(torch.zeros(1, 1, 16, 16)).shape == (1, 3, 16, 16)
    results = evaluate_multitask(model, summer=data.a, winter=data.b, colorizer=colorizer)
    assert list(results["colour"]) == ["multi-task", "colorizer", "gray"]
    assert list(results["style"]) == ["multi-task (gray in)", "identity (summer)", "gray input"]
    # the colorizer view of the colour head gives the same scores as the multi-task path
    colour = results["colour"]
    assert colour["colorizer"]["psnr"] == pytest.approx(colour["multi-task"]["psnr"], abs=1e-3)
    assert all(np.isfinite(row["psnr"]) for table in results.values() for row in table.values())
    text = format_multitask_results(results)
    assert "style head vs the winter photo" in text and "identity (summer)" in text
    assert isinstance(model, MultiTaskModel)
    # the single-task comparison: colorizer -> stylizer from the same gray input, and the stylizer alone
    tiny = {d: ResnetGenerator(width=4, n_blocks=1).eval() for d in ("AtoB", "BtoA")}
    stylizer = Stylizer(generators=tiny, domains=("summer", "winter"), inference_size=16)
    style = evaluate_multitask(model, summer=data.a, winter=data.b, colorizer=colorizer,
                               stylizer=stylizer)["style"]
    assert list(style) == ["multi-task (gray in)", "colorizer -> stylizer", "stylizer (colour in)",
                           "identity (summer)", "gray input"]
