"""gancolor.data: the scene generator, photo crops, the embedded dataset and its cache, Lab pairs, folders."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gancolor.color import rgb_to_lab
from gancolor.data import (
    PHOTO_SPLITS,
    ColorizationDataset,
    LabPairs,
    build_embedded,
    lab_batch,
    load_embedded,
    load_image_folder,
    photo_crops,
    render_scene,
    sample_layout,
)
from gancolor.data import embedded as embedded_module
from gancolor.data.folder import resize_center_crop
from gancolor.data.photos import PHOTO_NAMES
from gancolor.data.scenes import Balloon, Car, SceneClass, VividColor, render_scenes
from gancolor.errors import DataError

TINY = {"train": 3, "val": 2, "test": 2}


def _lab(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> Lab (H, W, 3) float64."""
    t = torch.from_numpy(rgb).permute(2, 0, 1).double() / 255.0
    return rgb_to_lab(t).permute(1, 2, 0).numpy()


def _layout_with_balloon_and_car(seed: int = 0):
    """A sampled layout that has at least one balloon and one car."""
    for s in range(seed, seed + 200):
        layout = sample_layout(np.random.default_rng(s))
        if layout.balloons and layout.cars:
            return layout
    raise AssertionError("no layout with a balloon and a car in 200 seeds")


# --- scenes --------------------------------------------------------------------------------


def test_scenes_are_deterministic_and_seed_dependent() -> None:
    a = render_scene(sample_layout(np.random.default_rng(7)))
    b = render_scene(sample_layout(np.random.default_rng(7)))
    c = render_scene(sample_layout(np.random.default_rng(8)))
    assert a.rgb.shape == (64, 64, 3) and a.rgb.dtype == np.uint8
    assert a.ambiguous.shape == (64, 64) and a.ambiguous.dtype == bool
    np.testing.assert_array_equal(a.rgb, b.rgb)
    assert np.abs(a.rgb.astype(int) - c.rgb).mean() > 5


def test_layout_is_resolution_independent() -> None:
    layout = _layout_with_balloon_and_car()
    small, large = render_scene(layout, size=32), render_scene(layout, size=128)
    assert small.rgb.shape == (32, 32, 3) and large.rgb.shape == (128, 128, 3)
    shrunk = large.labels.reshape(32, 4, 32, 4)[:, 1, :, 1]  # every 4th pixel
    assert (shrunk == small.labels).mean() > 0.9


def test_summer_and_winter_share_the_layout_but_not_the_colours() -> None:
    layouts = [sample_layout(np.random.default_rng(seed)) for seed in range(5)]
    winters = render_scenes(layouts, season="winter")
    for summer, winter in zip(render_scenes(layouts), winters, strict=True):
        np.testing.assert_array_equal(summer.labels, winter.labels)
        np.testing.assert_array_equal(summer.ambiguous, winter.ambiguous)
        ground = summer.labels == SceneClass.GROUND
        assert ground.sum() > 100
        # Green grass in summer (a* < 0), bright snow in winter.
        assert _lab(summer.rgb)[ground, 1].mean() < -10
        assert _lab(winter.rgb)[ground, 0].mean() > 85
        assert _lab(summer.rgb)[ground, 0].mean() < 70


def test_fixed_colour_objects_have_their_colours() -> None:
    layout = sample_layout(np.random.default_rng(3))
    scene = render_scene(layout)
    lab = _lab(scene.rgb)
    sky = scene.labels == SceneClass.SKY
    assert lab[sky, 2].mean() < -15  # blue
    top, horizon = lab[:4][sky[:4]], lab[sky.any(axis=1).nonzero()[0].max()]
    assert horizon[:, 0].mean() > top[:, 0].mean()  # paler towards the horizon


def test_ambiguous_objects_are_common() -> None:
    scenes = render_scenes([sample_layout(np.random.default_rng(s)) for s in range(40)])
    with_objects = [s.ambiguous.sum() >= 8 for s in scenes]
    assert np.mean(with_objects) >= 0.8
    for s in scenes:
        expected = np.isin(s.labels, [SceneClass.BALLOON, SceneClass.CAR])
        np.testing.assert_array_equal(s.ambiguous, expected)


