"""Sphinx extension: the Colab launch button and download of each page's Colab notebook.

sphinx-book-theme (1.3) builds its Colab button from ``launch_buttons.colab_url`` as
``<colab_url>/github/OWNER/REPO/blob/BRANCH/<page>.md``, which Colab cannot open: our pages
are MyST markdown. The notebooks Colab can open are generated into ``colab/`` by
``colab_notebooks.py`` (``make colab``). This extension, run after the theme's
``html-page-context`` handlers, therefore

* points the Colab button of every page that has a generated notebook at
  ``https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/colab/<page>.ipynb``
  (exercise pages: the student edition in ``colab/exercises/``), and removes it from pages
  without one (the intro, the references);
* copies that notebook into the HTML output (``colab/...ipynb``) and adds it to the page's
  download menu ("Colab .ipynb").

A page that should have a notebook but whose file is missing from the checkout gets a warning
(the build runs with ``-W``): run ``make colab``. URLs derive from ``repository`` in
``_config.yml`` (through :class:`colab_notebooks.Site`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import colab_notebooks
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: ``label`` of the theme's button groups, and of the download entry this extension adds.
LAUNCH_GROUP = "launch-buttons"
DOWNLOAD_GROUP = "download-buttons"
DOWNLOAD_LABEL = "download-colab-notebook-button"


def _init(app: Sphinx) -> None:
    root = Path(app.srcdir)
    site = colab_notebooks.Site.from_config(root)
    pages = {page.pagename: page.notebook for page in colab_notebooks.notebook_pages(root)}
    app.decondl_colab = (site, pages)
    missing = [nb for nb in pages.values() if not (root / nb).is_file()]
    if missing:
        logger.warning(
            "decondl_colab: Colab notebooks missing from the checkout: %s; run `make colab`",
            ", ".join(missing),
        )


def _colab_button(site: colab_notebooks.Site, notebook: str) -> dict[str, str]:
    return {
        "type": "link",
        "text": "Colab",
        "tooltip": "Launch on Colab",
        "icon": "_static/images/logo_colab.png",
        "url": site.colab_url(notebook),
    }


def _rewrite_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree
) -> None:
    buttons = context.get("header_buttons")
    if buttons is None:
        return
    site, pages = app.decondl_colab
    notebook = pages.get(pagename)
    launch = next((b for b in buttons if b.get("label") == LAUNCH_GROUP), None)
    if launch is not None:
        others = [b for b in launch["buttons"] if b.get("text") != "Colab"]
        if notebook is not None:
            others.append(_colab_button(site, notebook))
        launch["buttons"] = others
        if not others:
            buttons.remove(launch)
    elif notebook is not None:
        # The theme adds launch buttons only to pages it recognises as notebooks.
        buttons.insert(
            0,
            {
                "type": "group",
                "tooltip": "Launch interactive content",
                "icon": "fas fa-rocket",
                "buttons": [_colab_button(site, notebook)],
                "label": LAUNCH_GROUP,
            },
        )
    if notebook is None:
        return
    source = Path(app.srcdir) / notebook
    if not source.is_file():
        return  # warned once in _init
    target = Path(app.outdir) / notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    entry = {
        "type": "link",
        "url": context["pathto"](notebook, 1),
        "text": "Colab .ipynb",
        "tooltip": "Download the Colab notebook of this page",
        "icon": "fas fa-code",
        "label": DOWNLOAD_LABEL,
    }
    download = next((b for b in buttons if b.get("label") == DOWNLOAD_GROUP), None)
    if download is not None:
        download["buttons"].insert(0, entry)
    else:
        buttons.append(
            {
                "type": "group",
                "tooltip": "Download this page",
                "icon": "fas fa-download",
                "buttons": [entry],
                "label": DOWNLOAD_GROUP,
            }
        )


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _init)
    # After sphinx-book-theme's handlers (priority 501), which build the header buttons.
    app.connect("html-page-context", _rewrite_buttons, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
