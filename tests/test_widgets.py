"""decondl.plotting (the figures of chapters 1-4) and decondl.widgets (figures and controls)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from decondl import nets, plotting, widgets


def image(shape=(24, 20), seed=0):
    return np.random.default_rng(seed).random(shape)


# --------------------------------------------------------------------------- generic


def test_plot_images_layout_titles_and_errors():
    fig = plotting.plot_images([image(), image(), image()], ["a", "b", "c"], ncols=2)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert len(fig.axes) == 4  # 2 x 2 grid, the last one empty
    np.testing.assert_array_equal(shown[1].images[0].get_array(), image())
    with pytest.raises(ValueError, match="2 titles"):
        plotting.plot_images([image()] * 3, ["a", "b"])
    with pytest.raises(ValueError, match=r"images\[0\] must be 2D"):
        plotting.plot_images([np.zeros((2, 2, 2))])
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_images([])


def test_label_cmap_black_background_distinct_and_repeatable():
    cmap = plotting.label_cmap(5, seed=1)
    colours = cmap(np.arange(6))
    np.testing.assert_array_equal(colours[0, :3], [0, 0, 0])
    assert len({tuple(c) for c in colours}) == 6
    np.testing.assert_array_equal(colours, plotting.label_cmap(5, seed=1)(np.arange(6)))


def test_label_cmap_uses_only_the_colour_blind_safe_palette():
    from matplotlib.colors import to_rgb

    palette = {to_rgb(c) for c in plotting.OKABE_ITO}
    colours = {tuple(c[:3]) for c in plotting.label_cmap(30, seed=2)(np.arange(1, 31))}
    assert colours == palette
    assert len({tuple(c[:3]) for c in plotting.label_cmap(7)(np.arange(1, 8))}) == 7


# --------------------------------------------------------------------------- chapter 1


def test_plot_activations_draws_the_functions():
    fig = plotting.plot_activations((-3, 3))
    assert [ax.get_title() for ax in fig.axes] == list(nets.ACTIVATIONS)
    for ax, name in zip(fig.axes, nets.ACTIVATIONS, strict=True):
        x, y = ax.lines[-1].get_data()
        np.testing.assert_allclose(y, nets.activate(x, name))


@pytest.mark.parametrize("pooling", ["max", "average", "none"])
def test_plot_feature_maps_shows_the_computed_maps(pooling):
    img = image((16, 18))
    maps = nets.feature_maps(img, "laplacian", "tanh", pooling)
    fig = plotting.plot_feature_maps(
        img, maps, kernel_name="laplacian", activation="tanh", pooling=pooling
    )
    arrays = [ax.images[0].get_array() for ax in fig.axes]
    expected = [img, maps["kernel"], maps["conv"], maps["activated"], maps["pooled"]]
    for shown, wanted in zip(arrays, expected, strict=True):
        np.testing.assert_allclose(shown, wanted)
    assert len(fig.axes[1].texts) == 9  # the kernel weights are printed
    assert fig.axes[3].get_title() == "after tanh"
    np.testing.assert_allclose(
        widgets.feature_maps_figure(img, "laplacian", "tanh", pooling)
        .axes[4]
        .images[0]
        .get_array(),
        maps["pooled"],
    )


def test_plot_task_types_panels():
    labels = np.zeros((20, 20), dtype=np.int32)
    labels[2:6, 2:6] = 1
    labels[10:15, 8:12] = 2
    truth = (labels > 0) * 1.0
    fig = plotting.plot_task_types(truth * 0.3, labels, truth)
    assert len(fig.axes) == 4
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), labels > 0)
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), labels)
    assert "2 nuclei" in fig.axes[2].get_title()


# --------------------------------------------------------------------------- chapter 2


@pytest.mark.parametrize(("depth", "n_filters"), [(1, 8), (3, 16)])
def test_plot_unet_architecture_labels_every_shape(depth, n_filters):
    fig = plotting.plot_unet_architecture(64, depth, n_filters)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    for shape in nets.unet_shapes(64, depth, n_filters):
        assert f"{shape['size']}x{shape['size']}" in texts
        assert str(shape["channels"]) in texts
    rf = nets.receptive_field(nets.unet_layers(depth))
    assert ax.get_title() == f"U-Net, depth {depth}: receptive field {rf} px"
    # boxes: input + output + per level (2 convs) + pooled maps + concatenations (two halves)
    n_boxes = 2 + 2 * (depth + 1) + depth + 2 * depth + 2 * depth
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == n_boxes
    with pytest.raises(ValueError, match="divisible"):
        plotting.plot_unet_architecture(60, depth=3)


def test_plot_receptive_field_maps_boxes_and_psf_panel():
    m = np.zeros((15, 15))
    m[4:11, 5:8] = np.linspace(1, 2, 21).reshape(7, 3)
    psf = np.ones((21, 21))  # larger than the canvas: cropped
    fig = plotting.plot_receptive_field_maps({"toy": m}, psf=psf, psf_title="psf")
    assert fig.axes[0].get_title() == "toy: 7 x 3 px"
    box = next(p for p in fig.axes[0].patches if isinstance(p, Rectangle))
    assert (box.get_width(), box.get_height()) == (3, 7)
    assert fig.axes[1].get_title() == "psf"
    assert np.all(fig.axes[1].images[0].get_array() == 1.0)
    empty = plotting.plot_receptive_field_maps({"none": np.zeros((4, 4))})
    assert empty.axes[0].get_title() == "none: empty"


@pytest.mark.parametrize(
    ("layers", "covers"), [(nets.shallow_cnn_layers(4), False), (nets.unet_layers(3), True)]
)
def test_plot_receptive_field_vs_psf_geometry(layers, covers):
    fig = plotting.plot_receptive_field_vs_psf(layers, 7.0, name="net")
    ax = fig.axes[0]
    rf = nets.receptive_field(layers)
    square = next(p for p in ax.patches if isinstance(p, Rectangle))
    circle = next(p for p in ax.patches if isinstance(p, Circle))
    assert square.get_width() == rf and square.get_xy() == (-rf / 2, -rf / 2)
    assert circle.get_radius() == pytest.approx(nets.blur_extent_px(7.0) / 2)
    assert ("covers the blur" in ax.get_title()) == covers


def test_plot_receptive_field_vs_psf_stays_small_for_huge_networks():
    fig = plotting.plot_receptive_field_vs_psf(nets.unet_layers(12), 2.0)
    assert max(fig.axes[0].images[0].get_array().shape) <= 501


def test_plot_history():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.6, 0.3]}
    fig = plotting.plot_history({"a": history, "b": history})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 4
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), history["val_loss"])
    assert ax.get_ylabel() == "mean squared error"  # the loss of decondl.nets.train
    fig = plotting.plot_history({"CARE": history}, loss_name="mean absolute error")
    assert fig.axes[0].get_ylabel() == "mean absolute error"
    with pytest.raises(TypeError, match="loss_name"):
        plotting.plot_history({"a": history}, loss_name=None)


# --------------------------------------------------------------------------- widgets


def test_feature_map_explorer_redraws_with_the_chosen_values(monkeypatch):
    calls = []

    def fake(img, maps, **values):
        calls.append(values)
        return "figure"

    monkeypatch.setattr(plotting, "plot_feature_maps", fake)
    box = widgets.feature_map_explorer(image())
    assert calls[-1] == {"kernel_name": "edges (x)", "activation": "relu", "pooling": "max"}
    assert set(box.controls["kernel_name"].options) == set(nets.KERNEL_NAMES)
    box.controls["kernel_name"].value = "laplacian"
    box.controls["pooling"].value = "none"
    assert calls[-1] == {"kernel_name": "laplacian", "activation": "relu", "pooling": "none"}
    with pytest.raises(ValueError, match="name must be one of"):
        widgets.feature_map_explorer(image(), kernel_name="emboss")


def test_receptive_field_explorer_passes_the_right_layers(monkeypatch):
    calls = []

    def fake(layers, sigma_px, *, name):
        calls.append((layers, sigma_px, name))
        return "figure"

    monkeypatch.setattr(plotting, "plot_receptive_field_vs_psf", fake)
    box = widgets.receptive_field_explorer()
    assert calls[-1][0] == nets.unet_layers(3, 3) and calls[-1][1] == 7.0
    box.controls["architecture"].value = "shallow CNN"
    box.controls["depth"].value = 5
    box.controls["kernel_size"].value = 7
    assert calls[-1][0] == nets.shallow_cnn_layers(5, 7)
    assert calls[-1][2] == "shallow CNN, depth 5, 7x7 kernels"
    box.controls["sigma_px"].value = 3.5
    assert calls[-1][1] == 3.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"architecture": "ResNet"}, "architecture must be one of"),
        ({"kernel_size": 4}, "kernel_size must be 3, 5 or 7"),
        ({"depth": 0}, "depth must be >= 1 and <= 12"),
        ({"sigma_px": 100.0}, "sigma_px must be finite and >= 0.5 and <= 15"),
    ],
)
def test_receptive_field_explorer_rejects_bad_initial_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.receptive_field_explorer(**kwargs)
    with pytest.raises(TypeError, match="depth must be an int"):
        widgets.receptive_field_explorer(depth=2.0)


# --------------------------------------------------------------------------- chapter 3


def test_plot_images_per_image_cmaps_and_scalebar():
    cmap = plotting.label_cmap(3)
    fig = plotting.plot_images([image(), image()], cmap=["magma", cmap], pixel_size_um=0.1)
    first, second = (ax for ax in fig.axes if ax.images)
    assert first.images[0].get_cmap().name == "magma"
    assert second.images[0].get_cmap() is cmap
    (bar,) = first.lines  # the scale bar: 2 um of 0.1 um pixels is 20 pixels long
    assert np.ptp(bar.get_xdata()) == pytest.approx(20.0)
    assert not second.lines
    with pytest.raises(ValueError, match="one colormap or 2"):
        plotting.plot_images([image(), image()], cmap=["gray"] * 3)
    with pytest.raises(ValueError, match="pixel_size_um"):
        plotting.plot_images([image()], pixel_size_um=0)


def test_plot_fwhm_vs_na_points_follow_theory():
    from decondl import psf

    table = psf.fwhm_vs_na([0.6, 1.2], [0.52])
    fig = plotting.plot_fwhm_vs_na([0.6, 1.2], table)
    (ax,) = fig.axes
    points, line = ax.lines
    np.testing.assert_array_equal(points.get_ydata(), table[0.52] * 1000)
    np.testing.assert_allclose(points.get_ydata(), [0.51 * 520 / 0.6, 0.51 * 520 / 1.2], rtol=0.05)
    assert line.get_ydata()[0] == pytest.approx(0.51 * 520 / 0.6)
    with pytest.raises(ValueError, match="one width per NA"):
        plotting.plot_fwhm_vs_na([0.6, 1.2], {0.52: [0.3]})


def test_plot_psf_sections_shows_central_planes():
    from decondl.psf import gaussian_psf

    h = gaussian_psf((9, 11, 11), (3.0, 1.0, 1.0))
    fig = plotting.plot_psf_sections(h, pixel_size_um=0.1, z_step_um=0.2)
    xy, xz = (ax for ax in fig.axes if ax.images)
    floor = h.max() * 1e-4  # four decades are shown
    np.testing.assert_allclose(xy.images[0].get_array(), np.log10(np.maximum(h[4], floor)))
    np.testing.assert_allclose(xz.images[0].get_array(), np.log10(np.maximum(h[:, 5, :], floor)))
    assert xz.images[0].get_extent() == pytest.approx((-0.55, 0.55, -0.9, 0.9))
    with pytest.raises(ValueError, match="3D"):
        plotting.plot_psf_sections(h[0], pixel_size_um=0.1, z_step_um=0.2)


def test_image_formation_figure_shows_truth_psf_and_the_acquisition():
    from decondl import psf
    from decondl.forward import Microscope

    truth = np.zeros((48, 48))
    truth[20:28, 20:28] = 1.0
    scope = Microscope(photons=50.0)
    fig = widgets.image_formation_figure(truth, scope, rng=np.random.default_rng(4))
    shown = [ax for ax in fig.axes if ax.images]
    np.testing.assert_array_equal(shown[0].images[0].get_array(), truth)
    np.testing.assert_array_equal(shown[1].images[0].get_array(), scope.psf())
    expected = scope.acquire(truth, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(shown[2].images[0].get_array(), expected)
    fwhm_nm = psf.fwhm_px(scope.psf()) * scope.pixel_size_um * 1000
    assert shown[1].get_title() == f"PSF, enlarged (FWHM {fwhm_nm:.0f} nm)"
    assert shown[2].get_title() == "acquisition (50 photons, read noise 2 e⁻)"


def test_image_formation_explorer_redraws_with_the_chosen_values(monkeypatch):
    calls = []
    monkeypatch.setattr(
        plotting,
        "plot_image_formation",
        lambda truth, kernel, acquisition, scope, fwhm_nm: calls.append(scope) or Figure(),
    )
    box = widgets.image_formation_explorer(np.zeros((16, 16)))
    assert calls[-1].na == pytest.approx(0.8)  # the defaults of Microscope
    box.controls["na"].value = 1.2
    box.controls["photons"].value = 1000.0
    assert calls[-1].na == pytest.approx(1.2)
    assert calls[-1].photons == pytest.approx(1000.0)
    assert calls[-1].background == pytest.approx(10.0)  # untouched settings keep the defaults


# --------------------------------------------------------------------------- chapter 4


def test_plot_tuning_curve_marks_the_choice_and_the_reference():
    fig = plotting.plot_tuning_curve(
        [1e-3, 1e-2, 1e-1], [20.0, 24.0, 22.0], best=1e-2, xlabel="balance", logx=True, reference=19
    )
    (ax,) = fig.axes
    curve, chosen, reference = ax.lines
    np.testing.assert_array_equal(curve.get_ydata(), [20.0, 24.0, 22.0])
    assert list(chosen.get_xdata()) == [1e-2, 1e-2]
    assert list(reference.get_ydata()) == [19, 19]
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="same non-zero length"):
        plotting.plot_tuning_curve([1, 2], [1.0], best=1, xlabel="x")


def test_wiener_figure_shows_the_wiener_result_and_its_psnr():
    from decondl import deconvolve, metrics
    from decondl.psf import gaussian_psf

    truth = np.zeros((40, 40))
    truth[15:25, 12:30] = 1.0
    h = gaussian_psf((9, 9), 1.5)
    blurred = np.random.default_rng(0).normal(truth, 0.05)
    fig = widgets.wiener_figure(blurred, h, truth, 0.05, crop=(slice(5, 35), slice(5, 35)))
    shown = [ax for ax in fig.axes if ax.images]
    expected = deconvolve.wiener(blurred, h, 0.05)
    np.testing.assert_array_equal(shown[1].images[0].get_array(), expected[5:35, 5:35])
    assert f"({metrics.psnr(truth, expected):.1f} dB)" in shown[1].get_title()
    assert shown[0].get_title() == f"acquisition ({metrics.psnr(truth, blurred):.1f} dB)"


def test_plot_wiener_only_draws_what_it_is_given():
    image, restored, truth = np.zeros((6, 6)), np.ones((6, 6)), np.full((6, 6), 2.0)
    fig = plotting.plot_wiener(
        image, restored, truth, balance=0.5, scores={"image": 1.0, "restored": 2.0}
    )
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == [
        "acquisition (1.0 dB)",
        "Wiener, balance 0.5 (2.0 dB)",
        "ground truth",
    ]
    np.testing.assert_array_equal(shown[1].images[0].get_array(), restored)
    assert shown[1].images[0].get_clim() == (0.0, 2.0)


def test_plot_rl_iteration_and_its_explorer(monkeypatch):
    history = {0: np.zeros((8, 8)), 10: np.ones((8, 8))}
    truth = np.full((8, 8), 0.5)
    fig = plotting.plot_rl_iteration(history, truth, 10, scores={10: 12.345})
    first = next(ax for ax in fig.axes if ax.images)
    assert first.get_title() == "Richardson-Lucy, 10 iterations (12.3 dB)"
    with pytest.raises(ValueError, match="iteration 5 was not stored"):
        plotting.plot_rl_iteration(history, truth, 5)

    calls = []
    monkeypatch.setattr(
        plotting, "plot_rl_iteration", lambda h, t, k, scores=None: calls.append(k) or Figure()
    )
    box = widgets.rl_explorer(history, truth)
    assert calls == [0]
    box.controls["iteration"].value = 10
    assert calls == [0, 10]
    with pytest.raises(ValueError, match="empty"):
        widgets.rl_explorer({}, truth)


def test_wiener_explorer_passes_the_slider_value(monkeypatch):
    calls = []
    monkeypatch.setattr(
        plotting,
        "plot_wiener",
        lambda y, r, t, balance, scores, crop=None: calls.append(balance) or Figure(),
    )
    box = widgets.wiener_explorer(image(), np.ones((3, 3)), image(), balance=1e-3)
    assert calls == [pytest.approx(1e-3)]
    box.controls["balance"].value = 0.1
    assert calls[-1] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="balance must be finite and >= 1e-05 and <= 10"):
        widgets.wiener_explorer(image(), np.ones((3, 3)), image(), balance=100)


# --------------------------------------------------------------------------- every widget


def _every_widget():
    """One call per public explorer, on small real data (no plotting function is replaced)."""
    from decondl import segment

    truth = np.zeros((32, 32))
    truth[8:20, 10:22] = 1.0
    yy, xx = np.mgrid[:32, :32]
    labels = ((yy - 10) ** 2 + (xx - 10) ** 2 <= 16) + 2 * ((yy - 22) ** 2 + (xx - 22) ** 2 <= 16)
    labels = labels.astype(np.int32)
    return {
        "feature_map_explorer": lambda: widgets.feature_map_explorer(image((16, 16))),
        "receptive_field_explorer": lambda: widgets.receptive_field_explorer(depth=2),
        "image_formation_explorer": lambda: widgets.image_formation_explorer(truth),
        "wiener_explorer": lambda: widgets.wiener_explorer(truth, np.ones((3, 3)), truth),
        "rl_explorer": lambda: widgets.rl_explorer({1: truth, 5: truth}, truth),
        "stardist_threshold_explorer": lambda: widgets.stardist_threshold_explorer(
            truth, 0.9 * (labels > 0), segment.star_rays(labels, n_rays=16), labels
        ),
        "restoration_explorer": lambda: widgets.restoration_explorer(
            {"raw": np.stack([truth, truth]), "other": np.stack([truth, 1 - truth])},
            np.stack([truth, truth]),
        ),
    }


def _other_value(control):
    """A valid value different from the control's current one."""
    if hasattr(control, "options"):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(v for v in reversed(values) if v != control.value)
    if hasattr(control, "base"):  # FloatLogSlider: min and max are exponents
        return control.base**control.max
    return control.max if control.value != control.max else control.min


