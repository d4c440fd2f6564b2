"""Checks of the exercises of chapter 2, U-Net and the receptive field.

Page: book/exercises/unet_receptive_field. Receptive fields are computed with
:func:`decondl.nets.receptive_field` and blur extents with :func:`decondl.nets.blur_extent_px`.
The exercises on generalisation use :func:`blur_pairs`, a small simulated data set (nuclei
blurred by a Gaussian PSF, with photon noise), so that a network trains in seconds; the checks
of trained networks generate their own test images with it and measure PSNR gains.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from decondl import forward, metrics, nets, synthetic
from decondl import psf as psf_lib
from decondl._checks import as_int, as_number, as_pair, as_rng
from decondl.exercises._core import (
    Mistake,
    Verdict,
    check_function,
    check_property,
    check_value,
    is_unanswered,
)

__all__ = [
    "check_generalisation_gains",
    "check_layers_for_blur",
    "check_receptive_field",
    "check_receptive_field_function",
    "check_robust_restorer",
    "check_unet_depth_for_blur",
]

#: The stack of the receptive-field exercise: a U-Net encoder of depth 2 down to its bottom.
RF_STACK = (("conv", 3), ("conv", 3), ("pool", 2)) * 2 + (("conv", 3), ("conv", 3))
#: Standard deviation (pixels) of the wide Gaussian blur of the layer and depth exercises.
WIDE_SIGMA_PX = 10.0
#: Fraction of the blur's light the receptive field must cover (:func:`nets.blur_extent_px`).
LIGHT_FRACTION = 0.99
#: Blur (pixels) of the training data of the generalisation exercise.
TRAIN_SIGMA_PX = 2.0
#: Blurs (pixels) at which the generalisation exercise tests the network.
TEST_SIGMAS_PX = (1.0, 2.0, 3.0, 4.0)
#: Test sets: ``blur_pairs(N_TEST, sigma, rng=TEST_SEED)``.
N_TEST = 16
TEST_SEED = 10
#: The robust-restorer exercise: blurs it is tested at, and the PSNR gain (dB) required at each.
ROBUST_SIGMAS_PX = (2.0, 4.0)
ROBUST_MIN_GAIN_DB = 1.5


# --------------------------------------------------------------------------- data


def _sigma_range(sigma_px) -> tuple[float, float]:
    """Return ``sigma_px``, one positive number or a ``(low, high)`` pair, as a range."""
    if isinstance(sigma_px, numbers.Real):
        sigma = as_number(sigma_px, "sigma_px", low=0, low_open=True)
        return sigma, sigma
    return as_pair(sigma_px, "sigma_px", low=0, low_open=True)


def blur_pairs(
    n: int,
    sigma_px,
    rng,
    *,
    photons: float = 500.0,
    background: float = 10.0,
    size_px: int = 32,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Simulate small (recorded, truth) pairs: nuclei, a Gaussian blur and photon noise.

    A data set small enough to train a network in seconds, for the exercises of chapter 2.

    Parameters
    ----------
    n : int
        Number of pairs, >= 1.
    sigma_px : float or (float, float)
        Standard deviation of the Gaussian PSF in pixels; a pair ``(low, high)`` draws one
        value per image, uniformly in that range.
    rng : numpy.random.Generator or int
        Source of the phantoms, blurs and noise (an int is used as a seed).
    photons : float
        Expected photons per pixel for a truth value of 1 (see :func:`decondl.forward.acquire`).
    background : float
        Expected background photons per pixel.
    size_px : int
        Side of the square images, in pixels.

    Returns
    -------
    X : ndarray of float32, shape (n, size_px, size_px)
        Recorded images, converted back to the truth's units
        (:func:`decondl.forward.to_truth_units`), so that the network only has to learn to
        undo the blur and the noise.
    Y : ndarray of float32, shape (n, size_px, size_px)
        Ground truths: four nuclei of radius 2 to 5 pixels (:func:`decondl.synthetic.nuclei`),
        values in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If an argument is out of range.

    Notes
    -----
    Each recording is :math:`(\mathcal{P}(\phi\,(h_\sigma * f) + b) - b) / \phi`, with the
    PSF :math:`h_\sigma` sampled on :math:`2\lceil 4\sigma \rceil + 1` pixels per side.

    Examples
    --------
    >>> X, Y = blur_pairs(2, 2.0, rng=0)
    >>> X.shape, Y.dtype
    ((2, 32, 32), dtype('float32'))
    """
    n = as_int(n, "n", low=1)
    low, high = _sigma_range(sigma_px)
    rng = as_rng(rng)
    size_px = as_int(size_px, "size_px", low=1)
    shape = (size_px, size_px)
    X, Y = [], []
    for _ in range(n):
        sigma = rng.uniform(low, high) if high > low else low
        side = 2 * math.ceil(4 * sigma) + 1
        psf = psf_lib.gaussian_psf((side, side), sigma)
        truth, _ = synthetic.nuclei(shape, 4, rng, radius_range_px=(2, 5))
        raw = forward.acquire(truth, psf, photons=photons, background=background, rng=rng)
        X.append(forward.to_truth_units(raw, photons=photons, background=background))
        Y.append(truth)
    return np.stack(X).astype(np.float32), np.stack(Y).astype(np.float32)


