"""The checks of notebook 06 (CycleGAN) both ways: they pass on the reference, let the student's stub
raise NotImplementedError, and fail on typical mistakes with a message that names the mistake."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from exercise_asserts import fails, passes
from torch import nn

from gancolor.course import checks
from gancolor.losses import cycle_loss
from gancolor.train.image_pool import ImagePool as PackagePool


def stub(*args: object, **kwargs: object) -> None:
    raise NotImplementedError("Exercise 6.x: not done yet")


# --------------------------------------------------------------------------------------
# 6.1 cycle-consistency loss
# --------------------------------------------------------------------------------------


def cycle(norm: str = "l1", directions: str = "both", target: str = "original", order: str = "right",
          reduce: str = "mean", scale: float = 1.0, detach: str = "") -> Callable:
    """A student-style cycle_consistency_loss with switchable mistakes."""

    def cycle_consistency_loss(G_AB: nn.Module, G_BA: nn.Module, real_a: torch.Tensor,  # noqa: N803
                               real_b: torch.Tensor) -> torch.Tensor:
        fake_b, fake_a = G_AB(real_a), G_BA(real_b)
        if detach == "a":
            fake_b = fake_b.detach()
        if detach == "b":
            fake_a = fake_a.detach()
        if order == "right":
            rec_a, rec_b = G_BA(fake_b), G_AB(fake_a)
        elif order == "same":
            rec_a, rec_b = G_AB(fake_b), G_BA(fake_a)
        else:  # reversed: a through G_BA first
            rec_a, rec_b = G_AB(G_BA(real_a)), G_BA(G_AB(real_b))
        goals = {"original": (real_a, real_b), "fake": (fake_b, fake_a), "other": (real_b, real_a)}
        goal_a, goal_b = goals[target]

        def dist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            if norm == "l2":
                return F.mse_loss(x, y)
            if reduce == "sum":
                return (x - y).abs().sum()
            if reduce == "abs_of_mean":
                return (x - y).mean().abs()
            return (x - y).abs().mean()

        loss_a, loss_b = dist(rec_a, goal_a), dist(rec_b, goal_b)
        totals = {"both": loss_a + loss_b, "a": loss_a, "b": loss_b, "average": (loss_a + loss_b) / 2}
        total = totals[directions]
        return scale * total

    return cycle_consistency_loss


def package_cycle(G_AB: nn.Module, G_BA: nn.Module, real_a: torch.Tensor,  # noqa: N803
                  real_b: torch.Tensor) -> torch.Tensor:
    return cycle_loss(G_BA(G_AB(real_a)), real_a) + cycle_loss(G_AB(G_BA(real_b)), real_b)


def test_cycle_loss_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.cycle_consistency_loss, cycle(), capsys)
    passes(checks.cycle_consistency_loss, package_cycle, capsys)
    passes(checks.cycle_consistency_loss,  # F.l1_loss is the same mean absolute error
           lambda G_AB, G_BA, a, b: F.l1_loss(G_BA(G_AB(a)), a) + F.l1_loss(G_AB(G_BA(b)), b), capsys)


def test_cycle_loss_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 6.x"):
        checks.cycle_consistency_loss(stub)


@pytest.mark.parametrize(("student", "needles"), [
    (cycle(norm="l2"), ["squared error (L2)"]),
    (cycle(directions="a"), ["only the A -> B -> A cycle", "B -> A -> B cycle, G(F(b)) vs b, is missing"]),
    (cycle(directions="b"), ["only the B -> A -> B cycle"]),
    (cycle(target="fake"), ["with the translation G(a)", "original real_a"]),
    (cycle(target="other"), ["with the image of the other domain"]),
    (cycle(order="reversed"), ["wrong order", "G_AB (A -> B) first"]),
    (cycle(order="same"), ["same generator twice"]),
    (cycle(reduce="sum"), ["summed the absolute differences"]),
    (cycle(reduce="abs_of_mean"), ["absolute value of the mean difference"]),
    (cycle(directions="average"), ["half the expected", "don't average"]),
    (cycle(scale=10.0), ["10 times", "without λ"]),
    (cycle(detach="a"), ["G_AB's weights", "detached"]),
    (cycle(detach="b"), ["G_BA's weights", "detached"]),
])
def test_cycle_loss_names_the_mistake(student: Callable, needles: list[str]) -> None:
    fails(checks.cycle_consistency_loss, student, *needles)


def test_cycle_loss_names_more_mistakes() -> None:
    def single_translation(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor  # noqa: N803
                           ) -> torch.Tensor:
        return (G_AB(a) - a).abs().mean() + (G_BA(b) - b).abs().mean()

    fails(checks.cycle_consistency_loss, single_translation, "single translation")

    def identity(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # noqa: N803
        return (G_BA(a) - a).abs().mean() + (G_AB(b) - b).abs().mean()

    fails(checks.cycle_consistency_loss, identity, "identity loss")

    def as_number(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor) -> float:  # noqa: N803
        return package_cycle(G_AB, G_BA, a, b).item()

    fails(checks.cycle_consistency_loss, as_number, "should be a torch.Tensor")

    def per_image(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # noqa: N803
        return (G_BA(G_AB(a)) - a).abs().mean(dim=(1, 2, 3)) + (G_AB(G_BA(b)) - b).abs().mean(dim=(1, 2, 3))

    fails(checks.cycle_consistency_loss, per_image, "single number")

    def no_grad(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # noqa: N803
        with torch.no_grad():
            return package_cycle(G_AB, G_BA, a, b)

    fails(checks.cycle_consistency_loss, no_grad, "not connected to the generators")

    def crashes(G_AB: nn.Module, G_BA: nn.Module, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:  # noqa: N803
        return (G_BA(G_AB(a)) - a.flatten()).abs().mean()

    fails(checks.cycle_consistency_loss, crashes, "your code raised RuntimeError")


# --------------------------------------------------------------------------------------
# 6.2 image pool: the notebook's class, with switchable mistakes
# --------------------------------------------------------------------------------------


class ImagePool:
    """The notebook's ``__init__`` and reference ``query`` (one draw per decision, image by image)."""

    def __init__(self, size: int = 50) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(1, generator=generator).item() < 0.5:
                slot = int(torch.randint(0, self.size, (1,), generator=generator))
                out.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)