def test_gray_image_does_not_reveal_the_hue_of_balloons_and_cars() -> None:
    """Changing only the hues of balloons and cars changes their ab but no Lab L anywhere."""
    layout = _layout_with_balloon_and_car()

    def with_hue(hue: float):
        def recolor(obj: Balloon | Car) -> Balloon | Car:
            return dataclasses.replace(obj, color=dataclasses.replace(obj.color, hue=hue))

        return dataclasses.replace(
            layout,
            balloons=tuple(recolor(b) for b in layout.balloons),
            cars=tuple(recolor(c) for c in layout.cars),
        )

    scenes = [render_scene(with_hue(h)) for h in (10.0, 130.0, 250.0)]
    labs = [_lab(s.rgb) for s in scenes]
    mask = scenes[0].ambiguous
    assert mask.sum() > 20
    for other in labs[1:]:
        dL = np.abs(labs[0][..., 0] - other[..., 0])  # noqa: N806
        # The same gray everywhere, anti-aliased edges included, up to 8-bit rounding.
        assert dL.max() < 1.0
        d_ab = np.linalg.norm(labs[0][..., 1:] - other[..., 1:], axis=-1)
        assert d_ab[mask].mean() > 30  # while the colour is very different
    # The colours are vivid: chroma well above that of a sepia average.
    assert np.linalg.norm(labs[0][mask, 1:], axis=-1).mean() > 30


def test_vivid_lightness_does_not_depend_on_hue_across_many_scenes() -> None:
    """Over many sampled scenes, the balloon body lightness is uncorrelated with its hue."""
    hues, lightness = [], []
    layouts = [sample_layout(np.random.default_rng(s)) for s in range(40)]
    for layout, scene in zip(layouts, render_scenes(layouts), strict=True):
        for b in layout.balloons:
            # A pixel below the centre: body colour (the highlight sits up-left).
            y, x = int((b.y + 0.4 * b.ry) * 64), int(b.x * 64)
            if scene.labels[y, x] == SceneClass.BALLOON:
                hues.append(np.deg2rad(b.color.hue))
                lightness.append(_lab(scene.rgb[y : y + 1, x : x + 1])[0, 0, 0])
    hues_a, light_a = np.array(hues), np.array(lightness)
    assert len(light_a) > 30
    assert 54 < light_a.min() and light_a.max() < 66  # L drawn in [55, 65]
    for feature in (np.cos(hues_a), np.sin(hues_a)):
        assert abs(np.corrcoef(feature, light_a)[0, 1]) < 0.35


def test_bad_season_and_size() -> None:
    layout = sample_layout(np.random.default_rng(0))
    with pytest.raises(ValueError, match="season"):
        render_scene(layout, season="autumn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size"):
        render_scene(layout, size=4)


def test_balloon_colour_is_chosen_in_lab() -> None:
    layout = dataclasses.replace(
        sample_layout(np.random.default_rng(1)),
        balloons=(Balloon(0.5, 0.2, 0.1, 0.12, 0.05, VividColor(60.0, 70.0, 40.0)),),
    )
    scene = render_scene(layout, size=64)
    lab = _lab(scene.rgb)[int(0.2 * 64) + 2, 32]  # below the highlight
    assert abs(lab[0] - 60.0) < 1.0
    assert abs(np.degrees(np.arctan2(lab[2], lab[1])) - 40.0) < 3.0


# --- photos --------------------------------------------------------------------------------


def test_photo_splits_are_disjoint_by_source() -> None:
    seen = [name for names in PHOTO_SPLITS.values() for name in names]
    assert len(seen) == len(set(seen)) == len(PHOTO_NAMES)
    assert set(PHOTO_SPLITS) == {"train", "val", "test"}
    assert all(PHOTO_SPLITS[s] for s in PHOTO_SPLITS)
    assert "astronaut" in PHOTO_SPLITS["test"]
    assert "cat" not in seen  # the same picture as chelsea


def test_photo_crops_are_deterministic_colour_crops() -> None:
    crops = photo_crops("colorwheel", size=32)
    again = photo_crops("colorwheel", size=32)
    assert crops.dtype == np.uint8 and crops.shape[1:] == (32, 32, 3) and len(crops) >= 20
    np.testing.assert_array_equal(crops, again)
    flipped = photo_crops("colorwheel", size=32, flip=True)
    assert len(flipped) == 2 * len(crops)
    np.testing.assert_array_equal(flipped[1], crops[0][:, ::-1])
    # The first crop is the whole wheel shrunk: all hues, so the channels differ a lot.
    assert np.abs(crops[0].astype(int) - crops[0].mean(axis=-1, keepdims=True)).mean() > 20


