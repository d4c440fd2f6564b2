"""Checks of the exercises of chapter 1, CNN building blocks (book/exercises/cnn_building_blocks).

Every expected answer is computed with :mod:`decondl.nets`, the functions the chapter teaches:
:func:`~decondl.nets.correlate`, :func:`~decondl.nets.convolve`, :func:`~decondl.nets.pool`
and :func:`~decondl.nets.conv_param_count`. Functions the student writes are run on hidden
cases drawn from a fixed seed: several image and kernel shapes, odd and even sides,
asymmetric kernels.
"""

from __future__ import annotations

import numpy as np

from decondl import nets
from decondl.exercises._core import Mistake, Verdict, check_function, check_value

__all__ = [
    "check_combined_kernel",
    "check_conv2d_valid",
    "check_conv_params",
    "check_max_pool",
    "check_output_size",
]

#: The image of the output-size exercise, ``(rows, columns)``.
OUTPUT_SIZE_IMAGE = (100, 75)
#: Its layers, in order: ``("conv", k)`` is a k x k 'valid' convolution, ``("pool", 2)`` a 2x2
#: max pooling.
OUTPUT_SIZE_LAYERS = (("conv", 5), ("pool", 2), ("conv", 3), ("pool", 2))
#: The layer of the parameter-count exercise: kernel side, input channels, output channels.
PARAM_LAYER = (3, 16, 32)


# --------------------------------------------------------------------------- output size


def _stack_shape(shape, *, conv, pool) -> tuple[int, ...]:
    """Output shape of :data:`OUTPUT_SIZE_LAYERS` with given per-layer size rules."""
    shape = tuple(shape)
    for kind, k in OUTPUT_SIZE_LAYERS:
        shape = tuple(conv(n, k) if kind == "conv" else pool(n, k) for n in shape)
    return shape


def _valid_stack_output(shape) -> np.ndarray:
    """Run the layers of the exercise on an image of ``shape`` with decondl.nets; its shape."""
    image = np.zeros(shape)
    for kind, k in OUTPUT_SIZE_LAYERS:
        if kind == "conv":
            image = nets.correlate(image, np.ones((k, k)), padding="valid")
        else:
            image = nets.pool(image, k, "max")
    return np.array(image.shape)


