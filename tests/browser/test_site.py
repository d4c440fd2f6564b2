"""The built book in a real browser, offline: every page of the table of contents, two widths.

Each check is one test over all pages, so a failure lists every page it concerns. The table
of all pages (requests, external requests, console errors, images, math, axe findings,
weight) is printed at the end of the run and saved with the screenshots.
"""

from __future__ import annotations

import pytest

from . import harness
from conftest import toc_files

pytestmark = [pytest.mark.browser, pytest.mark.book]

WHAT = {
    "http": "every request answered 200",
    "external": "no request to another host (they are aborted), no resource referenced there",
    "widgets": "no widget state or widget views (they cannot work without a kernel)",
    "console": "no console errors or uncaught exceptions",
    "images": "every <img> decoded with a non-zero size",
    "figures": "every figure shows a picture; no matplotlib figure printed as text",
    "alt": "every image has alt text, and not a file name",
    "math": "all math typeset by MathJax: no raw TeX in the text, no MathJax errors",
    "links": "every link to the site (files and anchors) has a target",
    "overflow": "the body does not scroll sideways (375 px phone, 1280 px desktop)",
    "headings": "headings in order (no level skipped)",
    "axe": "axe-core: no serious or critical violations",
    "weight": f"each page under {harness.PAGE_BUDGET_BYTES / harness.MB:g} MB transferred",
}


def test_every_page_was_visited_at_every_width(site_reports):
    visited = {(r.page, r.viewport.name) for r in site_reports}
    expected = {(page, v.name) for page in toc_files() for v in harness.VIEWPORTS}
    assert visited == expected
    assert all(r.requests > 0 and r.screenshot and r.screenshot.is_file() for r in site_reports)


@pytest.mark.parametrize("check", list(harness.CHECKS))
def test_every_page_passes(site_reports, check):
    found = harness.problems(site_reports, check)
    details = "\n".join(f"{page}:\n  " + "\n  ".join(items) for page, items in found.items())
    assert not found, f"{WHAT[check]}; failed on {len(found)} page(s):\n{details}"


def test_whole_site_under_budget(site_reports, site_html):
    size = harness.site_bytes(site_html)
    heaviest = ", ".join(f"{p} {b / harness.MB:.2f} MB" for p, b in harness.heaviest(site_reports))
    print(f"site {size / harness.MB:.1f} MB; heaviest pages: {heaviest}")
    assert size < harness.SITE_BUDGET_BYTES, f"{size / harness.MB:.1f} MB; {heaviest}"
