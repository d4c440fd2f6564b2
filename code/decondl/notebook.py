"""Showing results the same way in the book build, in Jupyter and in Colab.

The book's prose quotes numbers and figures computed at build time with MyST-NB's ``glue``:
the cell stores a value under a name and the text refers to it (``{glue:text}`name```).
Outside the build (a notebook in Colab or a local Jupyter) there is no text that refers to the
value, so :func:`glue` shows it in the cell's output instead. Chapters therefore import
``glue`` from here, never from ``myst_nb``, and run unchanged everywhere.

The book build's extension sets ``DECONDL_BOOK_BUILD=1`` in the environment of every kernel it
starts (:data:`BUILD_VAR`); that is how :func:`in_book_build` knows.

:func:`format_duration` writes a measured time for the text ("45 s", "3.5 min").
:func:`count_words` and :func:`reading_minutes` measure a page's prose: the book's
``{reading-time}`` role (``book/_ext/decondl_site.py``) and the Colab notebooks quote the same
number, computed from the page when the book is built.
"""

from __future__ import annotations

import math
import os
import re
import sys

from decondl._checks import as_bool, as_int, as_number

__all__ = [
    "BUILD_VAR",
    "count_words",
    "format_duration",
    "glue",
    "in_book_build",
    "in_colab",
    "reading_minutes",
]

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


#: A fence that opens a block (backticks, tildes or MyST colons) and its info string.
_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
#: A directive option line, ``:name: value``.
_OPTION = re.compile(r"^\s*:[A-Za-z][\w-]*:(\s|$)")
#: A MyST role's name, ``{name}`` before its backticked content.
_ROLE = re.compile(r"\{[A-Za-z][\w:.-]*\}(?=`)")
#: A glued value, ``{glue:text}`name:format```: the reader sees one number.
_GLUE = re.compile(r"\{glue[\w:]*\}`[^`]*`")
#: Directives whose argument is a title the reader reads.
_TITLED = ("{admonition}", "{exercise}")
#: A word: letters or digits, with inner apostrophes, hyphens, dots or commas (3.5, it's).
_WORD = re.compile(r"[^\W_]+(?:[\'’.,-][^\W_]+)*")


def count_words(markdown: str) -> int:
    r"""Count the words a reader reads on a MyST markdown page.

    Parameters
    ----------
    markdown : str
        The page's source (jupytext MyST markdown).

    Returns
    -------
    int
        Number of words of prose, figure captions and admonitions included.

    Raises
    ------
    TypeError
        If ``markdown`` is not a string.

    Notes
    -----
    Not counted: the YAML front matter, code cells (``{code-cell}`` fences), plain code
    blocks, display math (``$$`` blocks and ``{math}`` directives), directive option lines
    (``:name:``, ``:alt:``, ...), the fence lines themselves (except the titles of
    ``{admonition}`` and ``{exercise}``), cross-reference targets (``(label)=``) and role
    names (``{cite}`` counts only its content; a glued value is one word). A word is a run of
    letters or digits, possibly joined by an apostrophe, hyphen, dot or comma (``3.5``,
    ``it's``, ``Richardson-Lucy`` are one word each).

    Examples
    --------
    >>> count_words("# A title\n\nTwo words, {cite}`key`.\n\n```{code-cell}\nx = 1\n```")
    5
    """
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    lines = markdown.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        lines = lines[end + 1 :] if end is not None else []
    kept, closing, in_math, directives = [], None, False, []
    for line in lines:
        stripped = line.strip()
        if closing is not None:  # inside a skipped block: wait for its closing fence
            if _closes(stripped, closing):
                closing = None
            continue
        if in_math:
            in_math = not stripped.endswith("$$")
            continue
        if stripped.startswith("$$"):
            in_math = len(stripped) < 4 or not stripped.endswith("$$")
            continue
        fence = _FENCE.match(line)
        if fence:
            info = fence["info"].strip()
            if directives and not info and _closes(stripped, directives[-1]):
                directives.pop()  # the end of a directive: its body was counted
            elif info.startswith("{") and not info.startswith(("{code-cell}", "{math}")):
                directives.append(fence["fence"])  # a directive: count its body
                if info.startswith(_TITLED):
                    kept.append(info.split("}", 1)[1])
            else:
                closing = fence["fence"]  # code, a code cell or math: skip to its end
            continue
        if _OPTION.match(line) or re.match(r"^\s*\([\w-]+\)=\s*$", line):
            continue
        kept.append(_ROLE.sub("", _GLUE.sub("0", line)))
    return len(_WORD.findall("\n".join(kept)))


def _closes(stripped: str, fence: str) -> bool:
    """Return True if the stripped line closes a block opened by ``fence``."""
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def reading_minutes(markdown: str, words_per_minute: int = 200) -> int:
    """Return the reading time of a MyST markdown page in whole minutes (at least 1).

    Parameters
    ----------
    markdown : str
        The page's source.
    words_per_minute : int, optional
        Reading speed (> 0); 200 is a common figure for technical text read with care.

    Returns
    -------
    int
        ``ceil(count_words(markdown) / words_per_minute)``, at least 1.

    Raises
    ------
    TypeError, ValueError
        If ``markdown`` is not a string or ``words_per_minute`` is not a positive int.

    Examples
    --------
    >>> reading_minutes("word " * 450)
    3
    """
    words_per_minute = as_int(words_per_minute, "words_per_minute", low=1)
    return max(1, math.ceil(count_words(markdown) / words_per_minute))


def format_duration(seconds) -> str:
    """Write a duration for the reader: "45 s" under two minutes, else "3.5 min" or "1.2 h".

    Parameters
    ----------
    seconds : float
        Duration in seconds (>= 0, finite), e.g. a difference of ``time.perf_counter()``.

    Returns
    -------
    str
        Whole seconds below 120 s, minutes with one decimal below 120 min, else hours.

    Raises
    ------
    TypeError, ValueError
        If ``seconds`` is not a real number, or is negative or not finite.

    Examples
    --------
    >>> format_duration(44.6), format_duration(210.0), format_duration(4320.0 * 2)
    ('45 s', '3.5 min', '2.4 h')
    """
    seconds = as_number(seconds, "seconds", low=0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
