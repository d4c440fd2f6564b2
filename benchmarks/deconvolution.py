"""Richardson-Lucy speed and agreement: ``decondl.deconvolve`` against scikit-image.

Run from the repository root with ``python benchmarks/deconvolution.py`` (about two minutes on
two cores; ``--runs`` sets the number of timed runs per implementation, at least 5).
``--baseline FILE`` also times the ``richardson_lucy`` of an older, single-file version of the
module, e.g. ``git show REV:code/decondl/deconvolve.py > /tmp/old.py``, in the same runs: on a
shared machine only such side-by-side ratios are comparable.

For each case (2D 512 x 512 with a 31 x 31 PSF and 50 iterations; 3D 64 x 128 x 128 with a
15 x 15 x 15 PSF and 20 iterations; float64 and float32) the same noisy image is deconvolved by

``skimage``
    ``skimage.restoration.richardson_lucy(image, psf, num_iter, clip=False)``;
``decondl same problem``
    ``richardson_lucy(image, psf, num_iter, pad_mode="constant", initial=0.5)``: the problem
    scikit-image solves (estimate zero outside the image, data unobserved there, flat 0.5
    start), so the two results must agree everywhere, not only in the interior;
``... 1 thread``
    the same with ``workers=1``;
``baseline same problem``
    only with ``--baseline``: the same call to the older version;
``TF CPU same problem``, ``TF GPU same problem``
    the same call with ``backend="tensorflow"``, placed on TensorFlow's CPU and, when
    TensorFlow sees one, on its first GPU (``tf.device``); left out when TensorFlow is not
    installed or ``--no-tensorflow`` is given;
``decondl default``
    ``richardson_lucy(image, psf, num_iter)``: reflect extension, unobserved band and a
    flux-preserving start, a different (better) border model, so it agrees with scikit-image
    only far from the borders; its FFT size (image + 4 PSF half-widths per axis, rounded up)
    can be larger than scikit-image's (image + 2 half-widths): equal in 2D here, 1.5 times
    the volume in 3D.

The implementations run alternately, run by run, and the median time of each is reported with
the ratios ``skimage / this`` and ``numpy / this`` (``numpy``: ``decondl same problem``, the
NumPy backend). The FFT floor is the median time of one
``scipy.fft.rfftn`` + ``scipy.fft.irfftn`` pair at the padded size (``workers=-1``) times the
two pairs an iteration needs times the number of iterations. Agreement is
``max |decondl - skimage| / max |skimage|`` over the whole image and over the interior (pixels
more than one PSF width from every border); the TensorFlow rows are compared with the NumPy
backend over the whole image.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import time

import numpy as np
import scipy
import scipy.fft
import skimage
from scipy.signal import fftconvolve
from skimage.restoration import richardson_lucy as skimage_richardson_lucy

from decondl import backend
from decondl._checks import available_cores
from decondl.deconvolve import _padding, richardson_lucy

CASES = [
    # name, image shape, PSF shape, num_iter, dtype
    ("2D 512x512, PSF 31x31, 50 it", (512, 512), (31, 31), 50, np.float64),
    ("2D 512x512, PSF 31x31, 50 it", (512, 512), (31, 31), 50, np.float32),
    ("3D 64x128x128, PSF 15^3, 20 it", (64, 128, 128), (15, 15, 15), 20, np.float32),
    ("3D 64x128x128, PSF 15^3, 20 it", (64, 128, 128), (15, 15, 15), 20, np.float64),
]
REQUIRED_SPEEDUP = 2.5
REQUIRED_AGREEMENT = 1e-3


def asymmetric_psf(shape, sigmas, offsets):
    """Anisotropic Gaussian whose peak is off the centre ``shape // 2``: not symmetric."""
    axes = [np.arange(n) - n // 2 - offset for n, offset in zip(shape, offsets, strict=True)]
    grids = np.meshgrid(*axes, indexing="ij")
    psf = np.exp(-sum(g**2 / (2 * s**2) for g, s in zip(grids, sigmas, strict=True)))
    return psf / psf.sum()


def noisy_image(shape, psf, rng):
    """Return a blurred, Poisson-noisy phantom (smooth texture, bright spots, background)."""
    texture = fftconvolve(rng.random(shape), np.ones((5,) * len(shape)) / 5 ** len(shape), "same")
    spots = (rng.random(shape) < 2e-3) * 40.0
    obj = 10.0 * texture + spots + 2.0
    pad = [(n // 2, n // 2) for n in psf.shape]
    blurred = fftconvolve(np.pad(obj, pad, mode="reflect"), psf, mode="same")
    blurred = blurred[tuple(slice(p, p + n) for (p, _), n in zip(pad, shape, strict=True))]
    return rng.poisson(50.0 * np.clip(blurred, 0, None)) / 50.0


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fft_pair_time(shape, dtype, repeat=21):
    x = np.random.default_rng(0).random(shape).astype(dtype)

    def pair():
        scipy.fft.irfftn(scipy.fft.rfftn(x, workers=-1), s=shape, workers=-1)

    pair()
    return median_time(pair, repeat)


def relative_difference(a, b, margin=None):
    if margin is not None:
        index = tuple(slice(m, n - m) for m, n in zip(margin, a.shape, strict=True))
        a, b = a[index], b[index]
    return float(np.abs(a - b).max() / np.abs(b).max())


def load_baseline(path):
    """Return the ``richardson_lucy`` of the single-file module at ``path``."""
    spec = importlib.util.spec_from_file_location("baseline_deconvolve", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.richardson_lucy


def tensorflow_devices(enabled=True):
    """Return ``{row name: TensorFlow device}``: its CPU, and its first GPU when there is one.

    Empty when ``enabled`` is False or TensorFlow is not installed.
    """
    if not enabled:
        return {}
    try:
        tf = backend.tensorflow()
    except ImportError:
        return {}
    devices = {"TF CPU same problem": "/CPU:0"}
    if tf.config.list_physical_devices("GPU"):
        devices["TF GPU same problem"] = "/GPU:0"
    return devices


def on_device(device, fn):
    """Return ``fn`` run with TensorFlow's ops placed on ``device``."""

    def placed():
        with backend.tensorflow().device(device):
            return fn()

    return placed


def run_case(name, shape, psf_shape, num_iter, dtype, runs, rng, baseline=None, devices=None):
    dtype = np.dtype(dtype)
    sigmas = [0.12 * n for n in psf_shape]
    offsets = [(-1) ** i * 0.08 * n for i, n in enumerate(psf_shape)]
    psf = asymmetric_psf(psf_shape, sigmas, offsets).astype(dtype)
    image = noisy_image(shape, psf.astype(np.float64), rng).astype(dtype)

    impls = {
        "skimage": lambda: skimage_richardson_lucy(image, psf, num_iter=num_iter, clip=False),
        "decondl same problem": lambda: richardson_lucy(
            image, psf, num_iter, pad_mode="constant", initial=0.5
        ),
        "... 1 thread": lambda: richardson_lucy(
            image, psf, num_iter, pad_mode="constant", initial=0.5, workers=1
        ),
    }
    if baseline is not None:
        impls["baseline same problem"] = lambda: baseline(
            image, psf, num_iter, pad_mode="constant", initial=0.5
        )
    for row, device in (devices or {}).items():
        impls[row] = on_device(
            device,
            lambda: richardson_lucy(
                image, psf, num_iter, pad_mode="constant", initial=0.5, backend="tensorflow"
            ),
        )
    impls["decondl default"] = lambda: richardson_lucy(image, psf, num_iter)
    results = {key: fn() for key, fn in impls.items()}  # warm-up, and the results compared
    times = {key: [] for key in impls}
    order = list(impls)
    for run in range(runs):
        for key in order[run % len(order) :] + order[: run % len(order)]:  # rotate the order
            start = time.perf_counter()
            impls[key]()
            times[key].append(time.perf_counter() - start)
    median = {key: statistics.median(values) for key, values in times.items()}

    shape_same = _padding.rl_plan(shape, psf_shape, "constant").shape
    shape_default = _padding.rl_plan(shape, psf_shape, "reflect").shape
    floors = {}  # FFT time of the 2 * num_iter pairs of each FFT shape
    for fft_shape in {shape_same, shape_default}:
        floors[fft_shape] = 2 * num_iter * fft_pair_time(fft_shape, dtype)

    reference = results["skimage"]
    margin = psf_shape
    print(
        f"\n{name}, {dtype.name}  (FFT shapes: same problem {shape_same}, default {shape_default})"
    )
    for fft_shape, floor in floors.items():
        print(
            f"  FFT floor at {fft_shape}: {floor:.3f} s with scipy.fft.rfftn + irfftn "
            f"(workers=-1, {2 * num_iter} pairs)"
        )
    print(
        f"  {'implementation':22s} {'median s':>9s} {'min s':>8s} {'skimage/this':>13s}"
        f" {'numpy/this':>11s} {'this/floor':>11s}"
    )
    for key in impls:
        floor = floors[shape_default if key == "decondl default" else shape_same]
        ratio = median["skimage"] / median[key]
        versus_numpy = median["decondl same problem"] / median[key]
        print(
            f"  {key:22s} {median[key]:9.3f} {min(times[key]):8.3f} {ratio:13.2f}"
            f" {versus_numpy:11.2f} {median[key] / floor:11.2f}"
        )
    same = results["decondl same problem"]
    agree_all = relative_difference(same, reference)
    agree_interior = relative_difference(same, reference, margin)
    print(
        f"  agreement, same problem vs skimage: whole image {agree_all:.1e}, "
        f"interior {agree_interior:.1e}"
    )
    default = results["decondl default"]
    widths = []
    for k in (1, 2, 3):
        if all(2 * k * m < n for m, n in zip(margin, shape, strict=True)):
            difference = relative_difference(default, reference, [k * m for m in margin])
            widths.append(f"{k} PSF width{'s' if k > 1 else ''} {difference:.1e}")
    widths = ", ".join(widths)
    print(f"  agreement, default (other border model) vs skimage beyond {widths}")
    threads_equal = np.array_equal(results["... 1 thread"], same)
    print(f"  1 thread and all threads give identical results: {threads_equal}")
    if baseline is not None:
        agree = relative_difference(same, results["baseline same problem"])
        print(f"  agreement, same problem vs baseline: whole image {agree:.1e}")
    backends = {}
    for row in devices or {}:
        agree = relative_difference(results[row], same)
        print(f"  agreement, {row} vs NumPy backend: whole image {agree:.1e}")
        label = row.removesuffix(" same problem")
        backends[label] = (
            median["skimage"] / median[row],
            median["decondl same problem"] / median[row],
            agree,
        )
    speedup = median["skimage"] / median["decondl same problem"]
    best = min(times["skimage"]) / min(times["decondl same problem"])
    old = median["skimage"] / median["baseline same problem"] if baseline is not None else None
    return speedup, best, agree_interior, old, backends


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per implementation")
    parser.add_argument(
        "--baseline", metavar="FILE", help="an older single-file deconvolve.py to time alongside"
    )
    parser.add_argument(
        "--no-tensorflow", action="store_true", help="leave out the TensorFlow backend rows"
    )
    args = parser.parse_args()
    devices = tensorflow_devices(not args.no_tensorflow)
    runs = max(5, args.runs)
    baseline = load_baseline(args.baseline) if args.baseline else None
    rng = np.random.default_rng(2024)
    print("Richardson-Lucy: decondl.deconvolve vs skimage.restoration.richardson_lucy")
    print(
        f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-image {skimage.__version__},"
        f" python {platform.python_version()}, {available_cores()} cores,"
        f" load average {os.getloadavg()[0]:.2f}, {runs} runs each, alternating"
    )
    if devices:
        tf = backend.tensorflow()
        print(f"tensorflow {tf.__version__}, its default device: {backend.device_name()}")
    outcome = []
    for case in CASES:
        outcome.append(
            (case[0], np.dtype(case[4]).name, *run_case(*case, runs, rng, baseline, devices))
        )
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    print(
        f"Summary (required: >= {REQUIRED_SPEEDUP}x faster, interior agreement "
        f"< {REQUIRED_AGREEMENT:.0e}):"
    )
    for name, dtype, speedup, best, agreement, old, backends in outcome:
        ok = speedup >= REQUIRED_SPEEDUP and agreement < REQUIRED_AGREEMENT
        versus = "" if old is None else f"  (baseline in the same runs: {old:5.2f}x)"
        print(
            f"  {name:32s} {dtype:8s} {speedup:5.2f}x (medians; {best:5.2f}x best of runs)  "
            f"interior {agreement:.1e}  {'ok' if ok else 'NOT MET'}{versus}"
        )
        for label, (vs_skimage, vs_numpy, agree) in backends.items():
            print(
                f"    {label}: {vs_skimage:5.2f}x skimage, {vs_numpy:5.2f}x the NumPy backend, "
                f"whole-image difference to NumPy {agree:.1e}"
            )
    print(
        "Speed-ups are for the same problem (pad_mode='constant', initial=0.5). Other processes\n"
        "on the machine change them a lot: compare the load averages and the 1-thread row."
    )


if __name__ == "__main__":
    main()
