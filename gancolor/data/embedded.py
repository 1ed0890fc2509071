"""The embedded default dataset: scikit-image photo crops plus procedural scenes, built offline.

Everything here is made on this machine from what the package ships, the same pixels every
time, in seconds, and cached as uint8 tensors in ``gancolor.runtime.cache_dir()``:
``embedded-v{VERSION}-{size}px.pt`` (summer scenes) and ``...-{size}px-winter.pt``.

Scene ``i`` of a split has the same layout in every season, so
``load_embedded(split, "scenes", season="winter").images[i]`` is the winter twin of the
summer image ``i``: pixel-aligned pairs for evaluating style transfer, which trainers can
shuffle apart to get unpaired domains. Photos do not change with the season.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from gancolor.data.photos import PHOTO_SPLITS, photo_crops
from gancolor.data.scenes import SEASONS, SceneLayout, render_scenes, sample_layout
from gancolor.io_utils import atomic_torch_save
from gancolor.runtime import cache_dir

__all__ = [
    "VERSION",
    "SPLITS",
    "SOURCES",
    "DEFAULT_N_SCENES",
    "EmbeddedSplit",
    "load_embedded",
    "build_embedded",
    "scene_layout",
    "cache_path",
]

#: Bump to invalidate every cached build (change it whenever the built bytes would change).
VERSION = 1
SPLITS: tuple[str, ...] = ("train", "val", "test")
SOURCES: tuple[str, ...] = ("all", "photos", "scenes")
DEFAULT_N_SCENES: dict[str, int] = {"train": 3000, "val": 200, "test": 200}

Split = Literal["train", "val", "test"]
Source = Literal["all", "photos", "scenes"]

# Scene i of split s is drawn from np.random.default_rng([_SCENE_SEED, s, i]): a distinct
# seed sequence for every (split, index), so the splits never share a scene.
_SCENE_SEED = 2024_05_17
_CHUNK = 256  # scenes rendered per batch (one batched colour conversion each)


@dataclass(frozen=True)
class EmbeddedSplit:
    """One split of the embedded dataset.

    ``images`` (N, 3, H, W) uint8 RGB; ``ambiguous`` (N, H, W) bool, True on pixels whose
    colour cannot be inferred from gray (scene balloons and cars; all False for photos);
    ``origin[i]`` names where image i came from: ``"photo:<name>"`` or ``"scene:<index>"``.
    """

    images: torch.Tensor
    ambiguous: torch.Tensor
    origin: list[str]

    def __len__(self) -> int:
        return len(self.origin)


def scene_layout(split: Split, index: int) -> SceneLayout:
    """The layout of scene ``index`` of ``split`` (the same in every season and size)."""
    return sample_layout(np.random.default_rng([_SCENE_SEED, SPLITS.index(split), index]))


def _generator_fingerprint() -> str:
    """A hash of the code that renders the dataset, so that any change to it rebuilds the cache
    (a stale cache would silently change every number the notebooks print)."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=4)
    for module in [*sorted((here / "scenes").glob("*.py")), here / "photos.py", here / "embedded.py"]:
        digest.update(module.read_bytes())
    return digest.hexdigest()


def cache_path(size: int = 64, season: str = "summer") -> Path:
    """Where the build for ``size`` and ``season`` is cached (named by version and code fingerprint)."""
    suffix = "" if season == "summer" else f"-{season}"
    return cache_dir() / f"embedded-v{VERSION}-{_generator_fingerprint()}-{size}px{suffix}.pt"


