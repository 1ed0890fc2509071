"""Which images a command trains or evaluates on: the embedded dataset, a downloaded one or a folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gancolor.errors import DataError

if TYPE_CHECKING:
    import torch

    from gancolor.data import UnpairedDomains

__all__ = ["load_images", "load_domains", "EMBEDDED_DOMAINS"]

#: The paired domains built from the embedded data: ``--data`` names for CycleGAN and its evaluation.
#: "embedded" (the default) is summer <-> winter scenes; "embedded-paintings" photos <-> their
#: paintings (gancolor.data.paintings).
EMBEDDED_DOMAINS = ("embedded", "embedded-paintings")


def load_images(data: str, split: str = "train", size: int = 64, source: str = "all"
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Images for training or evaluation: ``"embedded"`` (its ``split``), a downloaded dataset
    (its ``split`` when it has one) or a folder of photos.

    Returns: images (N, 3, size, size) uint8 and the ambiguous-object masks (N, size, size)
    bool for embedded data (None for a folder).
    """
    if data == "embedded":
        from gancolor.data import load_embedded

        split_data = load_embedded(split, source=source, size=size)
        return split_data.images, split_data.ambiguous
    from gancolor.data.download import resolve_data

    folder = resolve_data(data, split=_dataset_split(data, split))
    if not folder.is_dir():
        raise DataError(f"{data}: not 'embedded', not a dataset name (see `gancolor download --list`) "
                        f"and not a folder of images")
    from gancolor.data import load_image_folder

    return load_image_folder(folder, size=size), None


def _dataset_split(data: str, split: str) -> str | None:
    """The registered dataset's folder for ``split`` ("val" falls back to "test"); None = the whole
    dataset (or ``data`` is not a registered name)."""
    from gancolor.data.registry import load_registry

    entry = load_registry().get(data)
    if entry is None:
        return None
    for candidate in (split, "test") if split == "val" else (split,):
        if candidate in entry.splits:
            return candidate
    return None


def load_domains(data: str, split: str, size: int) -> UnpairedDomains:
    """Two image domains for CycleGAN: ``"embedded"`` (summer <-> winter scenes, paired),
    ``"embedded-paintings"`` (the embedded scenes and photo crops <-> their procedural paintings,
    paired), a CycleGAN dataset name (``gancolor download horse2zebra``) or a folder with trainA/
    trainB/ testA/ testB/."""
    from gancolor.data import load_embedded_domains, load_unpaired_folder

    if data == "embedded":
        return load_embedded_domains(split, size=size)
    if data == "embedded-paintings":
        from gancolor.data.paintings import load_painting_domains

        return load_painting_domains(split, size=size)
    from gancolor.data.download import resolve_data

    folder_split = "train" if split == "train" else "test"  # the public sets have no val split
    return load_unpaired_folder(resolve_data(data), split=folder_split, size=size)
