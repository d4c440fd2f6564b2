r"""Classical deconvolution: inverse filter, Wiener filter and Richardson-Lucy.

Taught in chapter 4 (*Classical deconvolution*) and used again as the baselines of
chapter 5 (CARE) and chapter 6 (segmentation). All three functions share one
imaging model, :math:`y = h * x + b + n`: the observed ``image`` :math:`y` is the
object :math:`x` convolved with the point spread function ``psf`` :math:`h`, plus a
constant ``background`` :math:`b` and noise :math:`n`.

Conventions shared by every function of this module:

* ``image`` is a real 2D ``(Y, X)`` or 3D ``(Z, Y, X)`` array. ``float32`` input is
  computed and returned in ``float32``, ``float64`` in ``float64``; integer input is
  converted to ``float64`` (``float16`` to ``float32``). The output has the image's
  shape.
* ``psf`` has the same number of dimensions as ``image``. Its centre (the pixel
  that maps a point onto itself) is at index ``psf.shape // 2`` along every axis:
  the middle pixel for an odd size, the pixel just after the middle for an even
  size (the same convention as :func:`skimage.restoration.wiener`). It must be
  non-negative with a positive sum and is normalised to sum 1 inside, so a PSF
  that was scaled by mistake does not change the flux of the result. It may be
  larger than the image (a short z-stack with a tall 3D PSF): the padding below
  handles it.
* Bad input (NaN/inf, empty, complex, non-numeric, wrong dimensions, negative PSF,
  bad parameters) raises :class:`ValueError` or :class:`TypeError` naming the
  argument.

**Borders.** A product of discrete Fourier transforms is a *circular*
convolution: used naively, light leaving the image on one side re-enters on the
opposite side (wrap-around). Each axis of length :math:`n` is therefore padded
before the FFTs (except with ``pad_mode="wrap"``, below) and the result cropped
back to the field of view. With
:math:`h = \lfloor p/2 \rfloor` the PSF half-width along that axis (:math:`p`
its length):

* Richardson-Lucy extends the image by :math:`h` pixels on both sides
  (values from ``pad_mode``, below) and then leaves a band of at least
  :math:`2h` pixels in which the data is *unobserved*: the estimate may be
  non-zero there, but the ratio of data to model is set to zero, and the update
  is normalised by the fraction of each pixel's light that lands on observed
  pixels (the boundary method of Bertero and Boccacci, 2005,
  https://doi.org/10.1051/0004-6361:20052717). A blurred pixel only reaches :math:`h`
  pixels far, so the half of the band that follows the image only exchanges
  light with the end of the image, the other half (which the FFT period places
  just before the image) only with its start: the iteration has no
  wrap-around at all, however many iterations run. (With padding alone, the two
  margins would exchange light across the period from the second iteration on
  and leak it into the opposite border.) The field of view sees only the
  extended data during the first iteration; what the extension gets wrong then
  creeps inwards by at most :math:`p - 1` pixels per iteration, as in any
  iterative method with borders, but weakly: a flat image stays flat to
  :math:`10^{-4}`.
* :func:`wiener` and :func:`inverse_filter` extend the image by at least
  :math:`4h` (about two PSF widths) on both sides. Their restoring kernel has no
  finite support, so the extension only makes the wrapped-around part decay:
  for a moderate ``balance`` it is far below the rounding error (for example
  :math:`10^{-9}` of the signal for ``balance=1e-2``), but with almost no
  regularisation (the inverse filter) it is not.

The padded length is then rounded up to an FFT-friendly (5-smooth) length with
:func:`scipy.fft.next_fast_len`. For Richardson-Lucy the spare pixels widen the
unobserved band, so its result does not depend on the length chosen (a tile of
an image, with another FFT length, is extended exactly like the whole image);
for the filters they widen the extension. The extension values come from
``pad_mode`` (numpy's :func:`numpy.pad` modes):

``"reflect"`` (default)
    mirror about the edge pixel, ``d c b | a b c d | c b a``: a smooth
    continuation, so that no sharp edge is invented at the border.
``"symmetric"``
    mirror including the edge pixel, ``c b a | a b c d | d c b``.
``"edge"``
    repeat the edge pixel.
``"constant"``
    zeros. For Richardson-Lucy this means the scikit-image model instead: no
    extension, the object is zero outside the field of view and the data
    unobserved there, without normalisation. That is exactly the problem that
    :func:`skimage.restoration.richardson_lucy` solves with
    ``scipy.signal.convolve(..., mode="same")``; it distorts the estimate near the
    borders (a flat image does not stay flat), which the default avoids.
``"wrap"``
    no padding at all: the image is taken as one period of a periodic image, so
    the FFT product is the circular convolution and light leaving one border
    re-enters on the opposite one. This is what a bare textbook implementation
    (``fftn`` of the image times the OTF at the image's size) computes; it is
    offered to show the wrap-around artefacts and as the exact reference of the
    exercise checks (:mod:`decondl.exercises.deconvolution`), not for real data.
    The PSF must not be larger than the image along any axis.

**Speed.** The optical transfer function (OTF, the FFT of the centred PSF) is
computed once per call with real FFTs (:func:`scipy.fft.rfftn`) at the padded
size; correlation with the PSF (the adjoint needed by Richardson-Lucy) is a
product with the complex conjugate of the OTF, so no flipped PSF is transformed.
One Richardson-Lucy iteration therefore costs two FFT pairs (one forward plus one
inverse real FFT each) and a few in-place element-wise operations, all in the
image's precision, with ``workers`` threads per FFT (:mod:`scipy.fft` splits the
lines of each transform between them; the result does not depend on the number of
threads). ``scikit-image`` instead calls :func:`scipy.signal.convolve` twice per
iteration, which transforms the PSF again each time (six FFTs per iteration instead
of four) on one core. ``benchmarks/deconvolution.py`` measures the difference.

**Backends.** :func:`richardson_lucy` and :func:`wiener` take ``backend="numpy"`` (the
default, :mod:`scipy.fft` on the CPU, as above) or ``backend="tensorflow"``: the same checks,
padding plan, OTF and starting values, but the FFTs (``tf.signal.rfft2d`` /
``tf.signal.rfft3d``) and the iteration's arithmetic run in TensorFlow, on its first GPU
when it sees one (the device that runs CARE in chapter 5), else on its CPU. The results agree
to rounding error (``tests/test_deconvolve_tensorflow.py``). TensorFlow is imported only when
that backend is asked for, through :func:`decondl.backend.tensorflow`.

**Layout.** The public functions live in ``_filters`` (:func:`inverse_filter`,
:func:`wiener`) and ``_richardson_lucy`` (:func:`richardson_lucy`); both lay the
image out with the padding plan of ``_padding`` (:class:`~decondl.deconvolve._padding.PadPlan`,
independent of the FFT library) and compute with the Fourier engine of ``_engine``
(OTF, circular convolution, the Richardson-Lucy loop); ``_tensorflow`` is the same engine in
TensorFlow and ``_inputs`` holds the shared argument checks. A tiled version can likewise
reuse the plan and replace only the engine.
"""

from decondl.deconvolve._filters import inverse_filter, wiener
from decondl.deconvolve._padding import PAD_MODES
from decondl.deconvolve._richardson_lucy import richardson_lucy

__all__ = ["PAD_MODES", "inverse_filter", "richardson_lucy", "wiener"]
