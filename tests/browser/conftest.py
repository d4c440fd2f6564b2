"""Fixtures of the browser tests: chromium, the site's HTML, one visit of every page.

The site is the test suite's own book build (the session fixture ``book`` of
``tests/conftest.py``). To test a folder that is already built instead, e.g. while working on
these tests, set ``DECONDL_SITE_HTML=_build/html``. Screenshots (one per page and width) and
the per-page table go to ``_build/browser-screenshots/`` (``DECONDL_SCREENSHOTS`` to change).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import harness
from conftest import ROOT, toc_files

SITE_ENV = "DECONDL_SITE_HTML"
SCREENSHOTS_ENV = "DECONDL_SCREENSHOTS"
_REPORTS = pytest.StashKey[list]()
_SITE = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Skip (fail in CI) when chromium or the Python packages are missing."""
    harness.require_browser()


@pytest.fixture(scope="session")
def site_html(request) -> Path:
    """The HTML folder of the book: the session's build, or ``$DECONDL_SITE_HTML``."""
    if os.environ.get(SITE_ENV):
        html = Path(os.environ[SITE_ENV]).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"{SITE_ENV}={html}: no index.html there", pytrace=False)
        return html
    return request.getfixturevalue("book").html


@pytest.fixture(scope="session")
def site_reports(request, browser_ready, site_html) -> list[harness.PageReport]:
    """Open every page of the table of contents at a phone and a desktop width, once."""
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or ROOT / "_build" / "browser-screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    reports = harness.visit(site_html, toc_files(), screenshot_dir=shots)
    request.config.stash[_REPORTS] = reports
    request.config.stash[_SITE] = site_html
    (shots / "summary.txt").write_text(summary(reports, site_html) + "\n")
    return reports


def summary(reports: list[harness.PageReport], site: Path) -> str:
    lines = [harness.table(reports), "", "heaviest pages (transferred, cold cache):"]
    lines += [f"  {page}: {size / harness.MB:.2f} MB" for page, size in harness.heaviest(reports)]
    lines.append(f"whole site: {harness.site_bytes(site) / harness.MB:.1f} MB ({site})")
    lines.append(f"time in the browser: {sum(r.seconds for r in reports):.0f} s")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reports = config.stash.get(_REPORTS, None)
    if reports:
        terminalreporter.write_sep("-", "browser tests: every page at every width")
        terminalreporter.write_line(summary(reports, config.stash[_SITE]))