def check_output_size(answer) -> Verdict:
    """Check the output shape of a stack of 'valid' convolutions and poolings.

    The stack (:data:`OUTPUT_SIZE_LAYERS`) takes a 100 x 75 image (rows x columns) through a
    5x5 convolution without padding, a 2x2 max pooling, a 3x3 convolution without padding and
    another 2x2 max pooling. The expected shape is measured by running these layers with
    :func:`decondl.nets.correlate` (``padding="valid"``) and :func:`decondl.nets.pool`.

    Parameters
    ----------
    answer : tuple of int or ndarray, shape (2,)
        ``(rows, columns)`` of the output.

    Returns
    -------
    Verdict
        Exact comparison. Known mistakes with their own hints: 'same' padding (the
        convolutions keep the size), rounding up at an odd pooling, and ``n - k`` instead
        of ``n - k + 1`` for a 'valid' convolution.
    """
    expected = _valid_stack_output(OUTPUT_SIZE_IMAGE)
    mistakes = [
        Mistake(
            "With padding 'same' a convolution keeps the size; here there is no padding "
            "('valid'): a k x k kernel fits only n - k + 1 times along a side of n pixels.",
            value=_stack_shape(OUTPUT_SIZE_IMAGE, conv=lambda n, k: n, pool=lambda n, k: n // k),
        ),
        Mistake(
            "A 2x2 pooling of an odd side drops the last row or column (Keras' "
            "MaxPooling2D with padding='valid' and decondl.nets.pool do): 71 pixels give 35 "
            "blocks, not 36. Round down.",
            value=_stack_shape(
                OUTPUT_SIZE_IMAGE, conv=lambda n, k: n - k + 1, pool=lambda n, k: -(-n // k)
            ),
        ),
        Mistake(
            "Off by one: a k x k kernel fits n - k + 1 times along a side of n pixels "
            "(a 3x3 kernel on 3 pixels gives 1 output pixel, not 0).",
            value=_stack_shape(
                OUTPUT_SIZE_IMAGE, conv=lambda n, k: n - k, pool=lambda n, k: n // k
            ),
        ),
    ]
    return check_value("check_output_size", answer, expected, rtol=0.0, mistakes=mistakes)


# --------------------------------------------------------------------------- convolution


def _convolve_valid(image, kernel):
    return nets.convolve(image, kernel, padding="valid")


def _correlate_valid(image, kernel):
    return nets.correlate(image, kernel, padding="valid")


def _conv_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Hidden cases: square and non-square images, odd, even and 1x1 kernels, all asymmetric."""
    rng = np.random.default_rng(1101)
    shapes = [((8, 8), (3, 3)), ((7, 10), (3, 5)), ((9, 6), (2, 2)), ((12, 11), (4, 3)),
              ((5, 5), (5, 5)), ((6, 9), (1, 1)), ((16, 13), (5, 2))]  # fmt: skip
    return [(rng.standard_normal(s), rng.standard_normal(k)) for s, k in shapes]


def check_conv2d_valid(func) -> Verdict:
    r"""Check a 2D convolution with 'valid' borders written by the student.

    ``func(image, kernel)`` must return
    :math:`(I \ast w)[i, j] = \sum_{m, n} w[m, n]\, I[i + k_y - 1 - m,\, j + k_x - 1 - n]`
    for every position where the kernel fits entirely inside the image, as
    :func:`decondl.nets.convolve` with ``padding="valid"`` (and
    ``scipy.signal.convolve2d(image, kernel, mode="valid")``).

    Parameters
    ----------
    func : callable
        ``func(image, kernel) -> ndarray``; ``image`` has shape (ny, nx) and ``kernel``
        (ky, kx) with ``ky <= ny`` and ``kx <= nx``; the output has shape
        (ny - ky + 1, nx - kx + 1).

    Returns
    -------
    Verdict
        Compared on 7 hidden cases (odd, even, non-square and 1x1 kernels, random values)
        within a relative tolerance of 1e-6 and an absolute one of 1e-9. Known mistakes with
        their own hints: the kernel not flipped (a correlation), flipped along one axis only,
        a 'same'-size or a 'full'-size output.
    """
    mistakes = [
        Mistake(
            "You computed a correlation: the kernel is not flipped. A convolution uses "
            "w[m, n] * I[i - m, j - n]; flip the kernel along both axes (kernel[::-1, ::-1]) "
            "and then slide it as in the chapter's loop.",
            function=_correlate_valid,
        ),
        Mistake(
            "The kernel is flipped along one axis only; a convolution flips it along both "
            "(kernel[::-1, ::-1]).",
            function=lambda image, kernel: _correlate_valid(image, kernel[::-1, :]),
        ),
        Mistake(
            "The kernel is flipped along one axis only; a convolution flips it along both "
            "(kernel[::-1, ::-1]).",
            function=lambda image, kernel: _correlate_valid(image, kernel[:, ::-1]),
        ),
    ]
    shape_mistakes = [
        (
            lambda case: case[0].shape,
            "Your output has the image's size, as with padding 'same'. 'Valid' means no "
            "padding: only positions where the whole kernel lies inside the image, "
            "(ny - ky + 1, nx - kx + 1) of them.",
        ),
        (
            lambda case: tuple(
                n + k - 1 for n, k in zip(case[0].shape, case[1].shape, strict=True)
            ),
            "Your output has the 'full' size (ny + ky - 1, nx + kx - 1): you padded the image. "
            "'Valid' means no padding at all.",
        ),
    ]
    return check_function(
        "check_conv2d_valid",
        func,
        _convolve_valid,
        _conv_cases(),
        rtol=1e-6,
        atol=1e-9,
        mistakes=mistakes,
        shape_mistakes=shape_mistakes,
    )


# --------------------------------------------------------------------------- pooling


def _max_pool(image):
    return nets.pool(image, 2, "max")


def _pool_cases() -> list[tuple[np.ndarray]]:
    """Hidden cases: even sides first, then odd ones; one image entirely negative."""
    rng = np.random.default_rng(1102)
    shapes = [(8, 8), (6, 10), (7, 9), (5, 4), (2, 3), (11, 11)]
    cases = [(rng.standard_normal(s),) for s in shapes]
    cases.insert(2, (-1.0 - rng.random((6, 6)),))
    return cases


def check_max_pool(func) -> Verdict:
    r"""Check a 2x2 max pooling written by the student.

    ``func(image)`` must return :math:`P[i, j] = \max(I[2i, 2j], I[2i, 2j+1], I[2i+1, 2j],
    I[2i+1, 2j+1])`, the maximum of each non-overlapping 2x2 block, as
    :func:`decondl.nets.pool` with ``size=2, mode="max"`` and Keras' ``MaxPooling2D(2)``: a last
    row or column that does not fill a whole block (odd sides) is dropped.

    Parameters
    ----------
    func : callable
        ``func(image) -> ndarray``; ``image`` has shape (ny, nx), both at least 2; the output
        has shape (ny // 2, nx // 2).

    Returns
    -------
    Verdict
        Compared exactly (it only selects values) on 7 hidden images: even and odd sides, and
        one with negative values only. Known mistakes with their own hints: averaging instead
        of taking the maximum, keeping every second pixel, starting the maximum from 0, a
        rounded-up, overlapping (stride 1) or unchanged output size.
    """
    mistakes = [
        Mistake(
            "You took the mean of each block (average pooling); max pooling keeps the largest "
            "of the four values.",
            function=lambda image: nets.pool(image, 2, "average"),
        ),
        Mistake(
            "You kept every second pixel (image[::2, ::2]), the top-left value of each block; "
            "max pooling keeps the largest of the four values of each block.",
            function=lambda image: image[
                : image.shape[0] // 2 * 2 : 2, : image.shape[1] // 2 * 2 : 2
            ],
        ),
        Mistake(
            "Your maximum is never below 0: did you start it from 0 (np.zeros)? For a block of "
            "negative values the maximum is negative; start from the block's values (or -inf).",
            function=lambda image: np.maximum(nets.pool(image, 2, "max"), 0.0),
        ),
    ]
    shape_mistakes = [
        (
            lambda case: tuple(-(-n // 2) for n in case[0].shape),
            "For an odd side you kept the incomplete last block. Like Keras' MaxPooling2D "
            "(padding='valid') and decondl.nets.pool, drop the last row or column when it "
            "does not fill a whole 2x2 block: the output has ny // 2 rows and nx // 2 columns.",
        ),
        (
            lambda case: tuple(n - 1 for n in case[0].shape),
            "Your output has one pixel less than the input along each side: you slid the "
            "2x2 window one pixel at a time. The blocks must not overlap: the stride is 2.",
        ),
        (
            lambda case: case[0].shape,
            "Your output has the input's size; 2x2 pooling halves each side (ny // 2, nx // 2).",
        ),
    ]
    return check_function(
        "check_max_pool",
        func,
        _max_pool,
        _pool_cases(),
        rtol=0.0,
        atol=0.0,
        mistakes=mistakes,
        shape_mistakes=shape_mistakes,
    )


# --------------------------------------------------------------------------- parameters


def check_conv_params(answer) -> Verdict:
    r"""Check the number of trainable parameters of one convolution layer.

    The layer (:data:`PARAM_LAYER`) is a Keras ``Conv2D(32, 3)`` with biases (the default),
    applied to a feature map with 16 channels. Expected:
    :func:`decondl.nets.conv_param_count` ``(3, 16, 32)``, that is
    :math:`k^2 C_\mathrm{in} C_\mathrm{out} + C_\mathrm{out}`.

    Parameters
    ----------
    answer : int
        The number of parameters.

    Returns
    -------
    Verdict
        Exact comparison. Known mistakes with their own hints: the biases forgotten, the
        input channels forgotten, :math:`k` instead of :math:`k^2`.
    """
    k, c_in, c_out = PARAM_LAYER
    expected = nets.conv_param_count(k, c_in, c_out)
    mistakes = [
        Mistake(
            "You counted the kernel weights but not the biases: each output channel also "
            "has one bias, a number added to its weighted sum (Keras' use_bias=True).",
            value=nets.conv_param_count(k, c_in, c_out, bias=False),
        ),
        Mistake(
            "Each kernel spans all input channels: it is k x k x C_in, not k x k. "
            "An output pixel is a weighted sum over a 3x3 neighbourhood in every one of the "
            "16 input channels.",
            value=nets.conv_param_count(k, 1, c_out),
        ),
        Mistake(
            "A 3x3 kernel has 3 * 3 = 9 weights per input channel, not 3.",
            value=k * c_in * c_out + c_out,
        ),
    ]
    return check_value("check_conv_params", answer, expected, rtol=0.0, mistakes=mistakes)


# --------------------------------------------------------------------------- combined kernel


def _full_convolution(a, b) -> np.ndarray:
    """Full 2D convolution of two kernels with decondl.nets: pad ``a``, convolve 'valid'."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    padded = np.pad(a, [(k - 1, k - 1) for k in b.shape])
    return nets.convolve(padded, b, padding="valid")


def _full_correlation(a, b) -> np.ndarray:
    return _full_convolution(a, np.flip(b))


def _kernel_pair_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Hidden cases: asymmetric kernels of equal and different, odd and even, sizes."""
    rng = np.random.default_rng(1105)
    shapes = [((3, 3), (3, 3)), ((3, 3), (5, 5)), ((1, 3), (3, 1)), ((2, 2), (3, 3)),
              ((5, 3), (3, 5)), ((4, 4), (1, 1))]  # fmt: skip
    return [(rng.standard_normal(a), rng.standard_normal(b)) for a, b in shapes]


def check_combined_kernel(func) -> Verdict:
    r"""Check the single kernel equivalent to two correlation layers without activation.

    ``func(a, b)`` must return the kernel :math:`w` with
    ``correlate(correlate(image, a), b) == correlate(image, w)`` for every image (with
    'valid' borders exactly; with 'same' borders away from the border): the full
    convolution :math:`w = a \ast b`, of shape ``(ay + by - 1, ax + bx - 1)``. The reference
    pads ``a`` with zeros and applies :func:`decondl.nets.convolve` (``padding="valid"``);
    it equals ``scipy.signal.convolve2d(a, b)``.

    Parameters
    ----------
    func : callable
        ``func(a, b) -> ndarray``; ``a`` and ``b`` are 2D kernels of any sizes, applied in
        this order.

    Returns
    -------
    Verdict
        Compared on 6 hidden pairs of random (asymmetric) kernels within a relative
        tolerance of 1e-6 and an absolute one of 1e-9. Known mistakes with their own hints:
        a correlation of the kernels instead of their convolution, the right kernel flipped,
        and a kernel of the wrong size.
    """
    mistakes = [
        Mistake(
            "You correlated the two kernels. Two correlations in a row are one correlation "
            "with the *convolution* of the kernels: w = signal.convolve2d(a, b), not "
            "signal.correlate2d(a, b).",
            function=_full_correlation,
        ),
        Mistake(
            "You correlated the two kernels. Two correlations in a row are one correlation "
            "with the *convolution* of the kernels: w = signal.convolve2d(a, b), not "
            "signal.correlate2d(b, a).",
            function=lambda a, b: _full_correlation(b, a),
        ),
        Mistake(
            "Your kernel is the right one rotated by 180 degrees. If you sent an impulse "
            "through the two layers: a correlation returns its kernel flipped, so flip the "
            "result back (result[::-1, ::-1]).",
            function=lambda a, b: np.flip(_full_convolution(a, b)),
        ),
    ]
    shape_mistakes = [
        (
            lambda case: case[0].shape,
            "The combined kernel is larger than either kernel: two layers of widths ka and kb "
            "see ka + kb - 1 pixels, so w has shape (ay + by - 1, ax + bx - 1) (e.g. 5x5 for "
            "two 3x3 kernels). An elementwise or matrix product of the kernels is not it.",
        ),
    ]
    return check_function(
        "check_combined_kernel",
        func,
        _full_convolution,
        _kernel_pair_cases(),
        rtol=1e-6,
        atol=1e-9,
        mistakes=mistakes,
        shape_mistakes=shape_mistakes,
    )
