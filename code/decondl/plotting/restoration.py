"""Figures of chapter 5 (restoration with CARE): methods compared on one crop.

The restorations and scores come from :mod:`decondl.restore` and :mod:`decondl.metrics`;
these functions only draw them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from decondl.plotting.common import crop_box, plot_images

__all__ = ["plot_method_crops"]


def plot_method_crops(
    images: Mapping[str, np.ndarray],
    *,
    centre,
    size: int,
    truth=None,
    scores: Mapping[str, float] | None = None,
    vrange: tuple[float, float] = (0.0, 1.0),
    panel_size: float = 2.2,
) -> Figure:
    """Show one image whole with a crop outlined, then that crop for every method (chapter 5).

    Parameters
    ----------
    images : mapping of str to ndarray, each shape (ny, nx)
        Method name to restored image, all in the truth's units; the first one is also shown
        whole (usually the recorded image).
    centre : (int, int)
        Centre ``(y, x)`` of the crop in pixels (moved inside the image, see :func:`crop_box`).
    size : int
        Side of the crop in pixels.
    truth : ndarray, shape (ny, nx), optional
        Ground truth, shown as the last crop.
    scores : mapping of str to float, optional
        Method name to the PSNR in dB of its whole image against the truth, shown in the
        titles (:func:`decondl.widgets.restoration_figure` computes them with
        :func:`decondl.metrics.psnr`).
    vrange : (float, float)
        Common grey range of all panels.
    panel_size : float
        Side of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(images) + 1`` panels, plus one for ``truth``, in rows of three.

    Raises
    ------
    ValueError
        If ``images`` is empty, the images do not all have the truth's 2D shape, or
        ``scores`` lacks a method.

    Examples
    --------
    >>> im = np.zeros((32, 32))
    >>> fig = plot_method_crops({"a": im, "b": im}, centre=(16, 16), size=8)
    >>> len(fig.axes)
    3
    """
    images = {name: np.asarray(im) for name, im in images.items()}
    if not images:
        raise ValueError("images must contain at least one image")
    shapes = {im.shape for im in images.values()}
    if truth is not None:
        truth = np.asarray(truth)
        shapes.add(truth.shape)
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"images (and truth) must all be 2D of one shape, got {sorted(shapes)}")
    if scores is not None and set(images) - set(scores):
        raise ValueError(f"scores has no PSNR for {sorted(set(images) - set(scores))}")
    rows, cols = crop_box(next(iter(shapes)), centre, size)
    panels, titles = [next(iter(images.values()))], ["whole image"]
    for name, im in images.items():
        panels.append(im[rows, cols])
        score = f"\n{scores[name]:.1f} dB" if scores is not None else ""
        titles.append(f"{name}{score}")
    if truth is not None:
        panels.append(truth[rows, cols])
        titles.append("truth\n(reference)")
    fig = plot_images(panels, titles, vrange=vrange, size=panel_size)
    fig.axes[0].add_patch(
        Rectangle(
            (cols.start - 0.5, rows.start - 0.5),
            size,
            size,
            fill=False,
            edgecolor="yellow",
            lw=1.5,
        )
    )
    return fig
