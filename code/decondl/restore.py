r"""Content-aware image restoration (CARE): thin, tested wrappers over CSBDeep.

Taught in chapter 5 ("Restoration with CARE"). CARE {Weigert et al. 2018} trains a U-Net to
map recorded images to ground truths. Here the ground truths are exact, because the training
pairs are simulated with :class:`decondl.forward.Microscope` (the acquisition model of
chapters 3 to 6). Nothing of CARE is reimplemented: patches come from
:func:`csbdeep.data.create_patches`, the network and its training from
:class:`csbdeep.models.CARE`.

Units. Inputs are normalised per image by percentiles, as CSBDeep does
(:func:`normalize_input`); targets are *not* normalised: they stay in the truth's units
(the phantoms' scale, maximum 1). The network therefore predicts directly in the truth's
units, and PSNR against the truth needs no mapping back (prediction uses a
:class:`csbdeep.data.PercentileNormalizer` with ``do_after=False``).

The workflow:

1. :func:`simulate_pairs` - recorded images (photons) and truths.
2. :func:`make_patches` - training patches ``X`` (normalised) and ``Y`` (truth units).
3. :func:`care_config` - a :class:`csbdeep.models.Config` sized by the run profile.
4. :func:`train_care` - train quietly, or reload a model trained before with the same inputs
   (:func:`model_name` hashes them; :func:`decondl.profile.model_dir` keeps quick and full
   models apart).
5. :func:`predict_care` - restore images.

Classical baselines are tuned on validation images with :func:`tune_wiener` and
:func:`tune_rl`. TensorFlow and CSBDeep are imported only inside the functions that need them.

References
----------
.. [1] M. Weigert et al., "Content-aware image restoration: pushing the limits of fluorescence
   microscopy", Nature Methods 15, 1090-1097 (2018). :doi:`10.1038/s41592-018-0216-7`
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from decondl import deconvolve, metrics
from decondl import profile as profile_lib
from decondl._checks import as_bool
from decondl._checks import as_rng as _as_rng
from decondl.forward import Microscope

__all__ = [
    "DEFAULT_PERCENTILES",
    "best_time",
    "care_config",
    "care_network",
    "make_patches",
    "mean_scores",
    "model_name",
    "normalize_input",
    "predict_care",
    "restore_all",
    "simulate_pairs",
    "train_care",
    "training_memory",
    "tune_rl",
    "tune_wiener",
]

#: Low and high percentiles of the input normalisation (CSBDeep's usual choice is 1-3 / 99.5-99.9).
DEFAULT_PERCENTILES = (1.0, 99.8)
_HISTORY_FILE = "history.json"


# --------------------------------------------------------------------------- checks


def _check_int(value, name: str, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _check_percentiles(percentiles) -> tuple[float, float]:
    try:
        low, high = (float(p) for p in percentiles)
    except (TypeError, ValueError):
        raise TypeError(f"percentiles must be a pair of numbers, got {percentiles!r}") from None
    if not 0.0 <= low < high <= 100.0:
        raise ValueError(f"percentiles must satisfy 0 <= low < high <= 100, got {percentiles!r}")
    return low, high


def _check_stack(value, name: str, ndims=(2, 3)) -> np.ndarray:
    """Check a stack of images: shape (n, *spatial) with len(spatial) in ndims."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.dtype.kind == "b":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim - 1 not in ndims:
        raise ValueError(
            f"{name} must be a stack of {' or '.join(f'{d}D' for d in ndims)} images "
            f"(shape (n, ...)), got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_pair(images, truths) -> tuple[np.ndarray, np.ndarray]:
    images = _check_stack(images, "images")
    truths = _check_stack(truths, "truths")
    if images.shape != truths.shape:
        raise ValueError(
            f"images and truths must have the same shape, got {images.shape} and {truths.shape}"
        )
    return images, truths


def _quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up messages before CSBDeep imports it."""
    from decondl import nets

    nets._tensorflow()


@contextlib.contextmanager
def _quiet():
    """Hide CSBDeep's prints, Keras' progress bars and warnings, and TensorFlow's C++ logs.

    TensorFlow writes device and graph messages (e.g. "failed call to cuInit" on a machine
    without a GPU) straight to file descriptor 2; they would appear in the book's pages.
    Python exceptions still propagate.
    """
    from decondl import nets

    with (
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
        nets._silenced_stderr_fd(),
    ):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _numpy_global_seed(seed: int):
    """Seed NumPy's legacy global generator (CSBDeep samples patches with it), then restore it."""
    state = np.random.get_state()  # noqa: NPY002 (CSBDeep uses the legacy global state)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


# --------------------------------------------------------------------------- data


def simulate_pairs(phantom: Callable, n: int, rng, *, scope: Microscope | None = None, psf=None):
    r"""Simulate ``n`` (recorded image, ground truth) pairs with the course's microscope.

    Parameters
    ----------
    phantom : callable
        ``phantom(rng)`` returns a truth image (2D, values in [0, 1]) or a tuple whose first
        item is one (e.g. ``lambda r: synthetic.spheres((128, 128), 20, (2, 8), r)``). All
        truths must have the same shape.
    n : int
        Number of pairs, >= 1.
    rng : numpy.random.Generator or int
        Source of randomness for the phantoms and the noise.
    scope : decondl.forward.Microscope, optional
        Acquisition model (default: ``Microscope()``, as in chapters 3 and 4).
    psf : array_like, optional
        PSF to blur with (default: ``scope.psf()``), e.g. to simulate a PSF mismatch.

    Returns
    -------
    raw : ndarray of float32, shape (n, ny, nx)
        Recorded images in photons (background included, not subtracted).
    truths : ndarray of float32, shape (n, ny, nx)
        Ground truths in the truth's units.

    Raises
    ------
    TypeError
        If ``phantom`` is not callable, ``n`` is not an int or ``rng`` has the wrong type.
    ValueError
        If ``n < 1`` or the phantoms do not all have the same 2D shape.

    Notes
    -----
    Each recorded image is :math:`\mathrm{Poisson}(p\,(h * x) + b) + \mathcal{N}(0, r^2)`
    (see :func:`decondl.forward.acquire`), with the truth :math:`x`, the PSF :math:`h`, the
    photons :math:`p`, the background :math:`b` and the read noise :math:`r` of ``scope``.

    Examples
    --------
    >>> from decondl import synthetic
    >>> raw, truths = simulate_pairs(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, rng=0)
    >>> raw.shape, truths.shape, raw.dtype
    ((2, 32, 32), (2, 32, 32), dtype('float32'))
    """
    if not callable(phantom):
        raise TypeError(f"phantom must be callable as phantom(rng), got {type(phantom).__name__}")
    n = _check_int(n, "n")
    rng = _as_rng(rng)
    scope = Microscope() if scope is None else scope
    if not isinstance(scope, Microscope):
        raise TypeError(f"scope must be a decondl.forward.Microscope, got {type(scope).__name__}")
    psf = scope.psf() if psf is None else np.asarray(psf, dtype=np.float64)
    raws, truths = [], []
    for index in range(n):
        truth = phantom(rng)
        truth = np.asarray(truth[0] if isinstance(truth, tuple) else truth, dtype=np.float64)
        if truth.ndim != 2 or (truths and truth.shape != truths[0].shape):
            raise ValueError(
                f"phantom must return 2D truths of one shape; call {index} gave shape {truth.shape}"
            )
        raws.append(scope.acquire(truth, rng=rng, psf=psf))
        truths.append(truth)
    return np.stack(raws).astype(np.float32), np.stack(truths).astype(np.float32)


def normalize_input(image, percentiles=DEFAULT_PERCENTILES) -> np.ndarray:
    r"""Normalise an image by its percentiles, as CSBDeep does for CARE inputs.

    Parameters
    ----------
    image : array_like, shape (ny, nx) or (nz, ny, nx)
        The image (any units).
    percentiles : (float, float)
        Low and high percentiles :math:`(p_\mathrm{low}, p_\mathrm{high})`, in [0, 100].

    Returns
    -------
    ndarray of float32, same shape
        :math:`(x - P_\mathrm{low}) / (P_\mathrm{high} - P_\mathrm{low})` where :math:`P` are the
        percentiles of the whole image; not clipped.

    Raises
    ------
    ValueError
        If the percentiles are out of order or out of [0, 100].

    Notes
    -----
    Computed by :func:`csbdeep.utils.normalize` (``clip=False``), which adds :math:`10^{-20}`
    to the denominator. :func:`make_patches` and :func:`predict_care` normalise the same way.

    Examples
    --------
    >>> x = normalize_input(np.arange(101.0), (0, 100))
    >>> float(x[0]), float(x[-1])
    (0.0, 1.0)
    """
    from csbdeep.utils import normalize

    low, high = _check_percentiles(percentiles)
    arr = np.asarray(image, dtype=np.float32)
    return normalize(arr, low, high, clip=False, dtype=np.float32)


def make_patches(
    raw,
    truths,
    patch_size: Sequence[int],
    n_patches_per_image: int,
    *,
    rng,
    percentiles=DEFAULT_PERCENTILES,
):
    r"""Cut normalised training patches with :func:`csbdeep.data.create_patches`.

    Parameters
    ----------
    raw : array_like, shape (n, ny, nx)
        Recorded images (e.g. photons from :func:`simulate_pairs`).
    truths : array_like, shape (n, ny, nx)
        Matching ground truths.
    patch_size : (int, int)
        Patch shape ``(py, px)``; each side a multiple of 4 (the U-Net's two poolings) and no
        larger than the images.
    n_patches_per_image : int
        Patches drawn from each image (CSBDeep prefers patches whose truth is not empty).
    rng : numpy.random.Generator or int
        Source of randomness for the patch positions and the shuffling.
    percentiles : (float, float)
        Input normalisation, see :func:`normalize_input`.

    Returns
    -------
    X : ndarray of float32, shape (n * n_patches_per_image, py, px, 1)
        Input patches, normalised by the percentiles of the *whole* image they come from.
    Y : ndarray of float32, same shape
        Target patches, unchanged (truth units).
    axes : str
        ``"SYXC"``, CSBDeep's name for the axes of ``X`` and ``Y``.

    Raises
    ------
    TypeError, ValueError
        On stacks of different shapes, a bad ``patch_size`` or bad percentiles.

    Notes
    -----
    Each input patch is :math:`(x - P_\mathrm{low}(x_\mathrm{image})) /
    (P_\mathrm{high}(x_\mathrm{image}) - P_\mathrm{low}(x_\mathrm{image}))`: the same
    normalisation as at prediction, where the whole image is normalised before the network.

    Examples
    --------
    >>> from decondl import synthetic
    >>> raw, truths = simulate_pairs(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, rng=0)
    >>> X, Y, axes = make_patches(raw, truths, (16, 16), 4, rng=0)
    >>> X.shape, axes
    ((8, 16, 16, 1), 'SYXC')
    """
    _quiet_tensorflow()  # CSBDeep's patch tools import TensorFlow
    from csbdeep.data import RawData, create_patches, no_background_patches
    from csbdeep.utils import move_channel_for_backend, normalize_mi_ma

    raw, truths = _check_pair(raw, truths)
    if raw.ndim != 3:
        raise ValueError(f"raw must be a stack of 2D images (n, ny, nx), got shape {raw.shape}")
    try:
        patch_size = tuple(_check_int(p, "patch_size") for p in patch_size)
    except TypeError:
        raise TypeError(f"patch_size must be a pair of ints, got {patch_size!r}") from None
    if len(patch_size) != 2:
        raise ValueError(f"patch_size must be (py, px), got {patch_size!r}")
    if any(p % 4 for p in patch_size) or any(
        p > s for p, s in zip(patch_size, raw.shape[1:], strict=True)
    ):
        raise ValueError(
            f"patch_size must have sides that are multiples of 4 and fit in the images "
            f"{raw.shape[1:]}, got {patch_size!r}"
        )
    n_patches_per_image = _check_int(n_patches_per_image, "n_patches_per_image")
    low, high = _check_percentiles(percentiles)
    rng = _as_rng(rng)

    def normalization(patches_x, patches_y, x, y, mask, channel):
        mi, ma = np.percentile(x, low), np.percentile(x, high)
        return normalize_mi_ma(patches_x, mi, ma, dtype=np.float32), patches_y

    data = RawData.from_arrays(raw.astype(np.float32), truths.astype(np.float32), axes="YX")
    with _numpy_global_seed(int(rng.integers(2**31))), contextlib.redirect_stdout(io.StringIO()):
        X, Y, axes = create_patches(
            data,
            patch_size,
            n_patches_per_image,
            patch_filter=no_background_patches(),
            normalization=normalization,
            verbose=False,
        )
    X = move_channel_for_backend(X, channel=1)
    Y = move_channel_for_backend(Y, channel=1)
    return X.astype(np.float32), Y.astype(np.float32), "SYXC"


# --------------------------------------------------------------------------- model


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


def care_config(run=None, *, axes: str = "YX", **overrides):
    """Build the CARE configuration from the run profile.

    Parameters
    ----------
    run : decondl.profile.Profile, optional
        Run profile (default: :func:`decondl.profile.current`). Its keys ``care_epochs``,
        ``care_steps_per_epoch``, ``care_batch_size``, ``care_unet_depth``,
        ``care_unet_n_first`` size the training.
    axes : str
        Axes of one image, ``"YX"`` (2D) or ``"ZYX"`` (3D).
    **overrides
        Any other :class:`csbdeep.models.Config` parameter (they win over the profile).

    Returns
    -------
    csbdeep.models.Config
        U-Net with 3x3 kernels, mean absolute error loss, no TensorBoard, and the learning
        rate halved when the validation loss stalls (quietly).

    Raises
    ------
    ValueError
        If the resulting configuration is invalid (``Config.is_valid``).

    Examples
    --------
    >>> from decondl import profile
    >>> config = care_config(profile.get("quick"), train_epochs=2)  # doctest: +SKIP
    >>> config.train_epochs  # doctest: +SKIP
    2
    """
    _quiet_tensorflow()
    from csbdeep.models import Config

    run = profile_lib.current() if run is None else run
    params = {
        "unet_n_depth": int(run["care_unet_depth"]),
        "unet_n_first": int(run["care_unet_n_first"]),
        "unet_kern_size": 3,
        "train_loss": "mae",
        "train_epochs": int(run["care_epochs"]),
        "train_steps_per_epoch": int(run["care_steps_per_epoch"]),
        "train_batch_size": int(run["care_batch_size"]),
        "train_learning_rate": 4e-4,
        "train_tensorboard": False,
        "train_reduce_lr": {"factor": 0.5, "patience": 5, "min_delta": 0, "verbose": False},
    }
    params.update(overrides)
    config = Config(axes, n_channel_in=1, n_channel_out=1, **params)
    valid, failed = config.is_valid(return_invalid=True)
    if not valid:
        raise ValueError(f"invalid CARE configuration, check: {', '.join(failed)}")
    return config


def care_network(config, patch_shape: Sequence[int]):
    """Build the U-Net of a CARE configuration for a fixed patch shape (to inspect its layers).

    :class:`csbdeep.models.CARE` builds its network for images of any size, so its layers
    report unknown sizes (``None``). This builds the same network, with CSBDeep's own builder,
    for one patch shape, so that every layer's output shape is known; see
    :func:`training_memory`. The weights are untrained; the network is not meant for training.

    Parameters
    ----------
    config : csbdeep.models.Config
        From :func:`care_config`.
    patch_shape : sequence of int
        Patch shape, ``(py, px)`` for ``"YX"`` or ``(pz, py, px)`` for ``"ZYX"``; each side a
        multiple of ``2 ** config.unet_n_depth`` (the poolings).

    Returns
    -------
    keras.Model
        Input shape ``(None, *patch_shape, config.n_channel_in)``.

    Raises
    ------
    TypeError, ValueError
        If ``patch_shape`` does not match the configuration's dimensions or is not divisible.

    Notes
    -----
    Same call as ``CARE._build``: :func:`csbdeep.internals.nets.common_unet` with the
    configuration's ``unet_n_depth``, ``unet_kern_size``, ``unet_n_first``,
    ``unet_residual``, ``unet_last_activation``, ``n_channel_out`` and ``probabilistic``.

    Examples
    --------
    >>> net = care_network(care_config(), (64, 64))  # doctest: +SKIP
    >>> net.output.shape  # doctest: +SKIP
    (None, 64, 64, 1)
    """
    _quiet_tensorflow()
    from csbdeep.internals.nets import common_unet

    try:
        shape = tuple(_check_int(p, "patch_shape") for p in patch_shape)
    except TypeError:
        raise TypeError(f"patch_shape must be a sequence of ints, got {patch_shape!r}") from None
    if len(shape) != config.n_dim:
        raise ValueError(
            f"patch_shape must have {config.n_dim} entries for axes {config.axes!r}, got {shape}"
        )
    divisor = 2**config.unet_n_depth
    if any(p % divisor for p in shape):
        raise ValueError(f"every side of patch_shape must be a multiple of {divisor}, got {shape}")
    with _quiet():
        return common_unet(
            n_dim=config.n_dim,
            n_channel_out=config.n_channel_out,
            prob_out=config.probabilistic,
            residual=config.unet_residual,
            n_depth=config.unet_n_depth,
            kern_size=config.unet_kern_size,
            n_first=config.unet_n_first,
            last_activation=config.unet_last_activation,
        )((*shape, config.n_channel_in))


def training_memory(model, batch_size: int, *, bytes_per_value: int = 4) -> dict[str, int]:
    r"""Estimate the memory of one training step of a network with fixed input shape.

    Parameters
    ----------
    model : keras.Model
        A network whose layers have known output shapes, e.g. from :func:`care_network`.
    batch_size : int
        Patches per training step (>= 1).
    bytes_per_value : int
        Bytes per stored number: 4 for float32 (the default of Keras), 2 for float16.

    Returns
    -------
    dict of str to int
        In bytes unless noted:

        ``"values_per_sample"``
            Numbers in the outputs of all layers for one patch (a count, not bytes).
        ``"activations"``
            ``batch_size * values_per_sample * bytes_per_value``: the layer outputs of the
            whole batch, which training keeps until the backward pass has used them.
        ``"parameters"``
            Number of weights (a count).
        ``"weights"``, ``"gradients"``, ``"optimizer"``
            The weights, their gradients, and Adam's two running moments per weight.
        ``"total"``
            The sum of the four memories above.

    Raises
    ------
    TypeError, ValueError
        If ``batch_size`` or ``bytes_per_value`` is not a positive int, or a layer's output
        shape is not fully known.

    Notes
    -----
    Back-propagation needs the output :math:`a_\ell` of every layer :math:`\ell` to compute
    the gradients, so the forward pass keeps them all: with batch :math:`B`, the activations
    take :math:`B \sum_\ell |a_\ell|` values, which grow with the batch and the patch's number
    of pixels, whereas the weights do not. This is an estimate of what must be stored, not of
    what a framework allocates: TensorFlow also keeps some intermediate results inside layers,
    frees activations as the backward pass goes, and needs workspace for its kernels.

    Examples
    --------
    >>> memory = training_memory(care_network(care_config(), (64, 64)), 16)  # doctest: +SKIP
    >>> memory["activations"] == 16 * memory["values_per_sample"] * 4  # doctest: +SKIP
    True
    """
    batch_size = _check_int(batch_size, "batch_size")
    bytes_per_value = _check_int(bytes_per_value, "bytes_per_value")
    values = 0
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        shape = tuple(layer.output.shape)[1:]
        if any(s is None for s in shape):
            raise ValueError(
                f"layer {layer.name!r} has an unknown output size {shape}; build the network "
                "for a fixed patch shape (care_network)"
            )
        values += int(np.prod(shape))
    parameters = int(model.count_params())
    weights = parameters * bytes_per_value
    memory = {
        "values_per_sample": values,
        "activations": batch_size * values * bytes_per_value,
        "parameters": parameters,
        "weights": weights,
        "gradients": weights,
        "optimizer": 2 * weights,
    }
    memory["total"] = sum(memory[k] for k in ("activations", "weights", "gradients", "optimizer"))
    return memory


def _progress_callback(every: int, epochs: int, stream):
    """Return a Keras callback printing one compact line every ``every`` epochs to ``stream``."""
    from decondl import nets

    keras = nets._keras()

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
    _quiet_tensorflow()
    from csbdeep.models import CARE

    with _quiet():
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
        Seed of Keras/TensorFlow (weights, batches), see :func:`decondl.nets.seed_everything`.
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
    from decondl import nets

    X_val, Y_val = validation_data
    for label, arr in (("X", X), ("Y", Y), ("X_val", X_val), ("Y_val", Y_val)):
        arr = np.asarray(arr)
        if arr.ndim != 4 or arr.shape[-1] != 1:
            raise ValueError(f"{label} must have shape (n, py, px, 1), got {arr.shape}")
    if np.shape(X) != np.shape(Y) or np.shape(X_val) != np.shape(Y_val):
        raise ValueError("X and Y (and X_val and Y_val) must have the same shape")
    progress_every = _check_int(progress_every, "progress_every", low=0)
    folder = profile_lib.model_dir(name, run)
    history_file = folder / _HISTORY_FILE
    nets.seed_everything(_check_int(seed, "seed", low=0))
    if history_file.exists() and not retrain:
        history = json.loads(history_file.read_text())
        return _load(name, folder.parent), {**history, "reloaded": True}
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished or outdated training of this very model
    folder.parent.mkdir(parents=True, exist_ok=True)

    from csbdeep.models import CARE

    stream = sys.stdout
    with _quiet():
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
    (identical to :func:`normalize_input`) and CSBDeep's pad-and-crop for any image size.

    Examples
    --------
    >>> restored = predict_care(model, raw_test)  # doctest: +SKIP
    """
    _quiet_tensorflow()
    from csbdeep.data import PercentileNormalizer

    low, high = _check_percentiles(percentiles)
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim not in (2, 3):
        raise ValueError(f"images must be (ny, nx) or (n, ny, nx), got shape {arr.shape}")
    normalizer = PercentileNormalizer(low, high, do_after=False)
    stack = arr[None] if arr.ndim == 2 else arr
    with _quiet():
        out = np.stack([model.predict(im, "YX", normalizer=normalizer) for im in stack])
    out = out.astype(np.float32)
    return out[0] if arr.ndim == 2 else out


# --------------------------------------------------------------------------- baselines


def _mean_psnr(truths, estimates) -> float:
    return float(np.mean([metrics.psnr(t, e) for t, e in zip(truths, estimates, strict=True)]))


def tune_wiener(images, truths, psf, balances) -> tuple[float, dict]:
    r"""Pick the Wiener balance with the best mean PSNR on validation images.

    Parameters
    ----------
    images : array_like, shape (n, ny, nx) or (n, nz, ny, nx)
        Validation images in the truth's units (background subtracted and divided by the
        photons, e.g. :meth:`decondl.forward.Microscope.to_truth_units`).
    truths : array_like, same shape
        Their ground truths.
    psf : array_like
        The PSF (centred, same number of dimensions as one image).
    balances : sequence of float
        Candidate balances :math:`\lambda \ge 0`.

    Returns
    -------
    best : float
        The balance with the highest mean PSNR (the first one on ties).
    scores : dict
        Balance to mean PSNR in dB.

    Raises
    ------
    ValueError
        If shapes differ or ``balances`` is empty (errors of :func:`decondl.deconvolve.wiener`
        for a bad PSF or balance).

    Notes
    -----
    The score is :math:`\frac1n\sum_i \mathrm{PSNR}(x_i, \hat x_i(\lambda))`,
    maximised over the grid.

    Examples
    --------
    >>> truths = np.zeros((2, 16, 16)); truths[:, 6:10, 6:10] = 1
    >>> psf = np.zeros((3, 3)); psf[1, 1] = 1  # identity: no blur
    >>> best, scores = tune_wiener(truths, truths, psf, [0.0, 1.0])
    >>> best
    0.0
    """
    images, truths = _check_pair(images, truths)
    balances = [float(b) for b in balances]
    if not balances:
        raise ValueError("balances must contain at least one value")
    scores = {
        b: _mean_psnr(truths, [deconvolve.wiener(im, psf, b) for im in images]) for b in balances
    }
    best = max(balances, key=lambda b: (scores[b], -balances.index(b)))
    return best, scores


def tune_rl(
    images,
    truths,
    psf,
    max_iter: int,
    *,
    background: float = 0.0,
    scale: float = 1.0,
    clip_negative: bool = True,
):
    r"""Pick the Richardson-Lucy iteration count with the best mean PSNR on validation images.

    Parameters
    ----------
    images : array_like, shape (n, ny, nx) or (n, nz, ny, nx)
        Validation images, raw (photons, background not subtracted).
    truths : array_like, same shape
        Their ground truths.
    psf : array_like
        The PSF (centred, same number of dimensions as one image).
    max_iter : int
        Largest iteration count tried; every count ``1..max_iter`` is scored in one run per
        image (through the callback of :func:`decondl.deconvolve.richardson_lucy`).
    background : float
        Background of the raw data (photons), passed to Richardson-Lucy.
    scale : float
        Estimates are divided by ``scale`` before scoring (the photons per unit of truth, e.g.
        ``Microscope.photons``), which puts them in the truth's units.
    clip_negative : bool
        Passed to :func:`decondl.deconvolve.richardson_lucy`: read noise can make a few raw
        pixels negative, which RL needs set to 0 (default True).

    Returns
    -------
    best : int
        Iteration count with the highest mean PSNR (the smallest on ties).
    scores : ndarray of float64, shape (max_iter,)
        ``scores[k - 1]`` is the mean PSNR (dB) after ``k`` iterations.

    Raises
    ------
    ValueError
        If shapes differ, ``max_iter < 1`` or ``scale <= 0``.

    Notes
    -----
    The score is :math:`\frac1n\sum_i \mathrm{PSNR}(x_i, \hat x_i^{(k)} / s)`; the iteration
    count acts as the regulariser of RL.

    Examples
    --------
    >>> truths = np.zeros((1, 16, 16)); truths[0, 4:12, 4:12] = 1
    >>> psf = np.zeros((3, 3)); psf[1, 1] = 1  # identity: no blur
    >>> best, scores = tune_rl(truths + 0.1, truths, psf, 3, background=0.1)
    >>> scores.shape
    (3,)
    """
    clip_negative = as_bool(clip_negative, "clip_negative")
    images, truths = _check_pair(images, truths)
    max_iter = _check_int(max_iter, "max_iter")
    scale = float(scale)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number, got {scale}")
    per_image = np.empty((len(images), max_iter))
    for index, (image, truth) in enumerate(zip(images, truths, strict=True)):

        def record(k, estimate, index=index, truth=truth):
            per_image[index, k - 1] = metrics.psnr(truth, estimate / scale)

        deconvolve.richardson_lucy(
            image,
            psf,
            max_iter,
            background=background,
            callback=record,
            clip_negative=clip_negative,
        )
    scores = per_image.mean(axis=0)
    return int(np.argmax(scores)) + 1, scores


def best_time(function: Callable[[], object], *, repeats: int = 3) -> float:
    """Time ``function()`` and return the fastest of ``repeats`` runs, in seconds.

    Parameters
    ----------
    function : callable
        Called without arguments; call it once before if it compiles on first use.
    repeats : int
        Number of timed runs, >= 1.

    Returns
    -------
    float
        The minimum wall-clock time (the least disturbed by other processes).

    Raises
    ------
    TypeError
        If ``function`` is not callable.

    Examples
    --------
    >>> best_time(lambda: sum(range(1000))) < 1.0
    True
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    repeats = _check_int(repeats, "repeats")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(min(times))


