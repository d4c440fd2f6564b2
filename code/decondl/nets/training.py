"""Training and prediction of the small image-to-image models of chapter 2.

:func:`train` fits a single-channel model on ``(X, Y)`` pairs with batches and
augmentation drawn by ``rng`` and returns a compact history (no Keras logs in a book
page); :func:`predict` applies it to one image or a stack, padding sides to the model's
pooling factor. For repeatable numbers call :func:`decondl.backend.seed_everything`
before building the model.
"""

from __future__ import annotations

import time

import numpy as np

from decondl import backend
from decondl._checks import as_bool, as_choice, as_float_array, as_int, as_number, as_rng

__all__ = ["predict", "train"]


def _with_channel(images, spatial: int, name: str = "images") -> np.ndarray:
    """Return one image or a stack as a float32 batch ``(n, *spatial, 1)`` for Keras."""
    array = as_float_array(images, name, ndims=None, dtype=np.float32)
    if array.ndim not in (spatial, spatial + 1):
        raise ValueError(
            f"{name} must have shape (n, *spatial) or (*spatial) with {spatial} spatial "
            f"axes, got shape {array.shape}"
        )
    return (array[None] if array.ndim == spatial else array)[..., None]


def _augment(batch_x, batch_y, rng, spatial):
    """Random flips of every spatial axis and a random 90 degree turn of the last two."""
    flips = rng.integers(0, 2, size=(batch_x.shape[0], spatial))
    turns = rng.integers(0, 4, size=batch_x.shape[0])
    plane = (spatial - 2, spatial - 1)
    if batch_x.shape[1 + plane[0]] != batch_x.shape[1 + plane[1]]:
        turns = 2 * (turns % 2)  # non-square: only half turns keep the shape
    xs, ys = [], []
    for x, y, flip, turn in zip(batch_x, batch_y, flips, turns, strict=True):
        axes = tuple(int(a) for a in np.flatnonzero(flip))
        xs.append(np.rot90(np.flip(x, axes), turn, axes=plane))
        ys.append(np.rot90(np.flip(y, axes), turn, axes=plane))
    return np.stack(xs), np.stack(ys)


def train(
    model,
    X,
    Y,
    *,
    validation_data,
    epochs: int,
    steps_per_epoch: int,
    rng,
    batch_size: int = 16,
    learning_rate: float = 1e-3,
    loss: str = "mse",
    augment: bool = True,
    verbose: int = 0,
) -> dict:
    r"""Train an image-to-image model on pairs, quietly, with batches drawn by ``rng``.

    Parameters
    ----------
    model : keras.Model
        Single-channel in and out (e.g. :func:`~decondl.nets.unet` or
        :func:`~decondl.nets.shallow_cnn`).
    X, Y : array_like, shape (n, *spatial)
        Input and target images (same shape; no channel axis).
    validation_data : (array_like, array_like)
        Held-out ``(X_val, Y_val)``, each ``(m, *spatial)``, scored after every epoch.
    epochs : int
        Number of epochs.
    steps_per_epoch : int
        Batches per epoch.
    rng : numpy.random.Generator or int
        Draws the batches (with replacement) and the augmentation.
    batch_size : int
        Images per batch.
    learning_rate : float
        Adam learning rate, > 0.
    loss : {"mse", "mae"}
        Training loss.
    augment : bool
        Random flips and 90 degree turns (applied identically to input and target).
    verbose : {0, 1}
        0: print nothing; 1: one line per epoch.

    Returns
    -------
    dict
        ``"loss"`` and ``"val_loss"`` (lists, one value per epoch; the training loss is the
        mean over the epoch's batches) and ``"seconds"`` (wall time of the training).

    Raises
    ------
    TypeError, ValueError
        If shapes or settings are inconsistent.

    Notes
    -----
    Minimises :math:`\frac{1}{B}\sum_b \lVert f_\theta(x_b) - y_b \rVert^2` (``"mse"``)
    with Adam. Call :func:`decondl.backend.seed_everything` before building the model for repeatable
    numbers.

    Examples
    --------
    >>> history = train(model, X, Y, validation_data=(Xv, Yv), epochs=2,
    ...                 steps_per_epoch=10, rng=0)  # doctest: +SKIP
    """
    augment = as_bool(augment, "augment")
    spatial = len(model.input_shape) - 2
    if model.input_shape[-1] != 1 or model.output_shape[-1] != 1:
        raise ValueError("train expects a model with one input and one output channel")
    X, Y = _with_channel(X, spatial, "X"), _with_channel(Y, spatial, "Y")
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape, got {X.shape[:-1]} and {Y.shape[:-1]}")
    try:
        X_val, Y_val = validation_data
    except (TypeError, ValueError):
        raise TypeError("validation_data must be a pair (X_val, Y_val)") from None
    X_val = _with_channel(X_val, spatial, "X_val")
    Y_val = _with_channel(Y_val, spatial, "Y_val")
    if X_val.shape != Y_val.shape:
        raise ValueError("validation_data: X_val and Y_val must have the same shape")
    epochs = as_int(epochs, "epochs", low=1)
    steps_per_epoch = as_int(steps_per_epoch, "steps_per_epoch", low=1)
    batch_size = as_int(batch_size, "batch_size", low=1)
    learning_rate = as_number(learning_rate, "learning_rate", low=0, low_open=True)
    as_choice(loss, "loss", ("mse", "mae"))
    verbose = as_int(verbose, "verbose", low=0, high=1)
    rng = as_rng(rng)
    keras = backend.keras()

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    history = {"loss": [], "val_loss": []}
    start = time.perf_counter()
    for epoch in range(epochs):
        losses = []
        for _ in range(steps_per_epoch):
            index = rng.integers(0, X.shape[0], size=batch_size)
            xb, yb = X[index], Y[index]
            if augment:
                xb, yb = _augment(xb, yb, rng, spatial)
            losses.append(float(model.train_on_batch(xb, yb)))
        history["loss"].append(float(np.mean(losses)))
        errors = _predict_batches(model, X_val, batch_size) - Y_val
        val = np.mean(errors**2) if loss == "mse" else np.mean(np.abs(errors))
        history["val_loss"].append(float(val))
        if verbose:
            print(
                f"epoch {epoch + 1:3d}/{epochs}  loss {history['loss'][-1]:.5f}  "
                f"val_loss {history['val_loss'][-1]:.5f}  ({time.perf_counter() - start:.0f} s)"
            )
    history["seconds"] = time.perf_counter() - start
    return history


