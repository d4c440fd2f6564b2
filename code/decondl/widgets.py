"""Interactive controls of the book (ipywidgets), organised by chapter.

This module only wires controls to pure, tested functions: the computations live in
:mod:`decondl.nets` (and the other computational modules), the figures in
:mod:`decondl.plotting`. Each function returns a widget to display as the last line of a
notebook cell. In the static web page widgets do not run, so every chapter also shows the
figure of the default values.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from IPython import get_ipython
from IPython.display import display

from decondl import nets, plotting
from decondl.forward import Microscope

__all__ = [
    "feature_map_explorer",
    "image_formation_explorer",
    "receptive_field_explorer",
    "rl_explorer",
    "wiener_explorer",
]


def _panel(controls: dict, draw) -> widgets.VBox:
    """Lay the controls out in a row above an output area redrawn by ``draw(**values)``."""
    output = widgets.Output()

    def redraw(change=None):
        figure = draw(**{name: control.value for name, control in controls.items()})
        if get_ipython() is None:  # outside a notebook there is nothing to draw into
            return
        with output:
            output.clear_output(wait=True)
            display(figure)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox(list(controls.values())), output])
    box.controls = controls  # for tests and for readers who want to set values in code
    return box


# --------------------------------------------------------------------------- chapter 1


def feature_map_explorer(image, *, kernel_name="edges (x)", activation="relu", pooling="max"):
    """Pick a kernel, an activation and a pooling; see the feature maps of one CNN layer.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The input image.
    kernel_name, activation, pooling : str
        Initial choices (see :func:`decondl.nets.feature_maps`).

    Returns
    -------
    ipywidgets.VBox
        Three drop-downs (``box.controls["kernel_name"]``, ``["activation"]``,
        ``["pooling"]``) above :func:`decondl.plotting.plot_feature_maps`.

    Raises
    ------
    ValueError
        If ``image`` is not 2D or an initial choice is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> box = feature_map_explorer(np.eye(16))
    >>> sorted(box.controls)
    ['activation', 'kernel_name', 'pooling']
    """
    image = np.asarray(image, dtype=float)
    nets.feature_maps(image, kernel_name, activation, pooling)  # validates the choices
    style = {"description_width": "initial"}
    controls = {
        "kernel_name": widgets.Dropdown(
            options=nets.KERNEL_NAMES, value=kernel_name, description="kernel", style=style
        ),
        "activation": widgets.Dropdown(
            options=nets.ACTIVATIONS, value=activation, description="activation", style=style
        ),
        "pooling": widgets.Dropdown(
            options=[*nets.POOLINGS, "none"], value=pooling, description="pooling", style=style
        ),
    }
    return _panel(controls, lambda **v: plotting.plot_feature_maps(image, **v))


# --------------------------------------------------------------------------- chapter 2

#: Architectures offered by :func:`receptive_field_explorer`.
ARCHITECTURES = ("shallow CNN", "U-Net")


def _layers(architecture: str, depth: int, kernel_size: int):
    if architecture == "shallow CNN":
        return nets.shallow_cnn_layers(depth, kernel_size)
    return nets.unet_layers(depth, kernel_size)


def receptive_field_explorer(
    *, architecture="U-Net", depth=3, kernel_size=3, sigma_px=7.0, max_depth=12
):
    """Compare the receptive field of a network with the size of a Gaussian blur.

    Parameters
    ----------
    architecture : {"shallow CNN", "U-Net"}
        Initial network type.
    depth : int
        Initial depth: number of convolution layers of the shallow CNN, or number of
        poolings of the U-Net.
    kernel_size : {3, 5, 7}
        Initial convolution kernel side.
    sigma_px : float
        Initial standard deviation of the blur in pixels.
    max_depth : int
        Largest depth offered by the slider.

    Returns
    -------
    ipywidgets.VBox
        Controls ``architecture``, ``depth``, ``kernel_size``, ``sigma_px`` above
        :func:`decondl.plotting.plot_receptive_field_vs_psf`.

    Raises
    ------
    ValueError
        If an initial value is out of range.

    Examples
    --------
    >>> box = receptive_field_explorer(architecture="shallow CNN", depth=4)
    >>> box.controls["depth"].value
    4
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {list(ARCHITECTURES)}, got {architecture!r}")
    if kernel_size not in (3, 5, 7):
        raise ValueError(f"kernel_size must be 3, 5 or 7, got {kernel_size!r}")
    if not 1 <= depth <= max_depth:
        raise ValueError(f"depth must be in [1, {max_depth}], got {depth!r}")
    if not 0.5 <= sigma_px <= 15:
        raise ValueError(f"sigma_px must be in [0.5, 15] pixels, got {sigma_px!r}")
    style = {"description_width": "initial"}
    controls = {
        "architecture": widgets.ToggleButtons(options=ARCHITECTURES, value=architecture),
        "depth": widgets.IntSlider(
            value=depth, min=1, max=max_depth, description="depth", style=style
        ),
        "kernel_size": widgets.Dropdown(
            options=[3, 5, 7], value=kernel_size, description="kernel", style=style
        ),
        "sigma_px": widgets.FloatSlider(
            value=sigma_px, min=0.5, max=15.0, step=0.5, description="blur sigma (px)", style=style
        ),
    }

    def draw(architecture, depth, kernel_size, sigma_px):
        layers = _layers(architecture, depth, kernel_size)
        name = f"{architecture}, depth {depth}, {kernel_size}x{kernel_size} kernels"
        return plotting.plot_receptive_field_vs_psf(layers, sigma_px, name=name)

    return _panel(controls, draw)


