"""Argument checks shared by the deconvolution functions (on top of :mod:`decondl._checks`)."""

from __future__ import annotations

import numpy as np

from decondl._checks import as_choice, as_float_array, as_psf, as_workers
from decondl.deconvolve._padding import PAD_MODES

__all__ = ["BACKENDS", "as_backend", "image_and_psf", "pad_mode_and_workers"]

#: Values of ``backend``: where the FFTs of the deconvolution run.
BACKENDS = ("numpy", "tensorflow")


def image_and_psf(image, psf) -> tuple[np.ndarray, np.ndarray]:
    """Return ``image`` as floats and ``psf`` normalised, both in the image's float dtype.

    float32 (and float16) images compute in float32, everything else in float64
    (:func:`decondl._checks.float_dtype`); the PSF follows the image, whatever its own
    dtype. The one PSF rule of the package applies (:func:`decondl._checks.as_psf`).
    """
    image = as_float_array(image, "image")
    return image, as_psf(psf, "psf", ndim=image.ndim, dtype=image.dtype)


def pad_mode_and_workers(pad_mode, workers) -> tuple[str, int]:
    """Return ``pad_mode`` (one of ``PAD_MODES``) and the number of threads ``workers``."""
    return as_choice(pad_mode, "pad_mode", PAD_MODES), as_workers(workers)


def as_backend(backend) -> str:
    """Return ``backend`` (one of :data:`BACKENDS`), checked without importing TensorFlow."""
    return as_choice(backend, "backend", BACKENDS)
