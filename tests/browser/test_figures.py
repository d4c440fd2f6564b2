"""Figures are legible on a phone: their text is not shrunk below a readable size.

A row of three panels drawn for the book width (about 7.5 in at 100 dpi) and squeezed into a
phone's 360 px would shrink 12 pt titles to about 6 px. ``decondl.css`` lets such a figure keep
up to 1.6 screen widths and scroll sideways in its own box; ``decondl-figures.js`` makes that
box focusable, so it scrolls with the keyboard too.
"""

from __future__ import annotations

import shutil

import pytest

from . import harness
from conftest import toc_files

#: Smallest share of its drawn width a figure may be shown at on the phone: 12 pt titles drawn
#: at 100 dpi (16.7 px) then stay at least 10 px high.
MIN_SCALE = 0.6

_MEASURE = """() => [...document.querySelectorAll(".bd-article figure > img")].map(img => {
    const figure = img.parentElement;
    return {src: img.getAttribute("src"), natural: img.naturalWidth, shown: img.clientWidth,
            scrolls: figure.scrollWidth > figure.clientWidth + 1,
            focusable: figure.getAttribute("tabindex") === "0"};
})"""


def figure_problems(root, pages) -> dict[str, list[str]]:
    """Open each page at phone width; return its figures' problems."""
    found = {}
    with harness.serve(root) as origin, harness.launch() as browser:
        context = browser.new_context(
            viewport={"width": harness.PHONE.width, "height": harness.PHONE.height},
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        for name in pages:
            page.goto(f"{origin}/{name}.html", wait_until="load")
            problems = []
            for fig in page.evaluate(_MEASURE):
                if not fig["natural"]:
                    problems.append(f"{fig['src']}: not loaded")
                    continue
                scale = fig["shown"] / fig["natural"]
                if scale < MIN_SCALE and fig["shown"] < harness.PHONE.width * 1.5:
                    problems.append(f"{fig['src']}: shown at {scale:.0%} of its drawn width")
                if fig["scrolls"] and not fig["focusable"]:
                    problems.append(f"{fig['src']}: scrolls sideways but takes no keyboard focus")
            found[name] = problems
        context.close()
    return found


@pytest.fixture(scope="module")
def squeezed_page(tmp_path_factory, browser_ready, site_html):
    """A chapter page of the built site without the site's figure CSS and script."""
    root = tmp_path_factory.mktemp("squeezed")
    shutil.copytree(site_html, root, dirs_exist_ok=True)
    (root / "_static" / "decondl.css").write_text("")
    (root / "_static" / "decondl-figures.js").write_text("")
    return root


def test_the_figure_check_fails_without_the_site_css(squeezed_page):
    found = figure_problems(squeezed_page, ["book/care_restoration"])
    assert any("of its drawn width" in p for p in found["book/care_restoration"]), found


def test_every_figure_is_legible_on_a_phone(browser_ready, site_html):
    pages = [p for p in toc_files() if (site_html / f"{p}.html").is_file()]
    found = figure_problems(site_html, pages)
    assert len(pages) > 10, pages  # the chapters and exercise pages are there
    assert not {p: v for p, v in found.items() if v}, found
