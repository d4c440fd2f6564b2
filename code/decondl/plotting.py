"""Figure helpers of the book: each returns a :class:`matplotlib.figure.Figure`.

The helpers only draw; the numbers they show are computed by tested functions elsewhere
in :mod:`decondl`. Organised by chapter; the widgets in :mod:`decondl.widgets` call them.
Figures are created with :class:`matplotlib.figure.Figure` directly (not ``pyplot``), so
they are never shown twice and never leak memory in a loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from decondl import nets, psf
from decondl._checks import as_bool
from decondl.forward import Microscope

__all__ = [
    "OKABE_ITO",
    "add_scalebar",
    "label_cmap",
    "plot_activations",
    "plot_feature_maps",
    "plot_fwhm_vs_na",
    "plot_image_formation",
    "plot_psf_sections",
    "plot_history",
    "plot_images",
    "plot_receptive_field_maps",
    "plot_receptive_field_vs_psf",
    "plot_rl_iteration",
    "plot_task_types",
    "plot_tuning_curve",
    "plot_unet_architecture",
    "plot_wiener",
]


# --------------------------------------------------------------------------- generic


def plot_images(
    images: Sequence,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    cmap="gray",
    size: float = 2.0,
    vrange: tuple[float, float] | None = None,
    colorbar: bool = False,
    pixel_size_um: float | None = None,
    scalebar_um: float = 2.0,
) -> Figure:
    """Show 2D images side by side (in rows of ``ncols``) without axes.

    Parameters
    ----------
    images : sequence of array_like, each shape (ny, nx)
        The images.
    titles : sequence of str, optional
        One title per image.
    ncols : int, optional
        Images per row (default: all in one row).
    cmap : str or Colormap, or a sequence of them
        Matplotlib colormap, or one per image (e.g. :func:`label_cmap` for labels).
    size : float
        Side of each panel in inches.
    vrange : (float, float), optional
        Common display range; by default each image is scaled to its own range.
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
        If an image is not 2D or the numbers of images and titles differ.

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
    ncols = len(images) if ncols is None else max(1, min(int(ncols), len(images)))
    nrows = -(-len(images) // ncols)
    fig = Figure(
        figsize=(size * ncols, size * nrows + (0.3 if titles else 0)), layout="constrained"
    )
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for index, ax in enumerate(axes):
        ax.set_axis_off()
        if index >= len(images):
            continue
        lo, hi = vrange if vrange is not None else (None, None)
        shown = ax.imshow(
            images[index], cmap=cmaps[index], vmin=lo, vmax=hi, interpolation="nearest"
        )
        if titles is not None:
            ax.set_title(titles[index], fontsize=11)
        if colorbar:
            fig.colorbar(shown, ax=ax, shrink=0.8)
        if pixel_size_um is not None and index == 0:
            add_scalebar(ax, pixel_size_um=pixel_size_um, length_um=scalebar_um)
    return fig


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
    ValueError
        If ``pixel_size_um`` or ``length_um`` is not positive.
    """
    if not pixel_size_um > 0 or not length_um > 0:
        raise ValueError(
            f"pixel_size_um and length_um must be > 0, got {pixel_size_um} and {length_um}"
        )
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
        fontsize=8,
    )


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

    Examples
    --------
    >>> label_cmap(3).N
    4
    """
    from matplotlib.colors import to_rgb

    rng = np.random.default_rng(seed)
    n = max(int(n_labels), 1)
    palette = np.array([to_rgb(colour) for colour in OKABE_ITO])
    order = np.concatenate([rng.permutation(len(palette)) for _ in range(-(-n // len(palette)))])
    return ListedColormap(np.vstack([[0.0, 0.0, 0.0], palette[order[:n]]]))


# --------------------------------------------------------------------------- chapter 1


def plot_activations(x_range: tuple[float, float] = (-4.0, 4.0)) -> Figure:
    """Plot every activation function of :data:`decondl.nets.ACTIVATIONS`.

    Parameters
    ----------
    x_range : (float, float)
        Input range.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per activation, each with the identity line for reference.

    Examples
    --------
    >>> len(plot_activations().axes) == len(nets.ACTIVATIONS)
    True
    """
    x = np.linspace(*x_range, 401)
    names = nets.ACTIVATIONS
    ncols = 3
    nrows = -(-len(names) // ncols)
    fig = Figure(figsize=(7.2, 2.3 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True).ravel()
    for ax, name in zip(axes, names, strict=True):
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(x, x, color="0.75", lw=0.8, ls="--")
        ax.plot(x, nets.activate(x, name), lw=2)
        ax.set_title(name, fontsize=11)
        ax.set_ylim(-2.2, 4.2)
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    for ax in axes[-ncols:]:
        ax.set_xlabel("input")
    for ax in axes[::ncols]:
        ax.set_ylabel("output")
    return fig


def plot_feature_maps(image, kernel_name: str, activation: str = "relu", pooling: str = "max"):
    """Show one hand-made CNN layer: input, kernel, convolution, activation, pooling.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Input image.
    kernel_name, activation, pooling
        See :func:`decondl.nets.feature_maps`.

    Returns
    -------
    matplotlib.figure.Figure
        Five panels; the kernel panel prints its weights; signed maps use a diverging
        colormap centred on zero.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_feature_maps(np.eye(16), "edges (x)")
    >>> len(fig.axes)
    5
    """
    maps = nets.feature_maps(image, kernel_name, activation, pooling)
    image = np.asarray(image, dtype=float)
    fig = Figure(figsize=(11, 2.6), layout="constrained")
    axes = fig.subplots(1, 5)
    panels = [
        (image, "input"),
        (maps["kernel"], f"kernel: {kernel_name}"),
        (maps["conv"], "after convolution"),
        (maps["activated"], f"after {activation}"),
        (maps["pooled"], "no pooling" if pooling == "none" else f"after 2x2 {pooling} pooling"),
    ]
    for ax, (data, title) in zip(axes, panels, strict=True):
        ax.set_axis_off()
        ax.set_title(title, fontsize=11)
        signed = data.min() < 0 < data.max()
        limit = np.abs(data).max() or 1.0
        style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit} if signed else {"cmap": "gray"}
        ax.imshow(data, interpolation="nearest", **style)
        if data is maps["kernel"]:
            for (i, j), w in np.ndenumerate(data):
                ax.text(j, i, f"{w:.2g}", ha="center", va="center", fontsize=11, color="k")
        else:
            ny, nx = data.shape
            ax.text(
                0.02,
                0.02,
                f"{ny}x{nx}",
                transform=ax.transAxes,
                fontsize=9,
                va="bottom",
                bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.5},
            )
    return fig


def plot_task_types(degraded, labels, truth) -> Figure:
    """Show the three kinds of image tasks on one simulated image.

    Parameters
    ----------
    degraded : array_like, shape (ny, nx)
        The recorded (blurred, noisy) image: the network's input.
    labels : array_like of int, shape (ny, nx)
        Instance labels of the truth (0 = background).
    truth : array_like, shape (ny, nx)
        The undegraded image.

    Returns
    -------
    matplotlib.figure.Figure
        Input; semantic segmentation (a class per pixel: nucleus or background); instance
        segmentation (a distinct label per nucleus); image-to-image restoration (the truth).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((8, 8), int); labels[2:5, 2:5] = 1
    >>> len(plot_task_types(labels * 0.5, labels, labels * 1.0).axes)
    4
    """
    labels = np.asarray(labels)
    n = int(labels.max())
    fig = Figure(figsize=(9, 2.6), layout="constrained")
    axes = fig.subplots(1, 4)
    axes[0].imshow(degraded, cmap="gray")
    axes[0].set_title("input: recorded image", fontsize=11)
    axes[1].imshow(labels > 0, cmap="gray", interpolation="nearest")
    axes[1].set_title("semantic: nucleus or not", fontsize=11)
    axes[2].imshow(labels, cmap=label_cmap(n), vmin=0, vmax=max(n, 1), interpolation="nearest")
    axes[2].set_title(f"instance: {n} nuclei", fontsize=11)
    axes[3].imshow(truth, cmap="gray")
    axes[3].set_title("image-to-image: restored", fontsize=11)
    for ax in axes:
        ax.set_axis_off()
    return fig


# --------------------------------------------------------------------------- chapter 2

_CONV, _POOL, _UP, _SKIP = "#1f77b4", "#d62728", "#2ca02c", "0.55"


def plot_unet_architecture(
    input_size: int = 64, depth: int = 3, n_filters: int = 16, convs_per_level: int = 2
) -> Figure:
    """Draw the U-Net of :func:`decondl.nets.unet` with sizes and channels labelled.

    Parameters
    ----------
    input_size : int
        Side of the (square) input image in pixels, divisible by ``2**depth``.
    depth, n_filters, convs_per_level
        As in :func:`decondl.nets.unet`.

    Returns
    -------
    matplotlib.figure.Figure
        Boxes are feature maps (height grows with the image side, width with the number of
        channels, written above each box; pale red: after pooling; green and grey: the
        upsampled maps concatenated with the skipped ones); arrows are layers: convolution
        + activation (blue), 2x2 max pooling (red), 2x2 transposed convolution (green),
        skip connection by concatenation (grey), final 1x1 convolution (black).

    Raises
    ------
    ValueError
        If ``input_size`` is not divisible by ``2**depth``.

    Examples
    --------
    >>> fig = plot_unet_architecture(64, depth=2, n_filters=8)
    >>> fig.axes[0].get_title()
    'U-Net, depth 2: receptive field 44 px'
    """
    shapes = nets.unet_shapes(input_size, depth, n_filters)
    cpl = int(convs_per_level)
    level_y = [-2.4 * level for level in range(depth + 1)]
    top_channels = shapes[-1]["channels"]

    def height(level):
        return 1.9 * (shapes[level]["size"] / input_size) ** 0.5

    def width(channels):
        return 0.12 + 0.5 * np.log2(channels) / np.log2(2 * top_channels)

    fig = Figure(figsize=(10, 2.0 + 1.45 * (depth + 1)), layout="constrained")
    ax = fig.subplots()
    boxes = []  # (x_left, width, level, channels, kind)
    x = 0.0
    gap = 0.5

    def add(level, channels, kind="feature"):
        nonlocal x
        w = width(channels)
        boxes.append((x, w, level, channels, kind))
        x += w + gap
        return len(boxes) - 1

    def arrow(a, b, colour, *, style="-|>", ls="-"):
        ax.add_patch(
            FancyArrowPatch(
                a,
                b,
                arrowstyle=style,
                mutation_scale=12,
                color=colour,
                lw=1.4,
                linestyle=ls,
                shrinkA=0,
                shrinkB=0,
            )
        )

    def right(i):
        x0, w, level, *_ = boxes[i]
        return x0 + w, level_y[level]

    def left(i):
        x0, _, level, *_ = boxes[i]
        return x0, level_y[level]

    sequence = [add(0, 1, "input")]
    skips = {}
    for level in range(depth + 1):
        if level > 0:  # 2x2 max pooling: same channels, half the size, one level down
            skips[level - 1] = sequence[-1]
            x -= gap * 0.6
            sequence.append(add(level, shapes[level - 1]["channels"], "pooled"))
            x0, w, *_ = boxes[sequence[-2]]
            xb, *_ = boxes[sequence[-1]]
            arrow(
                (x0 + w, level_y[level - 1] - height(level - 1) / 2),
                (xb, level_y[level] + height(level) / 2),
                _POOL,
            )
        for _ in range(cpl):
            sequence.append(add(level, shapes[level]["channels"]))
            arrow(right(sequence[-2]), left(sequence[-1]), _CONV)
    for level in reversed(range(depth)):
        x -= gap * 0.6
        up = add(level, shapes[level]["concat_channels"], "concat")
        x0, w, *_ = boxes[sequence[-1]]
        xu, *_ = boxes[up]
        arrow(
            (x0 + w, level_y[level + 1] + height(level + 1) / 2),
            (xu, level_y[level] - height(level) / 2),
            _UP,
        )
        arrow(right(skips[level]), left(up), _SKIP, ls="--")
        sequence.append(up)
        for _ in range(cpl):
            sequence.append(add(level, shapes[level]["channels"]))
            arrow(right(sequence[-2]), left(sequence[-1]), _CONV)
    sequence.append(add(0, 1, "output"))
    arrow(right(sequence[-2]), left(sequence[-1]), "k")

    for x0, w, level, channels, kind in boxes:
        h = height(level)
        y0 = level_y[level] - h / 2
        if kind == "concat":
            ax.add_patch(Rectangle((x0, y0), w / 2, h, fc="#b5e3b5", ec="k", lw=0.8))
            ax.add_patch(Rectangle((x0 + w / 2, y0), w / 2, h, fc="0.85", ec="k", lw=0.8))
        else:
            colour = {"input": "0.3", "output": "#f2c14e", "pooled": "#f4b6b6"}.get(kind, "#aec7e8")
            ax.add_patch(Rectangle((x0, y0), w, h, fc=colour, ec="k", lw=0.8))
        ax.text(x0 + w / 2, y0 + h + 0.08, str(channels), ha="center", va="bottom", fontsize=10)
    for level, shape in enumerate(shapes):
        x0 = min(b[0] for b in boxes if b[2] == level)
        size = shape["size"]
        ax.text(x0 - 0.15, level_y[level], f"{size}x{size}", ha="right", va="center", fontsize=11)

    legend = [
        Line2D([], [], color=colour, lw=2, ls=ls, label=text)
        for colour, ls, text in [
            (_CONV, "-", "3x3 convolution + ReLU"),
            (_POOL, "-", "2x2 max pooling (size / 2)"),
            (_UP, "-", "2x2 transposed convolution (size x 2)"),
            (_SKIP, "--", "skip connection (concatenate)"),
            ("k", "-", "1x1 convolution (output)"),
        ]
    ]
    ax.legend(handles=legend, loc="lower right", fontsize=10, frameon=False)
    x_lim = (-1.3, x + 0.2)
    y_lim = (level_y[-1] - height(depth) / 2 - 0.3, height(0) / 2 + 0.45)
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    fig.set_size_inches(10, 10 * (y_lim[1] - y_lim[0]) / (x_lim[1] - x_lim[0]) + 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    rf = nets.receptive_field(nets.unet_layers(depth, 3, cpl))
    ax.set_title(f"U-Net, depth {depth}: receptive field {rf} px", fontsize=13)
    return fig


def _centre_on_canvas(image: np.ndarray, shape) -> np.ndarray:
    """Paste ``image`` centred onto zeros of ``shape`` (cropping it if larger)."""
    canvas = np.zeros(shape)
    dst, src = [], []
    for n_img, n_can in zip(image.shape, shape, strict=True):
        start = (n_can - n_img) // 2
        length = min(n_img, n_can)
        dst.append(slice(max(start, 0), max(start, 0) + length))
        src.append(slice(max(-start, 0), max(-start, 0) + length))
    canvas[tuple(dst)] = image[tuple(src)]
    return canvas


def plot_receptive_field_maps(
    maps: Mapping[str, np.ndarray], *, psf=None, psf_title: str = "blur (PSF)"
) -> Figure:
    """Show measured receptive fields (gradient magnitude maps) on a log scale.

    Parameters
    ----------
    maps : mapping of str to ndarray, each shape (ny, nx)
        Title to map, e.g. from :func:`decondl.nets.empirical_receptive_field`; all the
        same shape.
    psf : ndarray, optional
        A PSF to show in the same pixel scale (centred on a canvas of the maps' shape).
    psf_title : str
        Title of the PSF panel.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per map with the bounding box of its nonzero pixels (the receptive
        field) drawn in yellow and its size in the title.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((9, 9)); m[3:6, 3:6] = 1.0
    >>> plot_receptive_field_maps({"toy": m}).axes[0].get_title()
    'toy: 3 x 3 px'
    """
    panels = list(maps.items())
    shape = np.shape(panels[0][1])
    if psf is not None:
        canvas = _centre_on_canvas(np.asarray(psf, dtype=float), shape)
        panels.append((psf_title, canvas))
    fig = Figure(figsize=(2.8 * len(panels), 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for index, (ax, (title, data)) in enumerate(zip(axes, panels, strict=True)):
        data = np.asarray(data, dtype=float)
        positive = data[data > 0]
        ax.set_axis_off()
        if positive.size == 0:
            ax.imshow(data, cmap="magma")
            ax.set_title(f"{title}: empty", fontsize=11)
            continue
        top = positive.max()
        low = max(top * 1e-6, positive.min())
        norm = LogNorm(vmin=low if low < top else top / 10, vmax=top)
        cmap = colormaps["magma"].with_extremes(bad="black")  # exact zeros in black
        ax.imshow(np.where(data > 0, data, np.nan), cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(title, fontsize=11)
        if psf is not None and index == len(panels) - 1:
            continue
        rows, cols = np.nonzero(data)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        ax.add_patch(
            Rectangle(
                (cols.min() - 0.5, rows.min() - 0.5), width, height, fill=False, ec="yellow", lw=1.2
            )
        )
        ax.set_title(f"{title}: {height} x {width} px", fontsize=11)
    return fig


def plot_receptive_field_vs_psf(
    layers, sigma_px: float, *, name: str = "network", fraction: float = 0.99
) -> Figure:
    """Compare a network's receptive field with the spread of a Gaussian blur.

    Parameters
    ----------
    layers : sequence of (str, int)
        Layer list (see :func:`decondl.nets.receptive_field`).
    sigma_px : float
        Standard deviation of the Gaussian PSF in pixels.
    name : str
        Name of the network for the title.
    fraction : float
        Fraction of the blurred light the drawn circle holds
        (:func:`decondl.nets.blur_extent_px`).

    Returns
    -------
    matplotlib.figure.Figure
        The PSF image, the circle holding ``fraction`` of its light, and the receptive
        field as a square centred on the same pixel; the title tells whether the
        receptive field covers the blur.

    Examples
    --------
    >>> fig = plot_receptive_field_vs_psf(nets.shallow_cnn_layers(4), 7.0)
    >>> "9 px" in fig.axes[0].get_title()
    True
    """
    rf = nets.receptive_field(layers)
    diameter = nets.blur_extent_px(sigma_px, fraction)
    half = int(np.ceil(max(rf, diameter) / 2 * 1.15)) + 2
    coords = np.linspace(-half, half, min(2 * half + 1, 501))  # at most 501 samples a side
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    psf = np.exp(-(yy**2 + xx**2) / (2 * sigma_px**2))
    fig = Figure(figsize=(4.6, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.imshow(
        psf / psf.max(), cmap="gray", extent=(-half - 0.5, half + 0.5, half + 0.5, -half - 0.5)
    )
    ax.add_patch(
        Circle(
            (0, 0),
            diameter / 2,
            fill=False,
            ec="#ff7f0e",
            lw=2,
            ls="--",
            label=f"{fraction:.0%} of the blurred light: {diameter:.0f} px",
        )
    )
    ax.add_patch(
        Rectangle(
            (-rf / 2, -rf / 2),
            rf,
            rf,
            fill=False,
            ec="#17becf",
            lw=2,
            label=f"receptive field: {rf} px",
        )
    )
    ax.legend(loc="upper right", fontsize=9, framealpha=0.9)
    verdict = "covers the blur" if rf >= diameter else "too small for the blur"
    ax.set_title(f"{name}\nreceptive field {rf} px: {verdict}", fontsize=11)
    ax.set_xlabel("pixels")
    ax.set_ylabel("pixels")
    return fig


def plot_history(histories: Mapping[str, Mapping[str, Sequence[float]]]) -> Figure:
    """Plot training and validation loss per epoch for one or more trainings.

    Parameters
    ----------
    histories : mapping of str to dict
        Name to a history from :func:`decondl.nets.train` (keys ``"loss"``, ``"val_loss"``).

    Returns
    -------
    matplotlib.figure.Figure
        Loss on a log scale; solid lines validation, dotted lines training.

    Examples
    --------
    >>> fig = plot_history({"net": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}})
    >>> fig.axes[0].get_yscale()
    'log'
    """
    fig = Figure(figsize=(5.5, 3.2), layout="constrained")
    ax = fig.subplots()
    for index, (name, history) in enumerate(histories.items()):
        colour = f"C{index}"
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        ax.plot(epochs, history["val_loss"], color=colour, lw=2, label=f"{name} (validation)")
        ax.plot(epochs, history["loss"], color=colour, lw=1, ls=":", label=f"{name} (training)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------- chapter 3


def plot_fwhm_vs_na(
    nas: Sequence[float],
    wavelengths_um: Sequence[float],
    *,
    pixel_size_um: float = 0.02,
    size_px: int = 101,
) -> Figure:
    r"""Plot the measured FWHM of the Airy PSF against NA, for several wavelengths.

    The FWHM is measured on :func:`decondl.psf.airy_psf` with :func:`decondl.psf.fwhm_px`
    (points) and compared with :math:`0.51\,\lambda/\mathrm{NA}` (lines).

    Parameters
    ----------
    nas : sequence of float
        Numerical apertures.
    wavelengths_um : sequence of float
        Emission wavelengths in micrometres.
    pixel_size_um : float, optional
        Pixel size used to sample the PSF (fine, so that the measurement is accurate).
    size_px : int, optional
        Odd PSF size in pixels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    na_line = np.linspace(min(nas), max(nas), 100)
    colors = {0.45: "tab:blue", 0.52: "tab:green", 0.65: "tab:red"}
    for wavelength in wavelengths_um:
        fwhm = [
            psf.fwhm_px(
                psf.airy_psf(
                    (size_px, size_px), wavelength_um=wavelength, na=na, pixel_size_um=pixel_size_um
                )
            )
            * pixel_size_um
            for na in nas
        ]
        color = colors.get(round(wavelength, 2))
        ax.plot(
            nas, np.array(fwhm) * 1000, "o", color=color, label=f"λ = {wavelength * 1000:.0f} nm"
        )
        ax.plot(na_line, 0.51 * wavelength / na_line * 1000, "-", color=color, alpha=0.6)
    ax.set_xlabel("numerical aperture NA")
    ax.set_ylabel("FWHM of the PSF (nm)")
    ax.legend(title="points: measured\nlines: 0.51 λ/NA", fontsize=8, title_fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_psf_sections(psf3d: np.ndarray, *, pixel_size_um: float, z_step_um: float) -> Figure:
    """Show the central xy and xz sections of a 3D PSF on a logarithmic scale.

    Parameters
    ----------
    psf3d : ndarray, shape (nz, ny, nx)
        Centred 3D PSF.
    pixel_size_um, z_step_um : float
        Lateral pixel size and axial step in micrometres (for the axes' aspect ratio).

    Returns
    -------
    matplotlib.figure.Figure
    """
    psf3d = np.asarray(psf3d, dtype=float)
    if psf3d.ndim != 3:
        raise ValueError(f"psf3d must be 3D (nz, ny, nx), got shape {psf3d.shape}")
    cz, cy, _ = (s // 2 for s in psf3d.shape)
    floor = psf3d.max() * 1e-4
    xy = np.log10(np.maximum(psf3d[cz], floor))
    xz = np.log10(np.maximum(psf3d[:, cy, :], floor))
    nz, ny, nx = psf3d.shape
    fig = Figure(figsize=(7.5, 3.4), layout="constrained")
    ax_xy, ax_xz = fig.subplots(1, 2)
    half_x = nx * pixel_size_um / 2
    half_z = nz * z_step_um / 2
    for ax, data, extent, title in (
        (ax_xy, xy, (-half_x, half_x, -half_x, half_x), "xy section (in focus)"),
        (ax_xz, xz, (-half_x, half_x, -half_z, half_z), "xz section (along the optical axis)"),
    ):
        im = ax.imshow(data, cmap="magma", extent=extent, origin="lower", interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("x (µm)")
    ax_xy.set_ylabel("y (µm)")
    ax_xz.set_ylabel("z (µm)")
    fig.colorbar(im, ax=[ax_xy, ax_xz], label="log10 of the PSF (relative)", shrink=0.8)
    return fig


def plot_image_formation(truth: np.ndarray, scope: Microscope, *, rng) -> Figure:
    """Show the truth, the PSF and the simulated acquisition of one microscope setting.

    Taught in chapter 3; the pure function behind
    :func:`decondl.widgets.image_formation_explorer`.

    Parameters
    ----------
    truth : ndarray, shape (ny, nx)
        Ground truth in [0, 1].
    scope : decondl.forward.Microscope
        Optics and camera settings.
    rng : numpy.random.Generator or int
        Noise source.

    Returns
    -------
    matplotlib.figure.Figure
    """
    kernel = scope.psf()
    image = scope.acquire(truth, rng=rng, psf=kernel)
    fwhm_nm = psf.fwhm_px(kernel) * scope.pixel_size_um * 1000
    fig = plot_images(
        [truth, kernel, image],
        [
            "ground truth",
            f"PSF, enlarged (FWHM {fwhm_nm:.0f} nm)",
            f"acquisition ({scope.photons:g} photons, read noise {scope.read_noise:g} e⁻)",
        ],
        cmap="magma",
        size=3.0,
        pixel_size_um=scope.pixel_size_um,
    )
    return fig


# --------------------------------------------------------------------------- chapter 4


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
    ax.legend(fontsize=8)
    return fig


def plot_wiener(image, psf_array, truth, balance: float, *, crop=None) -> Figure:
    """Wiener-filter ``image`` with ``balance`` and show it next to the input and the truth.

    The pure function behind :func:`decondl.widgets.wiener_explorer` (chapter 4).

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Acquisition in the truth's units (see :func:`decondl.forward.to_truth_units`).
    psf_array : ndarray, shape (py, px)
        The PSF.
    truth : ndarray, shape (ny, nx)
        Ground truth, for the PSNR in the titles.
    balance : float
        Wiener regularisation (>= 0), see :func:`decondl.deconvolve.wiener`.
    crop : tuple of slice, optional
        Region to show (the PSNR is computed on the whole image).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from decondl import deconvolve, metrics

    restored = deconvolve.wiener(image, psf_array, balance)
    crop = (slice(None), slice(None)) if crop is None else crop
    return plot_images(
        [image[crop], restored[crop], truth[crop]],
        [
            f"acquisition ({metrics.psnr(truth, image):.1f} dB)",
            f"Wiener, balance {balance:.2g} ({metrics.psnr(truth, restored):.1f} dB)",
            "ground truth",
        ],
        cmap="magma",
        size=3.0,
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


# --------------------------------------------------------------------------- chapter 6


def _outline_rgb(image, labels, *, vrange=None, seed: int = 0) -> np.ndarray:
    """Grey image with the outlines of ``labels`` drawn in label colours (RGB, floats)."""
    from skimage.segmentation import find_boundaries

    image = np.asarray(image, dtype=float)
    labels = np.asarray(labels)
    lo, hi = vrange if vrange is not None else np.percentile(image, [1, 99.8])
    grey = np.clip((image - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    rgb = np.repeat(grey[..., None], 3, axis=-1)
    n = int(labels.max()) if labels.size else 0
    if n:
        edges = find_boundaries(labels, mode="inner")
        colours = label_cmap(n, seed=seed)(labels)[..., :3]
        rgb[edges] = colours[edges]
    return rgb


def plot_label_overlays(
    image, labels: Mapping[str, np.ndarray], *, ncols: int | None = None, size: float = 3.0
) -> Figure:
    """Show instance labels of several methods as coloured outlines on the same image.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The image to draw on (grey, scaled to its 1st-99.8th percentiles).
    labels : mapping of str to array_like of int, each shape (ny, nx)
        Title -> instance labels (0 = background); each panel shows the object count.
    ncols : int, optional
        Panels per row (default: all in one row).
    size : float
        Side of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If no labels are given or a label image does not have the image's shape.

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
        panels.append(_outline_rgb(image, lab))
        titles.append(f"{name}: {len(np.unique(lab[lab > 0]))}")
    ncols = len(panels) if ncols is None else max(1, min(int(ncols), len(panels)))
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(size * ncols, size * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, panel, title in zip(axes, panels, titles, strict=False):
        ax.imshow(panel, interpolation="nearest")
        ax.set_title(title, fontsize=10)
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
    ax.legend(fontsize=9)
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
    ax_img.set_title(f"{len(rays)} rays and the polygon", fontsize=10)
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
    ax_prob.set_title("object probability", fontsize=10)
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
    fig = Figure(figsize=(9.6, 3.3), layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=[1, 1, 1.1])
    for ax, lab, title in ((axes[0], labels, "predicted"), (axes[1], truth_labels, "truth")):
        ax.imshow(_outline_rgb(image, lab), interpolation="nearest")
        ax.set_title(f"{title}: {len(np.unique(lab[lab > 0]))} objects", fontsize=10)
        ax.set_axis_off()
    taus = sorted(scores)
    axes[2].bar([f"{t:g}" for t in taus], [scores[t] for t in taus], color="tab:blue")
    axes[2].set_ylim(0, 1)
    axes[2].set_xlabel("IoU threshold")
    axes[2].set_ylabel("average precision")
    return fig


__all__ += [
    "plot_ap_curves",
    "plot_label_overlays",
    "plot_star_convex",
    "plot_threshold_result",
]


# --------------------------------------------------------------------------- chapter 5


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
    ValueError
        If ``size`` does not fit in the image or ``shape``/``centre`` are not pairs.

    Examples
    --------
    >>> crop_box((100, 100), (2, 50), 20)
    (slice(0, 20, None), slice(40, 60, None))
    """
    if len(shape) != 2 or len(centre) != 2:
        raise ValueError(f"shape and centre must be pairs (y, x), got {shape!r} and {centre!r}")
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise TypeError(f"size must be an int, got {type(size).__name__}")
    if not 1 <= size <= min(shape):
        raise ValueError(f"size must be between 1 and {min(shape)} (the image side), got {size}")
    pairs = zip(centre, shape, strict=True)
    starts = [int(np.clip(int(c) - size // 2, 0, n - size)) for c, n in pairs]
    return tuple(slice(s, s + int(size)) for s in starts)


def plot_method_crops(
    images: Mapping[str, np.ndarray],
    *,
    centre,
    size: int,
    truth=None,
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
        Ground truth: shown as the last crop, and every title gets the PSNR of the whole image
        against it (:func:`decondl.metrics.psnr`).
    vrange : (float, float)
        Common grey range of all panels.
    panel_size : float
        Side of each panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(images) + 1`` panels, plus one for ``truth``.

    Raises
    ------
    ValueError
        If ``images`` is empty or the images do not all have the truth's 2D shape.

    Examples
    --------
    >>> im = np.zeros((32, 32))
    >>> fig = plot_method_crops({"a": im, "b": im}, centre=(16, 16), size=8)
    >>> len(fig.axes)
    3
    """
    from decondl import metrics

    images = {name: np.asarray(im) for name, im in images.items()}
    if not images:
        raise ValueError("images must contain at least one image")
    shapes = {im.shape for im in images.values()}
    if truth is not None:
        truth = np.asarray(truth)
        shapes.add(truth.shape)
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"images (and truth) must all be 2D of one shape, got {sorted(shapes)}")
    rows, cols = crop_box(next(iter(shapes)), centre, size)
    panels, titles = [next(iter(images.values()))], ["whole image"]
    for name, im in images.items():
        panels.append(im[rows, cols])
        score = f"\n{metrics.psnr(truth, im):.1f} dB" if truth is not None else ""
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


__all__ += ["crop_box", "plot_method_crops"]
