"""The real-photo evaluation: held-out whole photos, simulated hints, the table and the command."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gancolor.cli import main
from gancolor.color import rgb_to_lab
from gancolor.data.photos import PHOTO_SPLITS
from gancolor.data.real_photos import REAL_PHOTOS, real_photo, real_photos
from gancolor.evaluation.baseline_colorizers import ColorTransfer, Levin2004, MeanAB
from gancolor.evaluation.photo_eval import (
    BaselinePhoto,
    GrayPhoto,
    evaluate_photos,
    format_photo_table,
    photo_hints,
)


def test_the_test_photos_are_held_out_from_every_training_set():
    test = {name for name, photo in REAL_PHOTOS.items() if photo.split == "test"}
    assert len(test) >= 5
    trained_on = set(PHOTO_SPLITS["train"]) | set(PHOTO_SPLITS["val"])  # the embedded dataset's photos
    assert not test & trained_on
    assert {"chelsea"} <= {name for name, photo in REAL_PHOTOS.items() if photo.split == "val"}


def test_photos_load_offline_at_their_long_side():
    photos = real_photos("test")
    assert list(photos) == [n for n, p in REAL_PHOTOS.items() if p.split == "test"]
    for image in photos.values():
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert max(image.shape[:2]) == 512
    assert max(real_photo("china", long_side=200).shape[:2]) == 200
    assert real_photo("coffee", long_side=None).shape == (400, 600, 3)  # as shipped, never enlarged
    with pytest.raises(ValueError, match="unknown real photo"):
        real_photo("wallpaper")


def test_simulated_hints_are_seeded_nested_and_hold_the_true_mean_colour():
    photo = real_photo("flower", long_side=128)
    five, twenty = photo_hints(photo, 5, seed=3, key="flower"), photo_hints(photo, 20, seed=3, key="flower")
    assert twenty[:5] == five and photo_hints(photo, 5, seed=3, key="flower") == five
    assert photo_hints(photo, 5, seed=4, key="flower") != five
    hint = five[0]
    top, left = int(hint.y - 3), int(hint.x - 3)
    square = torch.from_numpy(photo[top:top + 7, left:left + 7].copy()).permute(2, 0, 1).double() / 255
    np.testing.assert_allclose(hint.ab, rgb_to_lab(square)[1:].mean(dim=(1, 2)).numpy(), atol=1e-9)
    assert all(0 <= h.x < 128 and 0 <= h.y < photo.shape[0] and h.size == 7 for h in twenty)


def test_levin_beats_gray_with_hints_and_the_table_lists_every_method():
    photos = {"flower": real_photo("flower", long_side=96)}
    methods = {"gray": GrayPhoto(), "Levin": Levin2004(inference_size=96)}
    results = evaluate_photos(methods, photos, (0, 5, 20))
    assert set(results["gray"]) == {0} and set(results["Levin"]) == {0, 5, 20}
    assert results["Levin"][0]["psnr"] == pytest.approx(results["gray"][0]["psnr"], abs=0.05)
    assert results["Levin"][20]["psnr"] > results["Levin"][5]["psnr"] > results["gray"][0]["psnr"]
    assert results["gray"][0]["colorfulness"] < 1 < results["ground truth"][0]["colorfulness"]
    table = format_photo_table(results, (0, 5, 20))
    assert table.splitlines()[0].split() == ["method", "k=0", "PSNR", "k=5", "PSNR", "k=20", "PSNR",
                                             "colorful", "(k=0)"]
    assert "gray" in table and " - " in table and "inf" in table


def test_image_baselines_colour_whole_photos_at_full_size_and_keep_lightness():
    photo = real_photo("flower", long_side=96)
    references = torch.from_numpy(real_photo("chelsea", long_side=32).copy()).permute(2, 0, 1)[None]
    batch = torch.from_numpy(photo.copy()).permute(2, 0, 1)[None]
    for baseline in (MeanAB(ab=torch.tensor([10.0, 20.0], dtype=torch.float64)), ColorTransfer(references)):
        out = BaselinePhoto(baseline).colorize_image(photo)
        assert out.shape == photo.shape and out.dtype == np.uint8
        expected = (baseline(batch)[0] * 255).round().permute(1, 2, 0).numpy()
        assert np.abs(out.astype(float) - expected).max() <= 1  # the batch baseline, as uint8
        assert BaselinePhoto(baseline).takes_hints is False
    results = evaluate_photos({"gray": GrayPhoto(), "tint": BaselinePhoto(MeanAB(ab=torch.tensor([10.0, 20.0],
                               dtype=torch.float64)))}, {"flower": photo})
    assert results["tint"][0]["colorfulness"] > results["gray"][0]["colorfulness"]


def test_evaluate_photos_command_prints_json(capsys, tmp_path):
    from gancolor.train import ColorizeConfig, export_colorizer, train_colorizer

    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=gen)
    config = ColorizeConfig(image_size=32, batch_size=4, width=4, max_width=8, depth=3, hints=True,
                            hint_prior="levin", l1_only=True)
    trainer, _ = train_colorizer(config, images, steps=1, progress=False)
    path = export_colorizer(trainer, tmp_path / "hints.pt", inference_size=64)
    assert main(["evaluate", "--data", "photos", "--split", "val", "--hints", "0", "5",
                 "--checkpoint", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["photos"] == ["chelsea"] and report["hints"] == [0, 5]
    assert set(report["results"]) == {"gray", "mean ab", "colour transfer", "Levin 2004",
                                      "L1-only + hints (hints.pt)", "ground truth"}
    assert set(report["results"]["mean ab"]) == {"0"}  # image baselines take no hints
    assert report["results"]["colour transfer"]["0"]["colorfulness"] > 1  # it does colour the photo
    assert report["results"]["ground truth"]["0"]["psnr"] is None  # inf is not JSON
    assert report["results"]["Levin 2004"]["5"]["psnr"] > report["results"]["gray"]["0"]["psnr"]
