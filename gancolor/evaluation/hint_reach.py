"""How far one hint floods beyond its object: the share of the other pixels that took its colour.

Notebook 08 (exercise 8.3) measures it for one hint on the embedded test scenes; the mean distance
to the hint's colour can hide whether a few pixels moved a lot or most pixels moved, so this counts
pixels: a pixel *took the hint's colour* when its ab is at most half as far from the hint's ab
(the Euclidean distance in the ab plane) after the hint as before it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["flood_share"]


def flood_share(before_ab: torch.Tensor, after_ab: torch.Tensor, hint_ab: Sequence[float] | torch.Tensor,
                obj: torch.Tensor) -> float:
    """The share in [0, 1] of the pixels off ``obj`` whose ab moved at least half way to ``hint_ab``.

    ``before_ab``, ``after_ab``: (2, H, W), a and b without and with the hint, in CIE units (as
    ``hint_ab``, two numbers); ``obj``: (H, W) bool, the hinted object (its pixels are not counted).
    A pixel counts when ``|after - hint| <= |before - hint| / 2`` (distances in the ab plane).
    """
    wanted = torch.as_tensor(hint_ab, dtype=before_ab.dtype).view(2, 1, 1)
    before = torch.linalg.vector_norm(before_ab - wanted, dim=0)  # (H, W)
    after = torch.linalg.vector_norm(after_ab - wanted, dim=0)
    off = ~obj.bool()
    return float((after[off] <= before[off] / 2).double().mean())
