"""Interactive controls of the book (ipywidgets), organised by chapter.

Each ``*_explorer`` returns a widget to display as the last line of a notebook cell; it only
wires controls to a pure, tested function that computes with :mod:`decondl`'s computing
modules (:mod:`decondl.nets`, :mod:`decondl.deconvolve`, :mod:`decondl.metrics` ...) and
draws with :mod:`decondl.plotting`, which only draws. Those ``*_figure`` functions are public:
in the static web page widgets do not run, so every chapter shows the figure of the default
values by calling the same function.

In the book build (``DECONDL_BOOK_BUILD=1``) an explorer returns instead the same drawing
precomputed over its controls' values (:func:`decondl.demos.precompute`): a control that
moves in the published page without a kernel, whose first view is the widget's default.
Each drawing comes with the numbers shown next to it (a PSNR, an AP, a size).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from IPython import get_ipython
from IPython.display import display

from decondl import demos, nets, plotting
from decondl._checks import as_choice, as_int, as_number, as_rng
from decondl.forward import Microscope

__all__ = [
    "feature_map_explorer",
    "feature_maps_figure",
    "image_formation_explorer",
    "image_formation_figure",
    "receptive_field_explorer",
    "rl_explorer",
    "wiener_explorer",
    "wiener_figure",
]


def _panel(controls: dict, draw, *, alt: str, max_values: int = 9, values=None, **page):
    """Wire ``controls`` to ``draw(**values)``: a figure (or a list of them) and its numbers.

    In the book build: :func:`decondl.demos.precompute` of ``draw`` over the controls' values
    (at most ``max_values`` each, or ``values[name]``; ``page`` goes to it, e.g. ``mode``).
    """

    def precomputed():
        grid, default, labels = demos.controls_grid(controls, max_values=max_values, values=values)
        return demos.precompute(draw, grid, default, alt=alt, labels=labels, **page)

    return demos.live(lambda: _widget(controls, draw), precomputed)


def _widget(controls: dict, draw) -> widgets.VBox:
    output = widgets.Output()

    def redraw(change=None):
        figure, numbers = draw(**{name: control.value for name, control in controls.items()})
        if get_ipython() is None:  # outside a notebook there is nothing to draw into
            return
        with output:
            output.clear_output(wait=True)
            display(*(figure if isinstance(figure, list) else [figure]))
            print("   ".join(f"{name}: {value}" for name, value in numbers.items()))

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox(list(controls.values())), output])
    box.controls = controls  # for tests and for readers who want to set values in code
    box.draw = draw  # the pure function behind the figure: (figure, numbers) of the values
    return box


def _range(truth) -> float:
    """Return the truth's range, the PSNR's reference (1 for a constant image)."""
    return float(np.ptp(truth)) or 1.0


# --------------------------------------------------------------------------- chapter 1


def feature_maps_figure(image, kernel_name="edges (x)", activation="relu", pooling="max"):
    """Compute one hand-made CNN layer on ``image`` and draw its feature maps.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        The input image.
    kernel_name, activation, pooling : str
        See :func:`decondl.nets.feature_maps`.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`decondl.plotting.plot_feature_maps` of the maps.

    Raises
    ------
    ValueError
        If ``image`` is not 2D or a choice is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> len(feature_maps_figure(np.eye(16)).axes)
    5
    """
    return _feature_maps_state(image, kernel_name, activation, pooling)[0]


def _feature_maps_state(image, kernel_name, activation, pooling):
    maps = nets.feature_maps(image, kernel_name, activation, pooling)
    figure = plotting.plot_feature_maps(
        image, maps, kernel_name=kernel_name, activation=activation, pooling=pooling
    )
    act, out = maps["activated"], maps["pooled"]
    return figure, {
        "after the activation": f"{act.min():.2f} to {act.max():.2f}, mean {act.mean():.3f}",
        "output": f"{out.shape[0]}x{out.shape[1]}, mean {out.mean():.3f}",
    }


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
        ``["pooling"]``) above :func:`feature_maps_figure`.

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
    return _panel(
        controls,
        lambda **v: _feature_maps_state(image, **v),
        alt="Feature maps of one CNN layer: input, kernel, convolution, activation, pooling",
        # the page's budget holds 42 pictures of this figure: 7 kernels x 3 activations x 2
        values={"activation": ("linear", "relu", "tanh"), "pooling": nets.POOLINGS},
    )


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
    TypeError
        If an initial value has the wrong type.
    ValueError
        If an initial value is out of range.

    Examples
    --------
    >>> box = receptive_field_explorer(architecture="shallow CNN", depth=4)
    >>> box.controls["depth"].value
    4
    """
    architecture = as_choice(architecture, "architecture", ARCHITECTURES)
    if as_int(kernel_size, "kernel_size") not in (3, 5, 7):
        raise ValueError(f"kernel_size must be 3, 5 or 7, got {kernel_size!r}")
    max_depth = as_int(max_depth, "max_depth", low=1)
    depth = as_int(depth, "depth", low=1, high=max_depth)
    sigma_px = as_number(sigma_px, "sigma_px", low=0.5, high=15.0)
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
        figure = plotting.plot_receptive_field_vs_psf(layers, sigma_px, name=name)
        numbers = {"receptive field": f"{nets.receptive_field(layers)} px"}
        return figure, {**numbers, "blur, 6 sigma": f"{6 * sigma_px:g} px"}

    alt = "The receptive field of a network drawn over the blur of a Gaussian PSF"
    return _panel(controls, draw, alt=alt, max_values=8, mode="axes")


