r"""Checks of the exercises of chapter 3, *Image formation* (``book/exercises/image_formation.md``).

Every check computes the right answer with the course package (or, for a law of physics, from
its definition) and compares the student's answer with it, giving a targeted hint when the
answer matches a mistake students are known to make. See :mod:`decondl.exercises._core` for
the order of the checks and strict mode.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from decondl import forward, metrics, psf
from decondl.exercises._core import (
    Mistake,
    Verdict,
    check_function,
    check_value,
    given_truth_and_raw,
)

__all__ = [
    "check_gaussian_psf",
    "check_pixel_snr",
    "check_psnr_raw",
    "check_rayleigh_limit",
    "check_shot_noise_relative",
    "check_shot_noise_std",
]

#: The objective and dye of the Rayleigh-limit exercise: an oil objective, GFP-like emission.
RAYLEIGH_NA = 1.4
RAYLEIGH_WAVELENGTH_NM = 520.0

#: The photon counts of the shot-noise exercise (expected photons per pixel).
SHOT_NOISE_PHOTONS = (25.0, 100.0, 400.0, 1600.0)

#: The pixel of the signal-to-noise exercise: sample photons, background photons, read noise (e-).
SNR_SIGNAL, SNR_BACKGROUND, SNR_READ_NOISE = 100.0, 10.0, 2.0


# --------------------------------------------------------------------------- Rayleigh limit


def check_rayleigh_limit(answer) -> Verdict:
    r"""Check the Rayleigh resolution limit of an NA 1.4 objective at 520 nm, in nanometres.

    The expected value is the radius of the first dark ring of the Airy pattern
    :math:`[2 J_1(v)/v]^2` with :math:`v = 2\pi\,\mathrm{NA}\,r/\lambda`, i.e.
    :math:`r = j_{1,1}\,\lambda / (2\pi\,\mathrm{NA}) \approx 0.61\,\lambda/\mathrm{NA}`
    (:math:`j_{1,1} \approx 3.8317`, the first zero of :math:`J_1`), for ``RAYLEIGH_NA`` and
    ``RAYLEIGH_WAVELENGTH_NM``.

    Parameters
    ----------
    answer : float
        The limit in nanometres.

    Returns
    -------
    Verdict
        Right within a relative tolerance of 0.5 % (so 0.61 and a rounded answer pass).
        Hints for: micrometres instead of nanometres, 0.5 (Abbe) or 0.51 (FWHM) instead of
        0.61, the NA forgotten or multiplied, 1.22 (the diameter of the Airy disc).

    Examples
    --------
    >>> bool(check_rayleigh_limit(0.61 * 520 / 1.4))
    True
    """
    wavelength, na = RAYLEIGH_WAVELENGTH_NM, RAYLEIGH_NA
    expected = special.jn_zeros(1, 1)[0] / (2 * np.pi) * wavelength / na
    mistakes = [
        Mistake(
            "The question asks for nanometres; your number looks like micrometres.",
            value=expected / 1000,
        ),
        Mistake(
            "0.5 λ/NA is Abbe's limit. Rayleigh's criterion puts the second point on the "
            "first dark ring of the Airy pattern, at 0.61 λ/NA.",
            value=0.5 * wavelength / na,
        ),
        Mistake(
            "0.51 λ/NA is the full width at half maximum of the Airy spot, not the Rayleigh "
            "limit (the radius of its first dark ring, 0.61 λ/NA).",
            value=0.51 * wavelength / na,
        ),
        Mistake("You forgot to divide by the NA: the limit is 0.61 λ/NA.", value=0.61 * wavelength),
        Mistake(
            "You multiplied by the NA; a larger NA gives a *smaller* limit: 0.61 λ/NA.",
            value=0.61 * wavelength * na,
        ),
        Mistake(
            "1.22 λ/NA is the diameter of the Airy disc (dark ring to dark ring); the limit "
            "is its radius, 0.61 λ/NA.",
            value=1.22 * wavelength / na,
        ),
    ]
    return check_value("check_rayleigh_limit", answer, expected, rtol=5e-3, mistakes=mistakes)


# --------------------------------------------------------------------------- Gaussian PSF


def _gaussian_grid(shape, sigma, offset):
    grids = np.meshgrid(*[np.arange(n) - offset(n) for n in shape], indexing="ij")
    return sum(g**2 for g in grids) / (2.0 * sigma**2)


def _gaussian_peak_one(shape, sigma):
    return np.exp(-_gaussian_grid(shape, sigma, lambda n: n // 2))


def _gaussian_continuous_norm(shape, sigma):
    peak_one = _gaussian_peak_one(shape, sigma)
    return peak_one / (2 * np.pi * sigma**2) ** (len(shape) / 2)


def _gaussian_with_offset(offset):
    def make(shape, sigma):
        h = np.exp(-_gaussian_grid(shape, sigma, offset))
        return h / h.sum()

    return make


def _gaussian_no_two(shape, sigma):
    h = np.exp(-2.0 * _gaussian_grid(shape, sigma, lambda n: n // 2))
    return h / h.sum()


def _gaussian_cases() -> list[tuple]:
    return [
        ((9, 9), 1.5),
        ((15, 11), 2.0),
        ((5, 21), 3.0),
        ((7, 9, 11), 1.2),
        ((11, 5, 7), 0.8),
    ]


def check_gaussian_psf(func) -> Verdict:
    r"""Check a function ``func(shape, sigma_px)`` that returns a centred, normalised Gaussian PSF.

    ``shape`` is a tuple of two or three odd sizes, ``sigma_px`` one standard deviation in
    pixels for all axes. The function must return an array of that shape, peak on the
    central pixel ``shape // 2``, :math:`h(x) \propto \exp(-|x - c|^2 / 2\sigma^2)`, summing
    to 1: the same as :func:`decondl.psf.gaussian_psf`.

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right when every hidden case (2D and 3D, square and non-square, wide and narrow
        Gaussians) agrees within a relative tolerance of 1e-6 and an absolute one of 1e-10.
        Hints for: a PSF not normalised (peak 1, or the continuous formula's factor on a
        truncated grid), a centre off by half a pixel or by one pixel (``-n // 2`` in
        Python), a centre in the corner, a missing factor 2 in the exponent.

    Examples
    --------
    >>> bool(check_gaussian_psf(psf.gaussian_psf))
    True
    """
    mistakes = [
        Mistake(
            "Your PSF is not normalised: its peak is 1, but a PSF must sum to 1 (so that "
            "blurring keeps the total light). Divide by h.sum().",
            function=_gaussian_peak_one,
        ),
        Mistake(
            "You normalised with the factor of the continuous Gaussian, 1/(2πσ²)^(d/2). On a "
            "finite grid of pixels (the tails are cut off) that sum is not exactly 1: divide "
            "by h.sum() instead.",
            function=_gaussian_continuous_norm,
        ),
        Mistake(
            "Your PSF is off-centre by half a pixel: the centre of an odd size n is the pixel "
            "n // 2 = (n - 1) / 2, not n / 2. Use np.arange(n) - n // 2.",
            function=_gaussian_with_offset(lambda n: n / 2),
        ),
        Mistake(
            "Your PSF is shifted by one pixel: in Python -n // 2 means (-n) // 2, which "
            "rounds down to -(n + 1) / 2 for odd n. Use np.arange(n) - n // 2.",
            function=_gaussian_with_offset(lambda n: (n + 1) // 2),
        ),
        Mistake(
            "Your PSF is centred on the corner pixel (index 0): subtract the centre, "
            "np.arange(n) - n // 2.",
            function=_gaussian_with_offset(lambda n: 0),
        ),
        Mistake(
            "The Gaussian is exp(-x² / (2σ²)); you left out the factor 2, so your PSF is "
            "too narrow by a factor √2.",
            function=_gaussian_no_two,
        ),
    ]
    return check_function(
        "check_gaussian_psf",
        func,
        psf.gaussian_psf,
        _gaussian_cases(),
        rtol=1e-6,
        atol=1e-10,
        mistakes=mistakes,
    )


# --------------------------------------------------------------------------- shot noise


def check_shot_noise_std(answer) -> Verdict:
    r"""Check the shot noise (standard deviation, in photons) of pixels expecting N photons.

    For ``N = SHOT_NOISE_PHOTONS = (25, 100, 400, 1600)`` the Poisson count has variance
    :math:`N` (see :func:`decondl.forward.add_noise`), so its standard deviation is
    :math:`\sqrt N`: the *absolute* noise grows with the signal, as its square root.

    Parameters
    ----------
    answer : ndarray, shape (4,)
        One standard deviation per photon count, in photons.

    Returns
    -------
    Verdict
        Right within a relative tolerance of 1e-6. Hints for: the variance instead of the
        standard deviation, the relative noise instead of the absolute one.

    Examples
    --------
    >>> bool(check_shot_noise_std(np.sqrt([25, 100, 400, 1600])))
    True
    """
    photons = np.array(SHOT_NOISE_PHOTONS)
    mistakes = [
        Mistake(
            "That is the variance. For Poisson noise the variance equals the mean N; the "
            "standard deviation is its square root.",
            value=photons,
        ),
        Mistake(
            "That is the relative noise (standard deviation / mean). This part asks for the "
            "noise in photons.",
            value=1 / np.sqrt(photons),
        ),
    ]
    return check_value("check_shot_noise_std", answer, np.sqrt(photons), mistakes=mistakes)


def check_shot_noise_relative(answer) -> Verdict:
    r"""Check the relative shot noise (standard deviation / mean) of pixels expecting N photons.

    For ``N = SHOT_NOISE_PHOTONS`` the relative noise is :math:`\sqrt N / N = 1/\sqrt N`:
    it *falls* as the square root of the signal, so four times more light halves it.

    Parameters
    ----------
    answer : ndarray, shape (4,)
        One relative noise per photon count, as a fraction (not in percent).

    Returns
    -------
    Verdict
        Right within a relative tolerance of 1e-6. Hints for: the absolute noise, 1/N,
        percent instead of a fraction.

    Examples
    --------
    >>> bool(check_shot_noise_relative(1 / np.sqrt([25, 100, 400, 1600])))
    True
    """
    photons = np.array(SHOT_NOISE_PHOTONS)
    expected = 1 / np.sqrt(photons)
    mistakes = [
        Mistake(
            "That is the absolute noise, √N photons. The relative noise divides it by the "
            "signal: √N / N = 1/√N.",
            value=np.sqrt(photons),
        ),
        Mistake(
            "Relative noise is standard deviation / mean = √N / N = 1/√N, not 1/N (the "
            "variance, not the standard deviation, equals N).",
            value=1 / photons,
        ),
        Mistake("Give a fraction, not a percentage (0.05, not 5).", value=100 * expected),
    ]
    return check_value("check_shot_noise_relative", answer, expected, mistakes=mistakes)


def check_pixel_snr(answer) -> Verdict:
    r"""Check the signal-to-noise ratio of one pixel with background and read noise.

    The pixel expects ``SNR_SIGNAL = 100`` photons from the sample on top of
    ``SNR_BACKGROUND = 10`` background photons, and the camera adds Gaussian read noise of
    ``SNR_READ_NOISE = 2`` e⁻. The recorded value has variance :math:`s + b + \sigma_r^2`
    (Poisson variance of everything that arrives, plus the read-noise variance; see
    :func:`decondl.forward.add_noise`), and the signal is the sample's part, :math:`s`:

    .. math:: \mathrm{SNR} = \frac{s}{\sqrt{s + b + \sigma_r^2}}.

    Parameters
    ----------
    answer : float
        The signal-to-noise ratio (dimensionless).

    Returns
    -------
    Verdict
        Right within a relative tolerance of 0.2 %. Hints for: background or read noise
        left out, read noise not squared, standard deviations added instead of variances,
        background counted as signal.

    Examples
    --------
    >>> bool(check_pixel_snr(100 / np.sqrt(100 + 10 + 2**2)))
    True
    """
    s, b, r = SNR_SIGNAL, SNR_BACKGROUND, SNR_READ_NOISE
    expected = s / np.sqrt(s + b + r**2)
    mistakes = [
        Mistake(
            "You counted only the shot noise of the signal. The background photons are "
            "Poisson-distributed too, and the camera adds read noise: variances add, "
            "s + b + σ_r².",
            value=s / np.sqrt(s),
        ),
        Mistake(
            "You left out the read noise: its variance σ_r² adds to the Poisson variance s + b.",
            value=s / np.sqrt(s + b),
        ),
        Mistake(
            "You left out the background: its photons add Poisson variance b even though "
            "they carry no signal.",
            value=s / np.sqrt(s + r**2),
        ),
        Mistake(
            "The read noise enters as its variance σ_r² = 4, not as σ_r = 2.",
            value=s / np.sqrt(s + b + r),
        ),
        Mistake(
            "Independent noises add their variances, not their standard deviations: "
            "√(s + b + σ_r²), not √(s + b) + σ_r.",
            value=s / (np.sqrt(s + b) + r),
        ),
        Mistake(
            "The background is not signal: the signal is the sample's 100 photons (the "
            "background only adds noise).",
            value=(s + b) / np.sqrt(s + b + r**2),
        ),
    ]
    return check_value("check_pixel_snr", answer, expected, rtol=2e-3, mistakes=mistakes)


# --------------------------------------------------------------------------- PSNR


def check_psnr_raw(answer, truth, raw, scope=None) -> Verdict:
    r"""Check the PSNR of a raw acquisition against its ground truth, in dB.

    The expected value is ``decondl.metrics.psnr(truth, scope.to_truth_units(raw))``: the
    acquisition is first brought to the truth's units (background subtracted, divided by the
    photon budget) and scored with the book's convention, a data range equal to the range of
    the *truth* (the reference).

    Parameters
    ----------
    answer : float
        The student's PSNR in dB.
    truth : ndarray, shape (ny, nx)
        The ground truth the acquisition was simulated from.
    raw : ndarray, shape (ny, nx)
        The acquisition, in photons.
    scope : decondl.forward.Microscope, optional
        The microscope that acquired ``raw`` (default: the standard ``Microscope()``).

    Returns
    -------
    Verdict
        Right within 0.001 dB. Hints for: PSNR of the image in photons, background not
        subtracted, the data range of the acquisition (or the arguments swapped), a data
        range of 255.

    Raises
    ------
    ValueError
        If ``truth`` and ``raw`` are not arrays of the same shape (a problem of the page,
        not of the answer).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> truth = np.zeros((32, 32)); truth[8:24, 8:24] = 1.0
    >>> scope = forward.Microscope()
    >>> raw = scope.acquire(truth, rng=rng)
    >>> bool(check_psnr_raw(metrics.psnr(truth, scope.to_truth_units(raw)), truth, raw))
    True
    """
    scope = forward.Microscope() if scope is None else scope
    truth, raw = given_truth_and_raw(truth, raw)
    scaled = scope.to_truth_units(raw)
    expected = metrics.psnr(truth, scaled)
    mistakes = [
        Mistake(
            "You compared the acquisition in photons with the truth (values in [0, 1]). "
            "Bring it to the truth's units first: scope.to_truth_units(raw).",
            value=metrics.psnr(truth, raw),
        ),
        Mistake(
            "You divided by the photon budget but did not subtract the background first: "
            "(raw - background) / photons, which is what scope.to_truth_units does.",
            value=metrics.psnr(truth, raw / scope.photons),
        ),
        Mistake(
            "Wrong data range: the book scores on the range of the truth (the first "
            "argument of decondl.metrics.psnr, the reference), not of the acquisition. "
            "Check the order of the arguments: psnr(truth, image).",
            value=metrics.psnr(truth, scaled, data_range=float(np.ptp(scaled))),
        ),
        Mistake(
            "A data range of 255 is for 8-bit images; here the truth spans "
            f"{np.ptp(truth):g}. Let decondl.metrics.psnr take the truth's range (its default).",
            value=metrics.psnr(truth, scaled, data_range=255.0),
        ),
    ]
    return check_value("check_psnr_raw", answer, expected, rtol=0.0, atol=1e-3, mistakes=mistakes)
