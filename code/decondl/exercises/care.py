r"""Checks of the exercises of chapter 5, *Restoration with CARE*.

The exercise page is ``book/exercises/care_restoration.md``.

Every check computes the right answer with the course package (:mod:`decondl.restore`, which
wraps CSBDeep) and compares the student's answer with it, giving a targeted hint when the answer
matches a mistake students are known to make. A trained network has no single right answer, so
:func:`check_care_model` checks a property instead: its PSNR gain over the recorded images on
test images it simulates itself. See :mod:`decondl.exercises._core` for the order of the checks
and strict mode.
"""

from __future__ import annotations

import functools

import numpy as np

from decondl import metrics, restore, synthetic
from decondl.exercises._core import (
    Mistake,
    Verdict,
    check_function,
    check_property,
    check_value,
    is_unanswered,
)
from decondl.forward import Microscope

__all__ = [
    "check_activation_memory",
    "check_care_model",
    "check_normalize_stack",
]

#: The training step of the memory exercise: CARE's U-Net of depth 2 with 32 filters at the
#: top (the chapter's quick profile), a batch of 16 patches of 64 x 64 pixels, float32.
MEMORY_DEPTH, MEMORY_N_FIRST = 2, 32
MEMORY_PATCH, MEMORY_BATCH = (64, 64), 16

#: The data of the tiny CARE exercise (train and test alike): 128 x 128 images of 30 spheres of
#: radius 1.5 to 8 pixels, recorded with ``Microscope()`` (chapters 3 to 6).
CARE_SHAPE = (128, 128)
CARE_SPHERES = {"n": 30, "radius_range_px": (1.5, 8.0)}
#: The PSNR gain over the recorded images (dB) that :func:`check_care_model` requires.
CARE_MIN_GAIN_DB = 3.0
_CARE_TEST_IMAGES, _CARE_TEST_SEED = 4, 2024


def care_phantom(rng) -> np.ndarray:
    """Draw one truth of the tiny CARE exercise: ``CARE_SHAPE`` image of ``CARE_SPHERES``.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of randomness.

    Returns
    -------
    ndarray of float, shape ``CARE_SHAPE``
        Spheres of brightness 0.5 to 1 on a black background
        (:func:`decondl.synthetic.spheres`).

    Examples
    --------
    >>> care_phantom(0).shape
    (128, 128)
    """
    return synthetic.spheres(CARE_SHAPE, rng=rng, **CARE_SPHERES)[0]


# --------------------------------------------------------------------------- normalisation


def _normalize_reference(images, low, high):
    return np.stack([restore.normalize_input(im, (low, high)) for im in images])


def _normalize_minmax(images, low, high):
    return np.stack([(im - im.min()) / (im.max() - im.min()) for im in images])


def _normalize_whole_stack(images, low, high):
    p_low, p_high = np.percentile(images, [low, high])
    return (images - p_low) / (p_high - p_low)


def _normalize_clipped(images, low, high):
    return np.clip(_normalize_reference(images, low, high), 0.0, 1.0)


def _normalize_by_high(images, low, high):
    return np.stack([(im - np.percentile(im, low)) / np.percentile(im, high) for im in images])


def _normalize_cases() -> list[tuple]:
    """Stacks whose images differ in brightness and have a few very bright pixels."""
    rng = np.random.default_rng(55)
    cases = []
    for shape, low, high in [
        ((3, 32, 32), 1.0, 99.8),
        ((2, 33, 48), 1.0, 99.8),
        ((4, 17, 23), 3.0, 99.5),
        ((2, 9, 16, 20), 1.0, 99.8),  # a stack of two 3D images
        ((1, 40, 31), 0.5, 99.0),
    ]:
        images = rng.gamma(2.0, 1.0, size=shape)
        images *= rng.uniform(0.2, 5.0, size=(shape[0],) + (1,) * (len(shape) - 1))
        images += rng.uniform(0.0, 10.0, size=(shape[0],) + (1,) * (len(shape) - 1))
        flat = images.reshape(shape[0], -1)
        hot = rng.integers(0, flat.shape[1], size=(shape[0], 2))
        for index in range(shape[0]):
            flat[index, hot[index]] *= 20.0  # hot pixels: percentiles ignore them, max does not
        cases.append((images, low, high))
    return cases


