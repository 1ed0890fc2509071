"""Checks of notebook 06, CycleGAN style transfer: the cycle-consistency loss, the image pool, and (in
:mod:`gancolor.course.checks._nb06_region`) 6.3, the feathered blend of region-controlled style, and (in
:mod:`gancolor.course.checks._nb06_painting`) 6.4, the brush strokes' orientation of photo -> painting,
and (in :mod:`gancolor.course.checks._nb06_patchnce`) 6.5, CUT's PatchNCE loss.

6.1 runs the student's ``cycle_consistency_loss(G_AB, G_BA, real_a, real_b)`` with two small,
different, nonlinear generators, so that the order in which they are applied, the image each
round trip is compared with and the norm all change the value. A wrong value is matched against
the typical mistakes (L2, one direction only, the wrong image, the wrong order, the identity loss,
sum instead of mean, λ included ...), which are then named. The check then compares the gradients
of both generators with the reference's (a detached translation starves G_AB or G_BA of its
share), and ends with known values: generators that undo each other have loss 0.

6.2 drives the student's ``ImagePool`` with images it can recognise and checks the pool's
behaviour, not its random stream: while filling, ``query`` returns the new images and stores
them; once full, each image is either returned as it is (pool unchanged) or exchanged for a stored
one that goes to D (the new image takes its slot); never more than ``size`` are stored; about
half the images are exchanged, from random slots (every slot, the last one too); the same
``torch.Generator`` seed gives the same answers whatever the global random state; nothing keeps a
graph; ``size=0`` is a pass-through.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    describe,
    diagnose,
    exercise,
    expect_scalar,
    expect_shape,
    expect_tensor,
    expect_true,
    gradients,
    gradients_close,
    show_number,
    tensors_close,
)
from gancolor.course.checks._nb06_painting import (
    stroke_orientation,  # 6.4 (its own module: photo -> painting)
)
from gancolor.course.checks._nb06_patchnce import patch_nce  # 6.5 (CUT's loss, its own module)
from gancolor.course.checks._nb06_region import feathered_blend  # 6.3 (its own module: a separate topic)

__all__ = ["cycle_consistency_loss", "image_pool", "feathered_blend", "stroke_orientation", "patch_nce"]


def _scalar(value: object, what: str) -> torch.Tensor:
    """``value`` if it is a finite 0-dim tensor, else a failure that says how to get one."""
    __tracebackhide__ = True
    return expect_scalar(value, what,
                         hint="average each direction over all its elements with .mean(), then add the two")


# --------------------------------------------------------------------------------------
# 6.1 the cycle-consistency loss
# --------------------------------------------------------------------------------------

_CYCLE_HINT = ("(G_BA(G_AB(real_a)) - real_a).abs().mean() + (G_AB(G_BA(real_b)) - real_b).abs().mean(): "
               "each image goes to the other domain and back, and is compared with itself")


class _TinyGenerator(nn.Module):
    """(N, 3, H, W) -> (N, 3, H, W) in (-1, 1): a 1x1 conv and a tanh, different for every seed."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, kernel_size=1)
        with torch.no_grad():
            weights = torch.Generator().manual_seed(seed)
            self.conv.weight.copy_(torch.eye(3)[:, :, None, None] * 0.8
                                   + 0.4 * torch.randn(3, 3, 1, 1, generator=weights))
            self.conv.bias.copy_(0.2 * torch.randn(3, generator=weights))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(x))


class _Affine(nn.Module):
    """x -> scale * x + shift, for the known values."""

    def __init__(self, scale: float, shift: float) -> None:
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x + self.shift


def _l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y).abs().mean()


def _cycle_reference(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor  # noqa: N803
                     ) -> torch.Tensor:
    return _l1(G_BA(G_AB(a)), a) + _l1(G_AB(G_BA(b)), b)


