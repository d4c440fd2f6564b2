"""Star-convex geometry of StarDist: rays, the best polygon of an object, labels from outputs."""

from __future__ import annotations

import numpy as np

from decondl._checks import as_int, as_labels, as_mask, as_number, as_shape

__all__ = ["labels_from_outputs", "star_convex_fit", "star_rays"]


def star_rays(labels, n_rays: int = 32) -> np.ndarray:
    r"""Distances from every object pixel to its object's boundary along ``n_rays`` rays.

    The training target of StarDist, computed by :func:`stardist.star_dist`.

    Parameters
    ----------
    labels : array_like of int, shape (ny, nx)
        Instance labels (0 = background).
    n_rays : int
        Number of rays (>= 3), at angles :math:`2\pi k / n` for :math:`k = 0..n-1`.

    Returns
    -------
    ndarray of float32, shape (ny, nx, n_rays)
        Distance in pixels along each ray (0 in the background).

    Raises
    ------
    TypeError, ValueError
        If ``labels`` is not a 2D integer array or ``n_rays < 3``.

    Notes
    -----
    A star-convex object contains the segment from its centre to every boundary point, so
    it is described exactly (up to the angular sampling) by the radii :math:`r_k` of the
    polygon with vertices :math:`c + r_k (\sin\theta_k, \cos\theta_k)` [1]_.

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((21, 21), int); labels[5:16, 5:16] = 1
    >>> float(star_rays(labels, 4)[10, 10, 0])  # to the outer edge of the last pixel
    5.5
    """
    from stardist import star_dist

    arr = as_labels(labels, "labels", ndims=(2,))
    n_rays = as_int(n_rays, "n_rays", low=3)
    return star_dist(arr, n_rays=n_rays, mode="cpp").astype(np.float32)


def star_convex_fit(mask, n_rays: int = 32) -> tuple[float, np.ndarray, tuple[int, int]]:
    r"""Find the best star-convex polygon StarDist could draw for one object, and its IoU.

    For every pixel of the object taken as the centre, the polygon of ``n_rays`` rays is the one
    StarDist is trained to predict there (:func:`star_rays`: each ray runs to where it first
    leaves the object); the polygon with the highest intersection over union with the object is
    returned. A star-convex object is fitted almost exactly; an object that is not (a crescent,
    a ring) cannot be, from any centre.

    Parameters
    ----------
    mask : array_like of bool, shape (ny, nx)
        One object (True inside); it should not touch the border of the array.
    n_rays : int
        Number of rays (>= 3).

    Returns
    -------
    iou : float
        :math:`|P \cap M| / |P \cup M|` of the best polygon :math:`P` and the mask :math:`M`.
    polygon : ndarray of bool, shape (ny, nx)
        The best polygon, rasterised.
    centre : (int, int)
        Its centre pixel (row, column); the first one found on ties.

    Raises
    ------
    TypeError, ValueError
        If ``mask`` is not a 2D boolean (or 0/1) array with at least one True pixel, or
        ``n_rays < 3``.

    Notes
    -----
    A shape is star-convex with respect to a centre :math:`c` if it contains the segment from
    :math:`c` to each of its points; StarDist describes such a shape by the ray lengths
    :math:`r_k` at angles :math:`2\pi k/n` [1]_. Polygons are drawn by
    :func:`stardist.geometry.polygons_to_label`.

    References
    ----------
    .. [1] U. Schmidt, M. Weigert, C. Broaddus, G. Myers, "Cell detection with star-convex
       polygons", MICCAI 2018. :doi:`10.1007/978-3-030-00934-2_30`

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:32, :32]
    >>> disc = (yy - 16) ** 2 + (xx - 16) ** 2 <= 64
    >>> round(star_convex_fit(disc, 32)[0], 2)
    0.98
    """
    from stardist.geometry import polygons_to_label

    arr = as_mask(mask, ndims=(2,))
    if not arr.any():
        raise ValueError("mask must contain at least one True pixel")
    rays = star_rays(arr.astype(np.int32), n_rays)
    best_iou, best_polygon, best_centre = -1.0, None, None
    for centre in np.argwhere(arr):
        polygon = polygons_to_label(rays[tuple(centre)][None], centre[None], arr.shape) > 0
        iou = float((polygon & arr).sum() / (polygon | arr).sum())
        if iou > best_iou:
            best_iou, best_polygon, best_centre = iou, polygon, (int(centre[0]), int(centre[1]))
    return best_iou, best_polygon, best_centre


def labels_from_outputs(
    prob, dist, shape, *, grid=(1, 1), prob_thresh: float = 0.5, nms_thresh: float = 0.4
) -> np.ndarray:
    r"""Turn StarDist network outputs into instance labels (non-maximum suppression).

    Needs no network and no TensorFlow, so thresholds can be explored on stored outputs.

    Parameters
    ----------
    prob : array_like, shape (my, mx)
        Object probability per output pixel (on the grid, ``my = ny / grid[0]``).
    dist : array_like, shape (my, mx, n_rays)
        Predicted ray lengths in input pixels.
    shape : (int, int)
        Shape ``(ny, nx)`` of the input image.
    grid : (int, int)
        Subsampling of the outputs relative to the input.
    prob_thresh : float
        Candidate polygons need a probability above this value, in (0, 1).
    nms_thresh : float
        A candidate overlapping an already kept, more probable polygon by more than this
        fraction of its area is suppressed, in [0, 1].

    Returns
    -------
    labels : ndarray of int32, shape ``shape``

    Raises
    ------
    TypeError, ValueError
        If the arrays do not match or a threshold is out of range.

    Notes
    -----
    Candidates are sorted by probability; each is kept unless its overlap with a kept
    polygon exceeds ``nms_thresh``. Kept polygons are drawn, the more probable on top
    (:func:`stardist.nms.non_maximum_suppression`,
    :func:`stardist.geometry.polygons_to_label`).

    Examples
    --------
    >>> import numpy as np
    >>> prob = np.zeros((16, 16), np.float32); prob[8, 8] = 0.9
    >>> dist = np.full((16, 16, 16), 4.0, np.float32)
    >>> int(labels_from_outputs(prob, dist, (16, 16)).max())
    1
    """
    from stardist.geometry import polygons_to_label
    from stardist.nms import non_maximum_suppression

    prob = np.asarray(prob, dtype=np.float32)
    dist = np.asarray(dist, dtype=np.float32)
    if prob.ndim != 2 or dist.ndim != 3 or dist.shape[:2] != prob.shape:
        raise ValueError(
            f"prob must be (my, mx) and dist (my, mx, n_rays), got {prob.shape} and {dist.shape}"
        )
    grid = as_shape(grid, "grid", ndims=(2,))
    shape = as_shape(shape, "shape", ndims=(2,))
    prob_thresh = as_number(
        prob_thresh, "prob_thresh", low=0, high=1, low_open=True, high_open=True
    )
    nms_thresh = as_number(nms_thresh, "nms_thresh", low=0, high=1)
    points, probi, disti = non_maximum_suppression(
        dist, prob, grid=grid, prob_thresh=prob_thresh, nms_thresh=nms_thresh
    )
    labels = polygons_to_label(disti, points, shape=shape, prob=probi)
    return labels.astype(np.int32)