# --------------------------------------------------------------------------- comparison


def restore_all(
    raw,
    *,
    balance: float,
    num_iter: int,
    model=None,
    scope: Microscope | None = None,
    psf=None,
    percentiles=DEFAULT_PERCENTILES,
) -> dict[str, np.ndarray]:
    r"""Restore recorded images with every method of chapter 5, all in the truth's units.

    Parameters
    ----------
    raw : array_like, shape (n, ny, nx)
        Recorded images in photons (from :func:`simulate_pairs`).
    balance : float
        Wiener balance (e.g. from :func:`tune_wiener`).
    num_iter : int
        Richardson-Lucy iterations (e.g. from :func:`tune_rl`).
    model : csbdeep.models.CARE, optional
        Trained network; without it the ``"CARE"`` entry is left out.
    scope : decondl.forward.Microscope, optional
        The acquisition model of ``raw`` (photons and background), default ``Microscope()``.
    psf : array_like, optional
        PSF given to Wiener and RL (default ``scope.psf()``).
    percentiles : (float, float)
        CARE's input normalisation, see :func:`predict_care`.

    Returns
    -------
    dict of str to ndarray of float32, each shape (n, ny, nx)
        ``"raw"``: :math:`(y - b) / p`; ``"Wiener"``: Wiener filter of that;
        ``"Richardson-Lucy"``: RL of :math:`y` with background :math:`b`, divided by
        :math:`p`; ``"CARE"``: :func:`predict_care` (already in truth units).

    Raises
    ------
    ValueError
        If ``raw`` is not a stack of 2D images.

    Notes
    -----
    With photons :math:`p` and background :math:`b`, an image in photons :math:`y` has the
    truth's scale after :math:`(y - b)/p` (:meth:`decondl.forward.Microscope.to_truth_units`);
    RL estimates the object in photons without background, so it is divided by :math:`p` only.

    Examples
    --------
    >>> from decondl import synthetic
    >>> raw, truths = simulate_pairs(
    ...     lambda r: synthetic.spheres((32, 32), 3, (2, 4), r), 2, rng=0)
    >>> sorted(restore_all(raw, balance=0.01, num_iter=5))
    ['Richardson-Lucy', 'Wiener', 'raw']
    """
    raw = _check_stack(raw, "raw", ndims=(2,))
    num_iter = _check_int(num_iter, "num_iter", low=0)
    scope = Microscope() if scope is None else scope
    psf = scope.psf() if psf is None else psf
    in_units = np.stack([scope.to_truth_units(im) for im in raw]).astype(np.float32)
    results = {
        "raw": in_units,
        "Wiener": np.stack([deconvolve.wiener(im, psf, balance) for im in in_units]),
        "Richardson-Lucy": np.stack(
            [
                deconvolve.richardson_lucy(
                    im, psf, num_iter, background=scope.background, clip_negative=True
                )
                / scope.photons
                for im in raw.astype(np.float32)
            ]
        ),
    }
    if model is not None:
        results["CARE"] = predict_care(model, raw, percentiles=percentiles)
    return {name: np.asarray(v, dtype=np.float32) for name, v in results.items()}