def _cycle_mistakes(G: nn.Module, F: nn.Module, a: torch.Tensor, b: torch.Tensor  # noqa: N803
                    ) -> list[Mistake]:
    """The typical mistakes, G = G_AB (A -> B) and F = G_BA (B -> A), as in the paper."""

    def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (x - y).pow(2).mean()

    def ref() -> torch.Tensor:
        return _cycle_reference(G, F, a, b)

    return [
        (lambda: mse(F(G(a)), a) + mse(G(F(b)), b),
         "you used the squared error (L2); the cycle loss is the mean absolute error (L1, eq. 2 of Zhu "
         "et al.), which punishes small differences as much as large ones",
         "(reconstructed - original).abs().mean()"),
        (lambda: _l1(F(G(a)), a),
         "your loss has only the A -> B -> A cycle (F(G(a)) vs a): the B -> A -> B cycle, G(F(b)) vs b, is "
         "missing, so nothing asks G_AB to undo G_BA", _CYCLE_HINT),
        (lambda: _l1(G(F(b)), b),
         "your loss has only the B -> A -> B cycle (G(F(b)) vs b): the A -> B -> A cycle, F(G(a)) vs a, is "
         "missing, so nothing asks G_BA to undo G_AB", _CYCLE_HINT),
        (lambda: _l1(F(G(a)), G(a)) + _l1(G(F(b)), F(b)),
         "you compared the round trip F(G(a)) with the translation G(a); it must be compared with the "
         "original real_a (and G(F(b)) with real_b)", _CYCLE_HINT),
        (lambda: _l1(F(G(a)), b) + _l1(G(F(b)), a),
         "you compared each round trip with the image of the other domain: F(G(a)) is back in domain A and "
         "must equal real_a itself (and G(F(b)) must equal real_b)", _CYCLE_HINT),
        (lambda: _l1(G(a), a) + _l1(F(b), b),
         "you compared a single translation with its input (G(a) vs a): the cycle goes there AND back, "
         "F(G(a)) vs a", _CYCLE_HINT),
        (lambda: _l1(F(a), a) + _l1(G(b), b),
         "this is the identity loss (F(a) vs a, G(b) vs b), not the cycle loss: translate to the other "
         "domain first, then back", _CYCLE_HINT),
        (lambda: _l1(G(F(a)), a) + _l1(F(G(b)), b),
         "you applied the generators in the wrong order: real_a is a summer image, so it goes through "
         "G_AB (A -> B) first and then back through G_BA", _CYCLE_HINT),
        (lambda: _l1(G(G(a)), a) + _l1(F(F(b)), b),
         "you applied the same generator twice (G_AB(G_AB(a))): the way back is the other generator",
         _CYCLE_HINT),
        (lambda: (F(G(a)) - a).abs().sum() + (G(F(b)) - b).abs().sum(),
         "you summed the absolute differences over the pixels instead of taking their mean",
         "use .abs().mean() for each direction"),
        (lambda: (F(G(a)) - a).mean().abs() + (G(F(b)) - b).mean().abs(),
         "you took the absolute value of the mean difference: positive and negative errors cancel. Take "
         "the mean of the absolute differences", "(reconstructed - original).abs().mean()"),
        (lambda: ref() / 2,
         "your loss is half the expected one: add the two directions, don't average them",
         "loss_a + loss_b"),
        (lambda: 10.0 * ref(),
         "your loss is 10 times the expected one: return it without λ (the trainer multiplies it by "
         "lambda_cycle = 10)", "loss_a + loss_b, without λ"),
    ]


def _zero_grad(*modules: nn.Module) -> None:
    for module in modules:
        for p in module.parameters():
            p.grad = None


