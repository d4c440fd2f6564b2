"""decondl.plotting as a package: the names it re-exports and its shared drawing helpers.

The figures of each chapter are tested in tests/test_widgets.py (with their explorers),
tests/test_restore.py and tests/test_segment.py.
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import re

import numpy as np
import pytest
from skimage.segmentation import find_boundaries

from decondl import plotting

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_plotting_name_used_by_the_book_and_the_package_is_exported():
    sources = [
        *ROOT.glob("book/**/*.md"),
        *ROOT.glob("code/decondl/**/*.py"),
        *ROOT.glob("tests/*.py"),
    ]
    used = set()
    for path in sources:
        used |= set(re.findall(r"\bplotting\.([A-Za-z_]\w*)", path.read_text(encoding="utf-8")))
    used -= {"py", "__all__", *MODULES}  # "plotting.py" in prose; the package's own modules
    missing = sorted(name for name in used if name not in plotting.__all__)
    assert not missing, missing
    for name in plotting.__all__:
        assert getattr(plotting, name) is not None


MODULES = ["common", "networks", "image_formation", "deconvolution", "restoration", "segmentation"]


@pytest.mark.parametrize("module", MODULES)
def test_plotting_modules_only_draw(module):
    # Drawing only: a plotting module imports no computing module of decondl (deconvolve,
    # metrics, psf, forward, segment ...); the callers compute and pass the results. Only
    # the network diagrams read the architecture algebra of decondl.nets.
    source = pathlib.Path(importlib.import_module(f"decondl.plotting.{module}").__file__)
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("decondl"):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names if alias.name.startswith("decondl")}
    allowed = ("decondl._checks.", "decondl.plotting.")
    computing = {name for name in imported if not name.startswith(allowed)}
    assert computing <= ({"decondl.nets"} if module == "networks" else set()), computing


def test_panel_grid_rows_and_axes_off():
    fig, axes = plotting.panel_grid(5, 2, 1.0)
    assert len(axes) == 6 and not any(ax.axison for ax in axes)
    assert tuple(fig.get_size_inches()) == pytest.approx((2.0, 3.3))
    assert len(plotting.panel_grid(3, None, 1.0)[1]) == 3
    assert len(plotting.panel_grid(3, 0, 1.0)[1]) == 3  # at least one column: one per row
    with pytest.raises(ValueError, match="n must be >= 1"):
        plotting.panel_grid(0, None, 1.0)
    with pytest.raises(TypeError, match="ncols"):
        plotting.panel_grid(2, 1.5, 1.0)


def test_outline_rgb_draws_each_label_outline_in_its_colour():
    labels = np.zeros((24, 24), dtype=np.int32)
    labels[2:10, 2:10] = 1
    labels[2:10, 10:18] = 2  # touches label 1
    labels[14:22, 4:12] = 9  # beyond the 7 colours of the palette
    image = np.linspace(0, 1, 24 * 24).reshape(24, 24)
    rgb = plotting.outline_rgb(image, labels, vrange=(0.0, 1.0), seed=3)
    assert rgb.shape == (24, 24, 3)
    edges = find_boundaries(labels, mode="inner")
    colours = plotting.label_cmap(9, seed=3)(labels)[..., :3]
    np.testing.assert_allclose(rgb[edges], colours[edges])
    grey = np.repeat(image[..., None], 3, axis=-1)
    np.testing.assert_allclose(rgb[~edges], grey[~edges])
    empty = plotting.outline_rgb(image, np.zeros_like(labels), vrange=(0.0, 1.0))
    np.testing.assert_allclose(empty, grey)


def test_label_cmap_checks_its_arguments():
    assert plotting.label_cmap(0).N == 2  # an empty label image still gets a colour map
    assert plotting.label_cmap(np.int64(3)).N == 4
    with pytest.raises(TypeError, match="n_labels"):
        plotting.label_cmap(2.5)
    with pytest.raises(ValueError, match="n_labels"):
        plotting.label_cmap(-1)
    with pytest.raises(TypeError, match="seed"):
        plotting.label_cmap(3, seed="1")


def test_plot_method_crops_titles_come_from_the_given_scores():
    truth = np.zeros((32, 32))
    images = {"raw": truth, "CARE": truth}
    fig = plotting.plot_method_crops(
        images, centre=(16, 16), size=8, truth=truth, scores={"raw": 10.04, "CARE": 31.0}
    )
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["whole image", "raw\n10.0 dB", "CARE\n31.0 dB", "truth\n(reference)"]
    with pytest.raises(ValueError, match="no PSNR for"):
        plotting.plot_method_crops(images, centre=(16, 16), size=8, scores={"raw": 1.0})


def test_add_scalebar_checks_lengths():
    fig, axes = plotting.panel_grid(1, None, 1.0)
    axes[0].imshow(np.zeros((10, 10)))
    with pytest.raises(ValueError, match="length_um"):
        plotting.add_scalebar(axes[0], pixel_size_um=0.1, length_um=0)
    with pytest.raises(TypeError, match="pixel_size_um"):
        plotting.add_scalebar(axes[0], pixel_size_um="0.1")


# --------------------------------------------------------------------------- layout rules
# Every public plotting function, called with small inputs. A figure at book width (about
# 7.5 inches, the figures are drawn at 100 dpi) must hold at most three image panels in a row
# and no text under 9 pt where it is shown.

BOOK_WIDTH_IN = 7.5
MIN_POINTS = 9.0


def _small_inputs():
    """A 48 x 48 'truth' of two touching discs, its labels, a blurred 'recording', a PSF."""
    from scipy import ndimage

    yy, xx = np.mgrid[:48, :48]
    labels = np.zeros((48, 48), dtype=np.int32)
    labels[(yy - 20) ** 2 + (xx - 16) ** 2 < 64] = 1
    labels[(yy - 20) ** 2 + (xx - 31) ** 2 < 49] = 2
    labels[(yy - 38) ** 2 + (xx - 36) ** 2 < 25] = 3
    truth = (labels > 0) * 0.8
    recorded = ndimage.gaussian_filter(truth, 3.0) * 0.15
    psf = np.exp(-((yy - 24.0) ** 2 + (xx - 24.0) ** 2) / 8.0)[18:31, 18:31]
    return truth, labels, recorded, psf / psf.sum()


def _figures():
    """Name of each public plotting function -> a function drawing it with small inputs."""
    from decondl import nets
    from decondl.forward import Microscope

    truth, labels, recorded, psf = _small_inputs()
    four = {"a": labels, "b": labels, "c": labels, "d": labels}
    dist = np.full((48, 48, 8), 4.0)
    return {
        "plot_images": lambda: plotting.plot_images([truth] * 5, list("abcde")),
        "plot_image_table": lambda: plotting.plot_image_table(
            {"raw": [recorded] * 5, "truth": [truth] * 5}, list("abcde"), vrange={"truth": (0, 1)}
        ),
        "plot_history": lambda: plotting.plot_history(
            {"n": {"loss": [1, 0.5], "val_loss": [1, 0.6]}}
        ),
        "plot_activations": lambda: plotting.plot_activations(),
        "plot_feature_maps": lambda: plotting.plot_feature_maps(
            truth,
            nets.feature_maps(truth, "edges (x)", "relu", "max"),
            kernel_name="edges (x)",
            activation="relu",
            pooling="max",
        ),
        "plot_task_types": lambda: plotting.plot_task_types(recorded, labels, truth),
        "plot_unet_architecture": lambda: plotting.plot_unet_architecture(64, 3, 16),
        "plot_receptive_field_maps": lambda: plotting.plot_receptive_field_maps(
            {"a": truth, "b": truth, "c": truth, "d": truth}, psf=psf
        ),
        "plot_receptive_field_vs_psf": lambda: plotting.plot_receptive_field_vs_psf(
            nets.shallow_cnn_layers(4), 3.0
        ),
        "plot_fwhm_vs_na": lambda: plotting.plot_fwhm_vs_na([0.5, 1.0], {0.52: [0.53, 0.27]}),
        "plot_psf_sections": lambda: plotting.plot_psf_sections(
            np.stack([psf * w for w in (0.2, 0.5, 1.0, 0.5, 0.2)]),
            pixel_size_um=0.065,
            z_step_um=0.1,
        ),
        "plot_image_formation": lambda: plotting.plot_image_formation(
            truth, psf, recorded, scope=Microscope(), fwhm_nm=250.0
        ),
        "plot_tuning_curve": lambda: plotting.plot_tuning_curve(
            [1, 2, 3], [20.0, 22.0, 21.0], best=2, xlabel="balance", reference=18.0
        ),
        "plot_wiener": lambda: plotting.plot_wiener(
            recorded, truth, truth, balance=0.01, scores={"image": 10.0, "restored": 20.0}
        ),
        "plot_rl_iteration": lambda: plotting.plot_rl_iteration({5: truth}, truth, 5),
        "plot_method_crops": lambda: plotting.plot_method_crops(
            {"raw": recorded, "Wiener": truth, "RL": truth, "CARE": truth},
            centre=(24, 24),
            size=24,
            truth=truth,
        ),
        "plot_label_overlays": lambda: plotting.plot_label_overlays(truth, four),
        "plot_ap_curves": lambda: plotting.plot_ap_curves({"a": {0.5: 0.9, 0.7: 0.5}}),
        "plot_star_convex": lambda: plotting.plot_star_convex(truth, truth, dist, (20, 16)),
        "plot_threshold_result": lambda: plotting.plot_threshold_result(
            truth, labels, labels, {0.5: 1.0, 0.7: 0.5}
        ),
    }


def image_rows(fig, *, plots: bool = False) -> list[int]:
    """Number of image panels in each row of ``fig`` (panels whose heights overlap).

    With ``plots``, every panel counts (line plots and bar charts too), not colour bars.
    """
    fig.draw_without_rendering()
    panels = [
        ax
        for ax in fig.axes
        if ax.images or (plots and ax.axison and ax.get_label() != "<colorbar>")
    ]
    boxes = sorted((ax.get_position() for ax in panels), key=lambda box: -box.y1)
    rows = []  # [top, bottom, count]
    for box in boxes:
        for row in rows:
            overlap = min(row[0], box.y1) - max(row[1], box.y0)
            if overlap > 0.5 * min(row[0] - row[1], box.y1 - box.y0):
                row[2] += 1
                break
        else:
            rows.append([box.y1, box.y0, 1])
    return [count for *_, count in rows]


def smallest_text_points(fig, width_in: float = BOOK_WIDTH_IN) -> float:
    """Smallest font size (points) of the visible text of ``fig`` shown ``width_in`` wide.

    A figure wider than the page is shrunk to it, and its text with it.
    """
    from matplotlib.text import Text

    fig.draw_without_rendering()
    scale = min(1.0, width_in / fig.get_figwidth())
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip() and text.get_figure() is not None
    ]
    return min(sizes) * scale


FIGURES = _figures()


def test_every_public_figure_function_is_checked():
    drawing = {name for name in plotting.__all__ if name.startswith("plot_")}
    assert drawing == set(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_no_row_holds_more_than_three_images(name):
    fig = FIGURES[name]()
    rows = image_rows(fig, plots=True)
    assert max(rows, default=0) <= plotting.MAX_COLUMNS, rows
    assert max(image_rows(fig), default=0) <= plotting.MAX_COLUMNS


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_text_is_at_least_9_points_at_book_width(name):
    assert smallest_text_points(FIGURES[name]()) >= MIN_POINTS


def test_the_layout_checks_can_fail():
    # The old layout of plot_task_types (four images in one row, 9 inches wide, 11 pt titles).
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 2.6), layout="constrained")
    for ax in fig.subplots(1, 4):
        ax.imshow(np.zeros((8, 8)))
        ax.set_title("title", fontsize=11)
    assert image_rows(fig) == [4]
    assert smallest_text_points(fig) < MIN_POINTS
    fig, axes = plotting.panel_grid(5, 2, 1.0)  # 2 + 2 + 1
    for ax in axes[:5]:
        ax.imshow(np.zeros((4, 4)))
    assert image_rows(fig) == [2, 2, 1]


def test_panel_grid_and_plot_images_refuse_more_than_three_columns():
    with pytest.raises(ValueError, match="ncols must be at most 3"):
        plotting.panel_grid(8, 4, 1.0)
    with pytest.raises(ValueError, match="ncols"):
        plotting.plot_images([np.zeros((4, 4))] * 4, ncols=4)
    with pytest.raises(ValueError, match="ncols"):
        plotting.plot_label_overlays(np.zeros((4, 4)), {"a": np.zeros((4, 4), int)}, ncols=4)
    fig, axes = plotting.panel_grid(5, None, 1.0)  # default: rows of three
    assert len(axes) == 6


def test_plot_images_takes_one_range_per_image():
    a, b = np.zeros((4, 4)), np.ones((4, 4))
    fig = plotting.plot_images([a, b], vrange=[(0, 0.1), None])
    assert fig.axes[0].images[0].get_clim() == (0, 0.1)
    assert fig.axes[1].images[0].get_clim() == (1, 1)
    with pytest.raises(ValueError, match="vrange"):
        plotting.plot_images([a, b], vrange=[(0, 1)] * 3)


def test_plot_image_table_wraps_columns_and_states_row_ranges():
    raw, truth = np.full((4, 4), 0.1), np.ones((4, 4))
    fig = plotting.plot_image_table(
        {"raw": [raw] * 4, "truth": [truth] * 4},
        ["1", "2", "3", "4"],
        vrange={"raw": (0, 0.2), "truth": (0, 1)},
    )
    assert image_rows(fig) == [3, 3, 1, 1]  # columns 1-3, then column 4, rows raw and truth
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["raw\n0 to 0.2", "truth\n0 to 1"] * 2
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["1", "2", "3"] * 2 + ["4"] * 2
    with pytest.raises(ValueError, match="row 'raw' has 1 images"):
        plotting.plot_image_table({"raw": [raw]}, ["1", "2"])
