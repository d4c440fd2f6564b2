"""CARE training (quiet, cached by a name that hashes its inputs) and prediction."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from decondl import backend
from decondl import profile as profile_lib
from decondl._checks import as_bool, as_float_array, as_int, as_pair
from decondl.datasets import DEFAULT_PERCENTILES

__all__ = ["model_name", "predict_care", "train_care"]

_HISTORY_FILE = "history.json"


def model_name(prefix: str, *, data=(), **depends_on) -> str:
    """Name a model folder by what it depends on: ``<prefix>-<10 hex digits>``.

    Parameters
    ----------
    prefix : str
        Readable part (letters, digits, ``-``, ``_``).
    data : sequence of ndarray, optional
        The training and validation arrays (e.g. ``(X, Y, X_val, Y_val)``): their bytes are
        hashed, so a change to the simulation gives a new name.
    **depends_on
        Everything else the trained model depends on (configuration, seed, sizes), as
        JSON-serialisable values (numbers, strings, lists, dicts).

    Returns
    -------
    str
        The same for equal inputs and an unchanged ``decondl`` package, different (with
        overwhelming probability) otherwise; see :func:`decondl.profile.fingerprint`.

    Raises
    ------
    TypeError
        If ``prefix`` is not a non-empty string or a value cannot be serialised to JSON.

    Examples
    --------
    >>> model_name("care", epochs=10) == model_name("care", epochs=10)
    True
    >>> model_name("care", epochs=10) == model_name("care", epochs=11)
    False
    """
    if not isinstance(prefix, str) or not prefix:
        raise TypeError(f"prefix must be a non-empty str, got {prefix!r}")
    return f"{prefix}-{profile_lib.fingerprint(*data, **depends_on)}"


def _progress_callback(every: int, epochs: int, stream):
    """Return a Keras callback printing one compact line every ``every`` epochs to ``stream``."""
    keras = backend.keras()

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            done = epoch + 1
            if every and (done % every == 0 or done == epochs):
                logs = logs or {}
                print(
                    f"epoch {done:3d}/{epochs}  loss {logs.get('loss', np.nan):.4f}  "
                    f"val_loss {logs.get('val_loss', np.nan):.4f}  "
                    f"{time.perf_counter() - self.start:5.0f} s",
                    file=stream,
                    flush=True,
                )

    return Progress()


def _load(name: str, basedir: Path):
    backend.tensorflow()
    from csbdeep.models import CARE

    with backend.quiet():
        return CARE(None, name, basedir=str(basedir))


def train_care(
    X,
    Y,
    validation_data,
    config,
    *,
    name: str,
    seed: int,
    run=None,
    progress_every: int = 0,
    retrain: bool = False,
):
    """Train a CARE network quietly, or reload it if it was trained before.

    Parameters
    ----------
    X, Y : ndarray, shape (n, py, px, 1)
        Training patches from :func:`make_patches`.
    validation_data : (ndarray, ndarray)
        Validation patches ``(X_val, Y_val)``, same layout.
    config : csbdeep.models.Config
        From :func:`care_config`.
    name : str
        Model folder name; give it everything the model depends on (:func:`model_name`).
    seed : int
        Seed of Keras/TensorFlow (weights, batches), see :func:`decondl.backend.seed_everything`.
    run : decondl.profile.Profile, optional
        Profile whose model folder is used (default: the current one), see
        :func:`decondl.profile.model_dir`.
    progress_every : int
        Print one line every that many epochs (0: print nothing).
    retrain : bool
        Train even if a finished model of this name exists.

    Returns
    -------
    model : csbdeep.models.CARE
        The network with its best weights (lowest validation loss).
    history : dict
        ``"loss"`` and ``"val_loss"`` per epoch, ``"seconds"`` of training (of the original
        training when reloaded) and ``"reloaded"`` (bool).

    Raises
    ------
    ValueError
        If the arrays do not have the layout ``(n, py, px, 1)``.

    Notes
    -----
    A model counts as finished when its folder holds ``history.json``, written after the
    training; an interrupted training is discarded and repeated. CSBDeep keeps the weights
    of the epoch with the lowest validation loss (``weights_best.h5``).

    Examples
    --------
    >>> model, history = train_care(X, Y, (X_val, Y_val), config, name="care-x", seed=0)
    ... # doctest: +SKIP
    """
    retrain = as_bool(retrain, "retrain")
    X_val, Y_val = validation_data
    for label, arr in (("X", X), ("Y", Y), ("X_val", X_val), ("Y_val", Y_val)):
        arr = np.asarray(arr)
        if arr.ndim != 4 or arr.shape[-1] != 1:
            raise ValueError(f"{label} must have shape (n, py, px, 1), got {arr.shape}")
    if np.shape(X) != np.shape(Y) or np.shape(X_val) != np.shape(Y_val):
        raise ValueError("X and Y (and X_val and Y_val) must have the same shape")
    progress_every = as_int(progress_every, "progress_every", low=0)
    folder = profile_lib.model_dir(name, run)
    history_file = folder / _HISTORY_FILE
    backend.seed_everything(seed)
    if history_file.exists() and not retrain:
        history = json.loads(history_file.read_text())
        return _load(name, folder.parent), {**history, "reloaded": True}
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished or outdated training of this very model
    folder.parent.mkdir(parents=True, exist_ok=True)

    from csbdeep.models import CARE

    stream = sys.stdout  # the progress lines go there; quiet() redirects sys.stdout
    with backend.quiet():
        model = CARE(config, name, basedir=str(folder.parent))
        model.prepare_for_training()
        model.callbacks.append(_progress_callback(progress_every, config.train_epochs, stream))
        start = time.perf_counter()
        fit = model.train(
            np.asarray(X, np.float32),
            np.asarray(Y, np.float32),
            (np.asarray(X_val, np.float32), np.asarray(Y_val, np.float32)),
        )
        seconds = time.perf_counter() - start
    history = {
        "loss": [float(v) for v in fit.history["loss"]],
        "val_loss": [float(v) for v in fit.history["val_loss"]],
        "seconds": float(seconds),
    }
    history_file.write_text(json.dumps(history))
    return model, {**history, "reloaded": False}


def predict_care(model, images, *, percentiles=DEFAULT_PERCENTILES) -> np.ndarray:
    """Restore images with a trained CARE network, in the truth's units.

    Parameters
    ----------
    model : csbdeep.models.CARE
        From :func:`train_care`.
    images : array_like, shape (ny, nx) or (n, ny, nx)
        Recorded images (any units: they are normalised by their percentiles).
    percentiles : (float, float)
        Input normalisation; must be the one used in :func:`make_patches`.

    Returns
    -------
    ndarray of float32, same shape as ``images``
        Restored images in the units of the training targets (not rescaled afterwards).

    Raises
    ------
    ValueError
        If ``images`` is not 2D or a stack of 2D images.

    Notes
    -----
    Uses :meth:`csbdeep.models.CARE.predict` with a ``PercentileNormalizer(do_after=False)``
    (the formula of :func:`normalize_input`, computed in float32) and CSBDeep's pad-and-crop for
    any image size.

    Examples
    --------
    >>> restored = predict_care(model, raw_test)  # doctest: +SKIP
    """
    backend.tensorflow()
    from csbdeep.data import PercentileNormalizer

    low, high = as_pair(percentiles, "percentiles", low=0, high=100, strict=True)
    arr = as_float_array(images, "images", ndims=(2, 3), dtype=np.float32)
    normalizer = PercentileNormalizer(low, high, do_after=False)
    stack = arr[None] if arr.ndim == 2 else arr
    with backend.quiet():
        out = np.stack([model.predict(im, "YX", normalizer=normalizer) for im in stack])
    out = out.astype(np.float32)
    return out[0] if arr.ndim == 2 else out
