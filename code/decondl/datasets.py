r"""Training data shared by CARE (chapter 5) and StarDist (chapter 6).

Both chapters learn from recordings simulated with the course's microscope, whose ground
truth is known exactly, and both feed their networks percentile-normalised images:

- :func:`simulate` draws phantoms and images them with :class:`decondl.forward.Microscope`
  (used by :func:`decondl.restore.simulate_pairs` and :func:`decondl.segment.simulate_dataset`);
- :func:`normalize` maps an image's low and high percentiles to 0 and 1, CSBDeep's input
  convention (used by :func:`decondl.restore.normalize_input` and
  :func:`decondl.segment.normalize`).

No TensorFlow is imported here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from decondl._checks import as_callable, as_float_array, as_int, as_labels, as_pair, as_rng
from decondl.forward import Microscope

__all__ = ["DEFAULT_PERCENTILES", "normalize", "simulate"]

#: Low and high percentiles of the input normalisation (CSBDeep's usual choice is 1-3 / 99.5-99.9).
DEFAULT_PERCENTILES = (1.0, 99.8)


def simulate(
    phantom: Callable,
    n: int,
    rng,
    *,
    scope: Microscope | None = None,
    psf=None,
    with_labels: bool = False,
):
    r"""Draw ``n`` phantoms and record each with the microscope.

    Parameters
    ----------
    phantom : callable
        ``phantom(rng)`` returns a truth image (2D, values in [0, 1]) or a tuple whose first
        item is one (e.g. ``lambda r: synthetic.spheres((128, 128), 20, (2, 8), r)``), and
        whose second item is its instance labels when ``with_labels`` is set. All truths must
        have the same shape.
    n : int
        Number of images, >= 1.
    rng : numpy.random.Generator or int
        Source of randomness for the phantoms and the noise (drawn in turn: phantom 1, its
        noise, phantom 2, ...).
    scope : decondl.forward.Microscope, optional
        Acquisition model (default: ``Microscope()``, as in chapters 3 to 6).
    psf : array_like, optional
        PSF to blur with (default: ``scope.psf()``), e.g. to simulate a PSF mismatch.
    with_labels : bool
        Also return the labels, the second item of each phantom's tuple.

    Returns
    -------
    raw : ndarray of float32, shape (n, ny, nx)
        Recorded images in photons (background included, not subtracted).
    truths : ndarray of float32, shape (n, ny, nx)
        Ground truths in the truth's units.
    labels : ndarray of int32, shape (n, ny, nx)
        Only with ``with_labels``: the instance labels of the truths.

    Raises
    ------
    TypeError
        If ``phantom`` is not callable, ``n`` is not an int, ``rng`` or ``scope`` has the
        wrong type, or a phantom gives no labels when ``with_labels`` is set.
    ValueError
        If ``n < 1`` or the phantoms do not all have the same 2D shape.

    Notes
    -----
    Each recorded image is :math:`\mathrm{Poisson}(p\,(h * x) + b) + \mathcal{N}(0, r^2)`
    (see :func:`decondl.forward.acquire`), with the truth :math:`x`, the PSF :math:`h`, the
    photons :math:`p`, the background :math:`b` and the read noise :math:`r` of ``scope``.

    Examples
    --------
    >>> from decondl import synthetic
    >>> raw, truths, labels = simulate(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, 0, with_labels=True)
    >>> raw.shape, truths.dtype, labels.dtype
    ((2, 32, 32), dtype('float32'), dtype('int32'))
    """
    as_callable(phantom, "phantom")
    n = as_int(n, "n", low=1)
    rng = as_rng(rng)
    scope = Microscope() if scope is None else scope
    if not isinstance(scope, Microscope):
        raise TypeError(f"scope must be a decondl.forward.Microscope, got {type(scope).__name__}")
    psf = scope.psf() if psf is None else np.asarray(psf, dtype=np.float64)
    raws, truths, labels = [], [], []
    for index in range(n):
        drawn = phantom(rng)
        truth = np.asarray(drawn[0] if isinstance(drawn, tuple) else drawn, dtype=np.float64)
        if truth.ndim != 2 or (truths and truth.shape != truths[0].shape):
            raise ValueError(
                f"phantom must return 2D truths of one shape; call {index} gave shape {truth.shape}"
            )
        if with_labels:
            if not isinstance(drawn, tuple) or len(drawn) < 2:
                raise TypeError("with_labels needs a phantom returning (truth, labels, ...)")
            labels.append(as_labels(drawn[1], "the phantom's labels", ndims=(2,)))
        raws.append(scope.acquire(truth, rng=rng, psf=psf))
        truths.append(truth)
    out = (np.stack(raws).astype(np.float32), np.stack(truths).astype(np.float32))
    return (*out, np.stack(labels).astype(np.int32)) if with_labels else out


def normalize(image, percentiles=DEFAULT_PERCENTILES) -> np.ndarray:
    r"""Normalise an image by its percentiles, CSBDeep's convention for network inputs.

    Parameters
    ----------
    image : array_like, any shape
        The image (real, finite; any units).
    percentiles : (float, float)
        Low and high percentiles :math:`(p_\mathrm{low}, p_\mathrm{high})`,
        ``0 <= low < high <= 100``.

    Returns
    -------
    ndarray of float32, shape of ``image``
        :math:`(x - P_\mathrm{low}) / (P_\mathrm{high} - P_\mathrm{low} + \epsilon)`, where
        :math:`P` are the percentiles of the whole image; not clipped.

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not a finite real array or the percentiles are not a pair in order
        within [0, 100].

    Notes
    -----
    Computed by :func:`csbdeep.utils.normalize` (``clip=False``, :math:`\epsilon = 10^{-20}`,
    so that a constant image maps to 0) in float64, then rounded to float32. CSBDeep's
    :class:`~csbdeep.data.PercentileNormalizer` (CARE's prediction) and the patches of
    :func:`decondl.restore.make_patches` compute the same in float32: they agree to float32
    rounding.

    Examples
    --------
    >>> normalize(np.arange(101.0), (0, 100))[[0, 50, 100]]
    array([0. , 0.5, 1. ], dtype=float32)
    """
    from csbdeep.utils import normalize as csbdeep_normalize

    low, high = as_pair(percentiles, "percentiles", low=0, high=100, strict=True)
    arr = as_float_array(image, "image", ndims=None, dtype=np.float64)
    out = csbdeep_normalize(arr, low, high, clip=False, dtype=np.float64)
    return out.astype(np.float32)
