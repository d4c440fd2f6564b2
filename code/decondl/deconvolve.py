r"""Classical deconvolution: inverse filter, Wiener filter and Richardson-Lucy.

Taught in chapter 4 (*Classical deconvolution*) and used again as the baselines of
chapter 5 (CARE) and chapter 6 (segmentation). All three functions share one
imaging model, :math:`y = h * x + b + n`: the observed ``image`` :math:`y` is the
object :math:`x` convolved with the point spread function ``psf`` :math:`h`, plus a
constant ``background`` :math:`b` and noise :math:`n`.

Conventions shared by every function of this module:

* ``image`` is a real 2D ``(Y, X)`` or 3D ``(Z, Y, X)`` array. ``float32`` input is
  computed and returned in ``float32``, ``float64`` in ``float64``; integer input is
  converted to ``float64`` (``float16`` to ``float32``). The output has the image's
  shape.
* ``psf`` has the same number of dimensions as ``image``. Its centre (the pixel
  that maps a point onto itself) is at index ``psf.shape // 2`` along every axis:
  the middle pixel for an odd size, the pixel just after the middle for an even
  size (the same convention as :func:`skimage.restoration.wiener`). It must be
  non-negative with a positive sum and is normalised to sum 1 inside, so a PSF
  that was scaled by mistake does not change the flux of the result. It may be
  larger than the image (a short z-stack with a tall 3D PSF): the padding below
  handles it.
* Bad input (NaN/inf, empty, complex, non-numeric, wrong dimensions, negative PSF,
  bad parameters) raises :class:`ValueError` or :class:`TypeError` naming the
  argument.

**Borders.** A product of discrete Fourier transforms is a *circular*
convolution: used naively, light leaving the image on one side re-enters on the
opposite side (wrap-around). Each axis of length :math:`n` is therefore padded
before the FFTs (except with ``pad_mode="wrap"``, below) and the result cropped
back to the field of view. With
:math:`h = \lfloor p/2 \rfloor` the PSF half-width along that axis (:math:`p`
its length):

* Richardson-Lucy extends the image by at least :math:`h` pixels on both sides
  (values from ``pad_mode``, below) and then leaves a band of at least
  :math:`2h` pixels in which the data is *unobserved*: the estimate may be
  non-zero there, but the ratio of data to model is set to zero, and the update
  is normalised by the fraction of each pixel's light that lands on observed
  pixels (the boundary method of Bertero and Boccacci, 2005,
  https://doi.org/10.1051/0004-6361:20052717). A blurred pixel only reaches :math:`h`
  pixels far, so the half of the band that follows the image only exchanges
  light with the end of the image, the other half (which the FFT period places
  just before the image) only with its start: the iteration has no
  wrap-around at all, however many iterations run. (With padding alone, the two
  margins would exchange light across the period from the second iteration on
  and leak it into the opposite border.) The field of view sees only the
  extended data during the first iteration; what the extension gets wrong then
  creeps inwards by at most :math:`p - 1` pixels per iteration, as in any
  iterative method with borders, but weakly: a flat image stays flat to
  :math:`10^{-4}`.
* :func:`wiener` and :func:`inverse_filter` extend the image by at least
  :math:`4h` (about two PSF widths) on both sides. Their restoring kernel has no
  finite support, so the extension only makes the wrapped-around part decay:
  for a moderate ``balance`` it is far below the rounding error (for example
  :math:`10^{-9}` of the signal for ``balance=1e-2``), but with almost no
  regularisation (the inverse filter) it is not.

The padded length is then rounded up to an FFT-friendly (5-smooth) length with
:func:`scipy.fft.next_fast_len`; the spare pixels widen the extension. The
extension values come from ``pad_mode`` (numpy's :func:`numpy.pad` modes):

``"reflect"`` (default)
    mirror about the edge pixel, ``d c b | a b c d | c b a``: a smooth
    continuation, so that no sharp edge is invented at the border.
``"symmetric"``
    mirror including the edge pixel, ``c b a | a b c d | d c b``.
``"edge"``
    repeat the edge pixel.
``"constant"``
    zeros. For Richardson-Lucy this means the scikit-image model instead: no
    extension, the object is zero outside the field of view and the data
    unobserved there, without normalisation. That is exactly the problem that
    :func:`skimage.restoration.richardson_lucy` solves with
    ``scipy.signal.convolve(..., mode="same")``; it distorts the estimate near the
    borders (a flat image does not stay flat), which the default avoids.
``"wrap"``
    no padding at all: the image is taken as one period of a periodic image, so
    the FFT product is the circular convolution and light leaving one border
    re-enters on the opposite one. This is what a bare textbook implementation
    (``fftn`` of the image times the OTF at the image's size) computes; it is
    offered to show the wrap-around artefacts and as the exact reference of the
    exercise checks (:mod:`decondl.exercises.deconvolution`), not for real data.
    The PSF must not be larger than the image along any axis.

**Speed.** The optical transfer function (OTF, the FFT of the centred PSF) is
computed once per call with real FFTs (:func:`scipy.fft.rfftn`) at the padded
size; correlation with the PSF (the adjoint needed by Richardson-Lucy) is a
product with the complex conjugate of the OTF, so no flipped PSF is transformed.
One Richardson-Lucy iteration therefore costs two FFT pairs (one forward plus one
inverse real FFT each) and a few in-place element-wise operations, all in the
image's precision. The loop allocates nothing: the transforms write into reused
buffers (through the engine behind :mod:`scipy.fft`, whose public functions have
no ``out=``), because fresh multi-megabyte temporaries cost page faults that took
longer than the float64 transforms themselves. With ``workers`` threads the
iteration alternates between *row* stages (blocks along the first axis: FFTs
along the last axis and the element-wise work) and *column* stages (blocks along
the last axis of the spectrum: FFTs along the other axes and the OTF products),
with a barrier in between; the result does not depend on the number of threads.
``scikit-image`` instead calls :func:`scipy.signal.convolve` twice per iteration,
which transforms the PSF again each time (six FFTs per iteration instead of four)
on one core. ``benchmarks/deconvolution.py`` measures the difference.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
from collections.abc import Callable

import numpy as np
import scipy.fft

from decondl._checks import as_bool

__all__ = ["PAD_MODES", "inverse_filter", "richardson_lucy", "wiener"]

#: Padding modes accepted by ``pad_mode`` (see the module docstring).
PAD_MODES = ("reflect", "symmetric", "edge", "constant", "wrap")

# Padded arrays smaller than this (in elements) are not split between threads: for them
# the synchronisation would cost more than it saves.
_MIN_THREADED_SIZE = 2**16
# Wiener and the inverse filter extend the image by this many PSF half-widths per side.
_FILTER_EXTEND = 4
# Richardson-Lucy: band pixels that send less than this fraction of their light onto
# observed pixels are not estimated (kept at zero).
_MIN_SENSITIVITY = 1e-4


def _load_pocketfft():
    """Return scipy's FFT engine if it works as used here (``out=`` buffers), else None.

    It is a private module of scipy: if its layout or signatures ever change, the
    Richardson-Lucy loop falls back to the public :mod:`scipy.fft` functions (same
    results, some copies more).
    """
    try:
        from scipy.fft._pocketfft import pypocketfft as engine

        x = np.arange(12.0).reshape(3, 4)
        spectrum = np.empty((3, 3), dtype=complex)
        back = np.empty_like(x)
        engine.r2c(x, (1,), True, 0, spectrum, 1)
        engine.c2c(spectrum, (0,), True, 0, spectrum, 1)
        engine.c2c(spectrum, (0,), False, 2, spectrum, 1)
        engine.c2r(spectrum, (1,), 4, False, 2, back, 1)
        return engine if np.allclose(back, x) else None
    except Exception:  # pragma: no cover - any failure means: use the public API
        return None


_pocketfft = _load_pocketfft()


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------


def _float_dtype(dtype: np.dtype) -> np.dtype:
    """Return the floating-point dtype used to compute with an array of ``dtype``."""
    if dtype == np.float32 or dtype == np.float16:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _check_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a finite, non-empty, real float array or raise."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be an array of real numbers; got {x!r:.80}") from err
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{name} must be real, got complex dtype {arr.dtype}; pass np.real({name}) or "
            f"np.abs({name}) explicitly if that is what you mean"
        )
    if kind == "b":
        raise TypeError(
            f"{name} must hold numbers, got boolean dtype; convert it with .astype(float)"
        )
    if kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be 2D (Y, X) or 3D (Z, Y, X), got {arr.ndim}D shape {arr.shape}"
        )
    arr = arr.astype(_float_dtype(arr.dtype), copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_image_psf(image, psf) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``image`` and ``psf``; return them as floats, PSF normalised, same dtype."""
    image = _check_array(image, "image")
    psf = _check_array(psf, "psf")
    if psf.ndim != image.ndim:
        raise ValueError(
            f"psf must have the same number of dimensions as image: image is {image.ndim}D "
            f"{image.shape}, psf is {psf.ndim}D {psf.shape}"
        )
    if psf.min() < 0:
        raise ValueError(f"psf must be non-negative, its minimum is {psf.min():g}")
    total = float(psf.sum(dtype=np.float64))
    if not total > 0:
        raise ValueError("psf must have a positive sum, got an all-zero psf")
    if not np.isfinite(total):
        raise ValueError("psf sum overflows; scale the psf down (it is normalised anyway)")
    psf = (psf.astype(np.float64) / total).astype(image.dtype)
    return image, psf


