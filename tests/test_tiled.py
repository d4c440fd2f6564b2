"""Known-answer tests of decondl.tiled: tiled deconvolution agrees with the whole-image one."""

from __future__ import annotations

import warnings

import dask.array as da
import numpy as np
import pytest
from scipy import ndimage

from decondl import deconvolve, psf, synthetic, tiled

# 2D and 3D simulated data: spheres blurred by a Gaussian PSF with Poisson noise, float32.
CASES = {
    2: {"shape": (192, 160), "psf": (15, 15), "sigma": 2.0, "chunks": 64},
    3: {
        "shape": (24, 96, 80),
        "psf": (7, 11, 11),
        "sigma": (1.2, 1.6, 1.6),
        "chunks": (12, 48, 40),
    },
}
# The documented tolerance of the default halo (module docstring of decondl.tiled).
TOLERANCE = 1e-3


def simulated(ndim, seed=0):
    case = CASES[ndim]
    rng = np.random.default_rng(seed)
    truth, _ = synthetic.spheres(case["shape"], 40 * ndim, (2, 6), rng)
    h = psf.gaussian_psf(case["psf"], case["sigma"])
    blurred = ndimage.convolve(truth * 200 + 5, h, mode="mirror")
    image = rng.poisson(blurred).astype(np.float32)
    return image, h.astype(np.float32), case["chunks"]


@pytest.mark.parametrize("num_iter", [20, 100])
@pytest.mark.parametrize("ndim", [2, 3])
def test_rl_default_halo_meets_tolerance(ndim, num_iter):
    image, h, chunks = simulated(ndim)
    whole = deconvolve.richardson_lucy(image, h, num_iter)
    result = tiled.richardson_lucy(image, h, num_iter, chunks=chunks)
    assert result.dtype == np.float32 and result.shape == image.shape
    out = result.compute()
    assert out.dtype == np.float32
    regions = tiled.difference_by_region(out, whole, chunks, max(tiled.default_depth(h.shape)))
    assert regions["interior"] < TOLERANCE, regions
    assert regions["seams"] < TOLERANCE, regions
    # the outer border too: each tile is extended there exactly as the whole image is
    assert regions["border"] < TOLERANCE, regions


@pytest.mark.parametrize("ndim", [2, 3])
def test_wiener_default_halo_meets_tolerance(ndim):
    image, h, chunks = simulated(ndim)
    whole = deconvolve.wiener(image, h, 1e-2)
    out = tiled.wiener(image, h, 1e-2, chunks=chunks).compute()
    assert out.dtype == np.float32
    assert np.abs(out - whole).max() < TOLERANCE * np.abs(whole).max()


def test_small_halo_shows_seams_and_warns():
    image, h, chunks = simulated(2)
    whole = deconvolve.richardson_lucy(image, h, 20)
    with pytest.warns(UserWarning, match="smaller than the PSF half-width"):
        small = tiled.richardson_lucy(image, h, 20, chunks=chunks, depth=2).compute()
    regions = tiled.difference_by_region(small, whole, chunks, 7)
    assert regions["seams"] > 10 * TOLERANCE, regions  # the checker can fail
    assert regions["seams"] > 10 * regions["interior"], regions


def test_error_decreases_with_halo():
    image, h, chunks = simulated(2)
    whole = deconvolve.wiener(image, h, 1e-2)
    errors = []
    for depth in (7, 14, 28):
        out = tiled.wiener(image, h, 1e-2, chunks=chunks, depth=depth).compute()
        errors.append(tiled.difference_by_region(out, whole, chunks, 28)["seams"])
    assert errors[0] > errors[1] > errors[2], errors


def test_identity_psf_returns_input_and_one_chunk_equals_whole():
    image, h, _ = simulated(2)
    delta = np.zeros((3, 3), np.float32)
    delta[1, 1] = 1
    out = tiled.richardson_lucy(image, delta, 5, chunks=64).compute()
    np.testing.assert_allclose(out, image, rtol=1e-5, atol=1e-3)
    one = tiled.wiener(image, h, 1e-2, chunks=image.shape).compute()
    np.testing.assert_array_equal(one, deconvolve.wiener(image, h, 1e-2, workers=1))


