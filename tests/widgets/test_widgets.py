"""The course's widgets: their logic without a browser, and their controls built headless.

(What a real browser shows is tested in tests/browser/, `make test-browser`.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gancolor.color import lab_to_rgb
from gancolor.infer.user_hints import Hint
from gancolor.losses import GAN_LOSSES
from gancolor.widgets import BeforeAfter, GANPlayground, HintApp, RealOrFake


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


# -- BeforeAfter -----------------------------------------------------------------------------

def _flat(value: int, h: int = 4, w: int = 10) -> np.ndarray:
    return np.full((h, w, 3), value, dtype=np.uint8)


def test_before_after_composite_reveals_after_from_the_left() -> None:
    view = BeforeAfter(_flat(10), _flat(200), labels=("gray", "colorized"))
    assert view.position == 0.5 and view.cut() == 5
    half = view.composite()
    assert (half[:, :5] == 200).all() and (half[:, 5:] == 10).all()
    assert (view.composite(0.0) == 10).all() and (view.composite(1.0) == 200).all()
    assert view.cut(0.26) == 3 and (view.composite(0.26)[:, :3] == 200).all()
    with_line = view.composite(0.5, divider=True)
    assert (with_line[:, 5] == 255).all() and (with_line[:, 4] == 200).all()
    assert (view.composite(1.0, divider=True) == 200).all()  # no line at the edges
    view.position = 0.0
    assert view.cut() == 0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        view.position = 1.5
    with pytest.raises(ValueError, match="same size"):
        BeforeAfter(_flat(0), _flat(0, w=11))


def test_before_after_accepts_gray_float_and_tensor_images() -> None:
    gray = np.full((4, 6), 0.5)  # (H, W) float
    tensor = torch.full((3, 4, 6), 255, dtype=torch.uint8)  # (3, H, W)
    view = BeforeAfter(gray, tensor, position=1.0)
    assert view.before.shape == (4, 6, 3) and view.before.dtype == np.uint8 and view.before[0, 0, 0] == 128
    assert (view.composite() == 255).all()
    with pytest.raises(TypeError, match="uint8 or float"):
        BeforeAfter(np.zeros((4, 6), dtype=np.int32), gray)


def test_before_after_slider_updates_the_image() -> None:
    pytest.importorskip("ipywidgets")
    view = BeforeAfter(_flat(10), _flat(200), position=0.0, zoom=2)
    box = view.widget()
    image, slider, caption = box.children
    first = image.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and "colorized" in caption.value
    slider.value = 0.7
    assert view.position == 0.7 and image.value != first
    view.position = 0.2  # set in code: the slider follows
    assert slider.value == 0.2
    assert repr(view).startswith("BeforeAfter(10x4")


# -- HintApp ---------------------------------------------------------------------------------

def _ab_rgb(ab) -> tuple[int, int, int]:
    """The sRGB colour of CIE (L = 60, a, b), as a fake colorizer paints a hint."""
    lab = torch.tensor([60.0, *ab], dtype=torch.float64).view(3, 1, 1)
    return tuple(int(v) for v in lab_to_rgb(lab).mul(255).round().view(3).tolist())


class FakeColorizer:
    """Paints each hint's square with its ab at L = 60 (:func:`_ab_rgb`); records every call."""

    def __init__(self) -> None:
        self.calls: list = []

    def colorize_image(self, image: np.ndarray, hints=None) -> np.ndarray:
        self.calls.append(hints)
        out = image.copy()
        for h in hints or []:
            half, x, y = int(h.size) // 2, int(h.x), int(h.y)
            out[max(y - half, 0):y + half + 1, max(x - half, 0):x + half + 1] = _ab_rgb(h.ab)
        return out


def _photo(h: int = 40, w: int = 60) -> np.ndarray:
    ramp = np.linspace(0, 255, w, dtype=np.float32)[None, :].repeat(h, 0)
    return np.stack([ramp, ramp[::-1], np.full_like(ramp, 90)], axis=2).astype(np.uint8)


