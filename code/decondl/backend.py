"""TensorFlow and Keras, imported on demand and quietly: the one place that does it.

:mod:`decondl` never imports TensorFlow at import time (it takes seconds and is not
needed by the NumPy chapters). The modules that train networks (:mod:`decondl.nets`,
:mod:`decondl.restore`, :mod:`decondl.segment`) and the chapters get it from here:

- :func:`tensorflow` and :func:`keras` import the libraries without TensorFlow's C++
  start-up messages;
- :func:`quiet` hides the progress bars, prints and log lines of training, which would
  otherwise fill a book page;
- :func:`seed_everything` makes training repeat exactly;
- :func:`device_name` says where TensorFlow computes (for tables that compare speeds).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import warnings

from decondl._checks import as_bool, as_int

__all__ = ["device_name", "keras", "quiet", "seed_everything", "silenced_stderr", "tensorflow"]


@contextlib.contextmanager
def silenced_stderr():
    """Send whatever C libraries write to file descriptor 2 to /dev/null, for a moment.

    Python exceptions are not affected; Python's own ``sys.stderr`` is flushed first.
    """
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
    except (AttributeError, OSError, ValueError):  # no real file descriptor: nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def tensorflow():
    """Import and return TensorFlow, without its C++ start-up messages.

    TensorFlow logs several lines (oneDNN, CUDA stubs, CPU features) to the process's
    standard error while it is imported, before its logging can be configured, so that
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them. They are noise for readers of the book and
    look like build warnings in its log; the first import therefore runs with file
    descriptor 2 silenced.
    """
    if "tensorflow" not in sys.modules:
        with silenced_stderr():
            import tensorflow  # noqa: F401
    return sys.modules["tensorflow"]


def keras():
    """Import and return Keras (after TensorFlow, quietly; see :func:`tensorflow`)."""
    tensorflow()
    import keras as keras_module

    return keras_module


@contextlib.contextmanager
def quiet():
    """Hide Keras progress bars, library prints and warnings, and TensorFlow's C++ logs.

    TensorFlow writes device and graph messages (e.g. "failed call to cuInit" on a machine
    without a GPU) straight to file descriptor 2, CSBDeep and StarDist print their
    progress; in a book page all of it is noise. Python exceptions still propagate.
    """
    k = keras()
    interactive = k.config.is_interactive_logging_enabled()
    k.config.disable_interactive_logging()
    sink = io.StringIO()
    try:
        with (
            silenced_stderr(),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        if interactive:
            k.config.enable_interactive_logging()


def seed_everything(seed: int, *, deterministic: bool = True) -> None:
    """Seed Python, NumPy's global generator and TensorFlow/Keras; make TF ops deterministic.

    Call it once before building a model: Keras initialises weights from its own seed.

    Parameters
    ----------
    seed : int
        The seed, >= 0.
    deterministic : bool
        Also call ``tf.config.experimental.enable_op_determinism()``, so that training
        repeats exactly (same numbers in every build), at some cost in speed on a GPU.

    Raises
    ------
    TypeError, ValueError
        If ``seed`` is not a non-negative int or ``deterministic`` not a bool.

    Examples
    --------
    >>> seed_everything(0)  # doctest: +SKIP
    """
    deterministic = as_bool(deterministic, "deterministic")
    seed = as_int(seed, "seed", low=0)
    k = keras()
    random.seed(seed)
    k.utils.set_random_seed(seed)  # Python, NumPy's legacy global state and the backend
    if deterministic:
        tensorflow().config.experimental.enable_op_determinism()


def device_name() -> str:
    """Return a short name of the device TensorFlow computes on: its first GPU, or "CPU".

    Examples
    --------
    >>> device_name()  # doctest: +SKIP
    'CPU'
    """
    tf = tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"
