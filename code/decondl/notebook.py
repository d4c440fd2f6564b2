"""Showing results the same way in the book build, in Jupyter and in Colab.

The book's prose quotes numbers and figures computed at build time with MyST-NB's ``glue``:
the cell stores a value under a name and the text refers to it (``{glue:text}`name```).
Outside the build (a notebook in Colab or a local Jupyter) there is no text that refers to the
value, so :func:`glue` shows it in the cell's output instead. Chapters therefore import
``glue`` from here, never from ``myst_nb``, and run unchanged everywhere.

The book build's extension sets ``DECONDL_BOOK_BUILD=1`` in the environment of every kernel it
starts (:data:`BUILD_VAR`); that is how :func:`in_book_build` knows.
"""

from __future__ import annotations

import os
import sys

__all__ = ["BUILD_VAR", "glue", "in_book_build", "in_colab"]

#: Environment variable set to ``"1"`` by the book build for every notebook kernel it runs.
BUILD_VAR = "DECONDL_BOOK_BUILD"


def in_book_build() -> bool:
    """Return True when the code runs inside the book build (``DECONDL_BOOK_BUILD=1``)."""
    return os.environ.get(BUILD_VAR, "") == "1"


def in_colab() -> bool:
    """Return True when the code runs in Google Colab (its ``google.colab`` module is loaded)."""
    return "google.colab" in sys.modules


def glue(name: str, value, display: bool = True) -> None:
    """Store ``value`` under ``name`` for the book's text, or show it outside the book build.

    Parameters
    ----------
    name : str
        The name the book's text uses (``{glue:text}`name``` or ``{glue:figure} name``).
    value : object
        A number, string, matplotlib Figure or any object IPython can display.
    display : bool, default True
        In the book build, whether the value is also shown in the cell's output (as in
        :func:`myst_nb.glue`). Outside the build the value is always shown, because no
        text refers to it: a figure is drawn, other values are printed as ``name = value``.

    Raises
    ------
    TypeError
        If ``name`` is not a non-empty string or ``display`` is not a bool.

    Examples
    --------
    >>> glue("psnr_raw", 21.5)  # outside the build: prints the value
    psnr_raw = 21.5
    """
    from decondl._checks import as_bool

    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    display = as_bool(display, "display")
    if in_book_build():
        from myst_nb import glue as myst_glue

        myst_glue(name, value, display=display)
        return
    _show(name, value)


def _show(name: str, value) -> None:
    """Display ``value`` in a notebook, or print it when there is no rich display."""
    from matplotlib.figure import Figure

    if isinstance(value, Figure) or hasattr(value, "_repr_html_"):
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            display(value)
            return
        if isinstance(value, Figure):
            print(f"{name}: figure ({value.get_figwidth():g} x {value.get_figheight():g} in)")
            return
    if isinstance(value, float):
        print(f"{name} = {value:.6g}")
    else:
        print(f"{name} = {value}")
