"""Measuring PSFs: the FWHM of a PSF, and a PSF learned from an image of beads."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.signal import peak_widths

from decondl._checks import as_array, as_float_array, as_int, as_number
from decondl.psf.models import airy_psf, gaussian_psf, odd_shape  # noqa: F401 (doctests)

__all__ = ["extract_psf", "fwhm_px", "fwhm_vs_na", "locate_beads"]


def fwhm_px(psf, axis=-1):
    r"""Full width at half maximum of a PSF along one axis, through its peak.

    Parameters
    ----------
    psf : array_like, any number of dimensions
        The PSF (need not be normalised). Background is *not* subtracted.
    axis : int, optional
        Axis along which to measure (default: the last, x).

    Returns
    -------
    fwhm : float
        Width in pixels (multiply by the pixel size for micrometres).

    Raises
    ------
    TypeError
        If ``psf`` is not a real array or ``axis`` not an int.
    ValueError
        If ``psf`` is empty, not finite, has no positive peak, ``axis`` is out of
        range, or the profile does not fall below half maximum on both sides.

    Notes
    -----
    Take the 1D profile :math:`p(x)` along ``axis`` through the maximum
    :math:`p(x_0)`. On each side, find the first sample at or below
    :math:`p(x_0)/2` and place the crossing by linear interpolation between it
    and its neighbour towards the peak (``scipy.signal.peak_widths`` with the peak's
    height as its prominence); the FWHM is the distance between the two crossings. For a
    Gaussian it is :math:`2\sqrt{2\ln 2}\,\sigma \approx 2.3548\,\sigma`, for
    the Airy pattern :math:`0.51\,\lambda/\mathrm{NA}`.

    Examples
    --------
    >>> round(fwhm_px(gaussian_psf((41, 41), 4.0)), 1)  # 2.3548 * 4 = 9.42
    9.4
    """
    arr = as_float_array(psf, "psf", dtype=np.float64, ndims=None)
    if arr.ndim == 0:
        raise ValueError("psf must have at least one dimension, got a scalar")
    axis = as_int(axis, "axis", low=-arr.ndim, high=arr.ndim - 1)
    peak_index = np.unravel_index(np.argmax(arr), arr.shape)
    peak = arr[peak_index]
    if peak <= 0:
        raise ValueError("psf must have a positive maximum")
    index = list(peak_index)
    index[axis] = slice(None)
    profile = arr[tuple(index)]
    centre = peak_index[axis]
    if not (profile[:centre] <= peak / 2).any() or not (profile[centre:] <= peak / 2).any():
        raise ValueError(
            f"the profile along axis {axis} does not fall below half maximum inside the "
            "array; use a larger PSF array"
        )
    # The prominence of the peak is its height (the bases are the ends of the profile), so
    # rel_height=0.5 measures the width at half the maximum, not half the prominence.
    widths, *_ = peak_widths(
        profile,
        [centre],
        rel_height=0.5,
        prominence_data=(np.array([peak]), np.array([0]), np.array([profile.size - 1])),
    )
    return float(widths[0])


def fwhm_vs_na(nas, wavelengths_um, *, pixel_size_um=0.02, size_px=101):
    r"""Measure the FWHM of the Airy PSF for every numerical aperture and wavelength.

    Taught in chapter 3 (drawn by :func:`decondl.plotting.plot_fwhm_vs_na`).

    Parameters
    ----------
    nas : sequence of float
        Numerical apertures, each in (0, 1.6].
    wavelengths_um : sequence of float
        Emission wavelengths in micrometres (> 0).
    pixel_size_um : float, optional
        Pixel size used to sample the PSF, in micrometres (fine, so that the measurement
        is accurate).
    size_px : int, optional
        Odd side of the PSF array in pixels (large enough to hold the central lobe).

    Returns
    -------
    dict of float to ndarray of float64, shape (len(nas),)
        Wavelength (micrometres) to the FWHM in micrometres at each NA.

    Raises
    ------
    TypeError, ValueError
        As :func:`airy_psf` and :func:`fwhm_px`, e.g. for an NA out of range or a PSF
        array too small for the central lobe.

    Notes
    -----
    Each width is :func:`fwhm_px` of :func:`airy_psf` times the pixel size; it approaches
    :math:`0.51\,\lambda/\mathrm{NA}` as the pixels get finer.

    Examples
    --------
    >>> table = fwhm_vs_na([0.5, 1.0], [0.5])
    >>> [round(float(w), 2) for w in table[0.5]]  # 0.51 * 0.5 / NA
    [0.51, 0.26]
    """
    pixel_size_um = as_number(pixel_size_um, "pixel_size_um", low=0, low_open=True)
    shape = odd_shape((size_px, size_px), ndims=(2,), name="(size_px, size_px)")
    nas = as_float_array(nas, "nas", ndims=(1,))
    wavelengths = as_float_array(wavelengths_um, "wavelengths_um", ndims=(1,))
    return {
        float(wavelength): np.array(
            [
                fwhm_px(
                    airy_psf(
                        shape,
                        wavelength_um=float(wavelength),
                        na=float(na),
                        pixel_size_um=pixel_size_um,
                    )
                )
                * pixel_size_um
                for na in nas
            ]
        )
        for wavelength in wavelengths
    }


def locate_beads(
    image,
    *,
    min_distance_px=5,
    window_px=5,
    threshold_rel=0.2,
    smooth_sigma_px=1.0,
    num_refine=5,
):
    r"""Find the beads of a bead image, with sub-pixel positions.

    The localisation step before :func:`extract_psf`: in a real bead image nobody tells us
    where the beads are.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Bead image (e.g. photons), real and finite, with sparse, well separated beads on a
        roughly constant background.
    min_distance_px : int, optional
        Smallest distance between two beads, in pixels (>= 1). Make it larger than the
        radius of the PSF's first dark ring, so that noise on the rings is not taken for
        a bead.
    window_px : int, optional
        Half-width of the refinement window, in pixels (>= 1): the centroid is computed
        over ``2 * window_px + 1`` pixels per axis. About the PSF's FWHM or a little more;
        beads closer than ``window_px`` to the border are skipped.
    threshold_rel : float, optional
        A local maximum is a bead if it exceeds the background by at least this fraction
        (in (0, 1]) of the brightest maximum (measured on the smoothed image).
    smooth_sigma_px : float, optional
        Gaussian smoothing (pixels, >= 0) before looking for maxima, against noise peaks;
        the refinement uses the unsmoothed image.
    num_refine : int, optional
        Centroid iterations (>= 1); each re-centres the window on the last estimate.

    Returns
    -------
    positions : ndarray of float64, shape (n, image.ndim)
        Bead centres in pixel coordinates (index order, e.g. ``(y, x)``), brightest first;
        ``n`` may be 0.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``image`` is not 2D/3D and finite or a parameter is out of range.

    Notes
    -----
    The background :math:`b` is the median of the image (right for sparse beads). Local
    maxima of :math:`G_\sigma * (g - b)` (``skimage.feature.peak_local_max``) are the
    integer positions. Each is refined by the intensity-weighted centroid of the
    background-subtracted, non-negative image in a window :math:`W` around the current
    estimate,

    .. math:: \hat p = \frac{\sum_{x \in W} x \, \max(g(x) - b, 0)}
                             {\sum_{x \in W} \max(g(x) - b, 0)},

    repeated ``num_refine`` times with the window re-centred on the rounded estimate. A
    window that cuts off part of the bead biases the centroid towards the window's centre;
    a window of about the PSF's FWHM or more keeps that bias to a few hundredths of a pixel
    for an in-focus Airy PSF (see the tests).

    A bead is not a point: its image is the PSF convolved with the bead. Beads must
    therefore be much smaller than the PSF (for a high-NA objective, 100-200 nm), or the
    learned PSF comes out too wide (chapter 4 of the book measures by how much).

    References
    ----------
    .. [1] D. Sage et al., "DeconvolutionLab2: An open-source software for deconvolution
       microscopy", Methods 115, 28-41 (2017). :doi:`10.1016/j.ymeth.2016.12.015`

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((32, 32))
    >>> image[10:13, 10:13] = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]  # centre (11, 11)
    >>> image[20:22, 24] = 3.0  # two equal pixels: centre (20.5, 24)
    >>> locate_beads(image, window_px=2, smooth_sigma_px=0.0).tolist()
    [[11.0, 11.0], [20.5, 24.0]]
    """
    from skimage.feature import peak_local_max

    image = as_float_array(image, "image", dtype=np.float64)
    min_distance_px = as_int(min_distance_px, "min_distance_px", low=1)
    window_px = as_int(window_px, "window_px", low=1)
    num_refine = as_int(num_refine, "num_refine", low=1)
    threshold_rel = as_number(threshold_rel, "threshold_rel", low=0, low_open=True, high=1.0)
    smooth_sigma_px = as_number(smooth_sigma_px, "smooth_sigma_px", low=0)

    signal = image - np.median(image)
    smooth = ndimage.gaussian_filter(signal, smooth_sigma_px) if smooth_sigma_px else signal
    if smooth.max() <= 0:
        return np.empty((0, image.ndim))
    peaks = peak_local_max(
        smooth,
        min_distance=min_distance_px,
        threshold_abs=threshold_rel * smooth.max(),
        exclude_border=window_px,
    )
    weights = np.clip(signal, 0.0, None)
    shape = np.array(image.shape)
    offsets = np.meshgrid(*[np.arange(-window_px, window_px + 1)] * image.ndim, indexing="ij")
    positions = []
    for peak in peaks:
        estimate = peak.astype(np.float64)
        for _ in range(num_refine):
            centre = np.clip(np.round(estimate).astype(int), window_px, shape - 1 - window_px)
            crop = weights[tuple(slice(c - window_px, c + window_px + 1) for c in centre)]
            total = crop.sum()
            if total <= 0:
                break
            estimate = np.array(
                [(crop * (o + c)).sum() / total for o, c in zip(offsets, centre, strict=True)]
            )
        positions.append(estimate)
    return np.array(positions, dtype=np.float64).reshape(-1, image.ndim)


def extract_psf(image, positions, size, *, background="median"):
    r"""Learn a PSF from an image of sub-resolution beads at known positions.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Bead image (any units, e.g. photons), real and finite.
    positions : array_like, shape (n, image.ndim)
        Bead centres in pixel coordinates (index order), sub-pixel allowed, e.g.
        from :func:`decondl.synthetic.beads` or a localisation step.
    size : int or sequence of int
        Odd size of the PSF to extract, one for all axes or one per axis.
    background : {"median", "border"} or float or None, optional
        Background to subtract: ``"median"`` (default) the median of the whole
        image (right when beads are sparse, so that most pixels are background);
        ``"border"`` the median of the outer one-pixel shell of each bead's crop (a
        local background, needs crops large enough that their border is dark); a
        number, subtracted as is; ``None`` for no subtraction.

    Returns
    -------
    psf : ndarray of float64, shape (size,) * image.ndim
        Non-negative, sum 1, centred on the central pixel.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If shapes do not match, ``size`` is even, ``background`` is unknown, no
        bead crop lies fully inside the image, or the averaged crop has no positive
        flux.

    Notes
    -----
    For every bead at position :math:`p` the image is resampled at
    :math:`p + k`, :math:`k \in \{-s/2, \dots, s/2\}^d` (the crop offsets), with
    cubic B-spline interpolation (``scipy.ndimage.map_coordinates``, order 3, the
    same interpolation as ``scipy.ndimage.shift(order=3)``). This shifts the
    bead's centre exactly onto the central pixel. Beads whose crop does not lie
    fully inside the image are skipped. The background is subtracted and the crops
    are averaged with equal weights, so brighter beads count more, as their
    signal-to-noise ratio is higher. Finally negatives (noise) are clipped and
    the result is normalised:

    .. math:: \hat h = \frac{\max(\bar c, 0)}{\sum \max(\bar c, 0)},
              \qquad \bar c(k) = \frac{1}{n} \sum_i \left[ g(p_i + k) - b \right].

    Averaging :math:`n` beads reduces the noise standard deviation by
    :math:`\sqrt{n}`.

    Examples
    --------
    >>> import numpy as np
    >>> from decondl.synthetic import beads
    >>> from decondl.forward import blur
    >>> truth = gaussian_psf((15, 15), 2.0)
    >>> image, positions = beads((96, 96), 9, np.random.default_rng(0))
    >>> learned = extract_psf(blur(image, truth), positions, 15)
    >>> bool(np.linalg.norm(learned - truth) / np.linalg.norm(truth) < 0.05)
    True
    """
    image = as_float_array(image, "image", dtype=np.float64)
    ndim = image.ndim
    pos = as_float_array(positions, "positions", dtype=np.float64, ndims=(1, 2))
    if pos.ndim == 1 and pos.size == ndim:
        pos = pos[None, :]
    if pos.ndim != 2 or pos.shape[1] != ndim:
        raise ValueError(
            f"positions must have shape (n, {ndim}) for a {ndim}D image, got {pos.shape}"
        )
    sizes = np.atleast_1d(as_array(size, "size", ndims=(0, 1)))
    if sizes.dtype.kind not in "iu" or sizes.ndim != 1 or sizes.size not in (1, ndim):
        raise TypeError(f"size must be an int or one int per axis ({ndim}), got {size!r}")
    sizes = np.broadcast_to(sizes, (ndim,))
    odd_shape(tuple(int(s) for s in sizes), ndims=(ndim,), name="size")
    half = sizes // 2

    level = 0.0  # constant background (for "median", a number or None)
    if isinstance(background, str):
        if background not in ("median", "border"):
            raise ValueError(
                f"background must be 'median', 'border', a number or None, got {background!r}"
            )
        if background == "median":
            level = float(np.median(image))
    elif background is not None:
        level = as_number(background, "background")

    inside = np.all((pos - half >= 0) & (pos + half <= np.array(image.shape) - 1), axis=1)
    if not np.any(inside):
        raise ValueError(
            f"no bead crop of size {tuple(int(s) for s in sizes)} lies fully inside the image "
            f"(of {pos.shape[0]} positions); use a smaller size or beads away from the border"
        )
    coeffs = ndimage.spline_filter(image, order=3, mode="mirror")
    offsets = np.meshgrid(*[np.arange(-h, h + 1) for h in half], indexing="ij")
    border = np.ones(tuple(int(s) for s in sizes), dtype=bool)
    border[tuple(slice(1, -1) for _ in range(ndim))] = False
    total = np.zeros(tuple(int(s) for s in sizes))
    for p in pos[inside]:
        coords = np.stack([o + c for o, c in zip(offsets, p, strict=True)])
        crop = ndimage.map_coordinates(coeffs, coords, order=3, mode="mirror", prefilter=False)
        if isinstance(background, str) and background == "border":
            level = float(np.median(crop[border]))
        total += crop - level
    total = np.clip(total / np.count_nonzero(inside), 0.0, None)
    if total.sum() <= 0:
        raise ValueError(
            "the background-subtracted bead crops have no positive flux; check the positions "
            "and the background setting"
        )
    return total / total.sum()
