"""CARE's network: configuration from the run profile, a fixed-size copy, training memory."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from decondl import backend
from decondl import profile as profile_lib
from decondl._checks import as_int, as_shape

__all__ = ["care_config", "care_network", "training_memory"]


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
    backend.tensorflow()  # quietly, before CSBDeep imports it
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
    backend.tensorflow()  # quietly, before CSBDeep imports it
    from csbdeep.internals.nets import common_unet

    shape = as_shape(patch_shape, "patch_shape", ndims=(config.n_dim,))
    divisor = 2**config.unet_n_depth
    if any(p % divisor for p in shape):
        raise ValueError(f"every side of patch_shape must be a multiple of {divisor}, got {shape}")
    with backend.quiet():
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
    batch_size = as_int(batch_size, "batch_size", low=1)
    bytes_per_value = as_int(bytes_per_value, "bytes_per_value", low=1)
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