def _restore(model, X: np.ndarray) -> np.ndarray:
    """Apply a Keras model (:func:`decondl.nets.predict`) or a function of one image."""
    if hasattr(model, "predict_on_batch") and hasattr(model, "input_shape"):
        return nets.predict(model, X)
    if callable(model):
        return np.stack([np.asarray(model(np.array(x)), dtype=np.float64) for x in X])
    raise TypeError(f"expected a Keras model or a function of an image, got {type(model).__name__}")


# --------------------------------------------------------------------------- receptive field


def _as_kernel_stride(layers) -> list[tuple[int, int]]:
    """Convert ``("conv", k)`` / ``("pool", s)`` layers to ``(kernel, stride)`` pairs."""
    return [(k, 1) if kind == "conv" else (k, k) for kind, k in layers]


def _reference_rf(layers) -> int:
    """Receptive field of ``(kernel, stride)`` layers, by :func:`decondl.nets.receptive_field`.

    A layer of window ``k`` and stride ``s <= k`` widens the field as a ``k - s + 1``
    convolution followed by an ``s`` pooling: :math:`(k - s) j + (s - 1) j = (k - 1) j`.
    """
    converted = []
    for k, s in layers:
        if s > k:
            raise ValueError(f"stride {s} larger than kernel {k}: not covered by this exercise")
        converted.append(("conv", k - s + 1))
        if s > 1:
            converted.append(("pool", s))
    return nets.receptive_field(converted)


def _rf_sum_of_kernels(layers) -> int:
    return sum(k for k, _ in layers)


def _rf_without_jump(layers) -> int:
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_jump_too_early(layers) -> int:
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def _rf_from_zero(layers) -> int:
    return _reference_rf(layers) - 1


_RF_HINTS = {
    "sum": (
        "Adding up the kernel sizes overcounts: a layer of width k widens the field by k - 1 "
        "pixels (times the jump), because its centre pixel is already counted. Start from "
        "r = 1 (one pixel sees itself)."
    ),
    "no_jump": (
        "You forgot the jump: after a 2x2 pooling one pixel stands for 2 input pixels, so "
        "every later layer of width k widens the field by (k - 1) * j input pixels, with j "
        "the product of the strides so far."
    ),
    "early": (
        "You multiplied the jump by the layer's stride before adding its window. A layer "
        "widens the field by (k - 1) * j with the jump j *before* it; its stride only "
        "affects the layers after it."
    ),
    "zero": (
        "Off by one: start from r = 1 (with no layers, an output pixel sees one input "
        "pixel, itself), then add (k - 1) * j per layer."
    ),
}


def check_receptive_field(answer) -> Verdict:
    r"""Check the receptive field of a U-Net encoder of depth 2, at its bottom.

    The stack (:data:`RF_STACK`): two 3x3 convolutions, a 2x2 max pooling, two 3x3
    convolutions, a 2x2 max pooling, two 3x3 convolutions. Expected:
    :func:`decondl.nets.receptive_field`, i.e.
    :math:`r = 1 + \sum_\ell (k_\ell - 1)\, j_{\ell - 1}` with :math:`j` the product of the
    strides so far.

    Parameters
    ----------
    answer : int
        The receptive field in input pixels (per axis).

    Returns
    -------
    Verdict
        Exact comparison. Known mistakes with their own hints: the sum of the kernel sizes,
        the jump forgotten, the jump applied one layer too early, and a start from 0.
    """
    expected = nets.receptive_field(RF_STACK)
    layers = _as_kernel_stride(RF_STACK)
    mistakes = [
        Mistake(_RF_HINTS["sum"], value=_rf_sum_of_kernels(layers)),
        Mistake(_RF_HINTS["no_jump"], value=_rf_without_jump(layers)),
        Mistake(
            "Pooling is a layer too: its 2x2 window also widens the field (by (2 - 1) * j), "
            "and it doubles the jump for the layers after it.",
            value=1 + sum(k - 1 for kind, k in RF_STACK if kind == "conv"),
        ),
        Mistake(_RF_HINTS["early"], value=_rf_jump_too_early(layers)),
        Mistake(_RF_HINTS["zero"], value=_rf_from_zero(layers)),
    ]
    return check_value("check_receptive_field", answer, expected, rtol=0.0, mistakes=mistakes)