def check_normalize_stack(func) -> Verdict:
    r"""Check ``func(images, low, high)``: percentile normalisation of each image of a stack.

    ``images`` has shape ``(n, ny, nx)`` or ``(n, nz, ny, nx)``; the result has the same shape,
    each image :math:`x` mapped to :math:`(x - P_\mathrm{low}(x)) / (P_\mathrm{high}(x) -
    P_\mathrm{low}(x))` with the percentiles of *that image*, not clipped: what CSBDeep's
    :func:`csbdeep.utils.normalize` does to each CARE input (reference:
    :func:`decondl.restore.normalize_input`).

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right on five hidden stacks (2D and 3D images, odd and even sizes, images of different
        brightness with a few hot pixels, three pairs of percentiles) within a relative
        tolerance of 1e-4 and an absolute one of 1e-5. Hints for: minimum and maximum instead
        of percentiles, percentiles of the whole stack, clipping to [0, 1], dividing by
        :math:`P_\mathrm{high}` instead of :math:`P_\mathrm{high} - P_\mathrm{low}`.

    Examples
    --------
    >>> def normalize_stack(images, low, high):
    ...     p = np.percentile(images, [low, high], axis=tuple(range(1, images.ndim)),
    ...                       keepdims=True)
    ...     return (images - p[0]) / (p[1] - p[0])
    >>> bool(check_normalize_stack(normalize_stack))
    True
    """
    mistakes = [
        Mistake(
            "You used each image's minimum and maximum. A single hot pixel then sets the scale; "
            "CSBDeep uses percentiles (e.g. the 1st and 99.8th) so that a few extreme pixels "
            "do not matter: np.percentile(image, [low, high]).",
            function=_normalize_minmax,
        ),
        Mistake(
            "You took the percentiles of the whole stack. Each image must be normalised by its "
            "own percentiles, as at prediction, where the network sees one image at a time.",
            function=_normalize_whole_stack,
        ),
        Mistake(
            "Do not clip to [0, 1]: CSBDeep's normalisation (clip=False) keeps values below the "
            "low and above the high percentile, so the network still sees the brightest pixels.",
            function=_normalize_clipped,
        ),
        Mistake(
            "Divide by the difference of the two percentiles, P_high - P_low, so that P_high "
            "becomes exactly 1.",
            function=_normalize_by_high,
        ),
    ]
    return check_function(
        "check_normalize_stack",
        func,
        _normalize_reference,
        _normalize_cases(),
        rtol=1e-4,
        atol=1e-5,
        mistakes=mistakes,
        success="This is the normalisation CSBDeep applies to every input image of CARE.",
    )


# --------------------------------------------------------------------------- memory


@functools.lru_cache(maxsize=1)
def _memory_network_counts() -> tuple[dict, int]:
    """Training memory of the exercise's network and the values of its convolutions only."""
    from decondl import profile

    config = restore.care_config(
        profile.get("quick"), unet_n_depth=MEMORY_DEPTH, unet_n_first=MEMORY_N_FIRST
    )
    net = restore.care_network(config, MEMORY_PATCH)
    memory = restore.training_memory(net, MEMORY_BATCH)
    conv_values = sum(
        int(np.prod(layer.output.shape[1:]))
        for layer in net.layers
        if type(layer).__name__.startswith("Conv")
    )
    return memory, conv_values


def check_activation_memory(answer) -> Verdict:
    r"""Check the memory of the activations of one CARE training step, in MiB.

    The network is CARE's U-Net of depth ``MEMORY_DEPTH`` with ``MEMORY_N_FIRST`` filters at the
    top (:func:`decondl.restore.care_network`); the batch is ``MEMORY_BATCH`` patches of
    ``MEMORY_PATCH`` pixels in float32. The expected value is
    :func:`decondl.restore.training_memory`'s ``"activations"``: the outputs of all layers,
    :math:`B \sum_\ell |a_\ell| \times 4` bytes, divided by :math:`2^{20}`.

    Parameters
    ----------
    answer : float
        Memory in MiB (1 MiB = :math:`2^{20}` bytes).

    Returns
    -------
    Verdict
        Right within a relative tolerance of 0.5 %. Hints for: the batch size forgotten, numbers
        counted instead of bytes (or both), 8 bytes per number, megabytes (:math:`10^6`)
        instead of MiB, the weights (with or without gradients and optimizer state) instead
        of the activations, the convolutions' outputs only, weights and activations together.

    Examples
    --------
    >>> bool(check_activation_memory(88.75))  # doctest: +SKIP
    True
    """
    if is_unanswered(answer):  # do not build the network for nothing
        return check_value("check_activation_memory", answer, 0.0)
    memory, conv_values = _memory_network_counts()
    mib = 2.0**20
    expected = memory["activations"] / mib
    per_patch = memory["values_per_sample"]
    mistakes = [
        Mistake(
            "That is the memory of one patch. Training keeps the activations of every patch "
            "of the batch: multiply by the batch size.",
            value=per_patch * 4 / mib,
        ),
        Mistake(
            "That is a count of numbers, not of bytes: each float32 takes 4 bytes.",
            value=MEMORY_BATCH * per_patch / mib,
        ),
        Mistake(
            "That counts the numbers of one patch. Multiply by 4 bytes per float32 and by the "
            "batch size.",
            value=per_patch / mib,
        ),
        Mistake(
            "Keras trains in float32, 4 bytes per number, not 8 (float64).",
            value=2 * expected,
        ),
        Mistake(
            "The question asks for MiB (2**20 bytes), not megabytes (10**6 bytes).",
            value=memory["activations"] / 1e6,
        ),
        Mistake(
            "That is the memory of the weights. Training must also keep every layer's output "
            "for the backward pass, and for a batch of patches that is far more.",
            value=memory["weights"] / mib,
        ),
        Mistake(
            "That is the weights with their gradients and Adam's two moments. The question asks "
            "for the activations: every layer's output for the whole batch.",
            value=(memory["total"] - memory["activations"]) / mib,
        ),
        Mistake(
            "You added the weights (and their gradients and optimizer state) to the "
            "activations; the question asks for the activations only.",
            value=memory["total"] / mib,
        ),
        Mistake(
            "Count the outputs of every layer, not only of the convolutions: pooling, "
            "upsampling, concatenation, addition and activation outputs are kept as well.",
            value=MEMORY_BATCH * conv_values * 4 / mib,
        ),
    ]
    return check_value(
        "check_activation_memory",
        answer,
        expected,
        rtol=5e-3,
        mistakes=mistakes,
        success="Activations, not weights, dominate the memory of training.",
    )


