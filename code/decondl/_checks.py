"""Argument checks shared by every module of :mod:`decondl` (private).

One rule per concept, one wording per rule: every public function validates its
arguments with these helpers, so that bad input fails at the call with a message that
names the argument and says what was expected, never deep inside NumPy.

Each helper returns the value in the form the caller computes with (a float, an int, an
array of a float dtype, a normalised PSF ...) and raises :class:`TypeError` for a value
of the wrong kind, :class:`ValueError` for a value of the right kind outside its range.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence

import numpy as np

__all__ = [
    "as_array",
    "as_bool",
    "as_callable",
    "as_choice",
    "as_float_array",
    "as_int",
    "as_labels",
    "as_mask",
    "as_number",
    "as_pair",
    "as_per_axis",
    "as_psf",
    "as_rng",
    "as_shape",
    "as_stack",
    "as_workers",
    "available_cores",
    "float_dtype",
]


# --------------------------------------------------------------------------- scalars


def as_rng(rng) -> np.random.Generator:
    """Return ``rng`` as a :class:`numpy.random.Generator`; accept a Generator or an int seed.

    Raises
    ------
    TypeError
        If ``rng`` is neither (``None`` and ``bool`` included: randomness must be explicit).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool | np.bool_):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator or an int seed, got {type(rng).__name__}; "
        "create one with numpy.random.default_rng(seed)"
    )


def as_bool(value, name: str) -> bool:
    """Return ``value`` as a bool; accept only ``True``/``False`` (and NumPy booleans).

    A string such as ``"False"`` is truthy in Python, so it is refused rather than
    silently read as ``True``.

    Raises
    ------
    TypeError
        If ``value`` is not a boolean; the message names the argument ``name``.
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def as_callable(value, name: str, *, optional: bool = False):
    """Return ``value`` if it can be called (or is None when ``optional``).

    Raises
    ------
    TypeError
        If it cannot be called.
    """
    if callable(value) or (optional and value is None):
        return value
    expected = "callable or None" if optional else "callable"
    raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")


def _bounds_text(low, high, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def as_number(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float within the given bounds.

    Parameters
    ----------
    value : real number
        Python or NumPy integers and floats; ``bool`` is refused.
    name : str
        The argument's name, for the message.
    low, high : float, optional
        Bounds; ``None`` for none.
    low_open, high_open : bool
        Exclude the bound itself (``value > low`` rather than ``value >= low``).

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is not finite or lies outside the bounds.

    Examples
    --------
    >>> as_number(2, "sigma", low=0, low_open=True)
    2.0
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r:.40}")
    value = float(value)
    bounds = _bounds_text(low, high, low_open, high_open)
    ok = np.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        expected = f"finite and {bounds}" if bounds else "finite"
        raise ValueError(f"{name} must be {expected}, got {value:g}")
    return value


def as_int(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int within ``[low, high]``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``bool`` and ``2.0`` included).
    ValueError
        If it lies outside the bounds.

    Examples
    --------
    >>> as_int(3, "n", low=1)
    3
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r:.40}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_bounds_text(low, high, False, False)}, got {value}")
    return value


def as_choice(value, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of the strings ``choices``.

    Raises
    ------
    TypeError
        If ``value`` is not a string.
    ValueError
        If it is not one of ``choices``.
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {list(choices)}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def as_pair(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    strict: bool = False,
) -> tuple[float, float]:
    """Return a ``(lo, hi)`` range of two finite numbers with ``lo <= hi`` (``<`` if ``strict``).

    Both ends must also respect ``low``/``high`` (``lo > low`` if ``low_open``).

    Raises
    ------
    TypeError
        If ``value`` is not a pair of real numbers.
    ValueError
        If the ends are not finite, out of order or outside the bounds.

    Examples
    --------
    >>> as_pair((1, 99.8), "percentiles", low=0, high=100, strict=True)
    (1.0, 99.8)
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a pair of numbers (low, high), got {value!r:.60}")
    if len(value) != 2:
        raise ValueError(f"{name} must have two entries (low, high), got {len(value)}")
    lo = as_number(value[0], f"{name}[0]", low=low, high=high, low_open=low_open)
    hi = as_number(value[1], f"{name}[1]", low=low, high=high, low_open=low_open)
    if lo > hi or (strict and lo == hi):
        relation = "<" if strict else "<="
        raise ValueError(f"{name} must satisfy low {relation} high, got {value!r}")
    return lo, hi