def _rf_cases() -> list[tuple[list[tuple[int, int]]]]:
    """Hidden cases: U-Net encoder, single layers, strided convolutions, a ResNet stem, none."""
    stacks = [
        _as_kernel_stride(RF_STACK),
        [(5, 1)],
        [(3, 1)] * 4 + [(1, 1)],
        [(7, 2), (3, 2), (3, 1), (3, 1)],
        [(3, 2), (3, 2), (3, 2)],
        [(2, 2)] * 3,
        [(5, 1), (3, 3), (3, 1), (2, 2), (1, 1)],
        [],
    ]
    return [(stack,) for stack in stacks]


def check_receptive_field_function(func) -> Verdict:
    r"""Check a receptive-field function written by the student.

    ``func(layers)`` receives a list of ``(kernel, stride)`` pairs, in order from input to
    output (a 3x3 convolution is ``(3, 1)``, a 2x2 pooling ``(2, 2)``, a strided 3x3
    convolution ``(3, 2)``), and must return the receptive field in input pixels per axis:

    .. math:: r_0 = j_0 = 1, \qquad r_\ell = r_{\ell-1} + (k_\ell - 1)\, j_{\ell-1}, \qquad
              j_\ell = j_{\ell-1}\, s_\ell.

    The reference converts each layer to decondl's vocabulary (a convolution of width
    ``k - s + 1`` followed by an ``s`` pooling, which widens the field by the same
    :math:`(k - 1) j`) and calls :func:`decondl.nets.receptive_field`.

    Parameters
    ----------
    func : callable
        ``func(layers) -> int``; ``layers`` is a list of ``(int, int)`` with
        ``stride <= kernel``; an empty list has receptive field 1.

    Returns
    -------
    Verdict
        Exact comparison on 8 hidden stacks. Known mistakes with their own hints: the sum of
        the kernel sizes, the jump forgotten, the jump applied one layer too early, and a
        start from 0.
    """
    mistakes = [
        Mistake(_RF_HINTS["sum"], function=_rf_sum_of_kernels),
        Mistake(_RF_HINTS["no_jump"], function=_rf_without_jump),
        Mistake(_RF_HINTS["early"], function=_rf_jump_too_early),
        Mistake(_RF_HINTS["zero"], function=_rf_from_zero),
    ]
    return check_function(
        "check_receptive_field_function",
        func,
        _reference_rf,
        _rf_cases(),
        rtol=0.0,
        atol=0.0,
        mistakes=mistakes,
    )


# --------------------------------------------------------------------------- depth and blur


def _shallow_layers_needed(diameter_px: float) -> int:
    """Smallest number of 3x3 convolutions (no pooling) whose receptive field >= diameter."""
    layers = 0
    while nets.receptive_field([("conv", 3)] * layers) < diameter_px:
        layers += 1
    return layers


def _unet_depth_needed(diameter_px: float) -> int:
    """Smallest U-Net depth (:func:`decondl.nets.unet_layers`) whose receptive field >= diameter."""
    depth = 1
    while nets.receptive_field(nets.unet_layers(depth)) < diameter_px:
        depth += 1
    return depth


