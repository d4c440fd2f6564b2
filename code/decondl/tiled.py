r"""Deconvolution and restoration of images larger than memory, tile by tile (chapter 7).

A stack of gigabytes does not fit one FFT, and one core is not enough for it. The
functions here cut the image into *chunks* (a :mod:`dask.array`), deconvolve each chunk
together with a *halo* of its neighbours' pixels (:func:`dask.array.map_overlap`), and
keep only the chunk's own part of each result. Dask runs the chunks in parallel, on the
threads of this machine or on the workers of a :class:`dask.distributed.Client`, and
streams them, so only a few chunks need to be in memory at once.

The per-chunk computation is the whole-image one of :mod:`decondl.deconvolve`
(:func:`~decondl.deconvolve.richardson_lucy`, :func:`~decondl.deconvolve.wiener`), called
through its public API on the chunk plus halo; nothing of it is reimplemented.

**Why a halo, and how wide.** Blurring moves light up to the PSF half-width
:math:`h = \lfloor p/2 \rfloor` pixels (:math:`p` the PSF length along that axis), so a
pixel of the blurred image depends on the object within :math:`h` of it. Deconvolution
reverses this with an operator whose support is *not* that of the PSF:

* one Richardson-Lucy iteration blurs and correlates with the PSF, so the result at a
  pixel depends on data up to :math:`2h` away; after :math:`k` iterations the dependence
  reaches :math:`2kh` pixels, the whole image after a few tens of iterations;
* the Wiener filter :math:`H^*/(|H|^2+\lambda)` has no finite support at all.

Both influences *decay* quickly with distance, though: a chunk whose halo is a few PSF
half-widths wide sees nearly everything that matters. Measured on the simulated data of
chapter 7 (2D, a 31-pixel PSF, float32), the largest difference between tiled and
whole-image results, away from the image's outer border and relative to the maximum of
the whole-image result, was about :math:`10^{-2}` with a halo of one half-width,
:math:`10^{-3}` or less with two and about :math:`10^{-5}` with three or four (Wiener, and
Richardson-Lucy with 5 to 100 iterations; the error grows slowly with the number of
iterations, far slower than the support). The default halo, :func:`default_depth`, is
therefore four PSF half-widths (``4 * (p // 2)`` per axis): tiled results agree with
whole-image ones to a maximum relative difference of :math:`10^{-3}` in float32
(``tests/test_tiled.py``, 2D and 3D, simulated nuclei, up to 100 iterations; the outer
border below). The halo that is enough depends on the data too: on a noiseless, dense
random texture in 3D (a PSF of 11 pixels per axis, chunks of 48), 100 iterations differed
at the seams by :math:`5 \cdot 10^{-3}` with four half-widths, :math:`10^{-3}` with six and
:math:`3 \cdot 10^{-4}` with eight. For many iterations on such data, check a crop with
:func:`difference_by_region` and pass a larger ``depth``.
A halo below one half-width is warned about: the seams then show.

**The outer border.** At the image's own border each chunk is extended with
``pad_mode`` exactly as the whole image is: the extension is one PSF half-width for
Richardson-Lucy whatever the length of the FFT grid (the spare pixels of a rounded-up
grid widen the unobserved band, which changes nothing in the field of view). So tiled
and whole-image Richardson-Lucy agree along the outer border as well as inside
(``tests/test_tiled.py``); :func:`difference_by_region` still reports the interior, the
seams and the border separately. The Wiener filter has no band: its extension takes the
spare pixels, which changes its result near the border by far less than the tolerance.

**Starting value.** Richardson-Lucy starts every chunk from the same flat estimate, the
mean of the whole image minus the background (one pass over the data, computed when the
graph is built), as the whole-image version does.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np

from decondl import deconvolve
from decondl._checks import (
    as_bool,
    as_callable,
    as_choice,
    as_float_array,
    as_int,
    as_number,
    as_pair,
    as_per_axis,
    as_psf,
    as_workers,
    float_dtype,
)

__all__ = [
    "HALO_HALF_WIDTHS",
    "default_depth",
    "difference_by_region",
    "measure",
    "predict_care_tiled",
    "predict_stardist_big",
    "richardson_lucy",
    "wiener",
]

#: The default halo, in PSF half-widths per axis (see the module docstring).
HALO_HALF_WIDTHS = 4


# --------------------------------------------------------------------------- arguments


def _dask_array():
    import dask.array as da

    return da


def _as_image(image, chunks):
    """Return ``image`` as a float dask array with ``chunks`` (when given)."""
    da = _dask_array()
    if isinstance(image, da.Array):
        kind = image.dtype.kind
        if kind not in "iuf":
            raise TypeError(f"image must be a real numeric array, got dtype {image.dtype}")
        if image.ndim not in (2, 3):
            raise ValueError(
                f"image must be 2D or 3D, got {image.ndim} dimensions (shape {image.shape})"
            )
        if any(n == 0 for n in image.shape):
            raise ValueError(f"image must not be empty, got shape {image.shape}")
        arr = image.astype(float_dtype(image.dtype))
        if chunks is not None:
            arr = arr.rechunk(_as_chunks(chunks, arr.shape))
        return arr
    arr = as_float_array(image, "image")
    if chunks is None:
        raise ValueError(
            "chunks is required for a NumPy image: the chunk shape, e.g. chunks=256 or "
            "chunks=(256, 256) (a dask array brings its own)"
        )
    return da.from_array(arr, chunks=_as_chunks(chunks, arr.shape))


def _as_chunks(chunks, shape) -> tuple[int, ...]:
    """Return one chunk length per axis, at most the image's length there."""
    sizes = as_per_axis(chunks, "chunks", len(shape))
    return tuple(min(c, n) for c, n in zip(sizes, shape, strict=True))