# --------------------------------------------------------------------------- chapter 3


def image_formation_figure(truth, scope: Microscope, *, rng):
    """Simulate one microscope setting and draw the truth, the PSF and the acquisition.

    Taught in chapter 3; the figure of :func:`image_formation_explorer`.

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
        :func:`decondl.plotting.plot_image_formation` of ``scope.psf()``, of
        ``scope.acquire(truth, rng=rng)`` and of the PSF's FWHM
        (:func:`decondl.psf.fwhm_px`).
    """
    return _image_formation_state(truth, scope, rng=rng)[0]


def _image_formation_state(truth, scope: Microscope, *, rng):
    from decondl import metrics, psf

    kernel = scope.psf()
    acquisition = scope.acquire(truth, rng=rng, psf=kernel)
    fwhm_nm = psf.fwhm_px(kernel) * scope.pixel_size_um * 1000
    figure = plotting.plot_image_formation(truth, kernel, acquisition, scope=scope, fwhm_nm=fwhm_nm)
    psnr = metrics.psnr(truth, scope.to_truth_units(acquisition), data_range=_range(truth))
    return figure, {"PSF FWHM": f"{fwhm_nm:.0f} nm", "PSNR of the acquisition": f"{psnr:.2f} dB"}


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
        The controls (also in ``box.controls``) above :func:`image_formation_figure`. The
        defaults are those of :class:`decondl.forward.Microscope`.

    Raises
    ------
    TypeError
        If ``seed`` is not an int.
    """
    seed = as_int(seed, "seed")
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
        return _image_formation_state(truth, microscope, rng=as_rng(seed))

    alt = "The truth, the PSF and the simulated acquisition for one microscope setting"
    return _panel(controls, draw, alt=alt, max_values=6, mode="axes")


# --------------------------------------------------------------------------- chapter 4


def wiener_figure(image, psf, truth, balance: float, *, crop=None):
    """Wiener-filter ``image`` with ``balance`` and draw it next to the input and the truth.

    The figure of :func:`wiener_explorer` (chapter 4).

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Acquisition in the truth's units (see :func:`decondl.forward.to_truth_units`).
    psf : ndarray, shape (py, px)
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
        :func:`decondl.plotting.plot_wiener` of the result and of the PSNR
        (:func:`decondl.metrics.psnr`) of the acquisition and of the result.
    """
    return _wiener_state(image, psf, truth, balance, crop=crop)[0]


def _wiener_state(image, psf, truth, balance: float, *, crop=None):
    from decondl import deconvolve, metrics

    restored = deconvolve.wiener(image, psf, balance)
    scores = {"image": metrics.psnr(truth, image), "restored": metrics.psnr(truth, restored)}
    figure = plotting.plot_wiener(image, restored, truth, balance=balance, scores=scores, crop=crop)
    return figure, {"PSNR of the Wiener result": f"{scores['restored']:.2f} dB"}


def wiener_explorer(image, psf, truth, *, balance: float = 1e-2, crop=None):
    """Show a logarithmic ``balance`` slider over :func:`wiener_figure`.

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

    Raises
    ------
    TypeError, ValueError
        If ``balance`` is not a number between 1e-5 and 10.
    """
    balance = as_number(balance, "balance", low=1e-5, high=10.0)
    controls = {
        "balance": widgets.FloatLogSlider(
            value=balance, base=10, min=-5, max=1, step=0.25, description="balance"
        )
    }
    return _panel(
        controls,
        lambda balance: _wiener_state(image, psf, truth, balance, crop=crop),
        alt="The acquisition, its Wiener deconvolution and the ground truth",
        max_values=13,
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

    Raises
    ------
    ValueError
        If ``history`` is empty or ``iteration`` was not stored.
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

    def draw(iteration):
        figure = plotting.plot_rl_iteration(history, truth, iteration, scores=scores)
        if not scores:
            return figure, {"iterations": str(iteration)}
        ks = sorted(scores)
        curve = plotting.plot_tuning_curve(
            ks, [scores[k] for k in ks], best=iteration, xlabel="iteration"
        )
        return [figure, curve], {"PSNR": f"{scores[iteration]:.2f} dB"}

    alt = "A Richardson-Lucy estimate, the truth, and the PSNR curve marked at its iteration"
    return _panel(controls, draw, alt=alt, max_values=min(len(stored), 12))


# --------------------------------------------------------------------------- chapter 6


def threshold_figure(
    image, prob, dist, truth_labels, *, grid=(1, 1), prob_thresh: float, nms_thresh: float
):
    """Turn StarDist's outputs into labels with two thresholds; draw them and their AP.

    The figure of :func:`stardist_threshold_explorer` (chapter 6).

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
        Probability and NMS overlap thresholds.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`decondl.plotting.plot_threshold_result` of the labels
        (:func:`decondl.segment.labels_from_outputs`) and of their AP against the IoU
        threshold (:func:`decondl.metrics.average_precision`).
    """
    return _threshold_state(image, prob, dist, truth_labels, grid, prob_thresh, nms_thresh)[0]


def _threshold_state(image, prob, dist, truth_labels, grid, prob_thresh, nms_thresh):
    from decondl import metrics, segment

    labels = segment.labels_from_outputs(
        prob, dist, np.shape(image), grid=grid, prob_thresh=prob_thresh, nms_thresh=nms_thresh
    )
    scores = metrics.average_precision(truth_labels, labels)
    figure = plotting.plot_threshold_result(image, labels, truth_labels, scores)
    iou = min(scores, key=lambda t: abs(t - 0.5))
    found = f"{len(np.unique(labels)) - 1} (truth {len(np.unique(truth_labels)) - 1})"
    return figure, {"objects": found, f"AP at IoU {iou:g}": f"{scores[iou]:.3f}"}


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
        The controls (also in ``box.controls``) above :func:`threshold_figure`.
    """
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
        return _threshold_state(image, prob, dist, truth_labels, grid, prob_thresh, nms_thresh)

    alt = "StarDist's labels outlined over the image, and their AP against the IoU threshold"
    return _panel(controls, draw, alt=alt, max_values=5)


