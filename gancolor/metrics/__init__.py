"""How good is a colorization or a stylization? Pixel fidelity, colourfulness and realism.

- :func:`psnr`, :func:`ssim`: agreement with the ground truth, per image (scikit-image).
- :func:`colorfulness`: Hasler-Süsstrunk colourfulness, per image, optionally on a mask.
- :func:`sample_diversity`: how different a generator's samples are from one another, next to real
  images (1 as varied as the data, 0 collapsed).
- :func:`fid`, :func:`kid`: distance between two sets of images on Inception features
  (pytorch-fid's network; its weights file must be on this machine, see
  :func:`inception_weights_path`). The ``*_from_features`` functions work on any features.
- :func:`inception_score`: the Inception Score of one set, from the same network's 1008-way head
  (:mod:`gancolor.metrics.inception_score`; ``inception_score_from_logits`` / ``_from_probabilities``
  work on any classifier's outputs).

Images are ``(N, 3, H, W)`` tensors, float in [0, 1] or uint8. ``import gancolor.metrics``
stays light: pytorch-fid (and torchvision) are imported only when the network is built.
"""

from gancolor.metrics.colorfulness import colorfulness
from gancolor.metrics.diversity import mean_pairwise_distance, sample_diversity
from gancolor.metrics.fid import (
    InceptionFeatureExtractor,
    feature_statistics,
    fid,
    fid_from_features,
    frechet_distance,
    inception_weights_path,
    kid,
    kid_from_features,
)
from gancolor.metrics.image_quality import psnr, ssim
from gancolor.metrics.inception_score import (
    inception_score,
    inception_score_from_logits,
    inception_score_from_probabilities,
)

__all__ = [
    "psnr",
    "ssim",
    "colorfulness",
    "sample_diversity",
    "mean_pairwise_distance",
    "frechet_distance",
    "feature_statistics",
    "fid_from_features",
    "kid_from_features",
    "inception_weights_path",
    "InceptionFeatureExtractor",
    "fid",
    "kid",
    "inception_score",
    "inception_score_from_logits",
    "inception_score_from_probabilities",
]
