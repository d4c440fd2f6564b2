"""Point spread functions (PSFs): models, measurement and validation.

Every PSF returned here is a float64 array with odd sizes, centred (its peak on
the central pixel ``shape // 2``), non-negative and normalised to sum 1, so that
blurring with it preserves the total flux.

Functions
---------
gaussian_psf
    Separable Gaussian in 2D or 3D: the simplest blur model.
airy_psf
    In-focus 2D Airy (Born-Wolf) pattern of a circular pupil, integrated over pixels.
widefield_psf_3d
    3D widefield PSF (scalar Gibson-Lanni or vectorial model) computed with ``psfmodels``.
fwhm_px
    Full width at half maximum of a PSF along one axis, in pixels.
locate_beads
    Find beads in an image (local maxima, refined to a fraction of a pixel by centroids).
extract_psf
    Learn a PSF from an image of sub-resolution beads at known positions.
normalize_psf
    Validate a PSF and normalise it to sum 1 (used by :mod:`decondl.forward` and
    :mod:`decondl.deconvolve`).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage, special

from decondl._checks import as_bool

__all__ = [
    "airy_psf",
    "extract_psf",
    "fwhm_px",
    "gaussian_psf",
    "locate_beads",
    "normalize_psf",
    "widefield_psf_3d",
]

#: Negative PSF values smaller in magnitude than this fraction of the PSF's largest
#: magnitude are treated as floating-point round-off and set to zero.
_ROUNDOFF = 1e-9


# --------------------------------------------------------------------------- validation


def _as_real_array(value, name: str) -> np.ndarray:
    """Return ``value`` as a real (int or float) ndarray, or raise TypeError."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested sequences
        raise TypeError(f"{name} must be a real numeric array: {err}") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got a complex array; take .real or abs() first")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr


def _check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")


