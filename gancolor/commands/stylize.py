"""``gancolor stylize``: translate photos of any size with a CycleGAN; and its ``evaluate --task stylize``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gancolor.commands.files import convert_files

__all__ = ["stylize_files", "evaluate_stylizers_command", "load_domains"]


def stylize_files(inputs: Sequence[str], out_dir: Path, direction: str = "AtoB",
                  checkpoint: Path | None = None, size: int | None = None, device: str = "cpu") -> int:
    """Translate every input at full resolution into ``out_dir`` (see :func:`convert_files`).

    ``direction``: "AtoB" or "BtoA" (for the shipped model, A = summer, B = winter).
    """
    from gancolor.stylize import load_stylizer

    stylizer = load_stylizer(checkpoint, device=device, inference_size=size)
    key = stylizer.direction(direction)

    def stylize(rgb: np.ndarray) -> np.ndarray:
        return stylizer.stylize_image(rgb, key)

    return convert_files(inputs, out_dir, stylize, verb="stylized")


def load_domains(data: str, split: str, size: int):  # -> UnpairedDomains
    """Two image domains for CycleGAN: ``"embedded"`` (summer <-> winter scenes, paired), a CycleGAN
    dataset name (``gancolor download horse2zebra``) or a folder with trainA/ trainB/ testA/ testB/."""
    from gancolor.data import load_embedded_domains, load_unpaired_folder

    if data == "embedded":
        return load_embedded_domains(split, size=size)
    from gancolor.data.download import resolve_data

    folder_split = "train" if split == "train" else "test"  # the public sets have no val split
    return load_unpaired_folder(resolve_data(data), split=folder_split, size=size)


def evaluate_stylizers_command(args: argparse.Namespace) -> int:
    """``gancolor evaluate --task stylize``: PSNR/SSIM against the true target (paired data) and
    FID/KID (when the Inception weights exist), for each stylizer and the identity mapping."""
    from gancolor.commands.evaluate import _fid_available, report
    from gancolor.errors import UserError
    from gancolor.evaluate_style import evaluate_stylizer
    from gancolor.stylize import default_stylizer, load_stylizer

    paths = args.checkpoint or [default_stylizer()]
    domains = load_domains(args.data, args.split, args.size)
    with_fid, fid_note = _fid_available(args.fid_weights)
    if not domains.paired and not with_fid:
        raise UserError(f"{args.data}: unpaired domains have no true target to compare with; FID/KID need "
                        f"the Inception weights ({fid_note})")
    results: dict[str, dict[str, float]] = {}
    for path in paths:
        scores = evaluate_stylizer(load_stylizer(path), domains, args.direction, with_fid=with_fid,
                                   fid_weights=args.fid_weights, progress=not args.json)
        results[f"stylizer ({Path(path).name})"] = scores["stylizer"]
        results["identity (input unchanged)"] = scores["identity"]
    note = f"{args.direction}: {len(domains.a)} A and {len(domains.b)} B images. {fid_note}".strip()
    return report(results, args, len(domains.a), note)
