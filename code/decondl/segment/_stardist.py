"""StarDist network: configuration by run profile, cached training, prediction, receptive field."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from decondl import backend
from decondl import profile as run_profile
from decondl._checks import as_float_array, as_int, as_labels, as_rng, as_shape
from decondl.segment._geometry import labels_from_outputs

__all__ = [
    "predict_stardist",
    "stardist_config",
    "stardist_outputs",
    "stardist_receptive_field",
    "summarize_history",
    "train_stardist",
]


_PROFILE_KEYS = {
    "n_rays": "stardist_n_rays",
    "grid": "stardist_grid",
    "patch": "stardist_patch_px",
    "batch": "stardist_batch_size",
    "depth": "stardist_unet_depth",
    "filters": "stardist_filters",
    "epochs": "stardist_epochs",
    "steps": "stardist_steps_per_epoch",
}


def stardist_config(run=None, **overrides):
    """Build a small :class:`stardist.models.Config2D` sized by the run profile.

    Parameters
    ----------
    run : decondl.profile.Profile, optional
        Defaults to :func:`decondl.profile.current`. Reads ``stardist_n_rays``,
        ``stardist_grid`` (the same subsampling along both axes), ``stardist_patch_px``,
        ``stardist_batch_size``, ``stardist_unet_depth``, ``stardist_filters``,
        ``stardist_epochs`` and ``stardist_steps_per_epoch``.
    **overrides
        Any :class:`~stardist.models.Config2D` argument, which wins over the profile.

    Returns
    -------
    stardist.models.Config2D
        Single-channel input, CPU data generation, no TensorBoard.

    Raises
    ------
    KeyError
        If the profile lacks one of the keys.

    Examples
    --------
    >>> stardist_config().n_rays  # doctest: +SKIP
    32
    """
    backend.keras()  # TensorFlow's start-up, quietly, before StarDist imports it
    from stardist.models import Config2D

    run = run_profile.current() if run is None else run
    p = {key: int(run[name]) for key, name in _PROFILE_KEYS.items()}
    settings = {
        "n_rays": p["n_rays"],
        "grid": (p["grid"], p["grid"]),
        "n_channel_in": 1,
        "train_patch_size": (p["patch"], p["patch"]),
        "train_batch_size": p["batch"],
        "unet_n_depth": p["depth"],
        "unet_n_filter_base": p["filters"],
        "train_epochs": p["epochs"],
        "train_steps_per_epoch": p["steps"],
        "train_tensorboard": False,
        "use_gpu": False,
    }
    settings.update(overrides)
    return Config2D(**settings)


def _training_arrays(X, Y, name: str):
    Y = [as_labels(y, f"{name} labels", ndims=(2,)) for y in Y]
    X = [as_float_array(x, f"{name} images", ndims=(2,), dtype=np.float32) for x in X]
    if not X or len(X) != len(Y):
        raise ValueError(
            f"{name}: need as many images as label images (>= 1), got {len(X)}, {len(Y)}"
        )
    for x, y in zip(X, Y, strict=True):
        if x.shape != y.shape:
            raise ValueError(
                f"{name}: images and labels must have equal shapes, got {x.shape}, {y.shape}"
            )
    return X, Y


def train_stardist(
    X,
    Y,
    validation_data,
    *,
    config=None,
    seed: int = 0,
    name="stardist",
    basedir=None,
    nms_threshs=(0.3, 0.4, 0.5),
):
    r"""Train a StarDist2D model (or load it if already trained), then tune its thresholds.

    Parameters
    ----------
    X : sequence of ndarray, each shape (ny, nx)
        Normalised training images (see :func:`normalize`).
    Y : sequence of ndarray of int, each shape (ny, nx)
        Their instance labels.
    validation_data : (X_val, Y_val)
        Validation images and labels: the loss curve and the threshold tuning.
    config : stardist.models.Config2D, optional
        Default :func:`stardist_config` of the current profile.
    seed : int
        Seed of TensorFlow/Keras, NumPy and the patch sampling (>= 0).
    name : str
        Prefix of the model folder; the folder is ``<name>-<hash>`` where the hash covers
        the config, the seed and the data, so that changed inputs never reuse a model.
    basedir : str or pathlib.Path, optional
        Parent folder of the model; default the profile's model folder
        (:func:`decondl.profile.model_dir`).
    nms_threshs : sequence of float
        NMS thresholds tried by :meth:`~stardist.models.StarDist2D.optimize_thresholds`.

    Returns
    -------
    model : stardist.models.StarDist2D
        With tuned ``model.thresholds`` (``prob``, ``nms``).
    history : dict
        ``"loss"``, ``"val_loss"`` (per epoch), ``"seconds"`` (training time when the model
        was trained), ``"cached"`` (True if it was loaded) and ``"folder"``.

    Raises
    ------
    TypeError, ValueError
        If the data are inconsistent.

    Notes
    -----
    StarDist minimises, per pixel, the binary cross-entropy of the object probability
    :math:`d_{ij}` (the normalised distance to the background) plus the mean absolute
    error of the ray lengths weighted by :math:`d_{ij}` [1]_. Training output is silenced.

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> model, history = train_stardist(X, Y, (X_val, Y_val))  # doctest: +SKIP
    """
    seed = as_int(seed, "seed", low=0)
    X, Y = _training_arrays(X, Y, "X, Y")
    if not isinstance(validation_data, Sequence) or len(validation_data) != 2:
        raise TypeError("validation_data must be a pair (X_val, Y_val)")
    X_val, Y_val = _training_arrays(*validation_data, "validation_data")
    config = stardist_config() if config is None else config
    key = run_profile.fingerprint(*X, *Y, *X_val, *Y_val, config=vars(config), seed=seed)
    folder_name = f"{name}-{key}"
    base = Path(basedir) if basedir is not None else run_profile.model_dir(folder_name).parent
    folder = base / folder_name
    backend.seed_everything(seed)
    from stardist.models import StarDist2D

    record = folder / "decondl_history.json"
    if record.exists() and (folder / "thresholds.json").exists():
        with backend.quiet():
            model = StarDist2D(None, name=folder_name, basedir=str(base))
        history = json.loads(record.read_text())
        history.update(cached=True, folder=str(folder))
        return model, history
    with backend.quiet():
        # StarDist edits its config while training (e.g. train_reduce_lr): keep ours intact
        model = StarDist2D(copy.deepcopy(config), name=folder_name, basedir=str(base))
        start = time.perf_counter()
        fit = model.train(X, Y, validation_data=(X_val, Y_val), seed=seed)
        seconds = time.perf_counter() - start
        model.optimize_thresholds(X_val, Y_val, nms_threshs=list(nms_threshs))
    history = {
        "loss": [float(v) for v in fit.history["loss"]],
        "val_loss": [float(v) for v in fit.history["val_loss"]],
        "seconds": float(seconds),
    }
    record.write_text(json.dumps(history))
    history.update(cached=False, folder=str(folder))
    return model, history


def stardist_outputs(model, image):
    """Run the StarDist network on one image: probability and ray-length maps.

    Parameters
    ----------
    model : stardist.models.StarDist2D
    image : array_like, shape (ny, nx)
        Normalised image.

    Returns
    -------
    prob : ndarray of float32, shape (ny / g0, nx / g1)
        Object probability on the model's grid ``g``.
    dist : ndarray of float32, shape (ny / g0, nx / g1, n_rays)
        Ray lengths in input pixels.

    Examples
    --------
    >>> prob, dist = stardist_outputs(model, image)  # doctest: +SKIP
    """
    image = as_float_array(image, "image", ndims=(2,), dtype=np.float32)
    with backend.quiet():
        prob, dist = model.predict(image)[:2]
    return prob.astype(np.float32), dist.astype(np.float32)


def predict_stardist(model, images, *, prob_thresh=None, nms_thresh=None) -> np.ndarray:
    """Predict instance labels with a trained StarDist model (quietly).

    Parameters
    ----------
    model : stardist.models.StarDist2D
    images : array_like, shape (ny, nx) or (n, ny, nx)
        Normalised image or stack of images.
    prob_thresh, nms_thresh : float, optional
        Default: the model's tuned thresholds.

    Returns
    -------
    labels : ndarray of int32, shape of ``images``

    Raises
    ------
    ValueError
        If ``images`` is not 2D or 3D.

    Examples
    --------
    >>> labels = predict_stardist(model, image)  # doctest: +SKIP
    """
    stack = as_float_array(images, "images", ndims=(2, 3), dtype=np.float32)
    single = stack.ndim == 2
    stack = stack[None] if single else stack
    grid = tuple(model.config.grid)
    out = []
    for image in stack:
        prob, dist = stardist_outputs(model, image)
        out.append(
            labels_from_outputs(
                prob,
                dist,
                image.shape,
                grid=grid,
                prob_thresh=model.thresholds.prob if prob_thresh is None else prob_thresh,
                nms_thresh=model.thresholds.nms if nms_thresh is None else nms_thresh,
            )
        )
    labels = np.stack(out)
    return labels[0] if single else labels


def stardist_receptive_field(model, shape=(256, 256), *, n_samples: int = 4, rng=0) -> np.ndarray:
    r"""Measure the receptive field of a StarDist network's probability output.

    Parameters
    ----------
    model : stardist.models.StarDist2D
    shape : (int, int)
        Probe image shape (multiple of the model's size divisor, larger than the
        receptive field).
    n_samples : int
        Number of random probe images (>= 1).
    rng : numpy.random.Generator or int
        Source of the probe images.

    Returns
    -------
    ndarray of float64, shape ``shape``
        :math:`\sum_n |\partial p_c / \partial x|` for the probability :math:`p_c` of the
        central output pixel; zero outside the receptive field (measure its size with
        :func:`decondl.nets.receptive_field_extent`).

    Examples
    --------
    >>> grad = stardist_receptive_field(model)  # doctest: +SKIP
    """
    tf = backend.tensorflow()
    shape = as_shape(shape, "shape", ndims=(2,))
    n_samples = as_int(n_samples, "n_samples", low=1)
    rng = as_rng(rng)
    grid = tuple(model.config.grid)
    centre = tuple(s // (2 * g) for s, g in zip(shape, grid, strict=True))
    total = np.zeros(shape)
    for _ in range(n_samples):
        probe = tf.Variable(rng.random((1, *shape, 1)).astype(np.float32))
        with tf.GradientTape() as tape:
            prob = model.keras_model(probe, training=False)[0]
            value = tf.reduce_sum(prob[(0, *centre)])
        total += np.abs(tape.gradient(value, probe).numpy()[0, ..., 0])
    return total


def summarize_history(history: Mapping) -> str:
    """One line about a training run (for the chapter's output)."""
    how = "loaded from cache" if history.get("cached") else "trained"
    return (
        f"StarDist {how}: {len(history['loss'])} epochs, {history['seconds']:.0f} s of training, "
        f"final validation loss {history['val_loss'][-1]:.3f}"
    )
