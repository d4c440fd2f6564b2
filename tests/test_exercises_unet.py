"""Checks of the U-Net and receptive-field exercises (decondl.exercises.unet): references pass,
every known mistake gets its own hint, trained-network checks measure properties, wrong answers
fail without raising (except in strict mode)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from decondl import metrics, nets
from decondl.exercises import STRICT_VAR, ExerciseCheckError, check_property, unet
from decondl.exercises.unet import blur_pairs


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv(STRICT_VAR, raising=False)


# --------------------------------------------------------------------------- student answers


def receptive_field(layers):
    size, jump = 1, 1
    for kernel, stride in layers:
        size += (kernel - 1) * jump
        jump *= stride
    return size


def jump_too_early(layers):
    size, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        size += (kernel - 1) * jump
    return size


VALUE_CHECKS = {
    "receptive_field": (
        unet.check_receptive_field,
        32,
        [
            (22, "Adding up the kernel sizes"),
            (15, "You forgot the jump"),
            (13, "Pooling is a layer too"),
            (35, "before adding its window"),
            (31, "Off by one"),
        ],
    ),
    "layers_for_blur": (
        unet.check_layers_for_blur,
        30,
        [
            (31, "not 2L"),
            (29, "Round up"),
            (21, "not 3L"),
            (5, "with sigma"),
            (15, "with the radius"),
        ],
    ),
    "unet_depth_for_blur": (
        unet.check_unet_depth_for_blur,
        3,
        [(1, "with sigma"), (2, "Too shallow")],
    ),
}

RF_FUNCTION_MISTAKES = [
    (lambda layers: sum(k for k, _ in layers), "Adding up the kernel sizes"),
    (lambda layers: 1 + sum(k - 1 for k, _ in layers), "You forgot the jump"),
    (jump_too_early, "before adding its window"),
    (lambda layers: receptive_field(layers) - 1, "Off by one"),
]


def _value_mistakes():
    for name, (check, _, mistakes) in VALUE_CHECKS.items():
        for wrong, words in mistakes:
            yield pytest.param(check, wrong, words, id=f"{name}-{words}")


VALUES = [pytest.param(c, r, id=n) for n, (c, r, _) in VALUE_CHECKS.items()]


def test_every_check_is_exported_and_documented():
    expected = {f"check_{name}" for name in VALUE_CHECKS} | {
        "check_receptive_field_function",
        "check_generalisation_gains",
        "check_robust_restorer",
    }
    assert set(unet.__all__) == expected
    for name in unet.__all__:
        doc = getattr(unet, name).__doc__
        assert "Returns" in doc and "Verdict" in doc


# --------------------------------------------------------------------------- computed numbers


@pytest.mark.parametrize(("check", "reference"), VALUES)
def test_value_reference_passes(check, reference):
    assert check(reference).passed
    assert check(np.int64(reference)).passed
    assert check(float(reference)).passed


@pytest.mark.parametrize(("check", "reference"), VALUES)
@pytest.mark.parametrize("placeholder", [..., None])
def test_value_not_answered(check, reference, placeholder):
    assert check(placeholder).status == "unanswered"


@pytest.mark.parametrize(("check", "wrong", "words"), list(_value_mistakes()))
def test_value_mistakes_get_their_hint(check, wrong, words):
    verdict = check(wrong)
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


@pytest.mark.parametrize(("check", "reference"), VALUES)
def test_value_type_shape_nan(check, reference):
    assert "Expected a number" in check(str(reference)).message
    assert "single number" in check([reference]).message
    assert "NaN" in check(float("nan")).message
    other = check(reference + 100)
    assert other.status == "fail" and other.hint is None


@pytest.mark.parametrize(("check", "reference"), VALUES)
def test_value_strict_mode(check, reference, monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    assert check(...).status == "unanswered"
    assert check(reference).passed
    with pytest.raises(ExerciseCheckError):
        check(reference + 1)


def test_known_answers():
    assert nets.receptive_field(unet.RF_STACK) == 32
    extent = nets.blur_extent_px(10.0)
    assert 60 < extent < 61
    assert 1 + 2 * 30 >= extent > 1 + 2 * 29
    assert (
        nets.receptive_field(nets.unet_layers(3))
        >= extent
        > nets.receptive_field(nets.unet_layers(2))
    )


# --------------------------------------------------------------------------- the recursion


def test_rf_function_reference_passes():
    verdict = unet.check_receptive_field_function(receptive_field)
    assert verdict.passed, str(verdict)


@pytest.mark.parametrize(("wrong", "words"), RF_FUNCTION_MISTAKES)
def test_rf_function_mistakes_get_their_hint(wrong, words):
    verdict = unet.check_receptive_field_function(wrong)
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


def test_rf_function_wrong_answers():
    check = unet.check_receptive_field_function
    assert check(...).status == "unanswered"

    def unfinished(layers): ...

    assert check(unfinished).status == "unanswered"
    assert "Expected a function" in check(32).message
    assert "expected a number" in check(lambda layers: "32").message
    assert "NaN" in check(lambda layers: float("nan")).message
    assert "single number" in check(lambda layers: [receptive_field(layers)]).message
    raised = check(lambda layers: layers[0][0] + 1 / 0)
    assert raised.status == "fail" and "ZeroDivisionError" in raised.message
    # an empty stack (the last hidden case) has receptive field 1
    late = check(lambda layers: receptive_field(layers) if layers else 0)
    assert late.status == "fail" and "case 8 of 8" in late.message


def test_rf_function_strict_mode(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    assert unet.check_receptive_field_function(...).status == "unanswered"
    with pytest.raises(ExerciseCheckError):
        unet.check_receptive_field_function(jump_too_early)


def test_rf_reference_agrees_with_nets_on_conv_pool_stacks():
    rng = np.random.default_rng(0)
    for _ in range(20):
        layers = [
            ("conv", int(rng.integers(1, 6))) if rng.random() < 0.7 else ("pool", 2)
            for _ in range(int(rng.integers(1, 9)))
        ]
        pairs = [(k, 1) if kind == "conv" else (k, k) for kind, k in layers]
        assert unet._reference_rf(pairs) == nets.receptive_field(layers) == receptive_field(pairs)
    # strided convolutions: the split into convolution + pooling gives the same recursion
    for stack, _ in zip(unet._rf_cases(), range(8), strict=True):
        assert unet._reference_rf(stack[0]) == receptive_field(stack[0])


# --------------------------------------------------------------------------- data


def test_blur_pairs_shapes_units_and_seed():
    X, Y = blur_pairs(3, 2.0, rng=0)
    assert X.shape == Y.shape == (3, 32, 32) and X.dtype == Y.dtype == np.float32
    assert Y.min() >= 0 and math.isclose(float(Y.max()), 1.0, rel_tol=1e-6)
    # recordings are in the truth's units: blurring keeps the mean, noise averages out
    assert abs(float(X.mean() - Y.mean())) < 0.05
    X2, _ = blur_pairs(3, 2.0, rng=0)
    np.testing.assert_array_equal(X, X2)
    X3, _ = blur_pairs(2, (1.0, 4.0), rng=1, size_px=24, photons=50.0)
    assert X3.shape == (2, 24, 24)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [((0, 2.0), {}, ValueError, "n must"), ((2.0, 2.0), {}, TypeError, "n must"),
     ((2, -1.0), {}, ValueError, "sigma_px"), ((2, (3.0, 1.0)), {}, ValueError, "sigma_px"),
     ((2, (0.0, 1.0)), {}, ValueError, r"sigma_px\[0\]"), ((2, True), {}, TypeError, "sigma_px"),
     ((2, "wide"), {}, TypeError, "sigma_px"), ((2, (1.0, 2.0, 3.0)), {}, ValueError, "two"),
     ((2, 2.0), {"size_px": 32.0}, TypeError, "size_px"),
     ((2, 2.0), {"size_px": 0}, ValueError, "size_px")],
)  # fmt: skip
def test_blur_pairs_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        blur_pairs(*args, rng=0, **kwargs)


# --------------------------------------------------------------------------- trained networks


def sharpen(image):
    """A fixed restorer (unsharp masking): helps at some blurs, not at others."""
    return image + 1.5 * (image - ndimage.gaussian_filter(image, 1.5))


def gains_of(model, sigmas, seed, *, shared=False):
    rng = np.random.default_rng(seed) if shared else None
    gains = []
    for sigma in sigmas:
        X, Y = blur_pairs(16, sigma, rng=rng if shared else seed)
        restored = [model(x) for x in X]
        gains.append(
            np.mean(
                [
                    metrics.psnr(y, r) - metrics.psnr(y, x)
                    for x, r, y in zip(X, restored, Y, strict=True)
                ]
            )
        )
    return np.array(gains)


@pytest.fixture(scope="module")
def sharpen_gains():
    return gains_of(sharpen, unet.TEST_SIGMAS_PX, unet.TEST_SEED)


def test_generalisation_reference_passes(sharpen_gains):
    assert len(set(np.sign(sharpen_gains))) == 2  # helps somewhere, harms elsewhere
    verdict = unet.check_generalisation_gains(list(sharpen_gains), sharpen)
    assert verdict.passed, str(verdict)
    assert unet.check_generalisation_gains(sharpen_gains + 0.01, sharpen).passed


def test_generalisation_mistakes_get_their_hint(sharpen_gains):
    check = unet.check_generalisation_gains
    assert "signs are reversed" in check(-sharpen_gains, sharpen).hint
    plain = []
    for sigma in unet.TEST_SIGMAS_PX:
        X, Y = blur_pairs(16, sigma, rng=unet.TEST_SEED)
        plain.append(np.mean([metrics.psnr(y, sharpen(x)) for x, y in zip(X, Y, strict=True)]))
    assert "PSNRs of the restored images" in check(plain, sharpen).hint
    shared = gains_of(sharpen, unet.TEST_SIGMAS_PX, unet.TEST_SEED, shared=True)
    assert "fresh generator" in check(shared, sharpen).hint


def test_generalisation_wrong_answers(sharpen_gains, monkeypatch):
    check = unet.check_generalisation_gains
    assert check(..., sharpen).status == "unanswered"
    assert "shape is (3,)" in check(sharpen_gains[:3], sharpen).message
    assert "NaN" in check(sharpen_gains * np.nan, sharpen).message
    assert "Expected a NumPy array" in check("big", sharpen).message
    assert check(sharpen_gains + 1.0, sharpen).hint is None
    monkeypatch.setenv(STRICT_VAR, "1")
    assert check(..., sharpen).status == "unanswered"
    with pytest.raises(ExerciseCheckError):
        check(sharpen_gains + 1.0, sharpen)


class Oracle:
    """A fake restorer that knows the truths of the robust check's test sets."""

    def __init__(self, sigmas):
        self.truths = {}
        for sigma in sigmas:
            X, Y = blur_pairs(unet.N_TEST, sigma, rng=unet.TEST_SEED + 1)
            self.truths.update({x.tobytes(): y for x, y in zip(X, Y, strict=True)})

    def __call__(self, image):
        truth = self.truths.get(np.asarray(image, dtype=np.float32).tobytes(), image)
        return 0.5 * (image + truth)  # halves the error where the truth is known: +6 dB


