"""Tests of the checks of the classical-deconvolution exercises (decondl.exercises.deconvolution).

The student answers here are written independently of the checks module, the way a student
would write them (numpy FFTs, ``forward.blur``, slicing), right and with each known mistake.
"""

from __future__ import annotations

import numpy as np
import pytest

from decondl import deconvolve, forward, metrics, psf, synthetic
from decondl import exercises as ex
from decondl.exercises import deconvolution as dec


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv(ex.STRICT_VAR, raising=False)


# ------------------------------------------------------------------------- hidden cases


def _is_asymmetric(h):
    return not np.allclose(h, np.flip(h))


def test_hidden_cases_cover_2d_3d_odd_even_and_asymmetric_psfs():
    wiener_cases = dec._wiener_cases()
    assert {c[0].ndim for c in wiener_cases} == {2, 3}
    assert {n % 2 for c in wiener_cases for n in c[0].shape} == {0, 1}
    assert all(_is_asymmetric(c[1]) for c in wiener_cases)
    assert any(not np.isclose(c[1].sum(), 1) for c in wiener_cases)  # a PSF to normalise
    rl_cases = dec._rl_cases()
    assert {c[1].ndim for c in rl_cases} == {2, 3}
    assert all(_is_asymmetric(c[2]) for c in rl_cases)
    assert {c[3] > 0 for c in rl_cases} == {True, False}
    bead_cases = dec._bead_cases()
    assert {c[0].ndim for c in bead_cases} == {2, 3}
    assert dec._wiener_cases()[0][0].tobytes() == wiener_cases[0][0].tobytes()  # deterministic


# ------------------------------------------------------------------------- OTF cutoff

SCOPE = forward.Microscope()
CUTOFF = 2 * SCOPE.na / SCOPE.wavelength_um


def test_otf_cutoff_right_and_rounded_answers_pass():
    assert ex.check_otf_cutoff(CUTOFF)
    assert ex.check_otf_cutoff(3.08)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (SCOPE.na / SCOPE.wavelength_um, "coherent"),
        (CUTOFF / 1000, "cycles per nanometre"),
        (SCOPE.wavelength_um / (2 * SCOPE.na), "Abbe"),
    ],
)
def test_otf_cutoff_mistakes_get_their_hints(answer, hint):
    verdict = ex.check_otf_cutoff(answer)
    assert verdict.status == "fail" and hint in verdict.hint


@pytest.mark.parametrize(
    "answer, message",
    [
        ("3.08", "got '3.08' (str)"),
        (np.array([CUTOFF, CUTOFF]), "Expected a single number"),
        (float("nan"), "NaN"),
        (2.5, "not the expected value"),
    ],
)
def test_otf_cutoff_wrong_answers_fail_clearly(answer, message, monkeypatch):
    verdict = ex.check_otf_cutoff(answer)
    assert verdict.status == "fail" and message in verdict.message and verdict.hint is None
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    with pytest.raises(ex.ExerciseCheckError):
        ex.check_otf_cutoff(answer)


# ------------------------------------------------------------------------- student functions


