"""Course package of *Deep Learning and Deconvolution for Microscopy*.

Every chapter of the book imports its reusable computations from here. Importing
:mod:`decondl` is cheap: it never imports TensorFlow; the deep-learning modules
(``nets``, ``restore``, ``segment``) import it only when they are used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
