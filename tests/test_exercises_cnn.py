"""Checks of the CNN building-blocks exercises (decondl.exercises.cnn): references pass, every
known mistake gets its own hint, wrong answers fail without raising (except in strict mode)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

from decondl import nets
from decondl.exercises import STRICT_VAR, ExerciseCheckError, cnn


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv(STRICT_VAR, raising=False)


# --------------------------------------------------------------------------- student answers


def conv_valid(image, kernel):
    return convolve2d(image, kernel, mode="valid")


def max_pool_loop(image):
    out = np.empty((image.shape[0] // 2, image.shape[1] // 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = image[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].max()
    return out


def max_pool_ceil(image):
    ny, nx = image.shape
    padded = np.pad(image, ((0, ny % 2), (0, nx % 2)), constant_values=-np.inf)
    return max_pool_loop(padded)


def max_pool_stride_1(image):
    windows = np.lib.stride_tricks.sliding_window_view(image, (2, 2))
    return windows.max(axis=(2, 3))


def combine(a, b):
    return convolve2d(a, b)


# Each check: (function, right answer, [(wrong answer, words of its hint), ...]).
VALUE_CHECKS = {
    "output_size": (
        cnn.check_output_size,
        (23, 16),
        [((25, 18), "padding 'same'"), ((23, 17), "Round down"), ((22, 16), "Off by one")],
    ),
    "conv_params": (
        cnn.check_conv_params,
        4640,
        [(4608, "not the biases"), (320, "all input channels"), (1568, "9 weights")],
    ),
}

FUNCTION_CHECKS = {
    "conv2d_valid": (
        cnn.check_conv2d_valid,
        conv_valid,
        [
            (lambda i, k: correlate2d(i, k, mode="valid"), "You computed a correlation"),
            (lambda i, k: convolve2d(i, k[::-1], mode="valid"), "one axis only"),
            (lambda i, k: convolve2d(i, k[:, ::-1], mode="valid"), "one axis only"),
            (lambda i, k: convolve2d(i, k, mode="same"), "padding 'same'"),
            (lambda i, k: convolve2d(i, k, mode="full"), "'full' size"),
        ],
    ),
    "max_pool": (
        cnn.check_max_pool,
        max_pool_loop,
        [
            (lambda im: nets.pool(im, 2, "average"), "mean of each block"),
            (lambda im: im[::2, ::2], "every second pixel"),
            (lambda im: np.maximum(max_pool_loop(im), 0), "start it from 0"),
            (max_pool_ceil, "incomplete last block"),
            (max_pool_stride_1, "the stride is 2"),
            (lambda im: im.copy(), "halves each side"),
        ],
    ),
    "combined_kernel": (
        cnn.check_combined_kernel,
        combine,
        [
            (lambda a, b: correlate2d(a, b), "correlate2d(a, b)"),
            (lambda a, b: correlate2d(b, a), "correlate2d(b, a)"),
            (lambda a, b: convolve2d(a, b)[::-1, ::-1], "rotated by 180 degrees"),
            (lambda a, b: a * b[: a.shape[0], : a.shape[1]], "larger than either kernel"),
        ],
    ),
}


def _value_mistakes():
    for name, (check, _, mistakes) in VALUE_CHECKS.items():
        for wrong, words in mistakes:
            yield pytest.param(check, wrong, words, id=f"{name}-{words}")


def _function_mistakes():
    for name, (check, _, mistakes) in FUNCTION_CHECKS.items():
        for wrong, words in mistakes:
            yield pytest.param(check, wrong, words, id=f"{name}-{words}")


ALL = [pytest.param(c, r, id=n) for n, (c, r, _) in {**VALUE_CHECKS, **FUNCTION_CHECKS}.items()]


# --------------------------------------------------------------------------- every check


def test_every_check_is_exported_and_documented():
    assert sorted(cnn.__all__) == sorted(
        f"check_{name}" for name in [*VALUE_CHECKS, *FUNCTION_CHECKS]
    )
    for name in cnn.__all__:
        doc = getattr(cnn, name).__doc__
        assert "Returns" in doc and "Verdict" in doc


@pytest.mark.parametrize(("check", "reference"), ALL)
def test_reference_passes(check, reference):
    verdict = check(reference)
    assert verdict.passed, str(verdict)
    assert verdict.status == "pass"


@pytest.mark.parametrize(("check", "reference"), ALL)
@pytest.mark.parametrize("placeholder", [..., None])
def test_not_answered(check, reference, placeholder):
    verdict = check(placeholder)
    assert verdict.status == "unanswered" and not verdict


@pytest.mark.parametrize(("check", "reference"), ALL)
def test_strict_mode_raises_on_wrong_not_on_unanswered(check, reference, monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    assert check(...).status == "unanswered"
    assert check(reference).passed
    if callable(reference):
        wrong = lambda *args: np.zeros(np.shape(reference(*args)))  # noqa: E731
    else:
        wrong = np.ones(np.shape(reference))[()]  # (1, 1) or 1.0
    with pytest.raises(ExerciseCheckError):
        check(wrong)


@pytest.mark.parametrize(("check", "wrong", "words"), list(_value_mistakes()))
def test_value_mistakes_get_their_hint(check, wrong, words):
    verdict = check(wrong)
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


@pytest.mark.parametrize(("check", "wrong", "words"), list(_function_mistakes()))
def test_function_mistakes_get_their_hint(check, wrong, words):
    verdict = check(wrong)
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


def test_hints_differ_from_each_other():
    hints = [cnn.check_output_size(w).hint for w, _ in VALUE_CHECKS["output_size"][2]]
    assert len(set(hints)) == len(hints)


# --------------------------------------------------------------------------- type, shape, NaN


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("23x16", "Expected a NumPy array"),
        ((23, 16, 1), "shape is (3,)"),
        ((np.nan, 16), "NaN"),
        ((1, 1), "differ"),
    ],
)
def test_output_size_wrong_answers(answer, words):
    verdict = cnn.check_output_size(answer)
    assert verdict.status == "fail" and words in verdict.message


def test_output_size_other_wrong_value_has_no_hint():
    assert cnn.check_output_size((1, 1)).hint is None


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("4640", "Expected a number"),
        (np.array([4640, 0]), "single number"),
        (float("nan"), "NaN"),
        (4641, "not the expected value"),
    ],
)
def test_conv_params_wrong_answers(answer, words):
    verdict = cnn.check_conv_params(answer)
    assert verdict.status == "fail" and words in verdict.message


@pytest.mark.parametrize("name", list(FUNCTION_CHECKS))
def test_function_checks_report_type_shape_nan_and_errors(name):
    check, reference, _ = FUNCTION_CHECKS[name]
    texts = {
        "not a function": (check(42), "Expected a function"),
        "a string": (check(lambda *a: "result"), "expected a NumPy array"),
        "wrong shape": (check(lambda *a: np.atleast_2d(reference(*a)).T[None]), "shape is"),
        "NaN": (check(lambda *a: reference(*a) * np.nan), "NaN"),
        "raises": (check(lambda *a: 1 / 0), "ZeroDivisionError"),
    }
    for what, (verdict, words) in texts.items():
        assert verdict.status == "fail", what
        assert words in verdict.message, (what, verdict.message)


@pytest.mark.parametrize("name", list(FUNCTION_CHECKS))
def test_function_body_still_dots_is_not_answered(name):
    check, _, _ = FUNCTION_CHECKS[name]

    def unfinished(*args): ...  # the student's cell as handed out

    assert check(unfinished).status == "unanswered"


# --------------------------------------------------------------------------- known answers


def test_output_size_matches_the_formula():
    rows = ((100 - 5 + 1) // 2 - 3 + 1) // 2
    cols = ((75 - 5 + 1) // 2 - 3 + 1) // 2
    assert tuple(cnn._valid_stack_output(cnn.OUTPUT_SIZE_IMAGE)) == (rows, cols) == (23, 16)


def test_combined_kernel_is_two_layers_in_one():
    rng = np.random.default_rng(0)
    image, a, b = rng.random((20, 17)), rng.standard_normal((3, 2)), rng.standard_normal((4, 5))
    two = nets.correlate(nets.correlate(image, a, padding="valid"), b, padding="valid")
    one = nets.correlate(image, cnn._full_convolution(a, b), padding="valid")
    np.testing.assert_allclose(one, two, atol=1e-12)
    np.testing.assert_allclose(cnn._full_convolution(a, b), convolve2d(a, b), atol=1e-12)


def test_hidden_cases_are_varied_and_asymmetric():
    shapes = {(im.shape, k.shape) for im, k in cnn._conv_cases()}
    assert any(k[0] % 2 == 0 for _, k in shapes) and any(k[0] != k[1] for _, k in shapes)
    for _, kernel in cnn._conv_cases():
        if kernel.size > 1:
            assert not np.allclose(kernel, kernel[::-1, ::-1])
    sides = [s for (im,) in cnn._pool_cases() for s in im.shape]
    assert any(s % 2 for s in sides) and any(s % 2 == 0 for s in sides)
    assert any(np.all(im < 0) for (im,) in cnn._pool_cases())
