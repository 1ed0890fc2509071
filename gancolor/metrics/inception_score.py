"""Inception Score (Salimans et al. 2016): how confidently, and how variedly, a classifier labels a set.

For a set of images x with class probabilities p(y|x) from a classifier, and their marginal
p(y) = E_x p(y|x) over the set,

    IS = exp( E_x KL( p(y|x) || p(y) ) ),

between 1 (every image gets the same prediction) and the number of classes (every image is
classified with certainty, and the classes are used evenly). As in the reference code, the set is
cut into ``splits`` consecutive parts and the score is reported as the mean and the (population)
standard deviation of the per-part scores.

What it does not see: it never looks at real images, so it cannot say whether the images are
*right* for the data (a colorizer that paints every scene like a class-typical ImageNet photo
could score higher than the truth); and it rewards images the classifier is sure about, however
unnatural.

The classifier is the FID network's own head. pytorch-fid's weights file (the file FID reads,
:func:`gancolor.metrics.fid.inception_weights_path`) is the state dict of the whole ported
TensorFlow 2015-12-05 Inception-v3 (``pytorch_fid.inception.fid_inception_v3`` builds torchvision's
Inception-v3 with ``num_classes=1008`` and loads it strictly), so the 1008-way classifier ``fc``
(``fc.weight`` (1008, 2048), ``fc.bias`` (1008,)) is in the same file. Its input is the 2048-D pool3
feature that FID uses (average pool -> dropout, the identity in eval mode -> ``fc``), so the logits
are ``fc`` applied to :class:`~gancolor.metrics.fid.InceptionFeatureExtractor`'s features.

The statistics (:func:`inception_score_from_probabilities`, :func:`inception_score_from_logits`)
take arrays and run anywhere; :func:`inception_score` needs the weights file on this machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.special
import torch

from gancolor.errors import CheckpointError
from gancolor.metrics.fid import FEATURE_DIM, InceptionFeatureExtractor, _load_state_dict

__all__ = [
    "NUM_CLASSES",
    "inception_score_from_probabilities",
    "inception_score_from_logits",
    "InceptionClassifier",
    "inception_score",
]

#: Classes of the TensorFlow 2015-12-05 Inception's head (1000 ImageNet classes + 8 unused).
NUM_CLASSES = 1008


def _as_rows(array: np.ndarray | torch.Tensor, name: str, splits: int) -> np.ndarray:
    """(N, C) numpy or torch -> float64 numpy, with N >= splits >= 1 and finite entries."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    values = np.asarray(array, dtype=np.float64)
    if splits < 1:
        raise ValueError(f"splits must be >= 1; got {splits}")
    if values.ndim != 2 or values.shape[0] < splits or values.shape[1] < 1:
        raise ValueError(f"{name} must have shape (N, C) with N >= splits = {splits}; got {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite")
    return values


def _score_of_splits(log_p: np.ndarray, splits: int) -> tuple[float, float]:
    """(mean, std) of exp(E KL(p(y|x) || p(y))) over consecutive parts of log p(y|x) (N, C)."""
    n = log_p.shape[0]
    scores = np.empty(splits)
    for k in range(splits):
        part = log_p[k * n // splits : (k + 1) * n // splits]  # the reference code's split
        p = np.exp(part)  # p(y|x), (n_k, C)
        marginal = p.mean(axis=0)  # p(y) of this part, (C,): one marginal for the whole part
        # KL(p(y|x) || p(y)) = Σ_y p(y|x) (log p(y|x) - log p(y)); 0 log 0 = 0
        kl = (scipy.special.xlogy(p, p) - scipy.special.xlogy(p, marginal)).sum(axis=1)  # (n_k,)
        scores[k] = np.exp(kl.mean())  # IS = exp(E_x KL)
    return float(scores.mean()), float(scores.std())


def inception_score_from_probabilities(
    probabilities: np.ndarray | torch.Tensor, splits: int = 10
) -> tuple[float, float]:
    """Inception Score of class probabilities p(y|x) (N, C), each row >= 0 summing to 1.

    The N rows are cut into ``splits`` consecutive parts (N >= splits); each part scores
    exp(mean over its rows of KL(p(y|x) || p(y))), with p(y) the mean row of that part.
    Returns: (mean, population std) over the parts. 1 <= IS <= C.
    Raises ValueError for rows that are not probability distributions.
    """
    p = _as_rows(probabilities, "probabilities", splits)
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("probabilities must be >= 0 with every row summing to 1 (use the logits form "
                         "for raw scores)")
    with np.errstate(divide="ignore"):
        log_p = np.log(p / p.sum(axis=1, keepdims=True))  # -inf where p = 0: exp gives 0 back
    return _score_of_splits(log_p, splits)


def inception_score_from_logits(logits: np.ndarray | torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """Inception Score of classifier logits (N, C): p(y|x) = softmax of each row (in float64).

    Returns: (mean, population std) over ``splits`` consecutive parts, as
    :func:`inception_score_from_probabilities`.
    """
    values = _as_rows(logits, "logits", splits)
    return _score_of_splits(scipy.special.log_softmax(values, axis=1), splits)


class InceptionClassifier:
    """The FID Inception's 1008-way logits, read from the same local weights file as FID.

    Inputs: ``weights_path`` (None: see :func:`gancolor.metrics.fid.inception_weights_path`);
    ``device`` (None: cuda > mps > cpu).
    Raises MissingWeightsError if the file is not on this machine, CheckpointError if it is not
    the FID Inception's state dict or lacks the classifier ``fc``.
    """

    def __init__(
        self, weights_path: str | Path | None = None, device: str | torch.device | None = None
    ) -> None:
        self.features = InceptionFeatureExtractor(weights_path, device)
        state = _load_state_dict(self.features.weights_path)
        weight, bias = state.get("fc.weight"), state.get("fc.bias")
        if weight is None or bias is None or tuple(weight.shape) != (NUM_CLASSES, FEATURE_DIM) \
                or tuple(bias.shape) != (NUM_CLASSES,):
            raise CheckpointError(
                self.features.weights_path,
                f"has no {NUM_CLASSES}-way classifier fc ({NUM_CLASSES} x {FEATURE_DIM}): not pytorch-fid's "
                f"Inception weights file",
            )
        self.weight = weight.double().numpy()  # (1008, 2048)
        self.bias = bias.double().numpy()  # (1008,)

    def logits(self, images: torch.Tensor, batch_size: int = 50, progress: bool = True) -> np.ndarray:
        """Logits (N, 1008) float64 of ``images`` (N, 3, H, W), float in [0, 1] or uint8, any size."""
        return self.logits_from_features(self.features.extract(images, batch_size, progress))

    def logits_from_features(self, pool3: np.ndarray) -> np.ndarray:
        """Logits (N, 1008) float64 from pool3 features (N, 2048), e.g. those FID already computed."""
        return np.asarray(pool3, dtype=np.float64) @ self.weight.T + self.bias  # fc(pool3)


def inception_score(
    images: torch.Tensor,
    weights_path: str | Path | None = None,
    device: str | torch.device | None = None,
    splits: int = 10,
    batch_size: int = 50,
    progress: bool = True,
) -> tuple[float, float]:
    """Inception Score (mean, std over ``splits``) of images (N, 3, H, W), float in [0, 1] or uint8.

    The reference protocol uses 50,000 images in 10 splits; like FID, IS depends on N, so compare
    scores only at equal N and equal splits.
    """
    classifier = InceptionClassifier(weights_path, device)
    return inception_score_from_logits(classifier.logits(images, batch_size, progress), splits)
