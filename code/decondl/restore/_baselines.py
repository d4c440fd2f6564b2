"""Classical baselines of chapter 5 (Wiener, Richardson-Lucy): tuned, timed, compared with CARE."""

from __future__ import annotations

import timeit
from collections.abc import Callable, Sequence

import numpy as np

from decondl import deconvolve, metrics
from decondl._checks import as_bool, as_callable, as_int, as_number, as_stack
from decondl.datasets import DEFAULT_PERCENTILES
from decondl.forward import Microscope
from decondl.restore._data import check_pair
from decondl.restore._train import predict_care

__all__ = ["best_time", "mean_scores", "race", "restore_all", "tune_rl", "tune_wiener"]


def _mean_psnr(truths, estimates) -> float:
    return float(np.mean([metrics.psnr(t, e) for t, e in zip(truths, estimates, strict=True)]))


def tune_wiener(images, truths, psf, balances) -> tuple[float, dict]:
    r"""Pick the Wiener balance with the best mean PSNR on validation images.

    Parameters
    ----------
    images : array_like, shape (n, ny, nx) or (n, nz, ny, nx)
        Validation images in the truth's units (background subtracted and divided by the
        photons, e.g. :meth:`decondl.forward.Microscope.to_truth_units`).
    truths : array_like, same shape
        Their ground truths.
    psf : array_like
        The PSF (centred, same number of dimensions as one image).
    balances : sequence of float
        Candidate balances :math:`\lambda \ge 0`.

    Returns
    -------
    best : float
        The balance with the highest mean PSNR (the first one on ties).
    scores : dict
        Balance to mean PSNR in dB.

    Raises
    ------
    ValueError
        If shapes differ or ``balances`` is empty (errors of :func:`decondl.deconvolve.wiener`
        for a bad PSF or balance).

    Notes
    -----
    The score is :math:`\frac1n\sum_i \mathrm{PSNR}(x_i, \hat x_i(\lambda))`,
    maximised over the grid.

    Examples
    --------
    >>> truths = np.zeros((2, 16, 16)); truths[:, 6:10, 6:10] = 1
    >>> psf = np.zeros((3, 3)); psf[1, 1] = 1  # identity: no blur
    >>> best, scores = tune_wiener(truths, truths, psf, [0.0, 1.0])
    >>> best
    0.0
    """
    images, truths = check_pair(images, truths)
    balances = [as_number(b, "balances entries", low=0) for b in balances]
    if not balances:
        raise ValueError("balances must contain at least one value")
    scores = {
        b: _mean_psnr(truths, [deconvolve.wiener(im, psf, b) for im in images]) for b in balances
    }
    best = max(balances, key=lambda b: (scores[b], -balances.index(b)))
    return best, scores


def tune_rl(
    images,
    truths,
    psf,
    max_iter: int,
    *,
    background: float = 0.0,
    scale: float = 1.0,
    clip_negative: bool = True,
):
    r"""Pick the Richardson-Lucy iteration count with the best mean PSNR on validation images.

    Parameters
    ----------
    images : array_like, shape (n, ny, nx) or (n, nz, ny, nx)
        Validation images, raw (photons, background not subtracted).
    truths : array_like, same shape
        Their ground truths.
    psf : array_like
        The PSF (centred, same number of dimensions as one image).
    max_iter : int
        Largest iteration count tried; every count ``1..max_iter`` is scored in one run per
        image (through the callback of :func:`decondl.deconvolve.richardson_lucy`).
    background : float
        Background of the raw data (photons), passed to Richardson-Lucy.
    scale : float
        Estimates are divided by ``scale`` before scoring (the photons per unit of truth, e.g.
        ``Microscope.photons``), which puts them in the truth's units.
    clip_negative : bool
        Passed to :func:`decondl.deconvolve.richardson_lucy`: read noise can make a few raw
        pixels negative, which RL needs set to 0 (default True).

    Returns
    -------
    best : int
        Iteration count with the highest mean PSNR (the smallest on ties).
    scores : ndarray of float64, shape (max_iter,)
        ``scores[k - 1]`` is the mean PSNR (dB) after ``k`` iterations.

    Raises
    ------
    ValueError
        If shapes differ, ``max_iter < 1`` or ``scale <= 0``.

    Notes
    -----
    The score is :math:`\frac1n\sum_i \mathrm{PSNR}(x_i, \hat x_i^{(k)} / s)`; the iteration
    count acts as the regulariser of RL.

    Examples
    --------
    >>> truths = np.zeros((1, 16, 16)); truths[0, 4:12, 4:12] = 1
    >>> psf = np.zeros((3, 3)); psf[1, 1] = 1  # identity: no blur
    >>> best, scores = tune_rl(truths + 0.1, truths, psf, 3, background=0.1)
    >>> scores.shape
    (3,)
    """
    clip_negative = as_bool(clip_negative, "clip_negative")
    images, truths = check_pair(images, truths)
    max_iter = as_int(max_iter, "max_iter", low=1)
    scale = as_number(scale, "scale", low=0, low_open=True)
    per_image = np.empty((len(images), max_iter))
    for index, (image, truth) in enumerate(zip(images, truths, strict=True)):

        def record(k, estimate, index=index, truth=truth):
            per_image[index, k - 1] = metrics.psnr(truth, estimate / scale)

        deconvolve.richardson_lucy(
            image,
            psf,
            max_iter,
            background=background,
            callback=record,
            clip_negative=clip_negative,
        )
    scores = per_image.mean(axis=0)
    return int(np.argmax(scores)) + 1, scores


