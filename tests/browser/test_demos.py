"""Every demo of the book moves in the published page, offline, with no kernel (issue 15).

For each page of :data:`DEMOS`, chromium opens the built site (offline: other hosts are
aborted) at a desktop and a phone width, and :func:`demo_problems` checks each
``decondl.demos`` control: the script set it up, each control has a name and announces its
value, the first view is the precomputed default (the picture a reader without JavaScript
sees, the ipywidgets default), and moving each control with the keyboard changes the picture
and the numbers. The demos' weight is held to the issue's budget. A hand-made page with
broken demos proves the check can fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from . import harness
from conftest import ROOT

pytestmark = pytest.mark.browser

#: Pages of the book and how many demos each holds.
DEMOS = {
    "book/cnn_building_blocks": 1,
    "book/unet_receptive_field": 1,
    "book/image_formation": 1,
    "book/classical_deconvolution": 2,
    "book/care_restoration": 1,
    "book/instance_segmentation": 1,
}
DEMO_BUDGET_BYTES = 1_500_000  # no demo adds more to its page
BOOK_BUDGET_BYTES = 8_000_000  # all demos of the book together

# What one demo shows now: picture, alt text, numbers, each control's value as announced.
_STATE = """(root) => ({
  ready: root.dataset.decondlReady === "1",
  hidden: root.querySelector(".decondl-demo-controls").hidden,
  src: root.querySelector("img.decondl-demo-image").src,
  alt: root.querySelector("img.decondl-demo-image").alt,
  numbers: Array.from(root.querySelectorAll(".decondl-demo-numbers dd"), d => d.textContent),
  controls: Array.from(root.querySelectorAll("[data-decondl-param]"), c => {
    const label = root.querySelector('label[for="' + c.id + '"]');
    return {tag: c.tagName.toLowerCase(), id: c.id, value: c.value,
            valuetext: c.getAttribute("aria-valuetext"),
            shown: c.type === "range" ? c.parentNode.querySelector("output").textContent
                                      : c.options[c.selectedIndex].textContent,
            max: c.type === "range" ? Number(c.max) : c.options.length - 1,
            name: label ? label.textContent.trim() : ""};
  }),
  width: root.getBoundingClientRect().right,
  bytes: root.outerHTML.length,
})"""

# The first view as written in the page (before the script), and the precomputed default.
_FIRST_VIEW = """(root) => {
  const data = JSON.parse(root.querySelector("script.decondl-demo-data").textContent);
  const key = data.parameters.map(p => p.default).join(",");
  const state = data.states[key];
  return {written: root.querySelector("img.decondl-demo-image").getAttribute("data-first-src"),
          default: state ? data.images[state[0]] : null,
          numbers: state ? state[1] : null};
}"""


def demo_problems(page, viewport_width: int) -> tuple[list[str], list[int]]:
    """Check every demo of the open page; return the problems and each demo's bytes."""
    problems, sizes = [], []
    for d, root in enumerate(page.query_selector_all(".decondl-demo")):
        name = f"demo {d + 1}"
        state = root.evaluate(_STATE)
        sizes.append(state["bytes"])
        if not state["ready"] or state["hidden"]:
            problems.append(f"{name}: the script did not set the controls up")
            continue
        if state["width"] > viewport_width + 1:
            problems.append(f"{name}: wider than the page ({state['width']:.0f} px)")
        first = root.evaluate(_FIRST_VIEW)
        if first["default"] is None or state["src"] != first["default"]:
            problems.append(f"{name}: the first view is not the precomputed default state")
        elif first["written"] and first["written"] != first["default"]:
            problems.append(f"{name}: the picture without JavaScript is not the default state")
        if first["numbers"] is not None and state["numbers"] != first["numbers"]:
            problems.append(f"{name}: the numbers shown are not the default state's")
        if not state["numbers"]:
            problems.append(f"{name}: shows no numbers")
        for i, control in enumerate(state["controls"]):
            what = f"{name}, control {control['name'] or control['id']!r}"
            if not control["name"]:
                problems.append(f"{what}: no label")
            if control["tag"] == "input" and control["valuetext"] != control["shown"]:
                problems.append(f"{what}: aria-valuetext {control['valuetext']!r} is not shown")
            up = int(control["value"]) < control["max"]
            key = (
                ("ArrowRight" if up else "ArrowLeft")
                if control["tag"] == "input"
                else ("ArrowDown" if up else "ArrowUp")
            )
            back_key = {
                "ArrowRight": "ArrowLeft",
                "ArrowLeft": "ArrowRight",
                "ArrowDown": "ArrowUp",
                "ArrowUp": "ArrowDown",
            }[key]
            page.focus(f"#{control['id']}")
            # Neighbouring values may give the same picture (two thresholds that keep the
            # same objects): step on until the picture changes or the control is at its end.
            steps, after = 0, state
            while steps < control["max"] + 1:
                page.keyboard.press(key)
                steps += 1
                previous, after = after, root.evaluate(_STATE)
                if after["controls"][i]["value"] == previous["controls"][i]["value"]:
                    steps -= 1  # at the end: this press did not move it
                    break
                if after["src"] != state["src"]:
                    break
            moved = after["controls"][i]
            if moved["value"] == control["value"]:
                problems.append(f"{what}: {key} did not move it")
                continue
            if control["tag"] == "input" and moved["valuetext"] == control["valuetext"]:
                problems.append(f"{what}: aria-valuetext did not follow")
            if after["src"] == state["src"]:
                problems.append(f"{what}: moving it did not change the picture")
            if after["alt"] == state["alt"]:
                problems.append(f"{what}: moving it did not change the alt text")
            if after["numbers"] == state["numbers"]:
                problems.append(f"{what}: moving it did not change the numbers")
            for _ in range(steps):
                page.keyboard.press(back_key)
            back = root.evaluate(_STATE)
            if back["src"] != state["src"] or back["numbers"] != state["numbers"]:
                problems.append(f"{what}: moving it back did not restore the picture")
    return problems, sizes


