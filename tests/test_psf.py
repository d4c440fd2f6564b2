"""Tests of decondl.psf: PSF models, FWHM, PSF learned from beads, validation."""

import numpy as np
import pytest

from decondl import forward, psf, synthetic

FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))  # 2.3548


def _check_psf(h, shape):
    assert h.shape == shape and h.dtype == np.float64
    assert h.min() >= 0
    assert h.sum() == pytest.approx(1.0, abs=1e-12)
    centre = tuple(s // 2 for s in shape)
    assert np.unravel_index(np.argmax(h), shape) == centre


def _rel_error(estimate, truth):
    return np.linalg.norm(estimate - truth) / np.linalg.norm(truth)


# --------------------------------------------------------------------------- gaussian


@pytest.mark.parametrize("shape", [(31, 31), (21, 25, 29)])
@pytest.mark.parametrize("sigma", [1.5, 3.0])
def test_gaussian_psf_known_answers(shape, sigma):
    h = psf.gaussian_psf(shape, sigma)
    _check_psf(h, shape)
    for axis in range(len(shape)):
        np.testing.assert_allclose(h, np.flip(h, axis=axis), atol=1e-15)  # symmetric
        assert psf.fwhm_px(h, axis) == pytest.approx(FWHM_PER_SIGMA * sigma, rel=0.01)


def test_gaussian_psf_per_axis_sigma_and_delta():
    h = psf.gaussian_psf((15, 21, 21), (3.0, 1.5, 2.0))
    assert psf.fwhm_px(h, 0) == pytest.approx(FWHM_PER_SIGMA * 3.0, rel=0.01)
    assert psf.fwhm_px(h, 1) == pytest.approx(FWHM_PER_SIGMA * 1.5, rel=0.01)
    assert psf.fwhm_px(h, 2) == pytest.approx(FWHM_PER_SIGMA * 2.0, rel=0.01)
    delta = psf.gaussian_psf((5, 5), 0.0)
    expected = np.zeros((5, 5))
    expected[2, 2] = 1.0
    np.testing.assert_array_equal(delta, expected)


def test_gaussian_psf_matches_formula():
    h = psf.gaussian_psf((7, 9), 1.2)
    y, x = np.mgrid[-3:4, -4:5]
    expected = np.exp(-(x**2 + y**2) / (2 * 1.2**2))
    np.testing.assert_allclose(h, expected / expected.sum(), rtol=1e-12)


# --------------------------------------------------------------------------- airy


@pytest.mark.parametrize("na, wavelength_um", [(0.8, 0.5), (1.2, 0.6)])
def test_airy_psf_fwhm_and_first_zero(na, wavelength_um):
    pixel = 0.02
    h = psf.airy_psf((101, 101), wavelength_um=wavelength_um, na=na, pixel_size_um=pixel)
    _check_psf(h, (101, 101))
    np.testing.assert_allclose(h, h.T, atol=1e-15)
    np.testing.assert_allclose(h, h[::-1, ::-1], atol=1e-15)
    # FWHM = 0.51 lambda / NA (0.5145 exactly), within 2 %
    fwhm_um = psf.fwhm_px(h, axis=1) * pixel
    assert fwhm_um == pytest.approx(0.5145 * wavelength_um / na, rel=0.02)
    # first zero (first local minimum of the profile) at 0.61 lambda / NA, within a pixel
    profile = h[50, 50:]
    first_min = np.flatnonzero((profile[1:-1] < profile[:-2]) & (profile[1:-1] < profile[2:]))[0]
    assert abs((first_min + 1) * pixel - 0.6098 * wavelength_um / na) <= pixel
    assert profile[first_min + 1] < 1e-3 * profile[0]


def test_airy_psf_oversampling_integrates_pixels():
    # with coarse pixels, integrating over the pixel lowers the peak fraction
    kwargs = dict(wavelength_um=0.5, na=1.0, pixel_size_um=0.15)
    point = psf.airy_psf((21, 21), oversample=1, **kwargs)
    integrated = psf.airy_psf((21, 21), oversample=5, **kwargs)
    assert integrated[10, 10] < point[10, 10]
    _check_psf(integrated, (21, 21))


def test_airy_psf_narrower_for_higher_na():
    widths = [
        psf.fwhm_px(psf.airy_psf((61, 61), wavelength_um=0.5, na=na, pixel_size_um=0.03))
        for na in (0.5, 0.9, 1.4)
    ]
    assert widths[0] > widths[1] > widths[2]


# --------------------------------------------------------------------------- widefield 3D


@pytest.mark.parametrize("model", ["scalar", "vectorial"])
def test_widefield_psf_3d(model):
    shape = (33, 65, 65)
    h = psf.widefield_psf_3d(
        shape, wavelength_um=0.52, na=1.0, pixel_size_um=0.1, z_step_um=0.2, model=model
    )
    _check_psf(h, shape)
    np.testing.assert_allclose(h, h[:, ::-1, :], atol=1e-12 * h.max())
    np.testing.assert_allclose(h, h[:, :, ::-1], atol=1e-12 * h.max())
    np.testing.assert_allclose(h, h[::-1], atol=1e-9 * h.max())  # no aberration: z-symmetric
    lateral_um = psf.fwhm_px(h, 2) * 0.1
    axial_um = psf.fwhm_px(h, 0) * 0.2
    assert lateral_um == pytest.approx(0.51 * 0.52 / 1.0, rel=0.15)
    assert axial_um > 2.5 * lateral_um  # widefield PSFs are elongated along z


def test_widefield_psf_3d_rectangular_and_na_dependence():
    kwargs = dict(wavelength_um=0.6, pixel_size_um=0.08, z_step_um=0.25, ni=1.515)
    h = psf.widefield_psf_3d((21, 41, 51), na=1.4, **kwargs)
    _check_psf(h, (21, 41, 51))
    low = psf.widefield_psf_3d((21, 41, 51), na=0.8, **kwargs)
    assert psf.fwhm_px(low, 2) > psf.fwhm_px(h, 2)
    assert psf.fwhm_px(low, 0) > psf.fwhm_px(h, 0)


# --------------------------------------------------------------------------- fwhm


def test_fwhm_px_triangle_known_answer():
    profile = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0])
    assert psf.fwhm_px(profile, 0) == pytest.approx(4.0)
    # half maximum 0.5: left crossing at 2 - 0.5 / 0.8, right one at 3 + 0.1 / 0.6
    assert psf.fwhm_px(np.array([0.0, 0.2, 1.0, 0.6, 0.0]), 0) == pytest.approx(
        (3 + 0.1 / 0.6) - (2 - 0.5 / 0.8), rel=1e-12
    )


