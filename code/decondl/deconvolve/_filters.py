r"""The linear filters: the inverse filter and the Wiener filter (taught in chapter 4).

Both pad the image (:func:`~decondl.deconvolve._padding.filter_plan`), multiply its
spectrum by a filter built from the optical transfer function, transform back and crop;
see :mod:`decondl.deconvolve` for the conventions shared with Richardson-Lucy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from decondl._checks import as_number
from decondl.deconvolve._engine import convolve, otf
from decondl.deconvolve._inputs import as_backend, image_and_psf, pad_mode_and_workers
from decondl.deconvolve._padding import filter_plan

__all__ = ["inverse_filter", "wiener"]


def _filter_apply(
    image: np.ndarray,
    psf: np.ndarray,
    pad_mode: str,
    workers: int,
    make_filter: Callable[[np.ndarray], np.ndarray],
    backend: str = "numpy",
) -> np.ndarray:
    """Pad, multiply the spectrum by ``make_filter(otf)``, transform back and crop.

    The filter is built in NumPy; with ``backend="tensorflow"`` the FFTs of the image and
    the product run in TensorFlow (``_tensorflow.filter_apply``).
    """
    grid = filter_plan(image.shape, psf.shape, pad_mode)
    padded = grid.embed(image, pad_mode)
    transfer_filter = make_filter(otf(psf, grid.shape, workers))
    if backend == "tensorflow":
        from decondl.deconvolve import _tensorflow

        return grid.crop(_tensorflow.filter_apply(padded, transfer_filter))
    return grid.crop(convolve(padded, transfer_filter, workers))


def _power(transfer: np.ndarray) -> np.ndarray:
    """Return ``|transfer|**2`` as a real array of the transfer function's precision."""
    return transfer.real**2 + transfer.imag**2


def inverse_filter(
    image, psf, *, eps: float = 1e-12, pad_mode: str = "reflect", workers: int = -1
) -> np.ndarray:
    r"""Deconvolve by dividing the image spectrum by the optical transfer function.

    The naive inverse filter: exact only for a noiseless circular blur whose OTF has no
    zeros (``pad_mode="wrap"``), useless for real data, because it divides by the small
    values of the OTF at high spatial frequencies and so amplifies the noise, and any
    mismatch at the image borders, there enormously. Taught in chapter 4 to show why
    deconvolution needs regularisation (:func:`wiener`) or a noise model
    (:func:`richardson_lucy`).

    Parameters
    ----------
    image : (Y, X) or (Z, Y, X) array_like of real numbers
        Blurred image. float32 stays float32; other dtypes are computed in float64.
    psf : array_like of real numbers, same number of dimensions as `image`
        Point spread function, centred at ``psf.shape // 2``, non-negative;
        normalised to sum 1 inside.
    eps : float, optional
        Guard against division by zero (dimensionless, relative to an OTF whose
        zero-frequency value is 1): :math:`|H|^2` is clamped below at
        :math:`\varepsilon^2`, so no frequency is amplified by more than
        :math:`1/\varepsilon`. Must be positive. Default ``1e-12``.
    pad_mode : {"reflect", "symmetric", "edge", "constant", "wrap"}, optional
        How the image is extended beyond its borders before the FFTs (see
        :mod:`decondl.deconvolve`); ``"wrap"`` does not pad (circular convolution, with
        wrap-around at the borders). Default ``"reflect"``.
    workers : int, optional
        Number of threads for the FFTs; ``-1`` (default) uses every core available
        to the process. The result does not depend on it.

    Returns
    -------
    restored : ndarray, same shape as `image`
        The inverse-filtered image, float32 or float64 as described above.

    Raises
    ------
    TypeError
        If `image` or `psf` is complex, boolean or non-numeric, `eps` is not a real
        number, or `workers` is not an integer.
    ValueError
        If an array is empty, contains NaN/inf, is not 2D/3D, the dimensions differ,
        the PSF is negative or sums to zero, `eps` is not positive, `pad_mode` is
        unknown (or ``"wrap"`` with a PSF larger than the image), or `workers` is
        neither positive nor -1.

    See Also
    --------
    wiener : the regularised version.

    Notes
    -----
    With :math:`Y` the FFT of the padded image and :math:`H` the OTF (FFT of the
    centred, normalised PSF at the padded size),

    .. math::

        \hat X = \frac{H^* \, Y}{\max\left(|H|^2, \varepsilon^2\right)},

    which equals :math:`Y / H` wherever :math:`|H| \ge \varepsilon`. The estimate is
    the inverse FFT of :math:`\hat X`, cropped back to the field of view. For a
    Gaussian PSF :math:`|H|` falls below :math:`10^{-12}` at high frequencies, so
    even rounding errors of the input are amplified into visible noise.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed.,
       Pearson (2018), chapter 5, "Inverse filtering".

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> rng = np.random.default_rng(0)
    >>> obj = ndimage.gaussian_filter(rng.random((64, 64)), 4.0)
    >>> psf = np.zeros((9, 9)); psf[4, 4] = 1.0
    >>> psf = ndimage.gaussian_filter(psf, 1.0)
    >>> blurred = ndimage.convolve(obj, psf / psf.sum(), mode="mirror")
    >>> restored = inverse_filter(blurred, psf)
    >>> bool(np.abs(restored - obj)[16:-16, 16:-16].max() < 1e-3)
    True
    >>> noisy = blurred + 1e-3 * rng.standard_normal(blurred.shape)
    >>> bool(np.abs(inverse_filter(noisy, psf) - obj).max() > 1.0)  # noise explodes
    True
    """
    image, psf = image_and_psf(image, psf)
    eps = as_number(eps, "eps", low=0, low_open=True)
    pad_mode, workers = pad_mode_and_workers(pad_mode, workers)

    def make_filter(transfer):
        return np.conj(transfer) / np.maximum(_power(transfer), eps**2)

    return _filter_apply(image, psf, pad_mode, workers, make_filter)


