"""FID and KID: distances between two sets of images, measured on Inception features.

Both embed every image with the Inception-v3 network of the original FID code (TensorFlow's
2015-12-05 weights, ported to PyTorch by pytorch-fid) and compare the two clouds of 2048-D
"pool3" features:

- FID (Heusel et al. 2017) fits a Gaussian to each cloud and takes the Fréchet distance
  ||μ1 - μ2||² + Tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^½). It is biased: two finite samples of one
  distribution have FID > 0, the more so the smaller they are; compare FIDs at equal N only.
- KID (Bińkowski et al. 2018) is the unbiased squared MMD with the kernel
  k(x, y) = (xᵀy / d + 1)³, averaged over random subsets; its mean does not depend on N.

The statistics functions take features (numpy or torch, (N, D)) and run anywhere. The network
needs pytorch-fid's weights file, which is never downloaded at run time (``gancolor download
inception`` fetches it, :mod:`gancolor.metrics.inception_download`): see
:func:`inception_weights_path` for where it is looked for.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

import numpy as np
import scipy.linalg
import torch
from tqdm.auto import tqdm

from gancolor.errors import CheckpointError, MissingWeightsError
from gancolor.metrics.image_quality import check_image_batch, to_unit_float
from gancolor.runtime import pick_device

__all__ = [
    "INCEPTION_WEIGHTS_FILENAME",
    "INCEPTION_WEIGHTS_URL",
    "INCEPTION_WEIGHTS_ENV",
    "FEATURE_DIM",
    "frechet_distance",
    "feature_statistics",
    "fid_from_features",
    "kid_from_features",
    "inception_weights_path",
    "hub_weights_path",
    "InceptionFeatureExtractor",
    "fid",
    "kid",
]

#: pytorch-fid's port of the TensorFlow FID Inception weights (the name ends in a sha256 prefix).
INCEPTION_WEIGHTS_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
#: Where pytorch-fid downloads them from (``pytorch_fid.inception.FID_WEIGHTS_URL``).
INCEPTION_WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + INCEPTION_WEIGHTS_FILENAME
)
#: Environment variable naming the weights file.
INCEPTION_WEIGHTS_ENV = "GANCOLOR_INCEPTION_WEIGHTS"
#: Size of the pool3 features.
FEATURE_DIM = 2048

# sqrtm of a PSD product is real; a larger imaginary part than this means a broken covariance.
_MAX_IMAGINARY = 1e-3


# ---------------------------------------------------------------------------------------------
# Statistics on features
# ---------------------------------------------------------------------------------------------


def _as_features(features: np.ndarray | torch.Tensor, name: str, min_rows: int = 2) -> np.ndarray:
    """(N, D) numpy or torch features -> float64 numpy (N, D), with N >= ``min_rows``."""
    if isinstance(features, torch.Tensor):
        features = features.detach().cpu().numpy()
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] < min_rows:
        raise ValueError(f"{name} must have shape (N, D) with N >= {min_rows}; got {array.shape}")
    return array


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6
) -> float:
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    Inputs: means (D,) and covariances (D, D) (computed in float64).
    Returns: d² = ||μ1 - μ2||² + Tr(Σ1 + Σ2 - 2 (Σ1 Σ2)^½) (Heusel et al. 2017), >= 0 up to
    rounding. When Σ1 Σ2 is singular (e.g. fewer samples than dimensions) its square root is
    ill-conditioned, and ``eps`` · I is added to both covariances, as the reference code does.
    Raises ValueError on mismatched shapes, or if the square root has a large imaginary part.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = (
        np.atleast_2d(np.asarray(sigma1, np.float64)),
        np.atleast_2d(np.asarray(sigma2, np.float64)),
    )
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(
            f"means (D,) and covariances (D, D) must match; got {mu1.shape}, {sigma1.shape}, "
            f"{mu2.shape}, {sigma2.shape}"
        )

    covmean = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)  # scipy warns on a singular matrix
        try:
            covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)  # (Σ1 Σ2)^½
        except scipy.linalg.LinAlgWarning:
            pass
    if covmean is None or not np.isfinite(covmean).all():
        offset = eps * np.eye(sigma1.shape[0])
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))

    if np.iscomplexobj(covmean):  # rounding leaves a tiny imaginary part
        largest = np.abs(np.diagonal(covmean).imag).max()
        if largest > _MAX_IMAGINARY:
            raise ValueError(f"sqrt(sigma1 sigma2) has an imaginary part of {largest:.3g}: bad covariances")
        covmean = covmean.real

    diff = mu1 - mu2
    # d² = ||μ1 - μ2||² + Tr(Σ1) + Tr(Σ2) - 2 Tr((Σ1 Σ2)^½)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def feature_statistics(features: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of ``features`` (N, D), N >= 2, as float64 numpy."""
    array = _as_features(features, "features")
    return array.mean(axis=0), np.cov(array, rowvar=False)


