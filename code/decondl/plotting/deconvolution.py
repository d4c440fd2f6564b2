"""Figures of chapter 4 (classical deconvolution): tuning curves, Wiener and RL results.

The restorations and scores come from :mod:`decondl.deconvolve` and :mod:`decondl.metrics`;
these functions only draw them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from decondl._checks import as_bool
from decondl.plotting.common import plot_images

__all__ = ["plot_rl_iteration", "plot_tuning_curve", "plot_wiener"]


def plot_tuning_curve(
    values,
    scores,
    *,
    best,
    xlabel: str,
    ylabel: str = "PSNR to the truth (dB)",
    logx: bool = False,
    reference: float | None = None,
    reference_label: str = "raw image",
) -> Figure:
    """Plot a quality score against a method parameter and mark the chosen value.

    Used for the Wiener ``balance`` sweep and the Richardson-Lucy semi-convergence curve
    (PSNR against iteration) of chapter 4.

    Parameters
    ----------
    values, scores : sequence of float, same length
        Parameter values and their scores.
    best : float
        The chosen parameter value (marked with a vertical line).
    xlabel, ylabel : str
        Axis labels.
    logx : bool
        Logarithmic parameter axis.
    reference : float, optional
        A horizontal reference level (e.g. the raw image's PSNR).
    reference_label : str
        Legend text of the reference level.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``values`` and ``scores`` differ in length or are empty.
    """
    logx = as_bool(logx, "logx")
    values = np.asarray(values, dtype=float)
    scores = np.asarray(scores, dtype=float)
    if values.shape != scores.shape or values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"values and scores must be 1D of the same non-zero length, got {values.shape} "
            f"and {scores.shape}"
        )
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.plot(values, scores, "-", color="tab:blue", label="validation image")
    ax.axvline(best, color="tab:orange", ls="--", label=f"chosen: {best:g}")
    if reference is not None:
        ax.axhline(reference, color="gray", ls=":", label=reference_label)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)
    return fig


def plot_wiener(
    image, restored, truth, *, balance: float, scores: Mapping[str, float], crop=None
) -> Figure:
    """Show a Wiener result next to the acquisition and the truth.

    :func:`decondl.widgets.wiener_figure` computes what it shows (the figure of
    :func:`decondl.widgets.wiener_explorer`, chapter 4).

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Acquisition in the truth's units (see :func:`decondl.forward.to_truth_units`).
    restored : ndarray, shape (ny, nx)
        ``decondl.deconvolve.wiener(image, psf, balance)``.
    truth : ndarray, shape (ny, nx)
        Ground truth.
    balance : float
        The Wiener regularisation that made ``restored`` (for the title).
    scores : mapping of str to float
        PSNR in dB of the whole ``"image"`` and of the whole ``"restored"`` image against
        the truth, shown in the titles.
    crop : tuple of slice, optional
        Region to show.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> im = np.zeros((8, 8))
    >>> fig = plot_wiener(im, im, im, balance=0.1, scores={"image": 10.0, "restored": 12.0})
    >>> fig.axes[1].get_title()
    'Wiener, balance 0.1 (12.0 dB)'
    """
    crop = (slice(None), slice(None)) if crop is None else crop
    image, restored, truth = (np.asarray(a) for a in (image, restored, truth))
    return plot_images(
        [image[crop], restored[crop], truth[crop]],
        [
            f"acquisition ({scores['image']:.1f} dB)",
            f"Wiener, balance {balance:.2g} ({scores['restored']:.1f} dB)",
            "ground truth",
        ],
        cmap="magma",
        size=2.4,
        vrange=(0.0, float(truth.max())),
    )


def plot_rl_iteration(history, truth, iteration: int, *, scores=None) -> Figure:
    """Show one stored Richardson-Lucy estimate next to the truth.

    The pure function behind :func:`decondl.widgets.rl_explorer` (chapter 4).

    Parameters
    ----------
    history : Mapping[int, ndarray]
        Estimates (truth units) by iteration number, e.g. collected with the ``callback``
        of :func:`decondl.deconvolve.richardson_lucy`.
    truth : ndarray
        Ground truth of the same shape as the estimates.
    iteration : int
        A key of ``history``.
    scores : Mapping[int, float], optional
        PSNR by iteration, shown in the title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``iteration`` was not stored.
    """
    if iteration not in history:
        raise ValueError(f"iteration {iteration} was not stored; stored: {sorted(history)}")
    title = f"Richardson-Lucy, {iteration} iterations"
    if scores is not None and iteration in scores:
        title += f" ({scores[iteration]:.1f} dB)"
    return plot_images(
        [history[iteration], truth],
        [title, "ground truth"],
        cmap="magma",
        size=3.5,
        vrange=(0.0, float(np.max(truth))),
    )
