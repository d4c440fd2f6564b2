"""PSF models (Gaussian, Airy, 3D widefield) and the validation of a PSF given by the user.

Every PSF returned here is a float64 array with odd sizes, centred (its peak on the central
pixel ``shape // 2``), non-negative and normalised to sum 1.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from decondl._checks import (
    as_array,
    as_bool,
    as_choice,
    as_float_array,
    as_int,
    as_number,
    as_psf,
    as_shape,
)

__all__ = ["airy_psf", "gaussian_psf", "normalize_psf", "odd_shape", "widefield_psf_3d"]


def odd_shape(shape, ndims=(2, 3), name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of ints if every size is odd (a PSF needs a central pixel).

    Parameters
    ----------
    shape : sequence of int
        The sizes.
    ndims : sequence of int
        Allowed lengths of ``shape``.
    name : str
        The argument's name, for the message.

    Returns
    -------
    tuple of int

    Raises
    ------
    TypeError
        If ``shape`` is not a sequence of ints.
    ValueError
        If its length is not in ``ndims`` or a size is not odd and positive.

    Examples
    --------
    >>> odd_shape([9, 9])
    (9, 9)
    """
    dims = as_shape(shape, name, ndims)
    if any(size % 2 == 0 for size in dims):
        raise ValueError(
            f"{name} must contain odd positive sizes (so that the PSF has a central "
            f"pixel), got {shape!r}"
        )
    return dims


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
    shape = odd_shape(shape)
    sigma = as_float_array(sigma_px, "sigma_px", dtype=np.float64, ndims=(0, 1), nonnegative=True)
    if sigma.size not in (1, len(shape)):
        raise ValueError(
            f"sigma_px must be one number or one per axis ({len(shape)}), got {sigma_px!r}"
        )
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
    shape = odd_shape(shape, ndims=(2,))
    wavelength_um = as_number(wavelength_um, "wavelength_um", low=0, low_open=True)
    na = as_number(na, "na", low=0, low_open=True, high=1.6)
    pixel_size_um = as_number(pixel_size_um, "pixel_size_um", low=0, low_open=True)
    oversample = as_int(oversample, "oversample", low=1)
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
    shape = odd_shape(shape, ndims=(3,))
    wavelength_um = as_number(wavelength_um, "wavelength_um", low=0, low_open=True)
    pixel_size_um = as_number(pixel_size_um, "pixel_size_um", low=0, low_open=True)
    z_step_um = as_number(z_step_um, "z_step_um", low=0, low_open=True)
    ni = as_number(ni, "ni", low=1.0, high=2.0)
    na = as_number(na, "na", low=0, low_open=True, high=1.6)
    if na > ni:
        raise ValueError(
            f"na must not exceed the immersion refractive index ni (got na={na}, ni={ni}); "
            "use ni=1.515 for an oil-immersion objective"
        )
    model = as_choice(model, "model", ("scalar", "vectorial", "gaussian"))
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
    ndim = as_int(ndim, "ndim")
    arr = as_array(psf, name, ndims=None)
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions (like the image), got {arr.ndim} "
            f"with shape {arr.shape}"
        )
    if require_odd and any(s % 2 == 0 for s in arr.shape):
        raise ValueError(
            f"{name} must have odd sizes so that it has a central pixel, got shape {arr.shape}; "
            "pad or crop it symmetrically"
        )
    return as_psf(arr, name, ndim=ndim, dtype=np.float64)
