r"""The Fourier engine: transfer function, circular convolution and the fast RL loop.

Everything here works on arrays already laid out on the padded grid of a
:class:`~decondl.deconvolve._padding.PadPlan`; checking arguments, padding and
cropping are the callers' business. Only public :mod:`scipy.fft` functions are used,
with ``workers`` threads each: the FFTs are the expensive part and SciPy splits their
lines between the threads, so the results do not depend on the number of threads.

Cost of one Richardson-Lucy iteration: two FFT pairs (a real forward and a real
inverse transform each) and a few in-place element-wise operations, all in the image's
precision. Correlation with the PSF (the adjoint of the blur) is a product with the
complex conjugate of the OTF, so no flipped PSF is ever transformed. scikit-image
instead calls :func:`scipy.signal.convolve` twice per iteration, which transforms the
PSF again each time (six FFTs per iteration instead of four) on one core;
``benchmarks/deconvolution.py`` measures the difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.fft

__all__ = ["MIN_THREADED_SIZE", "convolve", "otf", "rl_iterations", "sensitivity"]

#: Padded arrays smaller than this (in elements) are transformed on one thread: for
#: them, handing lines to other threads costs more than it saves.
MIN_THREADED_SIZE = 2**16


def threads_for(shape, workers: int) -> int:
    """Return ``workers``, or 1 for grids smaller than :data:`MIN_THREADED_SIZE`."""
    return workers if math.prod(shape) >= MIN_THREADED_SIZE else 1


def otf(psf: np.ndarray, shape, workers: int = 1) -> np.ndarray:
    """Return the real-FFT transfer function of the centred ``psf`` on the grid ``shape``.

    The PSF is placed in a zero array of ``shape`` and rolled so that its centre
    ``psf.shape // 2`` sits at index 0; the result has shape
    ``shape[:-1] + (shape[-1] // 2 + 1,)`` and the precision of ``psf`` (complex64
    for float32).

    Examples
    --------
    >>> import numpy as np
    >>> delta = np.zeros((3, 3)); delta[1, 1] = 1.0
    >>> bool(np.allclose(otf(delta, (8, 8)), 1.0))
    True
    """
    kernel = np.zeros(shape, dtype=psf.dtype)
    kernel[tuple(slice(0, p) for p in psf.shape)] = psf
    kernel = np.roll(kernel, [-(p // 2) for p in psf.shape], axis=tuple(range(psf.ndim)))
    return scipy.fft.rfftn(kernel, workers=workers)


def convolve(x: np.ndarray, transfer: np.ndarray, workers: int = 1) -> np.ndarray:
    """Return the circular convolution of real ``x`` with the kernel whose rFFT is ``transfer``.

    ``irfftn(rfftn(x) * transfer)`` at the shape of ``x``, as a new real array; the
    spectrum is transformed back in place (along all axes but the last, then a real
    inverse FFT along the last), so only the two arrays that SciPy returns are allocated.
    ``transfer`` may be :func:`otf` (convolution with the PSF), its complex conjugate
    (correlation) or any filter of the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> bool(np.allclose(convolve(x, np.ones((4, 3))), x))
    True
    """
    spectrum = scipy.fft.rfftn(x, workers=workers)
    spectrum *= transfer
    other_axes = tuple(range(x.ndim - 1))
    if other_axes:
        spectrum = scipy.fft.ifftn(spectrum, axes=other_axes, overwrite_x=True, workers=workers)
    return scipy.fft.irfft(spectrum, x.shape[-1], axis=-1, overwrite_x=True, workers=workers)


def sensitivity(observed: np.ndarray, transfer: np.ndarray, workers: int = 1) -> np.ndarray:
    r"""Return :math:`s = \tilde h \star m`: the fraction of each pixel's light that is observed.

    ``observed`` is the mask :math:`m` (1 on observed pixels, 0 in the band) in the
    working float dtype, ``transfer`` the OTF :math:`H`; the correlation is a product
    with :math:`H^*`.
    """
    return convolve(observed, np.conj(transfer), workers)


def rl_iterations(
    estimate: np.ndarray,
    data: np.ndarray,
    transfer: np.ndarray,
    num_iter: int,
    *,
    background: float = 0.0,
    eps: float = 1e-12,
    workers: int = 1,
    weights: np.ndarray | None = None,
    on_iteration: Callable[[int], object] | None = None,
) -> None:
    r"""Apply ``num_iter`` Richardson-Lucy updates to the padded ``estimate`` in place.

    .. math::

        x_{k+1} = \max\left(0,\; w \, x_k \cdot \left[\tilde h \star
        \frac{y}{\max(h * x_k + b, \varepsilon)}\right]\right)

    with every convolution circular on the padded grid (see :func:`convolve`).

    Parameters
    ----------
    estimate, data : ndarray, padded shape
        Current estimate :math:`x_k` (updated in place) and padded data :math:`y` (zero
        where unobserved), same real dtype.
    transfer : ndarray
        :func:`otf` of the PSF at the padded shape, matching complex dtype.
    num_iter : int
        Number of updates.
    background, eps : float
        Background :math:`b` of the model and the floor :math:`\varepsilon` of the
        blurred estimate.
    workers : int
        Threads per FFT.
    weights : ndarray or None
        :math:`w`, e.g. ``1 / sensitivity`` (None: 1).
    on_iteration : callable or None
        Called as ``on_iteration(k)`` after update ``k``.
    """
    transfer_conj = np.conj(transfer)
    background = estimate.dtype.type(background)
    # Clamping against arrays (one slice along axis 0, broadcast) instead of scalars: numpy's
    # vectorised loop is about three times faster.
    floor = np.full(estimate.shape[1:], eps, dtype=estimate.dtype)
    zeros = np.zeros(estimate.shape[1:], dtype=estimate.dtype)
    for k in range(1, num_iter + 1):
        ratio = convolve(estimate, transfer, workers)  # h * x_k
        if background:
            ratio += background
        np.maximum(ratio, floor, out=ratio)
        np.divide(data, ratio, out=ratio)  # y / (h * x_k + b)
        estimate *= convolve(ratio, transfer_conj, workers)  # correlation with h
        if weights is not None:
            estimate *= weights
        np.maximum(estimate, zeros, out=estimate)  # removes rounding errors: the update is >= 0
        if on_iteration is not None:
            on_iteration(k)
