"""Checks of the CARE exercises (decondl.exercises.care): references pass, every known mistake
gets its own hint, the trained-network check measures a property (tested with stand-in models),
wrong answers fail without raising (except in strict mode)."""

from __future__ import annotations

import numpy as np
import pytest

from decondl import deconvolve, profile, restore
from decondl.exercises import STRICT_VAR, ExerciseCheckError, care
from decondl.forward import Microscope


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv(STRICT_VAR, raising=False)


def test_every_check_is_exported_and_documented():
    import decondl.exercises as ex

    assert care.__all__ == ["check_activation_memory", "check_care_model", "check_normalize_stack"]
    for name in care.__all__:
        assert getattr(ex, name) is getattr(care, name)
        doc = getattr(care, name).__doc__
        assert "Returns" in doc and "Verdict" in doc


# --------------------------------------------------------------------------- normalisation


def normalize_stack(images, low, high):
    axes = tuple(range(1, images.ndim))
    p_low, p_high = np.percentile(images, [low, high], axis=axes, keepdims=True)
    return (images - p_low) / (p_high - p_low)


def normalize_loop(images, low, high):
    out = np.empty(images.shape)
    for index, image in enumerate(images):
        p_low, p_high = np.percentile(image, [low, high])
        out[index] = (image - p_low) / (p_high - p_low)
    return out


def test_normalize_reference_passes():
    for func in (normalize_stack, normalize_loop):
        verdict = care.check_normalize_stack(func)
        assert verdict and verdict.status == "pass", verdict


def test_normalize_reference_is_csbdeep():
    from csbdeep.utils import normalize

    for images, low, high in care._normalize_cases():
        expected = np.stack([normalize(im, low, high, clip=False) for im in images])
        reference = care._normalize_reference(images, low, high)
        np.testing.assert_allclose(reference, expected, rtol=1e-5, atol=1e-6)  # float32 inside


@pytest.mark.parametrize("placeholder", [..., None])
def test_normalize_not_answered(placeholder):
    assert care.check_normalize_stack(placeholder).status == "unanswered"

    def unfinished(images, low, high): ...

    assert care.check_normalize_stack(unfinished).status == "unanswered"


def minmax(images, low, high):
    return np.stack([(im - im.min()) / (im.max() - im.min()) for im in images])


def whole_stack(images, low, high):
    p_low, p_high = np.percentile(images, [low, high])
    return (images - p_low) / (p_high - p_low)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (minmax, "minimum and maximum"),
        (whole_stack, "whole stack"),
        (lambda im, lo, hi: np.clip(normalize_stack(im, lo, hi), 0, 1), "Do not clip"),
        (
            lambda im, lo, hi: (
                (im - np.percentile(im, lo, axis=tuple(range(1, im.ndim)), keepdims=True))
                / np.percentile(im, hi, axis=tuple(range(1, im.ndim)), keepdims=True)
            ),
            "difference of the two percentiles",
        ),
    ],
)
def test_normalize_mistakes_get_their_hint(wrong, words):
    verdict = care.check_normalize_stack(wrong)
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


def test_normalize_wrong_answers_fail_clearly():
    shape = care.check_normalize_stack(lambda im, lo, hi: normalize_stack(im, lo, hi)[0])
    assert shape.status == "fail" and "shape" in shape.message
    nan = care.check_normalize_stack(lambda im, lo, hi: normalize_stack(im, lo, hi) * np.nan)
    assert nan.status == "fail" and "NaN" in nan.message
    text = care.check_normalize_stack(lambda im, lo, hi: "normalised")
    assert text.status == "fail" and "expected a numpy array" in text.message.lower()
    raises = care.check_normalize_stack(lambda im, lo, hi: 1 / 0)
    assert raises.status == "fail" and "ZeroDivisionError" in raises.message
    assert care.check_normalize_stack(42).status == "fail"