@exercise("6.1", "cycle-consistency loss", hint=_CYCLE_HINT)
def cycle_consistency_loss(student_fn: Callable[..., torch.Tensor]) -> None:
    """``student_fn(G_AB, G_BA, real_a, real_b)``: E|G_BA(G_AB(a)) - a| + E|G_AB(G_BA(b)) - b|, without λ."""
    __tracebackhide__ = True
    expect_true(callable(student_fn), "pass the function itself: checks.cycle_consistency_loss("
                "cycle_consistency_loss)", got=describe(student_fn))
    G_AB, G_BA = _TinyGenerator(seed=1), _TinyGenerator(seed=2)  # noqa: N806
    what = "cycle_consistency_loss(G_AB, G_BA, real_a, real_b)"

    # Values, on two batch shapes: matched against the typical mistakes when wrong.
    for shape in [(2, 3, 8, 8), (3, 3, 6, 10)]:
        a, b = torch.rand(shape) * 2 - 1, torch.rand(shape) * 2 - 1
        got = _scalar(student_fn(G_AB, G_BA, a.clone(), b.clone()), f"{what} for images of shape {shape}")
        with torch.no_grad():
            expected = _cycle_reference(G_AB, G_BA, a, b)
        if not tensors_close(got, expected):
            diagnose(got, expected, _cycle_mistakes(G_AB, G_BA, a, b), show=show_number)
            raise ExerciseFailed(f"{what} for images of shape {shape} is not the cycle-consistency loss",
                                 expected=show_number(expected), got=show_number(got), hint=_CYCLE_HINT)

    # Gradients: both generators learn from both cycles.
    a, b = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
    _zero_grad(G_AB, G_BA)
    loss = _scalar(student_fn(G_AB, G_BA, a.clone(), b.clone()), what)
    expect_true(loss.requires_grad,
                "your loss is not connected to the generators: no gradient can train them",
                hint="don't call .item(), .detach() or torch.no_grad() in the loss")
    loss.backward()
    got_ab, got_ba = gradients(list(G_AB.parameters())), gradients(list(G_BA.parameters()))
    _zero_grad(G_AB, G_BA)
    _cycle_reference(G_AB, G_BA, a, b).backward()
    want_ab, want_ba = gradients(list(G_AB.parameters())), gradients(list(G_BA.parameters()))
    _zero_grad(G_AB, G_BA)
    for name, got_g, want_g, first, cycle in [("G_AB", got_ab, want_ab, "G_AB(real_a)", "A -> B -> A"),
                                              ("G_BA", got_ba, want_ba, "G_BA(real_b)", "B -> A -> B")]:
        if not gradients_close(got_g, want_g):
            raise ExerciseFailed(
                f"the gradient of your loss with respect to {name}'s weights is not the expected one: in the "
                f"{cycle} cycle the gradient must flow back through both generators (was {first} detached, "
                "or computed under torch.no_grad()?)",
                hint="no .detach() in the cycle loss: the generator that translated first learns from how "
                     "well the other one can undo it")

    # Known values.
    a, b = torch.rand(2, 3, 4, 4) - 0.5, torch.rand(2, 3, 4, 4) - 0.5
    inverse = _scalar(student_fn(_Affine(2.0, 0.0), _Affine(0.5, 0.0), a.clone(), b.clone()), what)
    expect_true(abs(float(inverse)) < 1e-5, "two generators that undo each other (G_AB(x) = 2x, "
                "G_BA(y) = y / 2) should have a cycle loss of 0", expected="0", got=show_number(inverse),
                hint=_CYCLE_HINT)
    shifted = _scalar(student_fn(_Affine(1.0, 0.25), _Affine(1.0, 0.0), a.clone(), b.clone()), what)
    expect_true(abs(float(shifted) - 0.5) < 1e-5, "with G_AB(x) = x + 0.25 and G_BA(y) = y, both round trips "
                "are off by 0.25 everywhere: the loss should be 0.25 + 0.25 = 0.5", expected="0.5",
                got=show_number(shifted), hint=_CYCLE_HINT)


# --------------------------------------------------------------------------------------
# 6.2 the image pool
# --------------------------------------------------------------------------------------

_POOL_HINT = ("for each image: while len(self.images) < self.size, store it and return it; otherwise, with "
              "probability 1/2 return a random stored image and store the new one in its place, else return "
              "the new image and leave the pool alone. Draw with torch.rand(..., generator=generator) and "
              "torch.randint(..., generator=generator)")

