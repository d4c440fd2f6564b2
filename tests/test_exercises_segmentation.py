"""Checks of the instance-segmentation exercises (decondl.exercises.segmentation): references
pass, every known mistake gets its own hint, wrong answers fail without raising (except in
strict mode)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from decondl import metrics
from decondl.exercises import STRICT_VAR, ExerciseCheckError, segmentation

pytestmark = pytest.mark.dl  # stardist.matching is the reference


@pytest.fixture(autouse=True)
def _lenient(monkeypatch):
    monkeypatch.delenv(STRICT_VAR, raising=False)


def test_every_check_is_exported_and_documented():
    import decondl.exercises as ex

    assert segmentation.__all__ == [
        "check_ap50",
        "check_count_and_area",
        "check_iou_matrix",
        "check_object_counts",
    ]
    for name in segmentation.__all__:
        assert getattr(ex, name) is getattr(segmentation, name)
        doc = getattr(segmentation, name).__doc__
        assert "Returns" in doc and "Verdict" in doc


# --------------------------------------------------------------------------- object counts


def touching_labels() -> np.ndarray:
    """Two touching squares (one region), a separate one, and one joined only by a corner."""
    labels = np.zeros((20, 20), dtype=np.int32)
    labels[1:5, 1:5], labels[1:5, 5:9] = 1, 2  # touch along an edge
    labels[10:14, 10:14] = 3
    labels[14:18, 14:18] = 4  # touches 3 by one corner only
    return labels


def test_object_counts_reference_passes():
    labels = touching_labels()
    assert segmentation.check_object_counts((3, 4), labels)
    assert segmentation.check_object_counts([3, 4], labels)
    assert segmentation.check_object_counts(np.array([3, 4]), labels)


@pytest.mark.parametrize(
    "wrong, words",
    [
        ((3, 5), "Label 0 is the background"),
        ((4, 5), "in neither count"),
        ((2, 4), "not also through a corner"),
        ((4, 3), "The order is"),
    ],
)
def test_object_counts_mistakes_get_their_hint(wrong, words):
    verdict = segmentation.check_object_counts(wrong, touching_labels())
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


def test_object_counts_wrong_answers():
    labels = touching_labels()
    assert segmentation.check_object_counts(..., labels).status == "unanswered"
    assert "shape" in segmentation.check_object_counts((3, 4, 5), labels).message
    assert "NaN" in segmentation.check_object_counts((np.nan, 4), labels).message
    text = segmentation.check_object_counts("3 and 4", labels)
    assert text.status == "fail" and "expected a numpy array" in text.message.lower()
    assert segmentation.check_object_counts((7, 9), labels).hint is None
    with pytest.raises(TypeError, match="label image"):
        segmentation.check_object_counts((3, 4), labels.astype(float))


def test_object_counts_strict_mode(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_object_counts"):
        segmentation.check_object_counts((4, 3), touching_labels())
    assert segmentation.check_object_counts(None, touching_labels()).status == "unanswered"


# --------------------------------------------------------------------------- IoU matrix


def iou_loops(truth, pred):
    out = np.zeros((truth.max(), pred.max()))
    for i in range(1, truth.max() + 1):
        for j in range(1, pred.max() + 1):
            a, b = truth == i, pred == j
            out[i - 1, j - 1] = (a & b).sum() / (a | b).sum()
    return out


def iou_vectorised(truth, pred):
    overlap = np.zeros((truth.max() + 1, pred.max() + 1))
    np.add.at(overlap, (truth.ravel(), pred.ravel()), 1)
    union = overlap.sum(axis=1, keepdims=True) + overlap.sum(axis=0, keepdims=True) - overlap
    return (overlap / union)[1:, 1:]


def test_iou_matrix_references_pass():
    for func in (iou_loops, iou_vectorised):
        verdict = segmentation.check_iou_matrix(func)
        assert verdict and verdict.status == "pass", verdict


def test_iou_hidden_cases_cover_2d_3d_and_both_shapes():
    cases = segmentation._iou_cases()
    assert {c[0].ndim for c in cases} == {2, 3}
    assert any(t.max() > p.max() for t, p in cases) and any(t.max() < p.max() for t, p in cases)
    for truth, pred in cases:
        for labels in (truth, pred):  # numbered 1..n without gaps
            np.testing.assert_array_equal(np.unique(labels), np.arange(labels.max() + 1))
        iou = segmentation._iou_reference(truth, pred)
        assert iou.shape == (truth.max(), pred.max())
        assert (iou == 0).any() and (iou > 0).any()
        np.testing.assert_allclose(iou, iou_loops(truth, pred), atol=1e-6)


def semantic(truth, pred):
    a, b = truth > 0, pred > 0
    return np.full((truth.max(), pred.max()), (a & b).sum() / (a | b).sum())


def dice(truth, pred):
    out = np.zeros((truth.max(), pred.max()))
    for i in range(1, truth.max() + 1):
        for j in range(1, pred.max() + 1):
            a, b = truth == i, pred == j
            out[i - 1, j - 1] = 2 * (a & b).sum() / (a.sum() + b.sum())
    return out


def over_truth(truth, pred):
    return np.array(
        [
            [
                ((truth == i) & (pred == j)).sum() / (truth == i).sum()
                for j in range(1, pred.max() + 1)
            ]
            for i in range(1, truth.max() + 1)
        ]
    )


def over_pred(truth, pred):
    return np.array(
        [
            [
                ((truth == i) & (pred == j)).sum() / (pred == j).sum()
                for j in range(1, pred.max() + 1)
            ]
            for i in range(1, truth.max() + 1)
        ]
    )


def with_background(truth, pred):
    overlap = np.zeros((truth.max() + 1, pred.max() + 1))
    np.add.at(overlap, (truth.ravel(), pred.ravel()), 1)
    union = overlap.sum(axis=1, keepdims=True) + overlap.sum(axis=0, keepdims=True) - overlap
    return overlap / union


@pytest.mark.parametrize(
    "wrong, words",
    [
        (semantic, "semantic masks"),
        (dice, "Dice coefficient"),
        (over_truth, "true object's area only"),
        (over_pred, "predicted object's area only"),
        (with_background, "Drop label 0"),
        (lambda t, p: iou_loops(t, p).T, "transposed"),
    ],
)
def test_iou_matrix_mistakes_get_their_hint(wrong, words):
    verdict = segmentation.check_iou_matrix(wrong)
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


def test_iou_matrix_wrong_answers():
    assert segmentation.check_iou_matrix(...).status == "unanswered"

    def unfinished(truth, pred): ...

    assert segmentation.check_iou_matrix(unfinished).status == "unanswered"
    nan = segmentation.check_iou_matrix(lambda t, p: iou_loops(t, p) * np.nan)
    assert nan.status == "fail" and "NaN" in nan.message
    text = segmentation.check_iou_matrix(lambda t, p: "iou")
    assert text.status == "fail" and "expected a numpy array" in text.message.lower()
    raises = segmentation.check_iou_matrix(lambda t, p: t.missing)
    assert raises.status == "fail" and "AttributeError" in raises.message
    flat = segmentation.check_iou_matrix(lambda t, p: iou_loops(t, p).ravel())
    assert flat.status == "fail" and "shape" in flat.message and flat.hint is None
    assert segmentation.check_iou_matrix("iou").status == "fail"


def test_iou_matrix_strict_mode(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_iou_matrix"):
        segmentation.check_iou_matrix(semantic)
    assert segmentation.check_iou_matrix(...).status == "unanswered"
    assert segmentation.check_iou_matrix(iou_vectorised)


# --------------------------------------------------------------------------- AP50


def page_example():
    """The labelling of the exercise page: IoUs 0.9, exactly 0.5, 0.4/0.6 (a split), 0.11."""
    truth = np.zeros((40, 60), dtype=np.int32)
    truth[2:12, 2:12], truth[2:12, 20:30], truth[20:30, 2:12], truth[20:30, 20:30] = 1, 2, 3, 4
    pred = np.zeros_like(truth)
    pred[3:12, 2:12], pred[2:12, 20:40], pred[20:30, 2:6], pred[20:30, 6:12] = 1, 2, 3, 4
    pred[26:34, 26:34], pred[32:38, 45:55] = 5, 6
    return truth, pred


def test_ap50_page_example_known_answer():
    truth, pred = page_example()
    iou = iou_loops(truth, pred)
    assert iou[1, 1] == 0.5  # the pair that tells >= from >
    assert metrics.average_precision(truth, pred, thresholds=[0.5])[0.5] == pytest.approx(3 / 7)
    assert segmentation.check_ap50(3 / 7, truth, pred)
    assert segmentation.check_ap50(0.429, truth, pred)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (2 / 8, "*at least* 0.5"),
        (4 / 6, "merely overlap"),
        (3 / 6, "precision"),
        (3 / 4, "recall"),
        (6 / 10, "F1 score"),
    ],
)
def test_ap50_mistakes_get_their_hint(wrong, words):
    verdict = segmentation.check_ap50(wrong, *page_example())
    assert verdict.status == "fail"
    assert verdict.hint is not None and words in verdict.hint, verdict.hint


def test_ap50_wrong_answers():
    truth, pred = page_example()
    assert segmentation.check_ap50(..., truth, pred).status == "unanswered"
    assert "NaN" in segmentation.check_ap50(float("nan"), truth, pred).message
    assert segmentation.check_ap50("0.43", truth, pred).status == "fail"
    assert segmentation.check_ap50([0.43], truth, pred).status == "fail"
    assert segmentation.check_ap50(0.9, truth, pred).hint is None
    # a hint that equals the right answer is never given: perfect labels, every score is 1
    assert segmentation.check_ap50(1.0, truth, truth)


def test_ap50_strict_mode(monkeypatch):
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_ap50"):
        segmentation.check_ap50(0.5, *page_example())
    assert segmentation.check_ap50(None, *page_example()).status == "unanswered"


# --------------------------------------------------------------------------- count and area


def test_count_and_area_reference_and_mistakes():
    labels = touching_labels()  # areas 16 each
    assert segmentation.check_count_and_area((4, 16.0), labels)
    cases = [
        ((5, 16.0), "do not count it."),
        ((5, 400 / 5), "both the count and the mean area"),
        ((4, 64.0), "not the total area"),
    ]
    for wrong, words in cases:
        verdict = segmentation.check_count_and_area(wrong, labels)
        assert verdict.status == "fail", wrong
        assert verdict.hint is not None and words in verdict.hint, (wrong, verdict.hint)


def test_count_and_area_regions_hint_uses_edge_connectivity():
    labels = touching_labels()
    regions, n = ndimage.label(labels > 0)
    assert n == 3
    verdict = segmentation.check_count_and_area((3, 64 / 3), labels)
    assert verdict.status == "fail" and "connected regions" in verdict.hint


def test_count_and_area_wrong_answers_and_strict(monkeypatch):
    labels = touching_labels()
    assert segmentation.check_count_and_area(..., labels).status == "unanswered"
    assert "shape" in segmentation.check_count_and_area((4,), labels).message
    assert "NaN" in segmentation.check_count_and_area((4, np.nan), labels).message
    assert segmentation.check_count_and_area({"n": 4}, labels).status == "fail"
    monkeypatch.setenv(STRICT_VAR, "1")
    with pytest.raises(ExerciseCheckError, match="check_count_and_area"):
        segmentation.check_count_and_area((5, 16.0), labels)
    assert segmentation.check_count_and_area(None, labels).status == "unanswered"
