"""Receptive-field algebra of chapter 2: which input pixels can reach one output pixel.

Plain arithmetic on layer lists ``[("conv", 3), ("pool", 2), ("up", 2), ...]``: the
receptive field of a stack (:func:`receptive_field`, :func:`receptive_field_table`), its
exact interval per output position (:func:`receptive_field_interval`), the layer lists of
the two networks of :mod:`decondl.nets.models` (:func:`shallow_cnn_layers`,
:func:`unet_layers`), the feature-map sizes of a U-Net (:func:`unet_shapes`) and the size
of a Gaussian blur to compare with (:func:`blur_extent_px`). No TensorFlow needed: the
measured receptive field of a built model is
:func:`decondl.nets.models.empirical_receptive_field`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from decondl._checks import as_choice, as_int, as_number

__all__ = [
    "blur_extent_px",
    "receptive_field",
    "receptive_field_interval",
    "receptive_field_table",
    "shallow_cnn_layers",
    "unet_layers",
    "unet_shapes",
]


def _as_layers(layers) -> list[tuple[str, int]]:
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError("layers must be a sequence of (kind, size) pairs, e.g. [('conv', 3)]")
    checked = []
    for index, layer in enumerate(layers):
        if not (isinstance(layer, Sequence) and len(layer) == 2 and isinstance(layer[0], str)):
            raise TypeError(f"layers[{index}] must be a (kind, size) pair, got {layer!r}")
        kind, size = layer
        as_choice(kind, f"layers[{index}] kind", ("conv", "pool", "up"))
        checked.append((kind, as_int(size, f"layers[{index}] size", low=1)))
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
    for kind, k in _as_layers(layers):
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
    layers = _as_layers(layers)
    first = last = as_int(position, "position")
    for kind, k in reversed(layers):
        if kind == "conv":
            first, last = first - (k - 1) // 2, last + k // 2
        elif kind == "pool":
            first, last = k * first, k * last + k - 1
        else:
            first, last = first // k, last // k
    return first, last


def shallow_cnn_layers(n_layers: int = 4, kernel_size: int = 3) -> list[tuple[str, int]]:
    """Layer list of :func:`~decondl.nets.shallow_cnn` for :func:`receptive_field`.

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
    n_layers = as_int(n_layers, "n_layers", low=1)
    kernel_size = as_int(kernel_size, "kernel_size", low=1)
    return [("conv", kernel_size)] * n_layers + [("conv", 1)]


def unet_layers(
    depth: int = 3, kernel_size: int = 3, convs_per_level: int = 2
) -> list[tuple[str, int]]:
    """Longest path through :func:`~decondl.nets.unet` as a layer list for :func:`receptive_field`.

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
    depth = as_int(depth, "depth", low=1)
    kernel_size = as_int(kernel_size, "kernel_size", low=1)
    convs_per_level = as_int(convs_per_level, "convs_per_level", low=1)
    convs = [("conv", kernel_size)] * convs_per_level
    layers = []
    for _ in range(depth):
        layers += convs + [("pool", 2)]
    layers += convs
    for _ in range(depth):
        layers += [("up", 2)] + convs
    return layers + [("conv", 1)]


def unet_shapes(input_size: int, depth: int = 3, n_filters: int = 16) -> list[dict]:
    r"""Sizes and channels of the feature maps of :func:`~decondl.nets.unet` (for diagrams).

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
    input_size = as_int(input_size, "input_size", low=1)
    depth = as_int(depth, "depth", low=1)
    n_filters = as_int(n_filters, "n_filters", low=1)
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
    sigma_px = as_number(sigma_px, "sigma_px", low=0, low_open=True)
    fraction = as_number(fraction, "fraction", low=0, high=1, low_open=True, high_open=True)
    ndim = as_int(ndim, "ndim", low=2, high=3)
    from scipy.stats import chi2

    return float(2.0 * sigma_px * math.sqrt(chi2.ppf(fraction, df=ndim)))