def otf_of(h, shape, *, centre=True):
    kernel = np.zeros(shape)
    kernel[tuple(slice(0, n) for n in h.shape)] = h
    if centre:
        kernel = np.roll(kernel, [-(n // 2) for n in h.shape], axis=tuple(range(h.ndim)))
    return np.fft.fftn(kernel)


def student_wiener(transfer=None, *, normalise=True, centre=True):
    def wiener_filter(image, h, balance):
        h = h / h.sum() if normalise else h
        otf = otf_of(h, image.shape, centre=centre)
        if transfer is None:
            factor = np.conj(otf) / (np.abs(otf) ** 2 + balance)
        else:
            factor = transfer(otf, balance)
        return np.real(np.fft.ifftn(factor * np.fft.fftn(image)))

    return wiener_filter


def wiener_with_rfft_without_s(image, h, balance):
    otf = np.fft.rfftn(np.fft.ifftn(otf_of(h / h.sum(), image.shape)).real)
    return np.fft.irfftn(np.conj(otf) / (np.abs(otf) ** 2 + balance) * np.fft.rfftn(image))


def padded_student(filter_=None, mode="reflect", crop=True):
    filter_ = filter_ or student_wiener()

    def wiener_padded(image, h, balance, pad):
        if mode is None:
            return filter_(image, h, balance)
        restored = filter_(np.pad(image, pad, mode=mode), h, balance)
        return restored[tuple(slice(pad, pad + n) for n in image.shape)] if crop else restored

    return wiener_padded


def conv(x, h):
    return forward.blur(x, h, mode="wrap")


def student_rl(u, g, h, b):
    return u * conv(g / (conv(u, h) + b), np.flip(h))


def student_beads(background="median", normalise=True, clip=True, extra=1):
    def average_beads(image, positions, size):
        half = size // 2
        crops = [image[tuple(slice(c - half, c + half + extra) for c in p)] for p in positions]
        average = np.mean(crops, axis=0)
        if background == "median":
            average = average - np.median(image)
        elif background == "mean":
            average = average - image.mean()
        if clip:
            average = np.clip(average, 0, None)
        return average / average.sum() if normalise else average

    return average_beads


def _stub(*args): ...


FUNCTION_CHECKS = {
    "wiener": (ex.check_wiener_filter, student_wiener()),
    "wiener_padded": (ex.check_wiener_padded, padded_student()),
    "rl": (ex.check_rl_update, student_rl),
    "beads": (ex.check_average_beads, student_beads()),
}


@pytest.mark.parametrize("name", list(FUNCTION_CHECKS))
def test_student_solutions_pass(name):
    check, solution = FUNCTION_CHECKS[name]
    verdict = check(solution)
    assert verdict.status == "pass" and verdict, verdict


def test_the_package_references_pass():
    assert ex.check_wiener_filter(lambda g, h, b: deconvolve.wiener(g, h, b, pad_mode="wrap"))
    assert ex.check_rl_update(
        lambda u, g, h, b: deconvolve.richardson_lucy(
            g, h, 1, background=b, initial=u, pad_mode="wrap"
        )
    )
    assert ex.check_average_beads(psf.extract_psf)


@pytest.mark.parametrize("name", list(FUNCTION_CHECKS))
@pytest.mark.parametrize("placeholder", [..., None, _stub])
def test_functions_unanswered(name, placeholder, monkeypatch):
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    verdict = FUNCTION_CHECKS[name][0](placeholder)
    assert verdict.status == "unanswered" and not verdict


@pytest.mark.parametrize("name", list(FUNCTION_CHECKS))
@pytest.mark.parametrize(
    "wrap, message",
    [
        (lambda out: out[..., :-2], "shapes must match exactly"),
        (lambda out: np.full(out.shape, np.nan), "NaN"),
        (lambda out: out.tolist() and "text", "expected a NumPy array"),
        (lambda out: out + 1e-3 * np.abs(out).max(), "values differ"),
        (lambda out: out.astype(complex), "got a complex one"),
    ],
)
def test_functions_wrong_answers_fail_clearly_and_raise_only_in_strict_mode(
    name, wrap, message, monkeypatch
):
    check, solution = FUNCTION_CHECKS[name]

    def wrong(*args):
        return wrap(solution(*args))

    verdict = check(wrong)
    assert verdict.status == "fail" and message in verdict.message, verdict
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    with pytest.raises(ex.ExerciseCheckError):
        check(wrong)


@pytest.mark.parametrize("name", list(FUNCTION_CHECKS))
def test_functions_that_raise_or_are_not_functions(name):
    check = FUNCTION_CHECKS[name][0]

    def broken(*args):
        raise IndexError("index 99 is out of bounds")

    verdict = check(broken)
    assert verdict.status == "fail" and "raised IndexError: index 99" in verdict.message
    assert "Expected a function" in check(np.zeros(3)).message


@pytest.mark.parametrize(
    "func, hint",
    [
        (student_wiener(lambda otf, b: otf / (np.abs(otf) ** 2 + b)), "conjugate"),
        (student_wiener(lambda otf, b: np.conj(otf) / (np.abs(otf) + b)), "not to |H|"),
        (student_wiener(lambda otf, b: 1 / (otf + b)), "1 / (H + β)"),
        (
            student_wiener(lambda otf, b: (np.conj(otf) + b) / (np.abs(otf) ** 2 + b)),
            "denominator only",
        ),
        (student_wiener(normalise=False), "Normalise the PSF"),
        (student_wiener(centre=False), "shifted"),
    ],
)
def test_wiener_mistakes_get_their_hints(func, hint):
    verdict = ex.check_wiener_filter(func)
    assert verdict.status == "fail" and verdict.hint and hint in verdict.hint, verdict


def test_wiener_irfft_without_shape_gets_its_hint():
    verdict = ex.check_wiener_filter(wiener_with_rfft_without_s)
    assert verdict.status == "fail" and "s=image.shape" in verdict.hint


@pytest.mark.parametrize(
    "func, hint",
    [
        (padded_student(mode=None), "wrap-around"),
        (padded_student(mode="constant"), "zeros"),
        (padded_student(mode="symmetric"), "'symmetric'"),
        (padded_student(crop=False), "crop it back"),
    ],
)
def test_wiener_padded_mistakes_get_their_hints(func, hint):
    verdict = ex.check_wiener_padded(func)
    assert verdict.status == "fail" and verdict.hint and hint in verdict.hint, verdict


def test_wiener_padded_is_close_to_the_package_default():
    # What the exercise asks is what deconvolve.wiener does, up to the width of the extension.
    image, h, balance, pad = dec._padded_cases()[2]
    ours = padded_student()(image, h, balance, pad)
    default = deconvolve.wiener(image, h, balance)
    assert np.abs(ours - default).max() < 1e-2 * np.abs(default).max()


@pytest.mark.parametrize(
    "func, hint",
    [
        (lambda u, g, h, b: u * conv(g / (conv(u, h) + b), h), "mirrored"),
        (lambda u, g, h, b: u * conv((conv(u, h) + b) / g, np.flip(h)), "upside down"),
        (lambda u, g, h, b: u * conv(g / conv(u, h), np.flip(h)), "belongs to the model"),
        (lambda u, g, h, b: u * conv((g - b) / conv(u, h), np.flip(h)), "subtracting it"),
        (lambda u, g, h, b: u + conv(g / (conv(u, h) + b), np.flip(h)), "multiplicative"),
        (lambda u, g, h, b: conv(g / (conv(u, h) + b), np.flip(h)), "correction factor only"),
    ],
)
def test_rl_mistakes_get_their_hints(func, hint):
    verdict = ex.check_rl_update(func)
    assert verdict.status == "fail" and verdict.hint and hint in verdict.hint, verdict


@pytest.mark.parametrize(
    "func, hint",
    [
        (student_beads(background=None), "did not subtract the background"),
        (student_beads(background="mean"), "median"),
        (student_beads(normalise=False), "not normalised"),
        (student_beads(clip=False), "negative values"),
        (student_beads(extra=0), "one pixel too small"),
    ],
)
def test_bead_mistakes_get_their_hints(func, hint):
    verdict = ex.check_average_beads(func)
    assert verdict.status == "fail" and verdict.hint and hint in verdict.hint, verdict


# ------------------------------------------------------------------------- best RL iteration


@pytest.fixture(scope="module")
def dim_acquisition():
    rng = np.random.default_rng(6)
    truth, _ = synthetic.spheres((64, 64), 8, (2, 6), rng)
    scope = forward.Microscope(photons=30)
    raw = scope.acquire(truth, rng=rng)
    scores, in_photons = {}, {}

    def record(k, estimate):
        scores[k] = metrics.psnr(truth, estimate / scope.photons)
        in_photons[k] = metrics.psnr(truth, estimate)

    deconvolve.richardson_lucy(
        raw, scope.psf(), 100, background=scope.background, clip_negative=True, callback=record
    )
    best = max(scores, key=scores.get)
    return truth, raw, scope, best, max(in_photons, key=in_photons.get)


def test_best_iteration_passes_and_the_peak_is_inside(dim_acquisition):
    truth, raw, scope, best, _ = dim_acquisition
    assert 1 < best < dec.BEST_RL_NUM_ITER
    assert ex.check_best_rl_iterations(best, truth, raw, scope)
    assert ex.check_best_rl_iterations(np.int64(best), truth, raw, scope)


def test_best_iteration_mistakes_get_their_hints(dim_acquisition):
    truth, raw, scope, best, photon_best = dim_acquisition
    assert len({best, best - 1, dec.BEST_RL_NUM_ITER, photon_best}) == 4
    for answer, hint in [
        (best - 1, "Off by one"),
        (dec.BEST_RL_NUM_ITER, "last iteration is not the best"),
        (photon_best, "truth's units"),
    ]:
        verdict = ex.check_best_rl_iterations(answer, truth, raw, scope)
        assert verdict.status == "fail" and hint in verdict.hint, verdict


@pytest.mark.parametrize("placeholder", [..., None])
def test_best_iteration_unanswered(placeholder, dim_acquisition, monkeypatch):
    truth, raw, scope, _, _ = dim_acquisition
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    assert ex.check_best_rl_iterations(placeholder, truth, raw, scope).status == "unanswered"


@pytest.mark.parametrize(
    "answer, message",
    [
        ("12", "got '12' (str)"),
        (np.array([3, 4]), "Expected a single number"),
        (float("nan"), "NaN"),
        (True, "Expected a number, got True"),
    ],
)
def test_best_iteration_wrong_answers_fail_clearly(answer, message, dim_acquisition, monkeypatch):
    truth, raw, scope, _, _ = dim_acquisition
    verdict = ex.check_best_rl_iterations(answer, truth, raw, scope)
    assert verdict.status == "fail" and message in verdict.message, verdict
    monkeypatch.setenv(ex.STRICT_VAR, "1")
    with pytest.raises(ex.ExerciseCheckError):
        ex.check_best_rl_iterations(answer, truth, raw, scope)


def test_best_iteration_rejects_mismatched_inputs(dim_acquisition):
    truth, raw, scope, _, _ = dim_acquisition
    with pytest.raises(ValueError, match="same shape"):
        ex.check_best_rl_iterations(3, truth, raw[:5], scope)


def test_every_check_is_exported_and_documented():
    for name in dec.__all__:
        assert name.startswith("check_") and getattr(ex, name) is getattr(dec, name)
        doc = getattr(dec, name).__doc__
        assert "Returns" in doc and "Verdict" in doc
