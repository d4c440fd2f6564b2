r"""Content-aware image restoration (CARE): thin, tested wrappers over CSBDeep.

Taught in chapter 5 ("Restoration with CARE"). CARE {Weigert et al. 2018} trains a U-Net to
map recorded images to ground truths. Here the ground truths are exact, because the training
pairs are simulated with :class:`decondl.forward.Microscope` (the acquisition model of
chapters 3 to 6). Nothing of CARE is reimplemented: patches come from
:func:`csbdeep.data.create_patches`, the network and its training from
:class:`csbdeep.models.CARE`.

Units. Inputs are normalised per image by percentiles, as CSBDeep does
(:func:`normalize_input`); targets are *not* normalised: they stay in the truth's units
(the phantoms' scale, maximum 1). The network therefore predicts directly in the truth's
units, and PSNR against the truth needs no mapping back (prediction uses a
:class:`csbdeep.data.PercentileNormalizer` with ``do_after=False``).

The workflow:

1. :func:`simulate_pairs` - recorded images (photons) and truths.
2. :func:`make_patches` - training patches ``X`` (normalised) and ``Y`` (truth units).
3. :func:`care_config` - a :class:`csbdeep.models.Config` sized by the run profile.
4. :func:`train_care` - train quietly, or reload a model trained before with the same inputs
   (:func:`model_name` hashes them; :func:`decondl.profile.model_dir` keeps quick and full
   models apart).
5. :func:`predict_care` - restore images.

Classical baselines are tuned on validation images with :func:`tune_wiener` and
:func:`tune_rl`. TensorFlow and CSBDeep are imported only inside the functions that need them.

Layout (private modules; import the names from ``decondl.restore``): ``_data`` (pairs,
normalisation, patches; the simulation and the normaliser are :mod:`decondl.datasets`, shared
with StarDist), ``_network`` (configuration, a fixed-size network, training memory),
``_train`` (training, reloading, prediction), ``_baselines`` (Wiener and RL tuned, timing,
the comparison of chapter 5).

References
----------
.. [1] M. Weigert et al., "Content-aware image restoration: pushing the limits of fluorescence
   microscopy", Nature Methods 15, 1090-1097 (2018). :doi:`10.1038/s41592-018-0216-7`
"""

from decondl.restore._baselines import (
    best_time,
    mean_scores,
    race,
    restore_all,
    tune_rl,
    tune_wiener,
)
from decondl.restore._data import (
    DEFAULT_PERCENTILES,
    make_patches,
    normalize_input,
    simulate_pairs,
)
from decondl.restore._network import care_config, care_network, training_memory
from decondl.restore._train import model_name, predict_care, train_care

__all__ = [
    "DEFAULT_PERCENTILES",
    "best_time",
    "care_config",
    "care_network",
    "make_patches",
    "mean_scores",
    "model_name",
    "normalize_input",
    "predict_care",
    "race",
    "restore_all",
    "simulate_pairs",
    "train_care",
    "training_memory",
    "tune_rl",
    "tune_wiener",
]
