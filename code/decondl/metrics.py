"""Image quality metrics against a known ground truth.

Thin, validated wrappers over :mod:`skimage.metrics`, with one convention that
matters for every table in the book:

.. important::

   ``data_range`` defaults to the range of the **reference** (the ground truth),
   ``reference.max() - reference.min()``, never to the range of the dtype or of
   the restored image. A restoration is then scored on the scale of the truth,
   and a result with a wrong offset or scale is penalised instead of hiding in a
   wider range. Bring images to the truth's units first, e.g. with
   :func:`decondl.forward.to_truth_units`.

Functions
---------
psnr
    Peak signal-to-noise ratio in dB.
ssim
    Structural similarity index (mean over the image).
instance_matching, average_precision
    Matching of predicted to true objects at IoU thresholds; AP (via ``stardist.matching``).
count_splits_merges
    How many true objects a segmentation split into pieces or merged with others.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import contingency_table, peak_signal_noise_ratio, structural_similarity

from decondl._checks import as_array, as_float_array, as_int, as_labels, as_number

__all__ = [
    "IOU_THRESHOLDS",
    "average_precision",
    "count_splits_merges",
    "instance_matching",
    "psnr",
    "ssim",
]


def _pair(reference, image, data_range, *, ndims=None):
    """Validate reference/image and return float64 arrays of one shape and the data range."""
    ref = as_float_array(reference, "reference", ndims=ndims, dtype=np.float64)
    img = as_float_array(image, "image", ndims=ndims, dtype=np.float64)
    if ref.shape != img.shape:
        raise ValueError(
            f"reference and image must have the same shape, got {ref.shape} and {img.shape}"
        )
    if data_range is None:
        data_range = float(ref.max() - ref.min())
        if data_range <= 0:
            raise ValueError(
                "reference is constant, so its range (the default data_range) is 0; "
                "pass data_range explicitly"
            )
        return ref, img, data_range
    return ref, img, as_number(data_range, "data_range", low=0, low_open=True)


def psnr(reference, image, *, data_range=None):
    r"""Peak signal-to-noise ratio of ``image`` against the ground truth, in dB.

    Parameters
    ----------
    reference : array_like
        Ground truth, real and finite, any shape (2D and 3D in the book).
    image : array_like, same shape as ``reference``
        Image to score (on the scale of the reference).
    data_range : float, optional
        Peak-to-peak range :math:`L` of the signal. **Default: the range of the
        reference**, ``reference.max() - reference.min()`` (not the dtype's range).

    Returns
    -------
    psnr : float
        In decibels; ``inf`` if ``image`` equals ``reference``.

    Raises
    ------
    TypeError
        If an input is not a real numeric array or ``data_range`` not a number.
    ValueError
        If shapes differ, a value is not finite, the reference is constant and no
        ``data_range`` is given, or ``data_range <= 0``.

    Notes
    -----
    .. math:: \mathrm{PSNR} = 10 \log_{10} \frac{L^2}{\mathrm{MSE}}, \qquad
              \mathrm{MSE} = \frac{1}{N} \sum_x (f(x) - g(x))^2.

    Computed by :func:`skimage.metrics.peak_signal_noise_ratio`. Each halving of
    the root-mean-square error adds about 6 dB.

    Examples
    --------
    >>> import numpy as np
    >>> reference = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(psnr(reference, reference + 0.1), 6)
    20.0
    """
    ref, img, data_range = _pair(reference, image, data_range)
    if np.array_equal(ref, img):
        return float("inf")
    return float(peak_signal_noise_ratio(ref, img, data_range=data_range))


def ssim(reference, image, *, data_range=None, win_size=7):
    r"""Structural similarity of ``image`` to the ground truth (mean SSIM, 2D or 3D).

    Parameters
    ----------
    reference : array_like, shape (ny, nx) or (nz, ny, nx)
        Ground truth, real and finite. Every axis must be at least ``win_size``
        long.
    image : array_like, same shape as ``reference``
        Image to score (on the scale of the reference).
    data_range : float, optional
        Peak-to-peak range :math:`L` of the signal. **Default: the range of the
        reference**, ``reference.max() - reference.min()`` (not the dtype's range).
    win_size : int, optional
        Side of the (uniform) sliding window, odd, >= 3 (default 7).

    Returns
    -------
    ssim : float
        Mean SSIM over the image, in [-1, 1]; 1 for identical images.

    Raises
    ------
    TypeError
        If an input is not a real numeric array or ``data_range``/``win_size`` have
        the wrong type.
    ValueError
        If the images are not 2D/3D, shapes differ, values are not finite, the
        reference is constant without ``data_range``, ``data_range <= 0``, or
        ``win_size`` is even, < 3 or longer than an axis.

    Notes
    -----
    In each window, with local means :math:`\mu`, variances :math:`\sigma^2` and
    covariance :math:`\sigma_{fg}` [1]_:

    .. math:: \mathrm{SSIM} = \frac{(2\mu_f\mu_g + C_1)(2\sigma_{fg} + C_2)}
              {(\mu_f^2 + \mu_g^2 + C_1)(\sigma_f^2 + \sigma_g^2 + C_2)},
              \qquad C_1 = (0.01 L)^2,\ C_2 = (0.03 L)^2,

    averaged over all windows. Computed by
    :func:`skimage.metrics.structural_similarity` with its defaults (uniform
    window, sample covariance), in 2D or 3D windows.

    References
    ----------
    .. [1] Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality
       assessment: from error visibility to structural similarity", IEEE
       Transactions on Image Processing 13(4), 600-612 (2004).
       :doi:`10.1109/TIP.2003.819861`

    Examples
    --------
    >>> import numpy as np
    >>> reference = np.random.default_rng(0).random((32, 32))
    >>> ssim(reference, reference)
    1.0
    """
    ref, img, data_range = _pair(reference, image, data_range, ndims=(2, 3))
    win_size = as_int(win_size, "win_size", low=3)
    if win_size % 2 == 0:
        raise ValueError(f"win_size must be odd, got {win_size}")
    if min(ref.shape) < win_size:
        raise ValueError(
            f"every axis of reference must be at least win_size={win_size} long for SSIM, "
            f"got shape {ref.shape}; pass a smaller odd win_size"
        )
    return float(structural_similarity(ref, img, data_range=data_range, win_size=win_size))


# --------------------------------------------------------------------------- instance matching

#: IoU thresholds of the book's segmentation tables.
IOU_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def _label_stack(value, name: str) -> list[np.ndarray]:
    """Return one label image, or a list/tuple of them, as a list of int32 label images.

    An array (2D or 3D) is always one image: a 3D array is one volume, never a stack of 2D
    images, so that an object split along z is scored as split. A stack of 2D images is
    passed as a list or tuple.
    """
    if not isinstance(value, list | tuple):
        return [as_labels(value, name)]
    if not value:
        raise ValueError(f"{name} must contain at least one label image")
    return [as_labels(v, f"{name}[{index}]") for index, v in enumerate(value)]


def _label_pairs(truth_labels, pred_labels) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Return the true and the predicted label images, validated, as many and of equal shapes."""
    truths = _label_stack(truth_labels, "truth_labels")
    preds = _label_stack(pred_labels, "pred_labels")
    if len(truths) != len(preds):
        raise ValueError(f"got {len(truths)} true and {len(preds)} predicted label images")
    for index, (t, p) in enumerate(zip(truths, preds, strict=True)):
        if t.shape != p.shape:
            raise ValueError(f"label images {index} differ in shape: {t.shape} and {p.shape}")
    return truths, preds


def instance_matching(truth_labels, pred_labels, *, thresholds=IOU_THRESHOLDS) -> dict:
    r"""Match predicted to true objects and count hits at several IoU thresholds.

    Wraps :func:`stardist.matching.matching_dataset` (counts pooled over all images).

    Parameters
    ----------
    truth_labels : array_like of int, shape (ny, nx) or (nz, ny, nx), or a list of them
        True instance labels (0 = background). An array is one image: a 3D array is one
        volume, matched in 3D. Several images (e.g. a stack of 2D test images) are passed as a
        list or tuple; their counts are pooled.
    pred_labels : same as ``truth_labels``
        Predicted instance labels, same shapes.
    thresholds : sequence of float
        IoU thresholds in (0, 1].

    Returns
    -------
    dict
        ``"thresholds"`` and, as float arrays of the same length, ``"ap"``, ``"f1"``,
        ``"precision"``, ``"recall"``; ints ``"n_true"``, ``"n_pred"``.

    Raises
    ------
    TypeError, ValueError
        If the inputs are not integer label images of equal shapes, or a threshold is
        out of range.

    Notes
    -----
    A predicted object matches a true one if their intersection over union
    :math:`|A \cap B| / |A \cup B|` is at least the threshold :math:`\tau` (one-to-one; for
    :math:`\tau > 0.5` a match is unique). With TP matched pairs, FP unmatched predictions
    and FN unmatched true objects,

    .. math:: \mathrm{AP}_\tau = \frac{TP}{TP + FP + FN}, \qquad
              F_1 = \frac{2\,TP}{2\,TP + FP + FN},

    the "average precision" of the 2018 Data Science Bowl and of StarDist [1]_ (which the
    ``stardist`` package calls *accuracy*).

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.zeros((8, 8), int); truth[1:4, 1:4] = 1; truth[5:8, 5:8] = 2
    >>> instance_matching(truth, truth, thresholds=[0.5])["ap"]
    array([1.])
    """
    from stardist.matching import matching_dataset

    truths, preds = _label_pairs(truth_labels, pred_labels)
    taus = [
        as_number(t, "thresholds", low=0, high=1, low_open=True)
        for t in as_array(thresholds, "thresholds", ndims=(0, 1)).ravel()
    ]
    stats = matching_dataset(truths, preds, thresh=taus, show_progress=False, parallel=False)
    return {
        "thresholds": np.array(taus),
        "ap": np.array([s.accuracy for s in stats], dtype=float),
        "f1": np.array([s.f1 for s in stats], dtype=float),
        "precision": np.array([s.precision for s in stats], dtype=float),
        "recall": np.array([s.recall for s in stats], dtype=float),
        "n_true": int(stats[0].n_true),
        "n_pred": int(stats[0].n_pred),
    }


def average_precision(truth_labels, pred_labels, *, thresholds=IOU_THRESHOLDS) -> dict:
    r"""Average precision :math:`TP / (TP + FP + FN)` at each IoU threshold.

    Parameters
    ----------
    truth_labels, pred_labels : array_like of int, or lists of them
        True and predicted instance labels (an array is one 2D image or one 3D volume; a
        list holds several images), see :func:`instance_matching`.
    thresholds : sequence of float
        IoU thresholds in (0, 1].

    Returns
    -------
    dict of float to float
        IoU threshold -> AP (in [0, 1]).

    Raises
    ------
    TypeError, ValueError
        See :func:`instance_matching`.

    Notes
    -----
    See :func:`instance_matching` for the definition; computed by
    :func:`stardist.matching.matching_dataset`.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.zeros((8, 8), int); truth[1:4, 1:4] = 1; truth[5:8, 5:8] = 2
    >>> average_precision(truth, np.where(truth == 2, 0, truth), thresholds=[0.5])
    {0.5: 0.5}
    """
    result = instance_matching(truth_labels, pred_labels, thresholds=thresholds)
    return {float(t): float(a) for t, a in zip(result["thresholds"], result["ap"], strict=True)}


def count_splits_merges(truth_labels, pred_labels, *, fraction=0.5, iou_threshold=0.5) -> dict:
    r"""Count the true objects that a segmentation split into pieces or merged with others.

    Parameters
    ----------
    truth_labels : array_like of int, shape (ny, nx) or (nz, ny, nx), or a list of them
        True instance labels (0 = background); several images as a list, counts pooled (see
        :func:`instance_matching`).
    pred_labels : same as ``truth_labels``
        Predicted instance labels, same shapes.
    fraction : float, optional
        An object *lies mostly in* another if more than this fraction of its pixels do, in
        [0.5, 1) (default 0.5: more than half, so it lies mostly in at most one object).
    iou_threshold : float, optional
        A true object is *missed* if no prediction reaches this IoU with it, in [0.5, 1].

    Returns
    -------
    dict of str to int
        ``"n_true"``, ``"n_pred"``: object counts. ``"split"``: true objects in which two
        or more predictions lie mostly. ``"merges"``: predictions in which two or more true
        objects lie mostly; ``"merged"``: the true objects lying mostly in one of them.
        ``"missed"``: true objects without a prediction at ``iou_threshold`` (the false
        negatives of :func:`instance_matching` at that threshold);
        ``"missed_split_or_merged"``: the missed ones that are split or merged.

    Raises
    ------
    TypeError, ValueError
        If the inputs are not integer label images of equal shapes (see
        :func:`instance_matching`) or a parameter is out of range.

    Notes
    -----
    With :math:`|A \cap B|` the pixels shared by a true object :math:`A` and a predicted
    object :math:`B`, :math:`B` lies mostly in :math:`A` if :math:`|A \cap B| > f\,|B|`,
    and :math:`A` lies mostly in :math:`B` if :math:`|A \cap B| > f\,|A|`, with
    :math:`f` = ``fraction``. A *split* true object holds the larger part of two or more
    predictions (the pieces); a *merge* is a prediction that holds the larger part of two or
    more true objects. A nucleus can be both (split in two, one half merged with a
    neighbour). An object's size counts all its pixels, so a piece that spills into the
    background still lies mostly in its object as long as more than half of it is inside.
    For :math:`\tau \ge 0.5` a true object has at most one prediction with
    :math:`\mathrm{IoU} \ge \tau` (unless both IoUs are exactly 0.5), so ``"missed"``
    equals the false negatives of the one-to-one matching. The counts :math:`|A \cap B|`
    are the table of :func:`skimage.metrics.contingency_table`.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.zeros((8, 12), int); truth[1:7, 1:5] = 1; truth[1:7, 7:11] = 2
    >>> pred = np.zeros_like(truth); pred[1:7, 1:3] = 1; pred[1:7, 3:5] = 2  # 1 split
    >>> pred[1:7, 7:11] = 3
    >>> count_splits_merges(truth, pred)["split"], count_splits_merges(pred, truth)["merges"]
    (1, 1)
    """
    truths, preds = _label_pairs(truth_labels, pred_labels)
    fraction = as_number(fraction, "fraction", low=0.5, high=1, high_open=True)
    iou_threshold = as_number(iou_threshold, "iou_threshold", low=0.5, high=1)
    counts = dict.fromkeys(
        ("n_true", "n_pred", "split", "merges", "merged", "missed", "missed_split_or_merged"), 0
    )
    for t, p in zip(truths, preds, strict=True):
        if t.size == 0:
            continue  # no pixels, no objects
        # pixels shared by true object i and predicted object j; row and column 0: background
        table = contingency_table(t, p).toarray()
        size_t, size_p = table.sum(axis=1)[1:], table.sum(axis=0)[1:]
        shared = table[1:, 1:]
        present_t, present_p = size_t > 0, size_p > 0
        pred_in_true = shared > fraction * size_p[None, :]  # (i, j): prediction j mostly in i
        true_in_pred = shared > fraction * size_t[:, None]  # (i, j): true i mostly in j
        split = pred_in_true.sum(axis=1) >= 2
        merges = true_in_pred.sum(axis=0) >= 2
        merged = (true_in_pred & merges[None, :]).any(axis=1)
        union = size_t[:, None] + size_p[None, :] - shared
        iou = np.divide(shared, union, out=np.zeros(shared.shape), where=union > 0)
        found = (iou >= iou_threshold).any(axis=1) if iou.size else np.zeros(len(size_t), bool)
        missed = present_t & ~found
        counts["n_true"] += int(present_t.sum())
        counts["n_pred"] += int(present_p.sum())
        counts["split"] += int(split.sum())
        counts["merges"] += int(merges.sum())
        counts["merged"] += int(merged.sum())
        counts["missed"] += int(missed.sum())
        counts["missed_split_or_merged"] += int((missed & (split | merged)).sum())
    return counts