def test_hint_app_places_hints_and_recolorizes() -> None:
    fake = FakeColorizer()
    app = HintApp(fake, _photo(), color="#ff0000", hint_size=3)
    assert fake.calls == [None] and app.hints == []  # no hints: automatic colorization
    assert np.array_equal(app.result, _photo()) and app.latency >= 0
    changes = []
    app.on_change(lambda a: changes.append(len(a.hints)))

    hint = app.add_hint(10, 20)
    assert hint == Hint.from_rgb(10, 20, "#ff0000", size=3)  # what the colorizer is given
    red, blue = _ab_rgb(hint.ab), _ab_rgb(Hint.from_rgb(0, 0, (0, 0, 255)).ab)
    assert tuple(app.result[20, 10]) == red and tuple(app.result[20, 12]) != red
    app.set_color((0, 0, 255))
    app.add_hint(50, 5, size=1)
    assert tuple(app.result[5, 50]) == blue and tuple(app.result[20, 10]) == red
    assert len(fake.calls) == 3 and len(fake.calls[-1]) == 2 and changes == [1, 2]
    assert app.hint_colors == [(255, 0, 0), (0, 0, 255)]
    assert app.describe() == "2 hints: (10, 20) #ff0000, (50, 5) #0000ff"

    assert app.undo().x == 50 and len(app.hints) == 1 and app.hint_colors == [(255, 0, 0)]
    assert tuple(app.result[5, 50]) != blue and tuple(app.result[20, 10]) == red
    app.clear()
    assert app.hints == [] and app.hint_colors == [] and np.array_equal(app.result, _photo())
    assert changes == [1, 2, 1, 0] and fake.calls[-1] is None
    calls = len(fake.calls)
    assert app.undo() is None
    app.clear()
    assert len(fake.calls) == calls  # nothing to undo or clear: no recolorization
    assert app.describe().startswith("no hints")
    with pytest.raises(ValueError, match="outside"):
        app.add_hint(60, 0)
    with pytest.raises(ValueError, match="colour"):
        app.set_color("#12345")


def test_hint_app_maps_click_positions_to_image_pixels() -> None:
    app = HintApp(FakeColorizer(), _photo(40, 60), display_width=300)  # PNG sent 5x enlarged
    assert app._png_zoom() == 5
    # ipyevents' dataX/dataY: the position in the PNG's own pixels
    assert app.to_pixel({"dataX": 52, "dataY": 101}) == (10, 20)
    assert app.to_pixel({"dataX": 300, "dataY": 200}) == (59, 39)  # rounded up to the edge
    # else the position in the element, scaled by the size it is drawn at (here 2x the image)
    assert app.to_pixel({"relativeX": 21, "relativeY": 41, "boundingRectWidth": 120,
                         "boundingRectHeight": 80}) == (10, 20)
    assert app.to_pixel({"offsetX": 119, "offsetY": 0, "boundingRectWidth": 120,
                         "boundingRectHeight": 80}) == (59, 0)
    assert app.to_pixel({"offsetX": 130, "offsetY": 5, "boundingRectWidth": 120,
                         "boundingRectHeight": 80}) is None
    assert app.to_pixel({"type": "click"}) is None
    hint = app.click({"dataX": 152, "dataY": 52})
    assert (hint.x, hint.y) == (30, 10) and app.hints == [hint]
    assert app.click({"offsetX": -1, "offsetY": 5, "boundingRectWidth": 60, "boundingRectHeight": 40}) is None
    assert len(app.hints) == 1


def test_hint_app_shrinks_large_photos_and_marks_hints() -> None:
    app = HintApp(FakeColorizer(), _photo(300, 600), max_size=120, hint_size=5)
    assert app.image.shape == (60, 120, 3) and app.result.shape == (60, 120, 3)
    assert (app.gray[..., 0] == app.gray[..., 2]).all()
    app.set_color("#27ae60")
    app.add_hint(0, 30)  # at the edge: the marker is clipped, not wrapped
    marked = app.marked()
    assert tuple(marked[30, 0]) == (0x27, 0xAE, 0x60) and tuple(marked[30, 5]) == tuple(app.gray[30, 5])
    assert tuple(marked[30, 3]) == (255, 255, 255)  # the frame of a dark colour is white


def test_hint_app_checks_what_the_colorizer_returns() -> None:
    class Bad:
        def colorize_image(self, image, hints=None):
            return image[:10]

    with pytest.raises(ValueError, match="returned shape"):
        HintApp(Bad(), _photo())


def test_hint_app_widget_clicks_buttons_and_colours() -> None:
    pytest.importorskip("ipywidgets")
    app = HintApp(FakeColorizer(), _photo(), display_width=120)
    box = app.widget()
    assert app.widget() is box
    ui = app._ui
    assert ui["photo"].value[:8] == b"\x89PNG\r\n\x1a\n" and ui["undo"].disabled
    assert ui["status"].value.startswith("60x40 px, 0 hints")
    before = ui["output"].value
    app._on_click({"type": "click", "dataX": 40, "dataY": 40})  # what ipyevents sends, PNG 2x
    assert (app.hints[-1].x, app.hints[-1].y) == (20, 20) and ui["output"].value != before
    assert ui["hints"].value == app.describe() and not ui["undo"].disabled

    ui["swatches"][3].click()  # palette: green
    assert app.color == (0x27, 0xAE, 0x60) and ui["picker"].value == "#27ae60"
    ui["picker"].value = "#123456"
    assert app.color == (0x12, 0x34, 0x56)
    ui["size"].value = 9
    app._on_click({"relativeX": 10, "relativeY": 10, "boundingRectWidth": 120, "boundingRectHeight": 80})
    assert app.hints[-1].size == 9 and app.hint_colors[-1] == (0x12, 0x34, 0x56)
    ui["undo"].click()
    assert len(app.hints) == 1
    ui["clear"].click()
    assert app.hints == [] and ui["output"].value == before and ui["clear"].disabled
    if pytest.importorskip("ipyevents"):
        assert [e.watched_events for e in ui["events"]] == [["click"], ["click"]]
        assert {e.source for e in ui["events"]} == {ui["photo"], ui["output"]}