# --------------------------------------------------------------------------- tiny CARE


@functools.lru_cache(maxsize=1)
def _care_test_set() -> tuple[np.ndarray, np.ndarray]:
    return restore.simulate_pairs(
        care_phantom, _CARE_TEST_IMAGES, _CARE_TEST_SEED, scope=Microscope()
    )


def _measure_care(model) -> tuple[bool, str, str | None]:
    if isinstance(model, tuple):
        return (
            False,
            f"Expected a trained CARE model, got a tuple of {len(model)} items.",
            "restore.train_care returns the model and its history: "
            "model, history = restore.train_care(...).",
        )
    if not callable(getattr(model, "predict", None)):
        return (
            False,
            f"Expected a trained CARE model (csbdeep.models.CARE), got {type(model).__name__}.",
            None,
        )
    raw, truths = _care_test_set()
    scope = Microscope()
    restored = np.asarray(restore.predict_care(model, raw), dtype=np.float64)
    if restored.shape != truths.shape:
        return False, f"The model's output has shape {restored.shape}, not {truths.shape}.", None
    if not np.all(np.isfinite(restored)):
        return False, "The model's output contains NaN or infinite values.", None
    in_units = np.stack([scope.to_truth_units(im) for im in raw])
    raw_psnr = np.mean([metrics.psnr(t, r) for t, r in zip(truths, in_units, strict=True)])
    care_psnr = np.mean([metrics.psnr(t, r) for t, r in zip(truths, restored, strict=True)])
    gain = float(care_psnr - raw_psnr)
    flux = float(restored.sum() / truths.astype(np.float64).sum())
    message = (
        f"On {len(raw)} new test images the network scores {care_psnr:.1f} dB, the recordings "
        f"{raw_psnr:.1f} dB: a gain of {gain:.1f} dB (required: {CARE_MIN_GAIN_DB:g} dB); "
        f"its output holds {flux:.2f} times the light of the truth."
    )
    if gain >= CARE_MIN_GAIN_DB:
        return True, message, None
    if not 0.67 < flux < 1.5:
        hint = (
            "The brightness of the output is off. Were the targets Y normalised too? "
            "restore.make_patches normalises the inputs only and keeps the targets in the "
            "truth's units, which is the scale the check compares with."
        )
    else:
        hint = (
            "The network has not learned enough yet: train for more epochs or steps, or on "
            "more patches."
        )
    return False, message, hint


def check_care_model(model) -> Verdict:
    r"""Check that a trained CARE network restores images like its training data.

    The check simulates its own test set, ``4`` images drawn by :func:`care_phantom` (the data
    the exercise trains on) and recorded with ``Microscope()``, restores them with
    :func:`decondl.restore.predict_care`, and requires the mean PSNR against the truths
    (:func:`decondl.metrics.psnr`) to exceed that of the recordings in the truth's units
    (:meth:`decondl.forward.Microscope.to_truth_units`) by at least ``CARE_MIN_GAIN_DB`` dB.

    Parameters
    ----------
    model : csbdeep.models.CARE
        From :func:`decondl.restore.train_care`.

    Returns
    -------
    Verdict
        Says the measured gain and the output's total light relative to the truth's. Hints
        for: the ``(model, history)`` tuple passed instead of the model, an output with the
        wrong brightness (targets normalised as well), too little training.

    Examples
    --------
    >>> model, history = restore.train_care(X, Y, (X_val, Y_val), config, name="tiny", seed=0)
    ... # doctest: +SKIP
    >>> bool(check_care_model(model))  # doctest: +SKIP
    True
    """
    return check_property(
        "check_care_model",
        model,
        _measure_care,
        success="The network has learned to restore images like those it was trained on.",
    )