def best_time(function: Callable[[], object], *, repeats: int = 3) -> float:
    """Time ``function()`` and return the fastest of ``repeats`` runs, in seconds.

    Parameters
    ----------
    function : callable
        Called without arguments; call it once before if it compiles on first use.
    repeats : int
        Number of timed runs, >= 1.

    Returns
    -------
    float
        The minimum wall-clock time (the least disturbed by other processes).

    Raises
    ------
    TypeError
        If ``function`` is not callable or ``repeats`` not an int.
    ValueError
        If ``repeats < 1``.

    Notes
    -----
    :func:`timeit.repeat` with ``number=1``: :func:`time.perf_counter` around each call,
    with Python's garbage collector paused while it runs, as :mod:`timeit` does.

    Examples
    --------
    >>> best_time(lambda: sum(range(1000))) < 1.0
    True
    """
    as_callable(function, "function")
    repeats = as_int(repeats, "repeats", low=1)
    return float(min(timeit.repeat(function, repeat=repeats, number=1)))


def race(
    contenders: dict[str, Callable[[], object]],
    *,
    repeats: int | dict[str, int] = 3,
    warm_up: Sequence[Callable[[], object]] = (),
) -> dict[str, float]:
    """Time several ways of doing the same job under the same conditions, one after the other.

    Parameters
    ----------
    contenders : dict of str to callable
        Name to a function called without arguments (e.g. a CARE prediction and a
        Richardson-Lucy run of the same image, on the same device).
    repeats : int or dict of str to int
        Timed runs per contender (>= 1), for all or per name (names left out: 3); the
        fastest counts (:func:`best_time`). Use 1 for a slow contender.
    warm_up : sequence of callable
        Called once each, untimed, before any timing: TensorFlow builds its graph on the
        first call, which a fair race does not count (a one-iteration run, a first
        prediction).

    Returns
    -------
    dict of str to float
        Name to the best wall-clock time in seconds, in the order of ``contenders``.

    Raises
    ------
    TypeError
        If ``contenders`` is not a dict, a contender or warm-up is not callable, or a repeat
        count not an int.
    ValueError
        If ``contenders`` is empty, a repeat count is < 1, or ``repeats`` names an unknown
        contender.

    Examples
    --------
    >>> seconds = race({"sum": lambda: sum(range(1000)), "max": lambda: max(range(1000))},
    ...                repeats={"max": 1})
    >>> list(seconds), all(s < 1.0 for s in seconds.values())
    (['sum', 'max'], True)
    """
    if not isinstance(contenders, dict):
        raise TypeError(
            f"contenders must be a dict of name to function, got {type(contenders).__name__}"
        )
    if not contenders:
        raise ValueError("contenders must be a non-empty dict of name to function")
    counts = dict.fromkeys(contenders, 3)
    if isinstance(repeats, dict):
        unknown = sorted(set(repeats) - set(contenders))
        if unknown:
            raise ValueError(f"repeats names unknown contenders {unknown}")
        counts.update(repeats)
    else:
        counts = dict.fromkeys(contenders, repeats)
    counts = {name: as_int(n, f"repeats[{name!r}]", low=1) for name, n in counts.items()}
    for name, function in contenders.items():
        as_callable(function, f"contenders[{name!r}]")
    warm_up = [as_callable(function, "warm_up entries") for function in warm_up]
    for function in warm_up:
        function()
    return {
        name: best_time(function, repeats=counts[name]) for name, function in contenders.items()
    }


# --------------------------------------------------------------------------- comparison


