"""Figures of chapters 1 and 2: activations, feature maps, task types, the U-Net, receptive fields.

The numbers come from :mod:`decondl.nets`; these functions only draw them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from decondl import nets
from decondl.plotting.common import MAX_COLUMNS, TITLE_SIZE, label_cmap, panel_grid

__all__ = [
    "plot_activations",
    "plot_feature_maps",
    "plot_receptive_field_maps",
    "plot_receptive_field_vs_psf",
    "plot_task_types",
    "plot_unet_architecture",
]


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
        ax.set_title(name, fontsize=TITLE_SIZE)
        ax.set_ylim(-2.2, 4.2)
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    for ax in axes[-ncols:]:
        ax.set_xlabel("input")
    for ax in axes[::ncols]:
        ax.set_ylabel("output")
    return fig


def plot_feature_maps(
    image, maps: Mapping[str, np.ndarray], *, kernel_name: str, activation: str, pooling: str
) -> Figure:
    """Show one hand-made CNN layer: input, kernel, convolution, activation, pooling.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Input image.
    maps : mapping of str to ndarray
        The layer's maps, as returned by :func:`decondl.nets.feature_maps` (keys
        ``"kernel"``, ``"conv"``, ``"activated"``, ``"pooled"``).
    kernel_name, activation, pooling : str
        The choices that made ``maps`` (for the titles).

    Returns
    -------
    matplotlib.figure.Figure
        Five panels in two rows (three, then two); the kernel panel prints its weights;
        signed maps use a diverging colormap centred on zero.

    Examples
    --------
    >>> import numpy as np
    >>> maps = nets.feature_maps(np.eye(16), "edges (x)", "relu", "max")
    >>> fig = plot_feature_maps(np.eye(16), maps, kernel_name="edges (x)", activation="relu",
    ...                         pooling="max")
    >>> len(fig.axes)
    5
    """
    image = np.asarray(image, dtype=float)
    panels = [
        (image, "input"),
        (maps["kernel"], f"kernel: {kernel_name}"),
        (maps["conv"], "after convolution"),
        (maps["activated"], f"after {activation}"),
        (maps["pooled"], "no pooling" if pooling == "none" else f"after 2x2 {pooling} pooling"),
    ]
    fig, axes = panel_grid(len(panels), MAX_COLUMNS, 2.4)
    fig.delaxes(axes[-1])  # the sixth place of the 2 x 3 grid stays blank
    for index, (ax, (data, title)) in enumerate(zip(axes, panels, strict=False)):
        data = np.asarray(data, dtype=float)
        ax.set_title(title, fontsize=TITLE_SIZE)
        signed = data.min() < 0 < data.max()
        limit = np.abs(data).max() or 1.0
        style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit} if signed else {"cmap": "gray"}
        ax.imshow(data, interpolation="nearest", **style)
        if index == 1:  # the kernel
            for (i, j), w in np.ndenumerate(data):
                ax.text(j, i, f"{w:.2g}", ha="center", va="center", fontsize=TITLE_SIZE, color="k")
        else:
            ny, nx = data.shape
            ax.text(
                0.02,
                0.02,
                f"{ny}x{nx}",
                transform=ax.transAxes,
                fontsize=10,
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
        Two rows of two panels: input, semantic segmentation (a class per pixel: nucleus or
        background); instance segmentation (a distinct label per nucleus), image-to-image
        restoration (the truth).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((8, 8), int); labels[2:5, 2:5] = 1
    >>> len(plot_task_types(labels * 0.5, labels, labels * 1.0).axes)
    4
    """
    labels = np.asarray(labels)
    n = int(labels.max())
    fig, axes = panel_grid(4, 2, 2.9)
    axes[0].imshow(degraded, cmap="gray")
    axes[0].set_title("input: recorded image", fontsize=TITLE_SIZE)
    axes[1].imshow(labels > 0, cmap="gray", interpolation="nearest")
    axes[1].set_title("semantic: nucleus or not", fontsize=TITLE_SIZE)
    axes[2].imshow(labels, cmap=label_cmap(n), vmin=0, vmax=max(n, 1), interpolation="nearest")
    axes[2].set_title(f"instance: {n} nuclei", fontsize=TITLE_SIZE)
    axes[3].imshow(truth, cmap="gray")
    axes[3].set_title("image-to-image: restored", fontsize=TITLE_SIZE)
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

    fig = Figure(figsize=(7.5, 2.0 + 1.1 * (depth + 1)), layout="constrained")
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
    fig.legend(handles=legend, loc="outside lower center", ncols=2, fontsize=10, frameon=False)
    x_lim = (-1.3, x + 0.2)
    y_lim = (level_y[-1] - height(depth) / 2 - 0.3, height(0) / 2 + 0.45)
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    fig.set_size_inches(7.5, 7.5 * (y_lim[1] - y_lim[0]) / (x_lim[1] - x_lim[0]) + 1.4)
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
        One panel per map (rows of at most three) with the bounding box of its nonzero
        pixels (the receptive field) drawn in yellow and its size in the title.

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
    fig, axes = panel_grid(len(panels), None, 2.5)
    for index, (ax, (title, data)) in enumerate(zip(axes, panels, strict=False)):
        data = np.asarray(data, dtype=float)
        positive = data[data > 0]
        if positive.size == 0:
            ax.imshow(data, cmap="magma")
            ax.set_title(f"{title}: empty", fontsize=TITLE_SIZE)
            continue
        top = positive.max()
        low = max(top * 1e-6, positive.min())
        norm = LogNorm(vmin=low if low < top else top / 10, vmax=top)
        cmap = colormaps["magma"].with_extremes(bad="black")  # exact zeros in black
        ax.imshow(np.where(data > 0, data, np.nan), cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(title, fontsize=TITLE_SIZE)
        if psf is not None and index == len(panels) - 1:
            continue
        rows, cols = np.nonzero(data)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        ax.add_patch(
            Rectangle(
                (cols.min() - 0.5, rows.min() - 0.5), width, height, fill=False, ec="yellow", lw=1.2
            )
        )
        ax.set_title(f"{title}: {height} x {width} px", fontsize=TITLE_SIZE)
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
    ax.legend(loc="upper right", fontsize=10, framealpha=0.9)
    verdict = "covers the blur" if rf >= diameter else "too small for the blur"
    ax.set_title(f"{name}\nreceptive field {rf} px: {verdict}", fontsize=TITLE_SIZE)
    ax.set_xlabel("pixels")
    ax.set_ylabel("pixels")
    return fig