def check_layers_for_blur(answer) -> Verdict:
    r"""Check how many 3x3 convolutions without pooling a wide blur needs.

    The blur is a Gaussian PSF with :math:`\sigma` = :data:`WIDE_SIGMA_PX` = 10 pixels; its
    extent is the diameter holding 99 % of its light, :func:`decondl.nets.blur_extent_px`
    (about 60.7 pixels). Expected: the smallest :math:`L` with
    ``nets.receptive_field([("conv", 3)] * L)`` :math:`= 1 + 2L \geq` that diameter.

    Parameters
    ----------
    answer : int
        The number of layers.

    Returns
    -------
    Verdict
        Exact comparison. Known mistakes with their own hints: a receptive field of
        :math:`2L` or :math:`3L` instead of :math:`1 + 2L`, rounding down, comparing with
        :math:`\sigma` or with the radius instead of the diameter.
    """
    diameter = nets.blur_extent_px(WIDE_SIGMA_PX, LIGHT_FRACTION)
    expected = _shallow_layers_needed(diameter)
    mistakes = [
        Mistake(
            "Off by one: L layers of 3x3 see 1 + 2L pixels (one pixel plus one on each side "
            "per layer), not 2L.",
            value=math.ceil(diameter / 2),
        ),
        Mistake(
            "Round up, not down: with one layer fewer the receptive field is smaller than the "
            "blur's extent.",
            value=math.floor((diameter - 1) / 2),
        ),
        Mistake(
            "L layers of 3x3 kernels see 1 + 2L pixels, not 3L: each layer adds k - 1 = 2 "
            "pixels, because its centre pixel is already counted.",
            value=math.ceil(diameter / 3),
        ),
        Mistake(
            "You compared the receptive field with sigma; the blur spreads light much further. "
            "Compare with the diameter that holds 99 % of the light, "
            "nets.blur_extent_px(10.0).",
            value=_shallow_layers_needed(WIDE_SIGMA_PX),
        ),
        Mistake(
            "You compared with the radius of the blur. The receptive field is a full width (a "
            "pixel plus its neighbours on both sides), so compare it with the full diameter.",
            value=_shallow_layers_needed(diameter / 2),
        ),
    ]
    return check_value("check_layers_for_blur", answer, expected, rtol=0.0, mistakes=mistakes)


def check_unet_depth_for_blur(answer) -> Verdict:
    r"""Check the smallest U-Net depth whose receptive field covers a wide blur.

    The U-Net is :func:`decondl.nets.unet` with two 3x3 convolutions per level; its
    receptive field is ``nets.receptive_field(nets.unet_layers(depth))``. The blur is the
    Gaussian of :func:`check_layers_for_blur` (:math:`\sigma` = 10 pixels, 99 % of its light
    within a diameter of about 60.7 pixels).

    Parameters
    ----------
    answer : int
        The number of poolings (depth), >= 1.

    Returns
    -------
    Verdict
        Exact comparison. Known mistakes with their own hints: comparing with :math:`\sigma`,
        and comparing with half the extent or with the FWHM.
    """
    diameter = nets.blur_extent_px(WIDE_SIGMA_PX, LIGHT_FRACTION)
    expected = _unet_depth_needed(diameter)
    mistakes = [
        Mistake(
            "You compared the receptive field with sigma; compare it with the diameter that "
            "holds 99 % of the blur's light, nets.blur_extent_px(10.0).",
            value=_unet_depth_needed(WIDE_SIGMA_PX),
        ),
        Mistake(
            "Too shallow: that depth covers the blur's radius or its full width at half "
            "maximum, not the diameter holding 99 % of its light (about 60.7 pixels).",
            value=_unet_depth_needed(diameter / 2),
        ),
    ]
    return check_value("check_unet_depth_for_blur", answer, expected, rtol=0.0, mistakes=mistakes)


# --------------------------------------------------------------------------- trained networks


