r"""Richardson-Lucy deconvolution with borders (taught in chapter 4).

The public function checks its arguments, lays the data out on the padded grid
(:func:`~decondl.deconvolve._padding.rl_plan`), computes the boundary weights and the
initial estimate, and hands the iteration to the engine
(:func:`~decondl.deconvolve._engine.rl_iterations`); see :mod:`decondl.deconvolve` for
the conventions shared with the linear filters.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from decondl._checks import as_bool, as_callable, as_float_array, as_int, as_number
from decondl.deconvolve._engine import otf, rl_iterations, sensitivity, threads_for
from decondl.deconvolve._inputs import as_backend, image_and_psf, pad_mode_and_workers
from decondl.deconvolve._padding import rl_plan

__all__ = ["richardson_lucy"]

# Band pixels that send less than this fraction of their light onto observed pixels are
# not estimated (kept at zero).
_MIN_SENSITIVITY = 1e-4


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
    backend: str = "numpy",
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
        How the image is extended beyond its borders (see :mod:`decondl.deconvolve`).
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
        does not depend on it. Ignored by the TensorFlow backend (TensorFlow chooses
        its own threads).
    backend : {"numpy", "tensorflow"}, optional
        Where the iterations run. ``"numpy"`` (default): :mod:`scipy.fft` on the CPU.
        ``"tensorflow"``: the FFTs and the element-wise updates run in TensorFlow, on its
        first GPU when there is one (the device CARE uses), else on the CPU; TensorFlow is
        imported only then. Checks, padding, OTF, boundary weights and the initial estimate
        are the same NumPy code for both, and the results agree to rounding error
        (relative difference about :math:`10^{-6}` in float32).

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
        real number, `callback` is not callable, or `pad_mode` or `backend` is not a
        str.
    ValueError
        If an array is empty, contains NaN/inf, is not 2D/3D, the dimensions differ,
        the PSF is negative or sums to zero, `num_iter` or `background` is negative,
        `image` has negative values (unless `clip_negative`), `initial` has the wrong
        shape or negative values, `eps` is not positive, `pad_mode` is unknown (or
        ``"wrap"`` with a PSF larger than the image), `workers` is neither
        positive nor -1, or `backend` is unknown.

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
    its extension) and 0 in the unobserved band (:mod:`decondl.deconvolve`), the update
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
    image, psf = image_and_psf(image, psf)
    num_iter = as_int(num_iter, "num_iter", low=0)
    background = as_number(background, "background", low=0)
    eps = as_number(eps, "eps", low=0, low_open=True)
    pad_mode, workers = pad_mode_and_workers(pad_mode, workers)
    backend = as_backend(backend)
    as_callable(callback, "callback", optional=True)
    if image.min() < 0:
        if not clip_negative:
            raise ValueError(
                f"image has negative values (minimum {image.min():g}); Richardson-Lucy needs "
                "non-negative data: pass the data before background subtraction together "
                "with background=..., or set clip_negative=True"
            )
        image = np.maximum(image, 0)

    grid = rl_plan(image.shape, psf.shape, pad_mode)
    data = grid.embed(image, pad_mode)  # zero (unobserved) in the band
    transfer = otf(psf, grid.shape, workers)
    observed = grid.observed_mask()
    if pad_mode in ("constant", "wrap"):
        support, weights = observed, None
    else:
        # The object may be non-zero in the band; its update is normalised by the fraction
        # of its light that lands on observed pixels, s = h-correlated observed mask (s = 1
        # on the image and the inner part of the extension).
        s = sensitivity(observed.astype(image.dtype), transfer, workers)
        support = s > _MIN_SENSITIVITY
        weights = np.zeros(grid.shape, dtype=image.dtype)
        np.divide(1, s, out=weights, where=support)
    estimate = _initial_estimate(initial, image, data, grid, pad_mode, background, observed)
    estimate *= support

    history = [] if return_history else None

    def on_iteration(k, padded):
        current = padded[grid.fov].copy()  # a new array even when nothing is padded
        if history is not None:
            history.append(current)
            current = current.copy() if callback is not None else current
        if callback is not None:
            callback(k, current)

    watch = callback is not None or history is not None
    settings = {"background": background, "eps": eps, "weights": weights}
    if backend == "tensorflow":
        from decondl.deconvolve import _tensorflow

        estimate = _tensorflow.rl_iterations(
            estimate,
            data,
            transfer,
            num_iter,
            **settings,
            on_iteration=on_iteration if watch else None,
        )
    else:
        rl_iterations(
            estimate,
            data,
            transfer,
            num_iter,
            **settings,
            workers=threads_for(grid.shape, workers),
            on_iteration=(lambda k: on_iteration(k, estimate)) if watch else None,
        )
    result = grid.crop(estimate)
    if return_history:
        return result, history
    return result


def _initial_estimate(initial, image, data, grid, pad_mode, background, observed):
    """Return the initial Richardson-Lucy estimate on the whole padded grid (a new array)."""
    if initial is None:
        # Flux-preserving flat start: the mean of the data the model has to explain.
        mean = float(data[observed].mean(dtype=np.float64))
        value = max(mean - background, 0.01 * mean)
    elif isinstance(initial, numbers.Number | np.generic):
        value = as_number(initial, "initial", low=0, low_open=True)
    else:
        start = as_float_array(initial, "initial")
        if start.shape != image.shape:
            raise ValueError(
                f"initial must be a number or an array of the image's shape {image.shape}, "
                f"got shape {start.shape}"
            )
        if start.min() < 0:
            raise ValueError(f"initial must be non-negative, found minimum {start.min():.4g}")
        start = start.astype(image.dtype)
        if pad_mode == "constant":
            return grid.embed(start, pad_mode)
        return grid.extend_everywhere(start, pad_mode)
    return np.full(grid.shape, value, dtype=image.dtype)
