"""Keras models of chapter 2: a shallow CNN, a U-Net, and their measured receptive field.

:func:`shallow_cnn` (convolutions only, a small receptive field) and :func:`unet`
(pooling, a receptive field growing exponentially with depth) are built from plain Keras
layers; :func:`layer_table` lists their layers; :func:`empirical_receptive_field`
measures which input pixels reach one output pixel, to compare with the algebra of
:mod:`decondl.nets.receptive_fields`.

TensorFlow and Keras come from :mod:`decondl.backend`, imported inside the functions that
need them, so importing this module stays cheap. Shapes follow Keras: a batch of images
is ``(n, *spatial, channels)``.
"""

from __future__ import annotations

import numpy as np

from decondl import backend
from decondl._checks import as_choice, as_int, as_rng, as_shape
from decondl.nets.numpy_layers import ACTIVATIONS, POOLINGS

__all__ = [
    "empirical_receptive_field",
    "layer_table",
    "receptive_field_extent",
    "shallow_cnn",
    "unet",
]


def _layers_for(ndim: int):
    layers = backend.keras().layers
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
        Keras activation of the hidden layers, one of :data:`~decondl.nets.ACTIVATIONS`.
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
    Receptive field :math:`1 + L(k - 1)` pixels (:func:`~decondl.nets.shallow_cnn_layers`);
    number of parameters

    .. math:: k^d C_\mathrm{in} F + F + (L - 1)(k^d F^2 + F) + F C_\mathrm{out} + C_\mathrm{out}.

    Examples
    --------
    >>> model = shallow_cnn(n_layers=2, n_filters=4)  # doctest: +SKIP
    >>> model.count_params()  # doctest: +SKIP
    193
    """
    ndim = as_int(ndim, "ndim", low=2, high=3)
    n_layers = as_int(n_layers, "n_layers", low=1)
    n_filters = as_int(n_filters, "n_filters", low=1)
    kernel_size = _odd_kernel_size(kernel_size)
    as_choice(activation, "activation", ACTIVATIONS)
    in_channels = as_int(in_channels, "in_channels", low=1)
    out_channels = as_int(out_channels, "out_channels", low=1)
    keras = backend.keras()

    conv, *_ = _layers_for(ndim)
    inputs = keras.Input((None,) * ndim + (in_channels,), name="input")
    x = inputs
    for i in range(n_layers):
        x = conv(
            n_filters, kernel_size, padding="same", activation=activation, name=f"conv{i + 1}"
        )(x)
    outputs = conv(out_channels, 1, name="output")(x)
    return keras.Model(inputs, outputs, name="shallow_cnn")


def _odd_kernel_size(kernel_size) -> int:
    kernel_size = as_int(kernel_size, "kernel_size", low=1)
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
        Keras activation of the convolutions, one of :data:`~decondl.nets.ACTIVATIONS`.
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
    Receptive field: :func:`~decondl.nets.receptive_field` of
    :func:`~decondl.nets.unet_layers`; each pooling doubles the growth of the receptive
    field per convolution, so it grows exponentially with ``depth``. Feature-map shapes:
    :func:`~decondl.nets.unet_shapes`.

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
    ndim = as_int(ndim, "ndim", low=2, high=3)
    depth = as_int(depth, "depth", low=1)
    n_filters = as_int(n_filters, "n_filters", low=1)
    kernel_size = _odd_kernel_size(kernel_size)
    convs_per_level = as_int(convs_per_level, "convs_per_level", low=1)
    as_choice(activation, "activation", ACTIVATIONS)
    as_choice(pooling, "pooling", POOLINGS)
    in_channels = as_int(in_channels, "in_channels", low=1)
    out_channels = as_int(out_channels, "out_channels", low=1)
    keras = backend.keras()

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
    spatial = len(model.input_shape) - 2
    shape = as_shape(shape, "shape", ndims=(spatial,))
    n_samples = as_int(n_samples, "n_samples", low=1)
    rng = as_rng(rng)
    tf = backend.tensorflow()

    channels = model.input_shape[-1]
    if position is None:
        position = tuple(s // 2 for s in shape)
    position = tuple(as_int(p, "position entries", low=0) for p in position)
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