def open_page(browser, origin: str, page_name: str, viewport: harness.Viewport):
    """Open ``page_name`` offline in a fresh context; return (context, page, console errors)."""
    context = browser.new_context(
        viewport={"width": viewport.width, "height": viewport.height},
        is_mobile=viewport.mobile,
        has_touch=viewport.mobile,
    )
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith((origin + "/", "data:"))
            else route.abort("blockedbyclient")
        ),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{origin}/{page_name}.html", wait_until="load")
    # The written first view, kept before the script changes anything (it sets src again).
    page.evaluate("""() => document.querySelectorAll("img.decondl-demo-image").forEach(
        img => img.setAttribute("data-first-src", img.src))""")
    return context, page, errors


def check_pages(root: Path, pages: dict[str, int]) -> dict[str, tuple[list[str], list[int]]]:
    """Serve ``root``, check each page at each width: ``{"<page> @<width>": (problems, sizes)}``."""
    found = {}
    with harness.serve(root) as origin, harness.launch() as browser:
        for page_name, expected in pages.items():
            for viewport in harness.VIEWPORTS:
                context, page, errors = open_page(browser, origin, page_name, viewport)
                try:
                    problems, sizes = demo_problems(page, viewport.width)
                finally:
                    context.close()
                if len(sizes) != expected:
                    problems.insert(0, f"{len(sizes)} demos, expected {expected}")
                found[f"{page_name} @{viewport.name}"] = (problems + errors, sizes)
    return found


# ------------------------------------------------------------------ the check can fail


def tiny_demo(offset: float = 0.0, *, numbers: bool = True):
    from decondl import demos

    def draw(gain, shape):
        image = np.full((20, 30), gain + offset)
        if shape == "band":
            image[5:10] = 1.0
        return image, ({"mean": f"{image.mean():.3f}"} if numbers else None)

    grid = {"gain": [0.0, 0.25, 0.5, 0.75], "shape": ["square", "band"]}
    return demos.precompute(draw, grid, {"gain": 0.5, "shape": "square"}, alt="A grey square")


