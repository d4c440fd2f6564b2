"""book/_ext/decondl_build.py: a page whose outputs come from the cache keeps them in its .ipynb."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from conftest import ROOT

EXT = str(ROOT / "book" / "_ext")
PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A page

```{code-cell} ipython3
print(6 * 7)
```
"""


def build(tmp_path, *, restore):
    """Build a one-page MyST-NB book with execution cache; return the executed notebook's outputs.

    Sphinx runs in its own process: MyST-NB changes Sphinx defaults in place (the source
    suffixes), which would leak into the other tests' builds.
    """
    src, out = tmp_path / "src", tmp_path / "_build" / "html"
    src.mkdir(exist_ok=True)
    hook = "app.connect('doctree-read', decondl_build._restore_download)" if restore else "pass"
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {EXT!r})\nimport decondl_build\n"
        "extensions = ['myst_nb']\n"
        "nb_execution_mode = 'cache'\n"
        f"nb_execution_cache_path = {str(tmp_path / 'cache')!r}\n"
        f"def setup(app):\n    {hook}\n"
    )
    (src / "index.md").write_text(PAGE)
    command = [sys.executable, "-m", "sphinx", "-E", "-q", "-b", "html"]
    command += ["-d", str(tmp_path / "doctrees"), str(src), str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0 and "WARNING" not in run.stderr, run.stderr
    nb = nbformat.read(tmp_path / "_build" / "jupyter_execute" / "index.ipynb", as_version=4)
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def test_cached_page_keeps_its_outputs_in_the_download(tmp_path):
    executed = build(tmp_path, restore=True)  # first build: executed, cached
    assert executed and executed[0]["text"] == "42\n"
    cached = build(tmp_path, restore=True)  # second build: outputs from the cache
    assert cached == executed


def test_without_the_hook_the_cached_download_is_empty(tmp_path):
    # The MyST-NB behaviour the hook repairs (if this starts failing, MyST-NB fixed it and
    # the hook can go).
    assert build(tmp_path, restore=False)
    assert build(tmp_path, restore=False) == []
