r"""Checks of the exercises of chapter 7, *Large images*.

The exercises are in ``book/exercises/large_images.md``. The right answers come from
:mod:`decondl.tiled`; the hidden cases of the function a student writes are 2D and 3D, with
chunks that do not divide the image and asymmetric PSFs. See :mod:`decondl.exercises._core`
for the order of the checks and strict mode.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from decondl import tiled
from decondl.exercises._core import Mistake, Verdict, check_function, check_value

__all__ = ["check_rl_reach", "check_wiener_tiles"]

#: PSF length (pixels, odd) and number of iterations of the reach exercise.
RL_REACH_CASE = (25, 40)


def check_rl_reach(answer) -> Verdict:
    r"""Check how far the data reach into a Richardson-Lucy result after some iterations.

    With a PSF of :math:`p` pixels (:data:`RL_REACH_CASE`), half-width
    :math:`h = \lfloor p/2 \rfloor`, one iteration blurs (reach :math:`h`) and then correlates
    (reach :math:`h` again): after :math:`k` iterations a pixel depends on data up to
    :math:`2kh` pixels away.

    Parameters
    ----------
    answer : int
        The distance in pixels.

    Returns
    -------
    Verdict
        Exact. Hints for: :math:`kh` (the correlation forgotten), :math:`2h` (one iteration),
        :math:`kp` (the full PSF length instead of the half-width, twice).

    Examples
    --------
    >>> bool(check_rl_reach(2 * 40 * 12))
    True
    """
    p, k = RL_REACH_CASE
    h = p // 2
    mistakes = [
        Mistake(
            "Each iteration uses the PSF twice: it blurs the estimate (reach h) and then "
            "correlates the ratio with the PSF (reach h again).",
            value=k * h,
        ),
        Mistake("That is the reach of one iteration; the reach grows with every one.", value=2 * h),
        Mistake(
            "A blur reaches the PSF's half-width h = p // 2 on either side, not its length p.",
            value=2 * k * p,
        ),
    ]
    return check_value(
        "check_rl_reach",
        answer,
        2 * k * h,
        rtol=0,
        mistakes=mistakes,
        success="Yet the influence decays so fast that a halo of a few h is enough.",
    )


def _gaussian_psf(shape, sigmas, shift):
    axes = [np.arange(n) - n // 2 - shift for n in shape]
    grids = np.meshgrid(*axes, indexing="ij")
    psf = np.exp(-sum(g**2 / (2 * s**2) for g, s in zip(grids, sigmas, strict=True)))
    return psf / psf.sum()


def _cases() -> list[tuple]:
    """Hidden cases ``(image, psf, balance, chunk, depth)``: 2D and 3D, uneven chunks."""
    rng = np.random.default_rng(71)
    cases = []
    for shape, psf_shape, chunk, depth in [
        ((60, 50), (9, 7), 24, 8),
        ((12, 40, 36), (5, 7, 7), (6, 16, 16), (4, 6, 6)),
    ]:
        obj = ndimage.gaussian_filter(rng.random(shape), 2.0) * 50 + 1
        psf = _gaussian_psf(psf_shape, [n / 5 for n in psf_shape], 0.6)
        cases.append((ndimage.convolve(obj, psf, mode="mirror"), psf, 0.01, chunk, depth))
    return cases


def _reference(image, psf, balance, chunk, depth):
    return tiled.wiener(image, psf, balance, chunks=chunk, depth=depth).compute()


def _reflect_boundary(image, psf, balance, chunk, depth):
    import dask.array as da

    from decondl import deconvolve

    return (
        da.from_array(image, chunks=chunk)
        .map_overlap(
            lambda block: deconvolve.wiener(block, psf, balance),
            depth=depth,
            boundary="reflect",
            dtype=image.dtype,
        )
        .compute()
    )


def _no_halo(image, psf, balance, chunk, depth):
    import dask.array as da

    from decondl import deconvolve

    return (
        da.from_array(image, chunks=chunk)
        .map_blocks(lambda block: deconvolve.wiener(block, psf, balance), dtype=image.dtype)
        .compute()
    )


def check_wiener_tiles(func) -> Verdict:
    """Check a function ``func(image, psf, balance, chunk, depth)`` that tiles the Wiener filter.

    It must return, as a NumPy array, the Wiener filter of ``image`` computed chunk by chunk
    with a halo of ``depth`` pixels (:func:`dask.array.map_overlap` with ``boundary="none"``
    around :func:`decondl.deconvolve.wiener`): the result of
    :func:`decondl.tiled.wiener` with the same chunks and halo.

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right within a relative tolerance of 1e-5 on 2D and 3D hidden cases. Hints for: no halo
        (``map_blocks``), Dask's own border (``boundary="reflect"``) at the image's edge.

    Examples
    --------
    >>> from decondl import tiled
    >>> bool(check_wiener_tiles(lambda i, p, b, c, d: tiled.wiener(
    ...     i, p, b, chunks=c, depth=d).compute()))
    True
    """
    mistakes = [
        Mistake(
            "Your chunks have no halo: each one is filtered as if nothing lay beyond it. Use "
            "dask.array.map_overlap with depth=depth instead of map_blocks.",
            function=_no_halo,
        ),
        Mistake(
            "At the image's outer border Dask added its own mirrored pixels (the default "
            'boundary="reflect"); pass boundary="none" so that deconvolve.wiener extends the '
            "image there itself, as it does for the whole image.",
            function=_reflect_boundary,
        ),
    ]
    return check_function(
        "check_wiener_tiles", func, _reference, _cases(), rtol=1e-5, atol=1e-6, mistakes=mistakes
    )