_SHAPE = (3, 4, 4)


class _Images:
    """Recognisable fake images: image k is constant k (k = 1, 2, ...), of shape (3, 4, 4)."""

    def __init__(self) -> None:
        self.count = 0

    def batch(self, n: int) -> tuple[torch.Tensor, list[int]]:
        ids = list(range(self.count + 1, self.count + n + 1))
        self.count += n
        return torch.stack([torch.full(_SHAPE, float(k)) for k in ids]), ids


def _ident(image: object) -> int | None:
    """The k of image k (or None if ``image`` is not one of them)."""
    if not isinstance(image, torch.Tensor) or image.numel() != 3 * 4 * 4:
        return None
    flat = image.detach().reshape(-1).cpu().double()
    k = float(flat[0])
    if k != round(k) or k < 1 or not bool((flat == k).all()):
        return None
    return int(k)


def _make_pool(student_cls: type, size: int) -> object:
    __tracebackhide__ = True
    pool = student_cls(size)
    expect_true(hasattr(pool, "images"), "ImagePool has no attribute self.images",
                hint="keep the given __init__: the stored images are the list self.images")
    return pool


def _stored(pool: object) -> list[int]:
    __tracebackhide__ = True
    images = pool.images  # type: ignore[attr-defined]
    expect_true(isinstance(images, (list, tuple, torch.Tensor)),
                "self.images should be the list of stored images", got=type(images).__name__,
                hint="keep the given __init__ (self.images = []) and append to it")
    found = [_ident(image) for image in images]
    expect_true(None not in found, "self.images should hold copies of the images given to query, one "
                "(C, H, W) tensor per image", got=f"{len(found)} entries, some not one of the given images",
                hint=_POOL_HINT)
    return found  # type: ignore[return-value]


def _query(pool: object, x: torch.Tensor, generator: torch.Generator | None, what: str) -> list[int | None]:
    """Query and return the ids of the returned images, after checking the output's shape."""
    __tracebackhide__ = True
    out = pool.query(x, generator=generator)  # type: ignore[attr-defined]
    out = expect_shape(out, tuple(x.shape), what,
                       hint="return one image for each input image, stacked: torch.stack(out), (N, C, H, W)")
    return [_ident(image) for image in out]


def _swap_step(pool: object, images: _Images, generator: torch.Generator,
               size: int) -> tuple[bool, int | None]:
    """One query of one image on a full pool, checked; returns (swapped, slot of the returned image)."""
    __tracebackhide__ = True
    before = _stored(pool)
    x, (new,) = images.batch(1)
    (out,) = _query(pool, x, generator, "query(images) for 1 image on a full pool")
    after = _stored(pool)
    expect_true(len(after) <= size, f"the pool holds {len(after)} images, more than its size {size}",
                hint="once the pool is full, a new image only goes in by taking the place of the one "
                     "you return")
    if out == new:
        if after != before:
            raise ExerciseFailed(
                "query returned the new image but changed the stored ones: when the new image goes to D, "
                "the pool must stay as it is; when the new image takes a stored image's slot, return that "
                "stored image (read self.images[slot] before overwriting it)",
                expected=f"the pool unchanged: {before}", got=f"{after}", hint=_POOL_HINT)
        return False, None
    if out in before:
        slot = before.index(out)
        if new not in after:
            raise ExerciseFailed(
                "query returned a stored image but did not store the new one in its place: the history "
                "never gets newer images",
                hint="self.images[slot] = the new image, after taking out the stored one")
        if len(after) != len(before) or sorted(after) != sorted([k for k in before if k != out] + [new]):
            raise ExerciseFailed(
                "after exchanging an image the pool should hold the same images, with the new one in place "
                "of the returned one", expected=f"{before} with {out} replaced by {new}", got=f"{after}",
                hint=_POOL_HINT)
        return True, slot
    raise ExerciseFailed("query returned an image that is neither the new image nor one of the stored ones",
                         expected=f"image {new} or one of {before}", got=describe(out), hint=_POOL_HINT)