def test_an_axis_in_one_chunk_needs_no_halo():
    # a short stack: the default halo along z (4 half-widths) is longer than the stack
    image, h, _ = simulated(3)
    short = image[:8]
    whole = deconvolve.wiener(short, h, 1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: z has no neighbours to see
        out = tiled.wiener(short, h, 1e-2, chunks=(8, 48, 40), depth=(1, 20, 20)).compute()
    assert np.abs(out - whole).max() < TOLERANCE * np.abs(whole).max()
    out = tiled.richardson_lucy(short, h, 5, chunks=(8, 48, 40)).compute()
    assert out.shape == short.shape


def test_dask_input_keeps_its_chunks_and_float64():
    image, h, _ = simulated(2)
    lazy = da.from_array(image.astype(np.float64), chunks=(96, 80))
    out = tiled.wiener(lazy, h, 1e-2)
    assert out.chunks == lazy.chunks and out.dtype == np.float64
    integer = da.from_array(image.astype(np.uint16), chunks=96)
    assert tiled.richardson_lucy(integer, h, 2).dtype == np.float64


def test_rl_background_and_initial():
    image, h, chunks = simulated(2)
    whole = deconvolve.richardson_lucy(image, h, 10, background=5.0, initial=50.0)
    out = tiled.richardson_lucy(image, h, 10, chunks=chunks, background=5.0, initial=50.0)
    regions = tiled.difference_by_region(out.compute(), whole, chunks, 28)
    assert regions["interior"] < TOLERANCE and regions["seams"] < TOLERANCE, regions


@pytest.mark.parametrize(
    ("chunks", "error", "match"),
    [
        (None, ValueError, "chunks is required"),
        (0, ValueError, "chunks entries must be >= 1"),
        ((64,), ValueError, "chunks must have one entry per image axis"),
        ("64", TypeError, "chunks must be an int or a tuple"),
        (2.5, TypeError, "chunks must be an int or a tuple"),
        ((64, 1.5), TypeError, "chunks entries must be an int"),
        (16, ValueError, "chunks along axis 0 .* must be at least the halo"),
    ],
)
def test_bad_chunks_are_refused_clearly(chunks, error, match):
    image, h, _ = simulated(2)
    with pytest.raises(error, match=match):
        tiled.wiener(image, h, 1e-2, chunks=chunks)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": np.ones((4, 4, 4, 4))}, ValueError, "image must be 2D or 3D"),
        ({"image": np.ones((8, 8), complex)}, TypeError, "image must be real"),
        ({"image": da.ones((8, 8), chunks=4, dtype=bool)}, TypeError, "image must be a real"),
        ({"image": da.ones((2, 2, 2, 2), chunks=1)}, ValueError, "image must be 2D or 3D"),
        ({"psf": np.ones((3, 3, 3))}, ValueError, "psf must have the same number"),
        ({"psf": -np.ones((3, 3))}, ValueError, "psf must be non-negative"),
        ({"num_iter": -1}, ValueError, "num_iter must be >= 0"),
        ({"num_iter": 2.0}, TypeError, "num_iter must be an int"),
        ({"depth": -1}, ValueError, "depth entries must be >= 0"),
        ({"depth": "8"}, TypeError, "depth must be an int or a tuple"),
        ({"depth": (8,)}, ValueError, "depth must have one entry per image axis"),
        ({"background": -1.0}, ValueError, "background must be"),
        ({"initial": 0.0}, ValueError, "initial must be"),
        ({"pad_mode": "mirror"}, ValueError, "pad_mode must be one of"),
        ({"workers": 0}, ValueError, "workers must be"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, match):
    args = {"image": np.ones((32, 32)), "psf": np.ones((3, 3)), "num_iter": 2, "chunks": 16}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        tiled.richardson_lucy(args.pop("image"), args.pop("psf"), args.pop("num_iter"), **args)


def test_wiener_balance_checked():
    with pytest.raises(ValueError, match="balance must be"):
        tiled.wiener(np.ones((32, 32)), np.ones((3, 3)), -1.0, chunks=16)


def test_default_depth_and_region_checks():
    assert tiled.default_depth((31, 15)) == (60, 28)
    assert tiled.default_depth((1, 3), half_widths=0) == (1, 1)
    with pytest.raises(ValueError, match="same shape"):
        tiled.difference_by_region(np.ones((4, 4)), np.ones((4, 5)), 2, 1)
    regions = tiled.difference_by_region(np.ones((8, 8)), np.ones((8, 8)), 4, 1)
    assert regions == {"interior": 0.0, "seams": 0.0, "border": 0.0, "all": 0.0}


def test_measure_reports_time_and_peak_memory():
    result, seconds, peak = tiled.measure(lambda: np.ones(2_000_000).sum())
    assert result == 2_000_000 and seconds > 0 and peak >= 16_000_000
    with pytest.raises(TypeError, match="function must be callable"):
        tiled.measure(3)


def test_network_wrappers_check_arguments_before_tensorflow():
    with pytest.raises(ValueError, match="image must be 2D"):
        tiled.predict_stardist_big(None, np.ones((4, 4, 4)), 64, 16)
    with pytest.raises(ValueError, match="block_size must be >= 1"):
        tiled.predict_stardist_big(None, np.ones((4, 4)), 0, 16)


# ------------------------------------------------------------------ exercises of chapter 7


def test_reach_check_passes_the_answer_and_hints_the_mistakes(monkeypatch):
    from decondl.exercises import large_images as ex7

    monkeypatch.delenv("DECONDL_EXERCISES_STRICT", raising=False)
    p, k = ex7.RL_REACH_CASE
    assert ex7.check_rl_reach(2 * k * (p // 2))
    assert ex7.check_rl_reach(...).status == "unanswered"
    for wrong, hint in [
        (k * (p // 2), "twice"),
        (2 * (p // 2), "one iteration"),
        (2 * k * p, "half-width"),
    ]:
        verdict = ex7.check_rl_reach(wrong)
        assert not verdict and verdict.status == "fail"
        assert hint in verdict.hint
    assert ex7.check_rl_reach(7).hint is None


def test_wiener_tiles_check_passes_the_solution_and_hints_the_mistakes(monkeypatch):
    from decondl.exercises import large_images as ex7

    monkeypatch.delenv("DECONDL_EXERCISES_STRICT", raising=False)

    def solution(image, h, balance, chunk, depth):
        lazy = da.from_array(image, chunks=chunk)
        return lazy.map_overlap(
            lambda block: deconvolve.wiener(block, h, balance),
            depth=depth,
            boundary="none",
            dtype=image.dtype,
        ).compute()

    assert ex7.check_wiener_tiles(solution)
    for mistake, hint in [(ex7._no_halo, "no halo"), (ex7._reflect_boundary, 'boundary="none"')]:
        verdict = ex7.check_wiener_tiles(mistake)
        assert not verdict and hint in verdict.hint
    whole = ex7.check_wiener_tiles(lambda image, h, balance, c, d: deconvolve.wiener(image, h, 1))
    assert not whole and whole.hint is None
    assert ex7.check_wiener_tiles(...).status == "unanswered"


@pytest.mark.dl
def test_care_tiles_by_csbdeep_agree_with_the_whole_prediction():
    from csbdeep.models import CARE

    from decondl import backend, profile, restore

    backend.seed_everything(0)
    config = restore.care_config(profile.get("quick"), unet_n_depth=2, unet_n_first=8)
    care = CARE(config, None, basedir=None)  # untrained: tiling does not depend on weights
    image, _, _ = simulated(2)
    whole = tiled.predict_care_tiled(care, image, 1)
    assert whole.shape == image.shape and whole.dtype == np.float32
    np.testing.assert_allclose(whole, restore.predict_care(care, image), rtol=1e-5, atol=1e-6)
    tiles = tiled.predict_care_tiled(care, image, (2, 3))
    assert np.abs(tiles - whole).max() <= 1e-5 * np.abs(whole).max()
    with pytest.raises(ValueError, match="n_tiles must have one entry per image axis"):
        tiled.predict_care_tiled(care, image, (2, 2, 2))
    with pytest.raises(ValueError, match="n_tiles entries must be >= 1"):
        tiled.predict_care_tiled(care, image, 0)


@pytest.mark.dl
def test_stardist_big_runs_stardist_block_by_block():
    from stardist.models import Config2D, StarDist2D

    from decondl import backend

    backend.seed_everything(0)
    config = Config2D(n_rays=8, grid=(2, 2), unet_n_depth=1, unet_n_filter_base=4)
    with backend.quiet():
        model = StarDist2D(config, None, basedir=None)  # untrained: checks the wrapper only
    image, _, _ = simulated(2)
    x = image / image.max()
    labels = tiled.predict_stardist_big(model, x, 96, 16, context=16, prob_thresh=0.5)
    assert labels.shape == image.shape and labels.dtype == np.int32 and labels.min() >= 0
    with pytest.raises(ValueError, match="block_size .* must exceed min_overlap"):
        tiled.predict_stardist_big(model, x, 96, 16, context=40)
    with pytest.raises(ValueError, match="block_size .* must exceed min_overlap"):
        tiled.predict_stardist_big(model, x, 32, 16)  # the default context is larger
    with pytest.raises(ValueError, match="block_size must be at most the image size"):
        tiled.predict_stardist_big(model, x, 256, 16)
    with pytest.raises(ValueError, match="prob_thresh must be"):
        tiled.predict_stardist_big(model, image, 64, 16, prob_thresh=2.0)
