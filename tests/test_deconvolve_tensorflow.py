"""The TensorFlow backend of decondl.deconvolve gives the NumPy backend's results and errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from decondl.deconvolve import richardson_lucy, wiener
from test_deconvolve import ARRAY_CASES, GOOD_IMAGE, GOOD_PSF, gaussian_psf

pytestmark = pytest.mark.dl

# Odd and even image sizes, odd and even (asymmetric) PSF sizes, 2D and 3D.
CASES = {
    "2d-odd": ((71, 60), (11, 8)),
    "2d-even": ((64, 90), (9, 9)),
    "3d-odd": ((17, 36, 33), (7, 9, 4)),
    "3d-even": ((20, 32, 30), (5, 6, 9)),
}
PAD_MODES = ["reflect", "constant", "wrap"]


def problem(case, dtype=np.float32):
    shape, psf_shape = CASES[case]
    rng = np.random.default_rng(len(shape) + sum(shape))
    offsets = [(-1) ** i * 0.8 for i in range(len(psf_shape))]
    psf = gaussian_psf(psf_shape, [0.25 * n for n in psf_shape], offsets)
    assert not np.allclose(psf, np.flip(psf))  # asymmetric: convolution != correlation
    image = (rng.poisson(50.0, shape) + 5.0).astype(dtype)
    return image, psf


def relative_difference(a, b):
    """Norm of the difference over the whole image, relative to the NumPy result."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


@pytest.mark.parametrize("pad_mode", PAD_MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_richardson_lucy_agrees_in_float32(case, pad_mode):
    image, psf = problem(case)
    kwargs = {"background": 5.0, "pad_mode": pad_mode}
    expected = richardson_lucy(image, psf, 25, **kwargs)
    result = richardson_lucy(image, psf, 25, backend="tensorflow", **kwargs)
    assert result.dtype == np.float32 and result.shape == image.shape
    assert relative_difference(expected, result) < 1e-4
    assert result.min() >= 0


@pytest.mark.parametrize("pad_mode", PAD_MODES)
@pytest.mark.parametrize("case", list(CASES))
def test_wiener_agrees_in_float32(case, pad_mode):
    image, psf = problem(case)
    expected = wiener(image, psf, 0.01, pad_mode=pad_mode)
    result = wiener(image, psf, 0.01, pad_mode=pad_mode, backend="tensorflow")
    assert result.dtype == np.float32 and result.shape == image.shape
    assert relative_difference(expected, result) < 1e-4


@pytest.mark.parametrize("case", ["2d-odd", "3d-even"])
def test_float64_agrees_to_rounding(case):
    image, psf = problem(case, np.float64)
    rl = [richardson_lucy(image, psf, 10, backend=b) for b in ("numpy", "tensorflow")]
    wi = [wiener(image, psf, 0.01, backend=b) for b in ("numpy", "tensorflow")]
    assert rl[1].dtype == np.float64 and wi[1].dtype == np.float64
    assert relative_difference(*rl) < 1e-10
    assert relative_difference(*wi) < 1e-10


def test_callback_history_and_initial_follow_numpy():
    image, psf = problem("2d-even")
    start = np.full(image.shape, 40.0)
    runs = {}
    for backend in ("numpy", "tensorflow"):
        seen = []
        runs[backend] = richardson_lucy(
            image,
            psf,
            4,
            initial=start,
            return_history=True,
            callback=lambda k, est, seen=seen: seen.append((k, est.shape)),
            backend=backend,
        )
        assert seen == [(k, image.shape) for k in range(1, 5)]
    (_, np_history), (tf_result, tf_history) = runs["numpy"], runs["tensorflow"]
    assert len(tf_history) == 4 and np.array_equal(tf_history[-1], tf_result)
    for a, b in zip(np_history, tf_history, strict=True):
        assert relative_difference(a, b) < 1e-5
    assert np.array_equal(
        richardson_lucy(image, psf, 0, backend="tensorflow"), richardson_lucy(image, psf, 0)
    )


FUNCTIONS = {
    "wiener": lambda image, psf, **kw: wiener(image, psf, 0.1, **kw),
    "richardson_lucy": lambda image, psf, **kw: richardson_lucy(image, psf, 2, **kw),
}


def raised(call):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("image, psf, exception, match", ARRAY_CASES)
def test_bad_arrays_raise_the_same_errors(function, image, psf, exception, match):
    errors = [
        raised(lambda b=b: FUNCTIONS[function](image, psf, backend=b))
        for b in ("numpy", "tensorflow")
    ]
    assert errors[0] == errors[1]
    assert errors[0][0] is exception


@pytest.mark.parametrize(
    "call",
    [
        lambda b: richardson_lucy(GOOD_IMAGE, GOOD_PSF, -1, backend=b),
        lambda b: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2.0, backend=b),
        lambda b: richardson_lucy(GOOD_IMAGE - 2, GOOD_PSF, 2, backend=b),
        lambda b: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, initial=np.ones(3), backend=b),
        lambda b: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, callback=1, backend=b),
        lambda b: richardson_lucy(GOOD_IMAGE, GOOD_PSF, 2, pad_mode="circular", backend=b),
        lambda b: richardson_lucy(GOOD_IMAGE, np.ones((25, 3)), 2, pad_mode="wrap", backend=b),
        lambda b: wiener(GOOD_IMAGE, GOOD_PSF, -0.1, backend=b),
        lambda b: wiener(GOOD_IMAGE, GOOD_PSF, "0.1", backend=b),
        lambda b: wiener(GOOD_IMAGE, GOOD_PSF, 0.1, workers=0, backend=b),
    ],
)
def test_bad_parameters_raise_the_same_errors(call):
    assert raised(lambda: call("numpy")) == raised(lambda: call("tensorflow"))


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize(
    "backend, exception, match",
    [
        ("torch", ValueError, "backend must be one of"),
        ("TensorFlow", ValueError, "backend must be one of"),
        (None, TypeError, "backend must be a str"),
        (1, TypeError, "backend must be a str"),
    ],
)
def test_bad_backend_raises(function, backend, exception, match):
    with pytest.raises(exception, match=match):
        FUNCTIONS[function](GOOD_IMAGE, GOOD_PSF, backend=backend)


def test_numpy_backend_and_bad_backend_do_not_import_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "import decondl.deconvolve as d\n"
        "assert 'tensorflow' not in sys.modules\n"
        "psf = np.ones((3, 3))\n"
        "d.richardson_lucy(np.ones((16, 16)), psf, 2)\n"
        "d.wiener(np.ones((16, 16)), psf, 0.1, backend='numpy')\n"
        "try:\n"
        "    d.wiener(np.ones((16, 16)), psf, 0.1, backend='gpu')\n"
        "except ValueError:\n"
        "    pass\n"
        "assert 'tensorflow' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
