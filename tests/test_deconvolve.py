"""Known-answer tests of decondl.deconvolve (inverse filter, Wiener, Richardson-Lucy)."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from scipy import ndimage
from skimage.restoration import richardson_lucy as skimage_richardson_lucy
from skimage.restoration import wiener as skimage_wiener

import decondl.deconvolve as dec
from decondl.deconvolve import _engine, _padding, inverse_filter, richardson_lucy, wiener

DTYPES = [np.float32, np.float64]
NDIMS = [2, 3]
# Image and (odd, asymmetric) PSF shapes per dimensionality: small, so the file runs in seconds.
SHAPES = {2: (72, 60), 3: (20, 36, 32)}
PSF_SHAPES = {2: (11, 9), 3: (7, 9, 5)}


def tol(dtype, float64, float32):
    return float64 if np.dtype(dtype) == np.float64 else float32


def gaussian_psf(shape, sigmas, offsets=None):
    """Anisotropic Gaussian on ``shape``; with ``offsets`` its peak is off centre (asymmetric)."""
    offsets = offsets or [0.0] * len(shape)
    axes = [np.arange(n) - n // 2 - o for n, o in zip(shape, offsets, strict=True)]
    grids = np.meshgrid(*axes, indexing="ij")
    psf = np.exp(-sum(g**2 / (2 * s**2) for g, s in zip(grids, sigmas, strict=True)))
    return psf / psf.sum()


def asymmetric_psf(ndim):
    shape = PSF_SHAPES[ndim]
    psf = gaussian_psf(shape, [0.2 * n for n in shape], [(-1) ** i * 0.7 for i in range(ndim)])
    assert not np.allclose(psf, np.flip(psf))  # really not symmetric
    return psf


def delta_psf(shape):
    psf = np.zeros(shape)
    psf[tuple(n // 2 for n in shape)] = 1.0
    return psf


def smooth_object(shape, rng, sigma=3.0):
    """Positive object whose spectrum is negligible where a small Gaussian PSF is tiny."""
    return ndimage.gaussian_filter(rng.random(shape), sigma, mode="wrap") * 40 + 1


def blur(obj, psf):
    """Reference blur by direct convolution with mirror (= numpy reflect) borders."""
    return ndimage.convolve(obj, psf, mode="mirror")


def interior(shape, margin):
    return tuple(slice(m, n - m) for m, n in zip(margin, shape, strict=True))


def rel_error(estimate, reference, index=...):
    return float(np.abs(estimate[index] - reference[index]).max() / np.abs(reference[index]).max())


# --------------------------------------------------------------------------------------------
# shape, dtype and identity
# --------------------------------------------------------------------------------------------


METHODS = {
    "inverse": lambda image, psf, **kw: inverse_filter(image, psf, **kw),
    "wiener": lambda image, psf, **kw: wiener(image, psf, 0.0, **kw),
    "rl1": lambda image, psf, **kw: richardson_lucy(image, psf, 1, **kw),
    "rl7": lambda image, psf, **kw: richardson_lucy(image, psf, 7, **kw),
}


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
@pytest.mark.parametrize("even", [False, True], ids=["odd-psf", "even-psf"])
@pytest.mark.parametrize("pad_mode", dec.PAD_MODES)
def test_delta_psf_returns_input(method, dtype, ndim, even, pad_mode):
    rng = np.random.default_rng(1)
    image = (rng.random(SHAPES[ndim]) * 100 + 1).astype(dtype)
    # Even sizes check the documented centre convention: index shape // 2.
    psf = delta_psf((4,) * ndim if even else (5,) * ndim).astype(dtype)
    result = METHODS[method](image, psf, pad_mode=pad_mode)
    assert result.shape == image.shape
    assert result.dtype == dtype
    # FFT rounding is relative to the largest value
    atol = tol(dtype, 1e-12, 1e-5) * float(image.max())
    np.testing.assert_allclose(result, image, rtol=tol(dtype, 1e-12, 1e-5), atol=atol)


def test_even_psf_centre_is_shape_floordiv_2():
    # The centre of a 4 x 4 PSF is (2, 2). A delta at (2, 3) blurs by moving the object one
    # column to the right, so deconvolving moves the image one column to the left.
    rng = np.random.default_rng(2)
    image = rng.random((40, 30)) + 1
    psf = np.zeros((4, 4))
    psf[2, 3] = 1.0
    for result in (wiener(image, psf, 0.0), richardson_lucy(image, psf, 1)):
        np.testing.assert_allclose(result[:, :-1], image[:, 1:], rtol=1e-12)


@pytest.mark.parametrize(
    "in_dtype, out_dtype",
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.float16, np.float32),
        (np.uint8, np.float64),
        (np.int32, np.float64),
    ],
)
@pytest.mark.parametrize("ndim", NDIMS)
def test_output_shape_and_dtype(in_dtype, out_dtype, ndim):
    rng = np.random.default_rng(3)
    shape = (37, 53) if ndim == 2 else (9, 21, 30)  # odd and even, non-square
    image = (rng.random(shape) * 100).astype(in_dtype)
    psf = gaussian_psf((5,) * ndim, [1.0] * ndim)
    for result in (
        inverse_filter(image, psf),
        wiener(image, psf, 0.01),
        richardson_lucy(image, psf, 3),
        richardson_lucy(image, psf, 0),
    ):
        assert result.shape == shape
        assert result.dtype == out_dtype
        assert result.flags.c_contiguous
    # a float32 PSF with a float64 image (and the reverse) does not change the output dtype
    assert wiener(image.astype(np.float64), psf.astype(np.float32), 0.1).dtype == np.float64
    assert richardson_lucy(image.astype(np.float32), psf, 2).dtype == np.float32


def test_psf_is_normalised_inside():
    rng = np.random.default_rng(4)
    image = rng.random((48, 40)) * 10 + 1
    psf = gaussian_psf((7, 7), (1.5, 1.0))
    np.testing.assert_allclose(wiener(image, 5 * psf, 0.01), wiener(image, psf, 0.01))
    np.testing.assert_allclose(richardson_lucy(image, 5 * psf, 5), richardson_lucy(image, psf, 5))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(5)
    image = rng.random((40, 40)) + 1
    psf = gaussian_psf((5, 5), (1.0, 1.0)) * 3
    image0, psf0 = image.copy(), psf.copy()
    initial = np.full(image.shape, 2.0)
    richardson_lucy(image, psf, 3, initial=initial)
    wiener(image, psf, 0.1)
    inverse_filter(image, psf)
    np.testing.assert_array_equal(image, image0)
    np.testing.assert_array_equal(psf, psf0)
    np.testing.assert_array_equal(initial, 2.0)


# --------------------------------------------------------------------------------------------
# Wiener and the inverse filter
# --------------------------------------------------------------------------------------------


# The reflect-extended data is not periodic: the jump where the FFT period closes, two PSF
# widths outside the image, is deconvolved too, and its effect decays with the distance. So
# the known-answer checks of the filters look at pixels more than 14 pixels from the borders.
FILTER_SHAPES = {2: (96, 80), 3: (40, 44, 36)}
FILTER_MARGIN = 14


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_wiener_recovers_noiseless_blurred_data(dtype, ndim):
    rng = np.random.default_rng(6)
    truth = smooth_object(FILTER_SHAPES[ndim], rng)
    psf = gaussian_psf((9,) * ndim, [1.2] * ndim)
    blurred = blur(truth, psf).astype(dtype)
    balance = tol(dtype, 1e-10, 1e-6)
    restored = wiener(blurred, psf, balance)
    index = interior(truth.shape, [FILTER_MARGIN] * ndim)
    error = rel_error(restored, truth, index)
    assert error < tol(dtype, 1e-4, 5e-4)
    assert rel_error(blurred.astype(np.float64), truth, index) > 20 * error  # it deblurred


@pytest.mark.parametrize("ndim", NDIMS)
def test_inverse_filter_is_exact_without_noise_and_explodes_with_noise(ndim):
    rng = np.random.default_rng(7)
    truth = smooth_object(FILTER_SHAPES[ndim], rng)
    psf = gaussian_psf((9,) * ndim, [1.2] * ndim)
    blurred = blur(truth, psf)
    index = interior(truth.shape, [FILTER_MARGIN] * ndim)
    assert rel_error(inverse_filter(blurred, psf), truth, index) < 2e-4
    noisy = blurred + 1e-3 * rng.standard_normal(blurred.shape)
    # Noise of 1e-3 becomes errors larger than the signal: why regularisation is needed.
    assert rel_error(inverse_filter(noisy, psf), truth, index) > 1.0
    assert rel_error(wiener(noisy, psf, 1e-3), truth, index) < 0.1


def test_inverse_filter_eps_bounds_the_gain():
    rng = np.random.default_rng(8)
    image = rng.standard_normal((64, 64))
    psf = gaussian_psf((15, 15), (3.0, 3.0))  # |OTF| falls far below 1e-3
    eps = 1e-3
    # The gain |X / Y| is at most 1 / eps at every frequency; Parseval bounds the energy.
    restored = inverse_filter(image, psf, eps=eps, pad_mode="constant")
    assert np.sum(restored**2) <= np.sum(image**2) / eps**2
    assert np.all(np.isfinite(inverse_filter(image, psf)))
    wider = inverse_filter(image, psf, eps=1e-6)
    assert np.abs(wider).max() > 10 * np.abs(inverse_filter(image, psf, eps=1e-2)).max()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_wiener_matches_skimage_on_the_same_padded_image(dtype, ndim):
    # skimage.restoration.wiener computes conj(H) Y / (|H|^2 + balance |D|^2) on the array it
    # gets (circular borders). With D a unit impulse (|D| = 1), clip=False and our padded image,
    # it solves exactly our problem: agreement everywhere, to rounding.
    rng = np.random.default_rng(9)
    image = smooth_object(SHAPES[ndim], rng).astype(dtype)
    psf = asymmetric_psf(ndim).astype(dtype)
    balance = 1e-3
    grid = _padding.filter_plan(image.shape, psf.shape, "reflect")
    assert all(b >= 4 * (p // 2) for (b, _), p in zip(grid.widths, psf.shape, strict=True))
    padded = np.pad(image, grid.widths, mode="reflect")
    assert padded.shape == grid.shape
    reg = np.ones((1,) * ndim)  # an impulse response whose shape differs from the psf
    theirs = skimage_wiener(padded, psf, balance, reg=reg, clip=False)[grid.fov]
    ours = wiener(image, psf, balance)
    assert ours.dtype == dtype
    assert rel_error(ours, theirs.astype(np.float64)) < tol(dtype, 1e-12, 1e-5)


@pytest.mark.parametrize(
    "shape, psf_shape", [((128, 112), (11, 9)), ((48, 56, 52), (5, 7, 5))], ids=["2D", "3D"]
)
def test_wiener_matches_skimage_in_the_interior_on_the_raw_image(shape, psf_shape):
    # On the unpadded image skimage wraps around, we do not: the results differ near the
    # borders, and agree in the interior (three PSF widths in) as the restoring kernel decays.
    rng = np.random.default_rng(10)
    image = smooth_object(shape, rng)
    psf = gaussian_psf(psf_shape, [0.2 * n for n in psf_shape], [0.7, -0.7, 0.7][: len(shape)])
    reg = np.ones((1,) * len(shape))
    theirs = skimage_wiener(image, psf, 1e-2, reg=reg, clip=False)
    ours = wiener(image, psf, 1e-2)
    margin = [3 * p for p in psf.shape]
    assert rel_error(ours, theirs, interior(image.shape, margin)) < 1e-4
    assert rel_error(ours, theirs) > 1e-3  # the borders really differ (skimage wraps)


def test_wiener_balance_zero_with_zero_otf_is_finite():
    # A box PSF has exact zeros in its OTF: balance=0 must not produce NaN.
    rng = np.random.default_rng(11)
    image = rng.random((30, 30))
    result = wiener(image, np.ones((4, 4)), 0.0, pad_mode="constant")
    assert np.all(np.isfinite(result))


def test_wiener_larger_balance_is_smoother():
    rng = np.random.default_rng(12)
    truth = smooth_object((64, 64), rng)
    psf = gaussian_psf((9, 9), (1.5, 1.5))
    noisy = blur(truth, psf) + 0.5 * rng.standard_normal(truth.shape)
    roughness = [np.std(np.diff(wiener(noisy, psf, b), axis=0)) for b in (1e-3, 1e-2, 1e-1)]
    assert roughness[0] > roughness[1] > roughness[2]


# --------------------------------------------------------------------------------------------
# Richardson-Lucy
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
@pytest.mark.parametrize("background", [0.0, 3.0])
def test_rl_preserves_flux(dtype, ndim, background):
    # Flat background with bright objects well inside: the reflect extension adds no object,
    # so the flux of the estimate must equal the flux of the data minus the background. The
    # PSF is passed scaled by 7 (an unnormalised PSF would scale the flux by 1/7).
    rng = np.random.default_rng(13)
    shape = SHAPES[ndim]
    truth = np.full(shape, 2.0)
    centre = tuple(slice(n // 3, n - n // 3) for n in shape)
    truth[centre] += 50 * (rng.random(truth[centre].shape) < 0.1)
    psf = asymmetric_psf(ndim)
    data = (blur(truth, psf) + background).astype(dtype)
    estimate = richardson_lucy(data, 7 * psf, 30, background=background)
    expected = float(data.sum(dtype=np.float64)) - background * data.size
    assert estimate.sum(dtype=np.float64) == pytest.approx(expected, rel=1e-3)
    # and the estimate is sharper than the data: RL moved light into the objects
    assert estimate.max() > 1.5 * (data.max() - background)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_rl_converges_towards_truth_on_noiseless_data(dtype, ndim):
    rng = np.random.default_rng(14)
    shape = SHAPES[ndim]
    truth = ndimage.gaussian_filter((rng.random(shape) < 0.03).astype(float), 1.0) * 100 + 5
    psf = asymmetric_psf(ndim)
    data = blur(truth, psf).astype(dtype)
    index = interior(shape, psf.shape)
    errors = []

    def record(k, estimate):
        errors.append(np.sqrt(np.mean((estimate[index] - truth[index]) ** 2)))

    richardson_lucy(data, psf, 15, callback=record)
    blurred_error = np.sqrt(np.mean((data[index] - truth[index]) ** 2))
    assert len(errors) == 15
    # (the first estimate, h-correlated data, is blurrier than the data itself)
    assert all(b < a for a, b in zip(errors[:10], errors[1:11], strict=True)), errors
    assert errors[-1] < 0.8 * blurred_error


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_rl_matches_skimage_for_the_same_problem(dtype, ndim):
    # pad_mode="constant" with initial=0.5 is the problem skimage solves (estimate zero outside
    # the image, data unobserved there, flat 0.5 start): agreement on the whole image.
    rng = np.random.default_rng(15)
    image = rng.poisson(blur(smooth_object(SHAPES[ndim], rng), asymmetric_psf(ndim)) * 5) / 5
    image = image.astype(dtype)
    psf = asymmetric_psf(ndim).astype(dtype)
    theirs = skimage_richardson_lucy(image, psf, num_iter=10, clip=False)
    ours = richardson_lucy(image, psf, 10, pad_mode="constant", initial=0.5)
    assert ours.dtype == theirs.dtype == dtype
    assert rel_error(ours, theirs.astype(np.float64)) < tol(dtype, 1e-11, 2e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_rl_default_matches_skimage_in_the_interior(dtype, ndim):
    # The default (reflect extension, flux-preserving flat start) is a different border model.
    # A flat start cancels out of the first update away from the borders, and information
    # travels at most p - 1 pixels per iteration (p the PSF length), so beyond
    # num_iter * (p - 1) pixels from every border both must agree to rounding; nearer the
    # borders they must not (otherwise the test would not test anything).
    rng = np.random.default_rng(16)
    shape = (90, 80) if ndim == 2 else (40, 56, 44)
    psf = asymmetric_psf(ndim)
    image = rng.poisson(blur(smooth_object(shape, rng), psf) * 5) / 5
    image, psf = image.astype(dtype), psf.astype(dtype)
    num_iter = 3
    theirs = skimage_richardson_lucy(image, psf, num_iter=num_iter, clip=False)
    ours = richardson_lucy(image, psf, num_iter)
    margin = [num_iter * (p - 1) + 1 for p in psf.shape]
    assert rel_error(ours, theirs.astype(np.float64), interior(shape, margin)) < tol(
        dtype, 1e-12, 2e-5
    )
    assert rel_error(ours, theirs.astype(np.float64)) > 1e-2


def test_rl_reflect_is_better_than_skimage_at_the_borders():
    rng = np.random.default_rng(17)
    truth = ndimage.gaussian_filter(rng.random((96, 96)) < 0.02, 1.5).astype(float) * 200 + 5
    psf = gaussian_psf((15, 15), (2.5, 2.0), (0.5, -0.5))
    data = rng.poisson(blur(truth, psf) * 10) / 10
    border = np.ones(truth.shape, bool)
    border[15:-15, 15:-15] = False

    def rmse(estimate):
        return np.sqrt(np.mean((estimate[border] - truth[border]) ** 2))

    ours = rmse(richardson_lucy(data, psf, 30))
    assert ours < 0.5 * rmse(skimage_richardson_lucy(data, psf, num_iter=30, clip=False))
    assert ours < 0.5 * rmse(richardson_lucy(data, psf, 30, pad_mode="constant"))


@pytest.mark.parametrize("pad_mode", ["reflect", "symmetric", "edge"])
def test_rl_pad_modes_agree_in_the_interior(pad_mode):
    rng = np.random.default_rng(18)
    image = rng.random((80, 70)) * 10 + 1
    psf = gaussian_psf((7, 7), (1.5, 1.2))
    reference = richardson_lucy(image, psf, 2)
    result = richardson_lucy(image, psf, 2, pad_mode=pad_mode)
    assert rel_error(result, reference, interior(image.shape, [13, 13])) < 1e-12


@pytest.mark.parametrize("ndim", NDIMS)
def test_rl_background_model(ndim):
    # Data = blur(truth) + b: RL with background=b converges to the truth; treating the
    # background as part of the object (background=0) gives an estimate offset by ~b.
    rng = np.random.default_rng(19)
    shape = SHAPES[ndim]
    truth = smooth_object(shape, rng)
    psf = gaussian_psf((5,) * ndim, [1.0] * ndim)
    b = 20.0
    data = blur(truth, psf) + b
    index = interior(shape, [5] * ndim)
    with_b = richardson_lucy(data, psf, 20, background=b)
    without_b = richardson_lucy(data, psf, 20)
    assert rel_error(with_b, truth, index) < 0.05
    assert np.mean(without_b[index] - truth[index]) == pytest.approx(b, rel=0.05)


# --------------------------------------------------------------------------------------------
# borders: no wrap-around
# --------------------------------------------------------------------------------------------


def _border_object_pair(ndim):
    shape = (64, 64) if ndim == 2 else (16, 48, 48)
    psf = gaussian_psf((7,) * ndim, [1.2] * ndim, [0.4] * ndim)
    base = np.ones(shape)
    bright = base.copy()
    bright[(slice(None),) * (ndim - 1) + (slice(0, 3),)] = 100.0  # along the left border
    return blur(bright, psf), blur(base, psf), psf


@pytest.mark.parametrize("ndim", NDIMS)
@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
def test_rl_no_wraparound(ndim, pad_mode):
    # The bright object at the left border must not change the right border. Information
    # legitimately crosses the image at p - 1 pixels per iteration; with 5 iterations it cannot
    # reach the right 8 columns (30 pixels < 64 - 3 - 8), so any change there would come
    # around the FFT period.
    with_object, without, psf = _border_object_pair(ndim)
    right = (Ellipsis, slice(-8, None))
    a = richardson_lucy(with_object, psf, 5, pad_mode=pad_mode)
    b = richardson_lucy(without, psf, 5, pad_mode=pad_mode)
    assert np.abs(a[right] - b[right]).max() < 1e-10
    assert np.abs(a - b).max() > 10  # the object itself is there


def test_the_wraparound_test_can_fail():
    # The same check on a naive RL with circular FFTs and no padding shows wrap-around.
    with_object, without, psf = _border_object_pair(2)
    shape = with_object.shape
    kernel = np.zeros(shape)
    kernel[: psf.shape[0], : psf.shape[1]] = psf
    otf = np.fft.rfft2(np.roll(kernel, (-(psf.shape[0] // 2), -(psf.shape[1] // 2)), (0, 1)))

    def naive(y):
        x = np.full(shape, y.mean())
        for _ in range(5):
            ratio = y / np.fft.irfft2(np.fft.rfft2(x) * otf, s=shape)
            x *= np.fft.irfft2(np.fft.rfft2(ratio) * np.conj(otf), s=shape)
        return x

    right = (Ellipsis, slice(-8, None))
    assert np.abs(naive(with_object)[right] - naive(without)[right]).max() > 1.0


def _rl_on_longer_grids(monkeypatch, image, psf, extra, **kwargs):
    """RL with every padded axis ``extra`` pixels longer than the planner would choose."""
    fast_len = _padding.scipy.fft.next_fast_len
    monkeypatch.setattr(
        _padding.scipy.fft, "next_fast_len", lambda n, real=True: fast_len(n + extra, real=real)
    )
    try:
        return richardson_lucy(image, psf, 15, **kwargs)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("ndim", NDIMS)
@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "edge"])
def test_rl_does_not_depend_on_the_fft_length(monkeypatch, ndim, pad_mode):
    # The planner rounds the padded grid up to an FFT-friendly length; the spare pixels go to
    # the unobserved band, so a longer grid (another image size, a tile of decondl.tiled)
    # gives the same result everywhere, borders included.
    rng = np.random.default_rng(5)
    image = blur(rng.random(SHAPES[ndim]) * 10 + 1, asymmetric_psf(ndim))
    psf = asymmetric_psf(ndim)
    reference = richardson_lucy(image, psf, 15, pad_mode=pad_mode)
    for extra in (3, 10):
        longer = _rl_on_longer_grids(monkeypatch, image, psf, extra, pad_mode=pad_mode)
        assert np.abs(longer - reference).max() < 1e-9 * np.abs(reference).max(), extra


def test_the_fft_length_test_can_fail(monkeypatch):
    # Wiener has no band: its extension takes the spare pixels and its result changes with
    # the grid's length, which the same comparison detects.
    rng = np.random.default_rng(5)
    image = blur(rng.random(SHAPES[2]) * 10 + 1, asymmetric_psf(2))
    psf = asymmetric_psf(2)
    reference = wiener(image, psf, 1e-2)
    fast_len = _padding.scipy.fft.next_fast_len
    monkeypatch.setattr(
        _padding.scipy.fft, "next_fast_len", lambda n, real=True: fast_len(n + 10, real=real)
    )
    assert np.abs(wiener(image, psf, 1e-2) - reference).max() > 1e-6 * np.abs(reference).max()


@pytest.mark.parametrize("ndim", NDIMS)
def test_wiener_no_wraparound(ndim):
    # Wiener's restoring kernel has no finite support; the extension by ~2 PSF widths makes what
    # comes around the period small for a moderate balance: here below 1e-6 of the object,
    # against 1e-2 for the naive filter.
    with_object, without, psf = _border_object_pair(ndim)
    right = (Ellipsis, slice(-8, None))
    a, b = wiener(with_object, psf, 1e-2), wiener(without, psf, 1e-2)
    assert np.abs(a[right] - b[right]).max() < 1e-4
    assert np.abs(a - b).max() > 10
    reg = np.ones((1,) * ndim)  # skimage on the raw image: circular, wraps around
    c = skimage_wiener(with_object, psf, 1e-2, reg=reg, clip=False)
    d = skimage_wiener(without, psf, 1e-2, reg=reg, clip=False)
    assert np.abs(c[right] - d[right]).max() > 1.0


def test_psf_larger_than_image():
    # A short z-stack with a tall PSF: handled by the padding (reflected repeatedly).
    rng = np.random.default_rng(20)
    image = rng.random((3, 24, 20)) * 10 + 1
    psf = gaussian_psf((9, 5, 5), (2.0, 1.0, 1.0))
    for result in (richardson_lucy(image, psf, 4), wiener(image, psf, 0.01)):
        assert result.shape == image.shape
        assert np.all(np.isfinite(result))
    np.testing.assert_allclose(richardson_lucy(image, delta_psf((9, 5, 5)), 3), image)
    np.testing.assert_allclose(wiener(image, delta_psf((9, 5, 5)), 0.0), image)
    flat = np.full((3, 24, 20), 4.0)  # a flat image stays flat whatever the PSF
    np.testing.assert_allclose(richardson_lucy(flat, psf, 4), flat, rtol=1e-5)


# --------------------------------------------------------------------------------------------
# pad_mode="wrap": the textbook circular versions (teaching, exercise checks)
# --------------------------------------------------------------------------------------------


def _circular_otf(psf, shape):
    kernel = np.zeros(shape)
    kernel[tuple(slice(0, p) for p in psf.shape)] = psf / psf.sum()
    return np.fft.fftn(np.roll(kernel, [-(p // 2) for p in psf.shape], range(psf.ndim)))


@pytest.mark.parametrize("ndim", NDIMS)
def test_wrap_filters_are_the_textbook_circular_formulas(ndim):
    rng = np.random.default_rng(30)
    image = rng.random(SHAPES[ndim]) * 10
    psf = asymmetric_psf(ndim)
    otf = _circular_otf(psf, image.shape)
    spectrum = np.fft.fftn(image)
    expected = np.real(np.fft.ifftn(np.conj(otf) * spectrum / (np.abs(otf) ** 2 + 0.01)))
    np.testing.assert_allclose(wiener(image, psf, 0.01, pad_mode="wrap"), expected, atol=1e-12)
    power = np.maximum(np.abs(otf) ** 2, 1e-6)
    expected = np.real(np.fft.ifftn(np.conj(otf) * spectrum / power))
    result = inverse_filter(image, psf, eps=1e-3, pad_mode="wrap")
    np.testing.assert_allclose(result, expected, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("ndim", NDIMS)
@pytest.mark.parametrize("background", [0.0, 2.5])
def test_wrap_rl_is_the_textbook_update(ndim, background):
    rng = np.random.default_rng(31)
    data = rng.random(SHAPES[ndim]) * 10 + 3
    start = rng.random(SHAPES[ndim]) + 0.5
    psf = asymmetric_psf(ndim)
    otf = _circular_otf(psf, data.shape)

    def conv(x, transfer):
        return np.real(np.fft.ifftn(np.fft.fftn(x) * transfer))

    expected = start.copy()
    for _ in range(3):
        expected *= conv(data / (conv(expected, otf) + background), np.conj(otf))
    result = richardson_lucy(data, psf, 3, background=background, initial=start, pad_mode="wrap")
    np.testing.assert_allclose(result, expected, rtol=1e-10)
    if background == 0:  # circular RL preserves the flux exactly
        flux = richardson_lucy(data, psf, 5, pad_mode="wrap").sum()
        assert flux == pytest.approx(data.sum(), rel=1e-10)


def test_wrap_wraps_around():
    # The border test of the padded versions fails for "wrap", as documented.
    with_object, without, psf = _border_object_pair(2)
    right = (Ellipsis, slice(-8, None))
    for method in (
        lambda y: wiener(y, psf, 1e-2, pad_mode="wrap"),
        lambda y: richardson_lucy(y, psf, 5, pad_mode="wrap"),
    ):
        assert np.abs(method(with_object)[right] - method(without)[right]).max() > 1.0


def test_wrap_rejects_a_psf_larger_than_the_image():
    image = np.ones((3, 24, 20))
    psf = gaussian_psf((9, 5, 5), (2.0, 1.0, 1.0))
    for function in (
        inverse_filter,
        lambda i, p, **k: wiener(i, p, 0.1, **k),
        lambda i, p, **k: richardson_lucy(i, p, 2, **k),
    ):
        with pytest.raises(ValueError, match="with pad_mode='wrap' the psf must not be larger"):
            function(image, psf, pad_mode="wrap")


# --------------------------------------------------------------------------------------------
# callback, history, initial estimate, threads
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_callback_and_history(dtype, ndim):
    rng = np.random.default_rng(21)
    image = (rng.random(SHAPES[ndim]) * 10 + 1).astype(dtype)
    psf = asymmetric_psf(ndim)
    calls = []
    estimate, history = richardson_lucy(
        image, psf, 6, callback=lambda k, est: calls.append((k, est)), return_history=True
    )
    assert [k for k, _ in calls] == [1, 2, 3, 4, 5, 6]
    assert len(history) == 6
    for (_, est), hist in zip(calls, history, strict=True):
        assert est.shape == image.shape and est.dtype == dtype
        np.testing.assert_array_equal(est, hist)
        assert est is not hist  # the callback may modify its array
    np.testing.assert_array_equal(history[-1], estimate)
    # the estimates really change, and each one equals a run with that many iterations
    assert not np.array_equal(history[0], history[1])
    np.testing.assert_array_equal(history[2], richardson_lucy(image, psf, 3))


def test_callback_can_modify_its_array_without_effect():
    rng = np.random.default_rng(22)
    image = rng.random((30, 30)) + 1
    psf = gaussian_psf((5, 5), (1.0, 1.0))

    def vandal(k, estimate):
        estimate[...] = -1

    np.testing.assert_array_equal(
        richardson_lucy(image, psf, 4, callback=vandal), richardson_lucy(image, psf, 4)
    )


def test_num_iter_zero_returns_initial_estimate():
    rng = np.random.default_rng(23)
    image = rng.random((40, 30)) * 10
    psf = gaussian_psf((5, 5), (1.0, 1.0))
    calls = []
    estimate, history = richardson_lucy(
        image, psf, 0, callback=lambda k, e: calls.append(k), return_history=True
    )
    assert calls == [] and history == []
    # flat, the mean of the reflect-extended data (close to the image mean)
    assert np.ptp(estimate) == 0
    assert estimate[0, 0] == pytest.approx(image.mean(), rel=0.05)
    # with a background: the mean minus the background, so h * x0 + b has the data's flux
    b = 2.0
    with_b = richardson_lucy(image, psf, 0, background=b)
    assert with_b[0, 0] == pytest.approx(estimate[0, 0] - b)
    constant = richardson_lucy(image, psf, 0, pad_mode="constant")
    assert constant[0, 0] == pytest.approx(image.mean())
    np.testing.assert_array_equal(richardson_lucy(image, psf, 0, initial=0.5), 0.5)
    start = rng.random(image.shape)
    np.testing.assert_array_equal(richardson_lucy(image, psf, 0, initial=start), start)


def test_numpy_integer_num_iter_is_accepted():
    rng = np.random.default_rng(24)
    image = rng.random((30, 30)) + 1
    psf = gaussian_psf((5, 5), (1.0, 1.0))
    np.testing.assert_array_equal(
        richardson_lucy(image, psf, np.int64(3)), richardson_lucy(image, psf, 3)
    )


def test_initial_array_warm_start_continues_the_iteration():
    # RL from the estimate after 4 iterations, run 3 more, equals 7 iterations (constant mode:
    # the estimate outside the image is zero in both cases, so the state is fully restored).
    rng = np.random.default_rng(25)
    image = rng.random((48, 40)) * 10 + 1
    psf = gaussian_psf((7, 5), (1.5, 1.0))
    four = richardson_lucy(image, psf, 4, pad_mode="constant")
    seven = richardson_lucy(image, psf, 7, pad_mode="constant")
    np.testing.assert_allclose(
        richardson_lucy(image, psf, 3, pad_mode="constant", initial=four), seven, rtol=1e-10
    )


def test_clip_negative():
    rng = np.random.default_rng(26)
    image = rng.random((40, 40)) - 0.2
    psf = gaussian_psf((5, 5), (1.0, 1.0))
    np.testing.assert_array_equal(
        richardson_lucy(image, psf, 3, clip_negative=True),
        richardson_lucy(np.clip(image, 0, None), psf, 3),
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
def test_threads_do_not_change_the_result(monkeypatch, dtype, ndim):
    rng = np.random.default_rng(27)
    image = (rng.random(SHAPES[ndim]) * 10 + 1).astype(dtype)
    psf = asymmetric_psf(ndim)
    monkeypatch.setattr(_engine, "MIN_THREADED_SIZE", 0)  # split even these small arrays
    one = richardson_lucy(image, psf, 5, workers=1)
    for workers in (2, 3):
        np.testing.assert_array_equal(richardson_lucy(image, psf, 5, workers=workers), one)
    np.testing.assert_array_equal(
        wiener(image, psf, 0.01, workers=2), wiener(image, psf, 0.01, workers=1)
    )
    np.testing.assert_array_equal(
        inverse_filter(image, psf, workers=2), inverse_filter(image, psf, workers=1)
    )


def test_engine_convolve_is_the_circular_convolution():
    # The engine's FFT product against a direct circular convolution (ndimage, mode="wrap"),
    # in 2D and 3D, odd and even lengths, with the OTF and its conjugate (correlation).
    rng = np.random.default_rng(32)
    for shape, psf_shape in (((12, 9), (3, 4)), ((6, 8, 7), (3, 3, 2))):
        x = rng.random(shape)
        psf = rng.random(psf_shape)
        transfer = _engine.otf(psf, shape)
        # the centre is psf.shape // 2, as ndimage's (origin 0), for even sizes too
        expected = ndimage.convolve(x, psf, mode="wrap")
        np.testing.assert_allclose(_engine.convolve(x, transfer), expected, atol=1e-12)
        expected = ndimage.correlate(x, psf, mode="wrap")
        got = _engine.convolve(x, np.conj(transfer))
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_engine_uses_public_scipy_fft_only():
    # Issue #14: no private scipy modules and no hand-made threads in the deconvolution code.
    import pathlib

    for path in pathlib.Path(dec.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "_pocketfft" not in text and "import threading" not in text, path.name


def test_callback_error_stops_all_threads(monkeypatch):
    monkeypatch.setattr(_engine, "MIN_THREADED_SIZE", 0)
    rng = np.random.default_rng(28)
    image = rng.random((64, 64)) + 1
    psf = gaussian_psf((5, 5), (1.0, 1.0))
    before = threading.active_count()

    def fail(k, estimate):
        if k == 2:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        richardson_lucy(image, psf, 10, callback=fail, workers=2)
    assert threading.active_count() == before


def test_module_does_not_import_tensorflow():
    code = "import sys, decondl.deconvolve; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------

GOOD_IMAGE = np.ones((20, 20))
GOOD_PSF = gaussian_psf((5, 5), (1.0, 1.0))
FUNCTIONS = {
    "inverse_filter": lambda image, psf, **kw: inverse_filter(image, psf, **kw),
    "wiener": lambda image, psf, **kw: wiener(image, psf, 0.1, **kw),
    "richardson_lucy": lambda image, psf, **kw: richardson_lucy(image, psf, 2, **kw),
}


def _with(value, index, array=GOOD_IMAGE):
    out = array.copy()
    out[index] = value
    return out


ARRAY_CASES = [
    # (image, psf, exception, message)
    (_with(np.nan, (3, 4)), GOOD_PSF, ValueError, "image must contain only finite values"),
    (_with(np.inf, (0, 0)), GOOD_PSF, ValueError, "image must contain only finite values"),
    (
        GOOD_IMAGE,
        _with(np.nan, (2, 2), GOOD_PSF),
        ValueError,
        "psf must contain only finite values",
    ),
    (
        GOOD_IMAGE,
        _with(-np.inf, (2, 2), GOOD_PSF),
        ValueError,
        "psf must contain only finite values",
    ),
    (np.ones((0, 5)), GOOD_PSF, ValueError, "image must not be empty"),
    (GOOD_IMAGE, np.ones((3, 0)), ValueError, "psf must not be empty"),
    (GOOD_IMAGE + 1j, GOOD_PSF, TypeError, "image must be real, got complex"),
    (GOOD_IMAGE, GOOD_PSF.astype(complex), TypeError, "psf must be real, got complex"),
    (np.full((4, 4), "a"), GOOD_PSF, TypeError, "image must be a real numeric array"),
    (GOOD_IMAGE.astype(object), GOOD_PSF, TypeError, "image must be a real numeric array"),
    (GOOD_IMAGE > 0, GOOD_PSF, TypeError, "image must hold numbers, got boolean"),
    ([[1, 2], [3]], GOOD_PSF, TypeError, "image must be a real numeric array"),
    (np.ones(20), np.ones(3), ValueError, "image must be 2D or 3D, got 1 dimensions"),
    (
        np.ones((2, 3, 4, 5)),
        np.ones((1, 1, 1, 1)),
        ValueError,
        "image must be 2D or 3D, got 4 dimensions",
    ),
    (np.float64(3.0), GOOD_PSF, ValueError, "image must be 2D or 3D, got 0 dimensions"),
    (GOOD_IMAGE, np.ones((3, 3, 3)), ValueError, "psf must have the same number of dimensions"),
    (GOOD_IMAGE, _with(-0.1, (0, 0), GOOD_PSF), ValueError, "psf must be non-negative"),
    (GOOD_IMAGE, np.zeros((5, 5)), ValueError, "psf must have a positive sum"),
]


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("image, psf, exception, match", ARRAY_CASES)
def test_bad_arrays_raise(function, image, psf, exception, match):
    with pytest.raises(exception, match=match):
        FUNCTIONS[function](image, psf)


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize(
    "kwargs, exception, match",
    [
        ({"pad_mode": "circular"}, ValueError, "pad_mode must be one of"),
        ({"pad_mode": None}, TypeError, "pad_mode must be a str, one of"),
        ({"workers": 0}, ValueError, "workers must be a positive number of threads or -1"),
        ({"workers": 1.5}, TypeError, "workers must be an int"),
        ({"workers": True}, TypeError, "workers must be an int"),
    ],
)
def test_bad_common_keywords_raise(function, kwargs, exception, match):
    with pytest.raises(exception, match=match):
        FUNCTIONS[function](GOOD_IMAGE, GOOD_PSF, **kwargs)


@pytest.mark.parametrize(
    "call, exception, match",
    [
        (
            lambda: wiener(GOOD_IMAGE, GOOD_PSF, -0.1),
            ValueError,
            "balance must be finite and >= 0, got -0.1",
        ),
        (
            lambda: wiener(GOOD_IMAGE, GOOD_PSF, np.nan),
            ValueError,
            "balance must be finite and >= 0, got nan",
        ),
        (lambda: wiener(GOOD_IMAGE, GOOD_PSF, "1"), TypeError, "balance must be a real number"),
        (lambda: wiener(GOOD_IMAGE, GOOD_PSF, None), TypeError, "balance must be a real number"),
        (lambda: wiener(GOOD_IMAGE, GOOD_PSF, True), TypeError, "balance must be a real number"),
        (
            lambda: inverse_filter(GOOD_IMAGE, GOOD_PSF, eps=0),
            ValueError,
            "eps must be finite and > 0",
        ),
        (
            lambda: inverse_filter(GOOD_IMAGE, GOOD_PSF, eps=-1),
            ValueError,
            "eps must be finite and > 0",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, -1),
            ValueError,
            "num_iter must be >= 0, got -1",
        ),
        (lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2.0), TypeError, "num_iter must be an int"),
        (lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, True), TypeError, "num_iter must be an int"),
        (lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, "3"), TypeError, "num_iter must be an int"),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, background=-1.0),
            ValueError,
            "background must be finite and >= 0, got -1",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, background=np.inf),
            ValueError,
            "background must be finite and >= 0, got inf",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE - 1.5, GOOD_PSF, 2),
            ValueError,
            "image has negative values .* background=.* clip_negative=True",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, eps=0.0),
            ValueError,
            "eps must be finite and > 0",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, callback=3),
            TypeError,
            "callback must be callable or None",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, initial=np.ones((5, 5))),
            ValueError,
            r"initial must be a number or an array of the image's shape \(20, 20\)",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, initial=-GOOD_IMAGE),
            ValueError,
            "initial must be non-negative",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, initial=0.0),
            ValueError,
            "initial must be finite and > 0, got 0",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, initial=np.nan),
            ValueError,
            "initial must be finite and > 0, got nan",
        ),
        (
            lambda: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, initial="flat"),
            TypeError,
            "initial must be a real numeric array",
        ),
    ],
)
def test_bad_parameters_raise(call, exception, match):
    with pytest.raises(exception, match=match):
        call()


def test_negative_values_are_fine_for_wiener_and_the_inverse_filter():
    rng = np.random.default_rng(29)
    image = rng.standard_normal((32, 32))  # background-subtracted data
    assert np.all(np.isfinite(wiener(image, GOOD_PSF, 0.1)))
    assert np.all(np.isfinite(inverse_filter(image, GOOD_PSF)))
