"""The classical pipeline: (deconvolution,) smoothing, threshold, seeded watershed, clean-up."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import filters, segmentation
from skimage.feature import peak_local_max

from decondl import deconvolve
from decondl._checks import as_choice, as_float_array, as_int, as_mask, as_number

__all__ = ["classical_segment", "split_touching"]

_THRESHOLDS = {"otsu": filters.threshold_otsu, "li": filters.threshold_li}


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
    arr = as_mask(mask)
    min_distance_px = as_int(min_distance_px, "min_distance_px", low=1)
    smooth_sigma_px = as_number(smooth_sigma_px, "smooth_sigma_px", low=0)
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
    data = as_float_array(image, "image", dtype=np.float64)
    deconvolution = as_choice(deconvolution, "deconvolution", ("none", "wiener", "rl"))
    background = as_number(background, "background", low=0)
    smooth_sigma_px = as_number(smooth_sigma_px, "smooth_sigma_px", low=0)
    min_size_px = as_int(min_size_px, "min_size_px", low=0)
    if isinstance(threshold, str):
        threshold = as_choice(threshold, "threshold", sorted(_THRESHOLDS))
    else:
        threshold = as_number(threshold, "threshold")
    if deconvolution != "none":
        if psf is None:
            raise ValueError(f"deconvolution={deconvolution!r} needs a psf")
        if deconvolution == "wiener":
            balance = as_number(balance, "balance", low=0, low_open=True)
            data = deconvolve.wiener(data - background, psf, balance)
        else:
            num_iter = as_int(num_iter, "num_iter", low=1)
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