def test_fwhm_px_errors():
    with pytest.raises(ValueError, match="axis"):
        psf.fwhm_px(psf.gaussian_psf((9, 9), 1.0), axis=2)
    with pytest.raises(ValueError, match="half maximum"):
        psf.fwhm_px(np.ones((5, 5)), axis=0)
    with pytest.raises(ValueError, match="positive maximum"):
        psf.fwhm_px(np.zeros((5, 5)))
    with pytest.raises(TypeError, match="axis"):
        psf.fwhm_px(np.ones(5), axis=0.5)


def test_fwhm_px_is_linear_in_the_sampling_of_a_cone():
    # a cone 10 - |x| sampled off-centre: linear between samples, so the interpolated
    # crossings are exact; the sampled peak is 9.7, half of it is crossed at |x| = 5.15
    x = np.arange(-20, 21) + 0.3
    profile = np.clip(10.0 - np.abs(x), 0, None)
    assert psf.fwhm_px(profile, 0) == pytest.approx(10.3, rel=1e-12)


def test_fwhm_vs_na_matches_the_airy_formula():
    table = psf.fwhm_vs_na([0.6, 1.2], [0.45, 0.65])
    assert sorted(table) == [0.45, 0.65]
    for wavelength, widths in table.items():
        assert widths.shape == (2,)
        np.testing.assert_allclose(widths, 0.5145 * wavelength / np.array([0.6, 1.2]), rtol=0.02)
    with pytest.raises(ValueError, match="half maximum"):
        psf.fwhm_vs_na([0.2], [0.65], size_px=11)
    with pytest.raises(ValueError, match="odd"):
        psf.fwhm_vs_na([0.6], [0.5], size_px=100)
    with pytest.raises(ValueError, match="na"):
        psf.fwhm_vs_na([2.0], [0.5])


# --------------------------------------------------------------------------- extract_psf


def _render_gaussians(shape, positions, sigma):
    """Exact image of point sources through a sampled Gaussian PSF (no rendering blur)."""
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij", sparse=True)
    image = np.zeros(shape)
    for p in positions:
        image += np.exp(-sum((g - c) ** 2 for g, c in zip(grids, p, strict=True)) / (2 * sigma**2))
    return image


