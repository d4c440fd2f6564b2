"""decondl.notebook.glue: MyST-NB's glue in the book build, a visible value elsewhere."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from decondl import notebook


def test_outside_the_build_values_are_printed(monkeypatch, capsys):
    monkeypatch.delenv(notebook.BUILD_VAR, raising=False)
    assert not notebook.in_book_build()
    notebook.glue("psnr_raw", 21.123456789, display=False)
    notebook.glue("n_cells", 12)
    assert capsys.readouterr().out == "psnr_raw = 21.1235\nn_cells = 12\n"


def test_outside_the_build_a_figure_is_announced_without_ipython(monkeypatch, capsys):
    monkeypatch.delenv(notebook.BUILD_VAR, raising=False)
    notebook.glue("fig_x", Figure(figsize=(4, 3)), display=False)
    assert capsys.readouterr().out == "fig_x: figure (4 x 3 in)\n"


def test_in_the_build_myst_nb_glue_is_called(monkeypatch, capsys):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *args, **kw: calls.append((args, kw)))
    monkeypatch.setenv(notebook.BUILD_VAR, "1")
    assert notebook.in_book_build()
    notebook.glue("psnr_raw", 21.5, display=False)
    assert calls == [(("psnr_raw", 21.5), {"display": False})]
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("name", "display"), [("", False), (3, False), ("x", "False")])
def test_bad_arguments(name, display):
    with pytest.raises(TypeError, match="name|display"):
        notebook.glue(name, 1.0, display=display)


def test_in_colab_follows_sys_modules(monkeypatch):
    import sys
    import types

    assert not notebook.in_colab()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert notebook.in_colab()


# --------------------------------------------------------------------------- reading time

PAGE = """---
jupytext:
  text_representation:
    format_name: myst
---

(chapter-x)=
# One two

Three four, {cite}`five` and {glue:text}`six:.1f` dB.

```{code-cell} ipython3
:tags: [remove-cell]
not counted at all
```

```{glue:figure} fig_x
:name: fig-x
:alt: Not counted either.

Seven eight.
```

$$
\\hat F = \\frac{G}{H}
$$

$$ x = 1 $$

:::{note}
Nine ten: 3.5 Richardson-Lucy it's.
:::

```
plain code, not counted
```

````{admonition} Fourteen
```python
also code
```
Fifteen.
````
"""


def test_count_words_counts_prose_only():
    # One two | Three four five and six dB (a glued value is one word) | Seven eight |
    # Nine ten 3.5 Richardson-Lucy it's | Fourteen | Fifteen (the admonition's title is
    # prose, its code block is not)
    assert notebook.count_words(PAGE) == 2 + 6 + 2 + 5 + 1 + 1


def test_count_words_edge_cases():
    assert notebook.count_words("") == 0
    assert notebook.count_words("---\ntitle: x\n") == 0  # unclosed front matter: nothing
    assert notebook.count_words("no front matter here") == 4
    with pytest.raises(TypeError, match="markdown"):
        notebook.count_words(None)


def test_reading_minutes_rounds_up_and_checks():
    assert notebook.reading_minutes("") == 1
    assert notebook.reading_minutes("word " * 200) == 1
    assert notebook.reading_minutes("word " * 201) == 2
    assert notebook.reading_minutes("word " * 201, words_per_minute=100) == 3
    with pytest.raises(ValueError, match="words_per_minute"):
        notebook.reading_minutes("x", words_per_minute=0)
    with pytest.raises(TypeError, match="words_per_minute"):
        notebook.reading_minutes("x", words_per_minute=2.5)


def test_format_duration_known_answers():
    assert notebook.format_duration(0) == "0 s"
    assert notebook.format_duration(119.4) == "119 s"
    assert notebook.format_duration(120.0) == "2.0 min"
    assert notebook.format_duration(7199.0) == "120.0 min"
    assert notebook.format_duration(7200.0) == "2.0 h"
    for bad, error in [(-1.0, ValueError), (float("inf"), ValueError), ("5", TypeError)]:
        with pytest.raises(error, match="seconds"):
            notebook.format_duration(bad)
