"""Open the built site as a reader does: Debian's chromium driven by Playwright, offline.

The HTML folder is served on 127.0.0.1 by a thread of :mod:`http.server`; every request to any
other host is aborted and counted. :func:`visit` opens each page in a fresh browser context (a
cold cache, as for a first-time reader) at each width and records a :class:`PageReport`;
:data:`CHECKS` turns a report into a list of problems, one list per check. The tests of the
book's site (``test_site.py``) and the tests proving that each check can fail
(``test_harness.py``) share all of this.
"""

from __future__ import annotations

import gzip
import html.parser
import io
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

MB = 1_000_000
# One page with everything it loads (cold cache, images included), as transferred: text is
# gzip-compressed as GitHub Pages serves it (see _Handler).
PAGE_BUDGET_BYTES = 3 * MB
SITE_BUDGET_BYTES = 60 * MB  # the whole HTML folder as published, uncompressed

CHROMIUM_ENV = "DECONDL_CHROMIUM"  # path of the browser, if not /usr/bin/chromium
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
INSTALL_HINT = (
    "the browser tests need Debian's chromium and the Python packages of requirements.txt: "
    "`sudo apt-get install -y chromium fonts-dejavu-core` (Ubuntu: a chromium binary on PATH, "
    f"or set {CHROMIUM_ENV}=/path/to/chromium) and `make venv`; Playwright's own browser "
    "download (`playwright install`) is not used"
)


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool = False


PHONE = Viewport("phone", 375, 740, mobile=True)
DESKTOP = Viewport("desktop", 1280, 800)
VIEWPORTS = (DESKTOP, PHONE)


def find_chromium() -> str | None:
    """Return the chromium executable to use, or None if there is none."""
    if os.environ.get(CHROMIUM_ENV):
        return os.environ[CHROMIUM_ENV]
    # Debian's package, Ubuntu's name for it, and Google Chrome (as on GitHub's Ubuntu runners).
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    return None


def missing_requirements() -> str | None:
    """Return why the browser tests cannot run here (with how to fix it), or None."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"{error}; {INSTALL_HINT}"
    if find_chromium() is None:
        return f"no chromium found; {INSTALL_HINT}"
    return None


def in_ci() -> bool:
    """Return True in CI (``CI=true``, as GitHub Actions and ``.ci/run``'s runner set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_browser() -> None:
    """Skip the calling test when the browser tests cannot run here; fail instead in CI."""
    import pytest

    problem = missing_requirements()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"CI must run the browser tests, but {problem}", pytrace=False)
    pytest.skip(problem)


@contextmanager
def launch() -> Iterator[object]:
    """Yield a Playwright chromium browser (the system executable, never a download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Compressed as GitHub Pages compresses them: the weight of a page is what crosses the network.
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


class _Handler(SimpleHTTPRequestHandler):
    """Static files; text is gzip-compressed when the browser accepts it."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (path.is_file() and accepts and ctype.startswith(_COMPRESSIBLE)):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Uncompressed-Length", str(path.stat().st_size))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) from a thread; yield the origin URL."""
    handler = partial(_Handler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class PageReport:
    """What one page did in the browser at one width."""

    page: str  # path in the site without suffix, e.g. "book/intro"
    viewport: Viewport
    requests: int = 0
    weight: int = 0  # bytes transferred for everything the page loaded (cold cache)
    raw_weight: int = 0  # the same, uncompressed
    failed: list[str] = field(default_factory=list)  # non-200 responses, failed requests
    external: list[str] = field(default_factory=list)  # aborted requests to other hosts
    external_refs: list[str] = field(default_factory=list)  # resources on other hosts, unloaded
    widgets: list[str] = field(default_factory=list)  # widget state or views in the page
    console_errors: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    figure_problems: list[str] = field(default_factory=list)
    alt_problems: list[str] = field(default_factory=list)
    math: int = 0  # math elements (Sphinx's .math)
    math_problems: list[str] = field(default_factory=list)
    overflow: int = 0  # CSS pixels the document is wider than the viewport
    headings: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)  # serious/critical violations
    links: set[str] = field(default_factory=set)  # same-site link targets (absolute URLs)
    ids: set[str] = field(default_factory=set)  # ids and names in the live DOM
    broken_links: list[str] = field(default_factory=list)  # filled by check_links
    screenshot: Path | None = None
    seconds: float = 0.0  # time taken by this visit (checks, axe and screenshot included)


# ------------------------------------------------------------------------ in the page

_WAIT_FOR_PAGE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
}"""