def test_robust_restorer_passes_with_a_good_model():
    verdict = unet.check_robust_restorer(Oracle(unet.ROBUST_SIGMAS_PX))
    assert verdict.passed, str(verdict)
    assert "+6.02 dB at sigma = 2 px" in verdict.message


def test_robust_restorer_hints():
    specialist = unet.check_robust_restorer(Oracle([2.0]))
    assert specialist.status == "fail" and "helps at sigma = 2 px only" in specialist.hint
    assert "+0.00 dB at sigma = 4 px" in specialist.message
    harmful = unet.check_robust_restorer(lambda image: np.zeros_like(image))
    assert harmful.status == "fail" and "worse at both blurs" in harmful.hint


def test_robust_restorer_wrong_answers(monkeypatch):
    check = unet.check_robust_restorer
    assert check(...).status == "unanswered" and check(None).status == "unanswered"
    assert "TypeError" in check(42).message
    cropped = check(lambda image: image[:-1])
    assert cropped.status == "fail" and "returned shape" in cropped.message
    monkeypatch.setenv(STRICT_VAR, "1")
    assert check(...).status == "unanswered"
    with pytest.raises(ExerciseCheckError):
        check(lambda image: np.zeros_like(image))


@pytest.mark.dl
def test_trained_network_checks_accept_keras_models():
    nets.seed_everything(0)
    model = nets.unet(depth=1, n_filters=2)  # untrained: a real Keras model, quickly
    expected = []
    for sigma in unet.TEST_SIGMAS_PX:
        X, Y = blur_pairs(16, sigma, rng=unet.TEST_SEED)
        restored = nets.predict(model, X)
        pairs = zip(X, restored, Y, strict=True)
        expected.append(np.mean([metrics.psnr(y, r) - metrics.psnr(y, x) for x, r, y in pairs]))
    assert unet.check_generalisation_gains(expected, model).passed
    verdict = unet.check_robust_restorer(model)
    assert verdict.status == "fail" and "PSNR gain" in verdict.message


# --------------------------------------------------------------------------- check_property


def test_check_property_order_and_strict_mode(monkeypatch):
    def measure(answer):
        return answer > 2, f"measured {answer}", None if answer > 0 else "negative"

    assert check_property("c", ..., measure).status == "unanswered"
    assert check_property("c", 3, measure).passed
    low = check_property("c", -1, measure)
    assert low.status == "fail" and low.message == "measured -1" and low.hint == "negative"
    broken = check_property("c", 3, lambda answer: 1 / 0)
    assert broken.status == "fail" and "ZeroDivisionError" in broken.message
    monkeypatch.setenv(STRICT_VAR, "1")
    assert check_property("c", None, measure).status == "unanswered"
    with pytest.raises(ExerciseCheckError):
        check_property("c", 1, measure)