def test_normalize_strict_mode(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_normalize_stack"):
        care.check_normalize_stack(minmax)
    assert care.check_normalize_stack(...).status == "unanswered"
    assert care.check_normalize_stack(normalize_stack)


# --------------------------------------------------------------------------- memory


@pytest.fixture(scope="module")
def memory_net():
    config = restore.care_config(profile.get("quick"), unet_n_depth=2, unet_n_first=32)
    return restore.care_network(config, (64, 64))


def _expected_mib(net) -> float:
    values = sum(int(np.prod(layer.output.shape[1:])) for layer in net.layers[1:])
    return 16 * values * 4 / 2**20


@pytest.mark.dl
def test_activation_memory_reference_passes(memory_net):
    expected = _expected_mib(memory_net)
    # The U-Net of depth 2 and 32 filters on 64 x 64 patches, counted by hand: 227 channels of
    # 64 x 64 outputs, 448 of 32 x 32, 256 of 16 x 16 (see the layer table of the page).
    assert expected == pytest.approx(16 * 4 * (227 * 64**2 + 448 * 32**2 + 256 * 16**2) / 2**20)
    assert care.check_activation_memory(expected)
    assert care.check_activation_memory(round(expected, 1))


@pytest.mark.dl
def test_activation_memory_not_answered_and_wrong_types(memory_net):
    for placeholder in (..., None):
        assert care.check_activation_memory(placeholder).status == "unanswered"
    assert "expected a number" in care.check_activation_memory("88 MiB").message.lower()
    assert care.check_activation_memory(np.array([1.0, 2.0])).status == "fail"
    assert "NaN" in care.check_activation_memory(float("nan")).message


@pytest.mark.dl
def test_activation_memory_mistakes_get_their_hint(memory_net):
    expected = _expected_mib(memory_net)
    memory = restore.training_memory(memory_net, 16)
    conv_values = sum(
        int(np.prod(layer.output.shape[1:]))
        for layer in memory_net.layers
        if type(layer).__name__ == "Conv2D"
    )
    cases = [
        (expected / 16, "multiply by the batch size"),
        (expected / 4, "count of numbers, not of bytes"),
        (expected / 64, "by 4 bytes per float32 and by the batch"),
        (expected * 2, "not 8 (float64)"),
        (memory["activations"] / 1e6, "not megabytes"),
        (memory["weights"] / 2**20, "memory of the weights"),
        (4 * memory["weights"] / 2**20, "Adam's two moments"),
        (memory["total"] / 2**20, "activations only"),
        (16 * conv_values * 4 / 2**20, "not only of the convolutions"),
    ]
    for wrong, words in cases:
        verdict = care.check_activation_memory(wrong)
        assert verdict.status == "fail", wrong
        assert verdict.hint is not None and words in verdict.hint, (wrong, verdict.hint)
    assert care.check_activation_memory(1000.0).hint is None


@pytest.mark.dl
def test_activation_memory_strict_mode(memory_net, monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_activation_memory"):
        care.check_activation_memory(1.0)
    assert care.check_activation_memory(...).status == "unanswered"


# --------------------------------------------------------------------------- trained network


class StandIn:
    """A stand-in for csbdeep.models.CARE: ``predict`` maps a recording to an estimate."""

    def __init__(self, estimate):
        self.estimate = estimate

    def predict(self, image, axes, normalizer=None):
        assert axes == "YX"
        return self.estimate(image)


SCOPE = Microscope()


def wiener_model(balance=0.01):
    return StandIn(lambda im: deconvolve.wiener(SCOPE.to_truth_units(im), SCOPE.psf(), balance))


@pytest.mark.dl
def test_care_model_property_passes_for_a_good_restoration():
    verdict = care.check_care_model(wiener_model())
    assert verdict and verdict.status == "pass", verdict
    assert "gain of" in verdict.message and "required: 3 dB" in verdict.message


@pytest.mark.dl
def test_care_model_fails_with_hints():
    raw = care.check_care_model(StandIn(SCOPE.to_truth_units))
    assert raw.status == "fail" and "gain of 0.0 dB" in raw.message
    assert "not learned enough" in raw.hint
    bright = care.check_care_model(StandIn(lambda im: 3 * SCOPE.to_truth_units(im)))
    assert bright.status == "fail" and "targets Y normalised" in bright.hint
    pair = care.check_care_model((wiener_model(), {"loss": []}))
    assert pair.status == "fail" and "model, history = restore.train_care" in pair.hint


@pytest.mark.dl
def test_care_model_wrong_answers_fail_without_raising():
    assert care.check_care_model(...).status == "unanswered"
    assert care.check_care_model(None).status == "unanswered"
    text = care.check_care_model("my model")
    assert text.status == "fail" and "Expected a trained CARE model" in text.message
    shape = care.check_care_model(StandIn(lambda im: im[:10]))
    assert shape.status == "fail" and "shape" in shape.message
    nan = care.check_care_model(StandIn(lambda im: im * np.nan))
    assert nan.status == "fail" and "NaN" in nan.message
    raises = care.check_care_model(StandIn(lambda im: 1 / 0))
    assert raises.status == "fail" and "ZeroDivisionError" in raises.message


@pytest.mark.dl
def test_care_model_strict_mode(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_care_model"):
        care.check_care_model(StandIn(SCOPE.to_truth_units))
    assert care.check_care_model(...).status == "unanswered"
    assert care.check_care_model(wiener_model())


def test_care_phantom_matches_the_exercise_data():
    truth = care.care_phantom(0)
    assert truth.shape == care.CARE_SHAPE
    np.testing.assert_array_equal(truth, care.care_phantom(np.random.default_rng(0)))
    assert 0.0 == truth.min() and 0.5 <= truth.max() <= 1.0