@pytest.mark.parametrize("ndim", [2, 3])
def test_extract_psf_recovers_known_psf(ndim):
    # a 3D PSF spreads the bead's photons over many more voxels: brighter beads needed
    if ndim == 2:
        shape, size, sigma, photons = (192, 192), 17, 2.0, 5000
    else:
        shape, size, sigma, photons = (40, 112, 112), 13, (2.5, 2.0, 2.0), 20000
    truth = psf.gaussian_psf((size,) * ndim, sigma)
    image, positions = synthetic.beads(shape, 40, np.random.default_rng(0), min_distance_px=18)
    assert len(positions) >= 10
    blurred = forward.blur(image, truth, mode="constant")
    learned = psf.extract_psf(blurred, positions, size)
    _check_psf(learned, truth.shape)
    assert _rel_error(learned, truth) < 0.05
    # noisy acquisition with background and read noise
    noisy = forward.acquire(
        image, truth, photons=photons, background=20, read_noise=2.0, rng=1, mode="constant"
    )
    learned_noisy = psf.extract_psf(noisy, positions, size)
    assert _rel_error(learned_noisy, truth) < 0.1


def test_extract_psf_integer_beads_exact():
    truth = psf.gaussian_psf((15, 15), 1.0)
    image, positions = synthetic.beads((128, 128), 12, np.random.default_rng(3), subpixel=False)
    learned = psf.extract_psf(forward.blur(image, truth), positions, 15)
    assert _rel_error(learned, truth) < 1e-9


def test_extract_psf_subpixel_shift_is_accurate():
    # image of point sources rendered exactly at sub-pixel positions: the cubic-spline
    # re-centring alone must be accurate
    rng = np.random.default_rng(4)
    positions = np.array([[20, 20], [20, 60], [60, 20], [60, 60]]) + rng.uniform(-0.5, 0.5, (4, 2))
    truth = psf.gaussian_psf((15, 15), 1.5)
    image = _render_gaussians((80, 80), positions, 1.5)
    learned = psf.extract_psf(image, positions, 15, background=None)
    assert _rel_error(learned, truth) < 0.01


@pytest.mark.parametrize("background", ["median", "border", 50.0])
def test_extract_psf_background_handling(background):
    truth = psf.gaussian_psf((15, 15), 2.0)
    image, positions = synthetic.beads((128, 128), 12, np.random.default_rng(5), subpixel=False)
    blurred = 1000.0 * forward.blur(image, truth) + 50.0
    learned = psf.extract_psf(blurred, positions, 15, background=background)
    # "border" also removes the PSF tail at the crop border (2e-3 of the peak here)
    assert _rel_error(learned, truth) < (1e-2 if background == "border" else 1e-6)
    without = psf.extract_psf(blurred, positions, 15, background=None)
    assert _rel_error(without, truth) > 0.5  # the offset matters


def test_extract_psf_skips_beads_at_the_border():
    truth = psf.gaussian_psf((11, 11), 1.5)
    image = np.zeros((64, 64))
    image[32, 32] = 1.0
    image[2, 2] = 1.0
    blurred = forward.blur(image, truth, mode="constant")
    learned = psf.extract_psf(blurred, [[32, 32], [2, 2]], 11)
    assert _rel_error(learned, truth) < 1e-9
    with pytest.raises(ValueError, match="no bead crop"):
        psf.extract_psf(blurred, [[2, 2], [60, 3]], 11)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(positions=[[32, 32]], size=10), ValueError, "size"),
        (dict(positions=[[32, 32]], size=11.0), TypeError, "size"),
        (dict(positions=[[32, 32, 1]], size=11), ValueError, "positions"),
        (dict(positions=[[32, np.nan]], size=11), ValueError, "positions"),
        (dict(positions=[[32, 32]], size=11, background="mean"), ValueError, "background"),
        (dict(positions=[[32, 32]], size=11, background=[1.0]), TypeError, "background"),
        (dict(positions=[[32, 32]], size=11, background=np.inf), ValueError, "background"),
        (dict(positions=[[32, 32]], size=11, background=1e9), ValueError, "positive flux"),
    ],
)
def test_extract_psf_bad_input(kwargs, error, match):
    image = forward.blur(np.pad(np.ones((1, 1)), 32), psf.gaussian_psf((9, 9), 1.5))
    with pytest.raises(error, match=match):
        psf.extract_psf(image, **kwargs)


# --------------------------------------------------------------------------- locate_beads


def _match(found, positions):
    """Distance from every true position to the nearest found one."""
    return np.linalg.norm(found[:, None, :] - positions[None, :, :], axis=2).min(axis=0)