def test_every_widget_is_built_and_redraws_with_this_ipywidgets():
    # Runs with the book's ipywidgets 8 here, and with Colab's ipywidgets 7 in
    # tests/test_colab_runtime.py: the explorers must work with both.
    import ipywidgets

    built = _every_widget()
    explorers = {name for name in widgets.__all__ if name.endswith("_explorer")}
    assert set(built) == explorers, "a new explorer needs a line in _every_widget"
    for name, make in built.items():
        box = make()
        assert isinstance(box, ipywidgets.VBox), name
        controls, output = box.children
        assert isinstance(output, ipywidgets.Output), name
        assert list(controls.children) == list(box.controls.values()), name
        for key, control in box.controls.items():
            value = _other_value(control)
            control.value = value  # redraws with the real plotting function
            assert control.value == pytest.approx(value), (name, key)


def test_in_the_book_build_every_explorer_is_its_precomputed_demo(monkeypatch):
    # The same drawing function behind both front ends: the page's first view is the
    # widget's default figure, and every control of the widget is a control of the page.
    from decondl import demos

    built = _every_widget()
    for name, make in built.items():
        box = make()
        default = {key: control.value for key, control in box.controls.items()}
        monkeypatch.setenv("DECONDL_BOOK_BUILD", "1")
        demo = make()
        monkeypatch.delenv("DECONDL_BOOK_BUILD")
        assert isinstance(demo, demos.Demo), name
        assert demo.default == default, name
        assert [p.name for p in demo.parameters] == list(box.controls), name
        figure, numbers = box.draw(**default)
        np.testing.assert_array_equal(demo.picture(), demos.render(figure), err_msg=name)
        assert demo.numbers() == numbers, name
