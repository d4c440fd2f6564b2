"""decondl._checks and its use: a string is never read as a boolean."""

from __future__ import annotations

import numpy as np
import pytest

from decondl import deconvolve, nets, plotting, psf, synthetic
from decondl._checks import as_bool


@pytest.mark.parametrize("value", [True, False, np.True_, np.bool_(False)])
def test_as_bool_accepts_booleans(value):
    assert as_bool(value, "flag") is bool(value)


@pytest.mark.parametrize("value", ["False", "True", 0, 1, None, 0.0, np.array([True])])
def test_as_bool_refuses_everything_else(value):
    with pytest.raises(TypeError, match="flag must be True or False"):
        as_bool(value, "flag")


IMAGE = np.ones((16, 16))
PSF = np.ones((3, 3))
RNG = np.random.default_rng(0)

CALLS = {
    "clip_negative": lambda v: deconvolve.richardson_lucy(IMAGE, PSF, 1, clip_negative=v),
    "return_history": lambda v: deconvolve.richardson_lucy(IMAGE, PSF, 1, return_history=v),
    "require_odd": lambda v: psf.normalize_psf(PSF, 2, require_odd=v),
    "overlap": lambda v: synthetic.spheres((32, 32), 2, (2, 3), RNG, overlap=v),
    "subpixel": lambda v: synthetic.beads((32, 32), 2, RNG, subpixel=v),
    "bias": lambda v: nets.conv_param_count(3, 1, 1, bias=v),
    "colorbar": lambda v: plotting.plot_images([IMAGE], ["a"], colorbar=v),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_public_boolean_arguments_refuse_strings(name):
    # "False" is truthy in Python: accepting it would silently do the opposite of what was asked.
    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        CALLS[name]("False")
    CALLS[name](False)


# --------------------------------------------------------------------------- the shared helpers

from decondl import _checks  # noqa: E402


@pytest.mark.parametrize(
    ("value", "kwargs", "error", "match"),
    [
        ("1", {}, TypeError, "x must be a real number, got str"),
        (True, {}, TypeError, "x must be a real number, got bool"),
        (float("nan"), {}, ValueError, "x must be finite, got nan"),
        (0.0, {"low": 0, "low_open": True}, ValueError, r"x must be finite and > 0, got 0"),
        (2.0, {"high": 1}, ValueError, r"x must be finite and <= 1, got 2"),
        (1.0, {"high": 1, "high_open": True}, ValueError, r"< 1, got 1"),
    ],
)
def test_as_number_refuses(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        _checks.as_number(value, "x", **kwargs)


def test_as_number_and_as_int_accept():
    assert _checks.as_number(np.float32(0.5), "x", low=0, high=1) == 0.5
    assert _checks.as_int(np.int64(3), "n", low=1, high=3) == 3
    assert _checks.as_choice("max", "mode", ["max", "mean"]) == "max"


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (2.0, TypeError, "n must be an int, got float"),
        (True, TypeError, "got bool"),
        (0, ValueError, "n must be >= 1, got 0"),
    ],
)
def test_as_int_refuses(value, error, match):
    with pytest.raises(error, match=match):
        _checks.as_int(value, "n", low=1)


def test_as_choice_refuses():
    with pytest.raises(TypeError, match="mode must be a str"):
        _checks.as_choice(1, "mode", ["max"])
    with pytest.raises(ValueError, match=r"mode must be one of \['max'\], got 'min'"):
        _checks.as_choice("min", "mode", ["max"])


def test_as_pair():
    assert _checks.as_pair([1, 2], "r", low=0, low_open=True) == (1.0, 2.0)
    with pytest.raises(TypeError, match="r must be a pair of numbers"):
        _checks.as_pair("ab", "r")
    with pytest.raises(ValueError, match="r must have two entries"):
        _checks.as_pair((1, 2, 3), "r")
    with pytest.raises(ValueError, match="r must satisfy low < high"):
        _checks.as_pair((2, 2), "r", strict=True)
    with pytest.raises(ValueError, match=r"r\[0\] must be finite and > 0"):
        _checks.as_pair((0, 2), "r", low=0, low_open=True)


def test_as_shape_and_workers():
    assert _checks.as_shape([4, 5]) == (4, 5)
    with pytest.raises(ValueError, match="shape must have 2 or 3 entries"):
        _checks.as_shape((4,))
    with pytest.raises(ValueError, match="shape entries must be >= 1"):
        _checks.as_shape((4, 0))
    assert _checks.as_workers(-1) == _checks.available_cores()
    with pytest.raises(ValueError, match="workers must be a positive number of threads or -1"):
        _checks.as_workers(0)


