"""The blind real-or-fake widget: its game logic without a browser, and its buttons."""

from __future__ import annotations

import math

import pytest
import torch

from gancolor.widgets import RealOrFake


def _images(n: int, value: int, size: int = 8) -> torch.Tensor:
    """n uint8 images (n, 3, size, size); image i is filled with value + i, so each is recognisable."""
    return (torch.arange(n, dtype=torch.uint8) + value).view(n, 1, 1, 1).expand(n, 3, size, size).clone()


def _truth(game: RealOrFake) -> list[bool]:
    """Whether each image of the game is real, read from its pixels (real: 0, 1 ...; fake: 100, 101 ...)."""
    return [bool(image[0, 0, 0] < 100) for image in game._images]


def test_every_image_is_shown_once_in_a_seeded_order() -> None:
    real, fake = _images(4, 0), _images(3, 100)
    game = RealOrFake(real, fake, seed=3)
    seen = []
    while not game.done:
        seen.append(int(game.current[0, 0, 0]))
        game.answer("real")
    assert sorted(seen) == [0, 1, 2, 3, 100, 101, 102]
    assert game.current is None and game.n_questions == 7

    again = RealOrFake(real, fake, seed=3)
    other = RealOrFake(real, fake, seed=4)
    assert torch.equal(again._images, game._images)
    assert not torch.equal(other._images, game._images)


def test_fool_rate_is_the_fraction_of_colorized_images_judged_real() -> None:
    game = RealOrFake(_images(3, 0), _images(4, 100), seed=0)
    assert math.isnan(game.fool_rate) and math.isnan(game.accuracy)
    truth = _truth(game)
    # Call every real image real, and the first two colorized images real too (fooled), the rest colorized.
    fooled = 0
    for is_real in truth:
        if is_real:
            assert game.answer("real") is True
        elif fooled < 2:
            fooled += 1
            assert game.answer("real") is False
        else:
            assert game.answer("colorized") is True
    assert game.done
    assert game.fool_rate == pytest.approx(2 / 4)
    assert game.accuracy == pytest.approx(5 / 7)
    assert game.summary() == ("done: 2 of 4 colorized images judged real (fool rate 50%); "
                              "5 of 7 answers right")


def test_fool_rate_counts_only_the_colorized_images_answered_so_far() -> None:
    game = RealOrFake(_images(2, 0), _images(2, 100), seed=1)
    truth = _truth(game)
    first_fake = truth.index(False)
    for _ in range(first_fake):
        game.answer("colorized")
    assert math.isnan(game.fool_rate)
    game.answer("real")
    assert game.fool_rate == 1.0
    assert not game.done and game.summary().startswith(f"image {first_fake + 2} of 4")


def test_play_answers_with_a_judge_and_a_perfect_judge_is_never_fooled() -> None:
    game = RealOrFake(_images(5, 0), _images(5, 100), seed=0)
    game.play(lambda image: "real" if image[0, 0, 0] < 100 else "colorized")
    assert game.done and game.fool_rate == 0.0 and game.accuracy == 1.0
    always_real = RealOrFake(_images(5, 0), _images(5, 100), seed=0).play(lambda image: "real")
    assert always_real.fool_rate == 1.0 and always_real.accuracy == 0.5


def test_bad_answers_and_answers_after_the_end_are_refused() -> None:
    game = RealOrFake(_images(1, 0), _images(1, 100))
    with pytest.raises(ValueError, match="real"):
        game.answer("fake")
    game.answer("real")
    game.answer("real")
    with pytest.raises(RuntimeError, match="judged already"):
        game.answer("real")


def test_inputs_are_checked_and_float_images_accepted() -> None:
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        RealOrFake(torch.zeros(2, 8, 8), torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="same size"):
        RealOrFake(torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 9))
    with pytest.raises(TypeError, match="uint8 or float"):
        RealOrFake(torch.zeros(2, 3, 8, 8, dtype=torch.int64), torch.zeros(2, 3, 8, 8))
    game = RealOrFake(torch.full((1, 3, 4, 4), 0.5), torch.ones(1, 3, 4, 4, dtype=torch.float64))
    assert game.current.dtype == torch.uint8 and {int(game._images[i].max()) for i in range(2)} == {128, 255}


def test_the_app_buttons_answer_and_the_app_follows_answers_made_in_code() -> None:
    pytest.importorskip("ipywidgets")
    game = RealOrFake(_images(2, 0), _images(2, 100), seed=0, zoom=3)
    box = game.widget()
    assert game.widget() is box  # built once
    image, row, status = box.children
    real_button, colorized_button = row.children
    assert (real_button.description, colorized_button.description) == ("real", "colorized")
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert status.value == "image 1 of 4: real photo or colorized?"

    first = image.value
    real_button.click()
    assert game.answers[0][1] is True and status.value.startswith("image 2 of 4")
    assert image.value != first  # the next image is shown
    colorized_button.click()
    assert game.answers[1][1] is False
    game.play(lambda _: "real")
    assert real_button.disabled and colorized_button.disabled
    assert status.value == game.summary() and status.value.startswith("done:")
    assert repr(game) == "RealOrFake(4 images, 4 judged)"
