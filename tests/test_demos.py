"""decondl.demos: states precomputed for the page equal direct calls; bad grids are refused."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from decondl import demos


def square(gain, shape="square"):
    """A pure function of two parameters: a picture and a number."""
    image = np.full((8, 12), gain)
    if shape == "band":
        image[2:4] = 1 - gain
    return image, {"mean": float(image.mean()), "shape": shape}


GRID = {"gain": [0.0, 0.25, 0.5, 1.0], "shape": ["square", "band"]}
DEFAULT = {"gain": 0.5, "shape": "square"}


@pytest.fixture(scope="module")
def demo():
    return demos.precompute(
        square,
        GRID,
        DEFAULT,
        alt="A grey rectangle",
        labels={"gain": "grey level"},
        units={"gain": "a.u."},
    )


def page_data(demo) -> dict:
    text = demo._repr_html_()
    found = re.search(
        r'<script type="application/json" class="decondl-demo-data">(.*?)</script>', text, re.S
    )
    return json.loads(found.group(1))


def decode(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_every_state_matches_a_direct_call(demo):
    assert len(demo.states) == 8
    for gain in GRID["gain"]:
        for shape in GRID["shape"]:
            picture, values = square(gain, shape)
            np.testing.assert_array_equal(
                demo.picture(gain=gain, shape=shape), demos.render(picture)
            )
            assert demo.numbers(gain=gain, shape=shape) == {
                "mean": f"{values['mean']:.4g}",
                "shape": shape,
            }


def test_the_page_holds_the_same_pictures_lossless(demo):
    data = page_data(demo)
    assert demo.quality is None  # tiny: lossless WebP
    for key, (index, values, alt) in data["states"].items():
        i, j = map(int, key.split(","))
        gain, shape = GRID["gain"][i], GRID["shape"][j]
        np.testing.assert_array_equal(
            decode(data["images"][index]), demo.picture(gain=gain, shape=shape)
        )
        assert values == list(demo.numbers(gain=gain, shape=shape).values())
        assert alt.startswith("A grey rectangle (grey level ")


def test_the_default_is_the_first_view(demo):
    data = page_data(demo)
    assert [p["default"] for p in data["parameters"]] == [2, 0]
    text = demo._repr_html_()
    first = re.search(r'<img class="decondl-demo-image" src="([^"]+)"', text).group(1)
    np.testing.assert_array_equal(decode(first), demos.render(square(0.5)[0]))
    png = Image.open(io.BytesIO(demo._repr_png_()))
    np.testing.assert_array_equal(np.asarray(png.convert("RGB")), demos.render(square(0.5)[0]))


def test_controls_are_named_and_announce_their_value(demo):
    text = demo._repr_html_()
    assert 'aria-valuetext="0.5 a.u."' in text and '<label for="' in text
    assert re.search(r'<select id="[^"]+" data-decondl-param="1">', text)
    assert "Precomputed when the page was built" in text
    assert "hidden" in text  # the controls wait for the script; without it the picture stays


def test_identical_pictures_are_stored_once():
    demo = demos.precompute(
        lambda n: (np.zeros((4, 4)), {"n": n}), {"n": [1, 2, 3]}, {"n": 1}, alt="Black"
    )
    assert len(demo.pictures) == 1 and len(demo.states) == 3
    assert demo.numbers(n=3) == {"n": "3"}


def test_axes_mode_varies_one_parameter_at_a_time():
    calls = []

    def record(a, b, c):
        calls.append((a, b, c))
        return np.full((2, 2), (a + b + c) / 30)

    grid = {"a": [0, 1, 2], "b": [0, 5, 9], "c": [3, 4]}
    demo = demos.precompute(record, grid, {"a": 1, "b": 5, "c": 3}, alt="Grey", mode="axes")
    assert len(calls) == len(demo.states) == 1 + 2 + 2 + 1
    assert all(sum(x != d for x, d in zip(key, (1, 5, 3), strict=True)) <= 1 for key in demo.states)
    assert page_data(demo)["mode"] == "axes"
    with pytest.raises(KeyError, match="not precomputed"):
        demo.picture(a=0, b=0)


def test_figures_are_drawn_at_the_screen_width():
    def draw(k):
        fig = Figure(figsize=(4, 2))
        fig.add_subplot().plot([0, k])
        return fig

    demo = demos.precompute(draw, {"k": [1, 2]}, {"k": 1}, alt="A line", width_px=300)
    assert demo.picture(k=2).shape == (150, 300, 3)
    assert not np.array_equal(demo.picture(k=1), demo.picture(k=2))


def test_a_list_of_pictures_is_drawn_one_above_the_other():
    stacked = demos.render([np.zeros((2, 3)), np.ones((4, 5))])
    assert stacked.shape == (6, 5, 3)
    assert stacked[:2, :3].max() == 0 and stacked[:2, 3:].min() == 255  # white padding
    assert stacked[2:].min() == 255


def test_too_heavy_pictures_go_lossy_then_are_refused():
    rng = np.random.default_rng(0)
    stored = {k: rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for k in range(3)}

    def noise(k):
        return stored[k]

    lossless = demos.precompute(noise, {"k": [0, 1, 2]}, {"k": 0}, alt="Noise")
    budget = lossless.nbytes * 2 // 3
    lossy = demos.precompute(noise, {"k": [0, 1, 2]}, {"k": 0}, alt="Noise", max_bytes=budget)
    assert lossy.quality in demos.QUALITIES and lossy.nbytes <= budget
    with pytest.raises(ValueError, match="over the budget"):
        demos.precompute(noise, {"k": [0, 1, 2]}, {"k": 0}, alt="Noise", max_bytes=1000)


@pytest.mark.parametrize(
    ("function", "grid", "default", "error", "match"),
    [
        ("not a function", GRID, DEFAULT, TypeError, "callable"),
        (square, {}, DEFAULT, ValueError, "non-empty mapping"),
        (square, [("gain", [1])], DEFAULT, ValueError, "non-empty mapping"),
        (square, {"gain": [], "shape": ["square"]}, DEFAULT, ValueError, "is empty"),
        (square, {"gain": 0.5, "shape": ["square"]}, DEFAULT, TypeError, "sequence"),
        (square, {"gain": "abc", "shape": ["square"]}, DEFAULT, TypeError, "sequence"),
        (square, {"gain": [0.5, 0.5], "shape": ["square"]}, DEFAULT, ValueError, "repeats"),
        (square, GRID, {"gain": 0.3, "shape": "square"}, ValueError, "not in the grid"),
        (square, GRID, {"gain": 0.5}, ValueError, "no value for 'shape'"),
        (square, GRID, {**DEFAULT, "colour": 1}, ValueError, "not in the grid: \\['colour'\\]"),
        (square, GRID, [0.5, "square"], TypeError, "default must be a mapping"),
        (lambda gain, shape: "text", GRID, DEFAULT, TypeError, "Figure or an image"),
        (lambda gain, shape: (np.zeros(3), None), GRID, DEFAULT, TypeError, "shape"),
        (lambda gain, shape: (np.zeros((2, 2)), [1]), GRID, DEFAULT, TypeError, "numbers"),
    ],
)
def test_bad_grids_give_clear_errors(function, grid, default, error, match):
    with pytest.raises(error, match=match):
        demos.precompute(function, grid, default, alt="A picture")


def test_bad_options_give_clear_errors():
    with pytest.raises(ValueError, match="alt"):
        demos.precompute(square, GRID, DEFAULT, alt=" ")
    with pytest.raises(ValueError, match="mode"):
        demos.precompute(square, GRID, DEFAULT, alt="x", mode="all")
    with pytest.raises(ValueError, match="image_format"):
        demos.precompute(square, GRID, DEFAULT, alt="x", image_format="gif")
    with pytest.raises(ValueError, match="labels names parameters"):
        demos.precompute(square, GRID, DEFAULT, alt="x", labels={"colour": "c"})


def test_sample_keeps_the_ends_and_the_default():
    assert demos.sample(range(11), 3, 5) == [0, 3, 5, 8, 10]
    assert demos.sample([1, 2, 3], 2, 9) == [1, 2, 3]
    values = list(np.round(np.arange(0.3, 1.41, 0.05), 2))
    chosen = demos.sample(values, 0.8, 6)
    assert len(chosen) == 6 and 0.8 in chosen and chosen[0] == 0.3 and chosen[-1] == 1.4
    with pytest.raises(ValueError, match="not one of"):
        demos.sample([1, 2], 3, 2)
    with pytest.raises(ValueError, match="empty"):
        demos.sample([], 3, 2)


def test_controls_grid_reads_the_widget_defaults():
    widgets = pytest.importorskip("ipywidgets")
    controls = {
        "kernel": widgets.Dropdown(options=["a", "b", "c"], value="b", description="kernel"),
        "depth": widgets.IntSlider(value=4, min=1, max=12, description="depth"),
        "na": widgets.FloatSlider(value=0.8, min=0.3, max=1.4, step=0.05),
        "balance": widgets.FloatLogSlider(value=1e-2, base=10, min=-5, max=1, step=0.25),
        "it": widgets.SelectionSlider(options=[1, 10, 100], value=100),
    }
    grid, default, labels = demos.controls_grid(controls, max_values=5)
    assert default == {"kernel": "b", "depth": 4, "na": 0.8, "balance": 1e-2, "it": 100}
    assert grid["kernel"] == ["a", "b", "c"] and grid["it"] == [1, 10, 100]
    assert grid["depth"][0] == 1 and grid["depth"][-1] == 12 and 4 in grid["depth"]
    assert 0.8 in grid["na"] and len(grid["na"]) == 5
    assert 1e-5 in grid["balance"] and 10.0 in grid["balance"] and 1e-2 in grid["balance"]
    assert labels["depth"] == "depth" and labels["na"] == "na"
    grid, _, _ = demos.controls_grid(controls, values={"depth": [2, 8]})
    assert grid["depth"] == [2, 4, 8]
    with pytest.raises(TypeError, match="cannot read"):
        demos.controls_grid({"x": widgets.Button()})


def test_live_chooses_by_the_build(monkeypatch):
    monkeypatch.delenv("DECONDL_BOOK_BUILD", raising=False)
    assert demos.live(lambda: "widget", lambda: "demo") == "widget"
    monkeypatch.setenv("DECONDL_BOOK_BUILD", "1")
    assert demos.live(lambda: "widget", lambda: "demo") == "demo"
    made = demos.precompute(square, GRID, DEFAULT, alt="x")
    assert demos.live("widget", made) is made
