"""Tests of the checks of the image-formation exercises (decondl.exercises.image_formation)."""

from __future__ import annotations

import numpy as np
import pytest

from decondl import exercises as ex
from decondl import forward, metrics, psf, synthetic
from decondl.exercises import image_formation as imf

PHOTONS = np.array(imf.SHOT_NOISE_PHOTONS)
S, B, R = imf.SNR_SIGNAL, imf.SNR_BACKGROUND, imf.SNR_READ_NOISE
LAMBDA, NA = imf.RAYLEIGH_WAVELENGTH_NM, imf.RAYLEIGH_NA


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv(ex.STRICT_VAR, raising=False)


@pytest.fixture(scope="module")
def acquisition():
    rng = np.random.default_rng(5)
    truth, _ = synthetic.spheres((64, 64), 6, (2, 6), rng)
    scope = forward.Microscope()
    return truth, scope.acquire(truth, rng=rng), scope


# ------------------------------------------------------------------------- value checks
# name -> (check(answer), right answer, a wrong answer of the right kind, [(mistake, hint)])


def value_checks(acquisition):
    truth, raw, scope = acquisition
    scaled = scope.to_truth_units(raw)
    return {
        "rayleigh": (
            ex.check_rayleigh_limit,
            0.61 * LAMBDA / NA,
            300.0,
            [
                (0.61 * LAMBDA / NA / 1000, "micrometres"),
                (0.5 * LAMBDA / NA, "Abbe"),
                (0.51 * LAMBDA / NA, "full width at half maximum"),
                (0.61 * LAMBDA, "forgot to divide by the NA"),
                (0.61 * LAMBDA * NA, "multiplied by the NA"),
                (1.22 * LAMBDA / NA, "diameter of the Airy disc"),
            ],
        ),
        "shot_std": (
            ex.check_shot_noise_std,
            np.sqrt(PHOTONS),
            np.sqrt(PHOTONS) + 1,
            [(PHOTONS, "That is the variance"), (1 / np.sqrt(PHOTONS), "relative noise")],
        ),
        "shot_relative": (
            ex.check_shot_noise_relative,
            1 / np.sqrt(PHOTONS),
            2 / np.sqrt(PHOTONS),
            [
                (np.sqrt(PHOTONS), "absolute noise"),
                (1 / PHOTONS, "not 1/N"),
                (100 / np.sqrt(PHOTONS), "not a percentage"),
            ],
        ),
        "pixel_snr": (
            ex.check_pixel_snr,
            S / np.sqrt(S + B + R**2),
            5.0,
            [
                (np.sqrt(S), "only the shot noise of the signal"),
                (S / np.sqrt(S + B), "left out the read noise"),
                (S / np.sqrt(S + R**2), "left out the background"),
                (S / np.sqrt(S + B + R), "as its variance"),
                (S / (np.sqrt(S + B) + R), "add their variances"),
                ((S + B) / np.sqrt(S + B + R**2), "The background is not signal"),
            ],
        ),
        "psnr_raw": (
            lambda answer: ex.check_psnr_raw(answer, truth, raw, scope),
            metrics.psnr(truth, scaled),
            metrics.psnr(truth, scaled) + 1.0,
            [
                (metrics.psnr(truth, raw), "in photons"),
                (metrics.psnr(truth, raw / scope.photons), "did not subtract the background"),
                (metrics.psnr(scaled, truth), "Wrong data range"),
                (
                    metrics.psnr(truth, scaled, data_range=float(np.ptp(scaled))),
                    "Wrong data range",
                ),
                (metrics.psnr(truth, scaled, data_range=255), "8-bit"),
            ],
        ),
    }


VALUE_NAMES = ["rayleigh", "shot_std", "shot_relative", "pixel_snr", "psnr_raw"]


@pytest.mark.parametrize("name", VALUE_NAMES)
def test_right_answer_passes(name, acquisition):
    check, right, _, _ = value_checks(acquisition)[name]
    verdict = check(right)
    assert verdict.status == "pass" and verdict, verdict


@pytest.mark.parametrize("name", VALUE_NAMES)
@pytest.mark.parametrize("placeholder", [..., None])
def test_unanswered(name, placeholder, acquisition, monkeypatch):
    monkeypatch.setenv(ex.STRICT_VAR, "1")  # "not answered" never raises, even in strict mode
    check = value_checks(acquisition)[name][0]
    verdict = check(placeholder)
    assert verdict.status == "unanswered" and not verdict
    assert "Not answered yet" in str(verdict)


@pytest.mark.parametrize("name", VALUE_NAMES)
def test_wrong_type_shape_and_nan_fail_clearly(name, acquisition):
    check, right, _, _ = value_checks(acquisition)[name]
    verdict = check("12")
    assert verdict.status == "fail" and "got '12' (str)" in verdict.message
    if np.ndim(right) == 0:
        bad_shape, nan = np.array([right, right]), float("nan")
        assert "Expected a single number" in check(bad_shape).message
    else:
        bad_shape, nan = right.reshape(-1, 1), np.full_like(right, np.nan)
        assert "shapes must match exactly" in check(bad_shape).message
    assert check(nan).status == "fail"
    assert "NaN" in check(nan).message