def test_hint_app_with_a_real_colorizer_without_hint_inputs() -> None:
    """The shipped automatic colorizer colorizes; a hint is refused and the app stays as it was."""
    from gancolor.errors import UserError
    from gancolor.infer.colorizer import load_colorizer

    colorizer = load_colorizer()
    photo = _photo(32, 48)
    app = HintApp(colorizer, photo)
    assert app.result.shape == photo.shape and not np.array_equal(app.result, photo)
    result = app.result.copy()
    with pytest.raises(UserError, match="no colour hints"):
        app.add_hint(3, 4)
    assert app.hints == [] and app.hint_colors == [] and np.array_equal(app.result, result)


def test_hint_app_shows_colorizer_errors_in_the_app() -> None:
    pytest.importorskip("ipywidgets")

    class Fails(FakeColorizer):
        def colorize_image(self, image, hints=None):
            if hints:
                raise RuntimeError("no hint model")
            return image

    app = HintApp(Fails(), _photo())
    app.widget()
    with pytest.raises(RuntimeError):
        app._on_click({"dataX": 1, "dataY": 1})
    assert app._ui["status"].value == "error: RuntimeError: no hint model" and app.hints == []


# -- GANPlayground ---------------------------------------------------------------------------

def test_playground_run_is_deterministic_and_the_losses_differ() -> None:
    playground = GANPlayground(steps=40, live_every=20)
    steps_seen = []
    first = playground.run(callback=lambda step, G, z: steps_seen.append((step, tuple(G(z).shape))))
    again = playground.run()
    assert steps_seen == [(20, (1000, 2)), (40, (1000, 2))]
    assert first.fake.shape == (1000, 2) and first.real.shape == (1000, 2)
    assert torch.equal(first.fake, again.fake) and first.history == again.history
    assert len(first.history["loss_d"]) == 40

    other_seed = playground.run(seed=1)
    assert not torch.equal(other_seed.fake, first.fake)
    histories = {kind: playground.run(kind=kind, seed=0).history["loss_g"] for kind in GAN_LOSSES}
    assert all(math.isfinite(v) for h in histories.values() for v in h)
    assert len({tuple(h) for h in histories.values()}) == len(GAN_LOSSES)
    # minimax and non-saturating share D's loss and its first step, but not G's loss
    assert histories["minimax"][0] < 0 < histories["nonsaturating"][0]
    assert [s["kind"] for s, _ in playground.runs[-5:]] == list(GAN_LOSSES)
    assert playground.runs[2][0] == {"kind": "nonsaturating", "lr": 2e-4, "steps": 40, "seed": 1}
    assert "modes covered" in GANPlayground.summary(*playground.runs[0])
    with pytest.raises(ValueError, match="kind must be one of"):
        playground.run(kind="l2")
    with pytest.raises(ValueError, match="unknown GAN loss"):
        GANPlayground(kinds=("minimax", "l2"))


def test_playground_train_button_plots_while_training() -> None:
    pytest.importorskip("ipywidgets")
    pytest.importorskip("matplotlib")
    playground = GANPlayground(steps=20, live_every=10, kinds=("minimax", "lsgan"), kind="minimax")
    box = playground.widget()
    ui = playground._ui
    shown = []
    ui["plot"].observe(lambda change: shown.append(change["new"][:8]), names="value")
    ui["kind"].value = "lsgan"
    ui["lr"].value = 1e-3
    ui["train"].click()
    assert shown == [b"\x89PNG\r\n\x1a\n"] * 3  # two live pictures, then the final one
    assert playground.runs[-1][0] == {"kind": "lsgan", "lr": pytest.approx(1e-3), "steps": 20, "seed": 0}
    assert ui["status"].value.startswith("lsgan, lr 1e-03, 20 steps:") and not ui["train"].disabled
    assert box.children[2] is ui["plot"]
