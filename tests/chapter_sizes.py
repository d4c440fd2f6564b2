"""What the deep-learning chapters train, at a run profile's sizes, read from the chapters.

Shared by ``tests/test_full_profile.py`` (one training step per network at the full profile's
sizes) and ``benchmarks/full_profile.py`` (seconds per step, estimated time per chapter), so that
both use the sizes the chapters use. Sizes that a chapter types itself (chapter 2's U-Net and
patch, chapter 5's image and patch shapes) are read from its source as Python literals; the rest
comes from the run profile, as in the chapters. A chapter that stops matching these patterns
fails loudly here rather than being measured with stale sizes.

Each ``*_case`` function returns a dict with the settings and the number of training steps of
one network; each ``*_data`` function simulates data of the chapter's shapes with ``decondl``.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np

from decondl import forward, restore, segment, synthetic
from decondl import psf as psf_lib
from decondl.profile import Profile

BOOK = Path(__file__).resolve().parents[1] / "book"
UNET_CHAPTER = "unet_receptive_field.md"
CARE_CHAPTER = "care_restoration.md"
STARDIST_CHAPTER = "instance_segmentation.md"


def _source(chapter: str) -> str:
    return (BOOK / chapter).read_text()


def constant(chapter: str, name: str):
    """Value of the first top-level ``NAME = <literal>`` line of ``chapter``."""
    found = re.search(rf"^{name} = (.+)$", _source(chapter), flags=re.MULTILINE)
    if found is None:
        raise LookupError(f"{chapter}: no line '{name} = ...'")
    expression = found.group(1).split("#")[0]
    return ast.literal_eval(expression.strip())


def _bracketed(text: str, start: int) -> str:
    """``text[start:]`` up to the bracket that closes the one at ``start``."""
    depth = 0
    for end in range(start, len(text)):
        depth += text[end] in "([{"
        depth -= text[end] in ")]}"
        if depth == 0:
            return text[start : end + 1]
    raise LookupError("unbalanced brackets")


def call_literals(chapter: str, function: str, *, after: str = "") -> tuple[list, dict]:
    """Literal arguments of the first call ``function(...)`` in ``chapter`` (after ``after``).

    Returns the positional arguments (``None`` where not a literal) and the keyword arguments
    that are literals.
    """
    text = _source(chapter)
    begin = text.index(after) if after else 0
    at = text.find(function + "(", begin)
    if at < 0:
        raise LookupError(f"{chapter}: no call {function}(...)")
    call = ast.parse(function + _bracketed(text, at + len(function)), mode="eval").body

    def literal(node):
        try:
            return ast.literal_eval(node)
        except ValueError:
            return None

    args = [literal(a) for a in call.args]
    kwargs = {k.arg: literal(k.value) for k in call.keywords if literal(k.value) is not None}
    return args, kwargs


def dict_literals(chapter: str, name: str) -> dict:
    """The literal entries of the dict display assigned by ``name = {...}`` in ``chapter``."""
    text = _source(chapter)
    at = text.index(f"{name} = {{") + len(name) + 3
    node = ast.parse(_bracketed(text, at), mode="eval").body
    out = {}
    for key, value in zip(node.keys, node.values, strict=True):
        try:
            out[ast.literal_eval(key)] = ast.literal_eval(value)
        except ValueError:
            continue
    return out


# --------------------------------------------------------------------------- chapter 2


def unet_case(run: Profile) -> dict:
    """Chapter 2: the shallow CNN and the U-Net, trained with one budget on square images."""
    budget = dict_literals(UNET_CHAPTER, "budget")
    _, shallow = call_literals(UNET_CHAPTER, "nets.shallow_cnn", after="builders = {")
    return {
        "patch": constant(UNET_CHAPTER, "PATCH"),
        "unet": constant(UNET_CHAPTER, "UNET"),
        "shallow": shallow,
        "batch_size": budget["batch_size"],
        "sigma_px": constant(UNET_CHAPTER, "SIGMA_PX"),
        "camera": constant(UNET_CHAPTER, "CAMERA"),
        # the chapter trains both networks with this budget
        "steps": int(run["unet_epochs"] * run["unet_steps_per_epoch"]),
        "epochs": int(run["unet_epochs"]),
    }


def unet_data(case: dict, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (recorded, truth) pairs of chapter 2's shape, each ``(n, patch, patch)``."""
    rng = np.random.default_rng(rng)
    blur = psf_lib.gaussian_psf((49, 49), case["sigma_px"])
    X, Y = [], []
    for _ in range(n):
        truth, _ = synthetic.nuclei((case["patch"],) * 2, 6, rng, radius_range_px=(3, 8))
        raw = forward.acquire(truth, blur, rng=rng, **case["camera"])
        X.append(forward.to_truth_units(raw, **case["camera"]))
        Y.append(truth)
    return np.stack(X).astype(np.float32), np.stack(Y).astype(np.float32)


# --------------------------------------------------------------------------- chapter 5


def care_case(run: Profile) -> dict:
    """Chapter 5: CARE on patches of simulated spheres, configured by the run profile."""
    val_args, _ = call_literals(CARE_CHAPTER, "restore.make_patches", after="X_val, Y_val, _ =")
    return {
        "shape": constant(CARE_CHAPTER, "SHAPE"),
        "spheres": constant(CARE_CHAPTER, "SPHERES"),
        "patch": constant(CARE_CHAPTER, "PATCH"),
        "patches_per_image": int(run["care_patches_per_image"]),
        "val_patches_per_image": val_args[3],
        "batch_size": int(run["care_batch_size"]),
        "steps": int(run["care_epochs"] * run["care_steps_per_epoch"]),
        "epochs": int(run["care_epochs"]),
    }


def care_data(case: dict, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (recorded, truth) image pairs of chapter 5's shape (``restore.simulate_pairs``)."""

    def phantom(r):
        return synthetic.spheres(case["shape"], rng=r, **case["spheres"])

    return restore.simulate_pairs(phantom, n, rng)


# --------------------------------------------------------------------------- chapter 6


def stardist_case(run: Profile) -> dict:
    """Chapter 6: StarDist on simulated nuclei, configured by the run profile."""
    _, kwargs = call_literals(STARDIST_CHAPTER, "segment.simulate_dataset", after="data = {")
    default = inspect.signature(segment.simulate_dataset).parameters["shape"].default
    return {
        "shape": tuple(kwargs.get("shape", default)),
        "batch_size": int(run["stardist_batch_size"]),
        "steps": int(run["stardist_epochs"] * run["stardist_steps_per_epoch"]),
        "epochs": int(run["stardist_epochs"]),
    }


def stardist_data(case: dict, n: int, rng) -> tuple[list, np.ndarray]:
    """``n`` normalised images and their labels, of chapter 6's shape."""
    raw, labels, _ = segment.simulate_dataset(n, rng, shape=case["shape"])
    return [segment.normalize(r) for r in raw], labels