def fid_from_features(features_a: np.ndarray | torch.Tensor, features_b: np.ndarray | torch.Tensor) -> float:
    """FID between two sets of features (N_a, D) and (N_b, D): the Fréchet distance of their Gaussians.

    Biased upwards for small N (the covariance estimates are noisy): compare values at equal N.
    """
    mu_a, sigma_a = feature_statistics(_as_features(features_a, "features_a"))
    mu_b, sigma_b = feature_statistics(_as_features(features_b, "features_b"))
    if mu_a.shape != mu_b.shape:
        raise ValueError(
            f"features_a and features_b must have the same D; got {mu_a.shape[0]} and {mu_b.shape[0]}"
        )
    return frechet_distance(mu_a, sigma_a, mu_b, sigma_b)


def _polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kernel matrix (M, M') of x (M, D) and y (M', D): k(x, y) = (xᵀy / D + 1)³."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased squared MMD between samples x (m, D) and y (m, D), m >= 2.

    MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1)) - 2 Σ_{i,j} k(x_i, y_j) / m²
    """
    m = x.shape[0]
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / m**2)


def kid_from_features(
    features_a: np.ndarray | torch.Tensor,
    features_b: np.ndarray | torch.Tensor,
    num_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID between two sets of features (N_a, D) and (N_b, D) (Bińkowski et al. 2018).

    Draws ``num_subsets`` pairs of subsets of ``min(subset_size, N_a, N_b)`` rows each (without
    replacement, from ``numpy.random.default_rng(seed)``) and computes the unbiased MMD² of each.
    Returns: (mean, population std) over the subsets. Being unbiased, the mean is about 0 for
    two samples of one distribution, and may be slightly negative.
    """
    a, b = _as_features(features_a, "features_a"), _as_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b must have the same D; got {a.shape[1]} and {b.shape[1]}")
    if num_subsets < 1 or subset_size < 2:
        raise ValueError(f"need num_subsets >= 1 and subset_size >= 2; got {num_subsets} and {subset_size}")
    m = min(subset_size, a.shape[0], b.shape[0])
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for s in range(num_subsets):
        rows_a = rng.choice(a.shape[0], size=m, replace=False)
        rows_b = rng.choice(b.shape[0], size=m, replace=False)
        values[s] = _mmd2_unbiased(a[rows_a], b[rows_b])
    return float(values.mean()), float(values.std())


# ---------------------------------------------------------------------------------------------
# The Inception network
# ---------------------------------------------------------------------------------------------


def hub_weights_path() -> Path:
    """Where pytorch-fid caches its download: ``torch.hub.get_dir()/checkpoints/<file>``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_WEIGHTS_FILENAME


def _how_to_get_weights() -> str:
    return (
        f"FID and KID need pytorch-fid's Inception weights: with internet, run `gancolor download "
        f"inception`; otherwise download {INCEPTION_WEIGHTS_URL} on a machine with internet and put "
        f"the file at {hub_weights_path()}, or set ${INCEPTION_WEIGHTS_ENV} to its path"
    )


def inception_weights_path(explicit: str | Path | None = None) -> Path:
    """The local file of the FID Inception weights; nothing is ever downloaded.

    Looks, in order, at ``explicit``, at ``$GANCOLOR_INCEPTION_WEIGHTS`` and at
    ``torch.hub.get_dir()/checkpoints/pt_inception-2015-12-05-6726825d.pth`` (where pytorch-fid
    caches its download; ``$TORCH_HOME/hub/checkpoints`` when ``TORCH_HOME`` is set).
    Raises MissingWeightsError (one line: the URL and where to put the file) when it finds
    none, or when ``explicit`` or the environment variable names a missing file.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise MissingWeightsError(f"{path}: no such Inception weights file. {_how_to_get_weights()}")
        return path
    from_env = os.environ.get(INCEPTION_WEIGHTS_ENV)
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise MissingWeightsError(
                f"{path} (from ${INCEPTION_WEIGHTS_ENV}): no such file. {_how_to_get_weights()}"
            )
        return path
    path = hub_weights_path()
    if not path.is_file():
        raise MissingWeightsError(f"Inception weights not found. {_how_to_get_weights()}")
    return path


