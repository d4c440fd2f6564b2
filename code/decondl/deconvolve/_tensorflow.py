r"""The TensorFlow engine: the same Fourier arithmetic as ``_engine``, on TensorFlow's device.

Used by :func:`~decondl.deconvolve.richardson_lucy` and :func:`~decondl.deconvolve.wiener`
with ``backend="tensorflow"``. Everything that happens once per call stays in NumPy and is
shared with the NumPy backend: the argument checks, the padding plan
(:class:`~decondl.deconvolve._padding.PadPlan`), the padded data, the OTF, the boundary
weights and the initial estimate. What is repeated, the FFTs and the element-wise
arithmetic of every iteration, runs here, with ``tf.signal.rfft2d`` /
``tf.signal.rfft3d`` and their inverses on whatever device TensorFlow places them (its
first GPU when there is one, else the CPU). The arrays are copied to the device once and
back once (and once per iteration only when a callback or the history asks for the
estimate).

The arithmetic is that of :func:`decondl.deconvolve._engine.rl_iterations` and
:func:`decondl.deconvolve._engine.convolve`, term for term, so the two backends differ only by
the rounding of their FFT libraries (relative difference of order :math:`10^{-6}` in float32;
``tests/test_deconvolve_tensorflow.py``).

TensorFlow is imported when one of these functions is first called, through
:func:`decondl.backend.tensorflow`, never when :mod:`decondl.deconvolve` is imported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from decondl import backend

__all__ = ["filter_apply", "rl_iterations"]


def _ffts(ndim: int):
    """Return TensorFlow's real FFT and its inverse over the last ``ndim`` (2 or 3) axes."""
    tf = backend.tensorflow()
    if ndim == 2:
        return tf.signal.rfft2d, tf.signal.irfft2d
    return tf.signal.rfft3d, tf.signal.irfft3d


def _convolve(x, transfer):
    """Return the circular convolution of real ``x`` with the kernel of rFFT ``transfer``."""
    rfft, irfft = _ffts(len(x.shape))
    return irfft(rfft(x) * transfer, fft_length=backend.tensorflow().shape(x))


@functools.cache
def _rl_step(ndim: int, dtype: str, weighted: bool):
    """Return the compiled Richardson-Lucy update for ``ndim``-D arrays of ``dtype``.

    One graph for every shape (the signature leaves the sizes open), so that images of
    new sizes do not make TensorFlow trace the function again.
    """
    tf = backend.tensorflow()
    real = tf.TensorSpec([None] * ndim, tf.as_dtype(dtype))
    complex_ = tf.TensorSpec([None] * ndim, tf.complex64 if dtype == "float32" else tf.complex128)
    scalar = tf.TensorSpec([], tf.as_dtype(dtype))

    @tf.function(input_signature=[real, real, complex_, complex_, scalar, scalar, real])
    def step(estimate, data, transfer, transfer_conj, background, eps, weights):
        blurred = _convolve(estimate, transfer) + background  # h * x_k + b
        ratio = data / tf.maximum(blurred, eps)  # y / (h * x_k + b)
        updated = estimate * _convolve(ratio, transfer_conj)  # correlation with h
        if weighted:
            updated = updated * weights
        return tf.maximum(updated, tf.zeros_like(updated))  # rounding errors: the update is >= 0

    return step


def rl_iterations(
    estimate: np.ndarray,
    data: np.ndarray,
    transfer: np.ndarray,
    num_iter: int,
    *,
    background: float = 0.0,
    eps: float = 1e-12,
    weights: np.ndarray | None = None,
    on_iteration: Callable[[int, np.ndarray], object] | None = None,
) -> np.ndarray:
    r"""Return the padded estimate after ``num_iter`` Richardson-Lucy updates, by TensorFlow.

    The update of :func:`decondl.deconvolve._engine.rl_iterations` (same arguments, same
    meaning), except that ``estimate`` is not changed: the result is a new array.
    ``on_iteration(k, padded)`` is called after update ``k`` with the padded estimate as a
    NumPy array.
    """
    tf = backend.tensorflow()
    dtype = estimate.dtype
    step = _rl_step(estimate.ndim, dtype.name, weights is not None)
    current = tf.constant(estimate)
    data = tf.constant(data)
    transfer = tf.constant(transfer)
    transfer_conj = tf.math.conj(transfer)
    weights = tf.constant(np.ones((1,) * estimate.ndim, dtype) if weights is None else weights)
    background = tf.constant(background, dtype=dtype)
    eps = tf.constant(eps, dtype=dtype)
    for k in range(1, num_iter + 1):
        current = step(current, data, transfer, transfer_conj, background, eps, weights)
        if on_iteration is not None:
            on_iteration(k, current.numpy())
    return current.numpy()


def filter_apply(padded: np.ndarray, transfer_filter: np.ndarray) -> np.ndarray:
    """Return the circular convolution of ``padded`` with the filter whose rFFT is given.

    :func:`decondl.deconvolve._engine.convolve` on TensorFlow's device: a new real array of
    the shape of ``padded``.
    """
    tf = backend.tensorflow()
    return _convolve(tf.constant(padded), tf.constant(transfer_filter)).numpy()