def load_embedded(
    split: Split, source: Source = "all", size: int = 64, season: Literal["summer", "winter"] = "summer"
) -> EmbeddedSplit:
    """One split of the embedded dataset, built on first use (10-20 s on a small CPU), then cached.

    ``source`` picks photo crops, scenes, or both (photos first). ``season`` changes only the
    scenes. A cache file that cannot be read is rebuilt, with a warning.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}; got {source!r}")
    if season not in SEASONS:
        raise ValueError(f"season must be one of {SEASONS}; got {season!r}")
    if source == "photos":
        season = "summer"  # photos are the same in every season: share one cache
    data = _load_or_build(size, season)
    parts = [data["splits"][split][name] for name in (("photos", "scenes") if source == "all" else (source,))]
    images = torch.cat([p["images"] for p in parts])
    ambiguous = torch.cat(
        [
            p["ambiguous"] if "ambiguous" in p else torch.zeros(p["images"][:, 0].shape, dtype=torch.bool)
            for p in parts
        ]
    )
    return EmbeddedSplit(images=images, ambiguous=ambiguous, origin=[o for p in parts for o in p["origin"]])


def build_embedded(size: int = 64, n_scenes: dict[str, int] | None = None, season: str = "summer") -> dict:
    """Build the dataset from scratch (what :func:`load_embedded` caches).

    ``n_scenes`` maps split -> number of scenes (default :data:`DEFAULT_N_SCENES`; tests use a
    few). Returns ``{"version", "size", "season", "n_scenes", "splits"}`` where
    ``splits[split]["photos"]`` holds ``images`` (N, 3, size, size) uint8 and ``origin``, and
    ``splits[split]["scenes"]`` also holds ``ambiguous`` (N, size, size) bool.
    """
    n_scenes = dict(DEFAULT_N_SCENES if n_scenes is None else n_scenes)
    if set(n_scenes) != set(SPLITS):
        raise ValueError(f"n_scenes must give a count for each of {SPLITS}; got {sorted(n_scenes)}")
    n_photos = sum(len(names) for names in PHOTO_SPLITS.values())
    splits: dict[str, dict] = {}
    with tqdm(
        total=n_photos + sum(n_scenes.values()),
        desc=f"embedded dataset ({size}px, {season})",
        unit="img",
        leave=False,
    ) as progress:
        for split in SPLITS:
            splits[split] = {
                "photos": _build_photos(split, size, progress),
                "scenes": _build_scenes(split, n_scenes[split], size, season, progress),
            }
    return {"version": VERSION, "size": size, "season": season, "n_scenes": n_scenes, "splits": splits}


def _build_photos(split: str, size: int, progress: tqdm) -> dict:
    images, origin = [], []
    for name in PHOTO_SPLITS[split]:
        crops = photo_crops(name, size=size)  # (N, H, W, 3)
        images.append(torch.from_numpy(crops).permute(0, 3, 1, 2))
        origin += [f"photo:{name}"] * len(crops)
        progress.update(1)
    return {"images": torch.cat(images).contiguous(), "origin": origin}


def _build_scenes(split: str, n: int, size: int, season: str, progress: tqdm) -> dict:
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    ambiguous = np.empty((n, size, size), dtype=bool)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        layouts = [scene_layout(split, i) for i in range(start, stop)]  # type: ignore[arg-type]
        for i, scene in enumerate(render_scenes(layouts, size=size, season=season), start):
            images[i], ambiguous[i] = scene.rgb, scene.ambiguous
        progress.update(stop - start)
    return {
        "images": torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(),
        "ambiguous": torch.from_numpy(ambiguous),
        "origin": [f"scene:{i}" for i in range(n)],
    }


def _load_or_build(size: int, season: str) -> dict:
    path = cache_path(size, season)
    if path.exists():
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
            _check_build(data, size, season)
            return data
        except Exception as error:  # noqa: BLE001 - any unreadable cache is simply rebuilt
            warnings.warn(
                f"{path}: cached dataset is unusable ({type(error).__name__}); rebuilding it", stacklevel=3
            )
    data = build_embedded(size, season=season)
    try:
        atomic_torch_save(data, path)
    except OSError as error:  # a read-only or full disk costs a rebuild next time, nothing more
        warnings.warn(f"{path}: cannot cache the dataset ({error.strerror or error})", stacklevel=3)
    return data


def _check_build(data: object, size: int, season: str) -> None:
    """Raise ValueError unless ``data`` is a complete default build for ``size`` and ``season``."""
    if not isinstance(data, dict) or (data.get("version"), data.get("size"), data.get("season")) != (
        VERSION,
        size,
        season,
    ):
        raise ValueError("not a build of this version, size and season")
    if data.get("n_scenes") != DEFAULT_N_SCENES:
        raise ValueError("not a default-sized build")
    for split in SPLITS:
        if set(data["splits"][split]) != {"photos", "scenes"}:
            raise ValueError(f"{split}: missing photos or scenes")
        for name, part in data["splits"][split].items():
            images = part["images"]
            if images.dtype != torch.uint8 or tuple(images.shape[1:]) != (3, size, size):
                raise ValueError(f"{split}/{name}: images of the wrong type or shape")
            if len(part["origin"]) != len(images) or (
                "ambiguous" in part and len(part["ambiguous"]) != len(images)
            ):
                raise ValueError(f"{split}/{name}: parts of different lengths")
