"""A history of generated images for the discriminator (Shrivastava et al. 2017, Sec. 2.3; CycleGAN Sec. 4).

If D only ever sees the generator's latest outputs, G and D can chase each other in circles:
G moves to where D is weak, D forgets the old fakes and follows. Training D on a buffer of past
fakes as well keeps it honest about the whole recent history. CycleGAN keeps 50 images:

    while the pool holds fewer than `size` images:  store each new fake and give it to D
    then, for each new fake:  with probability ½  give D a random stored fake and store the new one
                                                  in its place,
                              otherwise           give D the new fake (the pool is unchanged)

Every random choice comes from the ``torch.Generator`` passed to :meth:`ImagePool.query`
(draw it from ``step_generator(seed, step, stream)``), and :meth:`ImagePool.state_dict` holds the
stored images, so a resumed run sees exactly the fakes an uninterrupted one would.
"""

from __future__ import annotations

import torch

__all__ = ["ImagePool"]


class ImagePool:
    """A buffer of up to ``size`` generated images; ``size=0`` passes every batch straight through."""

    def __init__(self, size: int = 50) -> None:
        if size < 0:
            raise ValueError(f"pool size must be >= 0; got {size}")
        self.size = size
        self.images: list[torch.Tensor] = []  # each (C, H, W), detached

    def __len__(self) -> int:
        return len(self.images)

    @torch.no_grad()
    def query(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The images to show D in place of ``images``, and update the pool.

        Inputs: ``images`` (N, C, H, W), the current fakes (detached here); ``generator`` a CPU
        generator for the coin flips and slot choices.
        Returns: (N, C, H, W) on ``images``' device: a mix of new and stored fakes.
        """
        images = images.detach()
        if self.size == 0:
            return images
        if self.images and self.images[0].device != images.device:  # e.g. just loaded onto the CPU
            self.images = [image.to(images.device) for image in self.images]
        # Draw every choice up front, whether the pool is full or not: the draws (and so the rest
        # of the run) do not depend on how many images happen to be stored.
        swap = (torch.rand(len(images), generator=generator) < 0.5).tolist()
        slots = torch.randint(0, self.size, (len(images),), generator=generator).tolist()
        out = []
        for image, use_stored, slot in zip(images, swap, slots, strict=True):
            if len(self.images) < self.size:  # filling: store the new fake and return it
                self.images.append(image.clone())
                out.append(image)
            elif use_stored:  # p = ½: return a stored fake, keep the new one in its place
                out.append(self.images[slot])
                self.images[slot] = image.clone()
            else:  # p = ½: return the new fake, the pool is unchanged
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        """``{"size": int, "images": (n, C, H, W) float tensor on the CPU}`` (n = 0: an empty tensor)."""
        stored = torch.stack([image.cpu() for image in self.images]) if self.images else torch.empty(0)
        return {"size": self.size, "images": stored}

    def load_state_dict(self, state: dict) -> None:
        """Restore the stored images of :meth:`state_dict` (a pool of another size is refused)."""
        if int(state["size"]) != self.size:
            raise ValueError(f"pool of size {state['size']} in the state, {self.size} here")
        stored = state["images"]
        if len(stored) > self.size:
            raise ValueError(f"{len(stored)} stored images for a pool of size {self.size}")
        self.images = [image.clone() for image in stored]

    def __repr__(self) -> str:
        return f"ImagePool(size={self.size}, stored={len(self.images)})"
