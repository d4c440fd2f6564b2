"""Sphinx extension of the course book: pages that work by themselves, for every reader (issue 12).

The browser tests (``tests/browser``) hold the site to this; the settings in ``_config.yml``
do most of it, this extension the rest:

* **Nothing from other sites.** MathJax is vendored in ``book/_static/mathjax``
  (``mathjax_path``). MyST-NB's widget scripts (require.js and the ipywidgets HTML manager,
  from CDNs) are switched off (``nb_ipywidgets_js: {}``) and widget views are not rendered
  (``nb_mime_priority_overrides``): in a static page a control cannot move without a kernel.
  Here we drop the widget *state* MyST-NB copies from each executed notebook into its page
  (every widget model, the output areas' figures included): nothing reads it any more, and
  it can weigh megabytes.
* **No Thebe.** The book has no live-code button (``launch_buttons.thebe`` is off: readers run
  chapters in Colab or Jupyter), yet sphinx-thebe adds its loader (which would fetch Thebe
  from a CDN) to every page, and its configuration script twice, which is a JavaScript error
  ("Identifier 'THEBE_JS_URL' has already been declared"). Without the button both go.
* **Figures drawn as pictures.** A notebook kernel draws figures inline only when
  ``MPLBACKEND`` is unset (ipykernel then chooses its inline backend); a value inherited from
  the shell (CI sets ``MPLBACKEND=Agg`` for the tests) turns every figure into a line of text,
  "<Figure size 640x480 with 1 Axes>". The build process unsets it for its kernels.
* **Citations as list items.** Docutils writes the bibliography as ``role="list"`` holding
  entries with ``role="doc-biblioentry"``, a DPUB-ARIA role deprecated in DPUB-ARIA 1.1 and not
  a list item, so a list with no items (axe: aria-required-children, critical). Entries become
  ``role="listitem"``.
* **Author-year bibliography.** The text cites author-year ("Weigert et al., 2018",
  ``bibtex_reference_style: author_year``); the bibliography's labels say the same
  (``bibtex_default_style: authoryear``, registered here: pybtex's ``plain`` style, sorted by
  author and year, with the labels of :func:`author_year_label` instead of "WSB+18").
* **Reading time.** The role ``{reading-time}`200``` writes the page's reading time at 200
  words a minute ("12 minutes"), from its word count when the book is built
  (:func:`decondl.notebook.reading_minutes`; the Colab notebooks quote the same number).
* **Named navigation toggles.** The theme's sidebar opens and closes a chapter's sections
  with a ``<summary>`` that holds only a chevron icon, so a screen reader announces a button
  without a name (axe: summary-name, serious). Each gets an ``aria-label`` naming its chapter.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from decondl import notebook

logger = logging.getLogger(__name__)

# The key under which MyST-NB registers a page's widget state (myst_nb.core.render).
WIDGET_STATE_KEY = "ipywidgets_state"


def _inline_figures(app: Sphinx, config: Config) -> None:
    backend = os.environ.get("MPLBACKEND", "")
    if backend and "inline" not in backend:
        del os.environ["MPLBACKEND"]
        logger.info("decondl: MPLBACKEND=%s unset, so that kernels draw figures inline", backend)


def _drop_widget_state(app: Sphinx, doctree: nodes.document) -> None:
    metadata = getattr(app.env, "nb_metadata", None) or {}
    js_files = metadata.get(app.env.docname, {}).get("js_files", {})
    for key in [key for key in js_files if key.startswith("ipywidgets")]:
        del js_files[key]


def _uses_thebe(app: Sphinx) -> bool:
    options = app.config.html_theme_options or {}
    return bool((options.get("launch_buttons") or {}).get("thebe"))


def _is_thebe(script) -> bool:
    body = (getattr(script, "attributes", None) or {}).get("body", "")
    return "sphinx-thebe.js" in str(getattr(script, "filename", script)) or "THEBE_JS_URL" in body


def _summary_label(summary) -> str:
    item = summary.find_parent("li")
    link = item.find("a") if item is not None else None
    name = link.get_text(" ", strip=True) if link is not None else "this chapter"
    return f"Show or hide the sections of {name}"


def _label_toggles(soup):
    for summary in soup.select("summary"):
        if not summary.get_text(strip=True) and not summary.get("aria-label"):
            summary["aria-label"] = _summary_label(summary)
    return soup


def _fix_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if isinstance(context.get("body"), str):
        context["body"] = context["body"].replace(' role="doc-biblioentry"', ' role="listitem"')
    if not _uses_thebe(app) and "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]
    generate = context.get("generate_toctree_html")
    if generate is not None and not getattr(generate, "decondl_labelled", False):

        def generate_labelled(kind, *args, **kwargs):
            soup = generate(kind, *args, **kwargs)
            return soup if isinstance(soup, str) else _label_toggles(soup)

        generate_labelled.decondl_labelled = True
        context["generate_toctree_html"] = generate_labelled


def author_year_label(entry) -> str:
    """Return the author-year label of a pybtex entry: "Lucy, 1974", "A et al., 2018".

    The last names of the authors (else the editors) as the reader sees them (LaTeX accents
    decoded), the same text as the Colab notebooks' citations (``colab_markdown.py``).
    """
    from pybtex.richtext import Text

    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [Text.from_latex(" ".join(p.last_names)).render_as("text") for p in persons]
    who = f"{names[0]} et al." if len(names) > 2 else " and ".join(names) or entry.key
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


def _register_author_year_style() -> None:
    import pybtex.plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            labels = [author_year_label(entry) for entry in sorted_entries]
            seen: dict[str, int] = {}
            for label in labels:  # "Smith, 2018a", "Smith, 2018b" when two would be equal
                if labels.count(label) > 1:
                    seen[label] = seen.get(label, 0) + 1
                    label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
                yield label

    class AuthorYearStyle(PlainStyle):
        default_label_style = "authoryear"

    pybtex.plugin.register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
    pybtex.plugin.register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


class ReadingTime(SphinxRole):
    """``{reading-time}`200```: the page's reading time at 200 words a minute, e.g. "12 minutes"."""

    def run(self):
        """Return the text node, or an error node for a bad speed or an unreadable page."""
        try:
            words_per_minute = int(self.text.strip())
            source = Path(self.env.doc2path(self.env.docname)).read_text(encoding="utf-8")
            minutes = notebook.reading_minutes(source, words_per_minute)
        except (ValueError, OSError) as err:
            message = self.inliner.reporter.error(
                f"reading-time: {err} (write {{reading-time}}`200` for 200 words a minute)",
                line=self.lineno,
            )
            return [self.inliner.problematic(self.rawtext, self.rawtext, message)], [message]
        return [nodes.Text(f"{minutes} minute{'s' if minutes != 1 else ''}")], []


def setup(app: Sphinx) -> dict:
    _register_author_year_style()
    app.add_role("reading-time", ReadingTime())
    # doctree-read comes after MyST-NB's parser has moved the page's scripts into the
    # environment and before any page is written.
    app.connect("config-inited", _inline_figures)
    app.connect("doctree-read", _drop_widget_state)
    # After the theme (priority 500) has put its functions and the page's scripts in the context.
    app.connect("html-page-context", _fix_page, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