@pytest.mark.parametrize("ndim", [2, 3])
def test_locate_beads_subpixel_gaussians(ndim):
    # noise-free Gaussian spots at known sub-pixel positions: the centroid finds them
    rng = np.random.default_rng(7)
    grid = [12, 36, 60] if ndim == 2 else [12, 36]
    corners = np.array(np.meshgrid(*[grid] * ndim, indexing="ij")).reshape(ndim, -1).T
    positions = corners + rng.uniform(-0.5, 0.5, corners.shape)
    image = _render_gaussians((72,) * ndim if ndim == 2 else (48,) * 3, positions, 1.5)
    found = psf.locate_beads(image, window_px=5)
    assert found.shape == positions.shape
    assert _match(found, positions).max() < 0.01


def test_locate_beads_airy_beads_with_noise_feed_extract_psf():
    # the chapter's setting: Airy PSF, bright beads with shot and read noise
    scope = forward.Microscope()
    h = scope.psf()
    image, positions = synthetic.beads(
        (192, 192), 20, np.random.default_rng(1), min_distance_px=34, margin_px=16
    )
    recorded = forward.Microscope(photons=20000).acquire(image, rng=2, psf=h)
    found = psf.locate_beads(recorded)
    assert len(found) == len(positions)
    assert _match(found, positions).max() < 0.1
    learned = psf.extract_psf(recorded, found, h.shape[0])
    exact = psf.extract_psf(recorded, positions, h.shape[0])
    assert _rel_error(learned, h) < _rel_error(exact, h) + 0.005


def test_locate_beads_threshold_and_window_bias():
    # a bead dimmer than threshold_rel of the brightest is not a bead
    image = _render_gaussians((64, 64), np.array([[20.0, 20.0]]), 1.5)
    image += 0.1 * _render_gaussians((64, 64), np.array([[44.0, 44.0]]), 1.5)
    assert len(psf.locate_beads(image, threshold_rel=0.2)) == 1
    assert len(psf.locate_beads(image, threshold_rel=0.05)) == 2
    # a window smaller than the spot biases an off-centre estimate towards the pixel centre
    spot = _render_gaussians((64, 64), np.array([[30.4, 30.0]]), 3.0)
    small = psf.locate_beads(spot, window_px=1, num_refine=1)[0, 0]
    large = psf.locate_beads(spot, window_px=12)[0, 0]
    assert abs(large - 30.4) < 0.01 < abs(small - 30.4)
    assert 30.0 < small < 30.4


def test_locate_beads_empty_and_border():
    assert psf.locate_beads(np.zeros((32, 32))).shape == (0, 2)
    image = np.zeros((32, 32, 32))
    assert psf.locate_beads(image).shape == (0, 3)
    image = np.zeros((32, 32))
    image[2, 16] = 1.0  # closer to the border than the window: skipped
    image[16, 16] = 1.0
    np.testing.assert_allclose(psf.locate_beads(image, smooth_sigma_px=0.0), [[16.0, 16.0]])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(min_distance_px=0), ValueError, "min_distance_px"),
        (dict(window_px=2.5), TypeError, "window_px"),
        (dict(num_refine=True), TypeError, "num_refine"),
        (dict(threshold_rel=0.0), ValueError, "threshold_rel"),
        (dict(threshold_rel=1.5), ValueError, "threshold_rel"),
        (dict(smooth_sigma_px=-1.0), ValueError, "smooth_sigma_px"),
        (dict(smooth_sigma_px="1"), TypeError, "smooth_sigma_px"),
    ],
)
def test_locate_beads_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        psf.locate_beads(np.zeros((16, 16)), **kwargs)
    with pytest.raises(ValueError, match="image"):
        psf.locate_beads(np.zeros(16))
    with pytest.raises(ValueError, match="finite"):
        psf.locate_beads(np.full((16, 16), np.nan))


def test_extract_psf_bad_image():
    with pytest.raises(ValueError, match="image"):
        psf.extract_psf(np.ones(64), [[3]], 3)
    with pytest.raises(TypeError, match="image"):
        psf.extract_psf(np.ones((16, 16), dtype=complex), [[8, 8]], 3)
    image = np.ones((16, 16))
    image[0, 0] = np.nan
    with pytest.raises(ValueError, match="image"):
        psf.extract_psf(image, [[8, 8]], 3)


# --------------------------------------------------------------------------- normalize_psf


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_normalize_psf(dtype):
    raw = np.arange(1, 10).reshape(3, 3).astype(dtype)
    before = raw.copy()
    h = psf.normalize_psf(raw, 2)
    assert h.dtype == np.float64
    assert h.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(h, before / before.sum())
    np.testing.assert_array_equal(raw, before)  # input untouched


