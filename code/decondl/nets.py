"""Convolutional building blocks, small Keras networks and receptive-field tools.

Used by chapter 1 (CNN building blocks) and chapter 2 (U-Net and the receptive field).

The first half of the module is plain NumPy and is what chapter 1 teaches: correlation and
convolution, activation functions, pooling, upsampling and transposed convolution, the
parameter count of a convolution layer. Chapter 1 writes the pixel loop of a correlation
inline and then uses :func:`correlate` from here.

The second half builds and trains small Keras models (a shallow CNN without pooling and a
U-Net) and measures their receptive field, analytically (:func:`receptive_field`) and
empirically (:func:`empirical_receptive_field`). TensorFlow and Keras are imported inside
the functions that need them, so ``import decondl.nets`` stays cheap.

Shapes follow Keras: a batch of images is ``(n, *spatial, channels)``; the NumPy helpers
take images without batch and channel axes, ``(ny, nx)`` or ``(nz, ny, nx)``.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import random
import sys
import time
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from decondl._checks import as_bool
from decondl._checks import as_rng as _as_rng

__all__ = [
    "ACTIVATIONS",
    "KERNEL_NAMES",
    "POOLINGS",
    "activate",
    "blur_extent_px",
    "conv_param_count",
    "convolve",
    "correlate",
    "empirical_receptive_field",
    "feature_maps",
    "kernel",
    "layer_table",
    "pool",
    "predict",
    "receptive_field",
    "receptive_field_extent",
    "receptive_field_interval",
    "receptive_field_table",
    "seed_everything",
    "shallow_cnn",
    "shallow_cnn_layers",
    "train",
    "transposed_conv",
    "unet",
    "unet_layers",
    "unet_shapes",
    "upsample",
]

#: Names accepted by :func:`kernel`.
KERNEL_NAMES = (
    "identity",
    "box blur",
    "gaussian blur",
    "sharpen",
    "edges (x)",
    "edges (y)",
    "laplacian",
)
#: Names accepted by :func:`activate` (the Keras names, with the Keras definitions).
ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh")
#: Pooling modes accepted by :func:`pool` (and ``"none"`` in :func:`feature_maps`).
POOLINGS = ("max", "average")
#: Slope of ``leaky_relu`` for negative inputs (the Keras 3 default).
LEAKY_RELU_SLOPE = 0.2


# --------------------------------------------------------------------------- validation


def _check_int(value, name: str, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _check_choice(value, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {list(choices)}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def _check_image(image, name: str = "image", ndims: Sequence[int] = (2, 3)) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real-valued array, got dtype {array.dtype}")
    if array.ndim not in ndims:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndims))} dimensions, got shape {array.shape}"
        )
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return array


def _check_ndim(ndim) -> int:
    ndim = _check_int(ndim, "ndim")
    if ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 or 3, got {ndim}")
    return ndim


# --------------------------------------------------------------------------- NumPy building blocks


def kernel(name: str) -> np.ndarray:
    """Return a classic 3x3 image-processing kernel by name.

    Parameters
    ----------
    name : str
        One of :data:`KERNEL_NAMES`: ``"identity"``, ``"box blur"`` (mean of 3x3),
        ``"gaussian blur"`` (binomial ``[1, 2, 1]`` outer product / 16), ``"sharpen"``
        (identity plus a negative Laplacian), ``"edges (x)"`` and ``"edges (y)"`` (Sobel:
        respond to intensity changes along x, i.e. vertical edges, and along y), and
        ``"laplacian"`` (second derivative, responds to spots and edges of any direction).

    Returns
    -------
    kernel : ndarray of float64, shape (3, 3)
        A new array (free to modify).

    Raises
    ------
    ValueError
        If ``name`` is not a known kernel.

    Notes
    -----
    The blur kernels sum to 1 (they preserve a constant image); the edge and Laplacian
    kernels sum to 0 (they ignore a constant image and respond only to change).

    Examples
    --------
    >>> kernel("edges (x)")
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    _check_choice(name, "name", KERNEL_NAMES)
    binomial = np.array([1.0, 2.0, 1.0])
    derivative = np.array([-1.0, 0.0, 1.0])
    laplacian = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    identity = np.zeros((3, 3))
    identity[1, 1] = 1.0
    kernels = {
        "identity": identity,
        "box blur": np.full((3, 3), 1.0 / 9.0),
        "gaussian blur": np.outer(binomial, binomial) / 16.0,
        "sharpen": identity - laplacian,
        "edges (x)": np.outer(binomial, derivative),
        "edges (y)": np.outer(derivative, binomial),
        "laplacian": laplacian,
    }
    return kernels[name]


