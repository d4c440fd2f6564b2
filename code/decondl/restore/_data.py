"""CARE training data: simulated pairs, input normalisation, patches (CSBDeep's tools)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

import numpy as np

from decondl import backend, datasets
from decondl._checks import as_int, as_pair, as_rng, as_shape, as_stack
from decondl.datasets import DEFAULT_PERCENTILES
from decondl.forward import Microscope

__all__ = ["DEFAULT_PERCENTILES", "make_patches", "normalize_input", "simulate_pairs"]

#: Percentile normalisation of CARE's inputs: :func:`decondl.datasets.normalize`, whose
#: signature is ``normalize_input(image, percentiles=DEFAULT_PERCENTILES)``.
normalize_input = datasets.normalize


def check_pair(images, truths) -> tuple[np.ndarray, np.ndarray]:
    """Return two stacks of images of the same shape (package-private helper)."""
    images = as_stack(images, "images")
    truths = as_stack(truths, "truths")
    if images.shape != truths.shape:
        raise ValueError(
            f"images and truths must have the same shape, got {images.shape} and {truths.shape}"
        )
    return images, truths


@contextlib.contextmanager
def _numpy_global_seed(seed: int):
    """Seed NumPy's legacy global generator (CSBDeep samples patches with it), then restore it."""
    state = np.random.get_state()  # noqa: NPY002 (CSBDeep uses the legacy global state)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def simulate_pairs(phantom: Callable, n: int, rng, *, scope: Microscope | None = None, psf=None):
    r"""Simulate ``n`` (recorded image, ground truth) pairs with the course's microscope.

    Parameters
    ----------
    phantom : callable
        ``phantom(rng)`` returns a truth image (2D, values in [0, 1]) or a tuple whose first
        item is one (e.g. ``lambda r: synthetic.spheres((128, 128), 20, (2, 8), r)``). All
        truths must have the same shape.
    n : int
        Number of pairs, >= 1.
    rng : numpy.random.Generator or int
        Source of randomness for the phantoms and the noise.
    scope : decondl.forward.Microscope, optional
        Acquisition model (default: ``Microscope()``, as in chapters 3 and 4).
    psf : array_like, optional
        PSF to blur with (default: ``scope.psf()``), e.g. to simulate a PSF mismatch.

    Returns
    -------
    raw : ndarray of float32, shape (n, ny, nx)
        Recorded images in photons (background included, not subtracted).
    truths : ndarray of float32, shape (n, ny, nx)
        Ground truths in the truth's units.

    Raises
    ------
    TypeError
        If ``phantom`` is not callable, ``n`` is not an int or ``rng`` has the wrong type.
    ValueError
        If ``n < 1`` or the phantoms do not all have the same 2D shape.

    Notes
    -----
    Each recorded image is :math:`\mathrm{Poisson}(p\,(h * x) + b) + \mathcal{N}(0, r^2)`
    (see :func:`decondl.forward.acquire`), with the truth :math:`x`, the PSF :math:`h`, the
    photons :math:`p`, the background :math:`b` and the read noise :math:`r` of ``scope``.
    The simulation is :func:`decondl.datasets.simulate`, shared with StarDist's data.

    Examples
    --------
    >>> from decondl import synthetic
    >>> raw, truths = simulate_pairs(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, rng=0)
    >>> raw.shape, truths.shape, raw.dtype
    ((2, 32, 32), (2, 32, 32), dtype('float32'))
    """
    return datasets.simulate(phantom, n, rng, scope=scope, psf=psf)


def make_patches(
    raw,
    truths,
    patch_size: Sequence[int],
    n_patches_per_image: int,
    *,
    rng,
    percentiles=DEFAULT_PERCENTILES,
):
    r"""Cut normalised training patches with :func:`csbdeep.data.create_patches`.

    Parameters
    ----------
    raw : array_like, shape (n, ny, nx)
        Recorded images (e.g. photons from :func:`simulate_pairs`).
    truths : array_like, shape (n, ny, nx)
        Matching ground truths.
    patch_size : (int, int)
        Patch shape ``(py, px)``; each side a multiple of 4 (the U-Net's two poolings) and no
        larger than the images.
    n_patches_per_image : int
        Patches drawn from each image (CSBDeep prefers patches whose truth is not empty).
    rng : numpy.random.Generator or int
        Source of randomness for the patch positions and the shuffling.
    percentiles : (float, float)
        Input normalisation, see :func:`normalize_input`.

    Returns
    -------
    X : ndarray of float32, shape (n * n_patches_per_image, py, px, 1)
        Input patches, normalised by the percentiles of the *whole* image they come from.
    Y : ndarray of float32, same shape
        Target patches, unchanged (truth units).
    axes : str
        ``"SYXC"``, CSBDeep's name for the axes of ``X`` and ``Y``.

    Raises
    ------
    TypeError, ValueError
        On stacks of different shapes, a bad ``patch_size`` or bad percentiles.

    Notes
    -----
    Each input patch is :math:`(x - P_\mathrm{low}(x_\mathrm{image})) /
    (P_\mathrm{high}(x_\mathrm{image}) - P_\mathrm{low}(x_\mathrm{image}))`: the same
    normalisation as at prediction, where the whole image is normalised before the network.

    Examples
    --------
    >>> from decondl import synthetic
    >>> raw, truths = simulate_pairs(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, rng=0)
    >>> X, Y, axes = make_patches(raw, truths, (16, 16), 4, rng=0)
    >>> X.shape, axes
    ((8, 16, 16, 1), 'SYXC')
    """
    backend.tensorflow()  # CSBDeep's patch tools import TensorFlow: quietly first
    from csbdeep.data import RawData, create_patches, no_background_patches
    from csbdeep.utils import move_channel_for_backend, normalize_mi_ma

    raw, truths = check_pair(raw, truths)
    if raw.ndim != 3:
        raise ValueError(f"raw must be a stack of 2D images (n, ny, nx), got shape {raw.shape}")
    patch_size = as_shape(patch_size, "patch_size", ndims=(2,))
    if any(p % 4 for p in patch_size) or any(
        p > s for p, s in zip(patch_size, raw.shape[1:], strict=True)
    ):
        raise ValueError(
            f"patch_size must have sides that are multiples of 4 and fit in the images "
            f"{raw.shape[1:]}, got {patch_size!r}"
        )
    n_patches_per_image = as_int(n_patches_per_image, "n_patches_per_image", low=1)
    low, high = as_pair(percentiles, "percentiles", low=0, high=100, strict=True)
    rng = as_rng(rng)

    def normalization(patches_x, patches_y, x, y, mask, channel):
        mi, ma = np.percentile(x, low), np.percentile(x, high)
        return normalize_mi_ma(patches_x, mi, ma, dtype=np.float32), patches_y

    data = RawData.from_arrays(raw.astype(np.float32), truths.astype(np.float32), axes="YX")
    with _numpy_global_seed(int(rng.integers(2**31))), backend.quiet():
        X, Y, axes = create_patches(
            data,
            patch_size,
            n_patches_per_image,
            patch_filter=no_background_patches(),
            normalization=normalization,
            verbose=False,
        )
    X = move_channel_for_backend(X, channel=1)
    Y = move_channel_for_backend(Y, channel=1)
    return X.astype(np.float32), Y.astype(np.float32), "SYXC"