def _load_state_dict(path: Path) -> Mapping[str, torch.Tensor]:
    """Read a state dict (name -> tensor) safely; CheckpointError naming ``path`` if it is not one."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch.load raises many types (pickle, zip, EOF ...) for a bad file
        raise CheckpointError(
            path, f"not a readable Inception state dict ({type(error).__name__})"
        ) from error
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(path, "not an Inception state dict (expected a mapping of names to tensors)")
    return state


def _build_fid_inception(path: Path) -> torch.nn.Module:
    """pytorch-fid's FID InceptionV3 (pool3 output), its weights read from the local file ``path``.

    pytorch-fid builds the network and loads its weights in one function, ``fid_inception_v3``,
    which fetches them with ``load_state_dict_from_url``. Rather than copy the architecture
    (and risk drifting from pytorch-fid's), we replace that one fetch, only while the network is
    built, by a function that hands over the state dict read from ``path``. The replacement
    refuses any other URL, so a future pytorch-fid that loads something else fails loudly.
    The patch is process-wide for the duration of the constructor: do not build extractors
    from several threads at once.
    """
    from pytorch_fid import inception as pytorch_fid_inception  # slow import (torchvision): lazy

    state_dict = _load_state_dict(path)

    def local_weights(url: str, *args: object, **kwargs: object) -> Mapping[str, torch.Tensor]:
        if url != pytorch_fid_inception.FID_WEIGHTS_URL:
            raise ValueError(f"pytorch-fid asked for unexpected weights {url}; refusing to download")
        return state_dict

    block = pytorch_fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[FEATURE_DIM]
    with mock.patch.object(pytorch_fid_inception, "load_state_dict_from_url", local_weights):
        try:
            # resize_input: bilinear resize to 299x299; normalize_input: [0, 1] -> [-1, 1]
            model = pytorch_fid_inception.InceptionV3(
                [block], resize_input=True, normalize_input=True, requires_grad=False, use_fid_inception=True
            )
        except RuntimeError as error:  # load_state_dict(strict=True): missing, unexpected or mis-shaped
            raise CheckpointError(path, "does not match pytorch-fid's FID Inception network") from error
    return model.eval()


class InceptionFeatureExtractor:
    """2048-D pool3 features of the FID Inception network, for FID and KID.

    Inputs: ``weights_path`` the weights file (None: see :func:`inception_weights_path`);
    ``device`` where the network runs (None: cuda > mps > cpu).
    Raises MissingWeightsError if the weights are not on this machine, CheckpointError if the
    file is not the FID Inception's state dict.
    """

    def __init__(
        self, weights_path: str | Path | None = None, device: str | torch.device | None = None
    ) -> None:
        self.weights_path = inception_weights_path(weights_path)
        self.device = pick_device(str(device) if device is not None else None)
        self.model = _build_fid_inception(self.weights_path).to(self.device)

    @torch.inference_mode()
    def extract(self, images: torch.Tensor, batch_size: int = 50, progress: bool = True) -> np.ndarray:
        """Features of ``images`` (N, 3, H, W), float in [0, 1] or uint8, of any size.

        The network resizes each image to 299x299 (bilinear) and maps [0, 1] to [-1, 1] itself.
        Returns: float32 numpy (N, 2048), each entry >= 0 (an average of ReLU outputs).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        check_image_batch(images, "images")
        features = np.empty((images.shape[0], FEATURE_DIM), dtype=np.float32)
        starts = range(0, images.shape[0], batch_size)
        for start in tqdm(starts, desc="Inception features", unit="batch", disable=not progress):
            batch = to_unit_float(images[start : start + batch_size], "images", dtype=torch.float32)
            (pool3,) = self.model(batch.to(self.device))  # (B, 2048, 1, 1)
            features[start : start + batch.shape[0]] = pool3.flatten(1).cpu().numpy()
        return features


def fid(
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    weights_path: str | Path | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 50,
    progress: bool = True,
) -> float:
    """FID between two sets of images (N, 3, H, W), float in [0, 1] or uint8.

    Use thousands of images per set (the FID papers use 10k-50k) and equal N when comparing.
    """
    extractor = InceptionFeatureExtractor(weights_path, device)
    return fid_from_features(
        extractor.extract(images_a, batch_size, progress), extractor.extract(images_b, batch_size, progress)
    )


def kid(
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    weights_path: str | Path | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 50,
    progress: bool = True,
    num_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (mean, std over subsets) between two sets of images (N, 3, H, W), float in [0, 1] or uint8."""
    extractor = InceptionFeatureExtractor(weights_path, device)
    return kid_from_features(
        extractor.extract(images_a, batch_size, progress),
        extractor.extract(images_b, batch_size, progress),
        num_subsets=num_subsets,
        subset_size=subset_size,
        seed=seed,
    )