# --------------------------------------------------------------------------- chapter 3


def image_formation_explorer(truth, *, seed: int = 0):
    """Sliders for NA, wavelength, photons and read noise, drawing the image-formation figure.

    Parameters
    ----------
    truth : array_like, shape (ny, nx)
        Ground truth in [0, 1].
    seed : int
        Seed of the noise, the same for every slider position so that only the settings change.

    Returns
    -------
    ipywidgets.VBox
        The controls (also in ``box.controls``) above the figure. The defaults are those of
        :class:`decondl.forward.Microscope`.
    """
    scope = Microscope()
    style = {"description_width": "8em"}
    controls = {
        "na": widgets.FloatSlider(
            value=scope.na, min=0.3, max=1.4, step=0.05, description="NA", style=style
        ),
        "wavelength_um": widgets.FloatSlider(
            value=scope.wavelength_um,
            min=0.40,
            max=0.70,
            step=0.01,
            description="wavelength (µm)",
            style=style,
        ),
        "photons": widgets.FloatLogSlider(
            value=scope.photons,
            base=10,
            min=0.5,
            max=4,
            step=0.1,
            description="photons",
            style=style,
        ),
        "read_noise": widgets.FloatSlider(
            value=scope.read_noise,
            min=0.0,
            max=10.0,
            step=0.5,
            description="read noise (e⁻)",
            style=style,
        ),
    }

    def draw(**settings):
        microscope = Microscope(**{**scope.__dict__, **settings})
        return plotting.plot_image_formation(truth, microscope, rng=np.random.default_rng(seed))

    return _panel(controls, draw)


# --------------------------------------------------------------------------- chapter 4


def wiener_explorer(image, psf, truth, *, balance: float = 1e-2, crop=None):
    """Show a logarithmic ``balance`` slider over :func:`plotting.plot_wiener`.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Acquisition in the truth's units.
    psf : array_like
        The PSF.
    truth : array_like, shape (ny, nx)
        Ground truth.
    balance : float
        Initial value of the slider (between 1e-5 and 10).
    crop : tuple of slice, optional
        Region to show.

    Returns
    -------
    ipywidgets.VBox
    """
    if not 1e-5 <= balance <= 10:
        raise ValueError(f"balance must be in [1e-5, 10], got {balance}")
    controls = {
        "balance": widgets.FloatLogSlider(
            value=balance, base=10, min=-5, max=1, step=0.25, description="balance"
        )
    }
    return _panel(
        controls, lambda balance: plotting.plot_wiener(image, psf, truth, balance, crop=crop)
    )


def rl_explorer(history, truth, *, scores=None, iteration: int | None = None):
    """Show an iteration slider over stored Richardson-Lucy estimates.

    Parameters
    ----------
    history : Mapping[int, ndarray]
        Estimates by iteration number.
    truth : array_like
        Ground truth.
    scores : Mapping[int, float], optional
        PSNR by iteration, shown in the title.
    iteration : int, optional
        Initial iteration (a key of ``history``; default: the smallest).

    Returns
    -------
    ipywidgets.VBox
    """
    stored = sorted(history)
    if not stored:
        raise ValueError("history is empty")
    iteration = stored[0] if iteration is None else iteration
    if iteration not in history:
        raise ValueError(f"iteration {iteration} was not stored; stored: {stored}")
    controls = {
        "iteration": widgets.SelectionSlider(
            options=stored, value=iteration, description="iterations"
        )
    }
    return _panel(
        controls,
        lambda iteration: plotting.plot_rl_iteration(history, truth, iteration, scores=scores),
    )


