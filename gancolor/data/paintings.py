"""A painting domain built offline: a deterministic painterly renderer and the photo <-> painting domains.

There is no painting dataset in the package, so the paintings are *rendered* from the embedded
images (scenes and photo crops) in three steps, each a classic of non-photorealistic rendering:

1. **Stroke orientation** from the structure tensor (Kass & Witkin 1987; Kyprianidis & Döllner
   2008 use it to orient painterly filters). With the gradient g = (g_x, g_y) of the lightness,

       J = G_ρ * [[g_x², g_x g_y], [g_x g_y, g_y²]]                 (smoothed outer product)
       φ = ½ atan2(2 J_xy, J_xx - J_yy)                          (dominant gradient orientation)
       θ = φ + π/2                                               (strokes run *along* edges)

   The ½ is there because J cannot tell g from -g: its angle is doubled.
2. **Brush strokes**: every pixel becomes the mean of the image along a short straight stroke
   through it, p + t (cos θ, sin θ), t in [-L, L] (a line integral convolution, Cabral & Leedom
   1993): colours are smeared along edges, never across them, and fine texture turns into streaks.
3. **A painter's palette**: each stroke colour c is mixed with the paints of :data:`PALETTE`, a
   limited set of oil colours, the nearest ones weighing most (a soft nearest colour, by CIE Lab
   distance ΔE_k from c to paint k, temperature T):

       w_k = softmax_k(-ΔE_k / T),   p(c) = Σ_k w_k paint_k,   c' = (1 - m) c + m p(c)

   As T -> 0, p(c) is the nearest paint (a poster's flat colours); T = 3 ΔE keeps the
   gradations of a brushed surface, and each colour moves m = 60 % of the way to its mix of paints.

Everything is fixed (no randomness), at the image's own pixel scale, so ``paint(x)`` is a smooth
function of ``x`` alone: domain B = ``paint(A)`` is *paired* with A for evaluation (the true
painting of a held-out photo is known), while CycleGAN trains on the two domains shuffled apart
(unpaired), as with the seasons (:func:`gancolor.data.unpaired.load_embedded_domains`).

An earlier version took the nearest paint outright and darkened the rims between paints: it
looked like a poster (flat regions, contour lines), and mapped many photos to one image even more
than this one does (model card 3b has what CycleGAN made of each).

What it is not: real paintings. It has no composition, no painter's hand, no impasto or canvas,
no stroke whose length follows the object: a stand-in that lets the course measure photo ->
painting translation against a true target, offline.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gancolor.color import rgb_to_lab, uint8_to_unit, unit_to_uint8
from gancolor.data.embedded import SPLITS, load_embedded
from gancolor.data.unpaired import UnpairedDomains

__all__ = ["PALETTE", "PALETTE_NAMES", "sobel", "gaussian_blur", "structure_tensor", "stroke_orientation",
           "brush_strokes",
           "soft_palette", "palette_distance",
           "paint", "paint_batched", "load_painting_domains", "PAINTING_DOMAINS"]

#: The domain names of the photo <-> painting stylizer: A = photo, B = painting.
PAINTING_DOMAINS = ("photo", "painting")

#: The painter's palette: (name, sRGB 0-255) of a limited set of oil colours and the tints a
#: landscape painter mixes from them (no pure primaries: every colour is slightly earthy).
_PALETTE_COLOURS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("titanium white", (242, 238, 226)),
    ("ivory black", (38, 36, 40)),
    ("payne's grey", (72, 82, 96)),
    ("ultramarine", (52, 66, 150)),
    ("cerulean", (92, 150, 200)),
    ("sky tint", (170, 200, 222)),
    ("viridian", (40, 110, 90)),
    ("sap green", (86, 124, 52)),
    ("pale green", (160, 182, 110)),
    ("yellow ochre", (204, 160, 72)),
    ("naples yellow", (236, 208, 130)),
    ("cadmium red", (196, 54, 40)),
    ("alizarin crimson", (140, 34, 52)),
    ("burnt sienna", (142, 76, 42)),
    ("raw umber", (100, 82, 60)),
    ("flesh tint", (222, 170, 140)),
)
PALETTE_NAMES: tuple[str, ...] = tuple(name for name, _ in _PALETTE_COLOURS)
#: (K, 3) uint8 sRGB, K = 16.
PALETTE = torch.tensor([rgb for _, rgb in _PALETTE_COLOURS], dtype=torch.uint8)

# The renderer's settings, in pixels of the image it paints (64 px for the training data).
STROKE_HALF_LENGTH = 4  # L: a stroke covers 2L + 1 = 9 samples, one pixel apart
TENSOR_SIGMA = 2.0  # ρ: the structure tensor's Gaussian
PALETTE_MIX = 0.6  # m: how far each colour moves to its paint
PALETTE_TEMPERATURE = 3.0  # T (ΔE*ab): how soft the choice of paint is


def _luma(rgb: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1] -> (N, 1, H, W) Rec. 601 luma."""
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W), replicate borders, radius 3σ."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-t * t / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    x = F.pad(x, (radius, radius, 0, 0), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1), groups=channels)
    x = F.pad(x, (0, 0, radius, radius), mode="replicate")
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1), groups=channels)


