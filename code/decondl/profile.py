"""The run profile: how much training the deep-learning chapters do.

Three profiles exist (see ``PROFILES``):

``quick``
    Small data sets and few epochs, so that the whole book builds on a 2-core
    CPU without a GPU (several minutes per training chapter). Numbers in the text are then
    those of a short training.
``full``
    The sizes the published book is built with on a GPU (a Colab T4-class card
    needs about ten minutes per training chapter).
``smoke``
    Tiny sizes (a few images, two epochs of a few steps) for tests that only need
    every code path to run, such as running the Colab notebooks under Colab's
    package versions (``tests/test_colab_runtime.py``); the networks learn nothing
    and the chapters' numbers mean nothing. Never chosen automatically.

The active profile is chosen by :func:`current`: the environment variable
``DECONDL_PROFILE`` wins; otherwise ``full`` if TensorFlow sees a GPU, else
``quick``. GPU detection runs in a child process, so asking for the profile
never imports TensorFlow into the caller.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from decondl._checks import as_choice

__all__ = [
    "ENV_VAR",
    "MODEL_DIR_VAR",
    "PROFILES",
    "Profile",
    "current",
    "fingerprint",
    "get",
    "gpu_available",
    "model_dir",
    "source_hash",
]

#: Name of the environment variable that selects the profile.
ENV_VAR = "DECONDL_PROFILE"
#: Set next to ``ENV_VAR`` by the book build, to tell kernels how the profile was chosen.
SOURCE_VAR = "DECONDL_PROFILE_SOURCE"
#: Folder under which trained models are kept (the book build sets it to ``_build/models``).
MODEL_DIR_VAR = "DECONDL_MODEL_DIR"


@dataclass(frozen=True)
class Profile:
    """A named set of training sizes.

    Parameters
    ----------
    name : {"quick", "full", "smoke"}
        Profile name.
    description : str
        One sentence for readers.
    params : Mapping[str, int or float]
        Training sizes (epochs, steps, numbers of images) used by the chapters.
        Read them with ``profile["key"]``.
    source : str
        How the profile was chosen (for the line the chapters print).
    """

    name: str
    description: str
    params: Mapping[str, int | float] = field(default_factory=dict)
    source: str = "explicit"

    def __post_init__(self):
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __getitem__(self, key: str) -> int | float:
        """Return the training parameter ``key``."""
        try:
            return self.params[key]
        except KeyError:
            raise KeyError(
                f"profile {self.name!r} has no parameter {key!r}; "
                f"known parameters: {sorted(self.params)}"
            ) from None

    def describe(self) -> str:
        """Return the one line every training chapter prints."""
        return f"Run profile: {self.name} ({self.source}). {self.description}"


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "quick": Profile(
            name="quick",
            description="Small training sizes for a CPU: minutes per training chapter, not hours.",
            params={
                # chapter 2 (U-Net and the receptive field): shallow CNN vs U-Net
                "unet_train_images": 200,
                "unet_test_images": 16,
                "unet_epochs": 12,
                "unet_steps_per_epoch": 40,
                # chapter 6 (instance segmentation): StarDist on simulated nuclei
                "stardist_train_images": 200,
                "stardist_val_images": 8,
                "stardist_test_images": 16,
                "stardist_n_rays": 32,
                "stardist_grid": 2,
                "stardist_patch_px": 64,
                "stardist_batch_size": 8,
                "stardist_unet_depth": 3,
                "stardist_filters": 32,
                "stardist_epochs": 20,
                "stardist_steps_per_epoch": 40,
                # chapter 5 (restoration with CARE): simulated pairs, CARE training sizes
                "care_train_images": 48,
                "care_val_images": 8,
                "care_test_images": 8,
                "care_patches_per_image": 8,
                "care_epochs": 12,
                "care_steps_per_epoch": 20,
                "care_batch_size": 16,
                "care_unet_depth": 2,
                "care_unet_n_first": 32,
            },
        ),
        "full": Profile(
            name="full",
            description="Training sizes of the published book, meant for a GPU.",
            params={
                "unet_train_images": 2000,
                "unet_test_images": 64,
                "unet_epochs": 100,
                "unet_steps_per_epoch": 100,
                "stardist_train_images": 800,
                "stardist_val_images": 32,
                "stardist_test_images": 64,
                "stardist_n_rays": 32,
                "stardist_grid": 2,
                "stardist_patch_px": 128,
                "stardist_batch_size": 8,
                "stardist_unet_depth": 3,
                "stardist_filters": 32,
                "stardist_epochs": 60,
                "stardist_steps_per_epoch": 100,
                "care_train_images": 400,
                "care_val_images": 32,
                "care_test_images": 32,
                "care_patches_per_image": 16,
                "care_epochs": 100,
                "care_steps_per_epoch": 100,
                "care_batch_size": 16,
                "care_unet_depth": 3,
                "care_unet_n_first": 32,
            },
        ),
        "smoke": Profile(
            name="smoke",
            description="Tiny training sizes that only check that the code runs (for tests).",
            params={
                "unet_train_images": 16,
                "unet_test_images": 4,
                "unet_epochs": 2,
                "unet_steps_per_epoch": 3,
                "stardist_train_images": 8,
                "stardist_val_images": 2,
                "stardist_test_images": 4,
                "stardist_n_rays": 16,
                "stardist_grid": 2,
                "stardist_patch_px": 64,
                "stardist_batch_size": 4,
                "stardist_unet_depth": 2,
                "stardist_filters": 8,
                "stardist_epochs": 2,
                "stardist_steps_per_epoch": 3,
                "care_train_images": 6,
                "care_val_images": 2,
                "care_test_images": 2,
                "care_patches_per_image": 4,
                "care_epochs": 2,
                "care_steps_per_epoch": 3,
                "care_batch_size": 8,
                "care_unet_depth": 2,
                "care_unet_n_first": 8,
            },
        ),
    }
)

_DETECT_GPU = (
    "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); "
    "import tensorflow as tf; print(len(tf.config.list_physical_devices('GPU')))"
)


@functools.lru_cache(maxsize=1)
def gpu_available(timeout_s: float = 180.0) -> bool:
    """Tell whether TensorFlow sees at least one GPU.

    The check runs ``tensorflow`` in a child process so that the calling
    process does not import it (importing TensorFlow costs seconds and memory
    that chapters without deep learning should not pay). The answer is cached.

    Parameters
    ----------
    timeout_s : float
        Seconds to wait for the child process.

    Returns
    -------
    bool
        ``False`` when TensorFlow is not installed, fails to start, or sees no GPU.
    """
    try:
        result = subprocess.run(
            [sys.executable, "-c", _DETECT_GPU],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    if result.returncode != 0:
        return False
    lines = result.stdout.strip().splitlines()
    return bool(lines) and lines[-1].isdigit() and int(lines[-1]) > 0


def get(name: str) -> Profile:
    """Return the profile called ``name``.

    Parameters
    ----------
    name : {"quick", "full", "smoke"}
        Profile name (case and surrounding blanks are ignored).

    Returns
    -------
    Profile

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not a known profile.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    return PROFILES[as_choice(key, "name", sorted(PROFILES))]