def correlate(image, weights, *, padding: str = "same") -> np.ndarray:
    r"""Cross-correlate an image with a kernel, the operation a CNN layer calls "convolution".

    Taught in chapter 1 as an explicit loop over output pixels; this implementation loops
    over the (few) kernel entries instead and adds shifted copies of the image, which gives
    the same numbers much faster.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Input image (any real dtype; integers are converted to float64).
    weights : array_like, same number of dimensions as ``image``
        The kernel. With ``padding="same"`` every side must be odd, so that the kernel has
        a centre pixel.
    padding : {"same", "valid"}
        ``"same"``: pad the image with zeros so the output has the image's shape (as Keras
        ``padding="same"`` and ``scipy.ndimage.correlate(..., mode="constant")``).
        ``"valid"``: no padding; the output shrinks by ``kernel size - 1`` along each axis.

    Returns
    -------
    ndarray, shape ``image.shape`` (same) or ``image.shape - weights.shape + 1`` (valid)
        In the result type of ``image`` and ``weights`` (float32 stays float32).

    Raises
    ------
    TypeError
        If an argument is not a real-valued array.
    ValueError
        If the dimensions differ, a kernel side is even with ``padding="same"``, the kernel
        is larger than the image with ``padding="valid"``, or ``padding`` is unknown.

    Notes
    -----
    .. math:: (I \star w)[\mathbf{i}] = \sum_{\mathbf{m}} w[\mathbf{m}]\,
              I[\mathbf{i} + \mathbf{m}],

    with :math:`\mathbf{m}` running over kernel offsets relative to the kernel centre
    ("same") or its first pixel ("valid"). Convolution (:func:`convolve`) is the same sum
    with :math:`I[\mathbf{i} - \mathbf{m}]`: correlation with the kernel flipped.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 5)); image[2, 2] = 1.0
    >>> w = np.arange(9.0).reshape(3, 3)
    >>> correlate(image, w)[1:4, 1:4]  # an impulse returns the kernel flipped
    array([[8., 7., 6.],
           [5., 4., 3.],
           [2., 1., 0.]])
    """
    image = _check_image(image)
    weights = _check_image(weights, "weights", ndims=(image.ndim,))
    _check_choice(padding, "padding", ("same", "valid"))
    dtype = np.result_type(image.dtype, weights.dtype)
    if padding == "same":
        if any(k % 2 == 0 for k in weights.shape):
            raise ValueError(
                f"weights must have odd sides with padding='same' (a centre pixel), "
                f"got shape {weights.shape}"
            )
        pads = [(k // 2, k // 2) for k in weights.shape]
        padded = np.pad(image, pads)
        out_shape = image.shape
    else:
        if any(k > n for k, n in zip(weights.shape, image.shape, strict=True)):
            raise ValueError(
                f"weights {weights.shape} must not be larger than image {image.shape} "
                "with padding='valid'"
            )
        padded = image
        out_shape = tuple(n - k + 1 for n, k in zip(image.shape, weights.shape, strict=True))
    out = np.zeros(out_shape, dtype=dtype)
    for offset in np.ndindex(*weights.shape):
        w = weights[offset]
        if w != 0:
            window = tuple(slice(o, o + n) for o, n in zip(offset, out_shape, strict=True))
            out += w * padded[window]
    return out


def convolve(image, weights, *, padding: str = "same") -> np.ndarray:
    r"""Convolve an image with a kernel (correlation with the kernel flipped).

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Input image.
    weights : array_like, same number of dimensions as ``image``
        The kernel (odd sides with ``padding="same"``).
    padding : {"same", "valid"}
        As in :func:`correlate`.

    Returns
    -------
    ndarray
        Same shape rules as :func:`correlate`; equals ``scipy.ndimage.convolve(image,
        weights, mode="constant")`` for ``"same"`` and ``scipy.signal.convolve(image,
        weights, mode="valid")`` for ``"valid"``.

    Raises
    ------
    TypeError, ValueError
        As in :func:`correlate`.

    Notes
    -----
    .. math:: (I \ast w)[\mathbf{i}] = \sum_{\mathbf{m}} w[\mathbf{m}]\,
              I[\mathbf{i} - \mathbf{m}].

    Convolution is what optics does (the image is the object convolved with the PSF);
    for a symmetric kernel, such as most PSFs, convolution and correlation agree.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 5)); image[2, 2] = 1.0
    >>> w = np.arange(9.0).reshape(3, 3)
    >>> bool(np.array_equal(convolve(image, w)[1:4, 1:4], w))  # an impulse returns the kernel
    True
    """
    weights = _check_image(weights, "weights")
    return correlate(image, np.flip(weights), padding=padding)


def activate(x, name: str) -> np.ndarray:
    r"""Apply an activation function elementwise.

    Parameters
    ----------
    x : array_like
        Any shape.
    name : str
        One of :data:`ACTIVATIONS`: ``"linear"`` (no change), ``"relu"``, ``"leaky_relu"``
        (slope 0.2 for negative inputs, as Keras 3), ``"elu"``, ``"sigmoid"``, ``"tanh"``.

    Returns
    -------
    ndarray
        Same shape as ``x``, floating point.

    Raises
    ------
    TypeError, ValueError
        If ``x`` is not real-valued or ``name`` is unknown.

    Notes
    -----
    .. math::
        \mathrm{relu}(x) = \max(x, 0), \quad
        \mathrm{leaky\_relu}(x) = \max(x, 0.2x), \quad
        \mathrm{elu}(x) = x \text{ if } x > 0 \text{ else } e^x - 1,

    .. math::
        \mathrm{sigmoid}(x) = \frac{1}{1 + e^{-x}}, \quad
        \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}.

    Examples
    --------
    >>> activate([-2.0, 0.0, 3.0], "relu")
    array([0., 0., 3.])
    """
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"x must be real-valued, got dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    _check_choice(name, "name", ACTIVATIONS)
    if name == "linear":
        return array.copy()
    if name == "relu":
        return np.maximum(array, 0)
    if name == "leaky_relu":
        return np.where(array > 0, array, array * array.dtype.type(LEAKY_RELU_SLOPE))
    if name == "elu":
        return np.where(array > 0, array, np.expm1(np.minimum(array, 0)))
    if name == "sigmoid":
        # split by sign so that exp never overflows
        e = np.exp(-np.abs(array))
        return np.where(array >= 0, 1 / (1 + e), e / (1 + e))
    return np.tanh(array)


def pool(image, size: int = 2, mode: str = "max") -> np.ndarray:
    r"""Downsample by taking the maximum or mean of non-overlapping blocks.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Input image.
    size : int
        Block side (pooling window and stride), >= 1.
    mode : {"max", "average"}
        Keep the largest value of each block, or its mean.

    Returns
    -------
    ndarray, shape ``image.shape // size``
        Trailing rows/columns that do not fill a whole block are dropped, as in Keras'
        ``MaxPooling2D`` / ``AveragePooling2D`` with ``padding="valid"``.

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not a 2D/3D real array, ``size`` is not a positive int or larger
        than the image, or ``mode`` is unknown.

    Notes
    -----
    For ``mode="max"``: :math:`P[\mathbf{i}] = \max_{\mathbf{m} \in \{0..s-1\}^d}
    I[s\mathbf{i} + \mathbf{m}]`. Each pooling layer halves (``size=2``) the image, so a
    3x3 kernel in the next layer sees a region twice as wide of the original image.

    Examples
    --------
    >>> import numpy as np
    >>> pool(np.arange(16.0).reshape(4, 4), 2, "max")
    array([[ 5.,  7.],
           [13., 15.]])
    """
    image = _check_image(image)
    size = _check_int(size, "size")
    _check_choice(mode, "mode", POOLINGS)
    if any(n < size for n in image.shape):
        raise ValueError(f"size={size} is larger than the image {image.shape}")
    out_shape = tuple(n // size for n in image.shape)
    cropped = image[tuple(slice(0, m * size) for m in out_shape)]
    blocks = cropped.reshape(tuple(v for m in out_shape for v in (m, size)))
    axes = tuple(range(1, 2 * image.ndim, 2))
    return blocks.max(axis=axes) if mode == "max" else blocks.mean(axis=axes)


def upsample(image, factor: int = 2) -> np.ndarray:
    r"""Enlarge an image by repeating each pixel (nearest-neighbour upsampling).

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Input image.
    factor : int
        Upsampling factor along every axis, >= 1.

    Returns
    -------
    ndarray, shape ``image.shape * factor``
        As Keras ``UpSampling2D(factor)``.

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not a 2D/3D real array or ``factor`` is not a positive int.

    Notes
    -----
    :math:`U[\mathbf{i}] = I[\lfloor \mathbf{i} / f \rfloor]`. Equivalent to a
    :func:`transposed_conv` with a kernel of ones of side ``factor`` and stride ``factor``.

    Examples
    --------
    >>> upsample([[1.0, 2.0]], 2)
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    image = _check_image(image)
    factor = _check_int(factor, "factor")
    for axis in range(image.ndim):
        image = np.repeat(image, factor, axis=axis)
    return image


def transposed_conv(image, weights, stride: int = 2) -> np.ndarray:
    r"""Transposed convolution: every input pixel stamps a scaled copy of the kernel.

    The learnable upsampling of U-Net's decoder.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        Input image.
    weights : array_like, same number of dimensions as ``image``
        The kernel, any side >= 1.
    stride : int
        Distance between the stamps in the output, >= 1 (2 doubles the size).

    Returns
    -------
    ndarray, shape ``(image.shape - 1) * stride + weights.shape``
        As Keras ``Conv2DTranspose(1, weights.shape, strides=stride, padding="valid",
        use_bias=False)`` with this kernel.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a real array, the dimensions differ, or ``stride`` is not a
        positive int.

    Notes
    -----
    .. math:: T[s\mathbf{i} + \mathbf{m}] \mathrel{+}= I[\mathbf{i}]\, w[\mathbf{m}].

    It is the adjoint (transpose) of a correlation with stride ``s``, hence the name; it is
    not the inverse of a convolution. With kernel side equal to the stride the stamps do not
    overlap.

    Examples
    --------
    >>> import numpy as np
    >>> transposed_conv([[1.0, 2.0]], np.ones((2, 2)), stride=2)
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    image = _check_image(image)
    weights = _check_image(weights, "weights", ndims=(image.ndim,))
    stride = _check_int(stride, "stride")
    out_shape = tuple((n - 1) * stride + k for n, k in zip(image.shape, weights.shape, strict=True))
    out = np.zeros(out_shape, dtype=np.result_type(image.dtype, weights.dtype))
    for offset in np.ndindex(*weights.shape):
        target = tuple(
            slice(o, o + (n - 1) * stride + 1, stride)
            for o, n in zip(offset, image.shape, strict=True)
        )
        out[target] += weights[offset] * image
    return out


def feature_maps(image, kernel_name: str, activation: str = "relu", pooling: str = "max"):
    r"""Run one convolution layer by hand: correlate, activate, pool.

    The pure function behind chapter 1's feature-map widget.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Input image.
    kernel_name : str
        One of :data:`KERNEL_NAMES` (see :func:`kernel`).
    activation : str
        One of :data:`ACTIVATIONS`.
    pooling : {"max", "average", "none"}
        2x2 pooling after the activation, or none.

    Returns
    -------
    dict of str to ndarray
        ``"kernel"`` (3, 3), ``"conv"`` (ny, nx), ``"activated"`` (ny, nx) and ``"pooled"``
        (ny // 2, nx // 2), or (ny, nx) when ``pooling="none"``.

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not 2D or a name is unknown.

    Notes
    -----
    :math:`F = \mathrm{pool}(\sigma(I \star w))`, one channel of a CNN layer without bias.

    Examples
    --------
    >>> import numpy as np
    >>> maps = feature_maps(np.ones((8, 8)), "laplacian", "relu", "max")
    >>> maps["pooled"].shape
    (4, 4)
    """
    image = _check_image(image, ndims=(2,))
    _check_choice(pooling, "pooling", (*POOLINGS, "none"))
    weights = kernel(kernel_name)
    conv = correlate(image, weights)
    activated = activate(conv, activation)
    pooled = activated if pooling == "none" else pool(activated, 2, pooling)
    return {"kernel": weights, "conv": conv, "activated": activated, "pooled": pooled}


def conv_param_count(
    kernel_size: int, in_channels: int, out_channels: int, *, ndim: int = 2, bias: bool = True
) -> int:
    r"""Count the trainable numbers of a convolution layer.

    Parameters
    ----------
    kernel_size : int
        Kernel side ``k`` (the kernel is ``k x k`` in 2D, ``k x k x k`` in 3D).
    in_channels, out_channels : int
        Channels of the layer's input and output.
    ndim : {2, 3}
        Spatial dimensions.
    bias : bool
        Whether each output channel has a bias (Keras' default ``use_bias=True``).

    Returns
    -------
    int

    Raises
    ------
    TypeError, ValueError
        If a count is not a positive int or ``ndim`` is not 2 or 3.

    Notes
    -----
    .. math:: N = k^{d}\, C_\mathrm{in}\, C_\mathrm{out} + C_\mathrm{out}\,[\text{bias}].

    The same count holds for a transposed convolution (Keras ``Conv2DTranspose``). Pooling,
    upsampling and activation layers have no parameters.

    Examples
    --------
    >>> conv_param_count(3, 1, 8)
    80
    """
    bias = as_bool(bias, "bias")
    k = _check_int(kernel_size, "kernel_size")
    c_in = _check_int(in_channels, "in_channels")
    c_out = _check_int(out_channels, "out_channels")
    ndim = _check_ndim(ndim)
    return k**ndim * c_in * c_out + (c_out if bias else 0)


# --------------------------------------------------------------------------- receptive field


def _check_layers(layers) -> list[tuple[str, int]]:
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError("layers must be a sequence of (kind, size) pairs, e.g. [('conv', 3)]")
    checked = []
    for index, layer in enumerate(layers):
        if not (isinstance(layer, Sequence) and len(layer) == 2 and isinstance(layer[0], str)):
            raise TypeError(f"layers[{index}] must be a (kind, size) pair, got {layer!r}")
        kind, size = layer
        _check_choice(kind, f"layers[{index}] kind", ("conv", "pool", "up"))
        checked.append((kind, _check_int(size, f"layers[{index}] size")))
    return checked


def receptive_field_table(layers) -> list[dict]:
    r"""Trace the receptive field through a stack of layers.

    Parameters
    ----------
    layers : sequence of (str, int)
        The layers along one input-to-output path, in order: ``("conv", k)`` for a
        ``k``-wide convolution with stride 1, ``("pool", s)`` for pooling with window and
        stride ``s``, ``("up", s)`` for upsampling by ``s`` (nearest-neighbour or a
        transposed convolution with kernel side ``s``).

    Returns
    -------
    list of dict
        One row per layer with keys ``"layer"`` (e.g. ``"conv 3"``), ``"jump"`` (spacing,
        in input pixels, of the layer's output pixels) and ``"size"`` (receptive field
        after this layer, input pixels per axis).

    Raises
    ------
    TypeError, ValueError
        If ``layers`` is malformed, or upsampling makes the grid finer than the input.

    Notes
    -----
    Start with :math:`r_0 = 1, j_0 = 1`. A convolution or pooling window of width
    :math:`k` adds :math:`(k - 1)\, j` input pixels, and a stride :math:`s` multiplies
    the spacing :math:`j` by :math:`s`; upsampling by :math:`s` divides it:

    .. math:: r_\ell = r_{\ell-1} + (k_\ell - 1)\, j_{\ell-1}, \qquad
              j_\ell = j_{\ell-1}\, s_\ell.

    See Araujo, Norris and Sim (2019), *Computing receptive fields of convolutional
    neural networks*, Distill, :doi:`10.23915/distill.00021`.

    Examples
    --------
    >>> [row["size"] for row in receptive_field_table([("conv", 3), ("pool", 2), ("conv", 3)])]
    [3, 4, 8]
    """
    size, jump = Fraction(1), Fraction(1)
    rows = []
    for kind, k in _check_layers(layers):
        if kind == "conv":
            size += (k - 1) * jump
        elif kind == "pool":
            size += (k - 1) * jump
            jump *= k
        else:
            jump /= k
            if jump < 1:
                raise ValueError(
                    "layers upsample more than they pool: the output grid would be finer than "
                    "the input, which this formula does not cover"
                )
        rows.append({"layer": f"{kind} {k}", "jump": int(jump), "size": int(size)})
    return rows


def receptive_field(layers) -> int:
    r"""Receptive field (input pixels per axis) of a stack of layers.

    Parameters
    ----------
    layers : sequence of (str, int)
        See :func:`receptive_field_table`; e.g. from :func:`shallow_cnn_layers` or
        :func:`unet_layers`.

    Returns
    -------
    int
        Width of the input region that can influence one output pixel.

    Raises
    ------
    TypeError, ValueError
        As :func:`receptive_field_table`.

    Notes
    -----
    :math:`r_L = 1 + \sum_\ell (k_\ell - 1)\, j_{\ell - 1}`, the last entry of
    :func:`receptive_field_table` (:math:`j` is the product of the strides so far, divided
    by the upsampling factors). For a network with several paths (a U-Net's skip
    connections) pass the longest path: the receptive field is the union over paths.

    The formula is exact for convolutions and pooling. After upsampling, neighbouring
    output pixels are computed from the same coarse pixels, and the exact receptive field
    depends on where the output pixel sits relative to the pooling grid; the formula then
    gives its average over positions. :func:`receptive_field_interval` traces it exactly.

    Examples
    --------
    >>> receptive_field(shallow_cnn_layers(n_layers=4, kernel_size=3))
    9
    """
    rows = receptive_field_table(layers)
    return rows[-1]["size"] if rows else 1


def receptive_field_interval(layers, position: int) -> tuple[int, int]:
    r"""Exact range of input pixels that can influence one output pixel (per axis).

    Traces the layers backwards from the output pixel, ignoring the image borders.

    Parameters
    ----------
    layers : sequence of (str, int)
        See :func:`receptive_field_table`. Convolutions use Keras' ``padding="same"``;
        pooling windows are aligned at pixel 0.
    position : int
        Index of the output pixel along the axis (in the output grid).

    Returns
    -------
    (int, int)
        First and last input pixel of the receptive field; its size is
        ``last - first + 1``.

    Raises
    ------
    TypeError, ValueError
        If ``layers`` is malformed or ``position`` is not an int.

    Notes
    -----
    Backwards through a layer, the pixel range :math:`[a, b]` of its output becomes, at
    its input: :math:`[a - \lfloor (k-1)/2 \rfloor, b + \lfloor k/2 \rfloor]` for a
    convolution of width :math:`k`; :math:`[s a, s b + s - 1]` for pooling by :math:`s`;
    :math:`[\lfloor a / s \rfloor, \lfloor b / s \rfloor]` for upsampling by :math:`s`.

    Examples
    --------
    >>> layers = unet_layers(depth=3)
    >>> [receptive_field_interval(layers, p) for p in (0, 2)]  # sizes 92 and 100
    [(-46, 45), (-46, 53)]
    """
    layers = _check_layers(layers)
    if isinstance(position, bool) or not isinstance(position, numbers.Integral):
        raise TypeError(f"position must be an int, got {type(position).__name__}")
    first = last = int(position)
    for kind, k in reversed(layers):
        if kind == "conv":
            first, last = first - (k - 1) // 2, last + k // 2
        elif kind == "pool":
            first, last = k * first, k * last + k - 1
        else:
            first, last = first // k, last // k
    return first, last


def shallow_cnn_layers(n_layers: int = 4, kernel_size: int = 3) -> list[tuple[str, int]]:
    """Layer list of :func:`shallow_cnn` for :func:`receptive_field`.

    Parameters
    ----------
    n_layers : int
        Hidden convolution layers.
    kernel_size : int
        Their kernel side.

    Returns
    -------
    list of (str, int)
        ``n_layers`` times ``("conv", kernel_size)``, then the final ``("conv", 1)``.

    Examples
    --------
    >>> shallow_cnn_layers(2, 5)
    [('conv', 5), ('conv', 5), ('conv', 1)]
    """
    n_layers = _check_int(n_layers, "n_layers")
    kernel_size = _check_int(kernel_size, "kernel_size")
    return [("conv", kernel_size)] * n_layers + [("conv", 1)]


def unet_layers(
    depth: int = 3, kernel_size: int = 3, convs_per_level: int = 2
) -> list[tuple[str, int]]:
    """Longest path through :func:`unet` as a layer list for :func:`receptive_field`.

    Parameters
    ----------
    depth : int
        Number of poolings (levels below the top), >= 1.
    kernel_size : int
        Convolution kernel side.
    convs_per_level : int
        Convolutions at each level of the encoder, bottleneck and decoder.

    Returns
    -------
    list of (str, int)
        Down the encoder, through the bottleneck and up the decoder, then ``("conv", 1)``.

    Examples
    --------
    >>> receptive_field(unet_layers(depth=1, kernel_size=3, convs_per_level=1))
    10
    """
    depth = _check_int(depth, "depth")
    kernel_size = _check_int(kernel_size, "kernel_size")
    convs_per_level = _check_int(convs_per_level, "convs_per_level")
    convs = [("conv", kernel_size)] * convs_per_level
    layers = []
    for _ in range(depth):
        layers += convs + [("pool", 2)]
    layers += convs
    for _ in range(depth):
        layers += [("up", 2)] + convs
    return layers + [("conv", 1)]


def unet_shapes(input_size: int, depth: int = 3, n_filters: int = 16) -> list[dict]:
    r"""Sizes and channels of the feature maps of :func:`unet` (for diagrams and checks).

    Parameters
    ----------
    input_size : int
        Image side in pixels; must be divisible by ``2**depth``.
    depth : int
        Number of poolings.
    n_filters : int
        Channels at the top level; doubled at each level down.

    Returns
    -------
    list of dict
        One dict per level, top first, with keys ``"level"``, ``"size"`` (feature-map side,
        pixels), ``"channels"`` (channels of the convolutions at that level) and
        ``"concat_channels"`` (channels after the skip concatenation in the decoder; ``None``
        at the bottom level, the bottleneck).

    Raises
    ------
    ValueError
        If ``input_size`` is not divisible by ``2**depth``.

    Notes
    -----
    Level :math:`\ell` has side :math:`N / 2^\ell` and :math:`F\, 2^\ell` channels.

    Examples
    --------
    >>> [(s["size"], s["channels"]) for s in unet_shapes(64, depth=2, n_filters=8)]
    [(64, 8), (32, 16), (16, 32)]
    """
    input_size = _check_int(input_size, "input_size")
    depth = _check_int(depth, "depth")
    n_filters = _check_int(n_filters, "n_filters")
    if input_size % 2**depth:
        raise ValueError(f"input_size must be divisible by 2**depth = {2**depth}, got {input_size}")
    return [
        {
            "level": level,
            "size": input_size // 2**level,
            "channels": n_filters * 2**level,
            "concat_channels": 2 * n_filters * 2**level if level < depth else None,
        }
        for level in range(depth + 1)
    ]


def blur_extent_px(sigma_px: float, fraction: float = 0.99, ndim: int = 2) -> float:
    r"""Diameter of the disc (ball) holding a given fraction of a Gaussian blur's light.

    Parameters
    ----------
    sigma_px : float
        Standard deviation of the Gaussian PSF in pixels, > 0.
    fraction : float
        Fraction of the light, in (0, 1).
    ndim : {2, 3}
        Dimensions of the (isotropic) Gaussian.

    Returns
    -------
    float
        Diameter in pixels.

    Raises
    ------
    TypeError, ValueError
        If an argument is out of range.

    Notes
    -----
    The squared distance from the centre, divided by :math:`\sigma^2`, follows a
    chi-squared law with ``ndim`` degrees of freedom; in 2D its quantile is
    :math:`-2 \ln(1 - p)`, so :math:`D = 2\sigma\sqrt{-2\ln(1-p)}`, about
    :math:`6.07\,\sigma` for :math:`p = 0.99`.

    Examples
    --------
    >>> round(blur_extent_px(1.0, 0.99), 2)
    6.07
    """
    if isinstance(sigma_px, bool) or not isinstance(sigma_px, numbers.Real):
        raise TypeError(f"sigma_px must be a number, got {type(sigma_px).__name__}")
    if not (math.isfinite(sigma_px) and sigma_px > 0):
        raise ValueError(f"sigma_px must be a positive number of pixels, got {sigma_px!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise TypeError(f"fraction must be a number in (0, 1), got {type(fraction).__name__}")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    ndim = _check_ndim(ndim)
    from scipy.stats import chi2

    return float(2.0 * sigma_px * math.sqrt(chi2.ppf(fraction, df=ndim)))


# --------------------------------------------------------------------------- Keras models


@contextlib.contextmanager
def _silenced_stderr_fd():
    """Send whatever C libraries write to file descriptor 2 to /dev/null, for a moment."""
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
    except (AttributeError, OSError, ValueError):  # no real file descriptor: nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _tensorflow():
    """Import TensorFlow, without its C++ start-up messages.

    TensorFlow logs several lines (oneDNN, CUDA stubs, CPU features) to the process's
    standard error while it is imported, before its logging can be configured, so that
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them. They are noise for readers of the book and
    look like build warnings in its log; the first import therefore runs with file
    descriptor 2 silenced. Python exceptions are not affected.
    """
    if "tensorflow" not in sys.modules:
        with _silenced_stderr_fd():
            import tensorflow  # noqa: F401
    return sys.modules["tensorflow"]


def _keras():
    """Import Keras (after TensorFlow, quietly; see :func:`_tensorflow`)."""
    _tensorflow()
    import keras

    return keras


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy's global generator and TensorFlow/Keras; make TF ops deterministic.

    Call it once before building a model: Keras initialises weights from its own seed.

    Parameters
    ----------
    seed : int
        The seed, >= 0.
    deterministic : bool
        Also call ``tf.config.experimental.enable_op_determinism()``, so that training
        repeats exactly (same numbers in every build), at some cost in speed on a GPU.

    Raises
    ------
    TypeError, ValueError
        If ``seed`` is not a non-negative int.

    Examples
    --------
    >>> seed_everything(0)  # doctest: +SKIP
    """
    deterministic = as_bool(deterministic, "deterministic")
    seed = _check_int(seed, "seed", low=0)
    keras = _keras()

    random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy's legacy global state and the backend
    if deterministic:
        tf = _tensorflow()

        tf.config.experimental.enable_op_determinism()


def _layers_for(ndim: int):
    keras = _keras()

    layers = keras.layers
    if ndim == 2:
        return layers.Conv2D, layers.Conv2DTranspose, layers.MaxPooling2D, layers.AveragePooling2D
    return layers.Conv3D, layers.Conv3DTranspose, layers.MaxPooling3D, layers.AveragePooling3D


def shallow_cnn(
    *,
    ndim: int = 2,
    n_layers: int = 4,
    n_filters: int = 32,
    kernel_size: int = 3,
    activation: str = "relu",
    in_channels: int = 1,
    out_channels: int = 1,
):
    r"""Build a plain stack of convolutions without pooling (a small receptive field).

    Parameters
    ----------
    ndim : {2, 3}
        Spatial dimensions.
    n_layers : int
        Hidden convolution layers, each ``kernel_size`` wide with ``n_filters`` channels
        and the activation.
    n_filters : int
        Channels of the hidden layers.
    kernel_size : int
        Kernel side (odd).
    activation : str
        Keras activation of the hidden layers, one of :data:`ACTIVATIONS`.
    in_channels, out_channels : int
        Channels of input and output images.

    Returns
    -------
    keras.Model
        Input ``(batch, *spatial, in_channels)`` with any spatial size, output of the same
        spatial size with ``out_channels`` channels; the last layer is a linear 1x1
        convolution.

    Raises
    ------
    TypeError, ValueError
        If an argument is out of range.

    Notes
    -----
    Receptive field :math:`1 + L(k - 1)` pixels (:func:`shallow_cnn_layers`); parameters
    :math:`k^d C_\mathrm{in} F + F + (L - 1)(k^d F^2 + F) + F C_\mathrm{out} + C_\mathrm{out}`.

    Examples
    --------
    >>> model = shallow_cnn(n_layers=2, n_filters=4)  # doctest: +SKIP
    >>> model.count_params()  # doctest: +SKIP
    193
    """
    ndim = _check_ndim(ndim)
    n_layers = _check_int(n_layers, "n_layers")
    n_filters = _check_int(n_filters, "n_filters")
    kernel_size = _check_odd(kernel_size)
    _check_choice(activation, "activation", ACTIVATIONS)
    in_channels = _check_int(in_channels, "in_channels")
    out_channels = _check_int(out_channels, "out_channels")
    keras = _keras()

    conv, *_ = _layers_for(ndim)
    inputs = keras.Input((None,) * ndim + (in_channels,), name="input")
    x = inputs
    for i in range(n_layers):
        x = conv(
            n_filters, kernel_size, padding="same", activation=activation, name=f"conv{i + 1}"
        )(x)
    outputs = conv(out_channels, 1, name="output")(x)
    return keras.Model(inputs, outputs, name="shallow_cnn")


def _check_odd(kernel_size) -> int:
    kernel_size = _check_int(kernel_size, "kernel_size")
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (a centre pixel), got {kernel_size}")
    return kernel_size


def unet(
    *,
    ndim: int = 2,
    depth: int = 3,
    n_filters: int = 16,
    kernel_size: int = 3,
    convs_per_level: int = 2,
    activation: str = "relu",
    pooling: str = "max",
    in_channels: int = 1,
    out_channels: int = 1,
):
    """Build a U-Net from Keras layers (Ronneberger et al., 2015).

    Encoder: at each level ``convs_per_level`` convolutions, then 2x pooling, channels
    doubling level by level. Bottleneck: ``convs_per_level`` convolutions. Decoder: a
    transposed convolution (kernel 2, stride 2) doubles the size, its output is
    concatenated with the encoder's feature maps of the same level (skip connection) and
    followed by ``convs_per_level`` convolutions. A linear 1x1 convolution gives the output.

    Parameters
    ----------
    ndim : {2, 3}
        Spatial dimensions.
    depth : int
        Number of poolings, >= 1. Input sides must be divisible by ``2**depth``.
    n_filters : int
        Channels at the top level (``n_filters * 2**level`` further down).
    kernel_size : int
        Convolution kernel side (odd).
    convs_per_level : int
        Convolutions per level.
    activation : str
        Keras activation of the convolutions, one of :data:`ACTIVATIONS`.
    pooling : {"max", "average"}
        Pooling type.
    in_channels, out_channels : int
        Channels of input and output images.

    Returns
    -------
    keras.Model
        Input ``(batch, *spatial, in_channels)``, output ``(batch, *spatial,
        out_channels)``; layer names ``enc{level}_conv{i}``, ``pool{level}``,
        ``bottleneck_conv{i}``, ``up{level}``, ``concat{level}``, ``dec{level}_conv{i}``,
        ``output``.

    Raises
    ------
    TypeError, ValueError
        If an argument is out of range.

    Notes
    -----
    Receptive field: :func:`receptive_field` of :func:`unet_layers`; each pooling doubles
    the growth of the receptive field per convolution, so it grows exponentially with
    ``depth``. Feature-map shapes: :func:`unet_shapes`.

    References
    ----------
    .. [1] O. Ronneberger, P. Fischer, T. Brox, "U-Net: Convolutional Networks for
       Biomedical Image Segmentation", MICCAI 2015, :doi:`10.1007/978-3-319-24574-4_28`.

    Examples
    --------
    >>> model = unet(depth=2, n_filters=8)  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, None, None, 1)
    """
    ndim = _check_ndim(ndim)
    depth = _check_int(depth, "depth")
    n_filters = _check_int(n_filters, "n_filters")
    kernel_size = _check_odd(kernel_size)
    convs_per_level = _check_int(convs_per_level, "convs_per_level")
    _check_choice(activation, "activation", ACTIVATIONS)
    _check_choice(pooling, "pooling", POOLINGS)
    in_channels = _check_int(in_channels, "in_channels")
    out_channels = _check_int(out_channels, "out_channels")
    keras = _keras()

    conv, conv_t, max_pool, avg_pool = _layers_for(ndim)
    pool_layer = max_pool if pooling == "max" else avg_pool

    def block(x, filters, prefix):
        for i in range(convs_per_level):
            x = conv(
                filters,
                kernel_size,
                padding="same",
                activation=activation,
                name=f"{prefix}_conv{i + 1}",
            )(x)
        return x

    inputs = keras.Input((None,) * ndim + (in_channels,), name="input")
    x = inputs
    skips = []
    for level in range(depth):
        x = block(x, n_filters * 2**level, f"enc{level}")
        skips.append(x)
        x = pool_layer(2, name=f"pool{level}")(x)
    x = block(x, n_filters * 2**depth, "bottleneck")
    for level in reversed(range(depth)):
        x = conv_t(n_filters * 2**level, 2, strides=2, name=f"up{level}")(x)
        x = keras.layers.Concatenate(name=f"concat{level}")([x, skips[level]])
        x = block(x, n_filters * 2**level, f"dec{level}")
    outputs = conv(out_channels, 1, name="output")(x)
    return keras.Model(inputs, outputs, name=f"unet_depth{depth}")


def layer_table(model) -> list[dict]:
    """List a Keras model's layers with output shapes and parameter counts.

    A compact alternative to ``model.summary()``.

    Parameters
    ----------
    model : keras.Model
        A built model (functional or Sequential).

    Returns
    -------
    list of dict
        Keys ``"name"``, ``"type"`` (class name), ``"output_shape"`` (tuple, ``None`` for
        unknown sizes) and ``"params"`` (int), in layer order (the input layer excluded).

    Examples
    --------
    >>> rows = layer_table(shallow_cnn(n_layers=1, n_filters=2))  # doctest: +SKIP
    >>> [(r["name"], r["params"]) for r in rows]  # doctest: +SKIP
    [('conv1', 20), ('output', 3)]
    """
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": tuple(layer.output.shape),
                "params": int(layer.count_params()),
            }
        )
    return rows


def empirical_receptive_field(
    model, shape, *, position=None, n_samples: int = 4, rng=0
) -> np.ndarray:
    r"""Measure which input pixels influence one output pixel of a model.

    Computes the gradient of one output pixel with respect to the input, for
    ``n_samples`` random input images, and sums its absolute value.

    Parameters
    ----------
    model : keras.Model
        A single-input model whose output has the input's spatial shape.
    shape : tuple of int
        Spatial shape of the probe images (2D or 3D, matching the model); should be larger
        than the receptive field, so that zero padding at the borders does not cut it.
    position : tuple of int, optional
        Index of the output pixel; default the centre, ``tuple(s // 2 for s in shape)``.
    n_samples : int
        Number of random probe images. With ReLU activations and max pooling some paths are
        switched off for one image; several images light up the whole receptive field.
    rng : numpy.random.Generator or int
        Source of the random probe images (uniform in [0, 1)).

    Returns
    -------
    ndarray of float64, shape ``shape``
        :math:`\sum_n |\partial y_c / \partial x|` summed over input and output channels;
        exactly zero outside the receptive field.

    Raises
    ------
    TypeError, ValueError
        If ``shape`` or ``position`` do not fit the model, or ``n_samples`` is not a
        positive int.

    Notes
    -----
    An input pixel lies in the receptive field of output pixel :math:`c` exactly when some
    path of nonzero weights and active units connects them, i.e. when
    :math:`\partial y_c / \partial x_\mathbf{i} \neq 0` for some input. Measure the size
    with :func:`receptive_field_extent`.

    Examples
    --------
    >>> grad = empirical_receptive_field(shallow_cnn(n_layers=2), (32, 32))  # doctest: +SKIP
    >>> receptive_field_extent(grad)  # doctest: +SKIP
    (5, 5)
    """
    shape = tuple(_check_int(s, "shape entries") for s in shape)
    spatial = len(model.input_shape) - 2
    if len(shape) != spatial:
        raise ValueError(f"shape must have {spatial} entries for this model, got {shape}")
    n_samples = _check_int(n_samples, "n_samples")
    rng = _as_rng(rng)
    tf = _tensorflow()

    channels = model.input_shape[-1]
    if position is None:
        position = tuple(s // 2 for s in shape)
    position = tuple(_check_int(p, "position entries", low=0) for p in position)
    if len(position) != len(shape) or any(p >= s for p, s in zip(position, shape, strict=True)):
        raise ValueError(f"position {position} must index a pixel of shape {shape}")
    total = np.zeros(shape)
    for _ in range(n_samples):
        probe = tf.Variable(rng.random((1, *shape, channels)).astype(np.float32))
        with tf.GradientTape() as tape:
            out = model(probe, training=False)
            value = tf.reduce_sum(out[(0, *position)])
        grad = tape.gradient(value, probe).numpy()[0]
        total += np.abs(grad).sum(axis=-1)
    return total


def receptive_field_extent(grad) -> tuple[int, ...]:
    """Size of the bounding box of the nonzero entries of a gradient map.

    Parameters
    ----------
    grad : array_like
        E.g. from :func:`empirical_receptive_field`.

    Returns
    -------
    tuple of int
        Extent along each axis in pixels (0 if the map is all zero).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((9, 9)); g[2:7, 3:6] = 1.0
    >>> receptive_field_extent(g)
    (5, 3)
    """
    grad = np.asarray(grad)
    nonzero = np.nonzero(grad)
    if nonzero[0].size == 0:
        return (0,) * grad.ndim
    return tuple(int(idx.max() - idx.min() + 1) for idx in nonzero)


# --------------------------------------------------------------------------- training


def _with_channel(images, spatial: int) -> np.ndarray:
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == spatial:
        array = array[None]
    if array.ndim != spatial + 1:
        raise ValueError(
            f"images must have shape (n, *spatial) or (*spatial) with {spatial} spatial "
            f"axes, got shape {array.shape}"
        )
    return array[..., None]


def _augment(batch_x, batch_y, rng, spatial):
    """Random flips of every spatial axis and a random 90 degree turn of the last two."""
    flips = rng.integers(0, 2, size=(batch_x.shape[0], spatial))
    turns = rng.integers(0, 4, size=batch_x.shape[0])
    plane = (spatial - 2, spatial - 1)
    if batch_x.shape[1 + plane[0]] != batch_x.shape[1 + plane[1]]:
        turns = 2 * (turns % 2)  # non-square: only half turns keep the shape
    xs, ys = [], []
    for x, y, flip, turn in zip(batch_x, batch_y, flips, turns, strict=True):
        axes = tuple(int(a) for a in np.flatnonzero(flip))
        xs.append(np.rot90(np.flip(x, axes), turn, axes=plane))
        ys.append(np.rot90(np.flip(y, axes), turn, axes=plane))
    return np.stack(xs), np.stack(ys)


def train(
    model,
    X,
    Y,
    *,
    validation_data,
    epochs: int,
    steps_per_epoch: int,
    rng,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    loss: str = "mse",
    augment: bool = True,
    verbose: int = 0,
) -> dict:
    r"""Train an image-to-image model on pairs, quietly, with batches drawn by ``rng``.

    Parameters
    ----------
    model : keras.Model
        Single-channel in and out (e.g. :func:`unet` or :func:`shallow_cnn`).
    X, Y : array_like, shape (n, *spatial)
        Input and target images (same shape; no channel axis).
    validation_data : (array_like, array_like)
        Held-out ``(X_val, Y_val)``, each ``(m, *spatial)``, scored after every epoch.
    epochs : int
        Number of epochs.
    steps_per_epoch : int
        Batches per epoch.
    rng : numpy.random.Generator or int
        Draws the batches (with replacement) and the augmentation.
    batch_size : int
        Images per batch.
    learning_rate : float
        Adam learning rate, > 0.
    loss : {"mse", "mae"}
        Training loss.
    augment : bool
        Random flips and 90 degree turns (applied identically to input and target).
    verbose : {0, 1}
        0: print nothing; 1: one line per epoch.

    Returns
    -------
    dict
        ``"loss"`` and ``"val_loss"`` (lists, one value per epoch; the training loss is the
        mean over the epoch's batches) and ``"seconds"`` (wall time of the training).

    Raises
    ------
    TypeError, ValueError
        If shapes or settings are inconsistent.

    Notes
    -----
    Minimises :math:`\frac{1}{B}\sum_b \lVert f_\theta(x_b) - y_b \rVert^2` (``"mse"``)
    with Adam. Call :func:`seed_everything` before building the model for repeatable
    numbers.

    Examples
    --------
    >>> history = train(model, X, Y, validation_data=(Xv, Yv), epochs=2,
    ...                 steps_per_epoch=10, rng=0)  # doctest: +SKIP
    """
    augment = as_bool(augment, "augment")
    spatial = len(model.input_shape) - 2
    if model.input_shape[-1] != 1 or model.output_shape[-1] != 1:
        raise ValueError("train expects a model with one input and one output channel")
    X, Y = _with_channel(X, spatial), _with_channel(Y, spatial)
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape, got {X.shape[:-1]} and {Y.shape[:-1]}")
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
    X_val, Y_val = _with_channel(X_val, spatial), _with_channel(Y_val, spatial)
    if X_val.shape != Y_val.shape:
        raise ValueError("validation_data: X_val and Y_val must have the same shape")
    epochs = _check_int(epochs, "epochs")
    steps_per_epoch = _check_int(steps_per_epoch, "steps_per_epoch")
    batch_size = _check_int(batch_size, "batch_size")
    if not (isinstance(learning_rate, numbers.Real) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    _check_choice(loss, "loss", ("mse", "mae"))
    if verbose not in (0, 1):
        raise ValueError(f"verbose must be 0 or 1, got {verbose!r}")
    rng = _as_rng(rng)
    keras = _keras()

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    history = {"loss": [], "val_loss": []}
    start = time.perf_counter()
    for epoch in range(epochs):
        losses = []
        for _ in range(steps_per_epoch):
            index = rng.integers(0, X.shape[0], size=batch_size)
            xb, yb = X[index], Y[index]
            if augment:
                xb, yb = _augment(xb, yb, rng, spatial)
            losses.append(float(model.train_on_batch(xb, yb)))
        history["loss"].append(float(np.mean(losses)))
        errors = _predict_batches(model, X_val, batch_size) - Y_val
        val = np.mean(errors**2) if loss == "mse" else np.mean(np.abs(errors))
        history["val_loss"].append(float(val))
        if verbose:
            print(
                f"epoch {epoch + 1:3d}/{epochs}  loss {history['loss'][-1]:.5f}  "
                f"val_loss {history['val_loss'][-1]:.5f}  ({time.perf_counter() - start:.0f} s)"
            )
    history["seconds"] = time.perf_counter() - start
    return history


def _predict_batches(model, batch: np.ndarray, batch_size: int) -> np.ndarray:
    """Run ``model`` on ``batch`` in chunks, without Keras' tf.data input pipeline."""
    chunks = [
        np.asarray(model.predict_on_batch(batch[i : i + batch_size]), dtype=np.float32)
        for i in range(0, batch.shape[0], batch_size)
    ]
    return np.concatenate(chunks)


def _size_divisor(model) -> int:
    """Product of the pooling strides of a model (input sides must be multiples of it)."""
    divisor = 1
    for layer in model.layers:
        if "Pooling" in type(layer).__name__:
            divisor *= int(layer.strides[0])
    return divisor


def predict(model, images, *, batch_size: int = 16) -> np.ndarray:
    """Apply a single-channel image-to-image model to one image or a stack of images.

    Images whose sides are not a multiple of the model's total pooling factor (a U-Net of
    depth 3 needs multiples of 8) are padded by reflection and the result cropped back.

    Parameters
    ----------
    model : keras.Model
        One input and one output channel.
    images : array_like, shape (*spatial) or (n, *spatial)
        One image or a stack.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    ndarray of float32
        Same shape as ``images``.

    Raises
    ------
    ValueError
        If the model is not single-channel or ``images`` has the wrong number of axes.

    Examples
    --------
    >>> restored = predict(model, blurred)  # doctest: +SKIP
    """
    spatial = len(model.input_shape) - 2
    if model.input_shape[-1] != 1 or model.output_shape[-1] != 1:
        raise ValueError("predict expects a model with one input and one output channel")
    single = np.ndim(images) == spatial
    batch = _with_channel(images, spatial)
    divisor = _size_divisor(model)
    sides = batch.shape[1:-1]
    pads = [(0, -s % divisor) for s in sides]
    if any(p for _, p in pads):
        batch = np.pad(batch, [(0, 0), *pads, (0, 0)], mode="reflect")
    out = _predict_batches(model, batch, _check_int(batch_size, "batch_size"))
    out = out[(slice(None), *(slice(0, s) for s in sides), 0)]
    return out[0] if single else out