def as_shape(shape, name: str = "shape", ndims: Sequence[int] = (2, 3)) -> tuple[int, ...]:
    """Return an image shape: a tuple of positive ints with a length in ``ndims``.

    Raises
    ------
    TypeError
        If ``shape`` is not a sequence of ints.
    ValueError
        If its length is not allowed or a size is not positive.
    """
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints, got {type(shape).__name__}") from None
    if len(dims) not in ndims:
        allowed = " or ".join(str(d) for d in ndims)
        raise ValueError(f"{name} must have {allowed} entries, got {shape!r}")
    return tuple(as_int(size, f"{name} entries", low=1) for size in dims)


def as_per_axis(value, name: str, ndim: int, *, low: int = 1) -> tuple[int, ...]:
    """Return one int per axis: an int applies to every axis, a sequence gives one each.

    For chunk shapes, halos, tile counts; every entry must be ``>= low``.

    Raises
    ------
    TypeError
        If ``value`` is neither an int nor a sequence of ints.
    ValueError
        If the sequence does not have ``ndim`` entries or an entry is below ``low``.

    Examples
    --------
    >>> as_per_axis(64, "chunks", 3)
    (64, 64, 64)
    >>> as_per_axis((1, 2), "n_tiles", 2)
    (1, 2)
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        value = (value,) * ndim
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(
            f"{name} must be an int or a tuple of ints (one per axis), got {value!r:.60}"
        )
    if len(value) != ndim:
        raise ValueError(f"{name} must have one entry per image axis ({ndim}), got {tuple(value)}")
    return tuple(as_int(v, f"{name} entries", low=low) for v in value)


def available_cores() -> int:
    """Return the number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def as_workers(workers) -> int:
    """Return the number of threads meant by ``workers`` (-1: every usable core).

    Raises
    ------
    TypeError
        If ``workers`` is not an int.
    ValueError
        If it is neither -1 nor positive.
    """
    workers = as_int(workers, "workers")
    if workers == -1:
        return available_cores()
    if workers < 1:
        raise ValueError(f"workers must be a positive number of threads or -1, got {workers}")
    return workers


# --------------------------------------------------------------------------- arrays


def float_dtype(dtype) -> np.dtype:
    """Return the float dtype to compute with for an array of ``dtype``.

    float32 and float16 compute in float32; everything else (integers, float64) in float64.
    """
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float16):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _ndim_text(ndims: Sequence[int]) -> str:
    return " or ".join(f"{d}D" for d in ndims)


def as_array(
    value,
    name: str,
    *,
    ndims: Sequence[int] | None = (2, 3),
    allow_bool: bool = False,
    finite: bool = True,
    nonnegative: bool = False,
) -> np.ndarray:
    """Return ``value`` as a non-empty, real NumPy array (its dtype unchanged).

    Parameters
    ----------
    value : array_like
        Integers or floats (booleans only with ``allow_bool``).
    name : str
        The argument's name, for the message.
    ndims : sequence of int or None
        Allowed numbers of dimensions; ``None`` allows any.
    allow_bool : bool
        Accept a boolean array (a mask).
    finite : bool
        Refuse NaN and infinity.
    nonnegative : bool
        Refuse negative values.

    Raises
    ------
    TypeError
        If ``value`` is not a real numeric array (complex, strings, objects, ragged lists).
    ValueError
        If it is empty, has a number of dimensions not in ``ndims``, holds NaN or infinity
        (with ``finite``) or negative values (with ``nonnegative``).

    Examples
    --------
    >>> as_array([[0, 1], [2, 3]], "image").shape
    (2, 2)
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested sequences
        raise TypeError(f"{name} must be a real numeric array: {err}") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{name} must be real, got complex dtype {arr.dtype}; take np.real({name}) or "
            f"np.abs({name}) first if that is what you mean"
        )
    if kind == "b" and not allow_bool:
        raise TypeError(f"{name} must hold numbers, got boolean dtype; use .astype(float)")
    if kind not in "iuf" and not (kind == "b" and allow_bool):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if ndims is not None and arr.ndim not in ndims:
        raise ValueError(
            f"{name} must be {_ndim_text(ndims)}, got {arr.ndim} dimensions (shape {arr.shape})"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    if nonnegative and kind != "b" and arr.min() < 0:
        raise ValueError(f"{name} must be non-negative, found minimum {arr.min():.4g}")
    return arr


def as_float_array(value, name: str, *, dtype=None, **checks) -> np.ndarray:
    """Return ``value`` validated by :func:`as_array` and converted to a float dtype.

    ``dtype`` None keeps float32 as float32 and turns everything else into float64
    (see :func:`float_dtype`); the array is copied only when its dtype changes.

    Examples
    --------
    >>> as_float_array([1, 2], "x", ndims=(1,)).dtype
    dtype('float64')
    """
    arr = as_array(value, name, **checks)
    target = float_dtype(arr.dtype) if dtype is None else np.dtype(dtype)
    return arr.astype(target, copy=False)


def as_stack(value, name: str, ndims: Sequence[int] = (2, 3), *, dtype=None) -> np.ndarray:
    """Return a stack of images, shape ``(n, *spatial)`` with ``len(spatial)`` in ``ndims``.

    Raises
    ------
    TypeError, ValueError
        As :func:`as_array`; the message says a stack was expected.
    """
    arr = as_array(value, name, ndims=None)
    if arr.ndim - 1 not in ndims:
        raise ValueError(
            f"{name} must be a stack of {_ndim_text(ndims)} images (shape (n, ...)), "
            f"got shape {arr.shape}"
        )
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


def as_labels(value, name: str, ndims: Sequence[int] = (2, 3)) -> np.ndarray:
    """Return a label image: non-negative integers, 0 for the background, as int32.

    Raises
    ------
    TypeError
        If ``value`` is not an integer array.
    ValueError
        If its number of dimensions is not in ``ndims`` or it holds negative labels.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer label image, got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        raise ValueError(
            f"{name} must be {_ndim_text(ndims)}, got {arr.ndim} dimensions (shape {arr.shape})"
        )
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0 (0 = background), found {arr.min()}")
    return arr.astype(np.int32, copy=False)


