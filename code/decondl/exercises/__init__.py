"""Automatic checks of the book's exercises: ``check_<name>(answer)`` returns a :class:`Verdict`.

Each chapter's checks live in their own module (``cnn``, ``unet``, ``image_formation``,
``deconvolution``, ``care``, ``segmentation``, ``large_images``) and are importable from here::

    from decondl.exercises import check_receptive_field
    check_receptive_field(answer)

A check never raises for a wrong answer: it returns a verdict that is truthy only when the answer
is right and shows as a coloured line in a notebook, with a targeted hint when the answer matches
a mistake students are known to make. In the book build (strict mode, see
:func:`~decondl.exercises.strict_mode`) a failing check raises, so the build proves that every
reference solution passes its own check.
"""

from decondl.exercises import (
    _core,
    care,
    cnn,
    deconvolution,
    image_formation,
    large_images,
    segmentation,
    unet,
)
from decondl.exercises._core import *  # noqa: F403
from decondl.exercises.care import *  # noqa: F403
from decondl.exercises.cnn import *  # noqa: F403
from decondl.exercises.deconvolution import *  # noqa: F403
from decondl.exercises.image_formation import *  # noqa: F403
from decondl.exercises.large_images import *  # noqa: F403
from decondl.exercises.segmentation import *  # noqa: F403
from decondl.exercises.unet import *  # noqa: F403

#: Every chapter module, in the order of the book.
CHAPTERS = (cnn, unet, image_formation, deconvolution, care, segmentation, large_images)

__all__ = ["CHAPTERS", *_core.__all__] + [name for chapter in CHAPTERS for name in chapter.__all__]