def _predict_batches(model, batch: np.ndarray, batch_size: int) -> np.ndarray:
    """Run ``model`` on ``batch`` in chunks, without Keras' tf.data input pipeline."""
    chunks = [
        np.asarray(model.predict_on_batch(batch[i : i + batch_size]), dtype=np.float32)
        for i in range(0, batch.shape[0], batch_size)
    ]
    return np.concatenate(chunks)


def _size_divisor(model) -> int:
    """Product of the pooling strides of a model (input sides must be multiples of it)."""
    divisor = 1
    for layer in model.layers:
        if "Pooling" in type(layer).__name__:
            divisor *= int(layer.strides[0])
    return divisor


def predict(model, images, *, batch_size: int = 16) -> np.ndarray:
    """Apply a single-channel image-to-image model to one image or a stack of images.

    Images whose sides are not a multiple of the model's total pooling factor (a U-Net of
    depth 3 needs multiples of 8) are padded by reflection and the result cropped back.

    Parameters
    ----------
    model : keras.Model
        One input and one output channel.
    images : array_like, shape (*spatial) or (n, *spatial)
        One image or a stack.
    batch_size : int
        Images per forward pass.

    Returns
    -------
    ndarray of float32
        Same shape as ``images``.

    Raises
    ------
    ValueError
        If the model is not single-channel or ``images`` has the wrong number of axes.

    Examples
    --------
    >>> restored = predict(model, blurred)  # doctest: +SKIP
    """
    spatial = len(model.input_shape) - 2
    if model.input_shape[-1] != 1 or model.output_shape[-1] != 1:
        raise ValueError("predict expects a model with one input and one output channel")
    single = np.ndim(images) == spatial
    batch = _with_channel(images, spatial)
    divisor = _size_divisor(model)
    sides = batch.shape[1:-1]
    pads = [(0, -s % divisor) for s in sides]
    if any(p for _, p in pads):
        batch = np.pad(batch, [(0, 0), *pads, (0, 0)], mode="reflect")
    out = _predict_batches(model, batch, as_int(batch_size, "batch_size", low=1))
    out = out[(slice(None), *(slice(0, s) for s in sides), 0)]
    return out[0] if single else out
