"""Photo -> painting evaluation (gancolor.evaluation.painting_eval): the rows, and that it can tell a
model from the baselines."""

from __future__ import annotations

import math

import pytest
import torch

from gancolor.data.paintings import paint
from gancolor.evaluation import painting_eval
from gancolor.evaluation.style_baselines import style_baselines


class _Fake:
    """A stand-in stylizer: ``kind`` "identity" returns its input, "renderer" the true painting."""

    inference_size = 64

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        scale = min(1.0, self.inference_size / max(height, width))
        return round(height * scale), round(width * scale)

    def stylize_tensor(self, images: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        assert direction == "AtoB"
        return images.clone() if self.kind == "identity" else paint(images)


@pytest.fixture(autouse=True)
def _small_baselines(monkeypatch):
    """Baselines fitted on 64 val paintings instead of the 3,815 train ones (speed)."""
    from gancolor.data.paintings import load_painting_domains

    targets = load_painting_domains("val").b[:64]
    monkeypatch.setattr(painting_eval, "painting_baselines",
                        lambda size=64, max_train=None: {**style_baselines(targets),
                                                         "Gaussian blur": painting_eval.GaussianBlur(1.0)})


def test_split_rows_and_parts():
    results = painting_eval.evaluate_painting_split(_Fake("identity"), "val", limit=6)
    assert tuple(results) == painting_eval.PARTS
    for part in results.values():
        assert set(part) == {"stylizer", "identity", "mean target", "Reinhard", "Gaussian blur",
                             "true painting"}
        assert part["stylizer"] == part["identity"]  # an identity "model" scores as the identity
        assert all(math.isfinite(row["psnr"]) and 0 <= row["ssim"] <= 1 for name, row in part.items()
                   if name != "true painting")
        assert set(part["true painting"]) == {"palette_de"}
        assert part["true painting"]["palette_de"] < 0.75 * part["identity"]["palette_de"]  # palette-like


def test_real_photos_the_renderer_itself_beats_every_baseline():
    results = painting_eval.evaluate_painting_photos(_Fake("renderer"), "val")
    assert set(results) == {"chelsea", "mean"}
    mean = results["mean"]
    assert mean["stylizer"]["ssim"] > 0.99  # the renderer's own output is the target
    baselines = ("identity", "mean target", "Reinhard", "Gaussian blur")
    assert all(mean["stylizer"]["ssim"] > mean[name]["ssim"] for name in baselines)


def test_baselines_are_fitted_on_paintings_spread_over_the_train_split(monkeypatch):
    from gancolor.data.embedded import load_embedded

    monkeypatch.undo()  # the real painting_baselines, not the autouse stand-in
    photos = load_embedded("train", source="all", size=16).images
    chosen = photos[[0, len(photos) // 2, len(photos) - 1]]  # first, middle, last: crops and scenes
    fitted = painting_eval.painting_baselines(16, 3)["mean target"]
    assert torch.allclose(fitted.image, paint(chosen).double().mean(dim=0).float(), atol=1e-4)
    assert painting_eval.BASELINE_PAINTINGS < len(photos)


def test_the_blur_baseline_finds_the_width_that_made_the_targets():
    from gancolor.data.embedded import load_embedded

    photos = load_embedded("val", source="all", size=32).images[:12]
    for sigma in (0.75, 1.5):
        blurred = painting_eval.GaussianBlur(sigma)(photos)
        assert blurred.dtype == torch.uint8 and blurred.shape == photos.shape
        assert painting_eval.GaussianBlur.fit(photos, blurred).sigma == sigma
    assert painting_eval.GaussianBlur.fit(photos, photos).sigma == min(painting_eval.BLUR_SIGMAS)


def test_the_real_baselines_include_the_fitted_blur(monkeypatch):
    monkeypatch.undo()
    baselines = painting_eval.painting_baselines(16, 40)
    assert set(baselines) == {"identity", "mean target", "Reinhard", "Gaussian blur"}
    assert baselines["Gaussian blur"].sigma in painting_eval.BLUR_SIGMAS
