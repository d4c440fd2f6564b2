"""Data of chapter 6: simulated nuclei with their labels, percentile normalisation."""

from __future__ import annotations

import numpy as np

from decondl import datasets, synthetic
from decondl._checks import as_shape
from decondl.datasets import DEFAULT_PERCENTILES
from decondl.forward import Microscope

__all__ = ["normalize", "simulate_dataset"]


def normalize(
    image,
    low_percentile: float = DEFAULT_PERCENTILES[0],
    high_percentile: float = DEFAULT_PERCENTILES[1],
) -> np.ndarray:
    r"""Percentile normalisation, the input convention of StarDist and CARE.

    The same function as :func:`decondl.restore.normalize_input` (both are
    :func:`decondl.datasets.normalize`), with the percentiles as two arguments.

    Parameters
    ----------
    image : array_like, any shape
        Image (real, finite).
    low_percentile, high_percentile : float
        Percentiles mapped to 0 and 1, ``0 <= low < high <= 100``.

    Returns
    -------
    ndarray of float32, shape of ``image``
        :math:`(x - p_\mathrm{low}) / (p_\mathrm{high} - p_\mathrm{low} + 10^{-20})`, not
        clipped; a constant image gives 0.

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not numeric and finite, or the percentiles are out of order.

    Examples
    --------
    >>> import numpy as np
    >>> normalize(np.arange(101.0), 0, 100)[[0, 50, 100]]
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return datasets.normalize(image, (low_percentile, high_percentile))


def simulate_dataset(
    n,
    rng,
    *,
    shape=(128, 128),
    n_nuclei: int = 25,
    radius_range_px=(6, 12),
    scope: Microscope | None = None,
):
    """Simulate recorded images of touching nuclei with their instance labels.

    Parameters
    ----------
    n : int
        Number of images (>= 1).
    rng : numpy.random.Generator or int
        Source of randomness (phantoms and noise).
    shape : tuple of int
        Image shape ``(ny, nx)`` in pixels.
    n_nuclei : int
        Nuclei requested per image (see :func:`decondl.synthetic.nuclei`; touching).
    radius_range_px : (float, float)
        Range of nucleus radii in pixels.
    scope : decondl.forward.Microscope, optional
        The acquisition; default ``Microscope()`` (the course's standard microscope).

    Returns
    -------
    raw : ndarray of float32, shape (n, ny, nx)
        Recorded images in photons (blur, background, shot and read noise).
    labels : ndarray of int32, shape (n, ny, nx)
        Instance labels of the truth.
    truth : ndarray of float32, shape (n, ny, nx)
        Noise-free, unblurred intensities in [0, 1].

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not a positive int, ``shape`` not 2D or the phantom parameters are
        invalid.

    Notes
    -----
    The phantoms are :func:`decondl.synthetic.nuclei`, recorded by
    :func:`decondl.datasets.simulate` (the simulation of CARE's pairs too).

    Examples
    --------
    >>> raw, labels, truth = simulate_dataset(2, 0, shape=(64, 64), n_nuclei=5)
    >>> raw.shape, labels.dtype
    ((2, 64, 64), dtype('int32'))
    """
    shape = as_shape(shape, "shape", ndims=(2,))

    def phantom(rng):
        return synthetic.nuclei(shape, n_nuclei, rng, radius_range_px=radius_range_px)

    raw, truth, labels = datasets.simulate(phantom, n, rng, scope=scope, with_labels=True)
    return raw, labels, truth
