"""Training cost of the full (published) profile: seconds per step, time per chapter, memory.

Run from the repository root with ``python benchmarks/full_profile.py`` (a few minutes on two
cores; ``--steps`` sets the number of timed training steps per network, at least 3).

Sizing assumption (``/DESIGN.md``, "Run profiles"): each training chapter of the ``full`` profile
should train in about 10 minutes (600 s) on a Colab T4-class GPU. This script measures, on the
machine it runs on, the seconds per training step of each network at the full profile's sizes
(those of the chapters, read by ``tests/chapter_sizes.py``):

``shallow CNN``, ``U-Net``
    chapter 2 (both trained with the same budget), one batch through ``model.train_on_batch``,
    the step ``decondl.nets.train`` takes;
``CARE``
    chapter 5, ``csbdeep``'s ``CARE.train`` (data wrapper, Keras ``fit``);
``StarDist``
    chapter 6, ``stardist``'s ``StarDist2D.train`` (patch sampling and ray targets included).

Each network runs in its own child process: it simulates a few images, trains one step through
the chapter's wrapper (``nets.train``, ``restore.train_care``, ``segment.train_stardist``; this
builds, compiles and warms the network), then times ``--steps`` more steps; the seconds per
step are the median (and the minimum) of those steps (for the Keras ``fit`` loops: the times
between the ends of consecutive steps, so data preparation is included). Memory is the peak
resident set size of the child (``ru_maxrss``) and its increase from before building the network
to after the timed steps (network, compiled graph, one step's activations, gradients, optimizer
state); on a GPU also TensorFlow's peak GPU memory (``get_memory_info``).

The estimate of a chapter is its number of training steps in the profile (epochs x steps per
epoch, summed over its networks) times the median seconds per step. It leaves out validation
after each epoch, StarDist's threshold tuning and data simulation (each a few percent here).
On a CPU, the last column is how many times faster than this machine a T4 would have to train
these networks for the chapter to fit 600 s; no GPU speed is assumed. On a GPU the same columns
are measured on it. Other processes slow the measurement: the load average is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # chapter_sizes: the chapters' sizes

BUDGET_S = 600.0  # each training chapter on a Colab T4-class GPU (DESIGN.md)
NETWORKS = ("shallow CNN", "U-Net", "CARE", "StarDist")
CHAPTERS = {
    "2 U-Net and the receptive field": ("shallow CNN", "U-Net"),
    "5 restoration with CARE": ("CARE",),
    "6 instance segmentation": ("StarDist",),
}
MARKER = "RESULT "


def maxrss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- child process


def _step_timer(keras):
    class StepTimer(keras.callbacks.Callback):
        """Times between the ends of consecutive training steps."""

        def on_train_begin(self, logs=None):
            self.ends = []

        def on_train_batch_end(self, batch, logs=None):
            self.ends.append(time.perf_counter())

        def seconds(self):
            return [b - a for a, b in zip(self.ends, self.ends[1:], strict=False)]

    return StepTimer()


@contextlib.contextmanager
def _quiet(keras):
    keras.config.disable_interactive_logging()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def measure(name: str, steps: int) -> dict:
    """Train network ``name`` one step through its wrapper, then time ``steps`` steps."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    import chapter_sizes
    from decondl import nets, profile, restore, segment

    gpus = tf.config.list_physical_devices("GPU")
    run = profile.current()
    if run.name != "full":
        raise RuntimeError(f"expected the full profile, got {run.name}")
    rng = np.random.default_rng(0)
    timer = _step_timer(keras)
    if name in ("shallow CNN", "U-Net"):
        case = chapter_sizes.unet_case(run)
        X, Y = chapter_sizes.unet_data(case, case["batch_size"], rng)
        X_val, Y_val = chapter_sizes.unet_data(case, 2, rng)
        shape = (case["patch"],) * 2
    elif name == "CARE":
        case = chapter_sizes.care_case(run)
        raw, truth = chapter_sizes.care_data(case, 2, rng)
        n, n_val = case["patches_per_image"], case["val_patches_per_image"]
        X, Y, _ = restore.make_patches(raw[:1], truth[:1], case["patch"], n, rng=rng)
        X_val, Y_val, _ = restore.make_patches(raw[1:], truth[1:], case["patch"], n_val, rng=rng)
        shape = case["patch"]
    else:
        case = chapter_sizes.stardist_case(run)
        X, Y = chapter_sizes.stardist_data(case, case["batch_size"] + 1, rng)
        X, Y, X_val, Y_val = X[:-1], Y[:-1], X[-1:], Y[-1:]
        shape = (run["stardist_patch_px"],) * 2
    if gpus:
        tf.config.experimental.reset_memory_stats("GPU:0")
    rss_before = maxrss_mib()
    with _quiet(keras):
        if name in ("shallow CNN", "U-Net"):
            nets.seed_everything(0)
            model = (
                nets.shallow_cnn(**case["shallow"])
                if name == "shallow CNN"
                else nets.unet(**case["unet"])
            )
            nets.train(
                model,
                X,
                Y,
                validation_data=(X_val, Y_val),
                epochs=1,
                steps_per_epoch=1,
                batch_size=case["batch_size"],
                rng=rng,
            )
            seconds = []
            for _ in range(steps):
                index = rng.integers(0, len(X), size=case["batch_size"])
                start = time.perf_counter()
                model.train_on_batch(X[index, ..., None], Y[index, ..., None])
                seconds.append(time.perf_counter() - start)
        elif name == "CARE":
            config = restore.care_config(run, train_epochs=1, train_steps_per_epoch=1)
            model, _ = restore.train_care(X, Y, (X_val, Y_val), config, name="bench", seed=0)
            model.callbacks.append(timer)
            model.train(X, Y, (X_val, Y_val), epochs=1, steps_per_epoch=steps + 1)
            seconds = timer.seconds()
        else:
            config = segment.stardist_config(run, train_epochs=1, train_steps_per_epoch=1)
            model, _ = segment.train_stardist(
                X, Y, (X_val, Y_val), config=config, seed=0, nms_threshs=[0.4]
            )
            model.callbacks.append(timer)
            model.train(X, Y, (X_val, Y_val), epochs=1, steps_per_epoch=steps + 1)
            seconds = timer.seconds()
    result = {
        "network": name,
        "batch": int(case["batch_size"]),
        "input": "x".join(map(str, shape)),
        "seconds": seconds,
        "rss_peak_mib": maxrss_mib(),
        "rss_increase_mib": maxrss_mib() - rss_before,
        "device": "CPU",
        "tensorflow": tf.__version__,
    }
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        result["device"] = f"GPU {details.get('device_name', gpus[0].name)}"
        result["gpu_peak_mib"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return result


# --------------------------------------------------------------------------- parent process


def minutes(seconds: float) -> str:
    return f"{seconds / 60:6.1f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6, help="timed training steps (>= 3)")
    parser.add_argument("--child", choices=NETWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 3:
        parser.error("--steps must be at least 3")
    if args.child:
        print(MARKER + json.dumps(measure(args.child, args.steps)), flush=True)
        return

    from decondl import profile

    load = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory() as models:
        env = dict(os.environ, DECONDL_PROFILE="full", DECONDL_MODEL_DIR=models)
        env.pop(profile.SOURCE_VAR, None)
        for name in NETWORKS:
            cmd = [sys.executable, __file__, "--child", name, "--steps", str(args.steps)]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
            if proc.returncode or not lines:
                sys.exit(f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            results[name] = json.loads(lines[-1][len(MARKER) :])

    report(results, load, args.steps)


def chapter_cost(run, names, results) -> tuple[list[int], float]:
    """Training steps of each network of a chapter in ``run``, and their estimated seconds."""
    import chapter_sizes

    case = {
        "shallow CNN": chapter_sizes.unet_case,
        "U-Net": chapter_sizes.unet_case,
        "CARE": chapter_sizes.care_case,
        "StarDist": chapter_sizes.stardist_case,
    }
    steps = [case[name](run)["steps"] for name in names]
    per_step = [statistics.median(results[name]["seconds"]) for name in names]
    return steps, sum(n * s for n, s in zip(steps, per_step, strict=True))


def report(results: dict, load: float, steps: int) -> None:
    from decondl import profile

    first = results[NETWORKS[0]]
    gpu = "gpu_peak_mib" in first
    print(
        f"Full-profile training cost on {first['device']} ({platform.machine()}, "
        f"{os.cpu_count()} cores, load average {load:.1f} at start); Python "
        f"{platform.python_version()}, TensorFlow {first['tensorflow']}"
    )
    print(
        f"Sizing assumption (DESIGN.md): each training chapter trains in about "
        f"{BUDGET_S / 60:.0f} min on a Colab T4-class GPU.\n"
    )
    header = f"{'network':12s} {'batch':>5s} {'input':>8s} {'s/step median':>14s} {'min':>7s}"
    print(header + f" {'peak RSS MiB':>13s} {'of it training':>15s}" + " GPU peak MiB" * gpu)
    for name, r in results.items():
        line = (
            f"{name:12s} {r['batch']:5d} {r['input']:>8s} {statistics.median(r['seconds']):14.3f} "
            f"{min(r['seconds']):7.3f} {r['rss_peak_mib']:13.0f} {r['rss_increase_mib']:+15.0f}"
        )
        print(line + (f" {r['gpu_peak_mib']:12.0f}" if gpu else ""))
    print(
        f"(median and minimum of {steps - 1}-{steps} timed steps after a warm-up step; "
        "'of it training': growth from before building the network)\n"
    )
    last = "x the budget" if gpu else "T4 speed-up needed"
    print(f"{'chapter':32s} {'full steps':>13s} {'full here':>10s} {last:>19s}")
    for chapter, names in CHAPTERS.items():
        full_steps, full_s = chapter_cost(profile.get("full"), names, results)
        print(
            f"{chapter:32s} {' + '.join(map(str, full_steps)):>13s} {minutes(full_s):>10s} "
            f"{full_s / BUDGET_S:18.1f}x"
        )
    meaning = (
        "on this GPU (> 1: over budget)"
        if gpu
        else "how many times faster than this machine a T4 must train these networks"
    )
    print(
        "\nTraining steps only (no validation, threshold tuning, simulation). "
        f"'{last}': full here / {BUDGET_S:.0f} s, {meaning}."
    )


if __name__ == "__main__":
    main()
