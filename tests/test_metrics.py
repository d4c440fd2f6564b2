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


# --------------------------------------------------------------------------- splits and merges


def _two_objects():
    truth = np.zeros((10, 20), np.int32)
    truth[2:8, 2:8] = 1  # 36 pixels
    truth[2:8, 11:17] = 2
    return truth


def test_count_splits_merges_perfect():
    truth = _two_objects()
    counts = metrics.count_splits_merges(truth, truth)
    assert counts == {
        "n_true": 2,
        "n_pred": 2,
        "split": 0,
        "merges": 0,
        "merged": 0,
        "missed": 0,
        "missed_split_or_merged": 0,
    }


def test_count_splits_merges_split_into_three():
    truth = _two_objects()
    pred = truth.copy()
    pred[2:8, 2:4], pred[2:8, 4:6], pred[2:8, 6:8] = 3, 4, 5  # object 1 in three pieces
    counts = metrics.count_splits_merges(truth, pred)
    assert counts["split"] == 1 and counts["merges"] == 0
    # each piece has IoU 1/3 with object 1: missed, and missed because it was split
    assert counts["missed"] == 1 and counts["missed_split_or_merged"] == 1
    assert counts["n_pred"] == 4  # labels need not be consecutive


def test_count_splits_merges_merge_with_the_gap():
    truth = _two_objects()
    pred = np.zeros_like(truth)
    pred[2:8, 2:17] = 1  # both objects and the gap: IoU 36 / 90 each
    counts = metrics.count_splits_merges(truth, pred)
    assert (counts["merges"], counts["merged"], counts["split"]) == (1, 2, 0)
    assert counts["missed"] == 2 and counts["missed_split_or_merged"] == 2


def test_count_splits_merges_missed_for_other_reasons():
    truth = _two_objects()
    pred = truth.copy()
    pred[pred == 2] = 0
    pred[3:5, 12:14] = 2  # a small blob inside object 2: IoU 4/36, neither split nor merged
    counts = metrics.count_splits_merges(truth, pred)
    assert counts["missed"] == 1 and counts["missed_split_or_merged"] == 0
    assert counts["split"] == counts["merges"] == 0


def test_count_splits_merges_fraction_decides_mostly():
    truth = _two_objects()
    pred = truth.copy()
    pred[2:8, 2:5] = 3  # object 1 in halves ...
    pred[2:8, 5:9] = 4  # ... one spilling one column into the background: 18 of 24 inside
    assert metrics.count_splits_merges(truth, pred)["split"] == 1
    assert metrics.count_splits_merges(truth, pred, fraction=0.8)["split"] == 0


def test_count_splits_merges_missed_equals_false_negatives():
    from decondl import segment, synthetic

    rng = np.random.default_rng(0)
    truths, preds = [], []
    for _ in range(3):
        image, labels = synthetic.nuclei((96, 96), 15, rng)
        truths.append(labels)
        preds.append(segment.classical_segment(image + rng.normal(0, 0.2, image.shape)))
    counts = metrics.count_splits_merges(truths, preds)
    for tau in (0.5, 0.7):
        m = metrics.instance_matching(truths, preds, thresholds=[tau])
        false_negatives = round(m["n_true"] * (1 - m["recall"][0]))
        assert counts["n_true"] == m["n_true"] and counts["n_pred"] == m["n_pred"]
        assert metrics.count_splits_merges(truths, preds, iou_threshold=tau)["missed"] == (
            false_negatives
        )
    # pooled counts are sums over the images
    single = [metrics.count_splits_merges(t, p) for t, p in zip(truths, preds, strict=True)]
    assert all(counts[k] == sum(s[k] for s in single) for k in counts)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(fraction=0.4), ValueError, "fraction"),
        (dict(fraction=1.0), ValueError, "fraction"),
        (dict(fraction="0.5"), TypeError, "fraction"),
        (dict(iou_threshold=0.3), ValueError, "iou_threshold"),
        (dict(iou_threshold=True), TypeError, "iou_threshold"),
    ],
)
def test_count_splits_merges_bad_input(kwargs, error, match):
    truth = _two_objects()
    with pytest.raises(error, match=match):
        metrics.count_splits_merges(truth, truth, **kwargs)
    with pytest.raises(ValueError, match="shape"):
        metrics.count_splits_merges(truth, truth[:, :10])
    with pytest.raises(TypeError, match="integer"):
        metrics.count_splits_merges(truth, truth.astype(float))
    with pytest.raises(ValueError, match="label images"):
        metrics.count_splits_merges([truth, truth], [truth])


@pytest.mark.parametrize(
    "truth, pred, kwargs, error, match",
    [
        (_two_objects(), _two_objects(), dict(thresholds=[0.0]), ValueError, "thresholds"),
        (_two_objects(), _two_objects(), dict(thresholds=[0.5, 1.1]), ValueError, "thresholds"),
        (_two_objects(), _two_objects(), dict(thresholds=[]), ValueError, "thresholds"),
        (_two_objects(), _two_objects(), dict(thresholds=["0.5"]), TypeError, "thresholds"),
        (_two_objects(), -_two_objects(), {}, ValueError, "pred_labels must be >= 0"),
        (_two_objects()[None, None], _two_objects()[None, None], {}, ValueError, "2D or 3D"),
        ([], [], {}, ValueError, "at least one label image"),
        ([_two_objects()], [_two_objects(), _two_objects()], {}, ValueError, "label images"),
        ([_two_objects()], [_two_objects() * 1.0], {}, TypeError, r"pred_labels\[0\]"),
    ],
)
def test_instance_matching_bad_input(truth, pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        metrics.instance_matching(truth, pred, **kwargs)
