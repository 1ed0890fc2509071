"""Which examples a training step sees, as a pure function of (seed, step).

A data loader keeps hidden state (its position in the epoch, its shuffle generator), and a
checkpoint would have to save it for a resumed run to see the same batches. Here the batch of
step ``s`` is computed from ``(seed, s)`` alone, so resuming at step ``s`` is exact for free:

    position p = s * batch_size + i            (i = 0 .. batch_size - 1)
    epoch    e = p // num_items,  permutation_e = randperm(num_items, seed = hash(seed, e))
    index      = permutation_e[p % num_items]

Every example is seen exactly once per epoch, and batches run on across epoch boundaries
(no short last batch, nothing dropped).
"""

from __future__ import annotations

import hashlib

import torch

from gancolor.runtime import derive_seed

__all__ = ["StepSampler", "step_generator", "derive_seed", "data_fingerprint", "random_crops_and_flips"]


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """A CPU generator for the random choices of one step (flips, crops ...).

    Different ``stream`` numbers give independent generators for the same step.
    """
    return torch.Generator().manual_seed(derive_seed("step", seed, step, stream))


class StepSampler:
    """Shuffled batches of indices into ``num_items`` examples, a pure function of (seed, step).

    >>> sampler = StepSampler(num_items=10, batch_size=4, seed=0)
    >>> sampler.indices(0).shape
    torch.Size([4])
    """

    def __init__(self, num_items: int, batch_size: int, seed: int = 0) -> None:
        if num_items < 1:
            raise ValueError(f"num_items must be at least 1; got {num_items}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        self.num_items = num_items
        self.batch_size = batch_size
        self.seed = seed
        self._permutations: dict[int, torch.Tensor] = {}  # the last epochs used (a small cache)

    def permutation(self, epoch: int) -> torch.Tensor:
        """The order of all examples in ``epoch``: LongTensor (num_items,)."""
        if epoch not in self._permutations:
            generator = torch.Generator().manual_seed(derive_seed("epoch", self.seed, epoch))
            if len(self._permutations) >= 2:
                self._permutations.pop(min(self._permutations))
            self._permutations[epoch] = torch.randperm(self.num_items, generator=generator)
        return self._permutations[epoch]

    def epoch(self, step: int) -> int:
        """The epoch that the first example of ``step`` belongs to."""
        return step * self.batch_size // self.num_items

    def indices(self, step: int) -> torch.Tensor:
        """The example indices of ``step``: LongTensor (batch_size,), values in [0, num_items)."""
        if step < 0:
            raise ValueError(f"step must be non-negative; got {step}")
        positions = torch.arange(step * self.batch_size, (step + 1) * self.batch_size)
        epochs = positions // self.num_items
        out = torch.empty(self.batch_size, dtype=torch.long)
        for epoch in epochs.unique().tolist():  # one epoch, or two when the batch straddles a boundary
            in_epoch = epochs == epoch
            out[in_epoch] = self.permutation(epoch)[positions[in_epoch] % self.num_items]
        return out

    def __repr__(self) -> str:
        return f"StepSampler(num_items={self.num_items}, batch_size={self.batch_size}, seed={self.seed})"


def data_fingerprint(images: torch.Tensor) -> str:
    """A short content hash of the training images (any shape), so a resume on other data is refused."""
    return hashlib.blake2b(images.contiguous().cpu().numpy().tobytes(), digest_size=8).hexdigest()


def random_crops_and_flips(images: torch.Tensor, size: int, generator: torch.Generator,
                           flip: bool = True) -> torch.Tensor:
    """A random ``size`` x ``size`` window of each image, each mirrored left-right with probability ½.

    Inputs: ``images`` (N, C, H, W) of any dtype (uint8 RGB in training), H, W >= size;
    ``generator`` a CPU generator (e.g. :func:`step_generator`) for every random choice, drawn
    in this order: N top offsets, N left offsets (only when the images are larger than
    ``size``), then N flip coins (only when ``flip``).
    Returns: (N, C, size, size), same dtype and device as ``images``.
    """
    height, width = images.shape[-2:]
    if height < size or width < size:
        raise ValueError(f"images of {height}x{width} px are smaller than the crop size {size}")
    x = images
    if (height, width) != (size, size):  # a random size x size crop of each image
        tops = torch.randint(0, height - size + 1, (len(x),), generator=generator).tolist()
        lefts = torch.randint(0, width - size + 1, (len(x),), generator=generator).tolist()
        x = torch.stack([img[:, t:t + size, l:l + size] for img, t, l in zip(x, tops, lefts, strict=True)])
    if flip:
        mirror = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)
        x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
    return x
