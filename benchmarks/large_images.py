"""Tiled against whole-image Richardson-Lucy: time and peak memory as the image grows.

Run from the repository root with ``python benchmarks/large_images.py`` (about two minutes on
two cores; ``--sizes`` sets the image sides, ``--chunk`` the chunk side, ``--num-iter`` the
iterations). Chapter 7 (*Large images*) quotes the same measurement at smaller sizes.

For each square 2D float32 image (spheres blurred by the 31 x 31 PSF of the course's standard
microscope, with Poisson noise) the same data are deconvolved, 20 iterations by default, by

``whole``
    ``decondl.deconvolve.richardson_lucy(image, psf, num_iter)`` (every core for the FFTs);
``tiled``
    ``decondl.tiled.richardson_lucy(image, psf, num_iter, chunks=chunk)`` with the default
    halo (four PSF half-widths), run by Dask's threaded scheduler with 2 threads, one FFT
    thread per chunk, and written chunk by chunk (``dask.array.store``) into an output array
    allocated beforehand, as one would write into a Zarr array on disk.

Peak memory is the largest memory allocated during the call, traced by ``tracemalloc``
(:func:`decondl.tiled.measure`): for ``whole`` it includes the result (one image), for
``tiled`` not (the output exists beforehand). The ratio columns are ``whole / tiled``.
The difference column is ``max |tiled - whole| / max |whole|`` away from the outer border
(the halo's error; see :mod:`decondl.tiled` for the border).

The second table runs the tiled version of the largest image on 1 and on 2 workers: Dask's
threaded scheduler with 1 or 2 threads, and a ``dask.distributed.LocalCluster`` with 1 or 2
single-threaded worker processes (the image is sent to them, which costs time but no memory
of this process). On a shared or 2-core machine, only side-by-side ratios are comparable.
"""

from __future__ import annotations

import argparse
import os
import platform
import warnings

import dask
import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster

from decondl import deconvolve, forward, synthetic, tiled
from decondl._checks import available_cores


def simulate(side: int, rng) -> tuple[np.ndarray, np.ndarray]:
    scope = forward.Microscope()
    h = scope.psf()
    truth, _ = synthetic.spheres((side, side), side * side // 1500, (2, 12), rng)
    image = np.maximum(scope.to_truth_units(scope.acquire(truth, rng=rng, psf=h)), 0)
    return image.astype(np.float32), h.astype(np.float32)


def run_tiled(image, h, num_iter, chunk, **compute):
    out = np.empty_like(image)
    result = tiled.richardson_lucy(image, h, num_iter, chunks=chunk)
    da.store(result, out, lock=False, **compute)
    return out


def table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).rjust(w) for v, w in zip(row, widths, strict=True)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--chunk", type=int, default=512)
    parser.add_argument("--num-iter", type=int, default=20)
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, dask {dask.__version__}, "
        f"{available_cores()} cores, {os.cpu_count()} CPUs; RL {args.num_iter} iterations, "
        f"chunks {args.chunk}, float32"
    )
    rng = np.random.default_rng(0)
    rows, largest = [], None
    for side in args.sizes:
        image, h = simulate(side, rng)
        whole, t_whole, m_whole = tiled.measure(
            lambda image=image, h=h: deconvolve.richardson_lucy(image, h, args.num_iter)
        )
        out, t_tiled, m_tiled = tiled.measure(
            lambda image=image, h=h: run_tiled(
                image, h, args.num_iter, args.chunk, scheduler="threads", num_workers=2
            )
        )
        depth = max(tiled.default_depth(h.shape))
        diff = tiled.difference_by_region(out, whole, args.chunk, depth)
        rows.append(
            [
                f"{side}x{side}",
                f"{image.nbytes / 2**20:.0f}",
                f"{t_whole:.2f}",
                f"{t_tiled:.2f}",
                f"{t_whole / t_tiled:.2f}",
                f"{m_whole / 2**20:.0f}",
                f"{m_tiled / 2**20:.0f}",
                f"{m_whole / m_tiled:.1f}",
                f"{max(diff['interior'], diff['seams']):.1e}",
            ]
        )
        largest = (image, h)
    print("\nWhole-image against tiled Richardson-Lucy (time in s, memory in MiB):")
    table(
        rows,
        ["image", "MiB", "whole s", "tiled s", "ratio", "whole MiB", "tiled MiB", "ratio", "diff"],
    )

    image, h = largest
    rows = []
    for workers in (1, 2):
        _, seconds, peak = tiled.measure(
            lambda workers=workers: run_tiled(
                image, h, args.num_iter, args.chunk, scheduler="threads", num_workers=workers
            )
        )
        rows.append([f"threads, {workers}", f"{seconds:.2f}", f"{peak / 2**20:.0f}"])
    # The image travels inside the graph to the worker processes (Dask warns about a large
    # graph); real data would be read by the workers themselves (da.from_zarr).
    warnings.filterwarnings("ignore", message="Sending large graph")
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            _, seconds, peak = tiled.measure(
                lambda client=client: run_tiled(image, h, args.num_iter, args.chunk)
            )
        rows.append([f"LocalCluster, {workers}", f"{seconds:.2f}", f"{peak / 2**20:.0f}"])
    side = image.shape[0]
    print(f"\nTiled {side}x{side} on 1 and 2 workers (peak memory of this process only):")
    table(rows, ["scheduler, workers", "s", "MiB"])
    print(
        f"speed-up 2 over 1 worker: threads {float(rows[0][1]) / float(rows[1][1]):.2f}, "
        f"LocalCluster {float(rows[2][1]) / float(rows[3][1]):.2f}"
    )


if __name__ == "__main__":
    main()
