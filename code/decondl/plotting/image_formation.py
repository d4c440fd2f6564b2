"""Figures of chapter 3 (image formation): PSF width against NA, PSF sections, an acquisition.

The numbers come from :mod:`decondl.psf` and :mod:`decondl.forward`; these functions only
draw them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from decondl._checks import as_float_array, as_number
from decondl.plotting.common import TITLE_SIZE, plot_images

__all__ = ["plot_fwhm_vs_na", "plot_image_formation", "plot_psf_sections"]

#: Colours of the wavelengths of chapter 3 (blue, green and red emission).
_WAVELENGTH_COLOURS = {0.45: "tab:blue", 0.52: "tab:green", 0.65: "tab:red"}


def plot_fwhm_vs_na(nas: Sequence[float], fwhm_um: Mapping[float, Sequence[float]]) -> Figure:
    r"""Plot the measured FWHM of the PSF against NA, for several wavelengths.

    The measured widths (points) are compared with :math:`0.51\,\lambda/\mathrm{NA}`, the
    FWHM of the Airy pattern (lines).

    Parameters
    ----------
    nas : sequence of float
        Numerical apertures.
    fwhm_um : mapping of float to sequence of float
        Emission wavelength in micrometres to the FWHM in micrometres at each of ``nas``,
        e.g. from :func:`decondl.psf.fwhm_vs_na`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a row of ``fwhm_um`` does not have one width per NA.

    Examples
    --------
    >>> fig = plot_fwhm_vs_na([0.5, 1.0], {0.5: [0.51, 0.255]})
    >>> len(fig.axes[0].lines)
    2
    """
    nas = np.asarray(nas, dtype=float)
    fig = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    na_line = np.linspace(nas.min(), nas.max(), 100)
    for wavelength, widths in fwhm_um.items():
        widths = np.asarray(widths, dtype=float)
        if widths.shape != nas.shape:
            raise ValueError(
                f"fwhm_um[{wavelength!r}] must have one width per NA ({nas.size}), "
                f"got shape {widths.shape}"
            )
        color = _WAVELENGTH_COLOURS.get(round(wavelength, 2))
        ax.plot(nas, widths * 1000, "o", color=color, label=f"λ = {wavelength * 1000:.0f} nm")
        ax.plot(na_line, 0.51 * wavelength / na_line * 1000, "-", color=color, alpha=0.6)
    ax.set_xlabel("numerical aperture NA")
    ax.set_ylabel("FWHM of the PSF (nm)")
    ax.legend(title="points: measured\nlines: 0.51 λ/NA", fontsize=10, title_fontsize=10)
    ax.grid(alpha=0.3)
    return fig


def plot_psf_sections(psf3d: np.ndarray, *, pixel_size_um: float, z_step_um: float) -> Figure:
    """Show the central xy and xz sections of a 3D PSF on a logarithmic scale.

    Parameters
    ----------
    psf3d : ndarray, shape (nz, ny, nx)
        Centred 3D PSF.
    pixel_size_um, z_step_um : float
        Lateral pixel size and axial step in micrometres (for the axes' aspect ratio).

    Returns
    -------
    matplotlib.figure.Figure
    """
    psf3d = as_float_array(psf3d, "psf3d", ndims=(3,))
    pixel_size_um = as_number(pixel_size_um, "pixel_size_um", low=0, low_open=True)
    z_step_um = as_number(z_step_um, "z_step_um", low=0, low_open=True)
    cz, cy, _ = (s // 2 for s in psf3d.shape)
    floor = psf3d.max() * 1e-4
    xy = np.log10(np.maximum(psf3d[cz], floor))
    xz = np.log10(np.maximum(psf3d[:, cy, :], floor))
    nz, ny, nx = psf3d.shape
    fig = Figure(figsize=(7.5, 3.4), layout="constrained")
    ax_xy, ax_xz = fig.subplots(1, 2)
    half_x = nx * pixel_size_um / 2
    half_z = nz * z_step_um / 2
    for ax, data, extent, title in (
        (ax_xy, xy, (-half_x, half_x, -half_x, half_x), "xy section (in focus)"),
        (ax_xz, xz, (-half_x, half_x, -half_z, half_z), "xz section (along the optical axis)"),
    ):
        im = ax.imshow(data, cmap="magma", extent=extent, origin="lower", interpolation="nearest")
        ax.set_title(title, fontsize=TITLE_SIZE - 1)
        ax.set_xlabel("x (µm)")
    ax_xy.set_ylabel("y (µm)")
    ax_xz.set_ylabel("z (µm)")
    fig.colorbar(im, ax=[ax_xy, ax_xz], label="log10 of the PSF (relative)", shrink=0.8)
    return fig


def plot_image_formation(truth, kernel, acquisition, *, scope, fwhm_nm: float) -> Figure:
    """Show the truth, the PSF and the simulated acquisition of one microscope setting.

    Taught in chapter 3; :func:`decondl.widgets.image_formation_figure` computes what it
    shows (the figure of :func:`decondl.widgets.image_formation_explorer`).

    Parameters
    ----------
    truth : ndarray, shape (ny, nx)
        Ground truth in [0, 1].
    kernel : ndarray, shape (py, px)
        The microscope's PSF (``scope.psf()``).
    acquisition : ndarray, shape (ny, nx)
        The simulated recording (``scope.acquire(truth, ...)``).
    scope : decondl.forward.Microscope
        The settings, for the titles (``photons``, ``read_noise``) and the scale bar
        (``pixel_size_um``).
    fwhm_nm : float
        FWHM of ``kernel`` in nanometres, for the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    return plot_images(
        [truth, kernel, acquisition],
        [
            "ground truth",
            f"PSF, enlarged (FWHM {fwhm_nm:.0f} nm)",
            f"acquisition ({scope.photons:g} photons, read noise {scope.read_noise:g} e⁻)",
        ],
        cmap="magma",
        size=2.4,
        pixel_size_um=scope.pixel_size_um,
    )
