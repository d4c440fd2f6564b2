r"""Checks of the exercises of chapter 6, *Instance segmentation*.

The exercise page is ``book/exercises/instance_segmentation.md``. Every check computes the right
answer with the course package (:mod:`decondl.metrics`, which wraps :mod:`stardist.matching`)
and compares the student's answer with it, giving a targeted hint when the answer matches a
mistake students are known to make. Checks that are about given label images receive them as
arguments, so that the same check works for any image the page hands out. See
:mod:`decondl.exercises._core` for the order of the checks and strict mode.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from decondl import metrics
from decondl._checks import as_labels
from decondl.exercises._core import Mistake, Verdict, check_function, check_value

__all__ = [
    "check_ap50",
    "check_count_and_area",
    "check_iou_matrix",
    "check_object_counts",
]


def _n_objects(labels: np.ndarray) -> int:
    return int(np.count_nonzero(np.unique(labels)))


# --------------------------------------------------------------------------- task types


def check_object_counts(answer, labels) -> Verdict:
    r"""Check ``(regions of the semantic mask, instances)`` counted in a label image.

    Parameters
    ----------
    answer : (int, int)
        The number of connected regions of the semantic mask ``labels > 0`` (pixels joined when
        they share an edge, :func:`scipy.ndimage.label`'s default) and the number of objects
        (distinct labels other than 0).
    labels : ndarray of int, shape (ny, nx)
        The instance labels the exercise gives (0 = background).

    Returns
    -------
    Verdict
        Right when both counts are exact. Hints for: the background counted as an object,
        regions joined also through corners (8-connectivity), the two counts swapped.

    Examples
    --------
    >>> labels = np.zeros((5, 8), int); labels[1:4, 1:4] = 1; labels[1:4, 4:7] = 2
    >>> bool(check_object_counts((1, 2), labels))
    True
    """
    labels = as_labels(labels, "labels")
    mask = labels > 0
    regions = ndimage.label(mask)[1]
    regions_corners = ndimage.label(mask, structure=np.ones((3,) * labels.ndim))[1]
    objects = _n_objects(labels)
    expected = np.array([regions, objects])
    mistakes = [
        Mistake(
            "Label 0 is the background, not an object: do not count it (np.unique(labels) "
            "includes 0).",
            value=np.array([regions, objects + 1]),
        ),
        Mistake(
            "Label 0 is the background, not an object: do not count it, in neither count.",
            value=np.array([regions + 1, objects + 1]),
        ),
        Mistake(
            "Join pixels only when they share an edge (scipy.ndimage.label's default), not "
            "also through a corner.",
            value=np.array([regions_corners, objects]),
        ),
        Mistake(
            "The order is (regions of the semantic mask, instances).",
            value=np.array([objects, regions]),
        ),
    ]
    if regions_corners == regions:
        mistakes.pop(2)
    return check_value(
        "check_object_counts",
        answer,
        expected,
        rtol=0,
        mistakes=mistakes,
        success="Touching objects merge into one region of the semantic mask.",
    )


# --------------------------------------------------------------------------- IoU matrix


def _overlap(truth, pred) -> np.ndarray:
    """Pixel counts of every (true label, predicted label) pair, background included."""
    counts = np.zeros((truth.max() + 1, pred.max() + 1), dtype=np.int64)
    np.add.at(counts, (truth.ravel(), pred.ravel()), 1)
    return counts


def _iou_reference(truth, pred) -> np.ndarray:
    from stardist.matching import intersection_over_union, label_overlap

    return intersection_over_union(label_overlap(truth, pred))[1:, 1:].astype(np.float64)


def _iou_semantic(truth, pred) -> np.ndarray:
    a, b = truth > 0, pred > 0
    value = (a & b).sum() / (a | b).sum()
    return np.full((truth.max(), pred.max()), value)


def _iou_dice(truth, pred) -> np.ndarray:
    overlap = _overlap(truth, pred)[1:, 1:]
    size_t = np.bincount(truth.ravel(), minlength=truth.max() + 1)[1:, None]
    size_p = np.bincount(pred.ravel(), minlength=pred.max() + 1)[None, 1:]
    return 2 * overlap / (size_t + size_p)


def _iou_over_truth(truth, pred) -> np.ndarray:
    overlap = _overlap(truth, pred)[1:, 1:]
    return overlap / np.bincount(truth.ravel(), minlength=truth.max() + 1)[1:, None]


def _iou_over_pred(truth, pred) -> np.ndarray:
    overlap = _overlap(truth, pred)[1:, 1:]
    return overlap / np.bincount(pred.ravel(), minlength=pred.max() + 1)[None, 1:]


def _random_labels(rng, shape, n, radius_range) -> np.ndarray:
    """Up to ``n`` overlapping balls (later ones on top), relabelled 1..m without gaps."""
    grids = np.indices(shape)
    labels = np.zeros(shape, dtype=np.int32)
    for index in range(1, n + 1):
        centre = [rng.uniform(0, s) for s in shape]
        radius = rng.uniform(*radius_range)
        inside = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True)) <= radius**2
        labels[inside] = index
    present = np.unique(labels[labels > 0])
    lookup = np.zeros(n + 1, dtype=np.int32)
    lookup[present] = np.arange(1, len(present) + 1)
    return lookup[labels]


def _iou_cases() -> list[tuple]:
    rng = np.random.default_rng(66)
    cases = []
    for shape, n_true, n_pred, radii in [
        ((40, 40), 5, 6, (4, 9)),
        ((33, 48), 7, 4, (3, 8)),
        ((25, 31), 3, 5, (3, 7)),
        ((12, 20, 18), 4, 4, (3, 6)),  # 3D
        ((50, 45), 9, 9, (4, 10)),
    ]:
        truth = _random_labels(rng, shape, n_true, radii)
        pred = _random_labels(rng, shape, n_pred, radii)
        cases.append((truth, pred))
    return cases


def check_iou_matrix(func) -> Verdict:
    r"""Check ``func(truth, pred)``: the IoU of every pair of a true and a predicted object.

    ``truth`` and ``pred`` are label images of the same shape (2D or 3D), with objects numbered
    1, 2, ... without gaps and 0 for the background. The result has shape
    ``(truth.max(), pred.max())``: entry ``[i - 1, j - 1]`` is
    :math:`|T_i \cap P_j| / |T_i \cup P_j|` for true object :math:`i` and predicted object
    :math:`j` (0 where they do not overlap). Reference:
    :func:`stardist.matching.intersection_over_union` of
    :func:`stardist.matching.label_overlap`, background row and column dropped.

    Parameters
    ----------
    func : callable
        The student's function.

    Returns
    -------
    Verdict
        Right on five hidden pairs of label images (2D and 3D, more true or more predicted
        objects, objects that overlap no other) within an absolute tolerance of 1e-6. Hints
        for: the IoU of the semantic masks (``labels > 0``) instead of the instances, the Dice
        coefficient, the intersection over the true or the predicted object only, the
        background row and column kept, the matrix transposed.

    Examples
    --------
    >>> def iou_matrix(truth, pred):
    ...     out = np.zeros((truth.max(), pred.max()))
    ...     for i in range(1, truth.max() + 1):
    ...         for j in range(1, pred.max() + 1):
    ...             a, b = truth == i, pred == j
    ...             out[i - 1, j - 1] = (a & b).sum() / (a | b).sum()
    ...     return out
    >>> bool(check_iou_matrix(iou_matrix))
    True
    """
    mistakes = [
        Mistake(
            "You computed the IoU of the semantic masks (labels > 0), the same number for every "
            "pair. Compare one object with one object: truth == i and pred == j.",
            function=_iou_semantic,
        ),
        Mistake(
            "That is the Dice coefficient, 2|A∩B| / (|A| + |B|). The IoU divides the "
            "intersection by the union, |A∪B| = |A| + |B| - |A∩B|.",
            function=_iou_dice,
        ),
        Mistake(
            "You divided the intersection by the true object's area only; divide by the union "
            "of the two objects.",
            function=_iou_over_truth,
        ),
        Mistake(
            "You divided the intersection by the predicted object's area only; divide by the "
            "union of the two objects.",
            function=_iou_over_pred,
        ),
    ]
    shape_mistakes = [
        (
            lambda case: (case[0].max() + 1, case[1].max() + 1),
            "Drop label 0: it is the background, not an object, so the matrix has "
            "truth.max() rows and pred.max() columns.",
        ),
        (
            lambda case: (case[1].max(), case[0].max()),
            "Rows are the true objects and columns the predicted ones: the matrix is transposed.",
        ),
    ]
    return check_function(
        "check_iou_matrix",
        func,
        _iou_reference,
        _iou_cases(),
        rtol=0,
        atol=1e-6,
        mistakes=mistakes,
        shape_mistakes=shape_mistakes,
        success="This matrix is where every instance-matching score starts.",
    )


# --------------------------------------------------------------------------- AP50


def check_ap50(answer, truth, pred) -> Verdict:
    r"""Check the average precision at IoU 0.5 of a labelling ``pred`` against ``truth``.

    The expected value is :func:`decondl.metrics.average_precision` at 0.5: predicted and true
    objects are matched one to one when their IoU is at least 0.5 (:math:`\ge`, as in
    :func:`stardist.matching.matching`), and :math:`\mathrm{AP}_{0.5} = TP / (TP + FP + FN)`.

    Parameters
    ----------
    answer : float
        The student's AP50, in [0, 1].
    truth, pred : ndarray of int
        The true and predicted label images the exercise gives.

    Returns
    -------
    Verdict
        Right within an absolute tolerance of 1e-3. Hints for: a strict :math:`>` 0.5 (which
        differs when a pair has an IoU of exactly 0.5), any overlap counted as a match, the
        precision, the recall or the F1 score instead of the AP.

    Examples
    --------
    >>> truth = np.zeros((8, 8), int); truth[1:4, 1:4] = 1; truth[5:8, 5:8] = 2
    >>> bool(check_ap50(0.5, truth, np.where(truth == 2, 0, truth)))
    True
    """
    truth = as_labels(truth, "truth")
    pred = as_labels(pred, "pred")
    stats = metrics.instance_matching(truth, pred, thresholds=[0.5])
    expected = float(stats["ap"][0])
    strict = metrics.instance_matching(truth, pred, thresholds=[0.5 + 1e-6])
    touching = metrics.instance_matching(truth, pred, thresholds=[1e-9])
    mistakes = [
        Mistake(
            "A pair matches when its IoU is *at least* 0.5 (IoU >= 0.5); with IoU > 0.5 a pair "
            "whose IoU is exactly 0.5 is lost.",
            value=float(strict["ap"][0]),
        ),
        Mistake(
            "Objects that merely overlap do not match: a match needs an IoU of at least 0.5.",
            value=float(touching["ap"][0]),
        ),
        Mistake(
            "That is the precision, TP / (TP + FP). The AP also counts the missed true objects: "
            "TP / (TP + FP + FN).",
            value=float(stats["precision"][0]),
        ),
        Mistake(
            "That is the recall, TP / (TP + FN). The AP also counts the false positives: "
            "TP / (TP + FP + FN).",
            value=float(stats["recall"][0]),
        ),
        Mistake(
            "That is the F1 score, 2 TP / (2 TP + FP + FN). The AP is TP / (TP + FP + FN).",
            value=float(stats["f1"][0]),
        ),
    ]
    mistakes = [m for m in mistakes if not np.isclose(m.value, expected, atol=1e-3, rtol=0)]
    return check_value("check_ap50", answer, expected, rtol=0, atol=1e-3, mistakes=mistakes)


# --------------------------------------------------------------------------- count and area


def check_count_and_area(answer, labels) -> Verdict:
    r"""Check ``(number of objects, mean object area in pixels)`` of a label image.

    Parameters
    ----------
    answer : (float, float)
        The number of objects (labels other than 0) and their mean area in pixels.
    labels : ndarray of int
        The label image the exercise gives (e.g. the result of
        :func:`decondl.segment.classical_segment`).

    Returns
    -------
    Verdict
        Right within a relative tolerance of 1e-6. Hints for: the background counted as an
        object (in the count, or in the count and the mean area), the connected regions of the
        mask ``labels > 0`` instead of the objects, the total instead of the mean area.

    Examples
    --------
    >>> labels = np.zeros((5, 8), int); labels[1:4, 1:4] = 1; labels[1:3, 4:7] = 2
    >>> bool(check_count_and_area((2, 7.5), labels))
    True
    """
    labels = as_labels(labels, "labels")
    areas = np.bincount(labels.ravel())[1:]
    areas = areas[areas > 0]
    count = len(areas)
    expected = np.array([count, areas.mean()])
    regions, n_regions = ndimage.label(labels > 0)
    mistakes = [
        Mistake(
            "Label 0 is the background, not an object: do not count it.",
            value=np.array([count + 1, areas.mean()]),
        ),
        Mistake(
            "Label 0 is the background: leave it out of both the count and the mean area "
            "(np.bincount(labels.ravel())[1:] drops it).",
            value=np.array([count + 1, labels.size / (count + 1)]),
        ),
        Mistake(
            "You counted the connected regions of the mask labels > 0, where touching objects "
            "merge; count the labels instead.",
            value=np.array([n_regions, (labels > 0).sum() / max(n_regions, 1)]),
        ),
        Mistake(
            "The second number is the mean area of one object, not the total area of all.",
            value=np.array([count, areas.sum()]),
        ),
    ]
    mistakes = [m for m in mistakes if not np.allclose(m.value, expected)]
    return check_value("check_count_and_area", answer, expected, rtol=1e-6, mistakes=mistakes)
