"""book/_ext/decondl_site.py, built into a one-page Sphinx project (no notebooks, seconds)."""

from __future__ import annotations

import io
import sys

import pytest
from sphinx.application import Sphinx

from decondl.notebook import reading_minutes

from conftest import ROOT

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
