"""The NumPy lesson layers of chapter 1: what a CNN layer computes, without a framework.

Correlation and convolution, the classic 3x3 kernels, activation functions, pooling,
upsampling and transposed convolution, one layer run by hand (:func:`feature_maps`) and
the parameter count of a convolution layer. Chapter 1 writes the pixel loop of a
correlation inline and then uses :func:`correlate` from here. Each function agrees with
the Keras layer of the same name (tests/test_nets.py checks it).

Images have no batch or channel axes: ``(ny, nx)`` or ``(nz, ny, nx)``.
"""

from __future__ import annotations

import numpy as np

from decondl._checks import as_bool, as_choice, as_float_array, as_int

__all__ = [
    "ACTIVATIONS",
    "KERNEL_NAMES",
    "LEAKY_RELU_SLOPE",
    "POOLINGS",
    "activate",
    "conv_param_count",
    "convolve",
    "correlate",
    "feature_maps",
    "kernel",
    "pool",
    "transposed_conv",
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
    as_choice(name, "name", KERNEL_NAMES)
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
        If an argument is not a real numeric array (booleans included).
    ValueError
        If an array is empty or not finite, the dimensions differ, a kernel side is even
        with ``padding="same"``, the kernel is larger than the image with
        ``padding="valid"``, or ``padding`` is unknown.

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
    image = as_float_array(image, "image")
    weights = as_float_array(weights, "weights", ndims=(image.ndim,))
    as_choice(padding, "padding", ("same", "valid"))
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
    weights = as_float_array(weights, "weights")
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
        If ``x`` is not a real, finite, non-empty array or ``name`` is unknown.

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
    array = as_float_array(x, "x", ndims=None)
    as_choice(name, "name", ACTIVATIONS)
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
    image = as_float_array(image, "image")
    size = as_int(size, "size", low=1)
    as_choice(mode, "mode", POOLINGS)
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
    image = as_float_array(image, "image")
    factor = as_int(factor, "factor", low=1)
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
    image = as_float_array(image, "image")
    weights = as_float_array(weights, "weights", ndims=(image.ndim,))
    stride = as_int(stride, "stride", low=1)
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
    image = as_float_array(image, "image", ndims=(2,))
    as_choice(pooling, "pooling", (*POOLINGS, "none"))
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
    k = as_int(kernel_size, "kernel_size", low=1)
    c_in = as_int(in_channels, "in_channels", low=1)
    c_out = as_int(out_channels, "out_channels", low=1)
    ndim = as_int(ndim, "ndim", low=2, high=3)
    return k**ndim * c_in * c_out + (c_out if bias else 0)
