"""Instance segmentation: a classical pipeline and StarDist wrappers (chapter 6).

Two ways from a recorded fluorescence image to instance labels (0 = background, one
positive integer per object):

Classical pipeline
    :func:`classical_segment`: optional deconvolution (:mod:`decondl.deconvolve`),
    smoothing, a global threshold (Otsu by default), a seeded watershed on the distance
    transform to split touching objects (:func:`split_touching`), removal of small
    objects and relabelling.
StarDist
    A network that predicts, for every pixel, the probability of being inside an object
    and the distances to the object's boundary along ``n_rays`` directions; the objects
    are star-convex polygons kept by non-maximum suppression. :func:`stardist_config`
    sizes it from the run profile, :func:`train_stardist` trains it on simulated data
    (:func:`simulate_dataset`), tunes its two thresholds on validation data and caches the
    result, :func:`predict_stardist` predicts labels; :func:`stardist_outputs` and
    :func:`labels_from_outputs` split prediction into the network part and the
    (TensorFlow-free) polygon part, so that thresholds can be explored without the network.

Scoring is :func:`decondl.metrics.average_precision` (via :mod:`stardist.matching`).
TensorFlow is imported only inside the functions that need a network.

Layout (private modules; import the names from ``decondl.segment``): ``_classical`` (the
classical pipeline), ``_data`` (simulated nuclei and normalisation, from
:mod:`decondl.datasets`, shared with CARE), ``_geometry`` (star-convex rays and polygons,
labels from network outputs; no TensorFlow), ``_stardist`` (configuration, training,
prediction, receptive field).
"""

from decondl.segment._classical import classical_segment, split_touching
from decondl.segment._data import normalize, simulate_dataset
from decondl.segment._geometry import labels_from_outputs, star_convex_fit, star_rays
from decondl.segment._stardist import (
    predict_stardist,
    stardist_config,
    stardist_outputs,
    stardist_receptive_field,
    summarize_history,
    train_stardist,
)

__all__ = [
    "classical_segment",
    "labels_from_outputs",
    "normalize",
    "predict_stardist",
    "simulate_dataset",
    "split_touching",
    "stardist_config",
    "stardist_outputs",
    "stardist_receptive_field",
    "star_convex_fit",
    "star_rays",
    "summarize_history",
    "train_stardist",
]
