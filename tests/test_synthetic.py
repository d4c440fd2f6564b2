"""Tests of decondl.synthetic: phantoms with known ground truth."""

import numpy as np
import pytest
from scipy import ndimage
from skimage.measure import regionprops

from decondl import synthetic

SHAPES = {2: (96, 112), 3: (40, 64, 72)}


def _check_phantom(image, labels, shape):
    assert image.shape == shape and labels.shape == shape
    assert image.dtype == np.float64 and labels.dtype == np.int32
    assert image.min() >= 0.0
    assert image.max() == 1.0  # exactly, not approximately
    # image > 0 exactly where labels > 0
    np.testing.assert_array_equal(image > 0, labels > 0)
    # labels are 1..N without gaps
    present = np.unique(labels)
    np.testing.assert_array_equal(present, np.arange(labels.max() + 1))


def _neighbour_labels_touch(labels):
    """Whether two different non-zero labels are adjacent (full connectivity)."""
    footprint = np.ones((3,) * labels.ndim, dtype=bool)
    big = ndimage.maximum_filter(labels, footprint=footprint, mode="constant")
    masked = np.where(labels > 0, labels, np.iinfo(np.int32).max)
    small = ndimage.minimum_filter(masked, footprint=footprint, mode="constant", cval=2**31 - 1)
    fg = labels > 0
    return bool(np.any((big[fg] != labels[fg]) | (small[fg] != labels[fg])))


# --------------------------------------------------------------------------- spheres


@pytest.mark.parametrize("ndim", [2, 3])
def test_spheres_shapes_labels_and_count(ndim):
    shape = SHAPES[ndim]
    image, labels = synthetic.spheres(shape, 8, (2, 7), np.random.default_rng(0))
    _check_phantom(image, labels, shape)
    assert labels.max() == 8
    assert not _neighbour_labels_touch(labels)  # non-overlapping by default


@pytest.mark.parametrize("ndim", [2, 3])
def test_spheres_radii_within_range(ndim):
    lo, hi = 3.0, 8.0
    image, labels = synthetic.spheres(SHAPES[ndim], 6, (lo, hi), np.random.default_rng(1))
    unit = np.pi if ndim == 2 else 4.0 / 3.0 * np.pi
    for region in regionprops(labels, intensity_image=image):
        # the anti-aliased volume (sum of coverage) equals the ball volume closely
        flux = region.image_intensity.sum() / region.intensity_max
        radius = (flux / unit) ** (1.0 / ndim)
        assert lo - 0.5 <= radius <= hi + 0.5


def test_spheres_single_disc_known_area():
    image, labels = synthetic.spheres(
        (64, 64), 1, (10.0, 10.0), np.random.default_rng(3), intensity_range=(1.0, 1.0)
    )
    # sum of the anti-aliased coverage approximates the disc area pi r^2
    assert image.sum() == pytest.approx(np.pi * 100.0, rel=0.01)
    assert labels.max() == 1


@pytest.mark.parametrize("ndim", [2, 3])
def test_spheres_overlap_allowed_keeps_consistent_labels(ndim):
    image, labels = synthetic.spheres(
        SHAPES[ndim], 30, (4, 10), np.random.default_rng(2), overlap=True
    )
    _check_phantom(image, labels, SHAPES[ndim])
    for index in range(1, labels.max() + 1):
        assert ndimage.label(labels == index)[1] == 1


def test_spheres_crowded_places_fewer_and_terminates():
    image, labels = synthetic.spheres((32, 32), 500, (5, 6), np.random.default_rng(0))
    assert 1 <= labels.max() < 500
    _check_phantom(image, labels, (32, 32))


def test_spheres_too_large_for_image_gives_empty_image():
    image, labels = synthetic.spheres((8, 8), 3, (10, 12), np.random.default_rng(0))
    assert labels.max() == 0 and image.max() == 0.0


def test_spheres_zero_objects():
    image, labels = synthetic.spheres((16, 16), 0, (2, 3), np.random.default_rng(0))
    assert not image.any() and not labels.any()


# --------------------------------------------------------------------------- nuclei


@pytest.mark.parametrize("ndim", [2, 3])
def test_nuclei_shapes_labels_and_count(ndim):
    shape = SHAPES[ndim]
    n = 12 if ndim == 2 else 8
    image, labels = synthetic.nuclei(shape, n, np.random.default_rng(0))
    _check_phantom(image, labels, shape)
    assert labels.max() == n


@pytest.mark.parametrize("ndim", [2, 3])
def test_nuclei_labels_are_connected_convex_blobs(ndim):
    image, labels = synthetic.nuclei(SHAPES[ndim], 40, np.random.default_rng(4))
    assert labels.max() > 10
    for region in regionprops(labels):
        assert ndimage.label(region.image)[1] == 1
        if ndim == 2:
            # clean, nearly convex instances (star-convex for StarDist)
            assert region.solidity > 0.85


