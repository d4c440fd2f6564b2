"""Instance segmentation: a classical pipeline and StarDist wrappers (chapter 6).

Two ways from a recorded fluorescence image to instance labels (0 = background, one
positive integer per object):

Classical pipeline
    :func:`classical_segment`: optional deconvolution (:mod:`decondl.deconvolve`),
    smoothing, a global threshold (Otsu by default), a seeded watershed on the distance
    transform to split touching objects (:func:`split_touching`), removal of small
    objects and relabelling.
StarDist
    A network that predicts, for every pixel, the probability of being inside an object
    and the distances to the object's boundary along ``n_rays`` directions; the objects
    are star-convex polygons kept by non-maximum suppression. :func:`stardist_config`
    sizes it from the run profile, :func:`train_stardist` trains it on simulated data
    (:func:`simulate_dataset`), tunes its two thresholds on validation data and caches the
    result, :func:`predict_stardist` predicts labels; :func:`stardist_outputs` and
    :func:`labels_from_outputs` split prediction into the network part and the
    (TensorFlow-free) polygon part, so that thresholds can be explored without the network.

Scoring is :func:`decondl.metrics.average_precision` (via :mod:`stardist.matching`).
TensorFlow is imported only inside the functions that need a network.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import numbers
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage import filters, segmentation
from skimage.feature import peak_local_max

from decondl import deconvolve
from decondl import profile as run_profile
from decondl._checks import as_rng as _as_rng
from decondl.forward import Microscope

__all__ = [
    "classical_segment",
    "labels_from_outputs",
    "normalize",
    "predict_stardist",
    "simulate_dataset",
    "split_touching",
    "stardist_config",
    "stardist_outputs",
    "stardist_receptive_field",
    "star_convex_fit",
    "star_rays",
    "summarize_history",
    "train_stardist",
]

_THRESHOLDS = {"otsu": filters.threshold_otsu, "li": filters.threshold_li}

# --------------------------------------------------------------------------- validation


def _image(value, name: str = "image", ndims=(2, 3)) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a real numeric array: {err}") from None
    if arr.dtype.kind not in "iuf" or arr.dtype == bool:
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        allowed = " or ".join(f"{d}D" for d in ndims)
        raise ValueError(f"{name} must be {allowed}, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def _number(value, name: str, *, low: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < low or (strict and value == low):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be finite and {relation} {low}, got {value}")
    return value


def _integer(value, name: str, *, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


# --------------------------------------------------------------------------- classical pipeline


def split_touching(mask, *, min_distance_px: int = 4, smooth_sigma_px: float = 1.0) -> np.ndarray:
    r"""Split a binary foreground mask into objects with a seeded watershed.

    Parameters
    ----------
    mask : array_like of bool, shape (ny, nx) or (nz, ny, nx)
        Foreground (True inside objects).
    min_distance_px : int, optional
        Smallest distance in pixels between two seeds (>= 1): two maxima of the distance
        transform closer than this give one object. About the smallest object radius.
    smooth_sigma_px : float, optional
        Gaussian smoothing (pixels, >= 0) of the distance transform before the seeds are
        searched; removes spurious maxima on ragged outlines.

    Returns
    -------
    labels : ndarray of int32, shape of ``mask``
        0 outside the mask, objects numbered 1..N.

    Raises
    ------
    TypeError, ValueError
        If ``mask`` is not 2D/3D or a parameter is out of range.

    Notes
    -----
    With :math:`d(x)` the Euclidean distance from a foreground pixel to the nearest
    background pixel, every local maximum of (smoothed) :math:`d` within a connected
    component is a seed, and the watershed of :math:`-d` grows the seeds inside the mask
    [1]_. Two touching discs form a figure of eight whose distance transform has one
    maximum per disc and a saddle at the neck, where the watershed line falls.

    References
    ----------
    .. [1] L. Vincent, P. Soille, "Watersheds in digital spaces: an efficient algorithm
       based on immersion simulations", IEEE TPAMI 13(6), 583-598 (1991).
       :doi:`10.1109/34.87344`

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:40, :60]
    >>> mask = ((yy - 20) ** 2 + (xx - 20) ** 2 < 100) | ((yy - 20) ** 2 + (xx - 37) ** 2 < 100)
    >>> int(split_touching(mask).max())
    2
    """
    arr = np.asarray(mask)
    if arr.ndim not in (2, 3):
        raise ValueError(f"mask must be 2D or 3D, got shape {arr.shape}")
    if arr.dtype != bool:
        if arr.dtype.kind not in "iu" or not np.isin(arr, (0, 1)).all():
            raise TypeError(
                f"mask must be a boolean array (or 0/1 integers), got dtype {arr.dtype}"
            )
        arr = arr.astype(bool)
    min_distance_px = _integer(min_distance_px, "min_distance_px", low=1)
    smooth_sigma_px = _number(smooth_sigma_px, "smooth_sigma_px")
    if not arr.any():
        return np.zeros(arr.shape, dtype=np.int32)
    distance = ndimage.distance_transform_edt(arr)
    if smooth_sigma_px > 0:
        distance = ndimage.gaussian_filter(distance, smooth_sigma_px)
    components, _ = ndimage.label(arr)
    peaks = peak_local_max(
        distance, min_distance=min_distance_px, labels=components, exclude_border=False
    )
    markers = np.zeros(arr.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels = segmentation.watershed(-distance, markers, mask=arr)
    # a component whose maximum is a plateau wider than min_distance still gets a seed
    unseeded = arr & (labels == 0)
    if unseeded.any():
        extra, n_extra = ndimage.label(unseeded)
        labels = np.where(extra > 0, extra + labels.max(), labels)
    return labels.astype(np.int32)


def classical_segment(
    image,
    *,
    psf=None,
    deconvolution: str = "none",
    balance: float = 0.01,
    num_iter: int = 30,
    background: float = 0.0,
    smooth_sigma_px: float = 1.0,
    threshold="otsu",
    min_distance_px: int = 4,
    min_size_px: int = 20,
) -> np.ndarray:
    r"""Segment nuclei with deconvolution (optional), threshold, watershed and clean-up.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Recorded image, in photons (or any linear scale with the background given in
        ``background``).
    psf : array_like, optional
        PSF (same number of dimensions as ``image``, centred), needed when
        ``deconvolution`` is not ``"none"``.
    deconvolution : {"none", "wiener", "rl"}
        No deconvolution, :func:`decondl.deconvolve.wiener` (of the background-subtracted
        image) or :func:`decondl.deconvolve.richardson_lucy` (of the raw image, with
        ``background``).
    balance : float
        Wiener regularisation (> 0), used with ``"wiener"``.
    num_iter : int
        Richardson-Lucy iterations (>= 1), used with ``"rl"``.
    background : float
        Expected background per pixel (>= 0) in the units of ``image``.
    smooth_sigma_px : float
        Gaussian smoothing (pixels, >= 0) before thresholding; it also smooths the distance
        transform in :func:`split_touching`.
    threshold : {"otsu", "li"} or float
        Global threshold method of :mod:`skimage.filters`, or a fixed value on the
        (deconvolved, smoothed) image.
    min_distance_px : int
        Smallest distance between two object centres (pixels, >= 1); see
        :func:`split_touching`.
    min_size_px : int
        Objects with fewer pixels (>= 0) are removed.

    Returns
    -------
    labels : ndarray of int32, shape of ``image``
        0 for background, objects numbered 1..N without gaps.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type or is out of range, or a PSF is missing.

    Notes
    -----
    The foreground is :math:`\{x : (G_\sigma * \hat f)(x) > t\}` with :math:`\hat f` the
    (deconvolved) image, :math:`G_\sigma` a Gaussian and :math:`t` the threshold; Otsu's
    :math:`t` maximises the between-class variance of the histogram [1]_. Holes are filled,
    touching objects split by :func:`split_touching`, small objects removed and the labels
    renumbered.

    References
    ----------
    .. [1] N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans.
       Systems, Man, and Cybernetics 9(1), 62-66 (1979). :doi:`10.1109/TSMC.1979.4310076`

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((48, 48)); image[10:20, 10:20] = 1; image[30:40, 25:38] = 1
    >>> int(classical_segment(image).max())
    2
    """
    data = _image(image)
    choices = ("none", "wiener", "rl")
    if deconvolution not in choices:
        raise ValueError(f"deconvolution must be one of {choices}, got {deconvolution!r}")
    background = _number(background, "background")
    smooth_sigma_px = _number(smooth_sigma_px, "smooth_sigma_px")
    min_size_px = _integer(min_size_px, "min_size_px")
    if isinstance(threshold, str):
        if threshold not in _THRESHOLDS:
            raise ValueError(f"threshold must be one of {sorted(_THRESHOLDS)} or a number")
    else:
        threshold = _number(threshold, "threshold", low=-np.inf)
    if deconvolution != "none":
        if psf is None:
            raise ValueError(f"deconvolution={deconvolution!r} needs a psf")
        if deconvolution == "wiener":
            balance = _number(balance, "balance", strict=True)
            data = deconvolve.wiener(data - background, psf, balance)
        else:
            num_iter = _integer(num_iter, "num_iter", low=1)
            data = deconvolve.richardson_lucy(
                data, psf, num_iter, background=background, clip_negative=True
            )
    else:
        data = data - background
    if smooth_sigma_px > 0:
        data = ndimage.gaussian_filter(data, smooth_sigma_px)
    if np.ptp(data) == 0:
        return np.zeros(data.shape, dtype=np.int32)
    level = _THRESHOLDS[threshold](data) if isinstance(threshold, str) else threshold
    mask = ndimage.binary_fill_holes(data > level)
    labels = split_touching(mask, min_distance_px=min_distance_px, smooth_sigma_px=smooth_sigma_px)
    if min_size_px > 0:  # as skimage's remove_small_objects, whose keywords changed in 0.26
        small = np.bincount(labels.ravel()) < min_size_px
        small[0] = False
        labels = np.where(small[labels], 0, labels)
    labels, _, _ = segmentation.relabel_sequential(labels)
    return labels.astype(np.int32)


# --------------------------------------------------------------------------- data


def normalize(image, low_percentile: float = 1.0, high_percentile: float = 99.8) -> np.ndarray:
    r"""Percentile normalisation, the input convention of StarDist and CARE.

    Parameters
    ----------
    image : array_like, any shape
        Image (real, finite).
    low_percentile, high_percentile : float
        Percentiles mapped to 0 and 1, ``0 <= low < high <= 100``.

    Returns
    -------
    ndarray of float32, shape of ``image``
        :math:`(x - p_\mathrm{low}) / (p_\mathrm{high} - p_\mathrm{low})`, not clipped.

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not numeric and finite, or the percentiles are out of order.

    Examples
    --------
    >>> import numpy as np
    >>> normalize(np.arange(101.0), 0, 100)[[0, 50, 100]]
    array([0. , 0.5, 1. ], dtype=float32)
    """
    arr = _image(image, ndims=tuple(range(1, 6)))
    low = _number(low_percentile, "low_percentile")
    high = _number(high_percentile, "high_percentile")
    if not low < high <= 100:
        raise ValueError(f"need 0 <= low_percentile < high_percentile <= 100, got {low}, {high}")
    p_low, p_high = np.percentile(arr, [low, high])
    scale = p_high - p_low if p_high > p_low else 1.0
    return ((arr - p_low) / scale).astype(np.float32)


def simulate_dataset(
    n,
    rng,
    *,
    shape=(128, 128),
    n_nuclei: int = 25,
    radius_range_px=(6, 12),
    scope: Microscope | None = None,
):
    """Simulate recorded images of touching nuclei with their instance labels.

    Parameters
    ----------
    n : int
        Number of images (>= 1).
    rng : numpy.random.Generator or int
        Source of randomness (phantoms and noise).
    shape : tuple of int
        Image shape ``(ny, nx)`` in pixels.
    n_nuclei : int
        Nuclei requested per image (see :func:`decondl.synthetic.nuclei`; touching).
    radius_range_px : (float, float)
        Range of nucleus radii in pixels.
    scope : decondl.forward.Microscope, optional
        The acquisition; default ``Microscope()`` (the course's standard microscope).

    Returns
    -------
    raw : ndarray of float32, shape (n, ny, nx)
        Recorded images in photons (blur, background, shot and read noise).
    labels : ndarray of int32, shape (n, ny, nx)
        Instance labels of the truth.
    truth : ndarray of float32, shape (n, ny, nx)
        Noise-free, unblurred intensities in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not a positive int or the phantom parameters are invalid.

    Examples
    --------
    >>> raw, labels, truth = simulate_dataset(2, 0, shape=(64, 64), n_nuclei=5)
    >>> raw.shape, labels.dtype
    ((2, 64, 64), dtype('int32'))
    """
    from decondl import synthetic

    n = _integer(n, "n", low=1)
    rng = _as_rng(rng)
    scope = Microscope() if scope is None else scope
    psf = scope.psf()
    raws, labels, truths = [], [], []
    for _ in range(n):
        truth, lab = synthetic.nuclei(shape, n_nuclei, rng, radius_range_px=radius_range_px)
        raws.append(scope.acquire(truth, rng=rng, psf=psf))
        labels.append(lab)
        truths.append(truth)
    return (
        np.stack(raws).astype(np.float32),
        np.stack(labels).astype(np.int32),
        np.stack(truths).astype(np.float32),
    )


# --------------------------------------------------------------------------- StarDist geometry


def star_rays(labels, n_rays: int = 32) -> np.ndarray:
    r"""Distances from every object pixel to its object's boundary along ``n_rays`` rays.

    The training target of StarDist, computed by :func:`stardist.star_dist`.

    Parameters
    ----------
    labels : array_like of int, shape (ny, nx)
        Instance labels (0 = background).
    n_rays : int
        Number of rays (>= 3), at angles :math:`2\pi k / n` for :math:`k = 0..n-1`.

    Returns
    -------
    ndarray of float32, shape (ny, nx, n_rays)
        Distance in pixels along each ray (0 in the background).

    Raises
    ------
    TypeError, ValueError
        If ``labels`` is not a 2D integer array or ``n_rays < 3``.

    Notes
    -----
    A star-convex object contains the segment from its centre to every boundary point, so
    it is described exactly (up to the angular sampling) by the radii :math:`r_k` of the
    polygon with vertices :math:`c + r_k (\sin\theta_k, \cos\theta_k)` [1]_.

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((21, 21), int); labels[5:16, 5:16] = 1
    >>> float(star_rays(labels, 4)[10, 10, 0])  # to the outer edge of the last pixel
    5.5
    """
    from stardist import star_dist

    arr = _labels(labels, "labels", ndims=(2,))
    n_rays = _integer(n_rays, "n_rays", low=3)
    return star_dist(arr, n_rays=n_rays, mode="cpp").astype(np.float32)


def star_convex_fit(mask, n_rays: int = 32) -> tuple[float, np.ndarray, tuple[int, int]]:
    r"""Find the best star-convex polygon StarDist could draw for one object, and its IoU.

    For every pixel of the object taken as the centre, the polygon of ``n_rays`` rays is the one
    StarDist is trained to predict there (:func:`star_rays`: each ray runs to where it first
    leaves the object); the polygon with the highest intersection over union with the object is
    returned. A star-convex object is fitted almost exactly; an object that is not (a crescent,
    a ring) cannot be, from any centre.

    Parameters
    ----------
    mask : array_like of bool, shape (ny, nx)
        One object (True inside); it should not touch the border of the array.
    n_rays : int
        Number of rays (>= 3).

    Returns
    -------
    iou : float
        :math:`|P \cap M| / |P \cup M|` of the best polygon :math:`P` and the mask :math:`M`.
    polygon : ndarray of bool, shape (ny, nx)
        The best polygon, rasterised.
    centre : (int, int)
        Its centre pixel (row, column); the first one found on ties.

    Raises
    ------
    TypeError, ValueError
        If ``mask`` is not a 2D boolean (or 0/1) array with at least one True pixel, or
        ``n_rays < 3``.

    Notes
    -----
    A shape is star-convex with respect to a centre :math:`c` if it contains the segment from
    :math:`c` to each of its points; StarDist describes such a shape by the ray lengths
    :math:`r_k` at angles :math:`2\pi k/n` [1]_. Polygons are drawn by
    :func:`stardist.geometry.polygons_to_label`.

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:32, :32]
    >>> disc = (yy - 16) ** 2 + (xx - 16) ** 2 <= 64
    >>> round(star_convex_fit(disc, 32)[0], 2)
    0.98
    """
    from stardist.geometry import polygons_to_label

    arr = np.asarray(mask)
    if arr.dtype != bool:
        if arr.dtype.kind not in "iu" or not np.isin(arr, (0, 1)).all():
            raise TypeError(
                f"mask must be a boolean array (or 0/1 integers), got dtype {arr.dtype}"
            )
        arr = arr.astype(bool)
    if arr.ndim != 2:
        raise ValueError(f"mask must be 2D, got shape {arr.shape}")
    if not arr.any():
        raise ValueError("mask must contain at least one True pixel")
    rays = star_rays(arr.astype(np.int32), n_rays)
    best_iou, best_polygon, best_centre = -1.0, None, None
    for centre in np.argwhere(arr):
        polygon = polygons_to_label(rays[tuple(centre)][None], centre[None], arr.shape) > 0
        iou = float((polygon & arr).sum() / (polygon | arr).sum())
        if iou > best_iou:
            best_iou, best_polygon, best_centre = iou, polygon, (int(centre[0]), int(centre[1]))
    return best_iou, best_polygon, best_centre


def _labels(value, name: str, ndims=(2, 3)) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer label image, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        raise ValueError(f"{name} must have {ndims} dimensions, got shape {arr.shape}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0 (0 = background)")
    return arr.astype(np.int32)


def labels_from_outputs(
    prob, dist, shape, *, grid=(1, 1), prob_thresh: float = 0.5, nms_thresh: float = 0.4
) -> np.ndarray:
    r"""Turn StarDist network outputs into instance labels (non-maximum suppression).

    Needs no network and no TensorFlow, so thresholds can be explored on stored outputs.

    Parameters
    ----------
    prob : array_like, shape (my, mx)
        Object probability per output pixel (on the grid, ``my = ny / grid[0]``).
    dist : array_like, shape (my, mx, n_rays)
        Predicted ray lengths in input pixels.
    shape : (int, int)
        Shape ``(ny, nx)`` of the input image.
    grid : (int, int)
        Subsampling of the outputs relative to the input.
    prob_thresh : float
        Candidate polygons need a probability above this value, in (0, 1).
    nms_thresh : float
        A candidate overlapping an already kept, more probable polygon by more than this
        fraction of its area is suppressed, in [0, 1].

    Returns
    -------
    labels : ndarray of int32, shape ``shape``

    Raises
    ------
    TypeError, ValueError
        If the arrays do not match or a threshold is out of range.

    Notes
    -----
    Candidates are sorted by probability; each is kept unless its overlap with a kept
    polygon exceeds ``nms_thresh``. Kept polygons are drawn, the more probable on top
    (:func:`stardist.nms.non_maximum_suppression`,
    :func:`stardist.geometry.polygons_to_label`).

    Examples
    --------
    >>> import numpy as np
    >>> prob = np.zeros((16, 16), np.float32); prob[8, 8] = 0.9
    >>> dist = np.full((16, 16, 16), 4.0, np.float32)
    >>> int(labels_from_outputs(prob, dist, (16, 16)).max())
    1
    """
    from stardist.geometry import polygons_to_label
    from stardist.nms import non_maximum_suppression

    prob = np.asarray(prob, dtype=np.float32)
    dist = np.asarray(dist, dtype=np.float32)
    if prob.ndim != 2 or dist.ndim != 3 or dist.shape[:2] != prob.shape:
        raise ValueError(
            f"prob must be (my, mx) and dist (my, mx, n_rays), got {prob.shape} and {dist.shape}"
        )
    grid = tuple(_integer(g, "grid entries", low=1) for g in grid)
    shape = tuple(_integer(s, "shape entries", low=1) for s in shape)
    if len(grid) != 2 or len(shape) != 2:
        raise ValueError(f"grid and shape must have two entries, got {grid} and {shape}")
    prob_thresh = _number(prob_thresh, "prob_thresh", strict=True)
    nms_thresh = _number(nms_thresh, "nms_thresh")
    if prob_thresh >= 1 or nms_thresh > 1:
        raise ValueError(
            f"need 0 < prob_thresh < 1 and 0 <= nms_thresh <= 1, got {prob_thresh}, {nms_thresh}"
        )
    points, probi, disti = non_maximum_suppression(
        dist, prob, grid=grid, prob_thresh=prob_thresh, nms_thresh=nms_thresh
    )
    labels = polygons_to_label(disti, points, shape=shape, prob=probi)
    return labels.astype(np.int32)


# --------------------------------------------------------------------------- StarDist network

_PROFILE_KEYS = {
    "n_rays": "stardist_n_rays",
    "grid": "stardist_grid",
    "patch": "stardist_patch_px",
    "batch": "stardist_batch_size",
    "depth": "stardist_unet_depth",
    "filters": "stardist_filters",
    "epochs": "stardist_epochs",
    "steps": "stardist_steps_per_epoch",
}


@contextlib.contextmanager
def _quiet():
    """Silence Keras progress bars, StarDist's prints and TensorFlow's C++ log lines."""
    from decondl import nets

    keras = nets._keras()
    interactive = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    sink = io.StringIO()
    try:
        with (
            nets._silenced_stderr_fd(),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        if interactive:
            keras.config.enable_interactive_logging()


def stardist_config(run=None, **overrides):
    """Build a small :class:`stardist.models.Config2D` sized by the run profile.

    Parameters
    ----------
    run : decondl.profile.Profile, optional
        Defaults to :func:`decondl.profile.current`. Reads ``stardist_n_rays``,
        ``stardist_grid`` (the same subsampling along both axes), ``stardist_patch_px``,
        ``stardist_batch_size``, ``stardist_unet_depth``, ``stardist_filters``,
        ``stardist_epochs`` and ``stardist_steps_per_epoch``.
    **overrides
        Any :class:`~stardist.models.Config2D` argument, which wins over the profile.

    Returns
    -------
    stardist.models.Config2D
        Single-channel input, CPU data generation, no TensorBoard.

    Raises
    ------
    KeyError
        If the profile lacks one of the keys.

    Examples
    --------
    >>> stardist_config().n_rays  # doctest: +SKIP
    32
    """
    from decondl import nets

    nets._keras()  # quiet TensorFlow start-up
    from stardist.models import Config2D

    run = run_profile.current() if run is None else run
    p = {key: int(run[name]) for key, name in _PROFILE_KEYS.items()}
    settings = {
        "n_rays": p["n_rays"],
        "grid": (p["grid"], p["grid"]),
        "n_channel_in": 1,
        "train_patch_size": (p["patch"], p["patch"]),
        "train_batch_size": p["batch"],
        "unet_n_depth": p["depth"],
        "unet_n_filter_base": p["filters"],
        "train_epochs": p["epochs"],
        "train_steps_per_epoch": p["steps"],
        "train_tensorboard": False,
        "use_gpu": False,
    }
    settings.update(overrides)
    return Config2D(**settings)


def _training_arrays(X, Y, name: str):
    X = [np.asarray(x, dtype=np.float32) for x in X]
    Y = [_labels(y, f"{name} labels", ndims=(2,)) for y in Y]
    if not X or len(X) != len(Y):
        raise ValueError(
            f"{name}: need as many images as label images (>= 1), got {len(X)}, {len(Y)}"
        )
    for x, y in zip(X, Y, strict=True):
        if x.shape != y.shape or x.ndim != 2:
            raise ValueError(
                f"{name}: images and labels must be 2D of equal shape, got {x.shape}, {y.shape}"
            )
    return X, Y


def train_stardist(
    X,
    Y,
    validation_data,
    *,
    config=None,
    seed: int = 0,
    name="stardist",
    basedir=None,
    nms_threshs=(0.3, 0.4, 0.5),
):
    r"""Train a StarDist2D model (or load it if already trained), then tune its thresholds.

    Parameters
    ----------
    X : sequence of ndarray, each shape (ny, nx)
        Normalised training images (see :func:`normalize`).
    Y : sequence of ndarray of int, each shape (ny, nx)
        Their instance labels.
    validation_data : (X_val, Y_val)
        Validation images and labels: the loss curve and the threshold tuning.
    config : stardist.models.Config2D, optional
        Default :func:`stardist_config` of the current profile.
    seed : int
        Seed of TensorFlow/Keras, NumPy and the patch sampling (>= 0).
    name : str
        Prefix of the model folder; the folder is ``<name>-<hash>`` where the hash covers
        the config, the seed and the data, so that changed inputs never reuse a model.
    basedir : str or pathlib.Path, optional
        Parent folder of the model; default the profile's model folder
        (:func:`decondl.profile.model_dir`).
    nms_threshs : sequence of float
        NMS thresholds tried by :meth:`~stardist.models.StarDist2D.optimize_thresholds`.

    Returns
    -------
    model : stardist.models.StarDist2D
        With tuned ``model.thresholds`` (``prob``, ``nms``).
    history : dict
        ``"loss"``, ``"val_loss"`` (per epoch), ``"seconds"`` (training time when the model
        was trained), ``"cached"`` (True if it was loaded) and ``"folder"``.

    Raises
    ------
    TypeError, ValueError
        If the data are inconsistent.

    Notes
    -----
    StarDist minimises, per pixel, the binary cross-entropy of the object probability
    :math:`d_{ij}` (the normalised distance to the background) plus the mean absolute
    error of the ray lengths weighted by :math:`d_{ij}` [1]_. Training output is silenced.

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> model, history = train_stardist(X, Y, (X_val, Y_val))  # doctest: +SKIP
    """
    from decondl import nets

    seed = _integer(seed, "seed")
    X, Y = _training_arrays(X, Y, "X, Y")
    if not isinstance(validation_data, Sequence) or len(validation_data) != 2:
        raise TypeError("validation_data must be a pair (X_val, Y_val)")
    X_val, Y_val = _training_arrays(*validation_data, "validation_data")
    config = stardist_config() if config is None else config
    key = run_profile.fingerprint(*X, *Y, *X_val, *Y_val, config=vars(config), seed=seed)
    folder_name = f"{name}-{key}"
    base = Path(basedir) if basedir is not None else run_profile.model_dir(folder_name).parent
    folder = base / folder_name
    nets.seed_everything(seed)
    from stardist.models import StarDist2D

    record = folder / "decondl_history.json"
    if record.exists() and (folder / "thresholds.json").exists():
        with _quiet():
            model = StarDist2D(None, name=folder_name, basedir=str(base))
        history = json.loads(record.read_text())
        history.update(cached=True, folder=str(folder))
        return model, history
    with _quiet():
        # StarDist edits its config while training (e.g. train_reduce_lr): keep ours intact
        model = StarDist2D(copy.deepcopy(config), name=folder_name, basedir=str(base))
        start = time.perf_counter()
        fit = model.train(X, Y, validation_data=(X_val, Y_val), seed=seed)
        seconds = time.perf_counter() - start
        model.optimize_thresholds(X_val, Y_val, nms_threshs=list(nms_threshs))
    history = {
        "loss": [float(v) for v in fit.history["loss"]],
        "val_loss": [float(v) for v in fit.history["val_loss"]],
        "seconds": float(seconds),
    }
    record.write_text(json.dumps(history))
    history.update(cached=False, folder=str(folder))
    return model, history


def stardist_outputs(model, image):
    """Run the StarDist network on one image: probability and ray-length maps.

    Parameters
    ----------
    model : stardist.models.StarDist2D
    image : array_like, shape (ny, nx)
        Normalised image.

    Returns
    -------
    prob : ndarray of float32, shape (ny / g0, nx / g1)
        Object probability on the model's grid ``g``.
    dist : ndarray of float32, shape (ny / g0, nx / g1, n_rays)
        Ray lengths in input pixels.

    Examples
    --------
    >>> prob, dist = stardist_outputs(model, image)  # doctest: +SKIP
    """
    image = _image(image, ndims=(2,)).astype(np.float32)
    with _quiet():
        prob, dist = model.predict(image)[:2]
    return prob.astype(np.float32), dist.astype(np.float32)


def predict_stardist(model, images, *, prob_thresh=None, nms_thresh=None) -> np.ndarray:
    """Predict instance labels with a trained StarDist model (quietly).

    Parameters
    ----------
    model : stardist.models.StarDist2D
    images : array_like, shape (ny, nx) or (n, ny, nx)
        Normalised image or stack of images.
    prob_thresh, nms_thresh : float, optional
        Default: the model's tuned thresholds.

    Returns
    -------
    labels : ndarray of int32, shape of ``images``

    Raises
    ------
    ValueError
        If ``images`` is not 2D or 3D.

    Examples
    --------
    >>> labels = predict_stardist(model, image)  # doctest: +SKIP
    """
    stack = _image(images, name="images", ndims=(2, 3)).astype(np.float32)
    single = stack.ndim == 2
    stack = stack[None] if single else stack
    grid = tuple(model.config.grid)
    out = []
    for image in stack:
        prob, dist = stardist_outputs(model, image)
        out.append(
            labels_from_outputs(
                prob,
                dist,
                image.shape,
                grid=grid,
                prob_thresh=model.thresholds.prob if prob_thresh is None else prob_thresh,
                nms_thresh=model.thresholds.nms if nms_thresh is None else nms_thresh,
            )
        )
    labels = np.stack(out)
    return labels[0] if single else labels


def stardist_receptive_field(model, shape=(256, 256), *, n_samples: int = 4, rng=0) -> np.ndarray:
    r"""Measure the receptive field of a StarDist network's probability output.

    Parameters
    ----------
    model : stardist.models.StarDist2D
    shape : (int, int)
        Probe image shape (multiple of the model's size divisor, larger than the
        receptive field).
    n_samples : int
        Number of random probe images (>= 1).
    rng : numpy.random.Generator or int
        Source of the probe images.

    Returns
    -------
    ndarray of float64, shape ``shape``
        :math:`\sum_n |\partial p_c / \partial x|` for the probability :math:`p_c` of the
        central output pixel; zero outside the receptive field (measure its size with
        :func:`decondl.nets.receptive_field_extent`).

    Examples
    --------
    >>> grad = stardist_receptive_field(model)  # doctest: +SKIP
    """
    from decondl import nets

    tf = nets._tensorflow()
    shape = tuple(_integer(s, "shape entries", low=1) for s in shape)
    n_samples = _integer(n_samples, "n_samples", low=1)
    rng = _as_rng(rng)
    grid = tuple(model.config.grid)
    centre = tuple(s // (2 * g) for s, g in zip(shape, grid, strict=True))
    total = np.zeros(shape)
    for _ in range(n_samples):
        probe = tf.Variable(rng.random((1, *shape, 1)).astype(np.float32))
        with tf.GradientTape() as tape:
            prob = model.keras_model(probe, training=False)[0]
            value = tf.reduce_sum(prob[(0, *centre)])
        total += np.abs(tape.gradient(value, probe).numpy()[0, ..., 0])
    return total


def summarize_history(history: Mapping) -> str:
    """One line about a training run (for the chapter's output)."""
    how = "loaded from cache" if history.get("cached") else "trained"
    return (
        f"StarDist {how}: {len(history['loss'])} epochs, {history['seconds']:.0f} s of training, "
        f"final validation loss {history['val_loss'][-1]:.3f}"
    )
