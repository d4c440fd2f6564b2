"""The machinery shared by every exercise check: verdicts, comparison order, hints, strict mode."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

import decondl.exercises as ex
from decondl.exercises import (
    STRICT_VAR,
    ExerciseCheckError,
    Mistake,
    Verdict,
    check_function,
    check_value,
)
from decondl.exercises._core import given_truth_and_raw


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv(STRICT_VAR, raising=False)


def _conv_valid(image, kernel):
    return convolve2d(image, kernel, mode="valid")


def _cases():
    rng = np.random.default_rng(0)
    return [(rng.random((7, 8)), rng.random((2, 3))), (rng.random((9, 5)), rng.random((3, 3)))]


# ----------------------------------------------------------------------------- Verdict


def test_verdict_truthiness_and_text():
    assert Verdict("c", "pass", "ok")
    assert not Verdict("c", "fail", "no")
    assert not Verdict("c", "unanswered", "later")
    text = str(Verdict("check_x", "fail", "Expected 3.", hint="Count the bias."))
    assert text == "check_x: Not yet. Expected 3. Hint: Count the bias."


def test_verdict_html_is_escaped_and_labelled():
    html = Verdict("check_x", "fail", "a < b", hint="<script>").__repr__()
    assert "Not yet" in html
    rich = Verdict("check_x", "fail", "a < b", hint="<script>")._repr_html_()
    assert 'data-check="check_x"' in rich and 'data-status="fail"' in rich
    assert "<script>" not in rich and "&lt;script&gt;" in rich and "a &lt; b" in rich


def test_verdict_rejects_unknown_status():
    with pytest.raises(ValueError, match="status"):
        Verdict("c", "maybe", "")
    with pytest.raises(TypeError, match="status"):
        Verdict("c", None, "")


def test_given_truth_and_raw_are_float64_of_one_shape():
    truth, raw = given_truth_and_raw(np.eye(4, dtype=np.float32), np.ones((4, 4), int))
    assert truth.dtype == raw.dtype == np.float64 and truth.shape == raw.shape
    with pytest.raises(ValueError, match="same shape"):
        given_truth_and_raw(np.eye(4), np.eye(5))
    with pytest.raises(ValueError, match="raw must contain only finite"):
        given_truth_and_raw(np.eye(4), np.full((4, 4), np.nan))
    with pytest.raises(TypeError, match="truth"):
        given_truth_and_raw([["a"]], np.eye(4))


# ----------------------------------------------------------------------------- check_value


@pytest.mark.parametrize("placeholder", [..., None])
def test_value_not_answered(placeholder):
    verdict = check_value("c", placeholder, 3.0)
    assert verdict.status == "unanswered" and not verdict


def test_value_order_type_shape_finite_value():
    assert check_value("c", 3, 3.0).passed
    assert "Expected a number" in check_value("c", "3", 3.0).message
    assert "Expected a number" in check_value("c", True, 3.0).message
    assert "single number" in check_value("c", np.ones(2), 3.0).message
    # np.allclose would broadcast (4, 1) against (4,): the check must not.
    assert np.allclose(np.ones((4, 1)), np.ones(4))
    shape = check_value("c", np.ones((4, 1)), np.ones(4))
    assert not shape and "shape is (4, 1)" in shape.message
    assert "NaN" in check_value("c", np.array([1, np.nan, 1, 1]), np.ones(4)).message
    assert "not the expected value" in check_value("c", 4.0, 3.0).message
    assert check_value("c", [1, 1, 1, 1], np.ones(4)).passed  # a list of numbers is an array


def test_value_tolerance_is_respected():
    assert check_value("c", 1.0 + 1e-7, 1.0, rtol=1e-6).passed
    assert not check_value("c", 1.0 + 1e-4, 1.0, rtol=1e-6)


def test_value_known_mistake_gets_its_own_hint():
    mistakes = [Mistake("forgot the bias", value=27), Mistake("used k instead of k - 1", value=31)]
    assert check_value("c", 27, 30, mistakes=mistakes).hint == "forgot the bias"
    assert check_value("c", 31, 30, mistakes=mistakes).hint == "used k instead of k - 1"
    assert check_value("c", 12, 30, mistakes=mistakes).hint is None


# ----------------------------------------------------------------------------- check_function


def test_function_reference_passes_and_not_answered():
    assert check_function("c", _conv_valid, _conv_valid, _cases()).passed
    assert check_function("c", ..., _conv_valid, _cases()).status == "unanswered"

    def unfinished(image, kernel): ...

    assert check_function("c", unfinished, _conv_valid, _cases()).status == "unanswered"


def test_function_wrong_answers_fail_with_messages_and_hints():
    flipped = Mistake("flip the kernel", function=lambda a, b: correlate2d(a, b, mode="valid"))
    verdict = check_function("c", flipped.function, _conv_valid, _cases(), mistakes=[flipped])
    assert not verdict and verdict.hint == "flip the kernel"
    assert "hidden case 1 of 2" in verdict.message

    same = check_function(
        "c",
        lambda a, b: convolve2d(a, b, mode="same"),
        _conv_valid,
        _cases(),
        shape_mistakes=[(lambda case: case[0].shape, "that is 'same'")],
    )
    assert not same and same.hint == "that is 'same'"

    raising = check_function("c", lambda a, b: 1 / 0, _conv_valid, _cases())
    assert not raising and "ZeroDivisionError" in raising.message
    assert "Expected a function" in check_function("c", 3, _conv_valid, _cases()).message


def test_function_inputs_are_copied():
    def destructive(image, kernel):
        out = convolve2d(image, kernel, mode="valid")
        image[...] = 0
        return out

    cases = _cases()
    before = [c[0].copy() for c in cases]
    assert check_function("c", destructive, _conv_valid, cases).passed
    assert all(np.array_equal(b, c[0]) for b, c in zip(before, cases, strict=True))


# ----------------------------------------------------------------------------- strict mode


def test_strict_mode_raises_on_wrong_only(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    assert ex.strict_mode()
    with pytest.raises(ExerciseCheckError, match="not the expected value"):
        check_value("c", 4.0, 3.0)
    with pytest.raises(ExerciseCheckError, match="ZeroDivisionError"):
        check_function("c", lambda a, b: 1 / 0, _conv_valid, _cases())
    assert check_value("c", ..., 3.0).status == "unanswered"
    assert check_value("c", 3.0, 3.0).passed


def test_every_chapter_module_exports_only_checks():
    for chapter in ex.CHAPTERS:
        for name in chapter.__all__:
            assert name.startswith("check_"), (chapter.__name__, name)
            assert getattr(ex, name) is getattr(chapter, name)
