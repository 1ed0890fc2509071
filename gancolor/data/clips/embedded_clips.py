"""The embedded video clips: procedural scenes in motion with their true colours and true motion.

Built offline from the scene generator, the same bytes every time, and cached as uint8 tensors in
``gancolor.runtime.cache_dir()`` (``clips-v{VERSION}-{fingerprint}-{size}px-{frames}f.pt``). Clip
``i`` of a split is drawn from its own seed sequence, so the splits never share a scene; even
clips are summer, odd clips winter.
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

from gancolor.data.clips.motion import MAX_OBJECTS, ClipMotion, sample_motion
from gancolor.data.clips.painting import render_clip
from gancolor.data.scenes import SEASONS, sample_layout
from gancolor.io_utils import atomic_torch_save
from gancolor.runtime import cache_dir

__all__ = ["VERSION", "SPLITS", "DEFAULT_N_CLIPS", "DEFAULT_FRAMES", "ClipSplit", "load_clips",
           "build_clips", "clips_cache_path"]

#: Bump whenever the built bytes would change.
VERSION = 1
SPLITS: tuple[str, ...] = ("train", "val", "test")
DEFAULT_N_CLIPS: dict[str, int] = {"train": 128, "val": 16, "test": 32}
DEFAULT_FRAMES = 24

Split = Literal["train", "val", "test"]
_CLIP_SEED = 2024_13_09


@dataclass(frozen=True)
class ClipSplit:
    """One split of the clips (N clips of T frames, S x S px).

    ``frames`` (N, T, 3, S, S) uint8 RGB; ``ids`` (N, T, S, S) uint8, the object each pixel shows
    (0 the static world); ``ambiguous`` (N, T, S, S) bool, balloons and car bodies; ``pan`` (N,)
    int64 and ``velocity`` (N, MAX_OBJECTS, 2) int64, the motion (:class:`ClipMotion`, unused
    rows zero); ``season[i]`` "summer" or "winter".
    """

    frames: torch.Tensor
    ids: torch.Tensor
    ambiguous: torch.Tensor
    pan: torch.Tensor
    velocity: torch.Tensor
    season: list[str]

    def __len__(self) -> int:
        return len(self.frames)

    def motion(self, i: int) -> ClipMotion:
        """The true motion of clip ``i``."""
        return ClipMotion(pan=int(self.pan[i]), velocity=self.velocity[i].numpy())

    def flow(self, i: int) -> torch.Tensor:
        """True displacement of every pixel to the next frame: (T - 1, 2, S, S) int64 (dx, dy) in px."""
        return torch.from_numpy(self.motion(i).flow(self.ids[i, :-1].numpy().astype(np.int64)))


def clip_seed(split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([_CLIP_SEED, SPLITS.index(split), index])


def build_clips(size: int = 64, frames: int = DEFAULT_FRAMES, n_clips: dict[str, int] | None = None,
                progress: bool = True) -> dict:
    """Render every split from scratch (what :func:`load_clips` caches): ``{"version", "size",
    "frames", "n_clips", "splits": {split: fields of ClipSplit as tensors and lists}}``."""
    n_clips = dict(DEFAULT_N_CLIPS if n_clips is None else n_clips)
    if set(n_clips) != set(SPLITS):
        raise ValueError(f"n_clips must give a count for each of {SPLITS}; got {sorted(n_clips)}")
    if size < 16 or frames < 2:
        raise ValueError(f"clips need size >= 16 and frames >= 2; got {size}, {frames}")
    splits = {}
    with tqdm(total=sum(n_clips.values()), desc=f"clips ({size}px, {frames} frames)", unit="clip",
              leave=False, disable=not progress) as bar:
        for split in SPLITS:
            n = n_clips[split]
            out = {"frames": np.empty((n, frames, size, size, 3), np.uint8),
                   "ids": np.empty((n, frames, size, size), np.uint8),
                   "ambiguous": np.empty((n, frames, size, size), bool),
                   "pan": np.zeros(n, np.int64), "velocity": np.zeros((n, MAX_OBJECTS, 2), np.int64)}
            seasons = []
            for i in range(n):
                rng = clip_seed(split, i)
                layout = sample_layout(rng)
                motion = sample_motion(rng, layout, size)
                season = SEASONS[i % len(SEASONS)]
                clip = render_clip(layout, motion, frames, size, season)
                out["frames"][i], out["ids"][i], out["ambiguous"][i] = clip.frames, clip.ids, clip.ambiguous
                out["pan"][i] = motion.pan
                out["velocity"][i, : len(motion.velocity)] = motion.velocity
                seasons.append(season)
                bar.update(1)
            splits[split] = {
                "frames": torch.from_numpy(out["frames"]).permute(0, 1, 4, 2, 3).contiguous(),
                "ids": torch.from_numpy(out["ids"]), "ambiguous": torch.from_numpy(out["ambiguous"]),
                "pan": torch.from_numpy(out["pan"]), "velocity": torch.from_numpy(out["velocity"]),
                "season": seasons,
            }
    return {"version": VERSION, "size": size, "frames": frames, "n_clips": n_clips, "splits": splits}


def _fingerprint() -> str:
    """A hash of the code that renders the clips, so that a change to it rebuilds the cache."""
    data = Path(__file__).parent.parent
    digest = hashlib.blake2b(digest_size=4)
    for module in [*sorted((data / "scenes").glob("*.py")), *sorted((data / "clips").glob("*.py"))]:
        digest.update(module.read_bytes())
    return digest.hexdigest()


def clips_cache_path(size: int = 64, frames: int = DEFAULT_FRAMES) -> Path:
    """Where the default build for ``size`` and ``frames`` is cached."""
    return cache_dir() / f"clips-v{VERSION}-{_fingerprint()}-{size}px-{frames}f.pt"


def load_clips(split: Split, size: int = 64, frames: int = DEFAULT_FRAMES) -> ClipSplit:
    """One split of the clips, built on first use (about 20 s on a small CPU), then cached.

    A cache file that cannot be read is rebuilt, with a warning.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    path = clips_cache_path(size, frames)
    data = None
    if path.exists():
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
            if (data.get("version"), data.get("size"), data.get("frames"), data.get("n_clips")) != (
                    VERSION, size, frames, DEFAULT_N_CLIPS):
                raise ValueError("not a default build of this version, size and length")
        except Exception as error:  # noqa: BLE001 - any unreadable cache is simply rebuilt
            warnings.warn(f"{path}: cached clips are unusable ({type(error).__name__}); rebuilding them",
                          stacklevel=2)
            data = None
    if data is None:
        data = build_clips(size, frames)
        try:
            atomic_torch_save(data, path)
        except OSError as error:
            warnings.warn(f"{path}: cannot cache the clips ({error.strerror or error})", stacklevel=2)
    return ClipSplit(**data["splits"][split])