def current() -> Profile:
    """Return the active run profile.

    ``DECONDL_PROFILE`` wins if it is set and not empty; otherwise the profile
    is ``full`` when TensorFlow sees a GPU (:func:`gpu_available`) and ``quick``
    when it does not.

    Returns
    -------
    Profile
        With ``source`` telling how it was chosen.

    Raises
    ------
    ValueError
        If ``DECONDL_PROFILE`` names an unknown profile.

    Examples
    --------
    >>> import os
    >>> os.environ["DECONDL_PROFILE"] = "quick"
    >>> current().name
    'quick'
    """
    requested = os.environ.get(ENV_VAR, "").strip()
    if requested:
        try:
            chosen = get(requested)
        except ValueError as error:
            raise ValueError(f"{ENV_VAR}={requested!r}: {error}") from None
        return _with_source(chosen, os.environ.get(SOURCE_VAR) or f"set by {ENV_VAR}")
    if gpu_available():
        return _with_source(PROFILES["full"], "TensorFlow sees a GPU")
    return _with_source(PROFILES["quick"], "no GPU seen by TensorFlow")


def model_dir(name: str, profile: Profile | None = None) -> Path:
    """Return the folder where the model ``name`` trained in ``profile`` is kept.

    Models are kept per profile, so a quick model is never mistaken for a full one:
    ``$DECONDL_MODEL_DIR/<profile>/<name>``, where ``DECONDL_MODEL_DIR`` defaults to
    ``~/.cache/decondl/models``. The book build points it into ``_build/models`` (git-ignored,
    removed by ``make clean``). The folder is not created here.

    Parameters
    ----------
    name : str
        Model name: a single folder name (letters, digits, ``-``, ``_``, ``.``), which should
        encode everything the model depends on (e.g. a hash of its configuration and data).
    profile : Profile, optional
        Defaults to :func:`current`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If ``name`` is empty or is not a plain folder name.
    """
    if (
        not isinstance(name, str)
        or not re.fullmatch(r"[A-Za-z0-9._-]+", name)
        or name in {".", ".."}
    ):
        raise ValueError(f"name must be a plain folder name (letters, digits, . _ -), got {name!r}")
    profile = current() if profile is None else profile
    base = os.environ.get(MODEL_DIR_VAR, "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "decondl" / "models"
    return root / profile.name / name


def source_hash() -> str:
    """Return a SHA-256 (hex) over the path and content of every source file of ``decondl``.

    Any change to the package changes it. The book build keys its execution cache on it, and
    :func:`fingerprint` includes it, so a model trained by older code is never reused.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root).as_posix()).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(*arrays, **settings) -> str:
    """Return 10 hex digits that change when anything a trained model depends on changes.

    The hash covers the ``settings`` (configuration, seed, sizes: JSON-serialisable values),
    the shape, dtype and bytes of every array of training ``arrays`` (the data themselves,
    not how they were made), and :func:`source_hash` (the code that simulated, trained and
    will load the model). Cached models are named with it (``<prefix>-<fingerprint>``).

    Parameters
    ----------
    *arrays : array_like
        The training and validation data.
    **settings
        Everything else the model depends on: numbers, strings, lists, dicts, NumPy scalars
        and arrays.

    Returns
    -------
    str
        The same for equal inputs and package source; different (with overwhelming
        probability) otherwise.

    Raises
    ------
    TypeError
        If a setting cannot be serialised to JSON.

    Examples
    --------
    >>> import numpy as np
    >>> data = np.zeros((2, 8, 8))
    >>> fingerprint(data, epochs=10) == fingerprint(data.copy(), epochs=10)
    True
    >>> fingerprint(data, epochs=10) == fingerprint(data + 1, epochs=10)
    False
    """

    def jsonable(value):
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(f"object of type {type(value).__name__} is not JSON serialisable")

    digest = hashlib.sha256()
    try:
        digest.update(json.dumps(settings, sort_keys=True, default=jsonable).encode())
    except TypeError as error:
        raise TypeError(f"settings must be JSON-serialisable: {error}") from None
    for arr in arrays:
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.shape}{arr.dtype.str}".encode())
        digest.update(arr.tobytes())
    digest.update(source_hash().encode())
    return digest.hexdigest()[:10]


def _with_source(profile: Profile, source: str) -> Profile:
    return Profile(profile.name, profile.description, profile.params, source)
