"""decondl.nets: NumPy building blocks, receptive field, Keras models (known answers)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage, signal, stats
from skimage.measure import block_reduce

from decondl import nets

DTYPES = [np.float32, np.float64]
SHAPES = [(17, 20), (9, 10, 11)]


@pytest.fixture(scope="module")
def keras():
    # No importorskip: TensorFlow is part of the test environment, and a missing one must fail
    # the run rather than skip the deep-learning tests silently.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def rand(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------------- convolution


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_correlate_and_convolve_match_scipy(shape, dtype):
    image = rand(shape, dtype)
    weights = rand((3, 5, 3)[: len(shape)], dtype, seed=1)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    same = nets.correlate(image, weights)
    assert same.dtype == dtype and same.shape == shape
    np.testing.assert_allclose(same, ndimage.correlate(image, weights, mode="constant"), atol=tol)
    np.testing.assert_allclose(
        nets.convolve(image, weights), ndimage.convolve(image, weights, mode="constant"), atol=tol
    )
    valid = nets.convolve(image, weights, padding="valid")
    np.testing.assert_allclose(valid, signal.convolve(image, weights, mode="valid"), atol=tol)
    np.testing.assert_allclose(
        nets.correlate(image, weights, padding="valid"),
        signal.correlate(image, weights, mode="valid"),
        atol=tol,
    )


def test_impulse_gives_flipped_kernel_for_correlation_and_kernel_for_convolution():
    image = np.zeros((7, 7))
    image[3, 3] = 1.0
    weights = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(nets.correlate(image, weights)[2:5, 2:5], weights[::-1, ::-1])
    np.testing.assert_array_equal(nets.convolve(image, weights)[2:5, 2:5], weights)


def test_identity_kernel_returns_the_image_and_blur_preserves_constants():
    image = rand((12, 13))
    np.testing.assert_array_equal(nets.correlate(image, nets.kernel("identity")), image)
    flat = np.ones((9, 9))
    for name in ("box blur", "gaussian blur", "sharpen"):
        assert nets.correlate(flat, nets.kernel(name))[4, 4] == pytest.approx(1.0)
    for name in ("edges (x)", "edges (y)", "laplacian"):
        assert nets.correlate(flat, nets.kernel(name))[4, 4] == pytest.approx(0.0)


def test_sobel_x_responds_to_vertical_edges_only():
    image = np.zeros((10, 10))
    image[:, 5:] = 1.0  # a vertical edge: intensity changes along x
    assert np.abs(nets.correlate(image, nets.kernel("edges (x)"))[2:-2, 2:-2]).max() == 4.0
    assert np.abs(nets.correlate(image, nets.kernel("edges (y)"))[2:-2, 2:-2]).max() == 0.0


def test_integer_images_are_converted():
    out = nets.correlate(np.ones((4, 4), dtype=np.uint8), np.ones((3, 3), dtype=int))
    assert out.dtype == np.float64 and out[1, 1] == 9.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": np.ones((5, 5)), "weights": np.ones((2, 2))}, ValueError, "odd sides"),
        ({"image": np.ones((5, 5)), "weights": np.ones((3, 3, 3))}, ValueError, "weights must"),
        ({"image": np.ones(5), "weights": np.ones(3)}, ValueError, "image must be 2D or 3D"),
        ({"image": np.ones((5, 5), complex), "weights": np.ones((3, 3))}, TypeError, "real"),
        ({"image": np.ones((5, 5), bool), "weights": np.ones((3, 3))}, TypeError, "boolean"),
        (
            {"image": np.full((5, 5), np.nan), "weights": np.ones((3, 3))},
            ValueError,
            "image must contain only finite values",
        ),
        ({"image": np.ones((5, 5)), "weights": np.ones((3, 3)), "padding": 1}, TypeError, "str"),
        (
            {"image": np.ones((5, 5)), "weights": np.ones((3, 3)), "padding": "full"},
            ValueError,
            "padding must be one of",
        ),
        (
            {"image": np.ones((2, 2)), "weights": np.ones((3, 3)), "padding": "valid"},
            ValueError,
            "larger than image",
        ),
    ],
)
def test_correlate_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        nets.correlate(**kwargs)


def test_kernel_names_and_copies():
    for name in nets.KERNEL_NAMES:
        assert nets.kernel(name).shape == (3, 3)
    nets.kernel("identity")[1, 1] = 5.0
    assert nets.kernel("identity")[1, 1] == 1.0
    with pytest.raises(ValueError, match="name must be one of"):
        nets.kernel("emboss")


# --------------------------------------------------------------------------- activations


def test_activations_known_values():
    x = np.array([-2.0, 0.0, 3.0])
    expected = {
        "linear": [-2.0, 0.0, 3.0],
        "relu": [0.0, 0.0, 3.0],
        "leaky_relu": [-0.4, 0.0, 3.0],
        "elu": [np.expm1(-2.0), 0.0, 3.0],
        "sigmoid": [1 / (1 + np.exp(2.0)), 0.5, 1 / (1 + np.exp(-3.0))],
        "tanh": np.tanh(x),
    }
    assert set(expected) == set(nets.ACTIVATIONS)
    for name, values in expected.items():
        np.testing.assert_allclose(nets.activate(x, name), values, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_keep_dtype_and_do_not_overflow(dtype):
    x = np.array([-1000.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise"):
        np.testing.assert_array_equal(nets.activate(x, "sigmoid"), [0.0, 1.0])
        np.testing.assert_array_equal(nets.activate(x, "elu"), [-1.0, 1000.0])
    for name in nets.ACTIVATIONS:
        assert nets.activate(x, name).dtype == dtype


def test_activate_rejects_bad_input():
    with pytest.raises(ValueError, match="name must be one of"):
        nets.activate([1.0], "swish")
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        nets.activate(["a"], "relu")


# --------------------------------------------------------------------------- pooling, upsampling


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", nets.POOLINGS)
def test_pool_matches_block_reduce_and_crops(shape, mode):
    image = rand(shape)
    out = nets.pool(image, 2, mode)
    assert out.shape == tuple(n // 2 for n in shape)
    cropped = image[tuple(slice(0, 2 * (n // 2)) for n in shape)]
    func = np.max if mode == "max" else np.mean
    np.testing.assert_allclose(out, block_reduce(cropped, 2, func), rtol=1e-12)


def test_pool_known_answer_and_errors():
    image = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(nets.pool(image, 2, "max"), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(nets.pool(image, 2, "average"), [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ValueError, match="larger than the image"):
        nets.pool(image, 5)
    with pytest.raises(TypeError, match="size must be an int"):
        nets.pool(image, 2.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        nets.pool(image, 2, "min")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_upsample_equals_transposed_conv_with_ones(shape, dtype):
    image = rand(shape, dtype)
    up = nets.upsample(image, 2)
    assert up.shape == tuple(2 * n for n in shape) and up.dtype == dtype
    np.testing.assert_array_equal(up, nets.transposed_conv(image, np.ones((2,) * len(shape)), 2))
    np.testing.assert_array_equal(nets.pool(up, 2, "average"), image)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_transposed_conv_is_the_adjoint_of_strided_correlation(shape, stride):
    x = rand(shape)
    w = rand((3, 2, 4)[: len(shape)], seed=1)
    t = nets.transposed_conv(x, w, stride)
    assert t.shape == tuple((n - 1) * stride + k for n, k in zip(shape, w.shape, strict=True))
    y = rand(t.shape, seed=2)
    strided = nets.correlate(y, w, padding="valid")[tuple(slice(None, None, stride) for _ in shape)]
    assert strided.shape == x.shape
    assert np.vdot(t, y) == pytest.approx(np.vdot(x, strided), rel=1e-10)


def test_feature_maps_shapes_and_values():
    image = rand((16, 18))
    maps = nets.feature_maps(image, "laplacian", "relu", "max")
    assert maps["conv"].shape == (16, 18) and maps["pooled"].shape == (8, 9)
    assert maps["activated"].min() >= 0
    np.testing.assert_array_equal(maps["pooled"], nets.pool(np.maximum(maps["conv"], 0), 2))
    np.testing.assert_array_equal(
        nets.feature_maps(image, "identity", "linear", "none")["pooled"], image
    )
    with pytest.raises(ValueError, match="pooling must be one of"):
        nets.feature_maps(image, "identity", "relu", "min")
    with pytest.raises(ValueError, match="image must be 2D, got 3 dimensions"):
        nets.feature_maps(np.ones((4, 4, 4)), "identity")


def test_conv_param_count():
    assert nets.conv_param_count(3, 1, 8) == 80
    assert nets.conv_param_count(3, 8, 16, bias=False) == 1152
    assert nets.conv_param_count(3, 2, 4, ndim=3) == 27 * 8 + 4
    with pytest.raises(ValueError, match="ndim must be >= 2 and <= 3"):
        nets.conv_param_count(3, 1, 1, ndim=4)
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        nets.conv_param_count(3, 0, 1)


# --------------------------------------------------------------------------- receptive field


@pytest.mark.parametrize(("n_layers", "k"), [(1, 3), (4, 3), (3, 5), (10, 7)])
def test_receptive_field_of_plain_convolutions(n_layers, k):
    layers = nets.shallow_cnn_layers(n_layers, k)
    assert nets.receptive_field(layers) == 1 + n_layers * (k - 1)
    first, last = nets.receptive_field_interval(layers, 0)
    assert (first, last) == (-n_layers * (k // 2), n_layers * (k // 2))


def test_receptive_field_known_stacks():
    # two 3x3 convolutions see 5x5; a 2x2 pool doubles the growth of the next layers
    assert nets.receptive_field([("conv", 3), ("conv", 3)]) == 5
    assert nets.receptive_field([("conv", 3), ("pool", 2), ("conv", 3)]) == 8
    # VGG-16's first three blocks, by hand: 3, 5, pool 6 (jump 2), 10, 14, pool 16 (jump 4),
    # 24, 32, 40, pool 44 (jump 8)
    vgg = [("conv", 3)] * 2 + [("pool", 2)] + [("conv", 3)] * 2 + [("pool", 2)]
    vgg += [("conv", 3)] * 3 + [("pool", 2)]
    assert nets.receptive_field(vgg) == 44
    table = nets.receptive_field_table(vgg)
    assert [row["jump"] for row in table][-1] == 8
    assert nets.receptive_field([]) == 1


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("k", [3, 5])
def test_formula_is_the_position_average_of_the_exact_interval(depth, k):
    layers = nets.unet_layers(depth, k)
    sizes = [
        np.subtract(*nets.receptive_field_interval(layers, p)[::-1]) + 1 for p in range(2**depth)
    ]
    assert np.mean(sizes) == nets.receptive_field(layers)
    if depth <= 2:  # shallow U-Nets: the same at every position
        assert set(sizes) == {nets.receptive_field(layers)}


def test_encoder_interval_size_equals_formula_at_every_position():
    layers = [("conv", 3), ("pool", 2), ("conv", 5), ("pool", 3), ("conv", 3)]
    expected = nets.receptive_field(layers)
    for position in range(-3, 7):
        first, last = nets.receptive_field_interval(layers, position)
        assert last - first + 1 == expected


def test_receptive_field_rejects_bad_layers():
    with pytest.raises(TypeError, match="sequence of"):
        nets.receptive_field("conv")
    with pytest.raises(ValueError, match="kind must be one of"):
        nets.receptive_field([("dense", 3)])
    with pytest.raises(ValueError, match="size must be >= 1"):
        nets.receptive_field([("conv", 0)])
    with pytest.raises(ValueError, match="upsample more than they pool"):
        nets.receptive_field([("conv", 3), ("up", 2)])
    with pytest.raises(TypeError, match="position must be an int"):
        nets.receptive_field_interval([("conv", 3)], 1.5)


def test_receptive_field_extent():
    grad = np.zeros((9, 9, 9))
    grad[1:4, 2, 3:9] = 0.5
    assert nets.receptive_field_extent(grad) == (3, 1, 6)
    assert nets.receptive_field_extent(np.zeros((3, 3))) == (0, 0)


def test_unet_shapes():
    shapes = nets.unet_shapes(96, depth=3, n_filters=16)
    assert [(s["size"], s["channels"]) for s in shapes] == [(96, 16), (48, 32), (24, 64), (12, 128)]
    assert [s["concat_channels"] for s in shapes] == [32, 64, 128, None]
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth = 8"):
        nets.unet_shapes(100, depth=3)


@pytest.mark.parametrize("ndim", [2, 3])
def test_blur_extent_holds_the_requested_fraction(ndim):
    sigma = 2.5
    diameter = nets.blur_extent_px(sigma, 0.9, ndim=ndim)
    # Monte Carlo: the fraction of Gaussian samples inside the ball of that diameter
    points = np.random.default_rng(0).normal(scale=sigma, size=(200_000, ndim))
    inside = np.mean(np.linalg.norm(points, axis=1) <= diameter / 2)
    assert inside == pytest.approx(0.9, abs=0.005)
    assert nets.blur_extent_px(1.0, 0.99) == pytest.approx(2 * np.sqrt(-2 * np.log(0.01)))
    assert diameter == pytest.approx(2 * sigma * np.sqrt(stats.chi2.ppf(0.9, ndim)))


def test_blur_extent_rejects_bad_input():
    with pytest.raises(ValueError, match="sigma_px must be finite and > 0"):
        nets.blur_extent_px(0.0)
    with pytest.raises(TypeError, match="sigma_px must be a real number"):
        nets.blur_extent_px("2")
    with pytest.raises(ValueError, match="fraction must be finite and > 0 and < 1"):
        nets.blur_extent_px(1.0, 1.0)


# --------------------------------------------------------------------------- Keras


@pytest.mark.dl
def test_keras_conv2d_computes_our_correlation(keras):
    image = rand((1, 12, 15, 1), np.float32)
    weights = rand((3, 5), np.float32, seed=3)
    layer = keras.layers.Conv2D(1, weights.shape, padding="same", use_bias=False)
    layer.build(image.shape)
    layer.set_weights([weights[..., None, None]])
    out = np.asarray(layer(image))[0, ..., 0]
    np.testing.assert_allclose(out, nets.correlate(image[0, ..., 0], weights), atol=1e-5)


@pytest.mark.dl
def test_keras_pooling_upsampling_transposed_and_activations_match(keras):
    image = rand((1, 9, 10, 1), np.float32)
    x = image[0, ..., 0]
    layers = keras.layers
    np.testing.assert_allclose(
        np.asarray(layers.MaxPooling2D(2)(image))[0, ..., 0], nets.pool(x, 2, "max"), atol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(layers.AveragePooling2D(2)(image))[0, ..., 0],
        nets.pool(x, 2, "average"),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        np.asarray(layers.UpSampling2D(2)(image))[0, ..., 0], nets.upsample(x, 2), atol=0
    )
    weights = rand((3, 3), np.float32, seed=4)
    transposed = layers.Conv2DTranspose(1, 3, strides=2, use_bias=False)
    transposed.build(image.shape)
    transposed.set_weights([weights[..., None, None]])
    np.testing.assert_allclose(
        np.asarray(transposed(image))[0, ..., 0], nets.transposed_conv(x, weights, 2), atol=1e-5
    )
    for name in nets.ACTIVATIONS:
        expected = np.asarray(keras.activations.get(name)(image))
        np.testing.assert_allclose(nets.activate(image, name), expected, atol=1e-6, err_msg=name)


@pytest.mark.dl
@pytest.mark.parametrize("ndim", [2, 3])
def test_shallow_cnn_shapes_and_parameter_count(keras, ndim):
    model = nets.shallow_cnn(ndim=ndim, n_layers=3, n_filters=5, kernel_size=3)
    count = nets.conv_param_count(3, 1, 5, ndim=ndim) + 2 * nets.conv_param_count(
        3, 5, 5, ndim=ndim
    )
    count += nets.conv_param_count(1, 5, 1, ndim=ndim)
    assert model.count_params() == count
    shape = (1, *(8,) * ndim, 1)
    assert model(np.zeros(shape, np.float32)).shape == shape


@pytest.mark.dl
@pytest.mark.parametrize("ndim", [2, 3])
def test_unet_shapes_and_parameter_count(keras, ndim):
    depth, f = 2, 4
    model = nets.unet(ndim=ndim, depth=depth, n_filters=f, convs_per_level=2)

    def pc(k, cin, cout):
        return nets.conv_param_count(k, cin, cout, ndim=ndim)

    count = pc(3, 1, f) + pc(3, f, f) + pc(3, f, 2 * f) + pc(3, 2 * f, 2 * f)
    count += pc(3, 2 * f, 4 * f) + pc(3, 4 * f, 4 * f)  # bottleneck
    count += pc(2, 4 * f, 2 * f) + pc(3, 4 * f, 2 * f) + pc(3, 2 * f, 2 * f)  # up 1, dec 1
    count += pc(2, 2 * f, f) + pc(3, 2 * f, f) + pc(3, f, f)  # up 0, dec 0
    count += pc(1, f, 1)
    assert model.count_params() == count
    side = 16
    out = model(np.zeros((2, *(side,) * ndim, 1), np.float32))
    assert out.shape == (2, *(side,) * ndim, 1)
    shapes = nets.unet_shapes(side, depth=depth, n_filters=f)
    probe = keras.Model(model.input, [model.get_layer(f"enc{lv}_conv2").output for lv in range(2)])
    for level, feature in enumerate(probe(np.zeros((1, *(side,) * ndim, 1), np.float32))):
        assert feature.shape[1:] == (*(shapes[level]["size"],) * ndim, shapes[level]["channels"])
    rows = nets.layer_table(model)
    assert sum(r["params"] for r in rows) == count
    assert rows[-1]["name"] == "output" and rows[-1]["output_shape"][-1] == 1


@pytest.mark.dl
@pytest.mark.parametrize(
    ("activation", "pooling", "n_samples"), [("linear", "average", 1), ("relu", "max", 8)]
)
def test_empirical_receptive_field_of_unet_matches_the_exact_interval(
    keras, activation, pooling, n_samples
):
    nets.seed_everything(1)
    depth = 3
    layers = nets.unet_layers(depth)
    model = nets.unet(depth=depth, n_filters=4, activation=activation, pooling=pooling)
    for position in (64, 66):  # 92 and 100 pixels (see the interval test above)
        grad = nets.empirical_receptive_field(
            model, (128, 128), position=(position, position), n_samples=n_samples, rng=0
        )
        first, last = nets.receptive_field_interval(layers, position)
        assert nets.receptive_field_extent(grad) == (last - first + 1,) * 2
        nonzero = np.flatnonzero(grad.sum(axis=0))
        assert (nonzero.min(), nonzero.max()) == (first, last)


@pytest.mark.dl
def test_empirical_receptive_field_of_shallow_cnn_and_3d_unet(keras):
    nets.seed_everything(2)
    model = nets.shallow_cnn(n_layers=4, n_filters=8)
    grad = nets.empirical_receptive_field(model, (33, 33), rng=0)
    assert nets.receptive_field_extent(grad) == (9, 9)
    model3 = nets.unet(ndim=3, depth=1, n_filters=8, convs_per_level=1)
    grad3 = nets.empirical_receptive_field(model3, (24, 24, 24), rng=0)
    assert (
        nets.receptive_field_extent(grad3) == (nets.receptive_field(nets.unet_layers(1, 3, 1)),) * 3
    )
    with pytest.raises(ValueError, match="shape must have 3 entries"):
        nets.empirical_receptive_field(model3, (24, 24))
    with pytest.raises(ValueError, match="must index a pixel"):
        nets.empirical_receptive_field(model, (8, 8), position=(8, 0))


@pytest.mark.dl
def test_seed_everything_makes_models_and_training_repeatable(keras):
    rng = np.random.default_rng(0)
    X = rng.random((8, 16, 16)).astype(np.float32)
    Y = 2.0 * X

    def run():
        nets.seed_everything(7)
        model = nets.shallow_cnn(n_layers=1, n_filters=4)
        history = nets.train(
            model,
            X,
            Y,
            validation_data=(X[:2], Y[:2]),
            epochs=2,
            steps_per_epoch=3,
            batch_size=4,
            rng=3,
        )
        return model.get_weights(), history

    (w1, h1), (w2, h2) = run(), run()
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert h1["loss"] == h2["loss"] and h1["val_loss"] == h2["val_loss"]
    assert len(h1["loss"]) == 2 and h1["seconds"] > 0


@pytest.mark.dl
def test_training_learns_a_known_linear_map(keras, capsys):
    # Y = 3x3 box blur of X: a linear 3x3 network can represent it exactly.
    rng = np.random.default_rng(1)
    X = rng.random((32, 16, 16)).astype(np.float32)
    Y = np.stack([nets.correlate(x, nets.kernel("box blur")) for x in X]).astype(np.float32)
    nets.seed_everything(0)
    model = nets.shallow_cnn(n_layers=1, n_filters=4, activation="linear")
    history = nets.train(
        model,
        X[:24],
        Y[:24],
        validation_data=(X[24:], Y[24:]),
        epochs=3,
        steps_per_epoch=100,
        learning_rate=1e-2,
        rng=0,
        verbose=1,
    )
    assert history["val_loss"][-1] < 1e-2 * history["val_loss"][0]
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch   1/3")
    restored = nets.predict(model, X[24:])
    assert restored.shape == X[24:].shape
    assert np.sqrt(np.mean((restored - Y[24:]) ** 2)) < 0.01


@pytest.mark.dl
def test_predict_pads_to_the_pooling_factor_and_keeps_shape(keras):
    nets.seed_everything(3)
    model = nets.unet(depth=2, n_filters=2)
    image = np.random.default_rng(0).random((13, 18)).astype(np.float32)
    out = nets.predict(model, image)
    assert out.shape == image.shape and out.dtype == np.float32
    padded = np.pad(image, [(0, 3), (0, 2)], mode="reflect")
    np.testing.assert_allclose(out, nets.predict(model, padded)[:13, :18], atol=1e-5)
    assert nets.predict(model, np.stack([image, image])).shape == (2, 13, 18)
    with pytest.raises(ValueError, match="images must have shape"):
        nets.predict(model, np.zeros((2, 2, 16, 16)))


@pytest.mark.dl
def test_train_and_builders_reject_bad_input(keras):
    model = nets.shallow_cnn(n_layers=1, n_filters=2)
    X = np.zeros((4, 8, 8))
    with pytest.raises(ValueError, match="same shape"):
        nets.train(model, X, X[:, :4], validation_data=(X, X), epochs=1, steps_per_epoch=1, rng=0)
    with pytest.raises(TypeError, match="validation_data must be a pair"):
        nets.train(model, X, X, validation_data=X, epochs=1, steps_per_epoch=1, rng=0)
    with pytest.raises(TypeError, match="rng must be"):
        nets.train(model, X, X, validation_data=(X, X), epochs=1, steps_per_epoch=1, rng="a")
    bad = {
        "learning_rate must be finite and > 0": {"learning_rate": 0.0},
        "verbose must be an int": {"verbose": True},
        "loss must be one of": {"loss": "huber"},
        "augment must be True or False": {"augment": "False"},
        "epochs must be >= 1": {"epochs": 0},
    }
    for match, kwargs in bad.items():
        settings = {"epochs": 1, "steps_per_epoch": 1, "rng": 0} | kwargs
        with pytest.raises((TypeError, ValueError), match=match):
            nets.train(model, X, X, validation_data=(X, X), **settings)
    with pytest.raises(ValueError, match="X must contain only finite values"):
        nets.train(model, X + np.nan, X, validation_data=(X, X), epochs=1, steps_per_epoch=1, rng=0)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        nets.unet(kernel_size=4)
    with pytest.raises(ValueError, match="pooling must be one of"):
        nets.unet(pooling="min")
    with pytest.raises(ValueError, match="ndim must be >= 2 and <= 3"):
        nets.shallow_cnn(ndim=1)
    with pytest.raises(ValueError, match="one input and one output channel"):
        nets.predict(nets.shallow_cnn(n_layers=1, out_channels=2), X)


@pytest.mark.dl
def test_tensorflow_is_imported_without_cpp_start_up_noise(keras):
    # TensorFlow's pre-logging messages ("WARNING: All log messages before
    # absl::InitializeLog() ...") would look like warnings in the book's build log.
    code = (
        "import sys; from decondl import nets; nets.seed_everything(0)\n"
        "assert 'keras' in sys.modules\n"
        "print('python stderr still works', file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "absl::InitializeLog" not in result.stderr
    assert "oneDNN" not in result.stderr
    assert "python stderr still works" in result.stderr