def _positive(value, name: str, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not (np.isfinite(value) and value > 0 and (upper is None or value <= upper)):
        expected = "> 0" if upper is None else f"in (0, {upper}]"
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _odd_shape(shape, ndims=(2, 3), name: str = "shape") -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints, got {type(shape).__name__}") from None
    if len(dims) not in ndims:
        allowed = " or ".join(str(d) for d in ndims)
        raise ValueError(f"{name} must have {allowed} entries, got {shape!r}")
    for size in dims:
        if not isinstance(size, numbers.Integral) or isinstance(size, bool):
            raise TypeError(f"{name} must contain ints, got {shape!r}")
        if size < 1 or size % 2 == 0:
            raise ValueError(
                f"{name} must contain odd positive sizes (so that the PSF has a central "
                f"pixel), got {shape!r}"
            )
    return tuple(int(s) for s in dims)


def _centred(psf: np.ndarray) -> np.ndarray:
    """Clip round-off negatives and normalise to sum 1."""
    psf = np.clip(psf, 0.0, None)
    return psf / psf.sum()


# --------------------------------------------------------------------------- models


def gaussian_psf(shape, sigma_px):
    r"""Centred, normalised Gaussian PSF in 2D or 3D.

    Parameters
    ----------
    shape : tuple of int, length 2 or 3
        Odd array sizes, e.g. ``(25, 25)`` or ``(31, 25, 25)`` (z, y, x).
    sigma_px : float or sequence of float
        Standard deviation in pixels, one value for all axes or one per axis
        (3D PSFs are usually longer along z). Must be >= 0; 0 gives a delta along
        that axis.

    Returns
    -------
    psf : ndarray of float64, shape ``shape``
        Sum 1, peak at ``shape // 2``.

    Raises
    ------
    TypeError
        If ``shape`` does not contain ints.
    ValueError
        If a size is even or not positive, or ``sigma_px`` is negative, not finite
        or has the wrong length.

    Notes
    -----
    The PSF is the product of sampled 1D Gaussians,
    :math:`h(x) \propto \prod_k \exp(-x_k^2 / 2\sigma_k^2)`, normalised so that
    :math:`\sum_x h(x) = 1`. Its full width at half maximum is
    :math:`2\sqrt{2 \ln 2}\,\sigma \approx 2.3548\,\sigma`. A Gaussian is a
    reasonable model of the central lobe of a widefield PSF, with
    :math:`\sigma \approx 0.21\,\lambda / \mathrm{NA}` laterally [1]_.

    References
    ----------
    .. [1] B. Zhang, J. Zerubia, J.-C. Olivo-Marin, "Gaussian approximations of
       fluorescence microscope point-spread function models", Applied Optics 46(10),
       1819-1829 (2007). :doi:`10.1364/AO.46.001819`

    Examples
    --------
    >>> psf = gaussian_psf((9, 9), 1.5)
    >>> psf.shape, float(round(psf.sum(), 12)), tuple(int(i) for i in
    ...     np.unravel_index(psf.argmax(), psf.shape))
    ((9, 9), 1.0, (4, 4))
    """
    shape = _odd_shape(shape)
    sigma = _as_real_array(sigma_px, "sigma_px").astype(float)
    if sigma.ndim > 1 or sigma.size not in (1, len(shape)):
        raise ValueError(
            f"sigma_px must be one number or one per axis ({len(shape)}), got {sigma_px!r}"
        )
    if not np.all(np.isfinite(sigma) & (sigma >= 0)):
        raise ValueError(f"sigma_px must be finite and >= 0, got {sigma_px!r}")
    sigma = np.broadcast_to(sigma.reshape(-1), (len(shape),))
    psf = np.ones(shape)
    for axis, (size, s) in enumerate(zip(shape, sigma, strict=True)):
        x = np.arange(size) - size // 2
        profile = (x == 0).astype(float) if s == 0 else np.exp(-0.5 * (x / s) ** 2)
        view = [1] * len(shape)
        view[axis] = size
        psf = psf * profile.reshape(view)
    return psf / psf.sum()


def airy_psf(shape, *, wavelength_um, na, pixel_size_um, oversample=3):
    r"""In-focus 2D Airy (Born-Wolf) PSF of a circular aperture, integrated over pixels.

    Parameters
    ----------
    shape : tuple of int, length 2
        Odd array sizes ``(ny, nx)``.
    wavelength_um : float
        Emission wavelength in micrometres (> 0), e.g. 0.52.
    na : float
        Numerical aperture of the objective, in (0, 1.6].
    pixel_size_um : float
        Pixel size in the sample plane, in micrometres (> 0).
    oversample : int, optional
        Each pixel is integrated by averaging ``oversample x oversample`` point
        samples (>= 1; 1 samples the pixel centres only).

    Returns
    -------
    psf : ndarray of float64, shape ``shape``
        Sum 1, peak at the central pixel.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``shape`` is not 2D with odd sizes or a physical parameter is out of range.

    Notes
    -----
    The in-focus intensity of a point source imaged by an aberration-free lens with
    a circular pupil is [1]_

    .. math:: I(r) = \left[\frac{2 J_1(v)}{v}\right]^2, \qquad
              v = \frac{2\pi\,\mathrm{NA}\,r}{\lambda},

    with :math:`J_1` the Bessel function of the first kind. Its first zero is at
    :math:`r = 0.61\,\lambda/\mathrm{NA}` (the Rayleigh resolution) and its
    full width at half maximum is :math:`0.51\,\lambda/\mathrm{NA}`. The
    pattern is truncated to the array, so make the array a few times larger than
    :math:`\lambda/\mathrm{NA}` to keep the outer rings.

    References
    ----------
    .. [1] M. Born, E. Wolf, *Principles of Optics*, 7th ed., Cambridge University
       Press (1999), section 8.5.2. :doi:`10.1017/CBO9781139644181`

    Examples
    --------
    >>> psf = airy_psf((33, 33), wavelength_um=0.5, na=1.0, pixel_size_um=0.05)
    >>> float(round(psf.sum(), 12)), bool(psf.argmax() == psf.size // 2)
    (1.0, True)
    """
    shape = _odd_shape(shape, ndims=(2,))
    wavelength_um = _positive(wavelength_um, "wavelength_um")
    na = _positive(na, "na", upper=1.6)
    pixel_size_um = _positive(pixel_size_um, "pixel_size_um")
    if not isinstance(oversample, numbers.Integral) or isinstance(oversample, bool):
        raise TypeError(f"oversample must be an int, got {type(oversample).__name__}")
    if oversample < 1:
        raise ValueError(f"oversample must be >= 1, got {oversample}")
    sub = (np.arange(oversample) + 0.5) / oversample - 0.5
    axes = [((np.arange(n) - n // 2)[:, None] + sub[None, :]).ravel() for n in shape]
    yy, xx = np.meshgrid(*axes, indexing="ij", sparse=True)
    r_um = np.hypot(yy, xx) * pixel_size_um
    v = 2.0 * np.pi * na * r_um / wavelength_um
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = np.where(v > 0, (2.0 * special.j1(v) / v) ** 2, 1.0)
    intensity = intensity.reshape(shape[0], oversample, shape[1], oversample).mean(axis=(1, 3))
    return _centred(intensity)


def widefield_psf_3d(
    shape, *, wavelength_um, na, pixel_size_um, z_step_um, ni=1.33, model="scalar"
):
    r"""3D widefield PSF of an aberration-free objective, computed with ``psfmodels``.

    Parameters
    ----------
    shape : tuple of int, length 3
        Odd array sizes ``(nz, ny, nx)``.
    wavelength_um : float
        Emission wavelength in micrometres (> 0).
    na : float
        Numerical aperture, in (0, ``ni``].
    pixel_size_um : float
        Lateral pixel size in the sample, in micrometres (> 0).
    z_step_um : float
        Axial step between planes, in micrometres (> 0).
    ni : float, optional
        Refractive index of the immersion medium (1.33 water, 1.515 oil), in
        [1, 2]. The sample and the design medium are taken to have the same index
        (no spherical aberration).
    model : {"scalar", "vectorial", "gaussian"}, optional
        ``"scalar"``: Gibson-Lanni scalar diffraction model [1]_; ``"vectorial"``:
        vectorial model of Aguet et al. [2]_; ``"gaussian"``: the Gaussian
        approximation of ``psfmodels``.

    Returns
    -------
    psf : ndarray of float64, shape ``shape``
        Sum 1, peak at the central voxel.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``shape`` is not 3D with odd sizes, a physical parameter is out of range
        (including ``na > ni``) or ``model`` is unknown.

    Notes
    -----
    The point source sits on the coverslip, in focus at the central plane. For a
    scalar model the PSF is the squared modulus of the defocused pupil integral

    .. math:: h(r, z) = \left| \int_0^1 J_0\!\left(\frac{2\pi\,\mathrm{NA}\,r}
              {\lambda}\rho\right) e^{i W(\rho, z)} \rho \,d\rho \right|^2,

    with :math:`W` the optical path difference of defocus :math:`z` [1]_. The
    axial extent grows as :math:`\approx 2 n_i \lambda / \mathrm{NA}^2`: a
    widefield PSF is much longer along z than across. ``psfmodels`` integrates each
    pixel by 3x oversampling. A 33 x 65 x 65 PSF takes a few tens of milliseconds.

    References
    ----------
    .. [1] S. F. Gibson, F. Lanni, "Experimental test of an analytical model of
       aberrations in an oil-immersion objective lens used in three-dimensional light
       microscopy", J. Opt. Soc. Am. A 8(10), 1601-1613 (1991).
       :doi:`10.1364/JOSAA.8.001601`
    .. [2] F. Aguet, S. Geissbuehler, I. Maerki, T. Lasser, M. Unser, "Super-resolution
       orientation estimation and localization of fluorescent dipoles using 3-D steerable
       filters", Optics Express 17(8), 6829-6848 (2009). :doi:`10.1364/OE.17.006829`

    Examples
    --------
    >>> psf = widefield_psf_3d((17, 33, 33), wavelength_um=0.52, na=1.0,
    ...                        pixel_size_um=0.1, z_step_um=0.2)
    >>> psf.shape, float(round(psf.sum(), 12)), bool(psf.argmax() == psf.size // 2)
    ((17, 33, 33), 1.0, True)
    """
    shape = _odd_shape(shape, ndims=(3,))
    wavelength_um = _positive(wavelength_um, "wavelength_um")
    pixel_size_um = _positive(pixel_size_um, "pixel_size_um")
    z_step_um = _positive(z_step_um, "z_step_um")
    ni = _positive(ni, "ni", upper=2.0)
    if ni < 1.0:
        raise ValueError(f"ni must be a refractive index in [1, 2], got {ni}")
    na = _positive(na, "na", upper=1.6)
    if na > ni:
        raise ValueError(
            f"na must not exceed the immersion refractive index ni (got na={na}, ni={ni}); "
            "use ni=1.515 for an oil-immersion objective"
        )
    models = ("scalar", "vectorial", "gaussian")
    if model not in models:
        raise ValueError(f"model must be one of {models}, got {model!r}")
    import psfmodels  # imported lazily: only this function needs it

    nz, ny, nx = shape
    nxy = max(ny, nx)
    psf = psfmodels.make_psf(
        nz,
        nxy,
        dxy=pixel_size_um,
        dz=z_step_um,
        NA=na,
        wvl=wavelength_um,
        ni=ni,
        ni0=ni,
        ns=ni,
        model=model,
        normalize=False,
    )
    psf = np.asarray(psf, dtype=np.float64)
    oy, ox = (nxy - ny) // 2, (nxy - nx) // 2
    psf = psf[:, oy : oy + ny, ox : ox + nx]
    if not np.all(np.isfinite(psf)) or psf.max() <= 0:
        raise ValueError(
            "psfmodels returned an invalid PSF for these parameters (check wavelength_um, "
            "na, pixel_size_um and z_step_um)"
        )
    return _centred(psf)


# --------------------------------------------------------------------------- measurement


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
    :math:`p(x_0)`. On each side, find the first sample below
    :math:`p(x_0)/2` and place the crossing by linear interpolation between it
    and its neighbour; the FWHM is the distance between the two crossings. For a
    Gaussian it is :math:`2\sqrt{2\ln 2}\,\sigma \approx 2.3548\,\sigma`, for
    the Airy pattern :math:`0.51\,\lambda/\mathrm{NA}`.

    Examples
    --------
    >>> round(fwhm_px(gaussian_psf((41, 41), 4.0)), 1)  # 2.3548 * 4 = 9.42
    9.4
    """
    arr = _as_real_array(psf, "psf").astype(np.float64)
    if arr.size == 0 or arr.ndim == 0:
        raise ValueError("psf must be a non-empty array with at least one dimension")
    _check_finite(arr, "psf")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"axis must be an int, got {type(axis).__name__}")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis must be in [{-arr.ndim}, {arr.ndim - 1}], got {axis}")
    peak_index = np.unravel_index(np.argmax(arr), arr.shape)
    peak = arr[peak_index]
    if peak <= 0:
        raise ValueError("psf must have a positive maximum")
    index = list(peak_index)
    index[axis] = slice(None)
    profile = arr[tuple(index)]
    centre = peak_index[axis]
    half = peak / 2.0

    def crossing(step):
        i = centre
        while 0 <= i + step < profile.size:
            j = i + step
            if profile[j] < half:
                # linear interpolation between samples i (>= half) and j (< half)
                return i + step * (profile[i] - half) / (profile[i] - profile[j])
            i = j
        raise ValueError(
            f"the profile along axis {axis} does not fall below half maximum inside the "
            "array; use a larger PSF array"
        )

    return float(crossing(+1) - crossing(-1))


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

    image = _as_real_array(image, "image").astype(np.float64)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be 2D or 3D, got {image.ndim} dimensions")
    _check_finite(image, "image")
    min_distance_px = _count(min_distance_px, "min_distance_px")
    window_px = _count(window_px, "window_px")
    num_refine = _count(num_refine, "num_refine")
    threshold_rel = _positive(threshold_rel, "threshold_rel", upper=1.0)
    if isinstance(smooth_sigma_px, bool) or not isinstance(smooth_sigma_px, numbers.Real):
        raise TypeError(
            f"smooth_sigma_px must be a real number, got {type(smooth_sigma_px).__name__}"
        )
    if not (np.isfinite(smooth_sigma_px) and smooth_sigma_px >= 0):
        raise ValueError(f"smooth_sigma_px must be >= 0, got {smooth_sigma_px}")

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
    image = _as_real_array(image, "image").astype(np.float64)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be 2D or 3D, got {image.ndim} dimensions")
    _check_finite(image, "image")
    ndim = image.ndim
    pos = _as_real_array(positions, "positions").astype(np.float64)
    if pos.ndim == 1 and pos.size == ndim:
        pos = pos[None, :]
    if pos.ndim != 2 or pos.shape[1] != ndim:
        raise ValueError(
            f"positions must have shape (n, {ndim}) for a {ndim}D image, got {pos.shape}"
        )
    _check_finite(pos, "positions")
    sizes = np.atleast_1d(_as_real_array(size, "size"))
    if sizes.dtype.kind not in "iu" or sizes.ndim != 1 or sizes.size not in (1, ndim):
        raise TypeError(f"size must be an int or one int per axis ({ndim}), got {size!r}")
    sizes = np.broadcast_to(sizes, (ndim,))
    _odd_shape(tuple(int(s) for s in sizes), ndims=(ndim,), name="size")
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
        if isinstance(background, bool) or not isinstance(background, numbers.Real):
            raise TypeError(
                "background must be 'median', 'border', a number or None, "
                f"got {type(background).__name__}"
            )
        if not np.isfinite(background):
            raise ValueError(f"background must be finite, got {background!r}")
        level = float(background)

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


def normalize_psf(psf, ndim, *, name="psf", require_odd=True):
    r"""Validate a PSF and return a float64 copy normalised to sum 1.

    Used by :func:`decondl.forward.blur` and the deconvolution functions, so that
    every PSF problem gives the same clear error.

    Parameters
    ----------
    psf : array_like
        Candidate PSF: real, finite, non-negative, with positive sum.
    ndim : int
        Required number of dimensions (that of the image it will be used with).
    name : str, optional
        Argument name to use in error messages.
    require_odd : bool, optional
        If True (default), every size must be odd, so that the PSF has a central
        pixel (a centred PSF does not shift the image).

    Returns
    -------
    psf : ndarray of float64
        Copy of the input divided by its sum.

    Raises
    ------
    TypeError
        If ``psf`` is not a real numeric array.
    ValueError
        If ``psf`` has the wrong number of dimensions, is empty, has an even size
        (with ``require_odd``), NaN/inf or negative values, or sums to zero.

    Notes
    -----
    The normalisation :math:`h \leftarrow h / \sum_x h(x)` makes the blur
    preserve total flux. Negative values larger than round-off (:math:`10^{-9}`
    of the largest magnitude) are an error, since a PSF is an intensity; smaller
    ones, such as FFT round-off, are set to zero.

    Examples
    --------
    >>> float(normalize_psf(np.ones((3, 3)), 2)[1, 1]) == 1 / 9
    True
    """
    require_odd = as_bool(require_odd, "require_odd")
    if not isinstance(ndim, numbers.Integral) or isinstance(ndim, bool):
        raise TypeError(f"ndim must be an int, got {type(ndim).__name__}")
    arr = _as_real_array(psf, name).astype(np.float64)  # astype copies
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions (like the image), got {arr.ndim} "
            f"with shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if require_odd and any(s % 2 == 0 for s in arr.shape):
        raise ValueError(
            f"{name} must have odd sizes so that it has a central pixel, got shape {arr.shape}; "
            "pad or crop it symmetrically"
        )
    _check_finite(arr, name)
    scale = np.abs(arr).max()
    if arr.min() < -_ROUNDOFF * scale:
        raise ValueError(
            f"{name} must be non-negative (min {arr.min():.3g}); a PSF is an intensity. "
            "If the negatives are noise, clip them with np.clip(psf, 0, None)"
        )
    arr = np.clip(arr, 0.0, None)
    total = arr.sum()
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum, got {total}")
    return arr / total