# --------------------------------------------------------------------------- chapter 6


def stardist_threshold_explorer(
    image,
    prob,
    dist,
    truth_labels,
    *,
    grid=(1, 1),
    prob_thresh: float = 0.5,
    nms_thresh: float = 0.4,
):
    """Sliders for StarDist's probability and NMS thresholds on stored network outputs.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The input image.
    prob, dist : array_like
        Network outputs for ``image`` (see :func:`decondl.segment.stardist_outputs`).
    truth_labels : array_like of int, shape (ny, nx)
        True instance labels, for the AP.
    grid : (int, int)
        The model's output grid.
    prob_thresh, nms_thresh : float
        Initial slider values (e.g. the model's tuned thresholds).

    Returns
    -------
    ipywidgets.VBox
        The controls (also in ``box.controls``) above the figure of
        :func:`decondl.plotting.plot_threshold_result`.
    """
    from decondl import metrics, segment

    style = {"description_width": "8em"}
    controls = {
        "prob_thresh": widgets.FloatSlider(
            value=prob_thresh,
            min=0.05,
            max=0.95,
            step=0.05,
            description="probability",
            style=style,
        ),
        "nms_thresh": widgets.FloatSlider(
            value=nms_thresh,
            min=0.0,
            max=0.9,
            step=0.05,
            description="NMS overlap",
            style=style,
        ),
    }

    def draw(prob_thresh, nms_thresh):
        labels = segment.labels_from_outputs(
            prob,
            dist,
            np.shape(image),
            grid=grid,
            prob_thresh=prob_thresh,
            nms_thresh=nms_thresh,
        )
        scores = metrics.average_precision(truth_labels, labels)
        return plotting.plot_threshold_result(image, labels, truth_labels, scores)

    return _panel(controls, draw)


__all__ += ["stardist_threshold_explorer"]


# --------------------------------------------------------------------------- chapter 5


def restoration_explorer(results, truths, *, index: int = 0, centre=None, size: int = 48):
    """Sliders for the test image and the crop, comparing restorations side by side.

    Parameters
    ----------
    results : mapping of str to ndarray, each shape (n, ny, nx)
        Method name to precomputed restorations of ``n`` test images, in the truth's units
        (e.g. from :func:`decondl.restore.restore_all`); nothing is recomputed.
    truths : ndarray, shape (n, ny, nx)
        The ground truths.
    index : int
        Initial test image.
    centre : (int, int), optional
        Initial crop centre ``(y, x)`` (default: the image centre).
    size : int
        Initial crop side in pixels.

    Returns
    -------
    ipywidgets.VBox
        Sliders ``box.controls["index"]``, ``["y"]``, ``["x"]``, ``["size"]`` above
        :func:`decondl.plotting.plot_method_crops`.

    Raises
    ------
    ValueError
        If the stacks do not all have the truths' shape.
    """
    truths = np.asarray(truths)
    stacks = {name: np.asarray(stack) for name, stack in results.items()}
    if truths.ndim != 3 or any(s.shape != truths.shape for s in stacks.values()):
        raise ValueError(
            f"results must hold stacks of the truths' shape (n, ny, nx) = {truths.shape}"
        )
    n, ny, nx = truths.shape
    cy, cx = (ny // 2, nx // 2) if centre is None else centre
    controls = {
        "index": widgets.IntSlider(value=index, min=0, max=n - 1, description="test image"),
        "y": widgets.IntSlider(value=cy, min=0, max=ny - 1, description="crop y"),
        "x": widgets.IntSlider(value=cx, min=0, max=nx - 1, description="crop x"),
        "size": widgets.IntSlider(
            value=size, min=8, max=min(ny, nx), step=8, description="crop side"
        ),
    }

    def draw(index, y, x, size):
        images = {name: stack[index] for name, stack in stacks.items()}
        return plotting.plot_method_crops(images, centre=(y, x), size=size, truth=truths[index])

    return _panel(controls, draw)


__all__ += ["restoration_explorer"]