def pool_with(query: Callable) -> type:
    return type("StudentPool", (ImagePool,), {"query": query})


def make_query(fill_return: str = "new", store_when_filling: bool = True, cap: bool = True, p: float = 0.5,
               store_new: bool = True, return_after_store: bool = False, slot: str = "random",
               rng: str = "generator", detach: bool = True, size_zero: bool = True,
               whole_batch: bool = False) -> Callable:
    """A student-style query with switchable mistakes."""

    def query(self: ImagePool, images: torch.Tensor,
              generator: torch.Generator | None = None) -> torch.Tensor:
        if detach:
            images = images.detach()
        if self.size == 0 and size_zero:
            return images
        if whole_batch:  # decides for the whole batch at once: a batch that does not fit is not stored
            if len(self.images) + len(images) <= self.size:
                self.images += [image.clone() for image in images]
            return images
        out = []
        for image in images:
            if len(self.images) < self.size or not cap:
                if store_when_filling:
                    self.images.append(image.clone())
                out.append(image if fill_return == "new" or not self.images else self.images[0])
                continue
            coin = random.random() if rng == "python" else float(torch.rand(1, generator=generator))
            if coin < p:
                if slot == "random":
                    k = int(torch.randint(0, self.size, (1,), generator=generator))
                elif slot == "off_by_one":  # randint's upper bound is excluded: the last slot is never drawn
                    k = int(torch.randint(0, self.size - 1, (1,), generator=generator))
                elif slot == "from_one":  # slots 1 .. size - 1: slot 0 is never drawn
                    k = int(torch.randint(1, self.size, (1,), generator=generator))
                else:
                    k = 0
                if not self.images:
                    out.append(image)
                    continue
                if return_after_store:  # the classic bug: overwrite first, then read the slot
                    self.images[k] = image.clone()
                    out.append(self.images[k])
                else:
                    out.append(self.images[k])
                    if store_new:
                        self.images[k] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    return query


class PackageAdapter(PackagePool):
    """The package's pool, whose draws are batched differently: the behaviour is the same."""


def test_image_pool_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.image_pool, ImagePool, capsys)
    passes(checks.image_pool, PackageAdapter, capsys)


def test_image_pool_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 6.x"):
        checks.image_pool(pool_with(stub))


@pytest.mark.parametrize(("query", "needles"), [
    (make_query(fill_return="stored"), ["return the new images themselves"]),
    (make_query(store_when_filling=False), ["store every new image"]),
    (make_query(cap=False), ["more than its size"]),
    (make_query(p=0.0), ["never returns a stored image"]),
    (make_query(p=1.0), ["returned a stored image in all 300"]),
    (make_query(p=0.1), ["with probability 1/2"]),
    (make_query(store_new=False), ["did not store the new one in its place"]),
    (make_query(return_after_store=True), ["returned the new image but changed the stored ones",
                                           "before overwriting it"]),
    (make_query(slot="first"), ["always come from the same place", "pick the slot at random"]),
    (make_query(slot="off_by_one"), ["never uses its last slot (4)", "slots [0, 1, 2, 3]", "high is"]),
    (make_query(slot="from_one"), ["never exchanges the images in slot(s) [0]"]),
    (make_query(rng="python"), ["global random state"]),
    (make_query(detach=False), ["keeps the generator's graph", "detach"]),
    (make_query(size_zero=False), ["size=0"]),
    (make_query(whole_batch=True), ["should be full after 8 images", "image by image"]),
])
def test_image_pool_names_the_mistake(query: Callable, needles: list[str]) -> None:
    fails(checks.image_pool, pool_with(query), *needles)


def test_image_pool_wants_the_class_and_a_stacked_tensor() -> None:
    fails(checks.image_pool, ImagePool(3), "pass the class itself")

    def as_list(self: ImagePool, images: torch.Tensor, generator: torch.Generator | None = None) -> list:
        return list(ImagePool.query(self, images, generator))

    fails(checks.image_pool, pool_with(as_list), "should be a torch.Tensor", "torch.stack")

    def torch_global(self: ImagePool, images: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
        return ImagePool.query(self, images, None)  # ignores the generator: torch's global state

    fails(checks.image_pool, pool_with(torch_global), "global random state")


def test_checks_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(123)
    random.seed(5)
    expected = (torch.rand(3), random.random())
    torch.manual_seed(123)
    random.seed(5)
    checks.cycle_consistency_loss(cycle())
    checks.image_pool(ImagePool)
    assert torch.equal(torch.rand(3), expected[0])
    assert random.random() == expected[1]


def test_image_pool_accepts_an_inclusive_draw_of_every_slot(capsys: pytest.CaptureFixture[str]) -> None:
    # The same rule with the slot drawn differently (floor of a uniform), every slot reachable.
    def floor_slot(self: ImagePool, images: torch.Tensor, generator: torch.Generator | None = None
                   ) -> torch.Tensor:
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif float(torch.rand(1, generator=generator)) < 0.5:
                slot = min(int(float(torch.rand(1, generator=generator)) * self.size), self.size - 1)
                out.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    passes(checks.image_pool, pool_with(floor_slot), capsys)
