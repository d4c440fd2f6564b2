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
