"""Tests of decondl.forward: blur, noise and the acquisition model."""

import numpy as np
import pytest
from scipy import ndimage

from decondl import forward, psf

MODES = ["reflect", "constant", "nearest", "mirror", "wrap"]
CASES = {2: ((37, 50), (7, 5)), 3: ((12, 21, 18), (5, 3, 7))}
TOL = {np.float32: 1e-5, np.float64: 1e-12}


# --------------------------------------------------------------------------- blur


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", MODES)
def test_blur_matches_ndimage_convolve(ndim, dtype, mode):
    rng = np.random.default_rng(0)
    shape, kshape = CASES[ndim]
    image = rng.random(shape).astype(dtype)
    kernel = rng.random(kshape)  # asymmetric: catches flipped or shifted kernels
    out = forward.blur(image, kernel, mode=mode)
    expected = ndimage.convolve(image.astype(np.float64), kernel / kernel.sum(), mode=mode)
    assert out.shape == shape and out.dtype == dtype
    np.testing.assert_allclose(out, expected, atol=TOL[dtype], rtol=0)


@pytest.mark.parametrize("mode", MODES)
def test_blur_psf_larger_than_image(mode):
    rng = np.random.default_rng(1)
    image, kernel = rng.random((5, 6)), rng.random((15, 13))
    expected = ndimage.convolve(image, kernel / kernel.sum(), mode=mode)
    np.testing.assert_allclose(forward.blur(image, kernel, mode=mode), expected, atol=1e-12)


@pytest.mark.parametrize("ndim", [2, 3])
def test_blur_even_psf_is_centred_at_shape_floordiv_2(ndim):
    # One PSF rule with decondl.deconvolve: even sizes are allowed, centre at shape // 2
    # (ndimage's convention too). A delta there is the identity; one pixel further along the
    # last axis moves the image by one pixel.
    rng = np.random.default_rng(8)
    image = rng.random(CASES[ndim][0])
    kernel = rng.random((4,) * ndim)
    expected = ndimage.convolve(image, kernel / kernel.sum(), mode="reflect")
    np.testing.assert_allclose(forward.blur(image, kernel), expected, atol=1e-12)
    delta = np.zeros((4,) * ndim)
    delta[(2,) * ndim] = 1.0
    np.testing.assert_allclose(forward.blur(image, delta), image, atol=1e-12)
    delta = np.roll(delta, 1, axis=-1)
    shifted = forward.blur(image, delta, mode="constant")
    np.testing.assert_allclose(shifted[..., 1:], image[..., :-1], atol=1e-12)


def test_blur_and_deconvolve_share_the_psf_rule():
    from decondl import deconvolve

    image = np.ones((16, 16))
    for bad in (-np.ones((3, 3)), np.zeros((4, 4)), np.full((3, 3), np.nan), np.ones((3, 3, 3))):
        messages = []
        for function in (forward.blur, lambda i, p: deconvolve.wiener(i, p, 0.1)):
            with pytest.raises((ValueError, TypeError)) as info:
                function(image, bad)
            messages.append(str(info.value))
        assert messages[0] == messages[1]
    even = psf.gaussian_psf((5, 5), 1.0)[:4, :4]
    assert forward.blur(image, even).shape == deconvolve.wiener(image, even, 0.1).shape


def test_blur_integer_image_gives_float64():
    image = np.arange(64, dtype=np.uint16).reshape(8, 8)
    out = forward.blur(image, psf.gaussian_psf((3, 3), 1.0))
    assert out.dtype == np.float64


@pytest.mark.parametrize("ndim", [2, 3])
def test_blur_identity_psf_returns_input(ndim):
    image = np.random.default_rng(2).random(CASES[ndim][0])
    delta = np.zeros((3,) * ndim)
    delta[(1,) * ndim] = 5.0  # normalised inside
    np.testing.assert_allclose(forward.blur(image, delta), image, atol=1e-12)


