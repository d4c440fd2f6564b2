"""book/_ext/decondl_site.py: the reading-time role (a one-page Sphinx build) and the labels."""

from __future__ import annotations

import io
import sys

import pytest
from sphinx.application import Sphinx

from decondl.notebook import reading_minutes

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))

PAGE = """# A page

{words}

Reading time: {{reading-time}}`{speed}`.
"""


def build(tmp_path, speed):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'decondl_site']\n"
    )
    text = PAGE.format(words="word " * 450, speed=speed)
    (src / "index.md").write_text(text)
    warnings = io.StringIO()
    app = Sphinx(
        str(src),
        str(src),
        str(out),
        str(tmp_path / "doctrees"),
        "html",
        status=None,
        warning=warnings,
        freshenv=True,
    )
    app.build()
    sys.path.remove(str(ROOT / "book" / "_ext"))
    return text, (out / "index.html").read_text(), warnings.getvalue()


def test_reading_time_role_writes_the_pages_reading_time(tmp_path):
    text, html, warnings = build(tmp_path, "200")
    minutes = reading_minutes(text, 200)
    assert minutes == 3  # 450 words and a few more, at 200 a minute
    assert f"Reading time: {minutes} minutes." in html
    assert "reading-time" not in warnings


@pytest.mark.parametrize("speed", ["fast", "0"])
def test_reading_time_role_reports_a_bad_speed(tmp_path, speed):
    _, html, warnings = build(tmp_path, speed)
    assert "reading-time:" in warnings and "minutes" not in html


def test_bibliography_labels_are_the_colab_citations():
    # every entry of the book's bibliography: the site's label is the Colab notebooks' text
    import colab_markdown
    import decondl_site
    from pybtex.database import parse_file

    myst = colab_markdown.MystToMarkdown.__new__(colab_markdown.MystToMarkdown)
    myst.root, myst._bib = ROOT, None
    entries = parse_file(str(ROOT / "book" / "references.bib"), "bibtex").entries
    for key, entry in entries.items():
        assert decondl_site.author_year_label(entry) == myst._citation(key, "test")
    assert decondl_site.author_year_label(entries["lucy1974"]) == "Lucy, 1974"
    assert decondl_site.author_year_label(entries["weigert2018care"]) == "Weigert et al., 2018"
    pair = entries["belthangady2019pitfalls"]
    assert decondl_site.author_year_label(pair) == "Belthangady and Royer, 2019"


def test_author_year_style_sorts_and_disambiguates():
    import decondl_site
    from pybtex.database import parse_string
    from pybtex.plugin import find_plugin

    decondl_site._register_author_year_style()
    bib = parse_string(
        "@article{b, author={Smith, Ann}, title={Two}, journal={J}, year={2018}}\n"
        "@article{a, author={Smith, Ann}, title={One}, journal={J}, year={2018}}\n"
        '@book{c, editor={M{\\"u}ller, Jo}, title={Three}, publisher={P}, year={2001}}\n',
        "bibtex",
    )
    style = find_plugin("pybtex.style.formatting", "authoryear")()
    formatted = list(style.format_entries(bib.entries.values()))
    assert [(e.key, e.label) for e in formatted] == [
        ("c", "Müller, 2001"),
        ("a", "Smith, 2018a"),
        ("b", "Smith, 2018b"),
    ]
