"""Convolutional building blocks, small Keras networks and receptive-field tools.

Used by chapter 1 (CNN building blocks) and chapter 2 (U-Net and the receptive field).
Split by concern, as CSBDeep splits its ``internals``; every public name is re-exported
here, so chapters write ``from decondl import nets; nets.unet(...)``:

- :mod:`decondl.nets.numpy_layers`: what chapter 1 teaches, in plain NumPy: correlation
  and convolution, classic kernels, activation functions, pooling, upsampling and
  transposed convolution, the parameter count of a convolution layer;
- :mod:`decondl.nets.receptive_fields`: the receptive-field algebra of layer lists, the
  layer lists of the two networks, U-Net feature-map sizes, the extent of a Gaussian blur;
- :mod:`decondl.nets.models`: the Keras builders (:func:`shallow_cnn`, :func:`unet`) and
  the measured receptive field of a model (:func:`empirical_receptive_field`);
- :mod:`decondl.nets.training`: :func:`train` and :func:`predict`.

TensorFlow and Keras come from :mod:`decondl.backend`, inside the functions that need
them, so ``import decondl.nets`` stays cheap; :func:`seed_everything` is
:func:`decondl.backend.seed_everything`, re-exported for the chapters.

Shapes follow Keras: a batch of images is ``(n, *spatial, channels)``; the NumPy helpers
take images without batch and channel axes, ``(ny, nx)`` or ``(nz, ny, nx)``.
"""

from __future__ import annotations

from decondl.backend import seed_everything
from decondl.nets.models import (
    empirical_receptive_field,
    layer_table,
    receptive_field_extent,
    shallow_cnn,
    unet,
)
from decondl.nets.numpy_layers import (
    ACTIVATIONS,
    KERNEL_NAMES,
    LEAKY_RELU_SLOPE,
    POOLINGS,
    activate,
    conv_param_count,
    convolve,
    correlate,
    feature_maps,
    kernel,
    pool,
    transposed_conv,
    upsample,
)
from decondl.nets.receptive_fields import (
    blur_extent_px,
    receptive_field,
    receptive_field_interval,
    receptive_field_table,
    shallow_cnn_layers,
    unet_layers,
    unet_shapes,
)
from decondl.nets.training import predict, train

__all__ = [
    "ACTIVATIONS",
    "KERNEL_NAMES",
    "LEAKY_RELU_SLOPE",
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