def _check_scalar(value, name: str, *, positive: bool = False) -> float:
    """Return ``value`` as a finite non-negative (or positive) float or raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r:.40}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def _check_workers(workers) -> int:
    """Return the number of threads meant by ``workers`` (-1: every usable core) or raise."""
    if isinstance(workers, (bool, np.bool_)) or not isinstance(workers, numbers.Integral):
        raise TypeError(f"workers must be an integer, got {type(workers).__name__} {workers!r:.40}")
    workers = int(workers)
    if workers == -1:
        return _num_cores()
    if workers < 1:
        raise ValueError(f"workers must be a positive number of threads or -1, got {workers}")
    return workers


def _num_cores() -> int:
    """Return the number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _check_pad_mode(pad_mode) -> str:
    """Return ``pad_mode`` if it is one of ``PAD_MODES`` or raise."""
    if not isinstance(pad_mode, str) or pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {PAD_MODES}, got {pad_mode!r}")
    return pad_mode


# ---------------------------------------------------------------------------
# padding and the transfer function
# ---------------------------------------------------------------------------


def _pad_plan(image_shape, psf_shape, *, extend: int, band: int):
    """Return the extension widths ``(before, after)`` per axis and the FFT shape.

    Along an axis of length ``n`` with PSF length ``p`` and half-width ``h = p // 2``,
    the image is extended by at least ``extend * h`` pixels on both sides, followed
    by an unobserved band of at least ``band * h`` pixels, up to the FFT-friendly
    length ``m = scipy.fft.next_fast_len(n + 2 * extend * h + band * h, real=True)``.
    The spare pixels widen the extension (or the band when ``extend == 0``).
    """
    widths = []
    shape = []
    for n, p in zip(image_shape, psf_shape, strict=True):
        half = p // 2
        minimum = n + 2 * extend * half + band * half
        m = scipy.fft.next_fast_len(minimum, real=True)
        if extend:
            before = extend * half + (m - minimum) // 2
            after = m - n - band * half - before
        else:
            before = after = 0
        widths.append((before, after))
        shape.append(m)
    return tuple(widths), tuple(shape)