def restore_all(
    raw,
    *,
    balance: float,
    num_iter: int,
    model=None,
    scope: Microscope | None = None,
    psf=None,
    percentiles=DEFAULT_PERCENTILES,
) -> dict[str, np.ndarray]:
    r"""Restore recorded images with every method of chapter 5, all in the truth's units.

    Parameters
    ----------
    raw : array_like, shape (n, ny, nx)
        Recorded images in photons (from :func:`simulate_pairs`).
    balance : float
        Wiener balance (e.g. from :func:`tune_wiener`).
    num_iter : int
        Richardson-Lucy iterations (e.g. from :func:`tune_rl`).
    model : csbdeep.models.CARE, optional
        Trained network; without it the ``"CARE"`` entry is left out.
    scope : decondl.forward.Microscope, optional
        The acquisition model of ``raw`` (photons and background), default ``Microscope()``.
    psf : array_like, optional
        PSF given to Wiener and RL (default ``scope.psf()``).
    percentiles : (float, float)
        CARE's input normalisation, see :func:`predict_care`.

    Returns
    -------
    dict of str to ndarray of float32, each shape (n, ny, nx)
        ``"raw"``: :math:`(y - b) / p`; ``"Wiener"``: Wiener filter of that;
        ``"Richardson-Lucy"``: RL of :math:`y` with background :math:`b`, divided by
        :math:`p`; ``"CARE"``: :func:`predict_care` (already in truth units).

    Raises
    ------
    ValueError
        If ``raw`` is not a stack of 2D images.

    Notes
    -----
    With photons :math:`p` and background :math:`b`, an image in photons :math:`y` has the
    truth's scale after :math:`(y - b)/p` (:meth:`decondl.forward.Microscope.to_truth_units`);
    RL estimates the object in photons without background, so it is divided by :math:`p` only.

    Examples
    --------
    >>> from decondl import restore, synthetic
    >>> raw, truths = restore.simulate_pairs(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, rng=0)
    >>> sorted(restore_all(raw, balance=0.01, num_iter=5))
    ['Richardson-Lucy', 'Wiener', 'raw']
    """
    raw = as_stack(raw, "raw", ndims=(2,))
    num_iter = as_int(num_iter, "num_iter", low=0)
    scope = Microscope() if scope is None else scope
    psf = scope.psf() if psf is None else psf
    in_units = np.stack([scope.to_truth_units(im) for im in raw]).astype(np.float32)
    results = {
        "raw": in_units,
        "Wiener": np.stack([deconvolve.wiener(im, psf, balance) for im in in_units]),
        "Richardson-Lucy": np.stack(
            [
                deconvolve.richardson_lucy(
                    im, psf, num_iter, background=scope.background, clip_negative=True
                )
                / scope.photons
                for im in raw.astype(np.float32)
            ]
        ),
    }
    if model is not None:
        results["CARE"] = predict_care(model, raw, percentiles=percentiles)
    return {name: np.asarray(v, dtype=np.float32) for name, v in results.items()}


def mean_scores(truths, results: dict) -> dict[str, dict[str, float]]:
    """Mean PSNR and SSIM of every method's restorations against the truths.

    Parameters
    ----------
    truths : array_like, shape (n, ny, nx)
        Ground truths.
    results : dict of str to array_like, each shape (n, ny, nx)
        Restorations in the truth's units, e.g. from :func:`restore_all`.

    Returns
    -------
    dict of str to dict
        ``{name: {"psnr": dB, "ssim": value, "flux": ratio}}``: mean PSNR and SSIM over the
        ``n`` images (:func:`decondl.metrics.psnr`, :func:`decondl.metrics.ssim`, data range of
        each truth) and the total intensity of the restorations divided by the truths' (1 when
        the method preserves the amount of light). Python floats.

    Raises
    ------
    ValueError
        If a result's shape differs from the truths'.

    Examples
    --------
    >>> truths = np.zeros((2, 16, 16)); truths[:, 4:12, 4:12] = 1
    >>> mean_scores(truths, {"same": truths})["same"]["ssim"]
    1.0
    """
    truths = as_stack(truths, "truths")
    scores = {}
    for name, images in results.items():
        images = np.asarray(images)
        if images.shape != truths.shape:
            raise ValueError(f"results[{name!r}] has shape {images.shape}, expected {truths.shape}")
        scores[name] = {
            "psnr": _mean_psnr(truths, images),
            "ssim": float(
                np.mean([metrics.ssim(t, im) for t, im in zip(truths, images, strict=True)])
            ),
            "flux": float(images.astype(np.float64).sum() / truths.astype(np.float64).sum()),
        }
    return scores