@pytest.mark.parametrize("name", VALUE_NAMES)
def test_each_known_mistake_gets_its_hint(name, acquisition):
    check, _, wrong, mistakes = value_checks(acquisition)[name]
    for answer, hint in mistakes:
        verdict = check(answer)
        assert verdict.status == "fail", (answer, verdict)
        assert verdict.hint is not None and hint in verdict.hint, (answer, verdict)
    plain = check(wrong)
    assert plain.status == "fail" and plain.hint is None


@pytest.mark.parametrize("name", VALUE_NAMES)
def test_strict_mode_raises_on_a_wrong_answer_only(name, acquisition, monkeypatch):
    check, right, wrong, _ = value_checks(acquisition)[name]
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    with pytest.raises(ex.ExerciseCheckError):
        check(wrong)
    assert check(right)


def test_rounded_rayleigh_answers_pass():
    assert ex.check_rayleigh_limit(227)
    assert ex.check_rayleigh_limit(226.6)
    assert not ex.check_rayleigh_limit(230)


def test_psnr_check_rejects_mismatched_inputs(acquisition):
    truth, raw, _ = acquisition
    with pytest.raises(ValueError, match="same shape"):
        ex.check_psnr_raw(20.0, truth, raw[:10])


# ------------------------------------------------------------------------- Gaussian PSF


def _gaussian(shape, sigma, offset=lambda n: n // 2, factor=2.0, normalise=True):
    grids = np.meshgrid(*[np.arange(n) - offset(n) for n in shape], indexing="ij")
    h = np.exp(-sum(g**2 for g in grids) / (factor * sigma**2))
    return h / h.sum() if normalise else h


def test_gaussian_reference_and_a_student_solution_pass():
    assert ex.check_gaussian_psf(psf.gaussian_psf)
    assert ex.check_gaussian_psf(lambda shape, sigma: _gaussian(shape, sigma))


def test_gaussian_hidden_cases_cover_2d_3d_and_non_square_shapes():
    shapes = [case[0] for case in imf._gaussian_cases()]
    assert {len(s) for s in shapes} == {2, 3}
    assert any(len(set(s)) > 1 for s in shapes)
    assert all(n % 2 == 1 for s in shapes for n in s)


@pytest.mark.parametrize("placeholder", [..., None])
def test_gaussian_unanswered(placeholder, monkeypatch):
    monkeypatch.setenv(ex.STRICT_VAR, "1")

    def stub(shape, sigma_px): ...

    assert ex.check_gaussian_psf(placeholder).status == "unanswered"
    assert ex.check_gaussian_psf(stub).status == "unanswered"


@pytest.mark.parametrize(
    "func, hint",
    [
        (lambda s, sg: _gaussian(s, sg, normalise=False), "its peak is 1"),
        (
            lambda s, sg: _gaussian(s, sg, normalise=False) / (2 * np.pi * sg**2) ** (len(s) / 2),
            "factor of the continuous Gaussian",
        ),
        (lambda s, sg: _gaussian(s, sg, offset=lambda n: n / 2), "half a pixel"),
        (lambda s, sg: _gaussian(s, sg, offset=lambda n: -(-n // 2)), "shifted by one pixel"),
        (lambda s, sg: _gaussian(s, sg, offset=lambda n: 0), "corner pixel"),
        (lambda s, sg: _gaussian(s, sg, factor=1.0), "factor 2"),
    ],
)
def test_gaussian_mistakes_get_their_hints(func, hint):
    verdict = ex.check_gaussian_psf(func)
    assert verdict.status == "fail" and hint in verdict.hint, verdict


def test_gaussian_python_floor_division_mistake_is_the_one_hinted():
    # np.arange(-n // 2, n // 2), the actual student code, is the one-pixel shift.
    def student(shape, sigma):
        grids = np.meshgrid(*[np.arange(-n // 2, n // 2) for n in shape], indexing="ij")
        h = np.exp(-sum(g**2 for g in grids) / (2 * sigma**2))
        return h / h.sum()

    assert "-n // 2" in ex.check_gaussian_psf(student).hint


@pytest.mark.parametrize(
    "func, message",
    [
        (lambda s, sg: _gaussian(s, sg)[..., :-1], "shapes must match exactly"),
        (lambda s, sg: np.full(s, np.nan), "NaN"),
        (lambda s, sg: "psf", "expected a NumPy array"),
        (lambda s, sg: _gaussian(s, sg) * 1.01, "values differ"),
        (lambda s, sg: 1 / 0, "raised ZeroDivisionError"),
        ("not a function", "Expected a function"),
    ],
)
def test_gaussian_wrong_answers_fail_clearly_and_raise_only_in_strict_mode(
    func, message, monkeypatch
):
    verdict = ex.check_gaussian_psf(func)
    assert verdict.status == "fail" and message in verdict.message, verdict
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    with pytest.raises(ex.ExerciseCheckError, match="check_gaussian_psf"):
        ex.check_gaussian_psf(func)


def test_every_check_is_exported_and_documented():
    for name in imf.__all__:
        assert name.startswith("check_") and getattr(ex, name) is getattr(imf, name)
        doc = getattr(imf, name).__doc__
        assert "Returns" in doc and "Verdict" in doc
