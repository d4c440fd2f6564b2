"""Tests of decondl.metrics: PSNR and SSIM against the ground truth."""

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from decondl import metrics

SHAPES = {2: (48, 40), 3: (12, 20, 16)}


def _pair(ndim, dtype, seed=0):
    rng = np.random.default_rng(seed)
    reference = rng.random(SHAPES[ndim]).astype(dtype)
    image = (reference + 0.1 * rng.standard_normal(reference.shape)).astype(dtype)
    return reference, image


# --------------------------------------------------------------------------- psnr


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_psnr_agrees_with_skimage_and_formula(ndim, dtype):
    reference, image = _pair(ndim, dtype)
    value = metrics.psnr(reference, image)
    ref64, img64 = reference.astype(np.float64), image.astype(np.float64)
    data_range = ref64.max() - ref64.min()
    assert isinstance(value, float)
    assert value == pytest.approx(
        peak_signal_noise_ratio(ref64, img64, data_range=data_range), rel=1e-12
    )
    mse = np.mean((ref64 - img64) ** 2)
    assert value == pytest.approx(10 * np.log10(data_range**2 / mse), rel=1e-12)


def test_psnr_hand_computed():
    reference = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert metrics.psnr(reference, reference + 0.1) == pytest.approx(20.0, abs=1e-12)
    # an explicit data_range of 2 gives 10 log10(4 / 0.01)
    assert metrics.psnr(reference, reference + 0.1, data_range=2.0) == pytest.approx(
        10 * np.log10(400.0), abs=1e-12
    )


def test_psnr_default_range_is_the_reference_range():
    # an 8-bit reference that spans 0..100: data_range is 100, not the dtype's 255
    reference = np.array([[0, 100], [50, 25]], dtype=np.uint8)
    image = reference.astype(np.float64) + 5.0
    assert metrics.psnr(reference, image) == pytest.approx(10 * np.log10(100.0**2 / 25.0))
    # and it does not depend on the range of the image being scored
    assert metrics.psnr(reference, image) == metrics.psnr(reference, image, data_range=100)
    wild = image.copy()
    wild[0, 0] = -1000.0
    assert metrics.psnr(reference, wild) < metrics.psnr(reference, image)


def test_psnr_identical_is_infinite():
    reference = np.random.default_rng(1).random((8, 8))
    assert metrics.psnr(reference, reference.copy()) == np.inf


# --------------------------------------------------------------------------- ssim


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ssim_agrees_with_skimage(ndim, dtype):
    reference, image = _pair(ndim, dtype, seed=2)
    value = metrics.ssim(reference, image)
    ref64, img64 = reference.astype(np.float64), image.astype(np.float64)
    expected = structural_similarity(ref64, img64, data_range=ref64.max() - ref64.min())
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-12)
    assert 0 < value < 1
    assert metrics.ssim(reference, reference) == pytest.approx(1.0)


def test_ssim_hand_formula_constant_images():
    # constant images: no structure, only the luminance term (2ab + C1) / (a^2 + b^2 + C1)
    a, b, data_range = 0.3, 0.5, 1.0
    c1 = (0.01 * data_range) ** 2
    value = metrics.ssim(np.full((16, 16), a), np.full((16, 16), b), data_range=data_range)
    assert value == pytest.approx((2 * a * b + c1) / (a**2 + b**2 + c1), rel=1e-9)


def test_ssim_orders_by_noise():
    reference = np.zeros((64, 64))
    reference[16:48, 16:48] = 1.0
    rng = np.random.default_rng(3)
    small = reference + 0.05 * rng.standard_normal(reference.shape)
    large = reference + 0.3 * rng.standard_normal(reference.shape)
    assert metrics.ssim(reference, small) > metrics.ssim(reference, large)


def test_ssim_window_size():
    reference, image = _pair(3, np.float64, seed=4)
    assert metrics.ssim(reference, image, win_size=3) == pytest.approx(
        structural_similarity(
            reference, image, data_range=reference.max() - reference.min(), win_size=3
        )
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("function", [metrics.psnr, metrics.ssim])
@pytest.mark.parametrize(
    "reference, image, kwargs, error, match",
    [
        (np.ones((8, 8)), np.ones((8, 9)), {}, ValueError, "same shape"),
        (np.eye(8), np.full((8, 8), np.nan), {}, ValueError, "image must contain only finite"),
        (np.full((8, 8), np.inf), np.eye(8), {}, ValueError, "reference must contain only"),
        (np.eye(8, dtype=complex), np.eye(8), {}, TypeError, "reference must be real"),
        (np.eye(8), np.array([["a"] * 8] * 8), {}, TypeError, "image must be a real"),
        (np.ones((8, 8)), np.eye(8), {}, ValueError, "reference is constant"),
        (np.eye(8), np.eye(8), {"data_range": 0}, ValueError, "data_range"),
        (np.eye(8), np.eye(8), {"data_range": -1.0}, ValueError, "data_range"),
        (np.eye(8), np.eye(8), {"data_range": "1"}, TypeError, "data_range"),
    ],
)
def test_metrics_bad_input(function, reference, image, kwargs, error, match):
    with pytest.raises(error, match=match):
        function(reference, image, **kwargs)


@pytest.mark.parametrize(
    "reference, kwargs, error, match",
    [
        (np.eye(5), {}, ValueError, "win_size"),
        (np.eye(9), {"win_size": 4}, ValueError, "win_size"),
        (np.eye(9), {"win_size": 7.0}, TypeError, "win_size"),
        (np.arange(20.0), {}, ValueError, "reference must be 2D or 3D"),
    ],
)
def test_ssim_bad_input(reference, kwargs, error, match):
    with pytest.raises(error, match=match):
        metrics.ssim(reference, reference, **kwargs)
