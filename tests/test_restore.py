"""decondl.restore (CARE wrappers, tuned baselines) and the chapter-5 plotting/widget helpers."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from decondl import deconvolve, forward, metrics, plotting, profile, restore, synthetic, widgets
from decondl.forward import Microscope


def spheres(shape=(48, 48)):
    return lambda r: synthetic.spheres(shape, 4, (2, 5), r)


def identity_psf(ndim):
    psf = np.zeros((3,) * ndim)
    psf[(1,) * ndim] = 1.0
    return psf


# --------------------------------------------------------------------------- data


def test_simulate_pairs_shapes_determinism_and_model():
    raw, truths = restore.simulate_pairs(spheres(), 3, 7)
    assert raw.shape == truths.shape == (3, 48, 48)
    assert raw.dtype == truths.dtype == np.float32
    again_raw, again_truths = restore.simulate_pairs(spheres(), 3, np.random.default_rng(7))
    np.testing.assert_array_equal(raw, again_raw)
    np.testing.assert_array_equal(truths, again_truths)
    assert truths.max() == pytest.approx(1.0) and truths.min() == 0.0
    # Without noise worth the name, the recording in truth units is the blurred truth.
    scope = Microscope(photons=1e7, read_noise=0.0, background=5.0)
    raw, truths = restore.simulate_pairs(spheres(), 2, 1, scope=scope)
    blurred = forward.blur(truths[0].astype(np.float64), scope.psf())
    np.testing.assert_allclose(scope.to_truth_units(raw[0]), blurred, atol=2e-3)
    # Another PSF is honoured.
    _, _ = restore.simulate_pairs(spheres(), 1, 1, psf=identity_psf(2))


def test_simulate_pairs_errors():
    with pytest.raises(TypeError, match="phantom must be callable"):
        restore.simulate_pairs(np.zeros((8, 8)), 2, 0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        restore.simulate_pairs(spheres(), 0, 0)
    with pytest.raises(TypeError, match="rng"):
        restore.simulate_pairs(spheres(), 1, "seed")
    sizes = iter([(16, 16), (20, 20)])
    with pytest.raises(ValueError, match="one shape"):
        restore.simulate_pairs(lambda r: np.zeros(next(sizes)), 2, 0)
    with pytest.raises(TypeError, match="Microscope"):
        restore.simulate_pairs(spheres(), 1, 0, scope="widefield")


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_input_known_answer(ndim, dtype):
    x = np.arange(1000, dtype=dtype).reshape((10, 100) if ndim == 2 else (10, 10, 10))
    out = restore.normalize_input(x, (0, 100))
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, x / 999.0, rtol=1e-6, atol=1e-7)
    lo, hi = np.percentile(x, [1, 99.8])
    np.testing.assert_allclose(restore.normalize_input(x), (x - lo) / (hi - lo), atol=1e-6)
    with pytest.raises(ValueError, match="percentiles"):
        restore.normalize_input(x, (50, 10))
    with pytest.raises(TypeError, match="percentiles"):
        restore.normalize_input(x, 5)


def ramp_pairs(n=2, side=32):
    """Raw images with unique values (so every patch can be located) and truth = 2 * raw."""
    raw = np.stack(
        [np.arange(side * side, dtype=np.float32).reshape(side, side) + 100 * i for i in range(n)]
    )
    raw += np.random.default_rng(0).random(raw.shape).astype(np.float32)  # not a plane
    return raw, 2 * raw


def test_make_patches_shapes_and_exact_normalisation():
    raw, truths = ramp_pairs()
    X, Y, axes = restore.make_patches(raw, truths, (8, 12), 5, rng=3, percentiles=(2, 98))
    assert axes == "SYXC"
    assert X.shape == Y.shape == (10, 8, 12, 1)
    assert X.dtype == Y.dtype == np.float32
    for x, y in zip(X[..., 0], Y[..., 0], strict=True):
        # Targets are unchanged truth patches: locate each one in the truths.
        hits = np.argwhere(truths == y[0, 0])
        assert len(hits) == 1
        i, r, c = hits[0]
        np.testing.assert_array_equal(y, truths[i, r : r + 8, c : c + 12])
        # Inputs are the raw patch normalised by the percentiles of the whole raw image.
        lo, hi = np.percentile(raw[i], [2, 98])
        expected = (raw[i, r : r + 8, c : c + 12] - lo) / (hi - lo)
        np.testing.assert_allclose(x, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            x, restore.normalize_input(raw[i], (2, 98))[r : r + 8, c : c + 12], atol=1e-6
        )


def test_make_patches_is_repeatable_and_leaves_numpy_global_state_alone():
    raw, truths = ramp_pairs()
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    a = restore.make_patches(raw, truths, (8, 8), 4, rng=1)
    b = restore.make_patches(raw, truths, (8, 8), 4, rng=np.random.default_rng(1))
    c = restore.make_patches(raw, truths, (8, 8), 4, rng=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(state, np.random.get_state()[1])  # noqa: NPY002


def test_make_patches_errors():
    raw, truths = ramp_pairs()
    with pytest.raises(ValueError, match="multiples of 4"):
        restore.make_patches(raw, truths, (6, 8), 2, rng=0)
    with pytest.raises(ValueError, match="fit in the images"):
        restore.make_patches(raw, truths, (64, 8), 2, rng=0)
    with pytest.raises(ValueError, match="same shape"):
        restore.make_patches(raw, truths[:1], (8, 8), 2, rng=0)
    with pytest.raises(ValueError, match="patch_size must have 2 entries"):
        restore.make_patches(raw, truths, (8, 8, 8), 2, rng=0)
    with pytest.raises(TypeError, match="n_patches_per_image"):
        restore.make_patches(raw, truths, (8, 8), 2.5, rng=0)
    with pytest.raises(ValueError, match="NaN"):
        restore.make_patches(raw * np.nan, truths, (8, 8), 2, rng=0)


# --------------------------------------------------------------------------- model


def test_model_name_hashes_its_inputs():
    a = restore.model_name("care", epochs=10, sizes=[1, 2])
    assert a == restore.model_name("care", sizes=[1, 2], epochs=10)
    assert a != restore.model_name("care", epochs=11, sizes=[1, 2])
    assert a == restore.model_name("care", epochs=np.int64(10), sizes=np.array([1, 2]))
    assert a.startswith("care-") and len(a) == len("care-") + 10
    profile.model_dir(a)  # a valid folder name
    with pytest.raises(TypeError, match="JSON"):
        restore.model_name("care", thing=object())
    with pytest.raises(TypeError, match="prefix"):
        restore.model_name("")


def test_model_name_changes_with_the_data_and_the_package_source(monkeypatch):
    data = np.zeros((2, 8, 8), np.float32)
    a = restore.model_name("care", data=(data,), epochs=10)
    assert a == restore.model_name("care", data=(data.copy(),), epochs=10)
    changed = data.copy()
    changed[0, 0, 0] = 1e-6  # a change to the simulation changes the training data
    assert a != restore.model_name("care", data=(changed,), epochs=10)
    assert a != restore.model_name("care", data=(data.astype(np.float64),), epochs=10)
    assert a != restore.model_name("care", epochs=10)
    monkeypatch.setattr(profile, "source_hash", lambda: "0" * 64)  # another decondl version
    assert a != restore.model_name("care", data=(data,), epochs=10)


def test_care_config_from_profiles():
    for name in ("quick", "full"):
        run = profile.get(name)
        config = restore.care_config(run)
        assert config.train_epochs == run["care_epochs"]
        assert config.train_steps_per_epoch == run["care_steps_per_epoch"]
        assert config.train_batch_size == run["care_batch_size"]
        assert config.unet_n_depth == run["care_unet_depth"]
        assert config.unet_n_first == run["care_unet_n_first"]
        assert config.train_tensorboard is False and config.axes == "YXC"
    assert profile.get("full")["care_epochs"] > profile.get("quick")["care_epochs"]
    assert restore.care_config(profile.get("quick"), train_epochs=3).train_epochs == 3
    with pytest.raises(ValueError, match="invalid CARE configuration"):
        restore.care_config(profile.get("quick"), unet_kern_size=-1)


@pytest.mark.dl
def test_care_network_is_the_care_network_with_known_shapes():
    from csbdeep.models import CARE

    config = restore.care_config(profile.get("quick"), unet_n_depth=2, unet_n_first=8)
    net = restore.care_network(config, (32, 48))
    care = CARE(config, None, basedir=None).keras_model
    assert net.count_params() == care.count_params()
    assert [type(a).__name__ for a in net.layers] == [type(b).__name__ for b in care.layers]
    assert tuple(net.input.shape) == (None, 32, 48, 1)
    assert tuple(net.output.shape) == (None, 32, 48, 1)
    with pytest.raises(ValueError, match="multiple of 4"):
        restore.care_network(config, (30, 48))
    with pytest.raises(ValueError, match="2 entries"):
        restore.care_network(config, (32, 32, 32))
    with pytest.raises(TypeError, match="patch_shape entries must be an int"):
        restore.care_network(config, (32.0, 32))


@pytest.mark.dl
def test_training_memory_known_answers():
    config = restore.care_config(profile.get("quick"), unet_n_depth=1, unet_n_first=4)
    net = restore.care_network(config, (8, 8))
    memory = restore.training_memory(net, 3)
    # depth 1, 4 filters: two 3x3 convolutions of 4 channels on 8 x 8, pooling to 4 x 4, one
    # convolution of 8 and one of 4 channels there, upsampling (4), concatenation (8), two
    # convolutions of 4, then the 1x1 output convolution, the residual addition and the
    # linear activation (1 channel each).
    per_patch = 64 * (4 + 4 + 4 + 8 + 4 + 4 + 1 + 1 + 1) + 16 * (4 + 8 + 4)
    assert memory["values_per_sample"] == per_patch
    assert memory["activations"] == 3 * per_patch * 4
    params = (9 * 1 * 4 + 4) + (9 * 4 * 4 + 4) + (9 * 4 * 8 + 8) + (9 * 8 * 4 + 4)
    params += (9 * 8 * 4 + 4) + (9 * 4 * 4 + 4) + (1 * 4 * 1 + 1)
    assert memory["parameters"] == params == net.count_params()
    assert memory["weights"] == memory["gradients"] == 4 * params
    assert memory["optimizer"] == 8 * params
    assert memory["total"] == memory["activations"] + 16 * params
    half = restore.training_memory(net, 3, bytes_per_value=2)
    assert half["activations"] * 2 == memory["activations"]
    # activations grow with the batch and the pixels, the weights do not
    bigger = restore.training_memory(restore.care_network(config, (16, 16)), 6)
    assert bigger["activations"] == 8 * memory["activations"]
    assert bigger["parameters"] == params


@pytest.mark.dl
def test_training_memory_errors():
    from csbdeep.models import CARE

    config = restore.care_config(profile.get("quick"), unet_n_depth=1, unet_n_first=4)
    net = restore.care_network(config, (8, 8))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        restore.training_memory(net, 0)
    with pytest.raises(TypeError, match="bytes_per_value"):
        restore.training_memory(net, 1, bytes_per_value=4.0)
    with pytest.raises(ValueError, match="unknown output size"):
        restore.training_memory(CARE(config, None, basedir=None).keras_model, 1)


TINY = {
    "care_epochs": 2,
    "care_steps_per_epoch": 3,
    "care_batch_size": 4,
    "care_unet_depth": 1,
    "care_unet_n_first": 4,
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A CARE model trained for 6 steps on tiny patches, in a temporary model folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv(profile.MODEL_DIR_VAR, str(tmp_path_factory.mktemp("models")))
    run = profile.Profile("quick", "tiny test profile", TINY)
    raw, truths = restore.simulate_pairs(spheres((32, 32)), 6, 0)
    X, Y, _ = restore.make_patches(raw[:4], truths[:4], (16, 16), 4, rng=0)
    Xv, Yv, _ = restore.make_patches(raw[4:], truths[4:], (16, 16), 2, rng=1)
    config = restore.care_config(run)
    name = restore.model_name("tiny", **TINY)
    model, history = restore.train_care(X, Y, (Xv, Yv), config, name=name, seed=0, run=run)
    yield {
        "run": run,
        "raw": raw,
        "truths": truths,
        "data": (X, Y, Xv, Yv),
        "config": config,
        "name": name,
        "model": model,
        "history": history,
    }
    mp.undo()


def test_train_care_history_and_folder(tiny):
    history = tiny["history"]
    assert history["reloaded"] is False
    assert len(history["loss"]) == len(history["val_loss"]) == TINY["care_epochs"]
    assert all(np.isfinite(history["loss"]))
    folder = profile.model_dir(tiny["name"], tiny["run"])
    assert folder.parent.name == "quick"
    assert (folder / "weights_best.h5").exists()
    saved = json.loads((folder / "history.json").read_text())
    assert saved["loss"] == history["loss"]


def test_train_care_reloads_instead_of_retraining(tiny):
    X, Y, Xv, Yv = tiny["data"]
    model, history = restore.train_care(
        X, Y, (Xv, Yv), tiny["config"], name=tiny["name"], seed=0, run=tiny["run"]
    )
    assert history["reloaded"] is True
    assert history["loss"] == tiny["history"]["loss"]
    np.testing.assert_array_equal(
        restore.predict_care(model, tiny["raw"][4]),
        restore.predict_care(tiny["model"], tiny["raw"][4]),
    )


def test_train_care_progress_line(tiny, capsys):
    X, Y, Xv, Yv = tiny["data"]
    restore.train_care(
        X,
        Y,
        (Xv, Yv),
        tiny["config"],
        name=tiny["name"] + "-p",
        seed=0,
        run=tiny["run"],
        progress_every=1,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == TINY["care_epochs"]
    assert lines[-1].startswith(f"epoch   {TINY['care_epochs']}/{TINY['care_epochs']}  loss ")


def test_train_care_errors(tiny):
    X, Y, Xv, Yv = tiny["data"]
    with pytest.raises(ValueError, match=r"X must have shape \(n, py, px, 1\)"):
        restore.train_care(X[..., 0], Y, (Xv, Yv), tiny["config"], name="x", seed=0)
    with pytest.raises(ValueError, match="same shape"):
        restore.train_care(X, Y[:2], (Xv, Yv), tiny["config"], name="x", seed=0)


def test_predict_care_units_shapes_and_errors(tiny):
    model, raw = tiny["model"], tiny["raw"]
    one = restore.predict_care(model, raw[4])
    assert one.shape == (32, 32) and one.dtype == np.float32
    stack = restore.predict_care(model, raw[4:])
    assert stack.shape == (2, 32, 32)
    np.testing.assert_allclose(stack[0], one, atol=1e-6)
    # The output is the network applied to the normalised input, not rescaled afterwards.
    x = restore.normalize_input(raw[4])[None, ..., None]
    direct = model.keras_model.predict(x, verbose=0)[0, ..., 0]
    np.testing.assert_allclose(one, direct, atol=1e-5)
    # Any image size (CSBDeep pads and crops).
    assert restore.predict_care(model, raw[4, :30, :27]).shape == (30, 27)
    with pytest.raises(ValueError, match="images must be"):
        restore.predict_care(model, raw[None])


# --------------------------------------------------------------------------- baselines


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tune_wiener_known_answers(ndim, dtype):
    rng = np.random.default_rng(0)
    shape = (3,) + (16,) * ndim
    truths = (rng.random(shape) > 0.7).astype(dtype)
    noisy = (truths + 0.01 * rng.standard_normal(shape)).astype(dtype)
    # Identity PSF: the filter only scales by 1 / (1 + balance), so balance 0 is best.
    best, scores = restore.tune_wiener(noisy, truths, identity_psf(ndim), [0.5, 0.0, 0.1])
    assert best == 0.0
    assert list(scores) == [0.5, 0.0, 0.1]
    expected = np.mean([metrics.psnr(t, n / 1.5) for t, n in zip(truths, noisy, strict=True)])
    assert scores[0.5] == pytest.approx(expected, rel=1e-5)
    assert scores[0.0] > scores[0.1] > scores[0.5]


def test_tune_wiener_picks_an_interior_balance_on_blurred_noisy_data():
    scope = Microscope()
    raw, truths = restore.simulate_pairs(spheres((64, 64)), 3, 0, scope=scope)
    images = scope.to_truth_units(raw)
    balances = [1e-6, 1e-2, 10.0]
    best, scores = restore.tune_wiener(images, truths, scope.psf(), balances)
    assert best == 1e-2
    assert scores[1e-2] > max(scores[1e-6], scores[10.0])
    with pytest.raises(ValueError, match="at least one"):
        restore.tune_wiener(images, truths, scope.psf(), [])
    with pytest.raises(ValueError, match="same shape"):
        restore.tune_wiener(images[:2], truths, scope.psf(), balances)


@pytest.mark.parametrize("ndim", [2, 3])
def test_tune_rl_matches_direct_runs(ndim):
    rng = np.random.default_rng(1)
    shape = (2,) + (12,) * ndim
    truths = rng.random(shape)
    psf = np.ones((3,) * ndim)
    raw = 50.0 * np.stack([forward.blur(t, psf / psf.sum()) for t in truths]) + 3.0
    raw = rng.poisson(raw).astype(float)
    best, scores = restore.tune_rl(raw, truths, psf, 4, background=3.0, scale=50.0)
    assert scores.shape == (4,)
    for k in range(1, 5):
        direct = [
            metrics.psnr(t, deconvolve.richardson_lucy(r, psf, k, background=3.0) / 50.0)
            for r, t in zip(raw, truths, strict=True)
        ]
        assert scores[k - 1] == pytest.approx(np.mean(direct), rel=1e-9)
    assert best == int(np.argmax(scores)) + 1


def test_tune_rl_identity_psf_recovers_the_data_after_one_iteration():
    truths = np.zeros((2, 16, 16))
    truths[:, 4:12, 4:12] = 1.0
    images = 10.0 * truths + 0.5
    # Identity PSF, no background: RL's first update x0 * y / x0 is the data itself.
    best, scores = restore.tune_rl(images, truths + 0.05, identity_psf(2), 3, scale=10)
    assert np.all(scores > 100)  # exact up to rounding
    # Every iteration returns the data (a fixed point): the scores differ by rounding only,
    # so which one is best is arbitrary; it must still be the argmax of the scores returned.
    assert best == int(np.argmax(scores)) + 1
    with pytest.raises(ValueError, match="scale"):
        restore.tune_rl(images, truths, identity_psf(2), 3, scale=0)
    with pytest.raises(ValueError, match="max_iter"):
        restore.tune_rl(images, truths, identity_psf(2), 0)
    with pytest.raises(ValueError, match="negative"):
        restore.tune_rl(images - 3, truths, identity_psf(2), 2, clip_negative=False)


def test_restore_all_matches_the_methods_and_units(tiny):
    scope = Microscope()
    raw = tiny["raw"][:2]
    results = restore.restore_all(raw, balance=0.02, num_iter=4, model=tiny["model"])
    assert list(results) == ["raw", "Wiener", "Richardson-Lucy", "CARE"]
    assert all(v.shape == raw.shape and v.dtype == np.float32 for v in results.values())
    np.testing.assert_allclose(results["raw"][0], scope.to_truth_units(raw[0]), rtol=1e-6)
    np.testing.assert_allclose(
        results["Wiener"][0], deconvolve.wiener(results["raw"][0], scope.psf(), 0.02), rtol=1e-5
    )
    rl = deconvolve.richardson_lucy(
        raw[0], scope.psf(), 4, background=scope.background, clip_negative=True
    )
    np.testing.assert_allclose(results["Richardson-Lucy"][0], rl / scope.photons, rtol=1e-5)
    np.testing.assert_array_equal(results["CARE"], restore.predict_care(tiny["model"], raw))
    assert "CARE" not in restore.restore_all(raw, balance=0.02, num_iter=0)
    with pytest.raises(ValueError, match="stack of 2D"):
        restore.restore_all(raw[0], balance=0.02, num_iter=1)


def test_mean_scores_known_answers():
    truths = np.zeros((2, 16, 16))
    truths[:, 4:12, 4:12] = 1.0
    scores = restore.mean_scores(truths, {"same": truths, "offset": truths + 0.1})
    assert scores["same"]["ssim"] == pytest.approx(1.0)
    assert scores["same"]["psnr"] == np.inf
    assert scores["offset"]["psnr"] == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert isinstance(scores["offset"]["ssim"], float)
    assert scores["same"]["flux"] == 1.0
    assert scores["offset"]["flux"] == pytest.approx((64 + 0.1 * 256) / 64)
    with pytest.raises(ValueError, match="results\\['bad'\\]"):
        restore.mean_scores(truths, {"bad": truths[:1]})


def test_best_time():
    # A lower bound only: tests assert no wall-clock limits (benchmarks/ measure speed).
    assert restore.best_time(lambda: time.sleep(0.01), repeats=2) >= 0.01
    with pytest.raises(TypeError, match="callable"):
        restore.best_time(3)
    with pytest.raises(ValueError, match="repeats"):
        restore.best_time(lambda: None, repeats=0)


def test_race_warms_up_first_and_times_each_contender_its_number_of_times():
    calls = []
    seconds = restore.race(
        {
            "slow": lambda: (calls.append("slow"), time.sleep(0.01)),
            "fast": lambda: calls.append("fast"),
        },
        repeats={"slow": 1},
        warm_up=[lambda: calls.append("warm")],
    )
    assert calls == ["warm", "slow", "fast", "fast", "fast"]
    assert list(seconds) == ["slow", "fast"]
    assert seconds["slow"] >= 0.01 and all(isinstance(s, float) for s in seconds.values())
    assert list(restore.race({"a": lambda: None}, repeats=2)) == ["a"]


@pytest.mark.parametrize(
    "kwargs, exception, match",
    [
        ({"contenders": {}}, ValueError, "non-empty dict"),
        ({"contenders": [lambda: None]}, TypeError, "must be a dict of name to function, got list"),
        ({"contenders": {"a": 3}}, TypeError, "contenders\\['a'\\] must be callable"),
        ({"repeats": 0}, ValueError, "repeats"),
        ({"repeats": {"a": 1.5}}, TypeError, "repeats"),
        ({"repeats": {"b": 1}}, ValueError, "unknown contenders \\['b'\\]"),
        ({"warm_up": [None]}, TypeError, "warm_up entries must be callable"),
        ({"warm_up": [lambda: 1 / 0, None]}, TypeError, "warm_up entries must be callable"),
    ],
)
def test_race_rejects_bad_arguments(kwargs, exception, match):
    arguments = {"contenders": {"a": lambda: None}} | kwargs
    contenders = arguments.pop("contenders")
    with pytest.raises(exception, match=match):
        restore.race(contenders, **arguments)


# --------------------------------------------------------------------------- plotting, widget


def test_crop_box_moves_inside():
    assert plotting.crop_box((100, 80), (50, 40), 20) == (slice(40, 60), slice(30, 50))
    assert plotting.crop_box((100, 80), (2, 79), 20) == (slice(0, 20), slice(60, 80))
    assert plotting.crop_box((10, 10), (5, 5), 10) == (slice(0, 10), slice(0, 10))
    with pytest.raises(ValueError, match="size must be between"):
        plotting.crop_box((10, 10), (5, 5), 11)
    with pytest.raises(ValueError, match="pairs"):
        plotting.crop_box((10, 10, 10), (5, 5), 4)
    with pytest.raises(TypeError, match="size"):
        plotting.crop_box((10, 10), (5, 5), 4.0)


def test_plot_method_crops_panels_titles_and_box():
    rng = np.random.default_rng(0)
    truth = rng.random((40, 40))
    images = {"raw": truth + 0.1, "CARE": truth}
    fig = widgets.restoration_figure(images, centre=(30, 10), size=16, truth=truth)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 4
    assert shown[1].get_title() == "raw\n20.0 dB"
    assert shown[2].get_title() == "CARE\ninf dB"
    np.testing.assert_array_equal(shown[3].images[0].get_array(), truth[22:38, 2:18])
    box = [p for p in shown[0].patches if isinstance(p, Rectangle)][0]
    assert box.get_xy() == (1.5, 21.5) and box.get_width() == 16
    assert len(plotting.plot_method_crops(images, centre=(0, 0), size=8).axes) == 3
    with pytest.raises(ValueError, match="one shape"):
        plotting.plot_method_crops({"a": truth, "b": truth[:20]}, centre=(0, 0), size=8)
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_method_crops({}, centre=(0, 0), size=8)


def test_restoration_explorer_controls_and_redraw():
    truths = np.random.default_rng(0).random((3, 32, 32))
    results = {"raw": truths + 0.05, "CARE": truths}
    box = widgets.restoration_explorer(results, truths, index=1, size=16)
    assert set(box.controls) == {"index", "y", "x", "size"}
    assert box.controls["index"].max == 2 and box.controls["y"].value == 16
    box.controls["index"].value = 2
    box.controls["size"].value = 32
    with pytest.raises(ValueError, match="truths' shape"):
        widgets.restoration_explorer({"raw": truths[:2]}, truths)