# --- embedded dataset ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_build() -> dict:
    return build_embedded(16, TINY)


def test_build_embedded_shapes(tiny_build: dict) -> None:
    assert tiny_build["size"] == 16 and tiny_build["season"] == "summer"
    for split, n in TINY.items():
        scenes = tiny_build["splits"][split]["scenes"]
        photos = tiny_build["splits"][split]["photos"]
        assert scenes["images"].shape == (n, 3, 16, 16) and scenes["images"].dtype == torch.uint8
        assert scenes["ambiguous"].shape == (n, 16, 16) and scenes["ambiguous"].dtype == torch.bool
        assert scenes["origin"] == [f"scene:{i}" for i in range(n)]
        assert photos["images"].dtype == torch.uint8 and photos["images"].shape[1:] == (3, 16, 16)
        assert {o.removeprefix("photo:") for o in photos["origin"]} == set(PHOTO_SPLITS[split])
    # Disjoint seeds: scene 0 of train and of val differ.
    train0, val0 = (
        tiny_build["splits"]["train"]["scenes"]["images"][0],
        tiny_build["splits"]["val"]["scenes"]["images"][0],
    )
    assert not torch.equal(train0, val0)


def test_build_embedded_is_deterministic(tiny_build: dict) -> None:
    again = build_embedded(16, TINY)
    for split in TINY:
        for source in ("photos", "scenes"):
            a, b = tiny_build["splits"][split][source], again["splits"][split][source]
            assert torch.equal(a["images"], b["images"])
            assert a["origin"] == b["origin"]


def test_winter_twins_are_aligned(tiny_build: dict) -> None:
    winter = build_embedded(16, TINY, season="winter")
    summer_scenes = tiny_build["splits"]["val"]["scenes"]
    winter_scenes = winter["splits"]["val"]["scenes"]
    assert torch.equal(summer_scenes["ambiguous"], winter_scenes["ambiguous"])
    assert not torch.equal(summer_scenes["images"], winter_scenes["images"])
    assert torch.equal(
        tiny_build["splits"]["val"]["photos"]["images"], winter["splits"]["val"]["photos"]["images"]
    )


def test_load_embedded_caches_and_rebuilds_a_corrupt_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_build: dict
) -> None:
    monkeypatch.setenv("GANCOLOR_CACHE", str(tmp_path))
    monkeypatch.setattr(embedded_module, "DEFAULT_N_SCENES", TINY)
    builds = []
    real_build = embedded_module.build_embedded

    def counting_build(*args, **kwargs):
        builds.append(args)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(embedded_module, "build_embedded", counting_build)

    first = load_embedded("val", size=16)
    path = embedded_module.cache_path(16)
    assert path.parent == tmp_path and path.is_file() and len(builds) == 1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    n_photos = len(tiny_build["splits"]["val"]["photos"]["origin"])
    assert len(first) == n_photos + TINY["val"]
    assert first.images.shape == (len(first), 3, 16, 16) and first.ambiguous.shape == (len(first), 16, 16)
    assert not first.ambiguous[:n_photos].any()  # photos have no ambiguous pixels
    assert first.origin[0].startswith("photo:") and first.origin[-1] == f"scene:{TINY['val'] - 1}"
    assert torch.equal(first.images[n_photos:], tiny_build["splits"]["val"]["scenes"]["images"])

    scenes = load_embedded("val", "scenes", size=16)  # from the cache
    assert len(builds) == 1 and torch.equal(scenes.images, first.images[n_photos:])
    photos = load_embedded("val", "photos", size=16, season="winter")  # photos ignore the season
    assert len(builds) == 1 and len(photos) == n_photos

    path.write_bytes(b"this is not a torch file")
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = load_embedded("val", size=16)
    assert len(builds) == 2 and torch.equal(rebuilt.images, first.images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_embedded("test", size=16)  # the rebuilt cache is sound again
    assert len(builds) == 2


def test_load_embedded_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="split"):
        load_embedded("training")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="source"):
        load_embedded("train", source="movies")  # type: ignore[arg-type]


# --- Lab -----------------------------------------------------------------------------------


