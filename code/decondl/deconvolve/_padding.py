r"""Where the image sits in the padded FFT grid: the padding plan shared by every method.

A product of discrete Fourier transforms is a *circular* convolution, so each axis is
padded before the FFTs and the result cropped back to the field of view (see the
docstring of :mod:`decondl.deconvolve` for why and by how much). A :class:`PadPlan`
holds that layout and nothing else: it knows no FFT library, so the NumPy/SciPy
functions of this package, a TensorFlow version or a tiled (Dask) version can all use it.

Layout of one axis of the padded grid (length ``m``), image length ``n``::

    | image (n) | extension after | band | extension before |
      ^ index before                       (wraps around to just before the image)

``np.pad`` writes the extension *before* the image at the start of the array; the
period of the FFT then puts it, unchanged, just before the image. The *band* (zero in
the data) is unobserved: Richardson-Lucy estimates the object there without fitting
data, the filters do not have one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

__all__ = ["FILTER_EXTEND", "PAD_MODES", "RL_BAND", "PadPlan", "filter_plan", "plan", "rl_plan"]

#: Padding modes accepted by ``pad_mode`` (see the :mod:`decondl.deconvolve` docstring).
PAD_MODES = ("reflect", "symmetric", "edge", "constant", "wrap")

#: Wiener and the inverse filter extend the image by this many PSF half-widths per side.
FILTER_EXTEND = 4
#: Richardson-Lucy leaves an unobserved band of this many PSF half-widths per axis.
RL_BAND = 2


@dataclass(frozen=True)
class PadPlan:
    """The padded FFT grid of one image: extension widths and padded shape.

    Attributes
    ----------
    image_shape : tuple of int
        Shape of the field of view (the image).
    widths : tuple of (int, int)
        Extension ``(before, after)`` per axis, in pixels (``np.pad`` widths).
    shape : tuple of int
        Shape of the padded grid, FFT-friendly; ``shape - image_shape - before - after``
        is the unobserved band per axis.
    """

    image_shape: tuple[int, ...]
    widths: tuple[tuple[int, int], ...]
    shape: tuple[int, ...]

    @property
    def fov(self) -> tuple[slice, ...]:
        """Index of the field of view inside the padded grid."""
        return tuple(
            slice(b, b + n) for (b, _), n in zip(self.widths, self.image_shape, strict=True)
        )

    @property
    def observed(self) -> tuple[slice, ...]:
        """Index of the image and its extension (everything but the band)."""
        return tuple(
            slice(0, b + n + a) for (b, a), n in zip(self.widths, self.image_shape, strict=True)
        )

    def observed_mask(self, dtype=bool) -> np.ndarray:
        """Return an array of ``shape``: 1 on the image and its extension, 0 in the band."""
        mask = np.zeros(self.shape, dtype=dtype)
        mask[self.observed] = 1
        return mask

    def crop(self, padded: np.ndarray) -> np.ndarray:
        """Return the field of view of ``padded`` as a C-contiguous array.

        A copy, except without padding (``"wrap"``), where ``padded`` itself is returned.
        """
        return np.ascontiguousarray(padded[self.fov])

    def embed(self, image: np.ndarray, pad_mode: str) -> np.ndarray:
        """Return ``image`` extended with ``pad_mode`` and placed in ``zeros(shape)``.

        The band stays zero (unobserved). ``"constant"`` extends with zeros.
        """
        padded = np.pad(image, self.widths, mode=pad_mode)
        if padded.shape == self.shape:
            return padded
        out = np.zeros(self.shape, dtype=image.dtype)
        out[tuple(slice(0, n) for n in padded.shape)] = padded
        return out

    def extend_everywhere(self, image: np.ndarray, pad_mode: str) -> np.ndarray:
        """Return ``image`` extended with ``pad_mode`` over the whole periodic grid.

        The layout of :meth:`embed` with the band filled too: its first half continues
        the extension after the image, its second half (which the FFT period puts just
        before the image) the extension before it.
        """
        full_widths, second_halves = [], []
        for (before, after), n, m in zip(self.widths, image.shape, self.shape, strict=True):
            band = m - n - before - after
            full_widths.append((before + band // 2, after + band - band // 2))
            second_halves.append(band // 2)
        full = np.pad(image, full_widths, mode=pad_mode)
        return np.roll(full, [-k for k in second_halves], axis=tuple(range(image.ndim)))


def plan(image_shape, psf_shape, *, extend: int, band: int) -> PadPlan:
    """Return the plan that extends by ``extend`` and leaves a band of ``band`` half-widths.

    Along an axis of length ``n`` with PSF length ``p`` and half-width ``h = p // 2``,
    the image is extended by at least ``extend * h`` pixels on both sides, followed
    by an unobserved band of at least ``band * h`` pixels, up to the FFT-friendly
    length ``m = scipy.fft.next_fast_len(n + 2 * extend * h + band * h, real=True)``.
    The spare pixels widen the band; without a band (``band == 0``) they widen the
    extension. An unobserved band wider than needed changes nothing in the field of
    view, so a Richardson-Lucy result does not depend on how far ``m`` was rounded up:
    two grids of different lengths (a whole image and a tile of it in
    :mod:`decondl.tiled`) see the same extension of exactly ``extend * h`` pixels.

    Examples
    --------
    >>> plan((100,), (11,), extend=1, band=2)
    PadPlan(image_shape=(100,), widths=((5, 5),), shape=(120,))
    >>> plan((101,), (11,), extend=1, band=2)  # 121 rounded up to 125: a wider band
    PadPlan(image_shape=(101,), widths=((5, 5),), shape=(125,))
    >>> plan((101,), (11,), extend=4, band=0)  # no band: a wider extension
    PadPlan(image_shape=(101,), widths=((21, 22),), shape=(144,))
    """
    widths, shape = [], []
    for n, p in zip(image_shape, psf_shape, strict=True):
        half = p // 2
        minimum = n + 2 * extend * half + band * half
        m = scipy.fft.next_fast_len(minimum, real=True)
        spare = 0 if band else m - minimum
        before = extend * half + spare // 2
        after = extend * half + spare - spare // 2
        widths.append((before, after))
        shape.append(m)
    return PadPlan(tuple(image_shape), tuple(widths), tuple(shape))


def _no_padding(image_shape, psf_shape) -> PadPlan:
    """Return the plan of ``pad_mode="wrap"``: the image's own grid."""
    if any(p > n for p, n in zip(psf_shape, image_shape, strict=True)):
        raise ValueError(
            f"with pad_mode='wrap' the psf must not be larger than the image along any axis, "
            f"got psf shape {tuple(psf_shape)} for image shape {tuple(image_shape)}"
        )
    return PadPlan(tuple(image_shape), ((0, 0),) * len(image_shape), tuple(image_shape))


def filter_plan(image_shape, psf_shape, pad_mode: str) -> PadPlan:
    """Return the plan of :func:`~decondl.deconvolve.wiener` and the inverse filter.

    Extension by :data:`FILTER_EXTEND` half-widths, no band; no padding for ``"wrap"``.
    """
    if pad_mode == "wrap":
        return _no_padding(image_shape, psf_shape)
    return plan(image_shape, psf_shape, extend=FILTER_EXTEND, band=0)


def rl_plan(image_shape, psf_shape, pad_mode: str) -> PadPlan:
    """Return the plan of :func:`~decondl.deconvolve.richardson_lucy`.

    ``"wrap"``: no padding (circular). ``"constant"``: the problem of scikit-image, no
    extension (the object is zero outside the image) and a band of :data:`RL_BAND`
    half-widths. Otherwise one half-width of extension and the band.
    """
    if pad_mode == "wrap":
        return _no_padding(image_shape, psf_shape)
    extend = 0 if pad_mode == "constant" else 1
    return plan(image_shape, psf_shape, extend=extend, band=RL_BAND)