def default_depth(psf_shape, *, half_widths: int = HALO_HALF_WIDTHS) -> tuple[int, ...]:
    r"""Return the default halo: ``half_widths`` PSF half-widths per axis.

    Parameters
    ----------
    psf_shape : tuple of int
        Shape of the PSF, :math:`p` per axis.
    half_widths : int, optional
        Halo width in half-widths :math:`h = \lfloor p/2 \rfloor`; default
        :data:`HALO_HALF_WIDTHS` (4), which keeps tiled and whole-image results within
        a maximum relative difference of :math:`10^{-3}` (module docstring).

    Returns
    -------
    tuple of int
        ``half_widths * (p // 2)`` per axis, at least 1.

    Examples
    --------
    >>> default_depth((31, 31))
    (60, 60)
    """
    half_widths = as_int(half_widths, "half_widths", low=0)
    dims = tuple(as_int(p, "psf_shape entries", low=1) for p in psf_shape)
    return tuple(max(1, half_widths * (p // 2)) for p in dims)


def _as_depth(depth, psf_shape, chunks) -> tuple[int, ...]:
    """Return the halo per axis; warn below one PSF half-width, refuse beyond a chunk.

    An axis held in one chunk has no neighbours: its halo is 0, whatever was asked.
    """
    if depth is None:
        depth = default_depth(psf_shape)
    depth = as_per_axis(depth, "depth", len(psf_shape), low=0)
    split = tuple(len(sizes) > 1 for sizes in chunks)
    half = tuple(p // 2 for p in psf_shape)
    if any(s and d < h for s, d, h in zip(split, depth, half, strict=True)):
        warnings.warn(
            f"depth {depth} is smaller than the PSF half-width {half}: the tiles do not "
            "see all the light that blurred into them, and seams will show; the default "
            f"is {default_depth(psf_shape)}",
            UserWarning,
            stacklevel=3,
        )
    for axis, (d, sizes) in enumerate(zip(depth, chunks, strict=True)):
        if len(sizes) > 1 and d > max(sizes):
            raise ValueError(
                f"chunks along axis {axis} ({max(sizes)} pixels) must be at least the halo "
                f"depth {d}: a chunk's halo may only reach into its direct neighbours; use "
                "larger chunks (several times the halo, to keep the overlap cheap)"
            )
    return tuple(d if s else 0 for d, s in zip(depth, split, strict=True))


def _map_tiles(arr, depth, function, dtype):
    return arr.map_overlap(
        function,
        depth=dict(enumerate(depth)),
        boundary="none",
        dtype=dtype,
        meta=np.array((), dtype),
    )


# --------------------------------------------------------------------------- deconvolution


def richardson_lucy(
    image,
    psf,
    num_iter: int,
    *,
    chunks=None,
    depth=None,
    background: float = 0.0,
    initial: float | None = None,
    pad_mode: str = "reflect",
    workers: int = 1,
):
    r"""Richardson-Lucy deconvolution of a large image, chunk by chunk, with a halo.

    Each chunk, extended by ``depth`` pixels of its neighbours, is deconvolved with
    :func:`decondl.deconvolve.richardson_lucy`; the halo is then cut off and the chunks
    are put back together (:func:`dask.array.map_overlap`).

    Parameters
    ----------
    image : (Y, X) or (Z, Y, X) array_like or dask.array.Array
        Blurred image, non-negative, in photon-proportional units; float32 stays
        float32, other dtypes compute in float64. A NumPy array is cut into `chunks`; a
        dask array keeps its own chunks unless `chunks` is given. NaN or negative
        values in a dask array are only found when its chunk is computed.
    psf : array_like, same number of dimensions as `image`
        Centred point spread function (see :mod:`decondl.deconvolve`).
    num_iter : int
        Number of iterations, as in the whole-image function.
    chunks : int or tuple of int, optional
        Chunk shape in pixels (an int for every axis); required for a NumPy image.
        Each chunk must be at least `depth` long along every axis that has several.
    depth : int or tuple of int, optional
        Halo width in pixels per axis. Default :func:`default_depth` (four PSF
        half-widths). Below one half-width a :class:`UserWarning` is raised.
    background : float, optional
        Constant background, as in the whole-image function.
    initial : float, optional
        Flat starting value. Default: the mean of the whole image minus `background`
        (floored at 1 % of the mean), the same for every chunk.
    pad_mode : str, optional
        How each chunk is extended beyond its halo (one of
        :data:`decondl.deconvolve.PAD_MODES`); at the image's outer border this is the
        border model, as for the whole image. Default ``"reflect"``.
    workers : int, optional
        FFT threads per chunk; default 1, because Dask already runs one chunk per
        thread or worker.

    Returns
    -------
    dask.array.Array
        The lazy result, shape and dtype of the (float) image, with the image's chunks;
        ``.compute()`` it, or store it chunk by chunk with :func:`dask.array.store`.

    Raises
    ------
    TypeError
        If an argument has the wrong type (the message names it).
    ValueError
        If `chunks` is missing for a NumPy image, has the wrong length or a
        non-positive entry, a chunk is shorter than the halo, or a parameter is out of
        range (the message names the argument).

    Notes
    -----
    The update of each chunk is that of :func:`decondl.deconvolve.richardson_lucy`.
    After :math:`k` iterations a pixel depends on data up to :math:`2kh` pixels away
    (:math:`h` the PSF half-width), but with weights that decay fast; the default halo
    of :math:`4h` is measured to be enough for at least 100 iterations (module
    docstring). Cost: each chunk of :math:`c` pixels per axis costs as a whole image of
    :math:`c + 2\,\mathrm{depth}`, so chunks several times the halo keep the overhead
    small.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> image = ndimage.gaussian_filter(np.random.default_rng(0).random((96, 96)), 2) * 100
    >>> psf = np.zeros((9, 9)); psf[4, 4] = 1.0; psf = ndimage.gaussian_filter(psf, 1.5)
    >>> tiled = richardson_lucy(image, psf, 10, chunks=48)
    >>> tiled.chunksize
    (48, 48)
    >>> whole = deconvolve.richardson_lucy(image, psf, 10)
    >>> difference_by_region(tiled.compute(), whole, 48, width=16)["seams"] < 1e-3
    True
    """
    arr = _as_image(image, chunks)
    kernel = as_psf(psf, "psf", ndim=arr.ndim, dtype=arr.dtype)
    num_iter = as_int(num_iter, "num_iter", low=0)
    background = as_number(background, "background", low=0)
    pad_mode = as_choice(pad_mode, "pad_mode", deconvolve.PAD_MODES)
    workers = as_workers(workers)
    halo = _as_depth(depth, kernel.shape, arr.chunks)
    if initial is None:
        mean = float(arr.mean(dtype=np.float64).compute())
        initial = max(mean - background, 0.01 * mean) if mean > 0 else 1.0
    initial = as_number(initial, "initial", low=0, low_open=True)

    def tile(block):
        return deconvolve.richardson_lucy(
            block,
            kernel,
            num_iter,
            background=background,
            initial=initial,
            pad_mode=pad_mode,
            workers=workers,
        )

    return _map_tiles(arr, halo, tile, arr.dtype)


def wiener(image, psf, balance, *, chunks=None, depth=None, pad_mode="reflect", workers=1):
    r"""Wiener deconvolution of a large image, chunk by chunk, with a halo.

    Each chunk with its halo is filtered by :func:`decondl.deconvolve.wiener`.

    Parameters
    ----------
    image : (Y, X) or (Z, Y, X) array_like or dask.array.Array
        Blurred image (negative values allowed).
    psf : array_like, same number of dimensions as `image`
        Centred point spread function.
    balance : float
        Regularisation weight :math:`\lambda \ge 0`, as in the whole-image function.
    chunks, depth, pad_mode, workers
        As in :func:`richardson_lucy`.

    Returns
    -------
    dask.array.Array
        The lazy result, shape and dtype of the (float) image.

    Raises
    ------
    TypeError, ValueError
        As :func:`richardson_lucy`; the message names the argument.

    Notes
    -----
    The filter :math:`H^*/(|H|^2+\lambda)` has infinite support but decays within a
    few PSF widths (faster for larger :math:`\lambda`); four half-widths of halo keep
    the difference to the whole-image result below :math:`10^{-4}` of its maximum for
    ``balance=1e-2`` (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage
    >>> image = ndimage.gaussian_filter(np.random.default_rng(0).random((96, 96)), 2) * 100
    >>> psf = np.zeros((9, 9)); psf[4, 4] = 1.0; psf = ndimage.gaussian_filter(psf, 1.5)
    >>> tiled = wiener(image, psf, 0.01, chunks=48).compute()
    >>> whole = deconvolve.wiener(image, psf, 0.01)
    >>> bool(np.abs(tiled - whole).max() < 1e-3 * np.abs(whole).max())
    True
    """
    arr = _as_image(image, chunks)
    kernel = as_psf(psf, "psf", ndim=arr.ndim, dtype=arr.dtype)
    balance = as_number(balance, "balance", low=0)
    pad_mode = as_choice(pad_mode, "pad_mode", deconvolve.PAD_MODES)
    workers = as_workers(workers)
    halo = _as_depth(depth, kernel.shape, arr.chunks)

    def tile(block):
        return deconvolve.wiener(block, kernel, balance, pad_mode=pad_mode, workers=workers)

    return _map_tiles(arr, halo, tile, arr.dtype)


# --------------------------------------------------------------------------- measuring


def difference_by_region(tiled, whole, chunks, width) -> dict[str, float]:
    """Return the largest difference of two results in the interior, at seams and border.

    Parameters
    ----------
    tiled, whole : ndarray, same shape
        Tiled and whole-image results (``whole`` is the reference).
    chunks : int or tuple of int
        The regular chunk shape the tiles were cut with.
    width : int
        Pixels on each side of a seam (an inner chunk boundary) that count as the seam,
        and width of the outer border band.

    Returns
    -------
    dict
        ``"interior"``, ``"seams"``, ``"border"`` and ``"all"``: maximum of
        ``|tiled - whole|`` there divided by ``max|whole|`` (0 where a region is empty).
        The border band (within `width` of the image's edge) is excluded from the other
        two regions.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.ones((8, 8)); b = a.copy(); b[4, 2] = 1.5
    >>> difference_by_region(b, a, 4, 1)["seams"]
    0.5
    """
    tiled = as_float_array(tiled, "tiled", finite=False)
    whole = as_float_array(whole, "whole")
    if tiled.shape != whole.shape:
        raise ValueError(
            f"tiled and whole must have the same shape, got {tiled.shape} and {whole.shape}"
        )
    size = _as_chunks(chunks, whole.shape)
    width = as_int(width, "width", low=0)
    diff = np.abs(tiled - whole) / max(float(np.abs(whole).max()), np.finfo(float).tiny)
    border = np.ones(whole.shape, bool)
    border[tuple(slice(width, n - width) for n in whole.shape)] = False
    seam = np.zeros(whole.shape, bool)
    for axis, (c, n) in enumerate(zip(size, whole.shape, strict=True)):
        near = np.zeros(n, bool)
        for edge in range(c, n, c):
            near[max(edge - width, 0) : edge + width] = True
        seam |= near.reshape([-1 if a == axis else 1 for a in range(whole.ndim)])
    seam &= ~border
    interior = ~seam & ~border
    return {
        name: float(diff[mask].max()) if mask.any() else 0.0
        for name, mask in [("interior", interior), ("seams", seam), ("border", border)]
    } | {"all": float(diff.max())}


def measure(function: Callable[[], object]) -> tuple[object, float, int]:
    """Run ``function()`` once; return its result, wall time (s) and peak traced memory.

    Peak memory is the largest amount of memory allocated *during* the call and traced by
    :mod:`tracemalloc` (NumPy arrays included, from every thread of this process;
    memory of other processes, e.g. the workers of a distributed cluster, is not seen),
    in bytes.

    Examples
    --------
    >>> import numpy as np
    >>> _, seconds, peak = measure(lambda: np.zeros(1_000_000).sum())
    >>> peak >= 8_000_000
    True
    """
    as_callable(function, "function")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    try:
        result = function()
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, seconds, int(peak)


# --------------------------------------------------------------------------- networks


def predict_care_tiled(model, image, n_tiles, *, percentiles=(1.0, 99.8)) -> np.ndarray:
    """Restore one large 2D image with CARE in tiles, by CSBDeep's own tiling.

    Parameters
    ----------
    model : csbdeep.models.CARE
        A trained model (:func:`decondl.restore.train_care`).
    image : (Y, X) array_like
        Recorded image, normalised by its percentiles as in
        :func:`decondl.restore.predict_care`.
    n_tiles : int or (int, int)
        Tiles per axis, passed to :meth:`csbdeep.models.CARE.predict`; CSBDeep adds to
        each tile an overlap of the network's receptive field, so the result does not
        depend on it beyond rounding. ``1`` predicts the whole image at once.
    percentiles : (float, float)
        Input normalisation, as used for training.

    Returns
    -------
    ndarray of float32, shape of `image`

    Examples
    --------
    >>> restored = predict_care_tiled(model, big_image, n_tiles=(4, 4))  # doctest: +SKIP
    """
    from decondl import backend

    backend.tensorflow()
    from csbdeep.data import PercentileNormalizer

    low, high = as_pair(percentiles, "percentiles", low=0, high=100, strict=True)
    arr = as_float_array(image, "image", ndims=(2,), dtype=np.float32)
    tiles = as_per_axis(n_tiles, "n_tiles", arr.ndim)
    normalizer = PercentileNormalizer(low, high, do_after=False)
    with backend.quiet():
        out = model.predict(arr, "YX", normalizer=normalizer, n_tiles=tiles)
    return np.asarray(out, dtype=np.float32)


def predict_stardist_big(
    model,
    image,
    block_size: int,
    min_overlap: int,
    *,
    context=None,
    prob_thresh=None,
    nms_thresh=None,
    show_progress=False,
):
    """Segment one large 2D image with StarDist block by block (``predict_instances_big``).

    Parameters
    ----------
    model : stardist.models.StarDist2D
        A trained model (:func:`decondl.segment.train_stardist`).
    image : (Y, X) array_like
        Normalised image (:func:`decondl.segment.normalize`).
    block_size : int
        Block side in pixels (a multiple of the model's grid).
    min_overlap : int
        Overlap of neighbouring blocks in pixels: larger than the largest object, so
        every object lies whole in one block.
    context : int, optional
        Extra context around each block (StarDist's default: the receptive field).
    prob_thresh, nms_thresh : float, optional
        Thresholds (default: the model's tuned ones), as for ``predict_instances``.
    show_progress : bool, optional
        StarDist's progress bar.

    Returns
    -------
    labels : ndarray of int32, shape of `image`
        Instance labels; StarDist keeps each object from the one block that holds it whole.

    Raises
    ------
    TypeError, ValueError
        If an argument is of the wrong type or out of range (the message names it), or the
        blocks cannot cover the image: ``block_size`` larger than the image or not larger
        than ``min_overlap + 2 * context``.

    Examples
    --------
    >>> labels = predict_stardist_big(model, image, 256, 48)  # doctest: +SKIP
    """
    from decondl import backend

    arr = as_float_array(image, "image", ndims=(2,), dtype=np.float32)
    block_size = as_int(block_size, "block_size", low=1)
    min_overlap = as_int(min_overlap, "min_overlap", low=0)
    if context is not None:
        context = as_int(context, "context", low=0)
    show_progress = as_bool(show_progress, "show_progress")
    if prob_thresh is not None:
        prob_thresh = as_number(prob_thresh, "prob_thresh", low=0, high=1)
    if nms_thresh is not None:
        nms_thresh = as_number(nms_thresh, "nms_thresh", low=0, high=1)
    if block_size > min(arr.shape):
        raise ValueError(f"block_size must be at most the image size {arr.shape}, got {block_size}")
    if context is not None and min_overlap + 2 * context >= block_size:
        raise ValueError(
            f"block_size ({block_size}) must exceed min_overlap + 2 * context "
            f"({min_overlap} + 2 * {context})"
        )
    try:
        with backend.quiet():
            labels, _ = model.predict_instances_big(
                arr,
                axes="YX",
                block_size=block_size,
                min_overlap=min_overlap,
                context=context,
                prob_thresh=prob_thresh,
                nms_thresh=nms_thresh,
                show_progress=show_progress,
            )
    except AssertionError as error:  # StarDist's block-cover conditions are bare asserts
        raise ValueError(
            f"block_size ({block_size}) must exceed min_overlap + 2 * context; context "
            "defaults to the network's receptive field: use larger blocks or pass a smaller "
            f"context ({error or 'StarDist refused the blocks'})"
        ) from None
    return np.asarray(labels, dtype=np.int32)