@functools.lru_cache(maxsize=16)
def _test_set(sigma_px: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``blur_pairs(N_TEST, sigma_px, rng=seed)``, made once per session (read-only arrays)."""
    X, Y = blur_pairs(N_TEST, sigma_px, rng=seed)
    X.flags.writeable = Y.flags.writeable = False
    return X, Y


@functools.lru_cache(maxsize=1)
def _shared_generator_test_sets() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Make the test sets of a known mistake: one generator of seed TEST_SEED for all blurs."""
    shared = np.random.default_rng(TEST_SEED)
    sets = tuple(blur_pairs(N_TEST, s, rng=shared) for s in TEST_SIGMAS_PX)
    for X, Y in sets:
        X.flags.writeable = Y.flags.writeable = False
    return sets


def _psnrs(model, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PSNR (dB) of each recorded image and of its restoration by ``model``."""
    restored = _restore(model, X)
    if restored.shape != X.shape:
        raise ValueError(f"the model returned shape {restored.shape} for images {X.shape}")
    raw = [metrics.psnr(y, x) for x, y in zip(X, Y, strict=True)]
    out = [metrics.psnr(y, r) for r, y in zip(restored, Y, strict=True)]
    return np.array(raw), np.array(out)


def check_generalisation_gains(answer, model) -> Verdict:
    r"""Check the PSNR gains of a trained network on blurs it was and was not trained on.

    For each :math:`\sigma` in :data:`TEST_SIGMAS_PX` (1, 2, 3, 4 pixels) the test set is
    ``X, Y = blur_pairs(16, sigma, rng=10)`` (a fresh generator of seed 10 for each
    :math:`\sigma`), and the gain is the mean over its images of
    ``metrics.psnr(truth, restored) - metrics.psnr(truth, recorded)``, in dB, with
    ``restored = nets.predict(model, X)``. The check recomputes the gains with ``model``.

    Parameters
    ----------
    answer : array_like, shape (4,)
        One gain (dB) per test blur, in the order of :data:`TEST_SIGMAS_PX`.
    model : keras.Model or callable
        The trained network (or a function mapping one image to its restoration).

    Returns
    -------
    Verdict
        Within an absolute tolerance of 0.02 dB. Known mistakes with their own hints: the
        gain's sign reversed, the PSNR of the restoration instead of the gain, and one random
        generator shared by the four test sets.
    """
    name = "check_generalisation_gains"
    if is_unanswered(answer):
        return check_value(name, answer, np.zeros(len(TEST_SIGMAS_PX)))
    psnrs = [_psnrs(model, *_test_set(s, TEST_SEED)) for s in TEST_SIGMAS_PX]
    expected = np.array([np.mean(out - raw) for raw, out in psnrs])
    shared = []
    for X, Y in _shared_generator_test_sets():
        raw, out = _psnrs(model, X, Y)
        shared.append(np.mean(out - raw))
    mistakes = [
        Mistake(
            "The signs are reversed: the gain is PSNR(restored) - PSNR(recorded), positive when "
            "the network improves the image.",
            value=-expected,
        ),
        Mistake(
            "These are the PSNRs of the restored images; the gain is their difference from "
            "the PSNR of the recorded images, PSNR(truth, restored) - PSNR(truth, recorded).",
            value=np.array([np.mean(out) for _, out in psnrs]),
        ),
        Mistake(
            "Your test sets differ from the check's: make each one with its own fresh "
            "generator, blur_pairs(16, sigma, rng=10), not one generator shared by all four.",
            value=np.array(shared),
        ),
    ]
    return check_value(name, answer, expected, rtol=0.0, atol=0.02, mistakes=mistakes)


def _robust_gains(model) -> dict[float, float]:
    gains = {}
    for sigma in ROBUST_SIGMAS_PX:
        raw, out = _psnrs(model, *_test_set(sigma, TEST_SEED + 1))
        gains[sigma] = float(np.mean(out - raw))
    return gains


def check_robust_restorer(model) -> Verdict:
    r"""Check that a trained network restores images blurred by both a narrow and a wide PSF.

    Property checked: on test sets ``blur_pairs(16, sigma, rng=11)`` for :math:`\sigma` = 2
    and 4 pixels (:data:`ROBUST_SIGMAS_PX`), the mean PSNR gain over the recorded images is
    at least :data:`ROBUST_MIN_GAIN_DB` = 1.5 dB at *each* blur. A network trained on one
    blur only does not reach it at the other.

    Parameters
    ----------
    model : keras.Model or callable
        The trained network (single channel in and out; :func:`decondl.nets.predict` applies
        it), or a function mapping one image (32, 32) to its restoration.

    Returns
    -------
    Verdict
        With the measured gains. Hints: a network that helps at one blur only was trained on
        that blur only; one that makes the images worse at both was not trained enough or
        sees images in other units than :func:`blur_pairs` gives.
    """

    def measure(model):
        gains = _robust_gains(model)
        text = ", ".join(f"{g:+.2f} dB at sigma = {s:g} px" for s, g in gains.items())
        required = f"at least {ROBUST_MIN_GAIN_DB:g} dB at each"
        passed = all(g >= ROBUST_MIN_GAIN_DB for g in gains.values())
        message = f"PSNR gain over the recorded images: {text} (required: {required})."
        hint = None
        good = [s for s, g in gains.items() if g >= ROBUST_MIN_GAIN_DB]
        if not passed and good:
            hint = (
                f"Your network helps at sigma = {good[0]:g} px only: a network learns the blur "
                "of its training data. Train it on pairs whose blur varies, e.g. "
                "blur_pairs(200, (1.0, 4.0), rng)."
            )
        elif all(g < 0 for g in gains.values()):
            hint = (
                "Your network makes the images worse at both blurs. Did it train long enough, "
                "and on images from blur_pairs (recordings in the truth's units)?"
            )
        return passed, message, hint

    return check_property("check_robust_restorer", model, measure)