def test_normalize_psf_clips_round_off_only():
    h = np.ones((3, 3, 3))
    h[0, 0, 0] = -1e-15
    out = psf.normalize_psf(h, 3)
    assert out.min() == 0.0
    h[0, 0, 0] = -0.01
    with pytest.raises(ValueError, match="non-negative"):
        psf.normalize_psf(h, 3)


@pytest.mark.parametrize(
    "value, ndim, kwargs, error, match",
    [
        (np.ones((3, 3)), 3, {}, ValueError, "3 dimensions"),
        (np.ones((4, 3)), 2, {}, ValueError, "odd"),
        (np.ones((0, 3)), 2, {}, ValueError, "empty"),
        (np.full((3, 3), np.nan), 2, {}, ValueError, "finite"),
        (np.zeros((3, 3)), 2, {}, ValueError, "positive sum"),
        (np.ones((3, 3), dtype=complex), 2, {}, TypeError, "real"),
        (np.array([["a"]]), 2, {}, TypeError, "numeric"),
        (np.ones((3, 3)), 2.0, {}, TypeError, "ndim"),
        (np.ones((3, 4)), 2, {"name": "kernel"}, ValueError, "kernel must have odd"),
    ],
)
def test_normalize_psf_bad_input(value, ndim, kwargs, error, match):
    with pytest.raises(error, match=match):
        psf.normalize_psf(value, ndim, **kwargs)


def test_normalize_psf_even_allowed_on_request():
    assert psf.normalize_psf(np.ones((4, 4)), 2, require_odd=False).sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- model bad input


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: psf.gaussian_psf((8, 9), 1.0), ValueError, "odd"),
        (lambda: psf.gaussian_psf((9,), 1.0), ValueError, "shape"),
        (lambda: psf.gaussian_psf((9, 9), -1.0), ValueError, "sigma_px"),
        (lambda: psf.gaussian_psf((9, 9), (1.0, 2.0, 3.0)), ValueError, "sigma_px"),
        (lambda: psf.gaussian_psf((9, 9), np.inf), ValueError, "sigma_px"),
        (lambda: psf.gaussian_psf((9, 9.0), 1.0), TypeError, "shape"),
        (
            lambda: psf.airy_psf((9, 9), wavelength_um=0.5, na=1.7, pixel_size_um=0.1),
            ValueError,
            "na",
        ),
        (
            lambda: psf.airy_psf((9, 9), wavelength_um=0.5, na=0.0, pixel_size_um=0.1),
            ValueError,
            "na",
        ),
        (
            lambda: psf.airy_psf((9, 9), wavelength_um=-0.5, na=1.0, pixel_size_um=0.1),
            ValueError,
            "wavelength_um",
        ),
        (
            lambda: psf.airy_psf((9, 9), wavelength_um=0.5, na=1.0, pixel_size_um=0),
            ValueError,
            "pixel_size_um",
        ),
        (
            lambda: psf.airy_psf((9, 9, 9), wavelength_um=0.5, na=1.0, pixel_size_um=0.1),
            ValueError,
            "shape",
        ),
        (
            lambda: psf.airy_psf(
                (9, 9), wavelength_um=0.5, na=1.0, pixel_size_um=0.1, oversample=0
            ),
            ValueError,
            "oversample",
        ),
        (
            lambda: psf.airy_psf((9, 9), wavelength_um="0.5", na=1.0, pixel_size_um=0.1),
            TypeError,
            "wavelength_um",
        ),
        (
            lambda: psf.widefield_psf_3d(
                (9, 9, 9), wavelength_um=0.5, na=1.4, pixel_size_um=0.1, z_step_um=0.2
            ),
            ValueError,
            "ni",
        ),
        (
            lambda: psf.widefield_psf_3d(
                (9, 9, 9), wavelength_um=0.5, na=1.0, pixel_size_um=0.1, z_step_um=0
            ),
            ValueError,
            "z_step_um",
        ),
        (
            lambda: psf.widefield_psf_3d(
                (9, 9, 9), wavelength_um=0.5, na=1.0, pixel_size_um=0.1, z_step_um=0.2, model="x"
            ),
            ValueError,
            "model",
        ),
        (
            lambda: psf.widefield_psf_3d(
                (9, 9), wavelength_um=0.5, na=1.0, pixel_size_um=0.1, z_step_um=0.2
            ),
            ValueError,
            "shape",
        ),
    ],
)
def test_psf_models_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