__all__ += ["stardist_threshold_explorer", "threshold_figure"]


# --------------------------------------------------------------------------- chapter 5


def restoration_figure(images, *, centre, size: int, truth):
    """Draw one image whole and a crop of every method, with the PSNR of each method.

    The figure of :func:`restoration_explorer` (chapter 5).

    Parameters
    ----------
    images : mapping of str to ndarray, each shape (ny, nx)
        Method name to restored image, in the truth's units; the first one is also shown
        whole (usually the recorded image).
    centre : (int, int)
        Centre ``(y, x)`` of the crop in pixels.
    size : int
        Side of the crop in pixels.
    truth : ndarray, shape (ny, nx)
        Ground truth.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`decondl.plotting.plot_method_crops` with the PSNR of every whole image
        against the truth (:func:`decondl.metrics.psnr`) in its title.
    """
    return _restoration_state(images, centre=centre, size=size, truth=truth)[0]


def _restoration_state(images, *, centre, size: int, truth):
    from decondl import metrics

    scores = {name: metrics.psnr(truth, image) for name, image in images.items()}
    figure = plotting.plot_method_crops(
        images, centre=centre, size=size, truth=truth, scores=scores
    )
    box = plotting.crop_box(np.shape(truth), centre, size)
    return figure, {
        f"{name}, crop": f"{metrics.psnr(truth[box], image[box], data_range=_range(truth)):.1f} dB"
        for name, image in images.items()
    }


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
        :func:`restoration_figure`.

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
    index = as_int(index, "index", low=0, high=n - 1)
    size = as_int(size, "size", low=1)
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
        return _restoration_state(images, centre=(y, x), size=size, truth=truths[index])

    alt = "One test image with the crop outlined, and that crop restored by every method"
    return _panel(controls, draw, alt=alt, max_values=5, mode="axes")


__all__ += ["restoration_explorer", "restoration_figure"]
