"""Held-out evaluation of a stylizer: how close are its translations to the true other season?

On paired domains (the embedded scenes: ``b[i]`` is ``a[i]`` in the other season) the
translation of ``a[i]`` is scored against ``b[i]`` with PSNR and SSIM, next to the identity
mapping (the input returned unchanged), the score of doing nothing. A stylizer that learned the
season scores above the identity; one that only blurs or tints scores at or below it.

Optionally (``with_fid``) FID and KID of the translations against the real target domain: they
need no pairs, only Inception's weights on this machine (see
:func:`gancolor.metrics.inception_weights_path`). Print the result with
:func:`gancolor.evaluation.scores.format_table`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from gancolor.data.unpaired import UnpairedDomains
from gancolor.errors import DataError
from gancolor.evaluation.scores import add_fid_kid, score_images
from gancolor.infer.stylizer import Stylizer

__all__ = ["evaluate_stylizer", "generators_psnr"]


@torch.no_grad()
def evaluate_stylizer(stylizer: Stylizer, domains: UnpairedDomains, direction: str = "AtoB",
                      with_fid: bool = False, fid_weights: str | None = None, batch_size: int = 32,
                      progress: bool = False) -> dict[str, dict[str, float]]:
    """Score ``stylizer``'s translation of the source domain against the target domain.

    Inputs: ``domains`` with ``a``, ``b`` (N, 3, H, W) uint8; ``direction`` "AtoB" (translate
    ``a``, compare with ``b``), "BtoA", or by domain names ("summer2winter").
    Returns: ``{"stylizer": {...}, "identity": {...}}`` with "psnr" (dB, mean over images with
    finite PSNR) and "ssim" when the domains are paired, and "fid", "kid" when ``with_fid``.
    Raises :class:`DataError` for unpaired domains without ``with_fid`` (nothing to compare).
    """
    key = stylizer.direction(direction)
    source, target = (domains.a, domains.b) if key == "AtoB" else (domains.b, domains.a)
    if not domains.paired and not with_fid:
        raise DataError(f"{domains.source or 'these domains'}: unpaired, so there is no true translation to "
                        "compare with; use paired domains (embedded scenes) or with_fid=True")
    translated = stylizer.stylize_tensor(source, key, batch_size=batch_size)
    predictions = {"stylizer": translated, "identity": source}
    results: dict[str, dict[str, float]] = {name: {} for name in predictions}
    if domains.paired:
        for name, pred in predictions.items():
            scores = score_images(pred, target)
            results[name].update(psnr=scores["psnr"], ssim=scores["ssim"])
    if with_fid:
        add_fid_kid(results, predictions, target, fid_weights, progress)
    return results


def generators_psnr(generators: Mapping[str, nn.Module], domains: UnpairedDomains,
                    direction: str = "AtoB") -> float:
    """Score generators *during training* on held-out paired ``domains`` (e.g. the embedded val split): the
    mean PSNR (dB) of ``direction``'s translation against the true target, exactly as
    :func:`evaluate_stylizer` scores the exported stylizer (``generators``: ``{"AtoB": G, "BtoA": F}``, or
    only ``"AtoB"`` for a one-sided model). Their train/eval modes are left as they were found."""
    modes = {name: generator.training for name, generator in generators.items()}
    try:
        for generator in generators.values():
            generator.eval()
        view = Stylizer(generators=dict(generators), domains=domains.names)
        return float(evaluate_stylizer(view, domains, direction)["stylizer"]["psnr"])
    finally:
        for name, generator in generators.items():
            generator.train(modes[name])