def test_lab_batch_known_values_and_ranges() -> None:
    colours = torch.tensor([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=torch.uint8)
    images = colours.view(3, 3, 1, 1).expand(3, 3, 2, 2).contiguous()
    L_n, ab_n = lab_batch(images)  # noqa: N806
    assert L_n.shape == (3, 1, 2, 2) and ab_n.shape == (3, 2, 2, 2)
    assert L_n.dtype == ab_n.dtype == torch.float32
    assert L_n[0].allclose(torch.tensor(1.0), atol=1e-4) and ab_n[0].abs().max() < 1e-3  # white
    assert L_n[1].allclose(torch.tensor(-1.0), atol=1e-4)  # black
    # sRGB red is Lab (53.24, 80.09, 67.20).
    assert abs(L_n[2, 0, 0, 0].item() - (53.24 / 50 - 1)) < 1e-3
    assert (
        abs(ab_n[2, 0, 0, 0].item() - 80.09 / 110) < 1e-3
        and abs(ab_n[2, 1, 0, 0].item() - 67.20 / 110) < 1e-3
    )

    random = torch.randint(
        0, 256, (4, 3, 8, 8), generator=torch.Generator().manual_seed(0), dtype=torch.uint8
    )
    L_n, ab_n = lab_batch(random)  # noqa: N806
    assert L_n.min() >= -1 and L_n.max() <= 1 and ab_n.abs().max() <= 1.2
    with pytest.raises(ValueError):
        lab_batch(random.float())


def test_lab_pairs() -> None:
    images = torch.randint(
        0, 256, (5, 3, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8
    )
    pairs = LabPairs(images)
    assert len(pairs) == 5
    L_n, ab_n = pairs[3]  # noqa: N806
    assert L_n.shape == (1, 8, 8) and ab_n.shape == (2, 8, 8)
    batch_L, batch_ab = lab_batch(images)  # noqa: N806
    assert torch.equal(L_n, batch_L[3]) and torch.equal(ab_n, batch_ab[3])


# --- folders -------------------------------------------------------------------------------


def _save(path: Path, h: int, w: int, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (w, h), colour).save(path)


def test_load_image_folder_skips_bad_files_with_one_warning_each(tmp_path: Path) -> None:
    _save(tmp_path / "a.png", 40, 30, (255, 0, 0))
    _save(tmp_path / "sub" / "b.jpg", 30, 50, (0, 0, 255))
    (tmp_path / "broken.png").write_bytes(b"")
    with pytest.warns(UserWarning) as record:
        images = load_image_folder(tmp_path, size=16)
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and str(tmp_path / "broken.png") in messages[0] and "empty" in messages[0]
    assert images.shape == (2, 3, 16, 16) and images.dtype == torch.uint8
    assert images[0, :, 8, 8].tolist() == [255, 0, 0]  # a.png, sorted first
    assert np.abs(np.array(images[1, :, 8, 8].tolist()) - [0, 0, 255]).max() < 10

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a.png comes first: broken.png is never reached
        assert len(load_image_folder(tmp_path, size=16, max_images=1)) == 1
    dataset = ColorizationDataset(tmp_path / "sub", size=16)
    L_n, ab_n = dataset[0]  # noqa: N806
    assert L_n.shape == (1, 16, 16) and ab_n.shape == (2, 16, 16)


def test_load_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty_dir"):
        (tmp_path / "empty_dir").mkdir()
        load_image_folder(tmp_path / "empty_dir")
    with pytest.raises(DataError, match="no such folder"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "only_bad").mkdir()
    (tmp_path / "only_bad" / "x.jpg").write_text("not an image")
    with pytest.warns(UserWarning), pytest.raises(DataError, match="could be read"):
        load_image_folder(tmp_path / "only_bad")


def test_resize_center_crop_keeps_the_middle() -> None:
    wide = np.zeros((10, 30, 3), dtype=np.uint8)
    wide[:, :10] = (255, 0, 0)
    wide[:, 10:20] = (0, 255, 0)
    wide[:, 20:] = (0, 0, 255)
    out = resize_center_crop(wide, 20)  # 10x30 -> 20x60, middle 20 columns are green
    assert out.shape == (20, 20, 3)
    assert np.abs(out[:, 4:16].astype(int) - [0, 255, 0]).max() < 8