def write_page(root: Path, name: str, body: str, *, script: bool = True) -> None:
    static = ROOT / "book" / "_static"
    shutil.copy(static / "decondl-demos.css", root / "decondl-demos.css")
    shutil.copy(static / "decondl-demos.js", root / "decondl-demos.js")
    head = '<link rel="stylesheet" href="decondl-demos.css">'
    if script:
        head += '<script src="decondl-demos.js"></script>'
    (root / f"{name}.html").write_text(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
        f"content='width=device-width'>{head}<title>{name}</title></head><body><main>{body}"
        "</main></body></html>"
    )


@pytest.fixture(scope="module")
def tiny_pages(tmp_path_factory, browser_ready):
    root = tmp_path_factory.mktemp("demos")
    good = tiny_demo()._repr_html_()
    write_page(root, "good", good + tiny_demo(0.1)._repr_html_())
    write_page(root, "no_script", good, script=False)
    write_page(root, "no_numbers", tiny_demo(numbers=False)._repr_html_())
    frozen = re.sub(r'"images":\[("[^"]+")(,"[^"]+")*\]', r'"images":[\1]', good)
    frozen = re.sub(
        r'"states":\{.*?\},"images"', lambda m: re.sub(r"\[\d+,", "[0,", m.group(0)), frozen
    )
    write_page(root, "frozen", frozen)
    return root


def test_the_demo_check_passes_a_good_page_and_catches_broken_ones(tiny_pages):
    found = check_pages(tiny_pages, {"good": 2, "no_script": 1, "no_numbers": 1, "frozen": 1})
    assert found["good @desktop"] == ([], found["good @desktop"][1])
    assert found["good @phone"][0] == []
    assert any("did not set the controls up" in p for p in found["no_script @desktop"][0])
    assert any("shows no numbers" in p for p in found["no_numbers @phone"][0])
    assert any("did not change the picture" in p for p in found["frozen @desktop"][0])
    assert check_pages(tiny_pages, {"good": 3})["good @desktop"][0][0] == "2 demos, expected 3"


# ------------------------------------------------------------------ the book's demos


@pytest.fixture(scope="module")
def book_demos(browser_ready, site_html):
    present = {p: n for p, n in DEMOS.items() if (site_html / f"{p}.html").is_file()}
    missing = sorted(set(DEMOS) - set(present))
    if missing and (harness.in_ci() or not present):
        pytest.fail(f"pages with demos missing from {site_html}: {missing}", pytrace=False)
    return check_pages(site_html, present), missing


@pytest.mark.parametrize("page_name", sorted(DEMOS))
def test_every_demo_moves_with_the_keyboard(book_demos, page_name):
    found, missing = book_demos
    if page_name in missing:
        pytest.skip(f"{page_name} is not in this build (a reduced table of contents)")
    for viewport in harness.VIEWPORTS:
        problems, _ = found[f"{page_name} @{viewport.name}"]
        assert not problems, (viewport.name, problems)


def test_demos_are_within_budget(book_demos):
    found, missing = book_demos
    sizes = {key: sizes for key, (_, sizes) in found.items() if key.endswith("@desktop")}
    heavy = {key: s for key, s in sizes.items() if max(s, default=0) > DEMO_BUDGET_BYTES}
    assert not heavy, f"demos over {DEMO_BUDGET_BYTES / 1e6} MB: {heavy}"
    total = sum(sum(s) for s in sizes.values())
    assert total < BOOK_BUDGET_BYTES, f"the book's demos weigh {total / 1e6:.2f} MB"
    print(
        f"demos: {total / 1e6:.2f} MB in all; "
        + "; ".join(
            f"{key.split(' ')[0]}: {', '.join(f'{b / 1e6:.2f}' for b in s)} MB"
            for key, s in sizes.items()
        )
    )
