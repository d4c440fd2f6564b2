"""Figures of chapter 6 (instance segmentation): label outlines, AP curves, StarDist's view.

The labels and scores come from :mod:`decondl.segment` and :mod:`decondl.metrics`; these
functions only draw them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from decondl.plotting.common import TITLE_SIZE, label_cmap, panel_grid

__all__ = [
    "outline_rgb",
    "plot_ap_curves",
    "plot_label_overlays",
    "plot_star_convex",
    "plot_threshold_result",
]


def outline_rgb(image, labels, *, vrange=None, seed: int = 0) -> np.ndarray:
    """Return a grey image with the outline of every label drawn in that label's colour.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The image to draw on.
    labels : array_like of int, shape (ny, nx)
        Instance labels (0 = background).
    vrange : (float, float), optional
        Grey range of ``image`` (default: its 1st and 99.8th percentiles).
    seed : int
        Colour seed of :func:`label_cmap`.

    Returns
    -------
    ndarray of float, shape (ny, nx, 3)
        RGB in [0, 1]. The outline of a label is its pixels that touch another label or the
        background (``skimage.segmentation.mark_boundaries`` with ``mode="inner"``), in the
        label's colour of ``label_cmap(labels.max(), seed)``.

    Examples
    --------
    >>> lab = np.zeros((5, 5), int); lab[1:4, 1:4] = 1
    >>> rgb = outline_rgb(np.zeros((5, 5)), lab)
    >>> rgb.shape, bool(rgb[1, 1].any()), bool(rgb[2, 2].any())
    ((5, 5, 3), True, False)
    """
    from skimage.color import gray2rgb
    from skimage.segmentation import mark_boundaries

    image = np.asarray(image, dtype=float)
    labels = np.asarray(labels)
    lo, hi = vrange if vrange is not None else np.percentile(image, [1, 99.8])
    rgb = gray2rgb(np.clip((image - lo) / (hi - lo if hi > lo else 1.0), 0, 1))
    n = int(labels.max()) if labels.size else 0
    if n == 0:
        return rgb
    colours = label_cmap(n, seed=seed).colors[1:]  # label k has colours[k - 1]
    for colour in np.unique(colours, axis=0):  # one pass per colour of the palette
        same = 1 + np.flatnonzero((colours == colour).all(axis=1))
        shown = np.where(np.isin(labels, same), labels, 0)
        rgb = mark_boundaries(rgb, shown, color=tuple(colour), mode="inner")
    return rgb


def plot_label_overlays(
    image, labels: Mapping[str, np.ndarray], *, ncols: int | None = None, size: float = 2.4
) -> Figure:
    """Show instance labels of several methods as coloured outlines on the same image.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The image to draw on (grey, scaled to its 1st-99.8th percentiles).
    labels : mapping of str to array_like of int, each shape (ny, nx)
        Title -> instance labels (0 = background); each panel shows the object count.
    ncols : int, optional
        Panels per row, at most three (default: ``min(len(labels), 3)``; two for a 2 x 2
        grid of four).
    size : float
        Side of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If no labels are given, a label image does not have the image's shape, or
        ``ncols`` is more than three.

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((16, 16), int); lab[4:9, 4:9] = 1
    >>> len(plot_label_overlays(lab * 1.0, {"a": lab, "b": lab}).axes)
    2
    """
    image = np.asarray(image, dtype=float)
    if not labels:
        raise ValueError("labels must hold at least one label image")
    panels, titles = [], []
    for name, lab in labels.items():
        lab = np.asarray(lab)
        if lab.shape != image.shape:
            raise ValueError(f"labels[{name!r}] has shape {lab.shape}, image {image.shape}")
        panels.append(outline_rgb(image, lab))
        titles.append(f"{name}: {len(np.unique(lab[lab > 0]))}")
    fig, axes = panel_grid(len(panels), ncols, size)
    for ax, panel, title in zip(axes, panels, titles, strict=False):
        ax.imshow(panel, interpolation="nearest")
        ax.set_title(title, fontsize=TITLE_SIZE)
    return fig


def plot_ap_curves(scores: Mapping[str, Mapping[float, float]]) -> Figure:
    """Plot average precision against the IoU threshold for several methods.

    Parameters
    ----------
    scores : mapping of str to mapping of float to float
        Method -> {IoU threshold: AP}, e.g. from :func:`decondl.metrics.average_precision`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> len(plot_ap_curves({"a": {0.5: 0.9, 0.7: 0.6}}).axes)
    1
    """
    fig = Figure(figsize=(5.0, 3.2), layout="constrained")
    ax = fig.subplots()
    markers = "osD^v<>"
    for index, (name, curve) in enumerate(scores.items()):
        taus = sorted(curve)
        ax.plot(taus, [curve[t] for t in taus], marker=markers[index % len(markers)], label=name)
    ax.set_xlabel("IoU threshold")
    ax.set_ylabel("average precision")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)
    return fig


def plot_star_convex(image, prob, dist, point, *, grid=(1, 1), half_width_px: int = 24) -> Figure:
    """Show StarDist's view of one object: its rays and polygon, and the probability map.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The input image.
    prob : array_like, shape (ny / g0, nx / g1)
        Object probability on the grid (predicted, or the training target).
    dist : array_like, shape (ny / g0, nx / g1, n_rays)
        Ray lengths in input pixels.
    point : (int, int)
        The object centre ``(y, x)`` in input pixels.
    grid : (int, int)
        Subsampling of ``prob`` and ``dist``.
    half_width_px : int
        Half side of the crop around ``point`` (pixels).

    Returns
    -------
    matplotlib.figure.Figure
        Left: image crop with the rays and the polygon; right: the probability map, with the
        crop's frame.

    Examples
    --------
    >>> import numpy as np
    >>> prob = np.zeros((32, 32)); dist = np.full((32, 32, 8), 3.0)
    >>> len(plot_star_convex(np.zeros((32, 32)), prob, dist, (16, 16)).axes)
    3
    """
    image, prob, dist = np.asarray(image, float), np.asarray(prob, float), np.asarray(dist, float)
    gy, gx = (int(g) for g in grid)
    y, x = (int(v) for v in point)
    rays = dist[y // gy, x // gx]
    angles = 2 * np.pi * np.arange(len(rays)) / len(rays)
    ys, xs = y + rays * np.sin(angles), x + rays * np.cos(angles)
    h = int(half_width_px)
    y0, x0 = max(y - h, 0), max(x - h, 0)
    crop = image[y0 : y + h + 1, x0 : x + h + 1]
    fig = Figure(figsize=(7.2, 3.4), layout="constrained")
    ax_img, ax_prob = fig.subplots(1, 2)
    ax_img.imshow(
        crop,
        cmap="gray",
        extent=(x0 - 0.5, x0 + crop.shape[1] - 0.5, y0 + crop.shape[0] - 0.5, y0 - 0.5),
    )
    for yy, xx in zip(ys, xs, strict=True):
        ax_img.plot([x, xx], [y, yy], color="tab:orange", lw=0.8)
    ax_img.plot(np.append(xs, xs[0]), np.append(ys, ys[0]), color="yellow", lw=1.5)
    ax_img.plot(x, y, "o", color="tab:red", ms=4)
    ax_img.set_title(f"{len(rays)} rays and the polygon", fontsize=TITLE_SIZE)
    shown = ax_prob.imshow(
        prob,
        cmap="magma",
        vmin=0,
        vmax=1,
        extent=(-0.5, prob.shape[1] * gx - 0.5, prob.shape[0] * gy - 0.5, -0.5),
    )
    ax_prob.add_patch(
        Rectangle(
            (x0 - 0.5, y0 - 0.5), crop.shape[1], crop.shape[0], fill=False, edgecolor="cyan", lw=1
        )
    )
    ax_prob.set_title("object probability", fontsize=TITLE_SIZE)
    fig.colorbar(shown, ax=ax_prob, shrink=0.8)
    for ax in (ax_img, ax_prob):
        ax.set_axis_off()
    return fig


def plot_threshold_result(image, labels, truth_labels, scores: Mapping[float, float]) -> Figure:
    """Predicted and true outlines side by side, and AP against the IoU threshold.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The input image.
    labels, truth_labels : array_like of int, shape (ny, nx)
        Predicted and true instance labels.
    scores : mapping of float to float
        IoU threshold -> AP of ``labels`` (see :func:`decondl.metrics.average_precision`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.zeros((16, 16), int); lab[4:9, 4:9] = 1
    >>> len(plot_threshold_result(lab * 1.0, lab, lab, {0.5: 1.0}).axes)
    3
    """
    labels, truth_labels = np.asarray(labels), np.asarray(truth_labels)
    fig = Figure(figsize=(7.5, 2.9), layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
    for ax, lab, title in ((axes[0], labels, "predicted"), (axes[1], truth_labels, "truth")):
        ax.imshow(outline_rgb(image, lab), interpolation="nearest")
        ax.set_title(f"{title}: {len(np.unique(lab[lab > 0]))} objects", fontsize=TITLE_SIZE)
        ax.set_axis_off()
    taus = sorted(scores)
    axes[2].bar([f"{t:g}" for t in taus], [scores[t] for t in taus], color="tab:blue")
    axes[2].set_ylim(0, 1)
    axes[2].set_xlabel("IoU threshold")
    axes[2].set_ylabel("average precision")
    return fig