def test_nuclei_touching_true_produces_touching_pairs():
    image, labels = synthetic.nuclei((128, 128), 60, np.random.default_rng(5))
    assert _neighbour_labels_touch(labels)


@pytest.mark.parametrize("ndim", [2, 3])
def test_nuclei_touching_false_keeps_background_between(ndim):
    image, labels = synthetic.nuclei(SHAPES[ndim], 40, np.random.default_rng(5), touching=False)
    assert labels.max() > 3
    assert not _neighbour_labels_touch(labels)


def test_nuclei_without_texture_have_flat_interiors():
    image, labels = synthetic.nuclei(
        (96, 96), 6, np.random.default_rng(6), texture=0.0, touching=False
    )
    for index in range(1, labels.max() + 1):
        inner = ndimage.binary_erosion(labels == index, iterations=2)
        values = image[inner]
        assert values.size > 0
        assert values.max() - values.min() < 1e-12


def test_nuclei_texture_amplitude():
    image, labels = synthetic.nuclei(
        (128, 128), 10, np.random.default_rng(7), texture=0.2, touching=False
    )
    rel = []
    for index in range(1, labels.max() + 1):
        values = image[ndimage.binary_erosion(labels == index, iterations=2)]
        rel.append(values.std() / values.mean())
    # texture is smooth noise of relative std 0.2 (estimated per nucleus, so loosely)
    assert 0.05 < np.mean(rel) < 0.35


def test_nuclei_eccentricity_zero_gives_round_nuclei():
    image, labels = synthetic.nuclei(
        (128, 128), 10, np.random.default_rng(8), eccentricity_max=0.0, touching=False
    )
    inner = [r for r in regionprops(labels) if min(r.bbox) > 0 and max(r.bbox[2:]) < 128]
    assert len(inner) >= 5
    for region in inner:  # nuclei cut by the border are not round
        assert region.eccentricity < 0.35


def test_nuclei_places_every_requested_nucleus():
    image, labels = synthetic.nuclei((256, 256), 40, np.random.default_rng(0))
    assert labels.max() == 40
    assert np.array_equal(np.unique(labels), np.arange(41))


def test_nuclei_crowded_places_fewer():
    image, labels = synthetic.nuclei((48, 48), 300, np.random.default_rng(0))
    assert 1 <= labels.max() < 300
    _check_phantom(image, labels, (48, 48))


# --------------------------------------------------------------------------- beads


@pytest.mark.parametrize("ndim", [2, 3])
def test_beads_flux_positions_and_centroids(ndim):
    shape = (96, 96) if ndim == 2 else (40, 80, 80)
    image, positions = synthetic.beads(shape, 10, np.random.default_rng(0))
    assert image.dtype == np.float64 and positions.dtype == np.float64
    assert positions.shape == (10, ndim)
    assert image.sum() == pytest.approx(10.0, abs=1e-12)
    assert image.max() <= 1.0
    # each bead's intensity centroid is its position, exactly
    for pos in positions:
        lo = np.floor(pos).astype(int) - 2
        window = tuple(slice(a, a + 5) for a in lo)
        crop = image[window]
        grids = np.meshgrid(*[np.arange(a, a + 5) for a in lo], indexing="ij")
        assert crop.sum() == pytest.approx(1.0, abs=1e-12)
        centroid = [float((g * crop).sum() / crop.sum()) for g in grids]
        np.testing.assert_allclose(centroid, pos, atol=1e-12)
    # some positions really are sub-pixel
    assert np.any(np.abs(positions - np.round(positions)) > 0.01)


@pytest.mark.parametrize("ndim", [2, 3])
def test_beads_spacing_and_margins(ndim):
    shape = (128, 128) if ndim == 2 else (48, 96, 96)
    image, positions = synthetic.beads(
        shape, 15, np.random.default_rng(1), min_distance_px=12, margin_px=6
    )
    dist = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    dist[np.diag_indices(len(positions))] = np.inf
    assert dist.min() >= 12
    assert np.all(positions >= 6) and np.all(positions <= np.array(shape) - 1 - 6)


def test_beads_integer_positions():
    image, positions = synthetic.beads((64, 64), 5, np.random.default_rng(2), subpixel=False)
    np.testing.assert_array_equal(positions, np.round(positions))
    assert image.max() == 1.0
    np.testing.assert_array_equal(
        np.argwhere(image == 1.0), positions[np.lexsort(positions.T[::-1])]
    )


