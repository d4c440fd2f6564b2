"""Point spread functions (PSFs): models, measurement and validation.

Every PSF returned here is a float64 array with odd sizes, centred (its peak on
the central pixel ``shape // 2``), non-negative and normalised to sum 1, so that
blurring with it preserves the total flux.

Functions
---------
gaussian_psf
    Separable Gaussian in 2D or 3D: the simplest blur model.
airy_psf
    In-focus 2D Airy (Born-Wolf) pattern of a circular pupil, integrated over pixels.
widefield_psf_3d
    3D widefield PSF (scalar Gibson-Lanni or vectorial model) computed with ``psfmodels``.
fwhm_px
    Full width at half maximum of a PSF along one axis, in pixels.
fwhm_vs_na
    FWHM of the Airy PSF measured for several numerical apertures and wavelengths.
locate_beads
    Find beads in an image (local maxima, refined to a fraction of a pixel by centroids).
extract_psf
    Learn a PSF from an image of sub-resolution beads at known positions.
normalize_psf
    The PSF rule of :func:`decondl._checks.as_psf` plus a dimension count and odd sizes.
"""

from decondl.psf.measure import extract_psf, fwhm_px, fwhm_vs_na, locate_beads
from decondl.psf.models import airy_psf, gaussian_psf, normalize_psf, widefield_psf_3d

__all__ = [
    "airy_psf",
    "extract_psf",
    "fwhm_px",
    "fwhm_vs_na",
    "gaussian_psf",
    "locate_beads",
    "normalize_psf",
    "widefield_psf_3d",
]