_IMAGES = """async () => {
  const out = [];
  for (const img of Array.from(document.images)) {
    img.loading = "eager";  // lazy images (e.g. in closed dropdowns) are checked too
    try { await img.decode(); } catch (error) { /* reported by naturalWidth == 0 */ }
    out.push({src: img.currentSrc || img.getAttribute("src") || "", alt: img.getAttribute("alt"),
              width: img.naturalWidth, height: img.naturalHeight,
              figure: img.closest("figure, .figure") !== null});
  }
  return out;
}"""


# A figure must show a picture; a matplotlib figure shown as its text repr means the kernel
# drew no image (e.g. MPLBACKEND=Agg leaking into the build's kernels).
_FIGURES = r"""() => {
  const hits = [];
  for (const fig of document.querySelectorAll("main figure")) {
    if (!fig.querySelector("img, svg, canvas, video, mjx-container, iframe")) {
      const caption = fig.querySelector("figcaption");
      hits.push("figure without a picture: " +
                JSON.stringify((caption ? caption.textContent : fig.id).trim().slice(0, 60)));
    }
  }
  const repr = /<Figure size \d+(\.\d+)?x\d+(\.\d+)? with \d+ Axes>/;
  for (const out of document.querySelectorAll("main .cell_output, main figure")) {
    const match = out.textContent.match(repr);
    if (match) hits.push("matplotlib figure printed as text: " + match[0]);
  }
  return hits;
}"""

# Raw TeX left in the text: \( \[ $$ or $...$ outside code. "$5 and $10" is not TeX: the
# closing dollar must follow a non-space character and the opening one precede one.
_MATH = r"""() => {
  const skip = "pre, code, kbd, samp, script, style, textarea, .highlight, mjx-container";
  const raw = /\\\(|\\\[|\$\$|\$[^\s$](?:[^$]{0,300}?[^\s$\\])?\$/;
  const hits = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement || node.parentElement.closest(skip)) continue;
    const match = node.data.match(raw);
    if (match) {
      const start = Math.max(0, match.index - 30);
      hits.push("raw TeX: " + JSON.stringify(node.data.slice(start, match.index + 50)));
    }
  }
  const math = Array.from(document.querySelectorAll(".math"));
  for (const el of math) {
    if (!el.querySelector("mjx-container") && !el.closest("mjx-container")) {
      hits.push("not typeset: " + JSON.stringify(el.textContent.slice(0, 60)));
    }
  }
  for (const el of document.querySelectorAll("mjx-merror, [data-mjx-error]")) {
    hits.push("MathJax error: " + JSON.stringify(
      el.getAttribute("data-mjx-error") || el.textContent.slice(0, 60)));
  }
  return {count: math.length, problems: hits};
}"""

# Resources the page refers to on other hosts, whether or not this visit loaded them (a script
# added on a click, a preload), and widget state or views that cannot work without a kernel.
_REFERENCES = r"""(origin) => {
  const external = [];
  const resources = "script[src], img[src], iframe[src], source[src], video[src], audio[src], " +
    "embed[src], object[data], link[rel~=stylesheet], link[rel~=preload], " +
    "link[rel~=modulepreload], link[rel~=icon], link[rel~=manifest]";
  for (const el of document.querySelectorAll(resources)) {
    const url = el.src || el.href || el.data || "";
    if (/^(https?:)?\/\//.test(url) && !url.startsWith(origin + "/")) {
      external.push(el.tagName.toLowerCase() + " " + url);
    }
  }
  const widgets = Array.from(
    document.querySelectorAll('script[type^="application/vnd.jupyter.widget"], .jupyter-widgets'),
    el => el.tagName.toLowerCase() + " " + (el.type || el.className));
  return {external, widgets};
}"""

_LAYOUT = """() => ({
  scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
  links: Array.from(document.querySelectorAll("a[href]"), a => a.href),
  ids: Array.from(document.querySelectorAll("[id], a[name]"), el => el.id || el.name),
  headings: Array.from(
    document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6"),
    h => [Number(h.tagName[1]), h.textContent.trim().slice(0, 60)]),
})"""

_GENERIC_ALT = {"", "image", "img", "figure", "png", "svg", "jpg", "jpeg", "gif", "picture"}
_IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")


