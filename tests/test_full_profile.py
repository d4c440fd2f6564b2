"""The published (full) profile, one training step per network, on the CPU.

The site is built with the ``full`` profile on a GPU runner. These tests build every network of
chapters 2, 5 and 6 through the same public wrappers and with the same sizes as the chapters
(patch and image shapes, depths, filters, batch sizes, rays, grid; ``tests/chapter_sizes.py``
reads them from the chapters and the profile), train it for one step of one full batch and
predict once, so that a shape or configuration error shows here and not first on the GPU runner.
Only the training budget is cut (one epoch of one step) and the data are a handful of images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chapter_sizes
from decondl import nets, profile, restore, segment

pytestmark = pytest.mark.dl

ONE_STEP = {"train_epochs": 1, "train_steps_per_epoch": 1}


@pytest.fixture
def full(monkeypatch, tmp_path):
    """The full profile, active as on the GPU runner, with models kept under ``tmp_path``."""
    monkeypatch.setenv(profile.ENV_VAR, "full")
    monkeypatch.delenv(profile.SOURCE_VAR, raising=False)
    monkeypatch.setenv(profile.MODEL_DIR_VAR, str(tmp_path))
    run = profile.current()
    assert run.name == "full"
    return run


def same_but_budget(config, reference) -> None:
    """``config`` equals ``reference`` except for the number of epochs and steps."""
    mine, theirs = dict(vars(config)), dict(vars(reference))
    for key in ONE_STEP:
        mine.pop(key), theirs.pop(key)
    assert mine == theirs


def test_chapter_sizes_are_read_from_the_chapters(full):
    # A known answer for each reader, so that a chapter edit that breaks the patterns fails here.
    unet = chapter_sizes.unet_case(full)
    assert unet["unet"] == {"depth": 3, "n_filters": 16} and unet["patch"] == 64
    assert unet["shallow"] == {"n_layers": 4, "n_filters": 32} and unet["batch_size"] == 16
    assert unet["steps"] == full["unet_epochs"] * full["unet_steps_per_epoch"]
    care = chapter_sizes.care_case(full)
    assert care["shape"] == (128, 128) and care["patch"] == (64, 64)
    assert care["val_patches_per_image"] == 4 and care["batch_size"] == full["care_batch_size"]
    stardist = chapter_sizes.stardist_case(full)
    assert stardist["shape"] == (128, 128) and stardist["batch_size"] == 8
    with pytest.raises(LookupError, match="NO_SUCH"):
        chapter_sizes.constant(chapter_sizes.UNET_CHAPTER, "NO_SUCH")


def test_chapter2_networks_train_one_full_batch_and_predict(full):
    case = chapter_sizes.unet_case(full)
    X, Y = chapter_sizes.unet_data(case, case["batch_size"], rng=0)
    X_val, Y_val = chapter_sizes.unet_data(case, 2, rng=1)
    builders = {
        "shallow CNN": lambda: nets.shallow_cnn(**case["shallow"]),
        "U-Net": lambda: nets.unet(**case["unet"]),
    }
    for name, build in builders.items():
        nets.seed_everything(0)
        model = build()
        history = nets.train(
            model,
            X,
            Y,
            validation_data=(X_val, Y_val),
            epochs=1,
            steps_per_epoch=1,
            batch_size=case["batch_size"],
            rng=0,
        )
        assert len(history["loss"]) == len(history["val_loss"]) == 1, name
        assert np.isfinite(history["loss"] + history["val_loss"]).all(), name
        restored = nets.predict(model, X_val)
        assert restored.shape == X_val.shape and np.isfinite(restored).all(), name


def test_care_trains_one_full_batch_and_predicts(full, tmp_path):
    case = chapter_sizes.care_case(full)
    raw, truth = chapter_sizes.care_data(case, 2, rng=0)
    X, Y, _ = restore.make_patches(
        raw[:1], truth[:1], case["patch"], case["patches_per_image"], rng=0
    )
    X_val, Y_val, _ = restore.make_patches(
        raw[1:], truth[1:], case["patch"], case["val_patches_per_image"], rng=1
    )
    assert X.shape == (case["patches_per_image"], *case["patch"], 1)
    assert len(X) >= case["batch_size"]  # the one step sees a full batch
    config = restore.care_config(full, **ONE_STEP)
    same_but_budget(config, restore.care_config(full))
    assert config.unet_n_depth == full["care_unet_depth"]
    assert config.train_batch_size == case["batch_size"]
    name = restore.model_name("care-full", data=(X, Y, X_val, Y_val), config=vars(config))
    model, history = restore.train_care(X, Y, (X_val, Y_val), config, name=name, seed=0)
    assert history["reloaded"] is False
    assert len(history["loss"]) == len(history["val_loss"]) == 1
    assert np.isfinite(history["loss"] + history["val_loss"]).all()
    assert (tmp_path / "full" / name / "weights_best.h5").exists()
    restored = restore.predict_care(model, raw[1])
    assert restored.shape == case["shape"] and restored.dtype == np.float32
    assert np.isfinite(restored).all()


def test_stardist_trains_one_full_batch_and_predicts(full, tmp_path):
    case = chapter_sizes.stardist_case(full)
    X, Y = chapter_sizes.stardist_data(case, case["batch_size"] + 1, rng=0)
    config = segment.stardist_config(full, **ONE_STEP)
    same_but_budget(config, segment.stardist_config(full))
    assert tuple(config.train_patch_size) == (full["stardist_patch_px"],) * 2
    assert tuple(config.grid) == (full["stardist_grid"],) * 2
    assert config.n_rays == full["stardist_n_rays"]
    assert config.train_batch_size == case["batch_size"]
    model, history = segment.train_stardist(X[:-1], Y[:-1], (X[-1:], Y[-1:]), config=config, seed=0)
    assert history["cached"] is False and len(history["val_loss"]) == 1
    assert np.isfinite(history["loss"] + history["val_loss"]).all()
    assert Path(history["folder"]).parent == tmp_path / "full"
    assert 0 <= model.thresholds.prob <= 1
    prob, dist = segment.stardist_outputs(model, X[-1])
    grid = full["stardist_grid"]
    cells = tuple(s // grid for s in case["shape"])
    assert prob.shape == cells and dist.shape == (*cells, full["stardist_n_rays"])
    # a test image, and one whose sides are not multiples of the network's divisor (the
    # chapter's real image)
    for image in (X[-1], X[-1][:-3, :-5]):
        labels = segment.predict_stardist(model, image)
        assert labels.shape == image.shape and labels.dtype == np.int32
    grad = segment.stardist_receptive_field(model, (256, 256), n_samples=1)
    assert grad.shape == (256, 256) and grad.max() > 0