@pytest.mark.parametrize("ndim", [2, 3])
def test_blur_preserves_flux_in_the_interior(ndim):
    shape = (64, 64) if ndim == 2 else (32, 40, 40)
    image = np.zeros(shape)
    centre = tuple(s // 2 for s in shape)
    image[tuple(slice(c - 3, c + 3) for c in centre)] = 1.0
    kernel = psf.gaussian_psf((11,) * ndim, 1.5)
    for mode in ("constant", "reflect"):
        out = forward.blur(image, kernel, mode=mode)
        assert out.sum() == pytest.approx(image.sum(), rel=1e-12)
        assert out.min() >= 0.0  # round-off below zero is clipped


def test_blur_has_no_wrap_around():
    image = np.zeros((32, 32))
    image[:, :2] = 100.0  # bright left border
    kernel = psf.gaussian_psf((9, 9), 2.0)
    out = forward.blur(image, kernel, mode="constant")
    assert np.abs(out[:, -5:]).max() < 1e-10  # nothing leaks to the opposite border (round-off)
    wrapped = forward.blur(image, kernel, mode="wrap")
    assert wrapped[:, -1].min() > 1.0  # whereas the periodic mode does wrap


@pytest.mark.parametrize(
    "image, kernel, kwargs, error, match",
    [
        (np.ones((8, 8)), np.ones((3, 3, 3)), {}, ValueError, r"psf must have the same .* \(2D\)"),
        (np.ones((8, 8)), np.zeros((4, 3)), {}, ValueError, "psf must have a positive sum"),
        (np.ones((8, 8)), -np.ones((3, 3)), {}, ValueError, "non-negative"),
        (np.ones((8, 8)), np.ones((3, 3)), {"mode": "periodic"}, ValueError, "mode"),
        (np.ones(8), np.ones(3), {}, ValueError, "image must be 2D or 3D"),
        (np.full((8, 8), np.inf), np.ones((3, 3)), {}, ValueError, "image must contain only"),
        (np.ones((8, 8), dtype=complex), np.ones((3, 3)), {}, TypeError, "image must be real"),
        (np.ones((0, 8)), np.ones((3, 3)), {}, ValueError, "image must not be empty"),
        ("abc", np.ones((3, 3)), {}, TypeError, "image"),
    ],
)
def test_blur_bad_input(image, kernel, kwargs, error, match):
    with pytest.raises(error, match=match):
        forward.blur(image, kernel, **kwargs)


# --------------------------------------------------------------------------- noise


@pytest.mark.parametrize("read_noise", [0.0, 3.0])
def test_add_noise_statistics(read_noise):
    lam = 50.0
    expected = np.full((400, 400), lam)
    noisy = forward.add_noise(expected, read_noise=read_noise, rng=np.random.default_rng(4))
    n = noisy.size
    variance = lam + read_noise**2
    assert noisy.dtype == np.float64 and noisy.shape == expected.shape
    # mean within 5 standard errors, variance within 5 standard errors of the variance
    assert abs(noisy.mean() - lam) < 5 * np.sqrt(variance / n)
    assert abs(noisy.var() - variance) < 5 * variance * np.sqrt(2.0 / n)
    if read_noise == 0:
        np.testing.assert_array_equal(noisy, np.round(noisy))  # Poisson counts are integers


def test_add_noise_zero_expected_and_no_read_noise_is_zero():
    assert not forward.add_noise(np.zeros((10, 10)), rng=0).any()


def test_add_noise_any_shape_and_deterministic():
    expected = np.linspace(0, 20, 60).reshape(3, 4, 5)
    a = forward.add_noise(expected, read_noise=1.0, rng=np.random.default_rng(7))
    b = forward.add_noise(expected, read_noise=1.0, rng=np.random.default_rng(7))
    c = forward.add_noise(expected, read_noise=1.0, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "expected, kwargs, error, match",
    [
        (-np.ones((4, 4)), {"rng": 0}, ValueError, "expected must be non-negative"),
        (np.full((4, 4), np.nan), {"rng": 0}, ValueError, "expected must contain only"),
        (np.ones((4, 4)), {"rng": 0, "read_noise": -1.0}, ValueError, "read_noise"),
        (np.ones((4, 4)), {"rng": 0, "read_noise": np.inf}, ValueError, "read_noise"),
        (np.ones((4, 4)), {"rng": 0, "read_noise": "1"}, TypeError, "read_noise"),
        (np.ones((4, 4)), {"rng": None}, TypeError, "rng"),
        (np.ones((4, 4), dtype=complex), {"rng": 0}, TypeError, "expected must be real"),
    ],
)
def test_add_noise_bad_input(expected, kwargs, error, match):
    with pytest.raises(error, match=match):
        forward.add_noise(expected, **kwargs)


# --------------------------------------------------------------------------- acquire


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_acquire_flat_truth_statistics(ndim, dtype):
    shape = (300, 300) if ndim == 2 else (40, 50, 50)
    truth = np.ones(shape, dtype=dtype)
    kernel = psf.gaussian_psf((7,) * ndim, 1.5)
    photons, background, read_noise = 40.0, 10.0, 2.0
    image = forward.acquire(
        truth, kernel, photons=photons, background=background, read_noise=read_noise, rng=5
    )
    assert image.shape == shape and image.dtype == np.float64
    mean, variance, n = photons + background, photons + background + read_noise**2, image.size
    assert abs(image.mean() - mean) < 5 * np.sqrt(variance / n)
    assert abs(image.var() - variance) < 5 * variance * np.sqrt(2.0 / n)
    back = forward.to_truth_units(image, photons=photons, background=background)
    assert back.mean() == pytest.approx(1.0, abs=5 * np.sqrt(variance / n) / photons)


def test_acquire_expected_value_and_determinism():
    rng = np.random.default_rng(6)
    truth = np.zeros((48, 48))
    truth[10:30, 15:35] = rng.uniform(0.2, 1.0, (20, 20))
    kernel = psf.gaussian_psf((9, 9), 2.0)
    photons, background = 30.0, 5.0
    runs = np.stack(
        [
            forward.acquire(truth, kernel, photons=photons, background=background, rng=seed)
            for seed in range(200)
        ]
    )
    model = photons * forward.blur(truth, kernel) + background
    # the average of 200 acquisitions converges to the model (5 standard errors)
    assert np.all(np.abs(runs.mean(axis=0) - model) < 5 * np.sqrt(model / 200) + 1e-9)
    again = forward.acquire(truth, kernel, photons=photons, background=background, rng=0)
    np.testing.assert_array_equal(runs[0], again)
    # to_truth_units inverts the affine part exactly
    np.testing.assert_allclose(
        forward.to_truth_units(model, photons=photons, background=background),
        forward.blur(truth, kernel),
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "truth, kwargs, error, match",
    [
        (np.ones((8, 8)), {"photons": 0}, ValueError, "photons"),
        (np.ones((8, 8)), {"photons": -5}, ValueError, "photons"),
        (np.ones((8, 8)), {"photons": np.nan}, ValueError, "photons"),
        (np.ones((8, 8)), {"photons": 10, "background": -1}, ValueError, "background"),
        (np.ones((8, 8)), {"photons": 10, "read_noise": -1}, ValueError, "read_noise"),
        (np.ones((8, 8)), {"photons": "10"}, TypeError, "photons"),
        (-np.ones((8, 8)), {"photons": 10}, ValueError, "truth must be non-negative"),
        (np.ones((2, 2, 2, 2)), {"photons": 10}, ValueError, "truth must be 2D or 3D"),
        (np.ones((8, 8, 8)), {"photons": 10}, ValueError, r"psf must have the same .* \(3D\)"),
        (np.ones((8, 8)), {"photons": 10, "mode": "zero"}, ValueError, "mode"),
    ],
)
def test_acquire_bad_input(truth, kwargs, error, match):
    with pytest.raises(error, match=match):
        forward.acquire(truth, np.ones((3, 3)), rng=0, **kwargs)


def test_acquire_requires_rng():
    with pytest.raises(TypeError, match="rng"):
        forward.acquire(np.ones((8, 8)), np.ones((3, 3)), photons=10, rng=None)


def test_to_truth_units_known_answer_and_errors():
    out = forward.to_truth_units(np.array([[10, 60], [110, 210]]), photons=100, background=10)
    np.testing.assert_allclose(out, [[0.0, 0.5], [1.0, 2.0]])
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match="photons"):
        forward.to_truth_units(np.ones(3), photons=0)
    with pytest.raises(ValueError, match="background"):
        forward.to_truth_units(np.ones(3), photons=1, background=-2)
    with pytest.raises(ValueError, match="image must contain only"):
        forward.to_truth_units(np.array([np.nan]), photons=1)


