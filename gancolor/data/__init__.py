"""Datasets: the embedded default (scikit-image photos + procedural scenes), image folders, Lab pairs.

- :func:`load_embedded` -- the offline default dataset, split train / val / test.
- :func:`load_image_folder`, :class:`ColorizationDataset` -- a folder of your own images (every
  folder is read by :func:`gancolor.data.folder.read_image_folder`: unreadable files skipped, warned).
- :func:`lab_batch`, :class:`LabPairs` -- uint8 RGB -> normalised (L_n, ab_n) for the networks.
- :class:`UnpairedDomains`, :func:`load_embedded_domains`, :func:`load_unpaired_folder` -- two
  domains (summer / winter) for style transfer.
- :mod:`gancolor.data.hint_maps` -- the hint colorizer's hint maps and their simulation for training.
- :mod:`gancolor.data.scenes` -- the scene generator; :mod:`gancolor.data.photos` -- the photos.
"""

from gancolor.data.embedded import EmbeddedSplit, build_embedded, load_embedded
from gancolor.data.folder import ColorizationDataset, load_image_folder
from gancolor.data.lab import LabPairs, lab_batch
from gancolor.data.photos import PHOTO_SPLITS, photo_crops
from gancolor.data.scenes import Scene, SceneLayout, random_scene, render_scene, sample_layout
from gancolor.data.unpaired import UnpairedDomains, load_embedded_domains, load_unpaired_folder

__all__ = [
    "EmbeddedSplit",
    "build_embedded",
    "load_embedded",
    "ColorizationDataset",
    "load_image_folder",
    "LabPairs",
    "lab_batch",
    "PHOTO_SPLITS",
    "photo_crops",
    "Scene",
    "SceneLayout",
    "random_scene",
    "render_scene",
    "sample_layout",
    "UnpairedDomains",
    "load_embedded_domains",
    "load_unpaired_folder",
]
