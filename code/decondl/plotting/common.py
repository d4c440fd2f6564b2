"""Figure helpers shared by every chapter: image panels, scale bars, label colours, crops, losses.

Figures are created with :class:`matplotlib.figure.Figure` directly (not ``pyplot``), so
they are never shown twice and never leak memory in a loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure

from decondl._checks import as_bool, as_int, as_number

__all__ = [
    "MAX_COLUMNS",
    "OKABE_ITO",
    "TITLE_SIZE",
    "add_scalebar",
    "crop_box",
    "label_cmap",
    "panel_grid",
    "plot_history",
    "plot_image_table",
    "plot_images",
]

#: Most image panels in one row: at book width (about 7.5 inches) and on a phone (390 px),
#: more than three panels make each too small to read.
MAX_COLUMNS = 3

#: Font size (points) of panel titles and row labels: at least 9 pt where the figure is shown
#: at book width; figures are at most about 7.5 inches wide, so they are not shrunk there.
TITLE_SIZE = 12


def plot_images(
    images: Sequence,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    cmap="gray",
    size: float = 2.0,
    vrange=None,
    colorbar: bool = False,
    pixel_size_um: float | None = None,
    scalebar_um: float = 2.0,
) -> Figure:
    """Show 2D images side by side, in rows of at most three, without axes.

    Parameters
    ----------
    images : sequence of array_like, each shape (ny, nx)
        The images.
    titles : sequence of str, optional
        One title per image.
    ncols : int, optional
        Images per row, at most :data:`MAX_COLUMNS` (default: ``min(len(images), 3)``).
    cmap : str or Colormap, or a sequence of them
        Matplotlib colormap, or one per image (e.g. :func:`label_cmap` for labels).
    size : float
        Side of each panel in inches.
    vrange : (float, float), or a sequence of them (or None), optional
        Display range: one for all images, or one per image (None: that image's own
        range). By default each image is scaled to its own range.
    colorbar : bool
        Add a colorbar to every panel.
    pixel_size_um : float, optional
        Pixel size in micrometres; if given, the first panel gets a scale bar.
    scalebar_um : float
        Length of that scale bar in micrometres.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If an image is not 2D, the numbers of images and titles (or ranges) differ, or
        ``ncols`` is more than :data:`MAX_COLUMNS`.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_images([np.zeros((4, 4)), np.ones((4, 4))], ["a", "b"])
    >>> len(fig.axes)
    2
    """
    colorbar = as_bool(colorbar, "colorbar")
    images = [np.asarray(im) for im in images]
    if not images:
        raise ValueError("images must contain at least one image")
    for index, im in enumerate(images):
        if im.ndim != 2:
            raise ValueError(f"images[{index}] must be 2D, got shape {im.shape}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    cmaps = list(cmap) if isinstance(cmap, list | tuple) else [cmap] * len(images)
    if len(cmaps) != len(images):
        raise ValueError(f"cmap: expected one colormap or {len(images)}, got {len(cmaps)}")
    ranges = _ranges(vrange, len(images))
    fig, axes = panel_grid(len(images), ncols, size, title_space=0.3 if titles else 0)
    for index, (ax, im) in enumerate(zip(axes, images, strict=False)):
        lo, hi = ranges[index]
        shown = ax.imshow(im, cmap=cmaps[index], vmin=lo, vmax=hi, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[index], fontsize=TITLE_SIZE)
        if colorbar:
            fig.colorbar(shown, ax=ax, shrink=0.8)
        if pixel_size_um is not None and index == 0:
            add_scalebar(ax, pixel_size_um=pixel_size_um, length_um=scalebar_um)
    return fig


def _ranges(vrange, n: int) -> list[tuple]:
    """One display range ``(lo, hi)`` per image from ``vrange`` (see :func:`plot_images`)."""
    if vrange is None:
        return [(None, None)] * n
    if len(vrange) == 2 and all(np.isscalar(v) for v in vrange):
        return [tuple(vrange)] * n
    if len(vrange) != n:
        raise ValueError(f"vrange: expected one range or {n}, got {len(vrange)}")
    return [(None, None) if r is None else tuple(r) for r in vrange]


def plot_image_table(
    rows: Mapping[str, Sequence],
    column_titles: Sequence[str],
    *,
    vrange: Mapping[str, tuple[float, float]] | tuple[float, float] | None = None,
    cmap="gray",
    size: float = 2.0,
) -> Figure:
    """Show a table of images, one row per method, in blocks of at most three columns.

    Rows are labelled on the left (with their grey range when rows have different ones);
    columns are titled above every panel. A table wider than :data:`MAX_COLUMNS` columns is
    cut into blocks of three columns (the last block may be narrower), stacked one under
    the other, each with the row labels again.

    Parameters
    ----------
    rows : mapping of str to sequence of array_like, each shape (ny, nx)
        Row label to its images, one per column; every row has ``len(column_titles)``.
    column_titles : sequence of str
        One title per column.
    vrange : (float, float), or mapping of str to (float, float), optional
        Grey range of all rows, or of each row by its label. A row without a given range
        is shown from the minimum to the maximum of its own images (the default for all).
    cmap : str or Colormap
        Matplotlib colormap.
    size : float
        Side of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(rows) * len(column_titles)`` image panels, in rows of at most three.

    Raises
    ------
    ValueError
        If there are no rows, or a row does not hold one image per column.

    Examples
    --------
    >>> import numpy as np
    >>> table = {"a": [np.zeros((4, 4))] * 4, "b": [np.ones((4, 4))] * 4}
    >>> fig = plot_image_table(table, ["1", "2", "3", "4"])
    >>> len([ax for ax in fig.axes if ax.images]), fig.axes[0].get_ylabel().splitlines()
    (8, ['a', '0 to 0'])
    """
    n_cols = len(column_titles)
    if not rows or n_cols == 0:
        raise ValueError("rows and column_titles must not be empty")
    table = {}
    for label, images in rows.items():
        images = [np.asarray(im, dtype=float) for im in images]
        if len(images) != n_cols:
            raise ValueError(f"row {label!r} has {len(images)} images, expected {n_cols}")
        table[label] = images
    ranges = {}
    for label, images in table.items():
        given = vrange.get(label) if isinstance(vrange, Mapping) else vrange
        if given is None:
            given = (min(im.min() for im in images), max(im.max() for im in images))
        ranges[label] = tuple(float(v) for v in given)
    say_range = len(set(ranges.values())) > 1
    blocks = [
        range(start, min(start + MAX_COLUMNS, n_cols)) for start in range(0, n_cols, MAX_COLUMNS)
    ]
    width = min(n_cols, MAX_COLUMNS)
    n_rows = len(blocks) * len(table)
    fig = Figure(figsize=(size * width + 0.5, (size + 0.3) * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, width, squeeze=False)
    for b, block in enumerate(blocks):
        for r, (label, images) in enumerate(table.items()):
            lo, hi = ranges[label]
            row = axes[b * len(table) + r]
            for ax in row:
                ax.set_axis_off()
            for ax, column in zip(row, block, strict=False):
                ax.imshow(images[column], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
                ax.set_title(column_titles[column], fontsize=TITLE_SIZE - 1)
            _row_label(row[0], f"{label}\n{lo:.2g} to {hi:.2g}" if say_range else label)
    return fig


def _row_label(ax, text: str) -> None:
    """Write ``text`` as the row label left of ``ax`` (an image axes with its axis off)."""
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_ylabel(text, fontsize=TITLE_SIZE)


def add_scalebar(ax, *, pixel_size_um: float, length_um: float = 1.0, color: str = "white"):
    """Draw a scale bar of ``length_um`` micrometres in the lower right corner of ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes showing an image in pixel coordinates.
    pixel_size_um : float
        Pixel size in micrometres (> 0).
    length_um : float
        Bar length in micrometres (> 0).
    color : str
        Colour of the bar and its label.

    Raises
    ------
    TypeError
        If ``pixel_size_um`` or ``length_um`` is not a number.
    ValueError
        If ``pixel_size_um`` or ``length_um`` is not positive.
    """
    pixel_size_um = as_number(pixel_size_um, "pixel_size_um", low=0, low_open=True)
    length_um = as_number(length_um, "length_um", low=0, low_open=True)
    x0, x1 = sorted(ax.get_xlim())
    y_top, y_bottom = sorted(ax.get_ylim())
    n_px = length_um / pixel_size_um
    x_end = x1 - 0.05 * (x1 - x0)
    y = y_bottom - 0.06 * (y_bottom - y_top)
    ax.plot([x_end - n_px, x_end], [y, y], color=color, lw=3, solid_capstyle="butt")
    ax.text(
        x_end - n_px / 2,
        y - 0.02 * (y_bottom - y_top),
        f"{length_um:g} µm",
        color=color,
        ha="center",
        va="bottom",
        fontsize=10,
    )


def panel_grid(n: int, ncols: int | None, size: float, *, title_space: float = 0.3):
    """Return a figure with ``n`` panels of side ``size`` inches in rows of ``ncols``, axes off.

    Parameters
    ----------
    n : int
        Number of panels (>= 1).
    ncols : int or None
        Panels per row, at most :data:`MAX_COLUMNS`, clipped to ``n`` (None: ``min(n, 3)``).
    size : float
        Side of each panel in inches.
    title_space : float
        Extra height in inches for the panels' titles.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : ndarray of Axes, shape (nrows * ncols,)
        Row by row; the unused ones at the end stay empty.

    Raises
    ------
    ValueError
        If ``ncols`` is more than :data:`MAX_COLUMNS` (wider rows are unreadable at book
        width and on a phone).

    Examples
    --------
    >>> fig, axes = panel_grid(3, 2, 1.0)
    >>> len(axes)
    4
    """
    n = as_int(n, "n", low=1)
    if ncols is None:
        ncols = min(n, MAX_COLUMNS)
    else:
        ncols = max(1, as_int(ncols, "ncols"))
        if ncols > MAX_COLUMNS:
            raise ValueError(
                f"ncols must be at most {MAX_COLUMNS} (panels per row readable at book width "
                f"and on a phone), got {ncols}"
            )
        ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(size * ncols, size * nrows + title_space), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    return fig, axes


# Okabe & Ito's "Color Universal Design" palette (black left out): seven colours that stay
# distinguishable with each common colour-vision deficiency (Wong, Nat. Methods 8, 441 (2011),
# doi:10.1038/nmeth.1618).
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


def label_cmap(n_labels: int, seed: int = 0) -> ListedColormap:
    """Colormap for instance labels: black background, colour-blind-safe colours.

    Parameters
    ----------
    n_labels : int
        Largest label (colours for 1..n_labels).
    seed : int
        Seed of the colour shuffle (same seed, same colours).

    Returns
    -------
    matplotlib.colors.ListedColormap
        ``n_labels + 1`` colours; use with ``vmin=0, vmax=n_labels`` and
        ``interpolation="nearest"``.

    Notes
    -----
    Labels take the seven colours of :data:`OKABE_ITO` in an order shuffled by ``seed``, so
    up to seven labels all differ; beyond seven the colours repeat, in a new shuffled order
    for each group of seven labels.

    StarDist's ``random_label_cmap`` draws random hues instead, which colour-blind readers
    cannot always tell apart; hence this palette.

    Examples
    --------
    >>> label_cmap(3).N
    4
    """
    rng = np.random.default_rng(as_int(seed, "seed"))
    n = max(as_int(n_labels, "n_labels", low=0), 1)
    palette = np.array([to_rgb(colour) for colour in OKABE_ITO])
    order = np.concatenate([rng.permutation(len(palette)) for _ in range(-(-n // len(palette)))])
    return ListedColormap(np.vstack([[0.0, 0.0, 0.0], palette[order[:n]]]))


def crop_box(shape, centre, size: int) -> tuple[slice, slice]:
    """Return the square crop of side ``size`` around ``centre``, moved inside the image.

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(ny, nx)`` in pixels.
    centre : (int, int)
        Wanted centre ``(y, x)`` of the crop, in pixels.
    size : int
        Side of the crop in pixels, ``1 <= size <= min(shape)``.

    Returns
    -------
    (slice, slice)
        Rows and columns of the crop: ``size`` pixels each, starting at
        ``clip(centre - size // 2, 0, n - size)``.

    Raises
    ------
    TypeError
        If ``size`` is not an int.
    ValueError
        If ``size`` does not fit in the image or ``shape``/``centre`` are not pairs.

    Examples
    --------
    >>> crop_box((100, 100), (2, 50), 20)
    (slice(0, 20, None), slice(40, 60, None))
    """
    if len(shape) != 2 or len(centre) != 2:
        raise ValueError(f"shape and centre must be pairs (y, x), got {shape!r} and {centre!r}")
    size = as_int(size, "size")
    if not 1 <= size <= min(shape):
        raise ValueError(f"size must be between 1 and {min(shape)} (the image side), got {size}")
    pairs = zip(centre, shape, strict=True)
    starts = [int(np.clip(int(c) - size // 2, 0, n - size)) for c, n in pairs]
    return tuple(slice(s, s + size) for s in starts)


def plot_history(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    loss_name: str = "mean squared error",
) -> Figure:
    """Plot training and validation loss per epoch for one or more trainings.

    Parameters
    ----------
    histories : mapping of str to dict
        Name to a history with keys ``"loss"`` and ``"val_loss"``, e.g. from
        :func:`decondl.nets.train`, :func:`decondl.restore.train_care` or
        :func:`decondl.segment.train_stardist`.
    loss_name : str
        The loss that was minimised, for the y axis: ``"mean squared error"`` (the default
        of :func:`decondl.nets.train`), ``"mean absolute error"`` (CARE), ...

    Returns
    -------
    matplotlib.figure.Figure
        Loss on a log scale; solid lines validation, dotted lines training.

    Examples
    --------
    >>> fig = plot_history({"net": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}})
    >>> fig.axes[0].get_yscale(), fig.axes[0].get_ylabel()
    ('log', 'mean squared error')
    """
    if not isinstance(loss_name, str):
        raise TypeError(f"loss_name must be a str, got {type(loss_name).__name__}")
    fig = Figure(figsize=(5.5, 3.2), layout="constrained")
    ax = fig.subplots()
    for index, (name, history) in enumerate(histories.items()):
        colour = f"C{index}"
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        ax.plot(epochs, history["val_loss"], color=colour, lw=2, label=f"{name} (validation)")
        ax.plot(epochs, history["loss"], color=colour, lw=1, ls=":", label=f"{name} (training)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(loss_name)
    ax.legend(fontsize=10)
    return fig
