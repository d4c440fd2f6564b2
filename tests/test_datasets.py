"""decondl.datasets: the simulation and the normalisation shared by CARE and StarDist."""

from __future__ import annotations

import numpy as np
import pytest

from decondl import datasets, forward, restore, segment, synthetic
from decondl.forward import Microscope


def spheres(r):
    return synthetic.spheres((40, 36), 4, (2, 5), r)


def test_simulate_records_each_phantom_with_the_microscope():
    raw, truths, labels = datasets.simulate(spheres, 3, 5, with_labels=True)
    assert raw.shape == truths.shape == labels.shape == (3, 40, 36)
    assert (raw.dtype, truths.dtype, labels.dtype) == (np.float32, np.float32, np.int32)
    # The rng is drawn in turn: phantom 1, its noise, phantom 2, ...
    rng, scope = np.random.default_rng(5), Microscope()
    for i in range(3):
        truth, lab = spheres(rng)
        np.testing.assert_array_equal(truths[i], truth.astype(np.float32))
        np.testing.assert_array_equal(labels[i], lab)
        expected = scope.acquire(truth, rng=rng).astype(np.float32)
        np.testing.assert_array_equal(raw[i], expected)
    # Without labels: two arrays, the same ones.
    again = datasets.simulate(spheres, 3, np.random.default_rng(5))
    assert len(again) == 2
    np.testing.assert_array_equal(again[0], raw)
    np.testing.assert_array_equal(again[1], truths)


def test_simulate_is_what_care_and_stardist_use():
    raw, truths = restore.simulate_pairs(spheres, 2, 3)
    shared = datasets.simulate(spheres, 2, 3)
    np.testing.assert_array_equal(raw, shared[0])
    np.testing.assert_array_equal(truths, shared[1])
    scope = Microscope(photons=40)
    raw, labels, truth = segment.simulate_dataset(2, 4, shape=(48, 40), n_nuclei=5, scope=scope)
    shared = datasets.simulate(
        lambda r: synthetic.nuclei((48, 40), 5, r), 2, 4, scope=scope, with_labels=True
    )
    for mine, theirs in zip((raw, truth, labels), shared, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_simulate_noiseless_is_the_blurred_truth_and_honours_the_psf():
    scope = Microscope(photons=1e7, read_noise=0.0, background=5.0)
    raw, truths = datasets.simulate(spheres, 1, 0, scope=scope)
    blurred = forward.blur(truths[0].astype(np.float64), scope.psf())
    np.testing.assert_allclose(scope.to_truth_units(raw[0]), blurred, atol=2e-3)
    identity = np.zeros((3, 3))
    identity[1, 1] = 1.0
    raw, truths = datasets.simulate(spheres, 1, 0, scope=scope, psf=identity)
    np.testing.assert_allclose(scope.to_truth_units(raw[0]), truths[0], atol=2e-3)


def test_simulate_errors():
    with pytest.raises(TypeError, match="phantom must be callable"):
        datasets.simulate(np.zeros((8, 8)), 1, 0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        datasets.simulate(spheres, 0, 0)
    with pytest.raises(TypeError, match="n must be an int"):
        datasets.simulate(spheres, 2.0, 0)
    with pytest.raises(TypeError, match="rng"):
        datasets.simulate(spheres, 1, None)
    with pytest.raises(TypeError, match="Microscope"):
        datasets.simulate(spheres, 1, 0, scope="widefield")
    with pytest.raises(ValueError, match="2D truths"):
        datasets.simulate(lambda r: np.zeros((4, 8, 8)), 1, 0)
    with pytest.raises(TypeError, match="with_labels"):
        datasets.simulate(lambda r: np.zeros((8, 8)), 1, 0, with_labels=True)
    with pytest.raises(TypeError, match="integer label image"):
        datasets.simulate(lambda r: (np.zeros((8, 8)), np.zeros((8, 8))), 1, 0, with_labels=True)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(50, 40), (6, 10, 12)])
def test_normalize_known_answer(dtype, shape):
    rng = np.random.default_rng(0)
    image = (1000 * rng.random(shape)).astype(dtype)
    out = datasets.normalize(image, (2, 98))
    assert out.dtype == np.float32 and out.shape == shape
    as64 = image.astype(np.float64)
    lo, hi = np.percentile(as64, [2, 98])
    np.testing.assert_array_equal(out, ((as64 - lo) / (hi - lo)).astype(np.float32))
    ramp = np.arange(101.0)
    np.testing.assert_array_equal(datasets.normalize(ramp, (0, 100)), (ramp / 100).astype("f4"))
    np.testing.assert_array_equal(datasets.normalize(np.full(shape, 3, dtype)), 0)


def test_normalize_is_csbdeeps_and_the_one_of_both_chapters():
    from csbdeep.utils import normalize as csbdeep_normalize

    image = 100 * np.random.default_rng(1).gamma(2.0, size=(64, 64)).astype(np.float32)
    out = datasets.normalize(image)
    assert datasets.DEFAULT_PERCENTILES == restore.DEFAULT_PERCENTILES == (1.0, 99.8)
    # CSBDeep computes in float32 (prediction): the same up to float32 rounding.
    np.testing.assert_allclose(out, csbdeep_normalize(image, 1, 99.8), rtol=0, atol=3e-7)
    np.testing.assert_array_equal(restore.normalize_input(image), out)
    np.testing.assert_array_equal(segment.normalize(image), out)
    np.testing.assert_array_equal(
        segment.normalize(image, 3, 99), datasets.normalize(image, (3, 99))
    )


def test_normalize_errors():
    image = np.arange(16.0).reshape(4, 4)
    with pytest.raises(ValueError, match="percentiles must satisfy low < high"):
        datasets.normalize(image, (50, 50))
    with pytest.raises(ValueError, match=r"percentiles\[1\] must be finite and >= 0 and <= 100"):
        datasets.normalize(image, (1, 101))
    with pytest.raises(TypeError, match="percentiles must be a pair"):
        datasets.normalize(image, 5)
    with pytest.raises(ValueError, match="finite"):
        datasets.normalize(np.full((4, 4), np.nan))
    with pytest.raises(TypeError, match="real numeric array"):
        datasets.normalize(np.full((4, 4), "a"))
