"""How recognisable is domain B from domain A? A critic trained alone, scored on held-out images.

An unpaired GAN learns only what its discriminator can see: G is pushed towards B exactly where D
tells B from A. Before blaming a generator, train the discriminator *alone* (no G: real A against
real B, the same PatchGAN and LSGAN loss as the trainers) and ask it about held-out images, part
by part. Where it separates the held-out A and B, a GAN has a signal; where it is at chance, G gets
none, however long it trains.

On the embedded paintings (model card 3b) the critic separates the held-out scenes from their
paintings, and not the held-out photos: it learned "a painting is not a synthetic scene", so a
photo and its painting both look like paintings to it, and the stylizers leave photos' colours alone.
"""

from __future__ import annotations

import torch
from tqdm.auto import tqdm

from gancolor.color import uint8_to_signed
from gancolor.data.unpaired import UnpairedDomains
from gancolor.models import PatchDiscriminator, PixelDiscriminator

__all__ = ["CRITICS", "critic_accuracy", "painting_critic_accuracy"]

#: The critics :func:`critic_accuracy` trains: the 70 x 70 PatchGAN, or the 1 x 1 PixelGAN (colours only).
CRITICS = ("patch", "pixel")


def critic_accuracy(train: UnpairedDomains, held_out: UnpairedDomains, parts: dict[str, slice] | None = None,
                    steps: int = 1000, batch_size: int = 8, seed: int = 0, norm: str = "none",
                    progress: bool = True, critic: str = "patch") -> dict[str, dict[str, float]]:
    """Train a 70 x 70 PatchGAN (``critic="patch"``; ``"pixel"``: pix2pix's PixelGAN, which sees one
    pixel at a time and so only colours) to tell ``train.b`` (1) from ``train.a`` (0) with the LSGAN
    loss (Adam 2e-4, β1 0.5, ``steps`` batches of ``batch_size`` of each, drawn with ``seed``), then
    score ``held_out``.

    Inputs: ``train``, ``held_out``: (N, 3, H, W) uint8 domains (64 px and up: the PatchGAN's smallest
    input); ``parts``: named slices of ``held_out`` scored separately (None: ``{"all": everything}``).
    Returns ``{part: {"accuracy", "mean_a", "mean_b"}}``: accuracy = ½ (fraction of B images whose
    mean critic output is above ½ + fraction of A images below ½), 0.5 = chance, 1 = every image told
    apart; ``mean_a``, ``mean_b`` the mean outputs (0 = "A", 1 = "B").
    """
    if critic not in CRITICS:
        raise ValueError(f"critic must be one of {', '.join(CRITICS)}; got {critic!r}")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = (PatchDiscriminator(3, width=64, n_layers=3, norm=norm) if critic == "patch"
             else PixelDiscriminator(3, width=64, norm=norm))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for _ in tqdm(range(steps), desc="critic", disable=not progress):
        a = uint8_to_signed(train.a[torch.randint(len(train.a), (batch_size,), generator=generator)])
        b = uint8_to_signed(train.b[torch.randint(len(train.b), (batch_size,), generator=generator)])
        loss = 0.5 * ((model(b) - 1).pow(2).mean() + model(a).pow(2).mean())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        mean_a = torch.cat([model(uint8_to_signed(x)).mean(dim=(1, 2, 3)) for x in held_out.a.split(64)])
        mean_b = torch.cat([model(uint8_to_signed(x)).mean(dim=(1, 2, 3)) for x in held_out.b.split(64)])
    results = {}
    for name, part in (parts or {"all": slice(None)}).items():
        a, b = mean_a[part], mean_b[part]
        accuracy = 0.5 * (float((b > 0.5).float().mean()) + float((a < 0.5).float().mean()))
        results[name] = {"accuracy": accuracy, "mean_a": float(a.mean()), "mean_b": float(b.mean())}
    return results


def painting_critic_accuracy(split: str = "val", steps: int = 1000, seed: int = 0,
                             progress: bool = True, critic: str = "patch") -> dict[str, dict[str, float]]:
    """:func:`critic_accuracy` on the embedded paintings: trained on the train photos (A) and paintings (B),
    scored on ``split``'s photo crops and scenes (parts ``"photo crops"``, ``"scenes"``)."""
    from gancolor.data.embedded import DEFAULT_N_SCENES
    from gancolor.data.paintings import load_painting_domains

    held_out = load_painting_domains(split)
    n_crops = len(held_out.a) - DEFAULT_N_SCENES[split]  # the photo crops come first
    parts = {"photo crops": slice(0, n_crops), "scenes": slice(n_crops, None)}
    return critic_accuracy(load_painting_domains("train"), held_out, parts, steps=steps, seed=seed,
                           progress=progress, critic=critic)