def test_beads_crowded_returns_fewer():
    image, positions = synthetic.beads((40, 40), 50, np.random.default_rng(0))
    assert 1 <= len(positions) < 50
    assert image.sum() == pytest.approx(len(positions))


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("diameter_px", [4.0, 7.0])
def test_beads_of_finite_size_keep_flux_and_centroid(ndim, diameter_px):
    # a uniform ball of radius r has variance r**2 / 5 along any axis (its 2D projection
    # too); pixels add about 1/12 px**2 (Sheppard)
    shape = (64, 64) if ndim == 2 else (40, 40, 40)
    image, positions = synthetic.beads(
        shape, 1, np.random.default_rng(0), subpixel=False, diameter_px=diameter_px
    )
    assert image.sum() == pytest.approx(1.0, abs=1e-9) and image.min() >= 0
    grids = np.indices(shape)
    centroid = np.array([(g * image).sum() for g in grids])
    np.testing.assert_allclose(centroid, positions[0], atol=1e-9)
    variance = [((g - c) ** 2 * image).sum() for g, c in zip(grids, centroid, strict=True)]
    expected = (diameter_px / 2) ** 2 / 5 + 1 / 12
    np.testing.assert_allclose(variance, expected, rtol=0.02)


def test_beads_diameter_zero_or_tiny_is_a_point():
    point, positions = synthetic.beads((48, 48), 3, np.random.default_rng(1))
    for diameter in (0.0, 0.5):
        image, same = synthetic.beads((48, 48), 3, np.random.default_rng(1), diameter_px=diameter)
        np.testing.assert_array_equal(same, positions)
        np.testing.assert_allclose(image, point, atol=1e-12)
    with pytest.raises(ValueError, match="diameter_px"):
        synthetic.beads((48, 48), 3, np.random.default_rng(1), diameter_px=-1.0)
    with pytest.raises(TypeError, match="diameter_px"):
        synthetic.beads((48, 48), 3, np.random.default_rng(1), diameter_px="2")


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: synthetic.spheres((48, 48), 5, (2, 6), rng),
        lambda rng: synthetic.nuclei((48, 48), 5, rng),
        lambda rng: synthetic.beads((48, 48), 3, rng),
        lambda rng: synthetic.nuclei((16, 32, 32), 3, rng),
    ],
)
def test_same_seed_same_output(make):
    a = make(np.random.default_rng(42))
    b = make(np.random.default_rng(42))
    c = make(42)  # an int seed is accepted
    d = make(np.random.default_rng(43))
    for x, y, z in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, z)
    assert not np.array_equal(a[0], d[0])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: synthetic.spheres((32,), 3, (2, 4), 0), ValueError, "shape"),
        (lambda: synthetic.spheres((2, 2, 2, 2), 3, (2, 4), 0), ValueError, "shape"),
        (lambda: synthetic.spheres((32, 0), 3, (2, 4), 0), ValueError, "shape"),
        (lambda: synthetic.spheres((32.0, 32), 3, (2, 4), 0), TypeError, "shape"),
        (lambda: synthetic.spheres(32, 3, (2, 4), 0), TypeError, "shape"),
        (lambda: synthetic.spheres((32, 32), -1, (2, 4), 0), ValueError, "n must"),
        (lambda: synthetic.spheres((32, 32), 2.5, (2, 4), 0), TypeError, "n must"),
        (lambda: synthetic.spheres((32, 32), 3, (4, 2), 0), ValueError, "radius_range_px"),
        (lambda: synthetic.spheres((32, 32), 3, (0, 2), 0), ValueError, "radius_range_px"),
        (lambda: synthetic.spheres((32, 32), 3, 4, 0), TypeError, "radius_range_px"),
        (
            lambda: synthetic.spheres((32, 32), 3, (2, 4), 0, intensity_range=(0.5, 2.0)),
            ValueError,
            "intensity_range",
        ),
        (lambda: synthetic.spheres((32, 32), 3, (2, 4), None), TypeError, "rng"),
        (lambda: synthetic.spheres((32, 32), 3, (2, 4), 1.5), TypeError, "rng"),
        (lambda: synthetic.nuclei((32, 32), 3, 0, eccentricity_max=1.0), ValueError, "eccentr"),
        (lambda: synthetic.nuclei((32, 32), 3, 0, texture=-0.1), ValueError, "texture"),
        (lambda: synthetic.nuclei((32, 32), 3, 0, texture=np.nan), ValueError, "texture"),
        (lambda: synthetic.nuclei((32, 32), 3, 0, texture_scale_px=0), ValueError, "texture_sc"),
        (
            lambda: synthetic.nuclei((32, 32), 3, 0, radius_range_px=(-1, 3)),
            ValueError,
            "radius_range_px",
        ),
        (lambda: synthetic.nuclei((32, 32), 3, "seed"), TypeError, "rng"),
        (lambda: synthetic.beads((32, 32), 3, 0, min_distance_px=1), ValueError, "min_distance"),
        (lambda: synthetic.beads((32, 32), 3, 0, margin_px=0.5), ValueError, "margin_px"),
        (lambda: synthetic.beads((32, 32), 3, 0, margin_px=(2, 2, 2)), ValueError, "margin_px"),
        (lambda: synthetic.beads((32, 32), 3, 0, margin_px="x"), TypeError, "margin_px"),
        (lambda: synthetic.beads((32, 32), -3, 0), ValueError, "n must"),
    ],
)
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()