def _alt_problems(image: dict) -> list[str]:
    alt, src = image["alt"], image["src"]
    name = src.rsplit("/", 1)[-1]
    if alt is None:
        return [f"no alt attribute: {name}"]
    text = alt.strip().lower()
    if image["figure"] and text in _GENERIC_ALT:
        return [f"figure without alt text ({alt!r}): {name}"]
    if text and (text in _GENERIC_ALT or text.endswith(_IMAGE_SUFFIXES) or text == name.lower()):
        return [f"alt text is a file name or a placeholder ({alt!r}): {name}"]
    return []


def _heading_problems(headings: list) -> list[str]:
    problems, previous = [], 0
    for level, text in headings:
        if level > previous + 1:
            problems.append(f"h{level} after h{previous or '-'}: {text!r}")
        previous = level
    return problems


def _axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            problems.append(
                f"{violation['impact']} {violation['id']} ({len(violation['nodes'])} nodes: "
                f"{'; '.join(targets)}): {violation['help']}"
            )
    return problems


def inspect(
    browser,
    origin: str,
    page_name: str,
    viewport: Viewport,
    *,
    screenshot_dir: Path | None = None,
    run_axe: bool = True,
) -> PageReport:
    """Open ``<origin>/<page_name>.html`` in a fresh context and record what happens."""
    start = time.perf_counter()
    report = PageReport(page_name, viewport)
    context = browser.new_context(
        viewport={"width": viewport.width, "height": viewport.height},
        is_mobile=viewport.mobile,
        has_touch=viewport.mobile,
        service_workers="block",
    )

    # What the page does is recorded until axe and the screenshot start (axe fetches style
    # sheets itself); requests to other hosts stay blocked to the end.
    recording = [True]

    def route(route):
        url = route.request.url
        if url.startswith(origin + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            if recording[0]:
                report.external.append(url)
            route.abort("blockedbyclient")

    def on_response(response):
        if not recording[0]:
            return
        report.requests += 1
        if response.status != 200:
            report.failed.append(f"HTTP {response.status} {response.url}")
        length = int(response.headers.get("content-length") or 0)
        report.weight += length
        report.raw_weight += int(response.headers.get("x-uncompressed-length") or length)

    def on_failed(request):
        if recording[0] and request.url not in report.external:
            report.failed.append(f"{request.failure} {request.url}")

    def on_console(message):
        if recording[0] and message.type == "error":
            report.console_errors.append(message.text)

    def on_error(error):
        if recording[0]:
            report.console_errors.append(f"uncaught: {error}")

    context.route("**/*", route)
    page = context.new_page()
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("console", on_console)
    page.on("pageerror", on_error)
    try:
        page.goto(f"{origin}/{page_name}.html", wait_until="load")
        page.evaluate(_WAIT_FOR_PAGE)
        images = page.evaluate(_IMAGES)
        page.wait_for_load_state("networkidle")
        report.images = len(images)
        for image in images:
            if not (image["width"] > 0 and image["height"] > 0):
                report.broken_images.append(f"not decoded: {image['src']}")
            report.alt_problems += _alt_problems(image)
        report.figure_problems = page.evaluate(_FIGURES)
        math = page.evaluate(_MATH)
        report.math, report.math_problems = math["count"], math["problems"]
        references = page.evaluate(_REFERENCES, origin)
        report.external_refs = [
            f"refers to {ref}"
            for ref in references["external"]
            if ref.split()[-1] not in report.external
        ]
        report.widgets = references["widgets"]
        layout = page.evaluate(_LAYOUT)
        report.overflow = max(0, layout["scrollWidth"] - viewport.width)
        report.links = {link for link in layout["links"] if link.startswith(origin + "/")}
        report.ids = set(layout["ids"])
        report.headings = _heading_problems(layout["headings"])
        recording[0] = False
        if run_axe:
            report.axe = _axe_problems(page)
        if screenshot_dir is not None:
            screenshot_dir.mkdir(parents=True, exist_ok=True)
            path = screenshot_dir / f"{page_name.replace('/', '__')}-{viewport.name}.png"
            page.screenshot(path=str(path), full_page=True)
            report.screenshot = path
    finally:
        context.close()
    report.seconds = time.perf_counter() - start
    return report


# ------------------------------------------------------------------------ across pages


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


def static_ids(path: Path) -> set[str]:
    """Return the ids (and anchor names) in an HTML file, without running it."""
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser.ids


def check_links(reports: Iterable[PageReport], origin: str, root: Path) -> None:
    """Fill ``broken_links`` of every report: missing files and missing anchors.

    Anchors into a visited page are looked up in its live DOM (ids made by scripts count);
    into any other HTML file of the site, in its static HTML.
    """
    reports = list(reports)
    live = {report.page: report.ids for report in reports}
    cache: dict[Path, set[str]] = {}
    for report in reports:
        for link in sorted(report.links):
            url, fragment = urldefrag(link)
            path = unquote(urlsplit(url).path).lstrip("/")
            target = root / path
            if path == "" or path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                report.broken_links.append(f"no such file: {link}")
                continue
            fragment = unquote(fragment)
            if not fragment or target.suffix != ".html":
                continue
            page = str(target.relative_to(root).with_suffix(""))
            if page in live:
                ids = live[page]
            else:
                ids = cache.setdefault(target, static_ids(target))
            if fragment not in ids:
                report.broken_links.append(f"no such anchor: {link}")


def visit(
    root: Path,
    pages: Iterable[str],
    *,
    viewports: Iterable[Viewport] = VIEWPORTS,
    screenshot_dir: Path | None = None,
    run_axe: bool = True,
) -> list[PageReport]:
    """Serve ``root``, open every page at every width, check the links between them."""
    pages, viewports = list(pages), list(viewports)
    with serve(root) as origin, launch() as browser:
        reports = [
            inspect(browser, origin, page, viewport, screenshot_dir=screenshot_dir, run_axe=run_axe)
            for page in pages
            for viewport in viewports
        ]
        check_links(reports, origin, root)
    return reports


# ------------------------------------------------------------------------ the checks


def _overflow(report: PageReport) -> list[str]:
    if report.overflow > 0:
        return [f"body scrolls sideways: {report.overflow} px wider than {report.viewport.width}"]
    return []


def _weight(report: PageReport) -> list[str]:
    if report.weight > PAGE_BUDGET_BYTES:
        return [f"{report.weight / MB:.2f} MB transferred, budget {PAGE_BUDGET_BYTES / MB:g} MB"]
    return []


CHECKS: dict[str, Callable[[PageReport], list[str]]] = {
    "http": lambda r: r.failed,
    "external": lambda r: r.external + r.external_refs,
    "widgets": lambda r: r.widgets,
    "console": lambda r: r.console_errors,
    "images": lambda r: r.broken_images,
    "figures": lambda r: r.figure_problems,
    "alt": lambda r: r.alt_problems,
    "math": lambda r: r.math_problems,
    "links": lambda r: r.broken_links,
    "overflow": _overflow,
    "headings": lambda r: r.headings,
    "axe": lambda r: r.axe,
    "weight": _weight,
}


def problems(reports: Iterable[PageReport], check: str) -> dict[str, list[str]]:
    """Return ``{"<page> @<width>": [problem, ...]}`` for the reports that fail ``check``."""
    found = {}
    for report in reports:
        if listed := CHECKS[check](report):
            found[f"{report.page} @{report.viewport.name}"] = listed
    return found


def site_bytes(root: Path) -> int:
    """Return the size of the whole HTML folder (what is published)."""
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def table(reports: Iterable[PageReport]) -> str:
    """Return the per-page table: one row per page and width."""
    header = ("page", "width", "requests", "external", "console", "images", "math", "axe s/c")
    header += ("problems", "MB sent", "MB raw", "s")
    rows = [header]
    for r in reports:
        total = sum(len(check(r)) for check in CHECKS.values())
        counts = (r.requests, len(r.external), len(r.console_errors), r.images, r.math)
        rows.append(
            (r.page, r.viewport.name, *counts, len(r.axe), total)
            + (f"{r.weight / MB:.2f}", f"{r.raw_weight / MB:.2f}", f"{r.seconds:.1f}")
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            str(cell).ljust(width) if i < 2 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(lines)


def heaviest(reports: Iterable[PageReport], n: int = 5) -> list[tuple[str, int]]:
    """Return the ``n`` heaviest pages as ``(page, bytes)`` (the larger of their widths)."""
    weight: dict[str, int] = {}
    for r in reports:
        weight[r.page] = max(weight.get(r.page, 0), r.weight)
    return sorted(weight.items(), key=lambda item: -item[1])[:n]
