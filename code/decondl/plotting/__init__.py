"""Figure helpers of the book: each returns a :class:`matplotlib.figure.Figure`.

The helpers only draw; the numbers they show are computed by tested functions elsewhere
in :mod:`decondl` (and, for the interactive figures, by the pure functions of
:mod:`decondl.widgets`). Figures are created with :class:`matplotlib.figure.Figure`
directly (not ``pyplot``), so they are never shown twice and never leak memory in a loop.

Modules, by chapter topic:

- :mod:`~decondl.plotting.common`: image panels, scale bars, label colours, crops, losses;
- :mod:`~decondl.plotting.networks`: chapters 1-2 (CNN building blocks, U-Net, receptive fields);
- :mod:`~decondl.plotting.image_formation`: chapter 3;
- :mod:`~decondl.plotting.deconvolution`: chapter 4;
- :mod:`~decondl.plotting.restoration`: chapter 5;
- :mod:`~decondl.plotting.segmentation`: chapter 6.

Every public name is importable from :mod:`decondl.plotting` itself.
"""

from decondl.plotting.common import (
    MAX_COLUMNS,
    OKABE_ITO,
    TITLE_SIZE,
    add_scalebar,
    crop_box,
    label_cmap,
    panel_grid,
    plot_history,
    plot_image_table,
    plot_images,
)
from decondl.plotting.deconvolution import plot_rl_iteration, plot_tuning_curve, plot_wiener
from decondl.plotting.image_formation import (
    plot_fwhm_vs_na,
    plot_image_formation,
    plot_psf_sections,
)
from decondl.plotting.networks import (
    plot_activations,
    plot_feature_maps,
    plot_receptive_field_maps,
    plot_receptive_field_vs_psf,
    plot_task_types,
    plot_unet_architecture,
)
from decondl.plotting.restoration import plot_method_crops
from decondl.plotting.segmentation import (
    outline_rgb,
    plot_ap_curves,
    plot_label_overlays,
    plot_star_convex,
    plot_threshold_result,
)

__all__ = [
    "MAX_COLUMNS",
    "OKABE_ITO",
    "TITLE_SIZE",
    "add_scalebar",
    "crop_box",
    "label_cmap",
    "outline_rgb",
    "panel_grid",
    "plot_activations",
    "plot_ap_curves",
    "plot_feature_maps",
    "plot_fwhm_vs_na",
    "plot_history",
    "plot_image_formation",
    "plot_image_table",
    "plot_images",
    "plot_label_overlays",
    "plot_method_crops",
    "plot_psf_sections",
    "plot_receptive_field_maps",
    "plot_receptive_field_vs_psf",
    "plot_rl_iteration",
    "plot_star_convex",
    "plot_task_types",
    "plot_threshold_result",
    "plot_tuning_curve",
    "plot_unet_architecture",
    "plot_wiener",
]
