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