def test_as_per_axis():
    assert _checks.as_per_axis(8, "chunks", 3) == (8, 8, 8)
    assert _checks.as_per_axis(np.array([0, 4]), "depth", 2, low=0) == (0, 4)
    with pytest.raises(TypeError, match=r"chunks must be an int or a tuple of ints \(one per"):
        _checks.as_per_axis("8", "chunks", 2)
    with pytest.raises(TypeError, match="chunks must be an int or a tuple"):
        _checks.as_per_axis(True, "chunks", 2)
    with pytest.raises(ValueError, match=r"n_tiles must have one entry per image axis \(2\)"):
        _checks.as_per_axis((1, 2, 3), "n_tiles", 2)
    with pytest.raises(ValueError, match="n_tiles entries must be >= 1"):
        _checks.as_per_axis((1, 0), "n_tiles", 2)
    with pytest.raises(TypeError, match="depth entries must be an int"):
        _checks.as_per_axis((1, 2.5), "depth", 2, low=0)


def test_as_callable():
    assert _checks.as_callable(len, "f") is len
    assert _checks.as_callable(None, "callback", optional=True) is None
    with pytest.raises(TypeError, match="f must be callable, got int"):
        _checks.as_callable(3, "f")
    with pytest.raises(TypeError, match="f must be callable, got NoneType"):
        _checks.as_callable(None, "f")
    with pytest.raises(TypeError, match="callback must be callable or None, got str"):
        _checks.as_callable("print", "callback", optional=True)


def test_as_mask():
    assert _checks.as_mask(np.array([[0, 1]])).dtype == bool
    with pytest.raises(TypeError, match="mask must be a boolean array"):
        _checks.as_mask(np.array([[0, 2]]))
    with pytest.raises(TypeError, match="mask must be a boolean array"):
        _checks.as_mask(np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="fg must be 2D, got 3 dimensions"):
        _checks.as_mask(np.ones((2, 2, 2), bool), "fg", ndims=(2,))


@pytest.mark.parametrize(
    ("value", "kwargs", "error", "match"),
    [
        (np.ones((2, 2), complex), {}, TypeError, "img must be real, got complex"),
        (np.ones((2, 2), bool), {}, TypeError, "img must hold numbers, got boolean"),
        (np.array([["a"]]), {}, TypeError, "img must be a real numeric array, got dtype"),
        ([[1, 2], [3]], {}, TypeError, "img must be a real numeric array"),
        (np.ones(3), {}, ValueError, r"img must be 2D or 3D, got 1 dimensions \(shape \(3,\)\)"),
        (np.ones((0, 3)), {}, ValueError, "img must not be empty"),
        (np.full((2, 2), np.inf), {}, ValueError, "img must contain only finite values"),
        (-np.ones((2, 2)), {"nonnegative": True}, ValueError, "img must be non-negative"),
    ],
)
def test_as_array_refuses(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        _checks.as_array(value, "img", **kwargs)


def test_as_float_array_keeps_float32_and_promotes_the_rest():
    assert _checks.as_float_array(np.ones((2, 2), np.float32), "a").dtype == np.float32
    assert _checks.as_float_array(np.ones((2, 2), np.uint16), "a").dtype == np.float64
    assert _checks.as_array(np.ones((2, 2), bool), "m", allow_bool=True).dtype == bool


def test_as_stack_and_labels():
    assert _checks.as_stack(np.ones((3, 4, 4)), "s").shape == (3, 4, 4)
    with pytest.raises(ValueError, match=r"s must be a stack of 2D images \(shape \(n, ...\)\)"):
        _checks.as_stack(np.ones((4, 4)), "s", ndims=(2,))
    assert _checks.as_labels(np.array([[0, 2]], np.uint8), "lab").dtype == np.int32
    with pytest.raises(TypeError, match="lab must be an integer label image"):
        _checks.as_labels(np.ones((2, 2)), "lab")
    with pytest.raises(ValueError, match="lab must be >= 0"):
        _checks.as_labels(-np.ones((2, 2), int), "lab")


def test_as_psf_is_the_one_rule():
    out = _checks.as_psf(np.array([[0, 1], [1, 2]], np.float32), ndim=2)
    assert out.dtype == np.float32 and np.isclose(out.sum(), 1.0)
    with pytest.raises(ValueError, match="psf must be non-negative"):
        _checks.as_psf([[0, -1], [1, 2]])
    with pytest.raises(ValueError, match="psf must have a positive sum"):
        _checks.as_psf(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"same number of dimensions as the image \(3D\)"):
        _checks.as_psf(np.ones((3, 3)), ndim=3)


def test_as_psf_clips_round_off_only():
    h = np.ones((3, 3))
    h[0, 0] = -1e-12  # FFT round-off of a computed PSF
    assert _checks.as_psf(h)[0, 0] == 0.0
    h[0, 0] = -1e-3
    with pytest.raises(ValueError, match=r"psf must be non-negative .* found minimum -0.001"):
        _checks.as_psf(h)
