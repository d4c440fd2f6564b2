r"""The imaging model: blur, background and noise, in photon units.

A fluorescence microscope turns the sample (the *truth*, values in [0, 1]) into a
noisy image in photons:

.. math:: g = \mathcal{P}\big(\phi\,(h * f) + b\big) + \mathcal{N}(0, \sigma_r^2),

with :math:`f` the truth, :math:`h` the PSF (sum 1), :math:`\phi` the number of
photons per pixel for a truth value of 1 (``photons``), :math:`b` the background in
photons per pixel, :math:`\mathcal{P}` Poisson (shot) noise and
:math:`\sigma_r` the camera read noise in photo-electrons.

Functions
---------
blur
    FFT convolution with a PSF, without wrap-around at the borders.
add_noise
    Poisson shot noise plus Gaussian read noise.
acquire
    The whole model: truth -> noisy image in photons.
to_truth_units
    Undo the photon scaling, to compare a restoration with the truth.
Microscope
    The course's standard widefield microscope (optics + camera) in one object, so
    that every chapter simulates with the same PSF and noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from decondl._checks import as_array, as_choice, as_int, as_number, as_psf, as_rng
from decondl.psf import airy_psf

__all__ = ["Microscope", "acquire", "add_noise", "blur", "to_truth_units"]

#: Padding modes of ``scipy.ndimage`` mapped onto the equivalent ``numpy.pad`` modes.
_PAD_MODES = {
    "reflect": "symmetric",  # d c b a | a b c d | d c b a  (half-sample symmetric)
    "mirror": "reflect",  # d c b | a b c d | c b a      (whole-sample symmetric)
    "nearest": "edge",  # a a a | a b c d | d d d
    "constant": "constant",  # 0 0 0 | a b c d | 0 0 0
    "wrap": "wrap",  # b c d | a b c d | a b c      (periodic)
}


#: Largest expected photon count per pixel the simulator accepts. NumPy's Poisson sampler
#: refuses means above about 1e19; a real camera pixel holds at most about 1e5 electrons.
MAX_PHOTONS = 1e12


def blur(image, psf, *, mode="reflect"):
    r"""Convolve an image with a PSF by FFT, with proper borders (no wrap-around).

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Real, finite image (any units).
    psf : array_like, same number of dimensions as ``image``
        Non-negative PSF, centred at index ``psf.shape // 2`` (the middle pixel for
        odd sizes, the one just after the middle for even sizes, as in
        :mod:`decondl.deconvolve`); it is normalised to sum 1 here.
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, optional
        How the sample continues outside the field of view, with the meaning of
        ``scipy.ndimage``: ``"reflect"`` (default) mirrors it at the border, a
        sample that goes on beyond the image; ``"constant"`` pads with zeros, a dark
        surround; ``"nearest"`` repeats the edge; ``"mirror"`` reflects about the
        edge pixel; ``"wrap"`` is periodic (circular convolution).

    Returns
    -------
    blurred : ndarray, shape ``image.shape``
        float32 for a float32 image, float64 otherwise. If image and PSF are both
        non-negative, FFT round-off below zero is clipped so the result is
        non-negative.

    Raises
    ------
    TypeError
        If ``image`` or ``psf`` is not a real numeric array, or ``mode`` is not a string.
    ValueError
        If ``image`` is not 2D/3D, not finite, the PSF is invalid (wrong number of
        dimensions, NaN/inf or negative values, zero sum) or ``mode`` is unknown.

    Notes
    -----
    The result is the linear convolution

    .. math:: (h * f)(x) = \sum_k h(k)\, f(x - k),

    with :math:`k` relative to the PSF centre. The image is first padded with
    ``mode`` by :math:`s - 1` pixels per axis (:math:`s` the PSF size: the
    half-width :math:`\lfloor s/2 \rfloor` on each side for odd sizes), convolved
    by FFT (:func:`scipy.signal.fftconvolve`) and only the "valid" part is kept,
    so light never wraps around from one border to the opposite one. The result equals
    ``scipy.ndimage.convolve(image, psf, mode=mode)`` up to round-off, in
    :math:`O(N \log N)` instead of :math:`O(N s^d)` operations. Convolving with
    a normalised PSF preserves the total flux of objects away from the borders.

    Examples
    --------
    >>> import numpy as np
    >>> from decondl.psf import gaussian_psf
    >>> image = np.zeros((32, 32)); image[16, 16] = 1.0
    >>> out = blur(image, gaussian_psf((9, 9), 1.0))
    >>> out.shape, round(float(out.sum()), 12)
    ((32, 32), 1.0)
    """
    arr = as_array(image, "image")
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    arr = arr.astype(dtype, copy=False)
    kernel = as_psf(psf, "psf", ndim=arr.ndim, dtype=dtype)
    mode = as_choice(mode, "mode", sorted(_PAD_MODES))
    # The centre shape // 2 maps a point onto itself: s // 2 pixels of the padding go after
    # the image, the other s - 1 - s // 2 before it (the same for an odd size).
    pad = [(s - 1 - s // 2, s // 2) for s in kernel.shape]
    padded = np.pad(arr, pad, mode=_PAD_MODES[mode])
    out = fftconvolve(padded, kernel, mode="valid")
    if arr.min() >= 0:
        np.clip(out, 0, None, out=out)
    return out.astype(dtype, copy=False)


def add_noise(expected, *, read_noise=0.0, rng):
    r"""Draw a noisy camera image from expected photon counts.

    Parameters
    ----------
    expected : array_like
        Expected number of photons per pixel (>= 0, finite), any shape.
    read_noise : float, optional
        Standard deviation of the Gaussian read noise, in photo-electrons (>= 0).
    rng : numpy.random.Generator or int
        Source of randomness (an int is used as a seed).

    Returns
    -------
    image : ndarray of float64, shape ``expected.shape``
        Poisson sample plus read noise (may be negative where the read noise
        dominates).

    Raises
    ------
    TypeError
        If ``expected`` is not a real array or ``rng`` is not a Generator / int.
    ValueError
        If ``expected`` is negative or not finite, or ``read_noise`` < 0.

    Notes
    -----
    .. math:: g = \mathcal{P}(\lambda) + \mathcal{N}(0, \sigma_r^2), \qquad
              \mathbb{E}[g] = \lambda, \quad \operatorname{Var}[g] =
              \lambda + \sigma_r^2.

    Shot noise grows as :math:`\sqrt{\lambda}`, so the signal-to-noise ratio of a
    pixel is :math:`\lambda / \sqrt{\lambda + \sigma_r^2}`. Poisson draws come
    first, then the Gaussian draws, both from ``rng``.

    Examples
    --------
    >>> import numpy as np
    >>> noisy = add_noise(np.full((100, 100), 50.0), rng=np.random.default_rng(0))
    >>> bool(abs(noisy.mean() - 50) < 1)
    True
    """
    lam = as_array(expected, "expected", ndims=None, nonnegative=True)
    if lam.max() > MAX_PHOTONS:
        raise ValueError(
            f"expected must be at most {MAX_PHOTONS:g} photons per pixel, got {lam.max():.3g}"
        )
    read_noise = as_number(read_noise, "read_noise", low=0)
    rng = as_rng(rng)
    noisy = rng.poisson(lam.astype(np.float64)).astype(np.float64)
    if read_noise > 0:
        noisy += rng.normal(0.0, read_noise, size=noisy.shape)
    return noisy


def acquire(truth, psf, *, photons, background=0.0, read_noise=0.0, rng, mode="reflect"):
    r"""Simulate a widefield acquisition of a ground truth, in photon units.

    Parameters
    ----------
    truth : array_like, shape (ny, nx) or (nz, ny, nx)
        Ground-truth intensity, non-negative (normally in [0, 1], e.g. from
        :mod:`decondl.synthetic`).
    psf : array_like, same number of dimensions as ``truth``
        PSF centred at ``psf.shape // 2`` (normalised to sum 1 inside), see :func:`blur`.
    photons : float
        Expected photons per pixel for a truth value of 1 *before* blurring (> 0).
        Blurring preserves flux, so it spreads these photons over the PSF.
    background : float, optional
        Expected background photons per pixel (>= 0), e.g. out-of-focus light or
        autofluorescence.
    read_noise : float, optional
        Camera read noise standard deviation in photo-electrons (>= 0).
    rng : numpy.random.Generator or int
        Source of randomness (an int is used as a seed).
    mode : str, optional
        Border handling of the blur, see :func:`blur`.

    Returns
    -------
    image : ndarray of float64, shape ``truth.shape``
        Noisy image in photons.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``truth`` is not 2D/3D, negative or not finite, the PSF is invalid, or
        ``photons``, ``background``, ``read_noise`` are out of range.

    Notes
    -----
    .. math:: \lambda = \phi\,(h * f) + b, \qquad
              g = \mathcal{P}(\lambda) + \mathcal{N}(0, \sigma_r^2),

    with :math:`\phi` = ``photons``, :math:`b` = ``background`` and
    :math:`\sigma_r` = ``read_noise``; see :func:`blur` and :func:`add_noise`.
    :func:`to_truth_units` maps an image back to the scale of the truth.

    Examples
    --------
    >>> import numpy as np
    >>> from decondl.psf import gaussian_psf
    >>> truth = np.zeros((64, 64)); truth[20:40, 20:40] = 1.0
    >>> image = acquire(truth, gaussian_psf((9, 9), 1.5), photons=100, background=10,
    ...                 rng=np.random.default_rng(0))
    >>> image.shape, image.dtype
    ((64, 64), dtype('float64'))
    """
    truth = as_array(truth, "truth", nonnegative=True)
    photons = as_number(photons, "photons", low=0, low_open=True, high=MAX_PHOTONS)
    background = as_number(background, "background", low=0)
    read_noise = as_number(read_noise, "read_noise", low=0)
    rng = as_rng(rng)
    expected = photons * blur(truth.astype(np.float64), psf, mode=mode) + background
    return add_noise(expected, read_noise=read_noise, rng=rng)


def to_truth_units(image, *, photons, background=0.0):
    r"""Convert an image in photons back to the scale of the ground truth.

    Parameters
    ----------
    image : array_like
        Image in photons (raw, or restored from an acquisition), any shape.
    photons : float
        The ``photons`` used in :func:`acquire` (> 0).
    background : float, optional
        The ``background`` used in :func:`acquire` (>= 0).

    Returns
    -------
    scaled : ndarray of float64, shape ``image.shape``
        :math:`(g - b) / \phi`; noise-free and unblurred, a truth value of 1
        maps to 1.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``image`` is not finite or ``photons``/``background`` are out of range.

    Notes
    -----
    .. math:: \tilde f = (g - b) / \phi,

    the inverse of the affine part of :func:`acquire`, so that a restoration can be
    compared with the truth by :func:`decondl.metrics.psnr`.

    Examples
    --------
    >>> to_truth_units(np.array([10.0, 110.0]), photons=100, background=10)
    array([0., 1.])
    """
    arr = as_array(image, "image", ndims=None)
    photons = as_number(photons, "photons", low=0, low_open=True)
    background = as_number(background, "background", low=0)
    return (arr.astype(np.float64) - background) / photons


@dataclass(frozen=True)
class Microscope:
    r"""A 2D widefield fluorescence microscope: in-focus Airy PSF and a noisy camera.

    The defaults are the course's standard acquisition (chapters 3 to 6 simulate
    with them, so results are comparable across chapters): green emission, a
    dry objective of NA 0.8 and a 65 nm pixel (a 6.5 um camera pixel behind a
    100x magnification), about 200 photons for the brightest structures.

    Parameters
    ----------
    wavelength_um : float
        Emission wavelength in micrometres.
    na : float
        Numerical aperture of the objective.
    pixel_size_um : float
        Pixel size in the sample plane, in micrometres.
    photons : float
        Expected photons per pixel for a truth value of 1 before blurring.
    background : float
        Expected background photons per pixel.
    read_noise : float
        Camera read noise (standard deviation, photo-electrons).
    psf_size_px : int
        Odd side length of the PSF array (pixels).

    Raises
    ------
    TypeError
        If a parameter has the wrong type (``psf_size_px`` must be an int).
    ValueError
        If a parameter is out of range (checked when the microscope is created):
        ``photons`` in (0, 1e12], ``background`` and ``read_noise`` >= 0,
        ``psf_size_px`` odd and >= 3, and the optics as in :func:`decondl.psf.airy_psf`.

    Notes
    -----
    See :func:`acquire` for the model and :func:`decondl.psf.airy_psf` for the PSF,
    whose full width at half maximum is about :math:`0.51\,\lambda/\mathrm{NA}`.

    Examples
    --------
    >>> import numpy as np
    >>> scope = Microscope()
    >>> scope.psf().shape
    (31, 31)
    >>> truth = np.zeros((64, 64)); truth[30:34, 30:34] = 1.0
    >>> scope.acquire(truth, rng=np.random.default_rng(0)).shape
    (64, 64)
    """

    wavelength_um: float = 0.52
    na: float = 0.8
    pixel_size_um: float = 0.065
    photons: float = 200.0
    background: float = 10.0
    read_noise: float = 2.0
    psf_size_px: int = 31

    def __post_init__(self):
        size = as_int(self.psf_size_px, "psf_size_px")
        if size < 3 or size % 2 == 0:
            raise ValueError(f"psf_size_px must be an odd integer >= 3, got {size}")
        as_number(self.photons, "photons", low=0, low_open=True, high=MAX_PHOTONS)
        as_number(self.background, "background", low=0)
        as_number(self.read_noise, "read_noise", low=0)
        self.psf()  # checks wavelength_um, na and pixel_size_um, naming them

    def psf(self) -> np.ndarray:
        """Return the PSF, shape ``(psf_size_px, psf_size_px)``, centred, sum 1."""
        size = self.psf_size_px
        return airy_psf(
            (size, size),
            wavelength_um=self.wavelength_um,
            na=self.na,
            pixel_size_um=self.pixel_size_um,
        )

    def acquire(self, truth, *, rng, psf=None) -> np.ndarray:
        """Simulate an acquisition of ``truth`` (2D, values in [0, 1]) in photons.

        ``psf`` defaults to :meth:`psf`; pass it when acquiring many images to
        compute it only once. See :func:`acquire`.
        """
        return acquire(
            truth,
            self.psf() if psf is None else psf,
            photons=self.photons,
            background=self.background,
            read_noise=self.read_noise,
            rng=rng,
        )

    def to_truth_units(self, image) -> np.ndarray:
        """Map an image in photons to the truth's scale, see :func:`to_truth_units`."""
        return to_truth_units(image, photons=self.photons, background=self.background)