def _no_padding(image_shape, psf_shape):
    """Return the widths and FFT shape of ``pad_mode="wrap"``: the image's own grid."""
    if any(p > n for p, n in zip(psf_shape, image_shape, strict=True)):
        raise ValueError(
            f"with pad_mode='wrap' the psf must not be larger than the image along any axis, "
            f"got psf shape {tuple(psf_shape)} for image shape {tuple(image_shape)}"
        )
    return ((0, 0),) * len(image_shape), tuple(image_shape)


def _embed(image: np.ndarray, widths, shape, pad_mode: str) -> np.ndarray:
    """Return ``image`` extended by ``widths`` (``pad_mode``) at the start of ``zeros(shape)``."""
    if pad_mode == "constant":
        padded = np.pad(image, widths, mode="constant", constant_values=0)
    else:
        padded = np.pad(image, widths, mode=pad_mode)
    if padded.shape == tuple(shape):
        return padded
    out = np.zeros(shape, dtype=image.dtype)
    out[tuple(slice(0, n) for n in padded.shape)] = padded
    return out


def _otf(psf: np.ndarray, shape, workers: int = 1) -> np.ndarray:
    """Return the real-FFT transfer function of the centred ``psf`` at the padded ``shape``.

    The PSF is placed in a zero array of ``shape`` and rolled so that its centre
    ``psf.shape // 2`` sits at index 0; the result has shape ``shape[:-1] + (shape[-1] // 2 + 1,)``
    and the precision of ``psf`` (complex64 for float32).
    """
    kernel = np.zeros(shape, dtype=psf.dtype)
    kernel[tuple(slice(0, p) for p in psf.shape)] = psf
    kernel = np.roll(kernel, [-(p // 2) for p in psf.shape], axis=tuple(range(psf.ndim)))
    return scipy.fft.rfftn(kernel, workers=workers)


def _crop(widths, image_shape) -> tuple[slice, ...]:
    """Return the index of the field of view inside the padded array."""
    return tuple(slice(b, b + n) for (b, _), n in zip(widths, image_shape, strict=True))


def _observed(widths, image_shape) -> tuple[slice, ...]:
    """Return the index of the image and its extension (everything but the band)."""
    return tuple(slice(0, b + n + a) for (b, a), n in zip(widths, image_shape, strict=True))


def _extend_everywhere(image: np.ndarray, widths, shape, pad_mode: str) -> np.ndarray:
    """Return ``image`` extended with ``pad_mode`` over the whole periodic grid of ``shape``.

    The layout of :func:`_embed`, with the band filled too: its first half continues
    the extension after the image, its second half (which the FFT period puts just
    before the image) the extension before it.
    """
    full_widths, second_halves = [], []
    for (before, after), n, m in zip(widths, image.shape, shape, strict=True):
        band = m - n - before - after
        full_widths.append((before + band // 2, after + band - band // 2))
        second_halves.append(band // 2)
    full = np.pad(image, full_widths, mode=pad_mode)
    return np.roll(full, [-k for k in second_halves], axis=tuple(range(image.ndim)))


def _filter_apply(image, psf, pad_mode, workers, make_filter) -> np.ndarray:
    """Pad, multiply the spectrum by ``make_filter(otf)``, transform back and crop."""
    if pad_mode == "wrap":
        widths, shape = _no_padding(image.shape, psf.shape)
    else:
        widths, shape = _pad_plan(image.shape, psf.shape, extend=_FILTER_EXTEND, band=0)
    padded = _embed(image, widths, shape, pad_mode)
    otf = _otf(psf, shape, workers)
    spectrum = scipy.fft.rfftn(padded, workers=workers)
    spectrum *= make_filter(otf)
    restored = scipy.fft.irfftn(spectrum, s=shape, workers=workers, overwrite_x=True)
    return np.ascontiguousarray(restored[_crop(widths, image.shape)])


def _power(otf: np.ndarray) -> np.ndarray:
    """Return ``|otf|**2`` as a real array of the OTF's precision."""
    return otf.real**2 + otf.imag**2


# ---------------------------------------------------------------------------
# the Richardson-Lucy loop
# ---------------------------------------------------------------------------
# A real FFT over all axes is a real FFT along the last axis followed by complex FFTs
# along the other axes. The three helpers below do one of these steps, writing into
# `out` (or in place): no temporaries in the loop. The forward transforms are
# unnormalised and the inverse ones divide by the axis lengths, like scipy.fft.


def _rfft_last(x: np.ndarray, out: np.ndarray) -> None:
    """Write the real FFT of ``x`` along its last axis into ``out``."""
    if _pocketfft is not None:
        _pocketfft.r2c(x, (x.ndim - 1,), True, 0, out, 1)
    else:
        out[...] = scipy.fft.rfft(x, axis=-1)


def _irfft_last(spectrum: np.ndarray, n: int, out: np.ndarray) -> None:
    """Write the length-``n`` inverse real FFT of ``spectrum`` along the last axis into ``out``."""
    if _pocketfft is not None:
        _pocketfft.c2r(spectrum, (spectrum.ndim - 1,), n, False, 2, out, 1)
    else:
        out[...] = scipy.fft.irfft(spectrum, n=n, axis=-1)


def _fft_other(spectrum: np.ndarray, *, inverse: bool) -> None:
    """Transform ``spectrum`` in place along all axes but the last."""
    axes = tuple(range(spectrum.ndim - 1))
    if _pocketfft is not None:
        _pocketfft.c2c(spectrum, axes, not inverse, 2 if inverse else 0, spectrum, 1)
    elif inverse:
        spectrum[...] = scipy.fft.ifftn(spectrum, axes=axes)
    else:
        spectrum[...] = scipy.fft.fftn(spectrum, axes=axes)


def _blocks(n: int, parts: int) -> list[slice]:
    """Split ``range(n)`` into ``parts`` contiguous, nearly equal slices."""
    return [slice(i * n // parts, (i + 1) * n // parts) for i in range(parts)]


def _rl_iterations(
    estimate, data, otf, num_iter, background, eps, threads, on_iteration, weights=None
):
    """Apply ``num_iter`` Richardson-Lucy updates to the padded ``estimate`` in place.

    Parameters
    ----------
    estimate, data : ndarray, padded shape
        Current estimate (updated in place) and padded data, same real dtype.
    otf : ndarray
        ``rfftn`` of the centred PSF at the padded shape, matching complex dtype.
    num_iter : int
        Number of updates.
    background, eps : float
        Background of the model and the floor of the blurred estimate.
    threads : int
        Number of threads sharing each stage (1: no threads are started).
    on_iteration : callable or None
        Called as ``on_iteration(k)`` in the calling thread after update ``k``,
        while the other threads wait.
    weights : ndarray or None
        If given, the correction factor is multiplied by it (``1 / sensitivity``).
    """
    shape = estimate.shape
    spectrum = np.empty(otf.shape, otf.dtype)
    work = np.empty_like(estimate)
    otf_conj = np.conj(otf)
    background = estimate.dtype.type(background)
    # Clamping against arrays (one slice along axis 0, broadcast) instead of scalars: numpy's
    # vectorised loop is about three times faster.
    floor = np.full(shape[1:], eps, dtype=estimate.dtype)
    zeros = np.zeros(shape[1:], dtype=estimate.dtype)
    threads = max(1, min(threads, shape[0], otf.shape[-1]))
    rows = _blocks(shape[0], threads)
    columns = [(Ellipsis, block) for block in _blocks(otf.shape[-1], threads)]
    barrier = threading.Barrier(threads)

    def worker(t: int) -> None:
        # Row stages touch the blocks `rows[t]` of the real arrays and of the spectrum,
        # column stages the block `columns[t]` of the spectrum; barriers separate them.
        x, y, w, spec_rows = estimate[rows[t]], data[rows[t]], work[rows[t]], spectrum[rows[t]]
        weight = None if weights is None else weights[rows[t]]
        spec_cols, h, h_conj = spectrum[columns[t]], otf[columns[t]], otf_conj[columns[t]]

        def column_stage(transfer):
            _fft_other(spec_cols, inverse=False)
            np.multiply(spec_cols, transfer, out=spec_cols)
            _fft_other(spec_cols, inverse=True)

        _rfft_last(x, out=spec_rows)
        for k in range(1, num_iter + 1):
            barrier.wait()
            column_stage(h)  # multiply by H: the spectrum of h * x_k
            barrier.wait()
            _irfft_last(spec_rows, shape[-1], out=w)  # w = h * x_k
            if background:
                w += background
            np.maximum(w, floor, out=w)
            np.divide(y, w, out=w)  # w = y / (h * x_k + b)
            _rfft_last(w, out=spec_rows)
            barrier.wait()
            column_stage(h_conj)  # multiply by conj(H): correlation with h
            barrier.wait()
            _irfft_last(spec_rows, shape[-1], out=w)  # w = correction factor
            x *= w
            if weight is not None:
                x *= weight
            np.maximum(x, zeros, out=x)  # removes rounding errors only: the update is >= 0
            if k < num_iter:
                _rfft_last(x, out=spec_rows)
            if on_iteration is not None:
                barrier.wait()  # every block of x_{k+1} is ready
                if t == 0:
                    on_iteration(k)

    if threads == 1:
        worker(0)
        return
    errors = []

    def helper(t: int) -> None:
        try:
            worker(t)
        except threading.BrokenBarrierError:
            pass
        except BaseException as err:  # re-raised in the calling thread
            errors.append(err)
            barrier.abort()

    helpers = [threading.Thread(target=helper, args=(t,), daemon=True) for t in range(1, threads)]
    for thread in helpers:
        thread.start()
    try:
        worker(0)  # the calling thread works too, and runs the callback
    except threading.BrokenBarrierError:
        if not errors:
            raise
    except BaseException:
        barrier.abort()  # a callback error or KeyboardInterrupt: stop the helpers
        raise
    finally:
        for thread in helpers:
            thread.join()
    if errors:
        raise errors[0]


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------


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
        How the image is extended beyond its borders before the FFTs (see the
        module docstring); ``"wrap"`` does not pad (circular convolution, with
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
    image, psf = _check_image_psf(image, psf)
    eps = _check_scalar(eps, "eps", positive=True)
    pad_mode = _check_pad_mode(pad_mode)
    workers = _check_workers(workers)

    def make_filter(otf):
        return np.conj(otf) / np.maximum(_power(otf), eps**2)

    return _filter_apply(image, psf, pad_mode, workers, make_filter)


def wiener(image, psf, balance, *, pad_mode: str = "reflect", workers: int = -1) -> np.ndarray:
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
        How the image is extended beyond its borders before the FFTs (see the
        module docstring); ``"wrap"`` does not pad (circular convolution, with
        wrap-around at the borders). Default ``"reflect"``.
    workers : int, optional
        Number of threads for the FFTs; ``-1`` (default) uses every core available
        to the process. The result does not depend on it.

    Returns
    -------
    restored : ndarray, same shape as `image`
        The deconvolved image, float32 or float64 as described above.

    Raises
    ------
    TypeError
        If `image` or `psf` is complex, boolean or non-numeric, `balance` is not a
        real number, or `workers` is not an integer.
    ValueError
        If an array is empty, contains NaN/inf, is not 2D/3D, the dimensions differ,
        the PSF is negative or sums to zero, `balance` is negative or not finite,
        `pad_mode` is unknown (or ``"wrap"`` with a PSF larger than the image), or
        `workers` is neither positive nor -1.

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
    image, psf = _check_image_psf(image, psf)
    balance = _check_scalar(balance, "balance")
    pad_mode = _check_pad_mode(pad_mode)
    workers = _check_workers(workers)

    def make_filter(otf):
        denominator = _power(otf)
        denominator += balance
        # Only possible with balance == 0: frequencies the microscope does not transmit.
        return np.divide(np.conj(otf), denominator, out=np.zeros_like(otf), where=denominator > 0)

    return _filter_apply(image, psf, pad_mode, workers, make_filter)


def richardson_lucy(
    image,
    psf,
    num_iter: int,
    *,
    background: float = 0.0,
    initial=None,
    callback: Callable[[int, np.ndarray], object] | None = None,
    return_history: bool = False,
    clip_negative: bool = False,
    pad_mode: str = "reflect",
    eps: float = 1e-12,
    workers: int = -1,
):
    r"""Deconvolve with Richardson-Lucy, an EM iteration towards the Poisson ML estimate.

    Parameters
    ----------
    image : (Y, X) or (Z, Y, X) array_like of real numbers
        Blurred, noisy image in photon-proportional units, non-negative (see
        `clip_negative`). float32 stays float32; other dtypes are computed in
        float64. Do not subtract the background: pass it as `background`.
    psf : array_like of real numbers, same number of dimensions as `image`
        Point spread function, centred at ``psf.shape // 2``, non-negative;
        normalised to sum 1 inside.
    num_iter : int
        Number of iterations :math:`\ge 0` (a Python or numpy integer, not a bool).
        ``0`` returns the initial estimate. More iterations sharpen the result and
        amplify noise: the iteration count acts as the regulariser.
    background : float, optional
        Constant background :math:`b \ge 0` in the units of `image` (camera offset,
        out-of-focus light), part of the forward model :math:`h * x + b`; the
        estimate is of the object without it. Default ``0``.
    initial : None, float or array_like, optional
        Initial estimate :math:`x_0`. ``None`` (default): flat, equal to the mean of
        the extended data minus `background` (floored at 1 % of the data mean to stay
        positive), so that :math:`h * x_0 + b` has the flux of the data (the
        :func:`skimage.restoration.richardson_lucy` starting value is a flat 0.5,
        which does not). A positive number: a flat estimate of that value. An array
        with the image's shape, non-negative: extended like the image (pixels that
        start at 0 stay at 0).
    callback : callable, optional
        Called as ``callback(k, estimate)`` after each iteration ``k = 1, ...,
        num_iter`` with a new array (image shape and dtype) that the callback may keep;
        its return value is ignored. Use it to record a metric per iteration
        (e.g. PSNR against a known ground truth).
    return_history : bool, optional
        If True, also return the list of the `num_iter` estimates after iterations
        ``1, ..., num_iter``. Memory: ``num_iter * image.nbytes`` (e.g. 100
        iterations of a 512 x 512 float32 image need 100 MiB); prefer `callback`
        for long runs.
    clip_negative : bool, optional
        Richardson-Lucy needs non-negative data. If False (default), negative
        values in `image` raise a ValueError; if True they are set to 0 first.
        Background-subtracted noisy data has negative values: pass the raw data
        and `background` instead of clipping.
    pad_mode : {"reflect", "symmetric", "edge", "constant", "wrap"}, optional
        How the image is extended beyond its borders (see the module docstring).
        ``"constant"`` instead keeps the estimate zero outside the field of view;
        with ``initial=0.5`` it solves exactly the problem of
        ``skimage.restoration.richardson_lucy(image, psf, num_iter, clip=False)``.
        ``"wrap"`` does not pad: every convolution is circular, so one iteration is
        exactly the update of the Notes with FFTs at the image's size.
        Default ``"reflect"``.
    eps : float, optional
        The blurred estimate :math:`h * x_k + b` is clamped below at `eps` before
        dividing, to avoid division by zero (in the units of `image`). Must be
        positive. Default ``1e-12``.
    workers : int, optional
        Number of threads sharing each iteration; ``-1`` (default) uses every core
        available to the process. Images whose padded size is below 65536 pixels
        run on one thread (synchronising would cost more than it saves). The result
        does not depend on it.

    Returns
    -------
    estimate : ndarray, same shape as `image`
        The deconvolved image after `num_iter` iterations, non-negative, float32 or
        float64 as described above.
    history : list of ndarray
        Only if `return_history` is True: the estimates after each iteration;
        ``history[-1]`` equals `estimate`; empty when ``num_iter == 0``.

    Raises
    ------
    TypeError
        If `image` or `psf` is complex, boolean or non-numeric, `num_iter` or
        `workers` is not an integer (bools are rejected), a scalar parameter is not a
        real number, or `callback` is not callable.
    ValueError
        If an array is empty, contains NaN/inf, is not 2D/3D, the dimensions differ,
        the PSF is negative or sums to zero, `num_iter` or `background` is negative,
        `image` has negative values (unless `clip_negative`), `initial` has the wrong
        shape or negative values, `eps` is not positive, `pad_mode` is unknown (or
        ``"wrap"`` with a PSF larger than the image), or `workers` is neither
        positive nor -1.

    See Also
    --------
    skimage.restoration.richardson_lucy : the reference implementation (no
        padding, estimate zero outside the image, flat 0.5 start, six FFTs per
        iteration).

    Notes
    -----
    For Poisson noise the likelihood of the data :math:`y` given the object
    :math:`x` is maximised by the multiplicative update [1]_ [2]_

    .. math::

        x_{k+1} = x_k \cdot \left[ \tilde h \star \frac{y}{h * x_k + b} \right],

    where :math:`*` is convolution and :math:`\tilde h \star` is correlation with
    the PSF (convolution with the flipped PSF, the adjoint :math:`H^T` of the
    blur). In Fourier space, :math:`h * u = \mathcal F^{-1}(H \, \mathcal F u)` and
    :math:`\tilde h \star r = \mathcal F^{-1}(H^* \mathcal F r)` with :math:`H` the
    OTF. On the padded grid, with :math:`m` = 1 on observed pixels (the image and
    its extension) and 0 in the unobserved band (module docstring), the update
    used is that of Bertero and Boccacci [3]_,

    .. math::

        x_{k+1} = \frac{x_k}{s} \cdot \left[ \tilde h \star \frac{m \, y}{h * x_k + b}
        \right], \qquad s = \tilde h \star m,

    which is the one above on the image, where :math:`s = 1`; band pixels with
    :math:`s < 10^{-4}` stay zero. (``pad_mode="constant"`` uses no band and
    :math:`s = 1`, as scikit-image does.) The update keeps the estimate
    non-negative and keeps the flux: since :math:`h` sums to one,
    :math:`\sum s \, x_{k+1} = \sum m \, y` for every :math:`k` when :math:`b = 0`,
    so over the field of view the estimate has, approximately, the flux of the
    data. Negative values of the order of the FFT rounding error are set to zero
    after each iteration.

    Cost: two FFT pairs per iteration at the padded size (see the module
    docstring); memory: about seven arrays of the padded size, plus the history.

    References
    ----------
    .. [1] W. H. Richardson, "Bayesian-based iterative method of image
       restoration", J. Opt. Soc. Am. 62, 55-59 (1972). https://doi.org/10.1364/JOSA.62.000055
    .. [2] L. B. Lucy, "An iterative technique for the rectification of observed
       distributions", Astron. J. 79, 745-754 (1974). https://doi.org/10.1086/111605
    .. [3] M. Bertero and P. Boccacci, "A simple method for the reduction of boundary
       effects in the Richardson-Lucy approach to image deconvolution", Astron.
       Astrophys. 437, 369-374 (2005). https://doi.org/10.1051/0004-6361:20052717

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((32, 32), 2.0); image[16, 16] = 10.0
    >>> psf = np.zeros((3, 3)); psf[1, 1] = 1.0        # a perfect microscope
    >>> bool(np.allclose(richardson_lucy(image, psf, num_iter=5), image))
    True
    >>> seen = []
    >>> estimate = richardson_lucy(image, np.ones((3, 3)), 4,
    ...                            callback=lambda k, est: seen.append(k))
    >>> seen
    [1, 2, 3, 4]
    """
    return_history = as_bool(return_history, "return_history")
    clip_negative = as_bool(clip_negative, "clip_negative")
    image, psf = _check_image_psf(image, psf)
    if isinstance(num_iter, (bool, np.bool_)) or not isinstance(num_iter, numbers.Integral):
        raise TypeError(
            f"num_iter must be an integer, got {type(num_iter).__name__} {num_iter!r:.40}"
        )
    num_iter = int(num_iter)
    if num_iter < 0:
        raise ValueError(f"num_iter must be non-negative, got {num_iter}")
    background = _check_scalar(background, "background")
    eps = _check_scalar(eps, "eps", positive=True)
    pad_mode = _check_pad_mode(pad_mode)
    workers = _check_workers(workers)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    if image.min() < 0:
        if not clip_negative:
            raise ValueError(
                f"image has negative values (minimum {image.min():g}); Richardson-Lucy needs "
                "non-negative data: pass the data before background subtraction together "
                "with background=..., or set clip_negative=True"
            )
        image = np.maximum(image, 0)

    if pad_mode == "wrap":
        # Circular: the image is one period of a periodic image, nothing is unobserved.
        widths, shape = _no_padding(image.shape, psf.shape)
    elif pad_mode == "constant":
        # The problem of scikit-image: the object is zero outside the image.
        widths, shape = _pad_plan(image.shape, psf.shape, extend=0, band=2)
    else:
        widths, shape = _pad_plan(image.shape, psf.shape, extend=1, band=2)
    fov = _crop(widths, image.shape)
    data = _embed(image, widths, shape, pad_mode)  # zero (unobserved) in the band
    otf = _otf(psf, shape, workers)
    observed = np.zeros(shape, dtype=bool)
    observed[_observed(widths, image.shape)] = True
    if pad_mode in ("constant", "wrap"):
        support, weights = observed, None
    else:
        # The object may be non-zero in the band; its update is normalised by the fraction
        # of its light that lands on observed pixels, s = h-correlated observed mask (s = 1
        # on the image and the inner part of the extension).
        sensitivity = scipy.fft.irfftn(
            scipy.fft.rfftn(observed.astype(image.dtype), workers=workers) * np.conj(otf),
            s=shape,
            workers=workers,
        )
        support = sensitivity > _MIN_SENSITIVITY
        weights = np.zeros(shape, dtype=image.dtype)
        np.divide(1, sensitivity, out=weights, where=support)
    estimate = _initial_estimate(initial, image, data, widths, pad_mode, background, observed)
    estimate *= support
    if math.prod(shape) < _MIN_THREADED_SIZE:
        workers = 1

    history = [] if return_history else None

    def on_iteration(k):
        current = estimate[fov].copy()
        if history is not None:
            history.append(current)
            current = current.copy() if callback is not None else current
        if callback is not None:
            callback(k, current)

    if num_iter > 0:
        _rl_iterations(
            estimate,
            data,
            otf,
            num_iter,
            background,
            eps,
            workers,
            on_iteration if callback is not None or history is not None else None,
            weights,
        )
    result = np.ascontiguousarray(estimate[fov])
    if return_history:
        return result, history
    return result


def _initial_estimate(initial, image, data, widths, pad_mode, background, observed):
    """Return the initial Richardson-Lucy estimate on the whole padded grid (a new array)."""
    if initial is None:
        # Flux-preserving flat start: the mean of the data the model has to explain.
        mean = float(data[observed].mean(dtype=np.float64))
        value = max(mean - background, 0.01 * mean)
    elif isinstance(initial, (numbers.Number, np.generic)):
        value = _check_scalar(initial, "initial", positive=True)
    else:
        start = _check_array(initial, "initial")
        if start.shape != image.shape:
            raise ValueError(
                f"initial must be a number or an array of the image's shape {image.shape}, "
                f"got shape {start.shape}"
            )
        if start.min() < 0:
            raise ValueError(f"initial must be non-negative, its minimum is {start.min():g}")
        start = start.astype(image.dtype)
        if pad_mode == "constant":
            return _embed(start, widths, data.shape, pad_mode)
        return _extend_everywhere(start, widths, data.shape, pad_mode)
    return np.full(data.shape, value, dtype=image.dtype)
