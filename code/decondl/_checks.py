"""Argument checks shared by the modules of :mod:`decondl` (private)."""

from __future__ import annotations

import numbers

import numpy as np


def as_rng(rng) -> np.random.Generator:
    """Return ``rng`` as a :class:`numpy.random.Generator`; accept a Generator or an int seed.

    Raises
    ------
    TypeError
        If ``rng`` is neither (``None`` and ``bool`` included: randomness must be explicit).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
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
