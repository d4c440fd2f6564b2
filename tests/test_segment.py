"""decondl.segment (classical pipeline, StarDist wrappers) and instance matching in metrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from decondl import metrics, nets, plotting, psf, segment, synthetic, widgets
from decondl.forward import Microscope
from decondl.profile import PROFILES
from decondl.segment._stardist import _PROFILE_KEYS


def discs(shape, centres, radius):
    """Label image of discs (2D) or balls (3D) of one radius, numbered in order."""
    grid = np.indices(shape)
    labels = np.zeros(shape, dtype=np.int32)
    for index, centre in enumerate(centres, start=1):
        r2 = sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True))
        labels[(r2 <= radius**2) & (labels == 0)] = index
    return labels


# --------------------------------------------------------------------------- split_touching


@pytest.mark.parametrize("ndim", [2, 3])
def test_split_touching_separates_two_touching_discs(ndim):
    shape = (40, 60) if ndim == 2 else (30, 30, 44)
    centre = [s // 2 for s in shape]
    a, b = list(centre), list(centre)
    a[-1] -= 8
    b[-1] += 8  # distance 16 < 2 * radius: the two overlap into a figure of eight
    mask = discs(shape, [a, b], 10) > 0
    labels = segment.split_touching(mask, min_distance_px=4)
    assert labels.dtype == np.int32 and labels.shape == shape
    assert labels.max() == 2
    np.testing.assert_array_equal(labels > 0, mask)
    assert labels[tuple(a)] != labels[tuple(b)]
    # the cut runs through the neck: the two halves have (nearly) equal size
    sizes = np.bincount(labels.ravel())[1:]
    assert abs(sizes[0] - sizes[1]) <= 0.05 * sizes.sum()


def test_split_touching_single_object_empty_mask_and_errors():
    mask = discs((32, 32), [(16, 16)], 8) > 0
    assert segment.split_touching(mask).max() == 1
    assert segment.split_touching(np.zeros((8, 8), bool)).max() == 0
    assert segment.split_touching(mask.astype(np.uint8)).max() == 1
    with pytest.raises(ValueError, match="mask must be 2D or 3D"):
        segment.split_touching(np.ones(5, bool))
    with pytest.raises(TypeError, match="boolean"):
        segment.split_touching(np.full((4, 4), 0.5))
    with pytest.raises(ValueError, match="min_distance_px"):
        segment.split_touching(mask, min_distance_px=0)
    with pytest.raises(TypeError, match="min_distance_px"):
        segment.split_touching(mask, min_distance_px=2.5)


# --------------------------------------------------------------------------- classical_segment


@pytest.mark.parametrize("deconvolution", ["none", "wiener", "rl"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classical_segment_finds_known_nuclei_2d(deconvolution, dtype):
    rng = np.random.default_rng(3)
    truth, truth_labels = synthetic.nuclei(
        (128, 128), 10, rng, touching=False, intensity_range=(0.8, 1.0)
    )  # similar brightness: one global threshold suits all
    scope = Microscope()
    raw = scope.acquire(truth, rng=rng).astype(dtype)
    labels = segment.classical_segment(
        raw,
        psf=scope.psf(),
        deconvolution=deconvolution,
        background=scope.background,
        num_iter=10,
    )
    assert labels.shape == raw.shape and labels.dtype == np.int32
    assert labels.max() == truth_labels.max() == 10  # every nucleus found, none split
    np.testing.assert_array_equal(np.unique(labels), np.arange(11))  # relabelled, no gaps
    assert metrics.average_precision(truth_labels, labels)[0.5] == 1.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_classical_segment_3d_and_deconvolution_in_3d(dtype):
    rng = np.random.default_rng(4)
    truth, truth_labels = synthetic.spheres((24, 48, 48), 5, (4, 6), rng)
    kernel = psf.gaussian_psf((9, 9, 9), 1.0)
    expected = 100 * np.clip(truth, 0, None)
    image = (expected + rng.normal(0, 2, truth.shape)).astype(dtype)
    for mode in ("none", "wiener"):
        labels = segment.classical_segment(image, psf=kernel, deconvolution=mode, balance=0.01)
        assert labels.shape == image.shape
        assert labels.max() == truth_labels.max()
        # a 3D array would be read as a stack of 2D label images: pass volumes in a list
        assert metrics.average_precision([truth_labels], [labels])[0.5] == 1.0


def test_classical_segment_small_objects_removed_and_fixed_threshold():
    image = np.zeros((64, 64))
    image[10:30, 10:30] = 1.0  # 400 pixels
    image[50:53, 50:53] = 1.0  # 9 pixels
    assert segment.classical_segment(image, smooth_sigma_px=0, min_size_px=0).max() == 2
    labels = segment.classical_segment(image, smooth_sigma_px=0, min_size_px=10)
    assert labels.max() == 1 and labels[20, 20] == 1 and labels[51, 51] == 0
    assert segment.classical_segment(image, smooth_sigma_px=0, threshold=2.0).max() == 0
    assert segment.classical_segment(np.ones((16, 16))).max() == 0  # constant: nothing


def test_classical_segment_min_size_matches_skimage_and_keeps_the_boundary_size():
    from skimage.morphology import remove_small_objects
    from skimage.segmentation import relabel_sequential

    image = np.zeros((40, 40))
    image[5:8, 5:8] = 1.0  # 9 pixels
    image[20:30, 20:30] = 1.0  # 100 pixels
    for min_size_px, expected in [(9, 2), (10, 1), (100, 1), (101, 0)]:
        labels = segment.classical_segment(image, smooth_sigma_px=0, min_size_px=min_size_px)
        assert labels.max() == expected, min_size_px
    raw = segment.classical_segment(image, smooth_sigma_px=0, min_size_px=0)
    with warnings.catch_warnings():  # its keyword changed in 0.26 (min_size -> max_size)
        warnings.simplefilter("ignore")
        reference, _, _ = relabel_sequential(remove_small_objects(raw, 10))
    cleaned = segment.classical_segment(image, smooth_sigma_px=0, min_size_px=10)
    np.testing.assert_array_equal(cleaned, reference)


def test_classical_segment_errors():
    image = np.zeros((16, 16))
    with pytest.raises(ValueError, match="needs a psf"):
        segment.classical_segment(image, deconvolution="wiener")
    with pytest.raises(ValueError, match="deconvolution must be one of"):
        segment.classical_segment(image, deconvolution="magic")
    with pytest.raises(ValueError, match="threshold must be one of"):
        segment.classical_segment(image, threshold="mean")
    with pytest.raises(ValueError, match="image must be 2D or 3D"):
        segment.classical_segment(np.zeros(16))
    with pytest.raises(ValueError, match="finite"):
        segment.classical_segment(np.full((8, 8), np.nan))
    with pytest.raises(TypeError, match="image must be a real numeric array"):
        segment.classical_segment(np.full((8, 8), "a"))
    with pytest.raises(ValueError, match="background"):
        segment.classical_segment(image, background=-1)


# --------------------------------------------------------------------------- data


def test_normalize_known_answer_and_errors():
    x = np.arange(101.0)
    np.testing.assert_allclose(segment.normalize(x, 0, 100), x / 100)
    np.testing.assert_allclose(segment.normalize(x, 10, 90)[[10, 90]], [0, 1], atol=1e-6)
    assert segment.normalize(x).dtype == np.float32
    np.testing.assert_array_equal(segment.normalize(np.full((4, 4), 3.0)), 0)
    with pytest.raises(ValueError, match="percentiles must satisfy low < high"):
        segment.normalize(x, 50, 40)


def test_simulate_dataset_shapes_and_reproducible():
    raw, labels, truth = segment.simulate_dataset(3, 7, shape=(64, 48), n_nuclei=6)
    assert raw.shape == labels.shape == truth.shape == (3, 64, 48)
    assert raw.dtype == np.float32 and labels.dtype == np.int32
    np.testing.assert_array_equal(labels > 0, truth > 0)
    again = segment.simulate_dataset(3, np.random.default_rng(7), shape=(64, 48), n_nuclei=6)
    for a, b in zip((raw, labels, truth), again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert raw.mean() > Microscope().background  # photons on top of the background
    with pytest.raises(ValueError, match="n must be >= 1"):
        segment.simulate_dataset(0, 0)
    with pytest.raises(TypeError, match="rng"):
        segment.simulate_dataset(1, "seed")


# --------------------------------------------------------------------------- StarDist geometry


def test_star_rays_of_a_disc_are_its_radius():
    labels = discs((64, 64), [(32, 30)], 10)
    rays = segment.star_rays(labels, 8)
    assert rays.shape == (64, 64, 8) and rays.dtype == np.float32
    np.testing.assert_allclose(rays[32, 30], 10.5, atol=0.25)  # to the outer pixel edge
    assert np.all(rays[labels == 0] == 0)
    with pytest.raises(TypeError, match="integer label image"):
        segment.star_rays(labels.astype(float))
    with pytest.raises(ValueError, match="n_rays must be >= 3"):
        segment.star_rays(labels, 2)


def test_star_convex_fit_known_shapes():
    yy, xx = np.mgrid[:64, :64]

    def disc(cy, cx, r):
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2

    iou, polygon, centre = segment.star_convex_fit(disc(32, 32, 15), 32)
    assert iou > 0.97 and polygon.dtype == bool and polygon.shape == (64, 64)
    assert disc(32, 32, 15)[centre]  # the centre is inside the object
    assert ((polygon & disc(32, 32, 15)).sum() / (polygon | disc(32, 32, 15)).sum()) == iou
    # a square is star-convex too (from its middle every ray leaves it once)
    square = np.zeros((40, 40), bool)
    square[10:30, 10:30] = True
    assert segment.star_convex_fit(square.astype(np.uint8), 32)[0] > 0.95
    # a crescent and a ring are not: no centre sees all of their boundary
    crescent = segment.star_convex_fit(disc(32, 32, 18) & ~disc(32, 38, 16), 32)[0]
    ring = segment.star_convex_fit(disc(32, 32, 18) & ~disc(32, 32, 12), 32)[0]
    assert ring < 0.5 < crescent < 0.9
    # more rays help the star-convex disc, not the ring's hole
    assert segment.star_convex_fit(disc(32, 32, 15), 4)[0] < iou
    assert segment.star_convex_fit(disc(32, 32, 18) & ~disc(32, 32, 12), 64)[0] < 0.5


def test_star_convex_fit_errors():
    with pytest.raises(ValueError, match="at least one True"):
        segment.star_convex_fit(np.zeros((8, 8), bool))
    with pytest.raises(ValueError, match="2D"):
        segment.star_convex_fit(np.ones((4, 8, 8), bool))
    with pytest.raises(TypeError, match="boolean"):
        segment.star_convex_fit(np.full((8, 8), 0.5))
    with pytest.raises(ValueError, match="n_rays"):
        segment.star_convex_fit(np.ones((8, 8), bool), 2)


@pytest.mark.parametrize("grid", [(1, 1), (2, 2)])
def test_labels_from_outputs_reconstructs_discs(grid):
    truth = discs((64, 64), [(20, 20), (40, 44)], 9)
    rays = segment.star_rays(truth, 32)
    prob = np.zeros((64, 64), np.float32)
    prob[20, 20], prob[40, 44] = 0.9, 0.8
    prob[21, 20] = 0.7  # a weaker duplicate of the first disc, to be suppressed
    step = (slice(None, None, grid[0]), slice(None, None, grid[1]))
    labels = segment.labels_from_outputs(prob[step], rays[step], (64, 64), grid=grid)
    assert labels.shape == (64, 64) and labels.max() == 2
    assert metrics.average_precision(truth, labels, thresholds=[0.8])[0.8] == 1.0
    # with a high probability threshold only the most probable object is left
    high = segment.labels_from_outputs(
        prob[step], rays[step], (64, 64), grid=grid, prob_thresh=0.85
    )
    assert high.max() == 1 and high[20, 20] == 1


def test_labels_from_outputs_errors():
    prob, dist = np.zeros((8, 8)), np.zeros((8, 8, 4))
    with pytest.raises(ValueError, match="prob must be"):
        segment.labels_from_outputs(prob, dist[:4], (8, 8))
    with pytest.raises(ValueError, match="prob_thresh"):
        segment.labels_from_outputs(prob, dist, (8, 8), prob_thresh=1.5)
    with pytest.raises(ValueError, match="prob_thresh"):
        segment.labels_from_outputs(prob, dist, (8, 8), prob_thresh=0)
    with pytest.raises(ValueError, match="shape must have 2 entries"):
        segment.labels_from_outputs(prob, dist, (8, 8, 8))


# --------------------------------------------------------------------------- metrics


def test_average_precision_known_answers():
    truth = discs((40, 40), [(10, 10), (30, 30), (10, 30)], 5)
    assert metrics.average_precision(truth, truth) == {t: 1.0 for t in metrics.IOU_THRESHOLDS}
    # one object missed: TP = 2, FN = 1 -> 2 / 3 at every threshold
    missed = np.where(truth == 3, 0, truth)
    assert metrics.average_precision(truth, missed)[0.9] == pytest.approx(2 / 3)
    # a false positive as well: TP = 2, FP = 1, FN = 1 -> 2 / 4
    extra = missed.copy()
    extra[35:39, 2:6] = 7
    result = metrics.instance_matching(truth, extra, thresholds=[0.5])
    assert result["ap"][0] == pytest.approx(0.5)
    assert result["f1"][0] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert (result["n_true"], result["n_pred"]) == (3, 3)
    # a shifted object: IoU of two discs of radius 5 shifted by 3 pixels is below 0.6
    shifted = discs((40, 40), [(10, 10), (30, 30), (10, 33)], 5)
    ap = metrics.average_precision(truth, shifted, thresholds=[0.3, 0.7])
    assert ap == {0.3: 1.0, 0.7: pytest.approx(2 / 4)}


def test_average_precision_pools_a_list_and_label_values_do_not_matter():
    truth = discs((32, 32), [(8, 8), (24, 24)], 5)
    truths = [truth, truth]
    preds = [truth * 3, np.where(truth == 2, 0, truth)]  # 2 + 1 of 4 found
    assert metrics.average_precision(truths, preds, thresholds=[0.5]) == {0.5: pytest.approx(3 / 4)}
    assert metrics.average_precision(tuple(truths), tuple(preds), thresholds=[0.5])[0.5] == (
        pytest.approx(3 / 4)
    )


def test_a_3d_array_is_one_volume_not_a_stack_of_slices():
    zz, yy, xx = np.mgrid[:16, :16, :16]
    ball = ((zz - 8) ** 2 + (yy - 8) ** 2 + (xx - 8) ** 2 <= 36).astype(np.int32)
    split = np.where(zz < 8, ball, 2 * ball)  # the same ball cut in two along z
    # Each half overlaps the ball with IoU about 1/2: in 3D neither half is a match at 0.6.
    assert metrics.average_precision(ball, split, thresholds=[0.6]) == {0.6: 0.0}
    assert metrics.instance_matching(ball, split, thresholds=[0.6])["n_pred"] == 2
    # Read slice by slice (a list of 2D images), every slice matches perfectly.
    per_slice = metrics.average_precision(list(ball), list(split), thresholds=[0.6])
    assert per_slice == {0.6: 1.0}
    with pytest.raises(ValueError, match="1 true and 16 predicted"):
        metrics.average_precision(ball, list(split))


def test_average_precision_errors():
    truth = discs((16, 16), [(8, 8)], 4)
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.average_precision(truth, truth[:8])
    with pytest.raises(TypeError, match="integer label"):
        metrics.average_precision(truth, truth.astype(float))
    with pytest.raises(ValueError, match="thresholds"):
        metrics.average_precision(truth, truth, thresholds=[0.0])
    with pytest.raises(ValueError, match=">= 0"):
        metrics.average_precision(truth, -truth)
    with pytest.raises(ValueError, match="got 2 true and 1"):
        metrics.average_precision([truth, truth], [truth])


# --------------------------------------------------------------------------- StarDist network


def test_profiles_define_stardist_keys():
    for run in PROFILES.values():
        for key in _PROFILE_KEYS.values():
            assert run[key] >= 1
        for key in ("stardist_train_images", "stardist_val_images", "stardist_test_images"):
            assert run[key] >= 1


def test_tiny_stardist_trains_predicts_and_is_cached(tmp_path):
    raw, labels, _ = segment.simulate_dataset(6, 0, shape=(64, 64), n_nuclei=6)
    X = [segment.normalize(r) for r in raw]
    tiny = dict(
        n_rays=8,
        train_patch_size=(32, 32),
        train_batch_size=2,
        unet_n_depth=1,
        unet_n_filter_base=4,
        train_epochs=1,
        train_steps_per_epoch=2,
    )
    config = segment.stardist_config(PROFILES["quick"], **tiny)
    assert config.n_rays == 8 and tuple(config.grid) == (2, 2)
    full = segment.stardist_config(PROFILES["full"])
    assert full.train_epochs == PROFILES["full"]["stardist_epochs"]
    assert tuple(full.train_patch_size) == (PROFILES["full"]["stardist_patch_px"],) * 2
    model, history = segment.train_stardist(
        X[:4],
        labels[:4],
        (X[4:], labels[4:]),
        config=config,
        seed=1,
        basedir=tmp_path,
        nms_threshs=[0.4],
    )
    assert history["cached"] is False and len(history["val_loss"]) == 1
    assert 0 < model.thresholds.prob < 1 and model.thresholds.nms == 0.4
    predicted = segment.predict_stardist(model, np.stack(X[4:]))
    assert predicted.shape == (2, 64, 64) and predicted.dtype == np.int32
    prob, dist = segment.stardist_outputs(model, X[4])
    assert prob.shape == (32, 32) and dist.shape == (32, 32, 8)
    np.testing.assert_array_equal(
        segment.predict_stardist(model, X[4]),
        segment.labels_from_outputs(
            prob,
            dist,
            (64, 64),
            grid=(2, 2),
            prob_thresh=model.thresholds.prob,
            nms_thresh=model.thresholds.nms,
        ),
    )
    again, history2 = segment.train_stardist(
        X[:4], labels[:4], (X[4:], labels[4:]), config=config, seed=1, basedir=tmp_path
    )
    assert history2["cached"] is True and history2["folder"] == history["folder"]
    assert history2["loss"] == history["loss"]
    np.testing.assert_array_equal(segment.predict_stardist(again, X[4]), predicted[0])
    # same seed, fresh folder: the same training, loss for loss (deterministic TF ops)
    _, history3 = segment.train_stardist(
        X[:4],
        labels[:4],
        (X[4:], labels[4:]),
        config=config,
        seed=1,
        basedir=tmp_path / "again",
        nms_threshs=[0.4],
    )
    assert history3["cached"] is False and history3["loss"] == history["loss"]
    grad = segment.stardist_receptive_field(model, (64, 64), n_samples=1)
    extent = nets.receptive_field_extent(grad)[0]
    assert 10 < extent < 64
    with pytest.raises(ValueError, match="same shape|equal shape"):
        segment.train_stardist(X[:2], labels[:2, :32], (X[4:], labels[4:]), config=config)
    with pytest.raises(TypeError, match="validation_data"):
        segment.train_stardist(X[:2], labels[:2], X[4:], config=config)


# --------------------------------------------------------------------------- figures and widget


def test_chapter6_figures_and_widget():
    truth = discs((48, 48), [(14, 14), (34, 32)], 7)
    image = truth.astype(float)
    fig = plotting.plot_label_overlays(image, {"truth": truth, "none": np.zeros_like(truth)})
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["truth: 2", "none: 0"]
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_label_overlays(image, {"bad": truth[:10]})
    assert isinstance(plotting.plot_ap_curves({"a": {0.5: 1.0, 0.9: 0.2}}), Figure)
    rays = segment.star_rays(truth, 16)
    prob = (truth > 0).astype(float)
    assert isinstance(plotting.plot_star_convex(image, prob, rays, (14, 14)), Figure)
    box = widgets.stardist_threshold_explorer(
        image, prob * 0.9, rays, truth, prob_thresh=0.5, nms_thresh=0.3
    )
    assert set(box.controls) == {"prob_thresh", "nms_thresh"}
    box.controls["prob_thresh"].value = 0.95  # nothing passes: must not fail