def wiener(
    image,
    psf,
    balance,
    *,
    pad_mode: str = "reflect",
    workers: int = -1,
    backend: str = "numpy",
) -> np.ndarray:
    r"""Deconvolve with the Wiener (Tikhonov-regularised inverse) filter.

    Parameters
    ----------
    image : (Y, X) or (Z, Y, X) array_like of real numbers
        Blurred, noisy image. float32 stays float32; other dtypes are computed in
        float64. Negative values (background-subtracted data) are allowed.
    psf : array_like of real numbers, same number of dimensions as `image`
        Point spread function, centred at ``psf.shape // 2``, non-negative;
        normalised to sum 1 inside.
    balance : float
        Regularisation weight :math:`\lambda \ge 0` (dimensionless): the assumed
        noise-to-signal power ratio (see Notes). ``0`` gives the plain inverse
        filter (frequencies where the OTF is exactly zero are then set to zero).
        Larger values give smoother, less noisy results.
    pad_mode : {"reflect", "symmetric", "edge", "constant", "wrap"}, optional
        How the image is extended beyond its borders before the FFTs (see
        :mod:`decondl.deconvolve`); ``"wrap"`` does not pad (circular convolution, with
        wrap-around at the borders). Default ``"reflect"``.
    workers : int, optional
        Number of threads for the FFTs; ``-1`` (default) uses every core available
        to the process. The result does not depend on it.
    backend : {"numpy", "tensorflow"}, optional
        Where the FFTs of the image run: :mod:`scipy.fft` (``"numpy"``, default) or
        TensorFlow on its device (GPU when there is one; imported only then). Padding and
        filter are the same NumPy code for both; the results agree to rounding error.

    Returns
    -------
    restored : ndarray, same shape as `image`
        The deconvolved image, float32 or float64 as described above.

    Raises
    ------
    TypeError
        If `image` or `psf` is complex, boolean or non-numeric, `balance` is not a
        real number, `workers` is not an integer, or `pad_mode` or `backend` is not a str.
    ValueError
        If an array is empty, contains NaN/inf, is not 2D/3D, the dimensions differ,
        the PSF is negative or sums to zero, `balance` is negative or not finite,
        `pad_mode` is unknown (or ``"wrap"`` with a PSF larger than the image),
        `workers` is neither positive nor -1, or `backend` is unknown.

    See Also
    --------
    skimage.restoration.wiener : the same filter with a Laplacian regulariser by
        default and no padding (circular borders).

    Notes
    -----
    With :math:`Y` the FFT of the padded image and :math:`H` the OTF (FFT of the
    centred, normalised PSF at the padded size), the estimate is the inverse FFT
    of

    .. math::

        \hat X = \frac{H^* \, Y}{|H|^2 + \lambda},

    cropped back to the field of view. This minimises
    :math:`\lVert h * x - y \rVert^2 + \lambda \lVert x \rVert^2` (Tikhonov
    regularisation with the identity). It is the Wiener filter
    :math:`H^* / (|H|^2 + S_n / S_x)` for noise and signal power spectra
    :math:`S_n, S_x` whose ratio is assumed to be the same constant
    :math:`\lambda` at all frequencies. For white noise of variance
    :math:`\sigma^2` and a white signal of variance :math:`v`,
    :math:`S_n / S_x = \sigma^2 / v`, so ``(noise std / signal std) ** 2`` is a
    sensible first value; real images concentrate their power at low
    frequencies, so the best `balance` is usually found by trying a few values
    on a logarithmic scale.

    :func:`skimage.restoration.wiener` computes the same expression with
    :math:`\lambda |D|^2` in place of :math:`\lambda`, where :math:`D` is the
    transfer function of its regulariser ``reg`` (a Laplacian by default); with
    ``reg`` a unit impulse (:math:`|D| = 1`), ``clip=False`` and the same padded
    image, the two functions agree to rounding error (tested in
    ``tests/test_deconvolve.py``).

    References
    ----------
    .. [1] N. Wiener, *Extrapolation, Interpolation, and Smoothing of Stationary
       Time Series*, MIT Press (1949). https://doi.org/10.7551/mitpress/2946.001.0001
    .. [2] F. Orieux, J.-F. Giovannelli and T. Rodet, "Bayesian estimation of
       regularization and point spread function parameters for Wiener-Hunt
       deconvolution", J. Opt. Soc. Am. A 27, 1593-1607 (2010).
       https://doi.org/10.1364/JOSAA.27.001593

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((32, 32)); image[16, 16] = 1.0
    >>> psf = np.zeros((3, 3)); psf[1, 1] = 1.0        # a perfect microscope
    >>> bool(np.allclose(wiener(image, psf, balance=0.0), image))
    True
    >>> wiener(image.astype(np.float32), psf, balance=0.1).dtype
    dtype('float32')
    """
    image, psf = image_and_psf(image, psf)
    balance = as_number(balance, "balance", low=0)
    pad_mode, workers = pad_mode_and_workers(pad_mode, workers)
    backend = as_backend(backend)

    def make_filter(transfer):
        denominator = _power(transfer)
        denominator += balance
        # Only possible with balance == 0: frequencies the microscope does not transmit.
        zeros = np.zeros_like(transfer)
        return np.divide(np.conj(transfer), denominator, out=zeros, where=denominator > 0)

    return _filter_apply(image, psf, pad_mode, workers, make_filter, backend)