def sobel(gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 1, H, W) -> g_x, g_y (N, 1, H, W): Sobel derivatives, x to the right, y downwards."""
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=gray.dtype,
                      device=gray.device) / 8
    padded = F.pad(gray, (1, 1, 1, 1), mode="replicate")
    return F.conv2d(padded, kx.view(1, 1, 3, 3)), F.conv2d(padded, kx.t().contiguous().view(1, 1, 3, 3))


def structure_tensor(gray: torch.Tensor, sigma: float = TENSOR_SIGMA, smooth: bool = True
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """J = G_ρ * (g gᵀ): its entries J_xx, J_xy, J_yy, each (N, 1, H, W), of ``gray`` (N, 1, H, W).

    ``sigma`` ρ (px); ``smooth=False`` returns g gᵀ itself (no averaging over the neighbourhood).
    """
    gx, gy = sobel(gray)
    products = torch.cat([gx * gx, gx * gy, gy * gy], dim=1)  # g gᵀ: (N, 3, H, W)
    tensor = gaussian_blur(products, sigma) if smooth else products  # J = G_ρ * (g gᵀ)
    return tensor[:, 0:1], tensor[:, 1:2], tensor[:, 2:3]


def stroke_orientation(gray: torch.Tensor, sigma: float = TENSOR_SIGMA) -> torch.Tensor:
    """The direction of the brush stroke at every pixel: along the edges (step 1 of the module docstring).

    Inputs: ``gray`` (N, 1, H, W) float, any range; ``sigma`` ρ of the structure tensor (px).
    Returns: θ (N, 1, H, W) in radians, in (-π/2, 3π/2]; the stroke runs along (cos θ, sin θ) with
    x to the right and y *downwards* (image rows). Only θ mod π matters (a stroke has no sign).
    On a flat patch (J = 0) θ = π/2 (atan2(0, 0) = 0): vertical strokes.
    """
    jxx, jxy, jyy = structure_tensor(gray, sigma)
    phi = 0.5 * torch.atan2(2 * jxy, jxx - jyy)  # φ = ½ atan2(2 J_xy, J_xx - J_yy), the gradient
    return phi + math.pi / 2  # θ = φ + π/2: along the edge


def brush_strokes(rgb: torch.Tensor, theta: torch.Tensor,
                  half_length: int = STROKE_HALF_LENGTH) -> torch.Tensor:
    """Smear ``rgb`` along the strokes: the mean of x(p + t (cos θ, sin θ)), t = -L..L (step 2).

    Inputs: ``rgb`` (N, C, H, W) float; ``theta`` (N, 1, H, W) from :func:`stroke_orientation`;
    ``half_length`` L (px). Samples are bilinear, the border repeated. Returns (N, C, H, W).
    """
    n, _, height, width = rgb.shape
    ys, xs = torch.meshgrid(torch.arange(height, dtype=rgb.dtype, device=rgb.device),
                            torch.arange(width, dtype=rgb.dtype, device=rgb.device), indexing="ij")
    dx, dy = torch.cos(theta[:, 0]), torch.sin(theta[:, 0])  # (N, H, W)
    total = torch.zeros_like(rgb)
    for t in range(-half_length, half_length + 1):
        # pixel coordinates -> grid_sample's [-1, 1] (align_corners=True: -1 and 1 are pixel centres)
        gx = (xs + t * dx) * (2 / max(width - 1, 1)) - 1
        gy = (ys + t * dy) * (2 / max(height - 1, 1)) - 1
        grid = torch.stack([gx, gy], dim=-1)  # (N, H, W, 2)
        total += F.grid_sample(rgb, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return total / (2 * half_length + 1)


def soft_palette(rgb: torch.Tensor, palette: torch.Tensor = PALETTE,
                 temperature: float = PALETTE_TEMPERATURE) -> torch.Tensor:
    """The paint of every pixel: the palette colours weighted by softmax(-ΔE / T) (step 3).

    Inputs: ``rgb`` (N, 3, H, W) in [0, 1]; ``palette`` (K, 3) uint8 sRGB; ``temperature`` T > 0 in
    ΔE*ab units (small T: the nearest colour). Returns (N, 3, H, W) in [0, 1], a convex combination of
    the palette colours at every pixel.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    colours = uint8_to_unit(palette.to(rgb.device)).to(rgb.dtype)  # (K, 3)
    distance = _palette_distances(rgb, colours).clamp_min(0).sqrt()  # ΔE_k: (N, K, H, W)
    weights = torch.softmax(-distance / temperature, dim=1)  # w_k
    return torch.einsum("nkhw,kc->nchw", weights, colours)  # Σ_k w_k paint_k


