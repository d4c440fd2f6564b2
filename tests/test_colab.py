"""The Colab notebooks (colab/, `make colab`), their generator and the Colab buttons of the book.

The generator (book/_ext/colab_notebooks.py) is tested on a small fixture book in
tests/data/colab/ that uses every construct it translates, and on the real book: the committed
notebooks must be exactly what `make colab` writes. The tests marked `book` inspect the HTML of
the test suite's book build (the `book` fixture of conftest.py).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import colab_notebooks  # noqa: E402

from decondl.notebook import reading_minutes  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "colab"
COLAB = ROOT / "colab"
GPU_CHAPTERS = {"care_restoration", "instance_segmentation", "unet_receptive_field"}
CPU_CHAPTERS = {
    "cnn_building_blocks",
    "image_formation",
    "classical_deconvolution",
    "large_images",
}

# MyST syntax that must not survive in a notebook's markdown: roles ({name}`...`), directive
# fences (```{name}, ~~~{name}, :::{name}, also indented or quoted) and targets ((label)=).
MYST_ROLE = re.compile(r"\{[A-Za-z0-9_+:\-]+\}`")
MYST_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,}|:{3,})[ \t]*\{", re.MULTILINE)
MYST_TARGET = re.compile(r"^[ \t>]*\([^()\s]+\)=[ \t]*$", re.MULTILINE)


def myst_leftovers(markdown: str) -> list[str]:
    """Return every piece of MyST-only syntax found in a markdown text."""
    return [
        m.group(0) for rx in (MYST_ROLE, MYST_FENCE, MYST_TARGET) for m in rx.finditer(markdown)
    ]


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def markdown_of(nb: dict) -> str:
    return "\n\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_cells(nb: dict) -> list[str]:
    return [source(c) for c in nb["cells"] if c["cell_type"] == "code"]


def committed() -> list[Path]:
    return sorted(COLAB.rglob("*.ipynb"))


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


@pytest.fixture(scope="module")
def fixture_nbs(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("fixture-colab")
    colab_notebooks.generate(FIXTURE, out)
    return {str(p.relative_to(out).with_suffix("")): read(p) for p in out.rglob("*.ipynb")}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("colab")
    colab_notebooks.generate(ROOT, out)
    return out


# ---------------------------------------------------------------------- the committed notebooks
def test_committed_notebooks_are_what_make_colab_writes(regenerated):
    expected = {p.relative_to(regenerated): p.read_bytes() for p in regenerated.rglob("*.ipynb")}
    actual = {p.relative_to(COLAB): p.read_bytes() for p in committed()}
    missing = sorted(map(str, expected.keys() - actual.keys()))
    stale = sorted(map(str, actual.keys() - expected.keys()))
    changed = sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert not (missing or stale or changed), (
        "colab/ is out of date with the chapters: run `make colab` and commit colab/ "
        f"(missing: {missing}, no longer generated: {stale}, changed: {changed})"
    )


def test_every_chapter_and_exercise_page_has_a_notebook():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = toc.get("chapters") or [c for part in toc["parts"] for c in part["chapters"]]
    reference = {"book/references", "book/notation", "book/glossary"}  # no code: no notebook
    chapters = [Path(c["file"]).name for c in entries if c["file"] not in reference]
    names = {str(p.relative_to(COLAB).with_suffix("")) for p in committed()}
    assert {*chapters, *(f"exercises/{c}" for c in chapters)} <= names, sorted(names)
    exercises = {Path(p).stem for p in (ROOT / "book" / "exercises").glob("*.md")}
    assert {f"exercises/{e}" for e in exercises} <= names


def test_generation_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    colab_notebooks.generate(FIXTURE, first)
    colab_notebooks.generate(FIXTURE, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*.ipynb"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.ipynb"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_generate_removes_notebooks_of_pages_that_are_gone(tmp_path):
    (tmp_path / "exercises").mkdir()
    stale = tmp_path / "exercises" / "removed_chapter.ipynb"
    stale.write_text("{}")
    colab_notebooks.generate(FIXTURE, tmp_path)
    assert not stale.exists()


@pytest.mark.parametrize("path", committed(), ids=lambda p: str(p.relative_to(COLAB)))
def test_committed_notebooks_are_valid_without_outputs(path):
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert text == json.dumps(read(path), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert not {"remove-cell", "remove-input", "remove-output"} & set(
            cell.metadata.get("tags", [])
        )
    assert [c.id for c in nb.cells] == [f"cell-{i:03d}" for i in range(len(nb.cells))]


# ---------------------------------------------------------------------- no MyST left
@pytest.mark.parametrize("path", committed(), ids=lambda p: str(p.relative_to(COLAB)))
def test_no_myst_syntax_in_committed_markdown(path):
    for cell in read(path)["cells"]:
        if cell["cell_type"] == "markdown":
            assert not myst_leftovers(source(cell)), (path.name, myst_leftovers(source(cell)))


def test_no_myst_syntax_in_fixture_markdown(fixture_nbs):
    for name, nb in fixture_nbs.items():
        assert not myst_leftovers(markdown_of(nb)), (name, myst_leftovers(markdown_of(nb)))


@pytest.mark.parametrize(
    "planted",
    [
        "see {cite}`lucy1974`",
        "a value {glue:text}`psnr:.1f` dB",
        "```{note}\nbody\n```",
        "::::{warning}\nbody\n::::",
        "> ```{tip}\n> body\n> ```",
        "(fig-label)=",
        "  (indented-label)=",
    ],
)
def test_myst_scan_finds_planted_syntax(planted):
    assert myst_leftovers(f"Plain text.\n\n{planted}\n\nMore text.")
    assert not myst_leftovers("Plain text with `code`, $x_{i}$ and [a link](https://x.org/(a)).")


# ---------------------------------------------------------------------- the setup cell
def setup_cells() -> list[tuple[str, str]]:
    return [(str(p.relative_to(COLAB)), code_cells(read(p))[0]) for p in committed()]


@pytest.mark.parametrize("name, cell", setup_cells(), ids=[n for n, _ in setup_cells()])
def test_setup_cell_installs_from_the_configured_repository_only_in_colab(name, cell):
    repo = config()["repository"]
    assert f'    SOURCE = "decondl[dl] @ git+{repo["url"]}@{repo["branch"]}"\n' in cell
    assert cell.count("SOURCE = ") == 1
    tree = ast.parse(cell)
    # Outside Colab the cell only imports sys; everything else is under the google.colab guard.
    assert [type(node) for node in tree.body] == [ast.Import, ast.If]
    assert ast.unparse(tree.body[1].test) == "'google.colab' in sys.modules"
    assert "pip" in ast.unparse(tree.body[1])


def test_setup_cell_does_nothing_outside_colab(monkeypatch):
    cell = colab_notebooks.Generator(FIXTURE).setup_source()
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran pip outside Colab"))
    exec(compile(cell, "setup", "exec"), {"open": lambda *a, **k: pytest.fail("wrote a file")})


def test_setup_cell_in_colab_pins_what_colab_ships(monkeypatch):
    from importlib.metadata import version

    cell = colab_notebooks.Generator(FIXTURE).setup_source()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    calls, written = [], {}

    class Capture:
        def __init__(self, path, mode):
            self.path = path

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, text):
            written[self.path] = text

    monkeypatch.setattr(subprocess, "run", lambda args, check: calls.append(args))
    exec(compile(cell, "setup", "exec"), {"open": Capture})
    [args] = calls
    constraints = args[args.index("-c") + 1]
    assert args[-1] == "decondl[dl] @ git+https://github.com/example-org/fixture-book@trunk"
    assert args[1:4] == ["-m", "pip", "install"]
    assert f"numpy=={version('numpy')}" in written[constraints].split()


# ---------------------------------------------------------------------- student editions
def solution_parts(page: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    """Split a MyST exercise page into (solution code, other code, solution text, other text).

    Independent of the generator: gated solutions are the cells between a
    ``{solution-start}`` and a ``{solution-end}`` fence; ``{solution}`` directives are text.
    """
    fence = re.compile(r"^(`{3,}|:{3,})\{(solution|solution-start|solution-end)\}")
    sol_code, code, sol_text, text = [], [], [], []
    gated = in_directive = False
    for cell in jupytext.read(page).cells:
        if cell.cell_type == "code":
            (sol_code if gated else code).append(cell.source)
            continue
        closing = None
        for line in cell.source.split("\n"):
            found = fence.match(line)
            if found and found[2] == "solution-start":
                gated = True
            elif found and found[2] == "solution-end":
                gated = False
            elif found:
                in_directive, closing = True, found[1]
            elif in_directive and line.strip() == closing:
                in_directive = False
            elif line.strip() and not line.startswith(":"):
                (sol_text if gated or in_directive else text).append(line.strip())
    return sol_code, code, sol_text, text


def exercise_pages() -> list[tuple[Path, Path]]:
    pages = [(FIXTURE / "book/exercises/chapter.md", None)]
    for page in sorted((ROOT / "book" / "exercises").glob("*.md")):
        pages.append((page, COLAB / "exercises" / f"{page.stem}.ipynb"))
    return pages


@pytest.mark.parametrize(
    "page, notebook", exercise_pages(), ids=[str(p.relative_to(ROOT)) for p, _ in exercise_pages()]
)
def test_student_notebooks_have_no_solutions(page, notebook, fixture_nbs):
    nb = fixture_nbs["exercises/chapter"] if notebook is None else read(notebook)
    assert solution_leaks(page, nb) == []


def solution_leaks(page: Path, nb: dict) -> list[str]:
    """Return what a notebook shows of the solutions of its source page (nothing, ideally)."""
    sol_code, code, sol_text, text = solution_parts(page)
    student_code, student_md = code_cells(nb), markdown_of(nb)
    leaks = re.findall(r"\{solution[\w-]*\}|\bSolution to\b", student_md)
    # The generator copies code cells verbatim, so a leaked solution cell would show as whole
    # lines; lines that the page's other (student) cells share are not evidence, nor are
    # short ones such as ")".
    student_lines = {line.strip() for c in student_code for line in c.split("\n")}
    own = {line.strip() for c in code for line in c.split("\n")}
    for cell in sol_code:
        lines = {line.strip() for line in cell.split("\n")} - own
        leaks += sorted(line for line in lines if len(line) >= 8 and line in student_lines)
    md_lines = {line.strip().lstrip(">").strip() for line in student_md.split("\n")}
    leaks += sorted(
        line for line in set(sol_text) - set(text) if len(line) >= 12 and line in md_lines
    )
    return leaks


def test_solution_leak_check_finds_solutions_in_a_teacher_edition():
    gen = colab_notebooks.Generator(FIXTURE)
    [page] = [p for p in gen.pages if p.student]
    teacher = gen.notebook(dataclasses.replace(page, student=False))
    leaks = solution_leaks(page.source, json.loads(colab_notebooks.render_notebook(teacher)))
    assert "Solution to" in leaks
    assert "answer = 6 * 7  # SOLUTION-CODE-GATED" in leaks
    assert "SOLUTION-TEXT-PLAIN because." in leaks  # in a block quote there
    assert "SOLUTION-TEXT-GATED explains why." in leaks


def test_fixture_student_edition_keeps_exercises_and_drops_solutions(fixture_nbs):
    nb = fixture_nbs["exercises/chapter"]
    md, code = markdown_of(nb), "\n".join(code_cells(nb))
    for kept in (
        "**Exercise 1: Compute it**",
        "**Exercise 2: Explain it**",
        "**Exercise 3: A gated exercise**",
        "Text after the first solution.",
        "Write `f`.",
    ):
        assert kept in md
    assert "ex.check_compute(answer)" in code and "ex.check_f(f)" in code
    assert "...  # your code here" in code
    for gone in (
        "SOLUTION-TEXT-GATED",
        "SOLUTION-TEXT-AFTER-CODE",
        "SOLUTION-TEXT-PLAIN",
        "SOLUTION-CODE-GATED",
        "SOLUTION-CODE-SECOND",
    ):
        assert gone not in md + code
    # The proof above can fail: the solutions are in the source page.
    sol_code, _, sol_text, _ = solution_parts(FIXTURE / "book/exercises/chapter.md")
    assert any("SOLUTION-CODE-GATED" in c for c in sol_code)
    assert any("SOLUTION-TEXT-PLAIN" in t for t in sol_text)


# ---------------------------------------------------------------------- translation
def test_fixture_chapter_translation(fixture_nbs):
    nb = fixture_nbs["chapter"]
    md = markdown_of(nb)
    site = "https://example-org.github.io/fixture-book/"
    refs = f"{site}book/references.html"
    page = (FIXTURE / "book" / "chapter.md").read_text(encoding="utf-8")
    reading_time = reading_minutes(page, 200)  # the book's own count (tests/test_notebook.py)
    expected = [
        f"Deconvolution ([Lucy, 1974]({refs})) and learning ([Weigert et al., 2018]({refs}); "
        f"[Wiener, 1949]({refs}))",
        "The value is\n`psnr_value` dB and the count is `count`.",
        "Inline math $x^2$ and\ndollar math $y^2$ stay",
        f"Terms: [PSF]({site}book/glossary.html#term-PSF), [blurred spots]"
        f"({site}book/glossary.html#term-point-spread-function), "
        f"[richardson-lucy]({site}book/glossary.html#term-Richardson-Lucy).",
        f"Reading time: {reading_time} minute",
        "*Figure 1: The first figure, at `psnr_value` dB.*\n\nA legend paragraph.",
        f"See [Figure 1]({site}book/chapter.html#fig-one), "
        f"[Panel 1]({site}book/chapter.html#fig-one)",
        f"[the first figure]({site}book/chapter.html#fig-one)",
        f"[A chapter with every construct]({site}book/chapter.html#chapter-target)",
        f"[Figure 1 of *The other page*]({site}book/other.html#fig-other)",
        f"[The other page]({site}book/other.html#other-page)",
        f"Pages: [The other page]({site}book/other.html), "
        f"[the exercises]({site}book/exercises/chapter.html).",
        f"> **Note**\n>\n> A note with ([Lucy, 1974]({refs})).",
        "> **Warning**\n>\n> A colon-fenced warning.",
        "> **A custom title**\n>\n> Custom admonition body.",
        "- A list item with a nested tip:\n\n  > **Tip**\n  >\n  > Nested tip body.",
        f"| Richardson-Lucy | ([Lucy, 1974]({refs})) |",
        "$$\ng = h \\ast f\n$$",
        "$$\nE = m c^2\n$$",
        '```python\nprint("a plain code block stays")\n```',
        "**Exercise 1: An exercise in a chapter**\n\nChapter exercise body.",
        "> **Solution to Exercise 1**\n>\n> Chapter solution body (kept in a chapter notebook).",
    ]
    for text in expected:
        assert text in md, text
    for gone in ("A MyST comment", "Alt text", "(chapter-target)=", "(eq-energy)", "eq-model"):
        assert gone not in md


def test_cells_tagged_remove_cell_are_dropped_and_tags_cleaned(fixture_nbs):
    nb = fixture_nbs["chapter"]
    assert not any("BUILD_ONLY_GUARD_XYZ" in c for c in code_cells(nb))
    tags = [c["metadata"].get("tags") for c in nb["cells"] if c["metadata"].get("tags")]
    assert tags == [["hide-input"]]


def test_first_cell_has_title_link_and_runtime(fixture_nbs):
    chapter, other = fixture_nbs["chapter"], fixture_nbs["other"]
    head = source(chapter["cells"][0])
    assert head.startswith("# A chapter with every construct\n")
    assert "(https://example-org.github.io/fixture-book/book/chapter.html)" in head
    assert "**Runtime: GPU.**" in head and "T4 GPU" in head
    assert "**Runtime: CPU.**" in source(other["cells"][0])
    student = source(fixture_nbs["exercises/chapter"]["cells"][0])
    assert student.startswith("# Exercises: a chapter\n")
    assert "without the solutions" in student
    assert "**Runtime: CPU.** Some exercises train small networks" in student
    assert "Homework of chapter 1 (A chapter with every construct)" in student
    # The title is in the first cell only, not repeated by the page's own heading.
    assert markdown_of(chapter).count("# A chapter with every construct") == 1


def test_root_and_pages_without_kernelspec_get_no_notebook(fixture_nbs):
    assert sorted(fixture_nbs) == ["chapter", "exercises/chapter", "other"]


def test_site_urls_derive_from_config():
    site = colab_notebooks.Site.from_config(ROOT)
    owner, repo = config()["repository"]["url"].rstrip("/").split("/")[-2:]
    assert site.page_url("book/classical_deconvolution") == (
        f"https://{owner.lower()}.github.io/{repo}/book/classical_deconvolution.html"
    )
    assert site.colab_url("colab/x.ipynb") == (
        f"https://colab.research.google.com/github/{owner}/{repo}/blob/"
        f"{config()['repository']['branch']}/colab/x.ipynb"
    )
    assert colab_notebooks.colab_path("book/exercises/x") == "colab/exercises/x.ipynb"


# ---------------------------------------------------------------------- errors
def broken_copy(tmp_path: Path, page: str, old: str, new: str) -> Path:
    root = tmp_path / "book-copy"
    shutil.copytree(FIXTURE, root)
    path = root / page
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root


def error_line(root: Path, page: str, needle: str) -> int:
    lines = (root / page).read_text().split("\n")
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(
    "old, new, message, at",
    [
        ("```{note}", "```{figure}", "unknown MyST directive {figure}", "```{figure}"),
        (":::{warning}", ":::{sidebar}", "unknown MyST directive {sidebar}", ":::{sidebar}"),
        ("{glue}`count`", "{abbr}`count`", "unknown MyST role {abbr}", "{abbr}"),
        ("{term}`PSF`", "{term}`OTF`", "{term} 'OTF' is not defined", "{term}`OTF`"),
        ("{reading-time}`200`", "{reading-time}`fast`", "{reading-time}", "{reading-time}"),
        ("{numref}`fig-one`", "{numref}`fig-nowhere`", "'fig-nowhere'", "fig-nowhere"),
        ("{cite}`lucy1974`", "{cite}`nobody2000`", "'nobody2000'", "nobody2000"),
        ("{doc}`other`", "{doc}`missing_page`", "'missing_page'", "missing_page"),
        (":class: tip", ":bogus: tip", "Unknown option keys: ['bogus']", "{admonition}"),
        (
            "```{note}\nA note with {cite}`lucy1974`.\n```",
            "````{note}\nNested:\n\n```{dropdown}\nx\n```\n````",
            "unknown MyST directive {dropdown}",
            "```{dropdown}",
        ),
    ],
)
def test_unknown_syntax_raises_with_file_and_line(tmp_path, old, new, message, at):
    root = broken_copy(tmp_path, "book/chapter.md", old, new)
    with pytest.raises(colab_notebooks.ColabGenerationError) as err:
        colab_notebooks.generate(root, tmp_path / "out")
    assert message in str(err.value)
    assert f"book/chapter.md:{error_line(root, 'book/chapter.md', at)}:" in str(err.value)
    assert not (tmp_path / "out").exists(), "nothing is written when a page fails"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("{solution-start} ex-compute", "{solution-start} ex-nothing", "'ex-nothing'"),
        ("````{solution-end}\n````\n\nText after", "Text after", "is not closed before"),
        (
            "````{solution-end}\n````\n\n```{code-cell} ipython3\nex.check_f",
            "```{code-cell} ipython3\nex.check_f",
            "is never closed",
        ),
        ("````{exercise-end}\n````\n", "", "inside the {exercise-start}"),
    ],
)
def test_broken_solutions_raise(tmp_path, old, new, message):
    root = broken_copy(tmp_path, "book/exercises/chapter.md", old, new)
    with pytest.raises(colab_notebooks.ColabGenerationError, match=re.escape(message)):
        colab_notebooks.generate(root, tmp_path / "out")


def test_cli_reports_errors_and_writes_notebooks(tmp_path, capsys):
    assert colab_notebooks.main(["--root", str(FIXTURE), "--output", str(tmp_path / "ok")]) == 0
    assert (tmp_path / "ok" / "exercises" / "chapter.ipynb").is_file()
    root = broken_copy(tmp_path, "book/chapter.md", "```{note}", "```{figure}")
    assert colab_notebooks.main(["--root", str(root), "--output", str(tmp_path / "bad")]) == 1
    assert "unknown MyST directive {figure}" in capsys.readouterr().err


# ---------------------------------------------------------------------- metadata
def test_fixture_metadata(fixture_nbs):
    base = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    assert fixture_nbs["chapter"]["metadata"] == {
        **base,
        "accelerator": "GPU",
        "colab": {"gpuType": "T4", "provenance": []},
    }
    assert fixture_nbs["other"]["metadata"] == {**base, "colab": {"provenance": []}}
    # Exercise pages train small networks on a CPU: no GPU requested, even though they train.
    assert fixture_nbs["exercises/chapter"]["metadata"] == {**base, "colab": {"provenance": []}}


@pytest.mark.parametrize("chapter", sorted(GPU_CHAPTERS | CPU_CHAPTERS))
def test_training_chapters_ask_for_a_gpu(chapter):
    meta = read(COLAB / f"{chapter}.ipynb")["metadata"]
    assert meta["kernelspec"]["name"] == "python3"
    assert meta["language_info"]["name"] == "python"
    assert meta["colab"]["provenance"] == []
    if chapter in GPU_CHAPTERS:
        assert meta["accelerator"] == "GPU" and meta["colab"]["gpuType"] == "T4"
    else:
        assert "accelerator" not in meta and "gpuType" not in meta["colab"]


# ---------------------------------------------------------------------- the built book
class Links(HTMLParser):
    """Collect (href, classes) of every <a> of an HTML page."""

    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], (attrs.get("class") or "").split()))


def page_links(html: str) -> list[tuple[str, list[str]]]:
    parser = Links()
    parser.feed(html)
    return parser.links


def colab_links(html: str) -> list[str]:
    return [href for href, _ in page_links(html) if href.startswith(colab_notebooks.COLAB_URL)]


def download_links(html: str) -> list[str]:
    label = "btn-download-colab-notebook-button"
    return [href for href, classes in page_links(html) if label in classes]


def test_html_link_helpers_find_and_miss():
    html = (
        '<a href="https://colab.research.google.com/github/o/r/blob/main/colab/x.ipynb" '
        'class="btn dropdown-item">Colab</a><a href="../colab/x.ipynb"\n class="btn '
        'btn-download-colab-notebook-button dropdown-item">nb</a><a href="https://x.org">x</a>'
    )
    assert colab_links(html) == [
        "https://colab.research.google.com/github/o/r/blob/main/colab/x.ipynb"
    ]
    assert download_links(html) == ["../colab/x.ipynb"]
    assert colab_links('<a href="https://x.org">x</a>') == []


@pytest.mark.book
@pytest.mark.parametrize("page", colab_notebooks.notebook_pages(ROOT), ids=lambda p: p.pagename)
def test_built_page_has_one_colab_link_to_its_notebook(book, page):
    html_path = book.html / f"{page.pagename}.html"
    html = html_path.read_text(encoding="utf-8")
    repo = config()["repository"]
    owner_repo = repo["url"].rstrip("/").removeprefix("https://github.com/")
    links = colab_links(html)
    assert len(links) == 1, links
    prefix = f"https://colab.research.google.com/github/{owner_repo}/blob/{repo['branch']}/"
    assert links[0].startswith(prefix), links[0]
    notebook = links[0].removeprefix(prefix)
    assert re.fullmatch(r"colab/(exercises/)?\w+\.ipynb", notebook), notebook
    assert (ROOT / notebook).is_file(), notebook
    assert ("exercises/" in notebook) == page.student
    [download] = download_links(html)
    target = (html_path.parent / download).resolve()
    assert target.is_file(), download
    assert target.read_bytes() == (ROOT / notebook).read_bytes()


@pytest.mark.book
def test_pages_without_notebook_have_no_colab_link(book):
    with_notebook = {p.pagename for p in colab_notebooks.notebook_pages(ROOT)}
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [Path(toc["root"]).with_suffix("").as_posix(), "book/references", "book/notation"]
    assert not set(pages) & with_notebook
    for name in pages:
        html = (book.html / f"{name}.html").read_text(encoding="utf-8")
        assert colab_links(html) == [] and download_links(html) == [], name
