"""Inception Score: known extremes on logits we control, splits, and the classifier read from FID's file."""

import math

import numpy as np
import pytest
import torch

from gancolor.errors import CheckpointError, MissingWeightsError
from gancolor.metrics import inception_score, inception_score_from_logits, inception_score_from_probabilities
from gancolor.metrics.inception_score import NUM_CLASSES, InceptionClassifier


def _one_hot(n: int, classes_used: int, num_classes: int = 10) -> np.ndarray:
    """(n, num_classes): image i certain of class i mod classes_used."""
    p = np.zeros((n, num_classes))
    p[np.arange(n), np.arange(n) % classes_used] = 1.0
    return p


def test_uniform_predictions_score_one():
    mean, std = inception_score_from_probabilities(np.full((40, 7), 1 / 7), splits=4)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)
    assert inception_score_from_logits(np.zeros((40, 7)), splits=4)[0] == pytest.approx(1.0, abs=1e-12)


def test_one_class_for_every_image_scores_one_however_confident():
    assert inception_score_from_probabilities(_one_hot(30, 1), splits=3)[0] == pytest.approx(1.0)


@pytest.mark.parametrize("k", [2, 5, 10])
def test_one_hot_over_k_evenly_used_classes_scores_k(k):
    mean, std = inception_score_from_probabilities(_one_hot(10 * k, k), splits=2)
    assert mean == pytest.approx(k) and std == pytest.approx(0.0, abs=1e-9)
    # very confident logits approach the same value
    logits = 40.0 * _one_hot(10 * k, k)
    assert inception_score_from_logits(logits, splits=2)[0] == pytest.approx(k, rel=1e-6)


def test_the_score_is_exp_of_the_mean_kl_to_the_marginal():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(12, 5)) * 2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    marginal = p.mean(axis=0)
    expected = math.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1)))
    assert inception_score_from_logits(logits, splits=1) == pytest.approx((expected, 0.0))
    assert inception_score_from_probabilities(torch.from_numpy(p), splits=1)[0] == pytest.approx(expected)
    assert 1.0 <= expected <= 5.0


def test_splits_report_the_mean_and_population_std_of_consecutive_parts():
    # first half: one-hot over 2 classes (IS 2); second half: over 4 classes (IS 4)
    p = np.concatenate([_one_hot(8, 2, num_classes=4), _one_hot(8, 4, num_classes=4)])
    mean, std = inception_score_from_probabilities(p, splits=2)
    assert (mean, std) == pytest.approx((3.0, 1.0))  # np.std of [2, 4]
    # one split sees the whole set, whose marginal is not uniform: the score of the pooled set
    pooled = inception_score_from_probabilities(p, splits=1)[0]
    marginal = p.mean(axis=0)
    assert pooled == pytest.approx(math.exp(-np.sum(marginal * np.log(marginal))))  # exp H(p(y))


def test_uneven_splits_follow_the_reference_code():
    p = _one_hot(10, 2, num_classes=3)  # 10 rows in 3 parts: rows 0-2, 3-5, 6-9
    parts = [p[0:3], p[3:6], p[6:10]]
    expected = [inception_score_from_probabilities(part, splits=1)[0] for part in parts]
    scored = inception_score_from_probabilities(p, splits=3)
    assert scored == pytest.approx((np.mean(expected), np.std(expected)))


def test_bad_inputs_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="summing to 1"):
        inception_score_from_probabilities(np.full((4, 3), 0.5), splits=1)
    with pytest.raises(ValueError, match="N >= splits"):
        inception_score_from_logits(np.zeros((3, 4)), splits=10)
    with pytest.raises(ValueError, match="finite"):
        inception_score_from_logits(np.array([[0.0, np.nan]]), splits=1)
    with pytest.raises(ValueError, match="splits"):
        inception_score_from_logits(np.zeros((3, 4)), splits=0)


def test_missing_weights_give_one_line(monkeypatch, tmp_path):
    monkeypatch.delenv("GANCOLOR_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(MissingWeightsError) as caught:
        inception_score(torch.zeros(2, 3, 8, 8), device="cpu")
    assert "\n" not in str(caught.value)


def _random_inception_state(seed: int = 0) -> dict:
    """The FID Inception's state dict layout (torchvision Inception-v3, 1008 classes) with random weights."""
    import torchvision

    torch.manual_seed(seed)
    network = torchvision.models.inception_v3(weights=None, aux_logits=False, num_classes=NUM_CLASSES,
                                              init_weights=False)
    for module in network.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return network.state_dict()


@pytest.mark.slow
def test_classifier_logits_are_the_whole_fid_network_s_output(tmp_path, monkeypatch):
    from pytorch_fid import inception as pytorch_fid_inception

    state = _random_inception_state()
    path = tmp_path / "random_inception.pth"
    torch.save(state, path)
    classifier = InceptionClassifier(path, device="cpu")
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(2, 3, 40, 40, generator=generator)
    logits = classifier.logits(images, progress=False)
    assert logits.shape == (2, NUM_CLASSES)

    # pytorch-fid's whole network, fc included, with the same weights: resize, [0, 1] -> [-1, 1], forward
    monkeypatch.setattr(pytorch_fid_inception, "load_state_dict_from_url", lambda *a, **k: state)
    whole = pytorch_fid_inception.fid_inception_v3().eval()
    resized = torch.nn.functional.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)
    with torch.no_grad():
        expected = whole(2 * resized - 1).double().numpy()
    assert np.allclose(logits, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())
    scored = inception_score(images, weights_path=path, device="cpu", splits=1, progress=False)
    assert scored == pytest.approx(inception_score_from_logits(expected, splits=1), rel=1e-3)


@pytest.mark.slow
def test_a_weights_file_without_the_classifier_is_refused(tmp_path):
    state = _random_inception_state()
    state["fc.weight"] = state["fc.weight"][:1000]
    state["fc.bias"] = state["fc.bias"][:1000]
    path = tmp_path / "headless.pth"
    torch.save(state, path)
    # the FID network itself refuses the file first (strict load), naming it
    with pytest.raises(CheckpointError, match="headless.pth"):
        InceptionClassifier(path, device="cpu")
