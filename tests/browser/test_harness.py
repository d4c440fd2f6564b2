"""The browser checks can fail: a tiny book with one defect per page, built with the book's config.

The tiny book is built in a temporary folder from the repository's ``_config.yml``,
``book/_ext`` and ``book/_static``, so it also shows that the configuration alone gives
self-contained pages: its clean page (math, a glued figure, a widget, an exercise) must pass
every check, while each broken page must be caught by the check written for its defect.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpl_image

from . import harness
from conftest import ROOT

pytestmark = pytest.mark.browser

NB_HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

CLEAN = (
    NB_HEADER
    + r"""
# A clean page

Inline math $h \conv f$ (the book's macro) and a numbered equation:

$$
\hat f = \arg\max_f \; p(g \mid f)
$$ (eq-tiny)

See {eq}`eq-tiny`, {numref}`fig-tiny`, {ref}`ex-tiny` and the [raw TeX page](raw_tex.md).

```{code-cell} ipython3
:tags: [remove-output]
import ipywidgets
import matplotlib.pyplot as plt
from myst_nb import glue

fig, ax = plt.subplots(figsize=(3, 2))
ax.imshow([[0, 1], [1, 0]], cmap="viridis")
glue("fig_tiny", fig, display=False)
```

```{glue:figure} fig_tiny
:name: fig-tiny
:alt: A two by two checkerboard, dark and bright squares alternating.

A checkerboard.
```

A widget whose output is kept: its view must not be rendered, and no widget script loaded.

```{code-cell} ipython3
ipywidgets.IntSlider(value=3, description="n")
```

## Exercise

```{exercise}
:label: ex-tiny

Compute $2 + 2$.
```

```{solution} ex-tiny
:class: dropdown

$2 + 2 = 4$.
```
"""
)

# page -> (the check that must catch it, its text)
DEFECTS = {
    "http": ("missing_file", "# A missing file\n\n<link rel='stylesheet' href='gone.css'>\n"),
    "images": (
        "missing_image",
        "# A missing image\n\n<img src='nothere.png' alt='A picture that is not there'>\n",
    ),
    "figures": (
        "figure_as_text",
        NB_HEADER
        + "# A figure that is text\n\n```{code-cell} ipython3\n"
        + "print('<Figure size 640x480 with 1 Axes>')\n```\n",
    ),
    "external": (
        "external_script",
        "# An external script\n\n<script src='https://cdn.example.org/lib.js'></script>\n",
    ),
    "widgets": (
        "widget_state",
        "# Widget state\n\n<script type='application/vnd.jupyter.widget-state+json'>"
        '{"version_major": 2, "version_minor": 0, "state": {}}</script>\n',
    ),
    "console": ("console_error", "# A script error\n\n<script>no_such_function();</script>\n"),
    "math": ("raw_tex", "# Raw TeX\n\nMath that no one typeset: \\$x^2\\$.\n"),
    "alt": (
        "alt_filename",
        "# Alt text that is a file name\n\n<img src='../_static/pixel.png' alt='pixel.png'>\n",
    ),
    "axe": ("no_alt", "# An image without alt\n\n<img src='../_static/pixel.png'>\n"),
    "links": (
        "broken_link",
        "# Broken links\n\n<a href='nowhere.html'>gone</a> and "
        "<a href='clean.html#no-such-anchor'>no anchor</a>.\n",
    ),
    "overflow": (
        "too_wide",
        "# Too wide\n\n<div style='position: absolute; left: 0; width: 1200px; height: 4px; "
        "background: #444'></div>\n",
    ),
    "headings": ("skipped_heading", "# Skipped heading\n\n<h3>A third-level heading</h3>\n"),
    "weight": (
        "heavy",
        "# Too heavy\n\n<img src='../_static/noise.png' alt='Random grey noise, 3.5 MB of it.'>\n",
    ),
}


def write_tiny_book(root: Path) -> list[str]:
    """Write the tiny book (the repository's config, extensions and static files)."""
    (root / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copytree(ROOT / "book" / "_ext", root / "book" / "_ext")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")
    (root / "book" / "references.bib").write_text("")
    static = root / "book" / "_static"
    mpl_image.imsave(static / "pixel.png", np.ones((8, 8)), cmap="gray")
    noise = np.random.default_rng(0).integers(0, 256, (1100, 1100, 3), dtype=np.uint8)
    mpl_image.imsave(static / "noise.png", noise)
    (root / "book" / "clean.md").write_text(CLEAN)
    pages = ["book/clean"]
    for page, text in DEFECTS.values():
        (root / "book" / f"{page}.md").write_text(text)
        pages.append(f"book/{page}")
    chapters = "\n".join(f"  - file: {page}" for page in pages[1:])
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: book/clean\nchapters:\n{chapters}\n")
    return pages


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory, browser_ready) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("tiny-book")
    pages = write_tiny_book(root)
    env = dict(os.environ, DECONDL_PROFILE="quick")
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run(
        [str(jb), "build", str(root)], env=env, capture_output=True, text=True, check=False
    )
    html = root / "_build" / "html"
    missing = [page for page in pages if not (html / f"{page}.html").is_file()]
    assert proc.returncode == 0 and not missing, (missing, proc.stdout[-3000:], proc.stderr[-3000:])
    return html, pages


@pytest.fixture(scope="module")
def tiny_reports(tiny_site) -> dict[str, list[harness.PageReport]]:
    html, pages = tiny_site
    # The clean page at both widths; the defects (none depends on the width but overflow,
    # which is a phone-width check) at the phone width only, to save time.
    reports = harness.visit(html, pages[:1])
    reports += harness.visit(html, pages[1:], viewports=[harness.PHONE])
    by_page: dict[str, list[harness.PageReport]] = {}
    for report in reports:
        by_page.setdefault(report.page.removeprefix("book/"), []).append(report)
    return by_page


def test_every_check_has_a_defect_to_catch():
    assert set(DEFECTS) == set(harness.CHECKS)


def test_the_clean_page_passes_every_check(tiny_reports):
    reports = tiny_reports["clean"]
    found = {check: harness.problems(reports, check) for check in harness.CHECKS}
    assert not {check: items for check, items in found.items() if items}
    desktop = next(r for r in reports if r.viewport is harness.DESKTOP)
    assert desktop.math >= 4 and desktop.images >= 1 and desktop.requests > 10


@pytest.mark.parametrize("check", list(DEFECTS))
def test_each_check_catches_its_defect(tiny_reports, check):
    page = DEFECTS[check][0]
    found = harness.problems(tiny_reports[page], check)
    assert found, f"check {check!r} did not catch the defect of page {page!r}"
    print(textwrap.shorten(f"{check} on {page}: {found}", 300))