class TestMicroscope:
    def test_psf_is_the_airy_psf_of_its_parameters(self):
        from decondl.psf import airy_psf

        scope = forward.Microscope(na=1.0, psf_size_px=21)
        expected = airy_psf((21, 21), wavelength_um=0.52, na=1.0, pixel_size_um=0.065)
        np.testing.assert_array_equal(scope.psf(), expected)

    def test_acquire_matches_the_function_and_round_trips_the_scale(self):
        scope = forward.Microscope()
        truth = np.zeros((80, 80))
        truth[5:75, 5:75] = 1.0
        image = scope.acquire(truth, rng=np.random.default_rng(3))
        same = forward.acquire(
            truth, scope.psf(), photons=200.0, background=10.0, read_noise=2.0, rng=3
        )
        np.testing.assert_array_equal(image, same)
        # More than a PSF width inside the square the blurred truth is 1: maps back to 1.
        assert scope.to_truth_units(image)[25:55, 25:55].mean() == pytest.approx(1.0, abs=0.02)

    def test_bad_parameters_are_reported_by_name(self):
        with pytest.raises(ValueError, match="na"):
            forward.Microscope(na=-1).psf()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"photons": -1}, ValueError, "photons must be finite and > 0"),
        ({"photons": 0}, ValueError, "photons must be finite and > 0"),
        ({"photons": 1e20}, ValueError, "photons must be .* <= 1e\\+12, got 1e\\+20"),
        ({"photons": "200"}, TypeError, "photons must be a real number"),
        ({"background": -1}, ValueError, "background must be finite and >= 0"),
        ({"read_noise": float("nan")}, ValueError, "read_noise must be finite and >= 0"),
        ({"psf_size_px": 32}, ValueError, "psf_size_px must be an odd integer >= 3, got 32"),
        ({"psf_size_px": 31.0}, TypeError, "psf_size_px must be an int"),
        ({"na": -0.8}, ValueError, "na"),
        ({"wavelength_um": 0}, ValueError, "wavelength_um"),
    ],
)
def test_microscope_validates_every_parameter_when_created(kwargs, error, match):
    with pytest.raises(error, match=match):
        forward.Microscope(**kwargs)


def test_huge_photon_counts_are_refused_before_numpy():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"photons must be .* <= 1e\+12"):
        forward.acquire(np.ones((8, 8)), np.ones((3, 3)), photons=1e20, rng=rng)
    with pytest.raises(ValueError, match="expected must be at most"):
        forward.add_noise(np.full((4, 4), 1e19), rng=rng)