#: Negative PSF values smaller than this fraction of the largest magnitude are round-off.
PSF_ROUNDOFF = 1e-9


def as_mask(value, name: str = "mask", ndims: Sequence[int] = (2, 3)) -> np.ndarray:
    """Return a foreground mask as bool: a boolean array or 0/1 integers.

    Raises
    ------
    TypeError
        If ``value`` holds anything but booleans or the integers 0 and 1.
    ValueError
        If its number of dimensions is not in ``ndims`` or it is empty.
    """
    arr = as_array(value, name, ndims=ndims, allow_bool=True)
    if arr.dtype != bool:
        if arr.dtype.kind not in "iu" or not np.isin(arr, (0, 1)).all():
            raise TypeError(
                f"{name} must be a boolean array (or 0/1 integers), got dtype {arr.dtype}"
            )
        arr = arr.astype(bool)
    return arr


def as_psf(psf, name: str = "psf", *, ndim: int | None = None, dtype=None) -> np.ndarray:
    """Return a point spread function, validated by the one rule of the package, normalised.

    A valid PSF is a real, finite, non-negative 2D or 3D array with a positive, finite
    sum. Negative values within round-off (``PSF_ROUNDOFF`` of the largest magnitude, as
    FFT-computed PSFs have) are set to zero; larger ones are an error. The PSF is returned
    as floats (see :func:`float_dtype`, or ``dtype``) divided by its sum, so that blurring
    conserves the total intensity. Odd sizes are not required here:
    :func:`decondl.psf.normalize_psf` can enforce them.

    Parameters
    ----------
    psf : array_like
        The PSF.
    name : str
        The argument's name, for the message.
    ndim : int, optional
        Required number of dimensions (that of the image it will be used with).
    dtype : dtype, optional
        The float dtype to return.

    Raises
    ------
    TypeError
        If ``psf`` is not a real numeric array.
    ValueError
        If it is empty, not 2D/3D, has a number of dimensions other than ``ndim``,
        holds NaN, infinity or negative values, or sums to zero.

    Examples
    --------
    >>> float(as_psf([[0, 1], [1, 2]]).sum())
    1.0
    """
    arr = as_array(psf, name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must have the same number of dimensions as the image ({ndim}D), "
            f"got {arr.ndim}D shape {arr.shape}"
        )
    values = arr.astype(np.float64)
    if values.min() < 0:
        if values.min() < -PSF_ROUNDOFF * np.abs(values).max():
            raise ValueError(
                f"{name} must be non-negative (a PSF is an intensity), found minimum "
                f"{values.min():.3g}; if the negatives are noise, clip them with "
                f"np.clip({name}, 0, None)"
            )
        values = np.clip(values, 0.0, None)  # FFT round-off of a computed PSF
    total = float(values.sum())
    if not total > 0:
        raise ValueError(f"{name} must have a positive sum, got an all-zero {name}")
    if not np.isfinite(total):
        raise ValueError(f"{name} sum overflows; scale it down (it is normalised anyway)")
    target = float_dtype(arr.dtype) if dtype is None else np.dtype(dtype)
    return (values / total).astype(target)