def mean_scores(truths, results: dict) -> dict[str, dict[str, float]]:
    """Mean PSNR and SSIM of every method's restorations against the truths.

    Parameters
    ----------
    truths : array_like, shape (n, ny, nx)
        Ground truths.
    results : dict of str to array_like, each shape (n, ny, nx)
        Restorations in the truth's units, e.g. from :func:`restore_all`.

    Returns
    -------
    dict of str to dict
        ``{name: {"psnr": dB, "ssim": value, "flux": ratio}}``: mean PSNR and SSIM over the
        ``n`` images (:func:`decondl.metrics.psnr`, :func:`decondl.metrics.ssim`, data range of
        each truth) and the total intensity of the restorations divided by the truths' (1 when
        the method preserves the amount of light). Python floats.

    Raises
    ------
    ValueError
        If a result's shape differs from the truths'.

    Examples
    --------
    >>> truths = np.zeros((2, 16, 16)); truths[:, 4:12, 4:12] = 1
    >>> mean_scores(truths, {"same": truths})["same"]["ssim"]
    1.0
    """
    truths = _check_stack(truths, "truths")
    scores = {}
    for name, images in results.items():
        images = np.asarray(images)
        if images.shape != truths.shape:
            raise ValueError(f"results[{name!r}] has shape {images.shape}, expected {truths.shape}")
        scores[name] = {
            "psnr": _mean_psnr(truths, images),
            "ssim": float(
                np.mean([metrics.ssim(t, im) for t, im in zip(truths, images, strict=True)])
            ),
            "flux": float(images.astype(np.float64).sum() / truths.astype(np.float64).sum()),
        }
    return scores