def _palette_distances(rgb: torch.Tensor, colours: torch.Tensor) -> torch.Tensor:
    """Squared CIE Lab distances (N, K, H, W) of every pixel of ``rgb`` (N, 3, H, W) in [0, 1] to each of
    the K ``colours`` (K, 3) in [0, 1]."""
    lab = rgb_to_lab(rgb)  # (N, 3, H, W)
    palette_lab = rgb_to_lab(colours.t().contiguous().view(1, 3, -1, 1))[0, :, :, 0].t()  # (K, 3)
    return ((lab[:, None] - palette_lab[None, :, :, None, None]) ** 2).sum(dim=2)  # (N, K, H, W)


@torch.no_grad()
def palette_distance(images: torch.Tensor, palette: torch.Tensor = PALETTE,
                     batch_size: int = 256) -> torch.Tensor:
    """How far each image's colours are from the painter's palette: the mean over its pixels of the CIE Lab
    distance ΔE*ab to the nearest palette colour. (N, 3, H, W) uint8 -> (N,) float.

    A style measure that needs no true painting: a photo is far from the palette, a rendered painting
    about half as far (7.5 against 13.8 on the embedded test split), pure palette colours at 0.
    """
    colours = uint8_to_unit(palette)
    out = []
    for start in range(0, len(images), batch_size):
        squared = _palette_distances(uint8_to_unit(images[start:start + batch_size]), colours)
        out.append(squared.min(dim=1).values.sqrt().mean(dim=(1, 2)))
    return torch.cat(out)


@torch.no_grad()
def paint(images: torch.Tensor) -> torch.Tensor:
    """Render photos as paintings: (N, 3, H, W) uint8 -> (N, 3, H, W) uint8, deterministic.

    Steps 1-3 of the module docstring, at the image's own pixel scale (a 9 px stroke).
    """
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be an (N, 3, H, W) uint8 tensor; "
                         f"got {tuple(images.shape)} {images.dtype}")
    rgb = uint8_to_unit(images)
    theta = stroke_orientation(_luma(rgb))  # 1. along the edges
    strokes = brush_strokes(rgb, theta)  # 2. smeared along them
    paints = soft_palette(strokes)  # 3. the nearest oil colours ...
    painted = (1 - PALETTE_MIX) * strokes + PALETTE_MIX * paints  # ... mixed in: c' = (1 - m) c + m p(c)
    return unit_to_uint8(painted.clamp(0, 1))


def paint_batched(images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """:func:`paint` in batches of ``batch_size`` (bounded memory): (N, 3, H, W) uint8 -> same."""
    return torch.cat([paint(images[start:start + batch_size]) for start in range(0, len(images), batch_size)])


def load_painting_domains(split: str = "train", size: int = 64) -> UnpairedDomains:
    """The embedded images of ``split`` (scenes and photo crops, summer) as photos (A) and their
    paintings (B): index-aligned, ``paired=True``; (N, 3, size, size) uint8 each.

    Rendered on every call (about 3 s per 1,000 images at 64 px on one CPU thread).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    photos = load_embedded(split, source="all", size=size).images  # type: ignore[arg-type]
    return UnpairedDomains(a=photos, b=paint_batched(photos), paired=True, names=PAINTING_DOMAINS,
                           source=f"embedded {split} scenes and photo crops, painted ({size}px)")
