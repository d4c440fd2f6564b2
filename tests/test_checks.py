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
