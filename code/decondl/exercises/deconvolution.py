r"""Checks of the exercises of chapter 4, *Classical deconvolution*.

The exercises are in ``book/exercises/classical_deconvolution.md``. Every check computes the
right answer with the course package: :mod:`decondl.deconvolve` (its ``pad_mode="wrap"`` is the
textbook circular version a student writes with FFTs at the image's size),
:func:`decondl.psf.extract_psf` and :mod:`decondl.metrics`. The hidden cases of the functions
a student writes are 2D and 3D, odd and even sizes, with *asymmetric* PSFs (for a symmetric
PSF a missing complex conjugate or a PSF that was not mirrored gives the right answer by
accident), generated from fixed seeds. See :mod:`decondl.exercises._core` for the order of the
checks and strict mode.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import fft as sp_fft

from decondl import deconvolve, forward, metrics, psf
from decondl.exercises._core import (
    Mistake,
    Verdict,
    check_function,
    check_value,
    given_truth_and_raw,
)

__all__ = [
    "check_average_beads",
    "check_best_rl_iterations",
    "check_otf_cutoff",
    "check_rl_update",
    "check_wiener_filter",
    "check_wiener_padded",
]

#: Number of Richardson-Lucy iterations of the best-iteration exercise.
BEST_RL_NUM_ITER = 100


# --------------------------------------------------------------------------- test data


def _asymmetric_psf(shape, sigma, rng) -> np.ndarray:
    """Return an odd-sized, clearly asymmetric PSF (sum 1): a Gaussian with an off-centre lobe."""
    main = psf.gaussian_psf(shape, sigma)
    shift = [int(s) for s in rng.integers(1, 3, size=len(shape)) * rng.choice([-1, 1], len(shape))]
    lobe = np.roll(psf.gaussian_psf(shape, 0.6 * sigma), shift, axis=tuple(range(len(shape))))
    h = main + 0.6 * lobe
    return h / h.sum()


def _smooth_object(shape, rng) -> np.ndarray:
    """Return a positive object with structure at several scales (values about 1 to 100)."""
    obj = rng.random(shape)
    return 1.0 + 99.0 * forward.blur(obj**4, psf.gaussian_psf((5,) * len(shape), 1.0), mode="wrap")


def _circular_otf(h, shape) -> np.ndarray:
    kernel = np.zeros(shape)
    kernel[tuple(slice(0, p) for p in h.shape)] = h
    return sp_fft.fftn(np.roll(kernel, [-(p // 2) for p in h.shape], axis=tuple(range(h.ndim))))


# --------------------------------------------------------------------------- OTF cutoff


def check_otf_cutoff(answer) -> Verdict:
    r"""Check the cutoff frequency of the standard microscope's OTF, in cycles per micrometre.

    For incoherent imaging (fluorescence) the OTF is the autocorrelation of the pupil, so it
    vanishes beyond :math:`f_c = 2\,\mathrm{NA}/\lambda`. The values come from
    :class:`decondl.forward.Microscope` (NA 0.8, :math:`\lambda` = 0.52 µm).

    Parameters
    ----------
    answer : float
        The cutoff in cycles per micrometre.

    Returns
    -------
    Verdict
        Right within a relative tolerance of 0.5 %. Hints for: the coherent cutoff
        NA/λ, cycles per nanometre, the Abbe limit λ/(2 NA) (a length, not a frequency).

    Examples
    --------
    >>> bool(check_otf_cutoff(2 * 0.8 / 0.52))
    True
    """
    scope = forward.Microscope()
    na, wavelength_um = scope.na, scope.wavelength_um
    expected = 2 * na / wavelength_um
    mistakes = [
        Mistake(
            "NA/λ is the cutoff of *coherent* imaging (the pupil itself). Fluorescence is "
            "incoherent: the OTF is the autocorrelation of the pupil, twice as wide.",
            value=na / wavelength_um,
        ),
        Mistake(
            "That is in cycles per nanometre; the question asks for cycles per micrometre.",
            value=expected / 1000,
        ),
        Mistake(
            "λ/(2 NA) is Abbe's resolution limit, a length (in µm). The cutoff frequency is its "
            "inverse, 2 NA/λ, in cycles per µm.",
            value=wavelength_um / (2 * na),
        ),
    ]
    return check_value("check_otf_cutoff", answer, expected, rtol=5e-3, mistakes=mistakes)


# --------------------------------------------------------------------------- Wiener


def _wiener_cases() -> list[tuple]:
    rng = np.random.default_rng(4401)
    cases = []
    specs = [
        ((48, 40), (9, 11), 1.5, 1e-2, 1.0),
        ((37, 52), (7, 7), 1.2, 1e-3, 3.5),  # a PSF that does not sum to 1
        ((33, 33), (15, 13), 2.5, 1e-1, 1.0),
        ((10, 24, 21), (5, 7, 9), 1.2, 1e-2, 0.25),
    ]
    for image_shape, psf_shape, sigma, balance, scale in specs:
        h = _asymmetric_psf(psf_shape, sigma, rng)
        image = forward.blur(_smooth_object(image_shape, rng), h, mode="wrap")
        image = image + rng.normal(0.0, 0.5, image_shape)
        cases.append((image, scale * h, balance))
    return cases


def _wiener_reference(image, h, balance):
    return deconvolve.wiener(image, h, balance, pad_mode="wrap")


def _wiener_variant(transfer):
    """Return a circular filter ``image -> ifft(transfer(H) * fft(image))`` for a mistake."""

    def apply(image, h, balance, *, normalise=True, centre=True):
        h = h / h.sum() if normalise else h
        if centre:
            otf = _circular_otf(h, image.shape)
        else:
            kernel = np.zeros(image.shape)
            kernel[tuple(slice(0, p) for p in h.shape)] = h
            otf = sp_fft.fftn(kernel)
        return np.real(sp_fft.ifftn(transfer(otf, balance) * sp_fft.fftn(image)))

    return apply


def _wiener_filter_of(otf, balance):
    return np.conj(otf) / (np.abs(otf) ** 2 + balance)


_WIENER = _wiener_variant(_wiener_filter_of)


def _wiener_mistakes() -> list[Mistake]:
    return [
        Mistake(
            "The complex conjugate of the OTF is missing in the numerator: the filter is "
            "conj(H) / (|H|² + β). (With a symmetric PSF H is real and it would not matter; "
            "the hidden PSFs are asymmetric.)",
            function=_wiener_variant(lambda otf, b: otf / (np.abs(otf) ** 2 + b)),
        ),
        Mistake(
            "The balance must be added to |H|² (the power), not to |H|: conj(H) / (|H|² + β).",
            function=_wiener_variant(lambda otf, b: np.conj(otf) / (np.abs(otf) + b)),
        ),
        Mistake(
            "1 / (H + β) is not the Wiener filter: the balance goes into the denominator of "
            "conj(H) / (|H|² + β), where it is added to the real, non-negative |H|².",
            function=_wiener_variant(lambda otf, b: 1 / (otf + b)),
        ),
        Mistake(
            "The balance belongs to the denominator only: conj(H) / (|H|² + β), not "
            "(conj(H) + β) / (|H|² + β).",
            function=_wiener_variant(lambda otf, b: (np.conj(otf) + b) / (np.abs(otf) ** 2 + b)),
        ),
        Mistake(
            "Normalise the PSF first (psf / psf.sum()): the hidden PSFs do not all sum to 1, "
            "and the OTF must be 1 at frequency zero.",
            function=lambda image, h, b: _WIENER(image, h, b, normalise=False),
        ),
        Mistake(
            "Your result is shifted: the PSF's centre (index psf.shape // 2) must be moved to "
            "index 0 of the zero-padded array before the FFT (np.roll by -(size // 2) along "
            "every axis).",
            function=lambda image, h, b: _WIENER(image, h, b, centre=False),
        ),
    ]


def _irfft_shape(case) -> tuple:
    shape = case[0].shape
    return shape[:-1] + (2 * (shape[-1] // 2),)


def check_wiener_filter(func) -> Verdict:
    r"""Check a circular Wiener filter ``func(image, psf, balance)`` written with FFTs.

    The function receives a 2D or 3D ``image`` that is periodic (it was blurred with circular
    boundaries), a centred PSF (odd sizes, centre ``psf.shape // 2``, non-negative, not
    necessarily summing to 1) and a ``balance`` :math:`\beta \ge 0`. It returns the real array
    of the image's shape

    .. math:: \hat f = \mathcal F^{-1}\!\left[\frac{H^*}{|H|^2 + \beta}\, G\right],

    with :math:`G` the FFT of the image and :math:`H` the OTF: the FFT of the normalised PSF
    zero-padded to the image's shape with its centre moved to index 0. The reference is
    :func:`decondl.deconvolve.wiener` with ``pad_mode="wrap"`` (no padding).

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right when all four hidden cases (2D odd/even sizes, 3D, asymmetric PSFs, balances
        0.001 to 0.1) agree within a relative tolerance of 1e-6 and an absolute one of 1e-8.
        Hints for: the conjugate missing, the balance added to |H|, to H or to the
        numerator, the PSF not normalised or not centred, an ``irfftn`` without ``s=``.

    Examples
    --------
    >>> from decondl.deconvolve import wiener
    >>> bool(check_wiener_filter(lambda g, h, b: wiener(g, h, b, pad_mode="wrap")))
    True
    """
    return check_function(
        "check_wiener_filter",
        func,
        _wiener_reference,
        _wiener_cases(),
        rtol=1e-6,
        atol=1e-8,
        mistakes=_wiener_mistakes(),
        shape_mistakes=[
            (
                _irfft_shape,
                "Your output lost a column: irfftn returns an even length unless you pass the "
                "original shape, np.fft.irfftn(spectrum, s=image.shape).",
            )
        ],
    )


def _padded_cases() -> list[tuple]:
    cases = []
    for image, h, balance in _wiener_cases():
        pad = 4 * (max(h.shape) // 2)
        pad = min(pad, min(image.shape) - 1)  # numpy's reflect needs pad < size
        cases.append((image, h, balance, pad))
    return cases


def _pad_then(filter_, mode):
    def apply(image, h, balance, pad):
        padded = np.pad(image, pad, mode=mode)
        crop = tuple(slice(pad, pad + n) for n in image.shape)
        return filter_(padded, h, balance)[crop]

    return apply


_wiener_padded_reference = _pad_then(_wiener_reference, "reflect")


def check_wiener_padded(func) -> Verdict:
    r"""Check a Wiener filter with reflective padding, ``func(image, psf, balance, pad)``.

    The function must extend the image by ``pad`` pixels on every side of every axis with
    ``np.pad(image, pad, mode="reflect")``, apply the circular Wiener filter of
    :func:`check_wiener_filter` to the padded array, and crop the result back to the image's
    shape. The reference is :func:`decondl.deconvolve.wiener` with ``pad_mode="wrap"``
    applied to the same padded array (the default ``pad_mode="reflect"`` of
    :func:`~decondl.deconvolve.wiener` does the same with a slightly wider, FFT-friendly
    extension).

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right when all four hidden cases agree within a relative tolerance of 1e-6 and an
        absolute one of 1e-8. Hints for: no padding (wrap-around), zero padding, numpy's
        ``"symmetric"`` instead of ``"reflect"``, the padded array returned without cropping.

    Examples
    --------
    >>> from decondl.deconvolve import wiener
    >>> def padded(g, h, b, pad):
    ...     out = wiener(np.pad(g, pad, mode="reflect"), h, b, pad_mode="wrap")
    ...     return out[tuple(slice(pad, pad + n) for n in g.shape)]
    >>> bool(check_wiener_padded(padded))
    True
    """
    mistakes = [
        Mistake(
            "Your result has wrap-around borders: without padding, the FFT treats the image "
            "as periodic and light from one border re-enters on the opposite one. Pad with "
            "np.pad(image, pad, mode='reflect') first, then crop back.",
            function=lambda image, h, balance, pad: _wiener_reference(image, h, balance),
        ),
        Mistake(
            "You padded with zeros: that puts a dark frame around the image, whose sharp edge "
            "rings after deconvolution. Use mode='reflect'.",
            function=_pad_then(_wiener_reference, "constant"),
        ),
        Mistake(
            "numpy's 'symmetric' repeats the edge pixel (c b a | a b c); this exercise, like "
            "decondl, uses 'reflect' (d c b | a b c d).",
            function=_pad_then(_wiener_reference, "symmetric"),
        ),
    ]
    return check_function(
        "check_wiener_padded",
        func,
        _wiener_padded_reference,
        _padded_cases(),
        rtol=1e-6,
        atol=1e-8,
        mistakes=mistakes,
        shape_mistakes=[
            (
                lambda case: tuple(n + 2 * case[3] for n in case[0].shape),
                "You returned the padded array: crop it back to the image's shape, "
                "result[pad:pad + n] along every axis.",
            )
        ],
    )


# --------------------------------------------------------------------------- Richardson-Lucy


def _rl_cases() -> list[tuple]:
    rng = np.random.default_rng(4402)
    specs = [
        ((40, 37), (7, 9), 1.3, 0.0),
        ((32, 32), (11, 11), 2.0, 5.0),
        ((9, 20, 22), (5, 7, 5), 1.0, 2.0),
    ]
    cases = []
    for image_shape, psf_shape, sigma, background in specs:
        h = _asymmetric_psf(psf_shape, sigma, rng)
        expected = forward.blur(_smooth_object(image_shape, rng), h, mode="wrap") + background
        image = rng.poisson(expected).astype(float)
        estimate = np.full(image_shape, image.mean()) * (0.5 + rng.random(image_shape))
        cases.append((estimate, image, h, background))
    return cases


def _rl_reference(estimate, image, h, background):
    return deconvolve.richardson_lucy(
        image, h, 1, background=background, initial=estimate, pad_mode="wrap"
    )


def _conv(x, h):
    return forward.blur(x, h, mode="wrap")


def _corr(x, h):
    return forward.blur(x, np.flip(h), mode="wrap")


def check_rl_update(func) -> Verdict:
    r"""Check one Richardson-Lucy update ``func(estimate, image, psf, background)``.

    With circular convolutions (``decondl.forward.blur(x, psf, mode="wrap")``), the function
    must return

    .. math:: u_{k+1} = u_k \cdot \left[ h^{\top} \ast \frac{g}{h \ast u_k + b} \right],

    where ``estimate`` is :math:`u_k`, ``image`` the data :math:`g` in photons, ``psf`` the
    centred PSF :math:`h` (odd sizes, sum 1), :math:`h^{\top}` the PSF mirrored through its
    centre (``np.flip(psf)``) and ``background`` the constant :math:`b`. The reference is one
    iteration of :func:`decondl.deconvolve.richardson_lucy` with ``initial=estimate`` and
    ``pad_mode="wrap"``.

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right when all three hidden cases (2D odd and even sizes, 3D, asymmetric PSFs,
        backgrounds 0, 2 and 5) agree within a relative tolerance of 1e-6 and an absolute
        one of 1e-8. Hints for: the PSF not mirrored in the back-projection, the ratio upside
        down, the background left out of the model or subtracted from the data, an additive
        update, the correction returned without multiplying by the estimate.

    Examples
    --------
    >>> from decondl.deconvolve import richardson_lucy
    >>> def update(u, g, h, b):
    ...     return richardson_lucy(g, h, 1, background=b, initial=u, pad_mode="wrap")
    >>> bool(check_rl_update(update))
    True
    """
    mistakes = [
        Mistake(
            "The back-projection must correlate with the PSF, i.e. convolve with the PSF "
            "mirrored through its centre, np.flip(psf) (the adjoint of the blur). With an "
            "asymmetric PSF, convolving twice with the same PSF shifts and smears the update.",
            function=lambda u, g, h, b: u * _conv(g / (_conv(u, h) + b), h),
        ),
        Mistake(
            "The ratio is upside down: divide the data by the blurred estimate, "
            "g / (h * u + b), so that the correction exceeds 1 where the data is brighter.",
            function=lambda u, g, h, b: u * _corr((_conv(u, h) + b) / g, h),
        ),
        Mistake(
            "The background belongs to the model: the blurred estimate is h * u + b, so "
            "divide by (h * u + b).",
            function=lambda u, g, h, b: u * _corr(g / _conv(u, h), h),
        ),
        Mistake(
            "Keep the data as it is and put the background into the model, g / (h * u + b); "
            "subtracting it from the data (which can make counts negative) is a different "
            "update.",
            function=lambda u, g, h, b: u * _corr((g - b) / _conv(u, h), h),
        ),
        Mistake(
            "Richardson-Lucy is multiplicative: u_{k+1} = u_k · correction, not u_k + correction.",
            function=lambda u, g, h, b: u + _corr(g / (_conv(u, h) + b), h),
        ),
        Mistake(
            "You returned the correction factor only: multiply it by the current estimate.",
            function=lambda u, g, h, b: _corr(g / (_conv(u, h) + b), h),
        ),
    ]
    return check_function(
        "check_rl_update",
        func,
        _rl_reference,
        _rl_cases(),
        rtol=1e-6,
        atol=1e-8,
        mistakes=mistakes,
    )


# --------------------------------------------------------------------------- beads


def _bead_cases() -> list[tuple]:
    rng = np.random.default_rng(4403)
    specs = [
        ((96, 80), 15, 2.0, [(20, 20), (20, 60), (50, 30), (70, 62), (76, 15)]),
        ((64, 64), 9, 1.2, [(10, 10), (12, 50), (40, 30), (52, 52)]),
        ((16, 48, 48), 7, 1.3, [(6, 12, 12), (7, 12, 36), (6, 36, 20), (8, 34, 38)]),
    ]
    cases = []
    for shape, size, sigma, positions in specs:
        h = _asymmetric_psf((size,) * len(shape), sigma, rng)
        points = np.zeros(shape)
        for p in positions:
            points[p] = rng.uniform(0.6, 1.0)
        expected = 5000.0 * forward.blur(points, h) + 20.0
        image = rng.poisson(expected).astype(float)
        cases.append((image, np.array(positions), size))
    return cases


def _crops(image, positions, size):
    half = size // 2
    return np.stack([image[tuple(slice(c - half, c + half + 1) for c in p)] for p in positions])


def _normalised(x):
    x = np.clip(x, 0, None)
    return x / x.sum()


def check_average_beads(func) -> Verdict:
    r"""Check a crop-and-average PSF estimate from beads, ``func(image, positions, size)``.

    ``image`` is a 2D or 3D image of sub-resolution beads (photons), ``positions`` an integer
    array of shape ``(n, image.ndim)`` with the bead centres in index order, ``size`` the odd
    side of the PSF (all crops lie inside the image). The function must subtract the
    background (the median of the whole image), crop a ``size``-wide cube centred on every
    bead, average the crops, set negative values (noise) to zero and normalise to sum 1, so
    that blurring with the result preserves flux. The reference is
    :func:`decondl.psf.extract_psf` (which also handles sub-pixel positions; at integer ones
    its spline interpolation returns the pixel values themselves).

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right when all three hidden cases (2D, 3D, asymmetric PSFs, beads of different
        brightness) agree within a relative tolerance of 1e-6 and an absolute one of 1e-10.
        Hints for: background not subtracted, the mean instead of the median as background,
        not normalised, negatives not clipped, crops one pixel too small.

    Examples
    --------
    >>> bool(check_average_beads(psf.extract_psf))
    True
    """

    def no_background(image, positions, size):
        return _normalised(_crops(image, positions, size).mean(axis=0))

    def mean_background(image, positions, size):
        return _normalised(_crops(image, positions, size).mean(axis=0) - image.mean())

    def not_normalised(image, positions, size):
        return np.clip(_crops(image, positions, size).mean(axis=0) - np.median(image), 0, None)

    def not_clipped(image, positions, size):
        average = _crops(image, positions, size).mean(axis=0) - np.median(image)
        return average / average.sum()

    mistakes = [
        Mistake(
            "You did not subtract the background: every crop then carries a constant pedestal, "
            "and the PSF gets wide, flat wings. Subtract np.median(image) first.",
            function=no_background,
        ),
        Mistake(
            "Use the median of the image as the background, not the mean: the bright beads pull "
            "the mean up, while most pixels (and so the median) are background.",
            function=mean_background,
        ),
        Mistake(
            "Your PSF is not normalised: divide by its sum so that it sums to 1 (blurring with "
            "it then preserves the total flux).",
            function=not_normalised,
        ),
        Mistake(
            "Set the negative values (noise after background subtraction) to zero before "
            "normalising: a PSF is an intensity, np.clip(average, 0, None).",
            function=not_clipped,
        ),
    ]
    return check_function(
        "check_average_beads",
        func,
        lambda image, positions, size: psf.extract_psf(image, positions, size),
        _bead_cases(),
        rtol=1e-6,
        atol=1e-10,
        mistakes=mistakes,
        shape_mistakes=[
            (
                lambda case: (case[2] - 1,) * case[0].ndim,
                "Your crops are one pixel too small: a slice end is exclusive, so a crop of "
                "size s around c is c - s // 2 : c + s // 2 + 1.",
            )
        ],
    )


# --------------------------------------------------------------------------- best RL iteration


def _rl_scores(truth, raw, scope, *, photon_units=False) -> dict[int, float]:
    scores = {}

    def record(k, estimate):
        image = estimate if photon_units else estimate / scope.photons
        scores[k] = metrics.psnr(truth, image)

    deconvolve.richardson_lucy(
        raw,
        scope.psf(),
        BEST_RL_NUM_ITER,
        background=scope.background,
        clip_negative=True,
        callback=record,
    )
    return scores


def _needs_hint(answer, value) -> bool:
    """Return True if ``answer`` is a finite real number other than ``value``.

    Only such an answer can match a known mistake; any other is judged without them.
    """
    if isinstance(answer, bool | np.bool_) or not isinstance(answer, numbers.Real | np.integer):
        return False
    return bool(np.isfinite(answer) and answer != value)


def check_best_rl_iterations(answer, truth, raw, scope=None) -> Verdict:
    r"""Check the number of Richardson-Lucy iterations that maximises the PSNR.

    The expected answer is the iteration :math:`k \in \{1, \dots, 100\}` (``BEST_RL_NUM_ITER``)
    at which :func:`decondl.deconvolve.richardson_lucy` (``scope.psf()``,
    ``background=scope.background``, ``clip_negative=True``, default padding) gives the
    highest ``decondl.metrics.psnr(truth, estimate / scope.photons)``.

    Parameters
    ----------
    answer : int
        The best number of iterations.
    truth : ndarray, shape (ny, nx)
        The ground truth.
    raw : ndarray, shape (ny, nx)
        Its acquisition by ``scope``, in photons.
    scope : decondl.forward.Microscope, optional
        The microscope that acquired ``raw`` (default: the standard ``Microscope()``).

    Returns
    -------
    Verdict
        Right only for the exact iteration number. Hints for: an index counted from 0, the
        last iteration (no semi-convergence), the PSNR of the estimate in photons instead of
        the truth's units.

    Raises
    ------
    ValueError
        If ``truth`` and ``raw`` are not arrays of the same shape.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> truth = np.zeros((32, 32)); truth[10:22, 12:20] = 1.0
    >>> raw = forward.Microscope().acquire(truth, rng=rng)
    >>> check_best_rl_iterations(0, truth, raw).status
    'fail'
    """
    scope = forward.Microscope() if scope is None else scope
    truth, raw = given_truth_and_raw(truth, raw)
    scores = _rl_scores(truth, raw, scope)
    best = max(scores, key=scores.get)
    if not _needs_hint(answer, best):
        # Right, unanswered or not a number: no hint applies, skip the mistaken computation.
        return check_value("check_best_rl_iterations", answer, best, rtol=0.0, atol=0.0)
    in_photons = _rl_scores(truth, raw, scope, photon_units=True)
    mistakes = [
        Mistake(
            "Off by one: iterations are counted from 1 (the callback's k), while a list index "
            "counts from 0. Add 1 to np.argmax, or take the key of the best score.",
            value=best - 1,
        ),
        Mistake(
            f"The last iteration is not the best: the PSNR peaks and then falls as RL starts "
            f"to fit the noise. Record the PSNR of every iteration from 1 to "
            f"{BEST_RL_NUM_ITER} and take the best.",
            value=BEST_RL_NUM_ITER,
        ),
        Mistake(
            "Score the estimate in the truth's units: RL works in photons, so divide the "
            "estimate by scope.photons before computing the PSNR.",
            value=max(in_photons, key=in_photons.get),
        ),
    ]
    mistakes = [m for m in mistakes if m.value != best]
    return check_value(
        "check_best_rl_iterations", answer, best, rtol=0.0, atol=0.0, mistakes=mistakes
    )