def _scenario(student_cls: type, seed: int) -> list[int | None]:
    """The ids returned by a fixed run (pool of 4, 24 single images) with a generator seeded ``seed``."""
    __tracebackhide__ = True
    pool = _make_pool(student_cls, 4)
    generator = torch.Generator().manual_seed(seed)
    images = _Images()
    returned: list[int | None] = []
    for _ in range(24):
        x, _ = images.batch(1)
        returned += _query(pool, x, generator, "query(images) for 1 image")
    return returned


@exercise("6.2", "image pool", hint=_POOL_HINT)
def image_pool(student_cls: type) -> None:
    """``student_cls(size)``: ``self.images`` (the stored images), ``query(images, generator=None)``."""
    __tracebackhide__ = True
    expect_true(isinstance(student_cls, type), "pass the class itself: checks.image_pool(ImagePool)",
                got=describe(student_cls))

    # Filling, with batches: a pool of 6 gets 4, then 4 more images.
    images, generator = _Images(), torch.Generator().manual_seed(1)
    pool = _make_pool(student_cls, 6)
    x, ids = images.batch(4)
    out = _query(pool, x, generator, "query(images) for 4 images on an empty pool of size 6")
    expect_true(out == ids,
                "while the pool is filling, query should return the new images themselves, in order",
                expected=f"images {ids}", got=f"{out} (None: not one of the given images)", hint=_POOL_HINT)
    stored = _stored(pool)
    expect_true(sorted(k for k in stored if k is not None) == ids and len(stored) == 4,
                "while the pool is filling, query should store every new image (a copy, detached)",
                expected=f"images {ids} stored", got=f"{stored}", hint=_POOL_HINT)
    x, ids = images.batch(4)
    out = _query(pool, x, generator, "query(images) for 4 more images on a pool of size 6 holding 4")
    expect_true(out[:2] == ids[:2], "the first 2 of 4 new images still fit in the pool (6 places, 4 taken): "
                "they should be stored and returned as they are", expected=f"{ids[:2]} first", got=f"{out}",
                hint="decide image by image: the pool may fill up in the middle of a batch")
    stored = _stored(pool)
    expect_true(len(stored) <= 6, f"the pool holds {len(stored)} images, more than its size 6",
                hint="store new images only while len(self.images) < self.size; after that, exchange them")
    expect_true(len(stored) == 6, "the pool of size 6 should be full after 8 images (4, then 4 more)",
                got=f"{len(stored)} stored",
                hint="decide image by image: the pool may fill up in the middle of a batch")
    for j, k in enumerate(out[2:], start=2):
        expect_true(k is not None and (k == ids[j] or k in ids[:j] or k in range(1, 5)),
                    "once the pool is full, each image returned must be the new one or one from the history",
                    got=f"{out}", hint=_POOL_HINT)

    # A full pool, one image at a time: the rule, the swap rate and the slots.
    size, n_queries = 5, 300
    images, generator = _Images(), torch.Generator().manual_seed(2)
    pool = _make_pool(student_cls, size)
    for _ in range(size):
        x, (new,) = images.batch(1)
        (out_id,) = _query(pool, x, generator, "query(images) for 1 image while filling")
        expect_true(out_id == new, "while the pool is filling, query should return the new image itself",
                    expected=f"image {new}", got=f"{out_id}", hint=_POOL_HINT)
    swaps, slots = 0, set()
    for _ in range(n_queries):
        swapped, slot = _swap_step(pool, images, generator, size)
        swaps += swapped
        slots.add(slot)
    rate = swaps / n_queries
    expect_true(swaps > 0, f"your pool never returns a stored image: in {n_queries} queries on a full pool D "
                "only ever saw the newest fakes", expected="about half of them exchanged",
                got="0 exchanged", hint="with probability 1/2: torch.rand(1, generator=generator) < 0.5")
    expect_true(swaps < n_queries,
                f"your pool returned a stored image in all {n_queries} queries on a full pool: only with "
                "probability 1/2", expected="about half", got=f"{swaps} of {n_queries}",
                hint="with probability 1/2: torch.rand(1, generator=generator) < 0.5")
    expect_true(0.35 <= rate <= 0.65,
                f"the pool exchanged {swaps} of {n_queries} images; it should exchange each with "
                "probability 1/2", expected="about 150", got=f"{swaps}",
                hint="torch.rand(1, generator=generator) < 0.5 for each image")
    used = sorted(s for s in slots if s is not None)
    expect_true(len(used) >= 3, "the exchanged images always come from the same place in the pool: "
                "pick the slot at random", expected=f"slots spread over 0..{size - 1}", got=f"slots {used}",
                hint="slot = torch.randint(0, self.size, (1,), generator=generator)")
    # At least 105 exchanges over 5 slots: a fair draw leaves a slot unused with probability < 1e-9.
    unused = [s for s in range(size) if s not in used]
    if unused:
        last = unused == [size - 1]
        problem = (f"your pool never uses its last slot ({size - 1}): in {swaps} exchanges on a pool of size "
                   f"{size} the images came only from slots {used}, so the image stored there is never shown "
                   "to D nor replaced" if last else
                   f"your pool never exchanges the images in slot(s) {unused}: every slot 0..{size - 1} "
                   "should be picked with the same probability")
        raise ExerciseFailed(problem, expected=f"slots {list(range(size))}", got=f"slots {used}",
                             hint="torch.randint(low, high, ...) draws from low to high - 1 (high is "
                                  "excluded): torch.randint(0, self.size, (1,), generator=generator) covers "
                                  "every slot")

    # Reproducible: the generator decides, not the global random state.
    runs = []
    for global_seed in (11, 12):
        random.seed(global_seed)
        np.random.seed(global_seed)
        torch.manual_seed(global_seed)
        runs.append(_scenario(student_cls, seed=123))
    expect_true(runs[0] == runs[1],
                "two runs with generators of the same seed returned different images: your pool draws from "
                "the global random state (torch.rand without generator=, or Python's random)",
                expected=f"{runs[0]} twice", got=f"{runs[1]} the second time",
                hint="pass generator=generator to every torch.rand / torch.randint")
    _make_pool(student_cls, 3).query(images.batch(4)[0])  # type: ignore[attr-defined]  # generator is optional

    # Nothing keeps the generator's graph.
    pool = _make_pool(student_cls, 2)
    fakes = images.batch(3)[0].requires_grad_(True) * 1.0  # as if straight from G
    out_tensor = pool.query(fakes, generator=torch.Generator().manual_seed(3))  # type: ignore[attr-defined]
    expect_tensor(out_tensor, "query(images)")
    kept = [image for image in pool.images if isinstance(image, torch.Tensor)]  # type: ignore[attr-defined]
    expect_true(not out_tensor.requires_grad and not any(image.requires_grad for image in kept),
                "the pool keeps the generator's graph: the images it stores and returns should be detached",
                hint="images = images.detach() at the start of query (D's step must not reach G)")

    # size = 0: no pool.
    pool = _make_pool(student_cls, 0)
    x, ids = images.batch(3)
    try:
        out = _query(pool, x, generator, "query(images) for 3 images with size=0")
    except (NotImplementedError, ExerciseFailed):
        raise
    except Exception as error:  # noqa: BLE001 -- e.g. torch.randint(0, 0): explained below
        first = (str(error).strip().splitlines() or [""])[0]
        raise ExerciseFailed(f"with size=0 (the pool switched off) your query raised {type(error).__name__}: "
                             f"{first}", hint="if self.size == 0: return images") from error
    expect_true(out == ids and len(_stored(pool)) == 0,
                "with size=0 the pool is switched off: query should return the images as they are and store "
                "nothing", expected=f"{ids}, nothing stored", got=f"{out}, {len(_stored(pool))} stored",
                hint="if self.size == 0: return images")
