"""Generate the Colab notebooks of the course book from its MyST pages (``make colab``).

Every page of ``_toc.yml`` that is a notebook (a jupytext header with a kernelspec), except
the root page, becomes ``colab/<page>.ipynb`` (``book/x.md`` -> ``colab/x.ipynb``); the
exercise pages ``book/exercises/x.md`` become *student editions* in
``colab/exercises/x.ipynb``, without solution text or solution code. The notebooks are
committed without outputs, and generating them twice gives byte-identical files (sorted keys,
fixed nbformat version, cell ids derived from the cell index).

jupytext splits a page into cells. Inside markdown cells, MyST roles and directives are found
by the MyST parser's own markdown-it tokenizer (with the extensions of ``_config.yml``) and
rewritten into plain Markdown that Colab renders:

* ``{glue:text}`name:fmt``` and the other inline glue roles -> ```name```: the code cell that
  computes the value prints it as ``name = value`` (:func:`decondl.notebook.glue`);
* ``{glue:figure}`` -> an italic "Figure N: caption" line (the code above draws the figure);
* ``{cite}`` -> author-year links to the published references page; ``{numref}``, ``{ref}``
  and ``{doc}`` -> links to the published pages (links to an exercise page open its student
  notebook in Colab); ``{math}`` -> dollar math;
* admonitions -> block quotes with a bold title; ``{exercise}`` -> a bold "Exercise N: title"
  paragraph followed by its body, numbered in page order; ``{solution}`` and gated
  ``{solution-start}``/``{solution-end}`` (with the code cells in between) are dropped from the
  student editions; ``{bibliography}``, ``(label)=`` targets and ``%`` comments are dropped.

The markdown part lives in ``colab_markdown.py``. A role or directive the generator does not
know raises :class:`ColabGenerationError` naming the file, the line and the construct, so new
MyST syntax cannot slip into a notebook. Cells tagged ``remove-cell`` (build-only guards) are
dropped. All URLs derive from ``repository.url`` and ``repository.branch`` in ``_config.yml``.

Run ``python book/_ext/colab_notebooks.py`` (or ``make colab``) from the repository; see
``--help``.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
import yaml
from colab_markdown import ColabGenerationError, Context, MystToMarkdown

__all__ = [
    "COLAB_URL",
    "ColabGenerationError",
    "Page",
    "Site",
    "Generator",
    "colab_path",
    "generate",
    "main",
    "notebook_pages",
    "render_notebook",
]

#: Colab's address; a GitHub notebook opens at ``{COLAB_URL}/github/OWNER/REPO/blob/BRANCH/PATH``.
COLAB_URL = "https://colab.research.google.com"
#: Folder (relative to the repository root) that holds the generated notebooks.
OUTPUT_DIR = "colab"
#: nbformat version of the generated files (4.5: the first with cell ids).
NBFORMAT = (4, 5)
#: Code that marks a page as training a network (a chapter then asks for a GPU runtime).
TRAINING_CODE = re.compile(r"\bprofile\.current\(\)|\btrain\w*\(|\.fit\(")
#: Packages that Colab ships and the setup cell must never replace.
COLAB_KEEPS = ("tensorflow", "keras", "numpy", "ipywidgets")
#: Cell tags that only matter to the book build and are not copied into the notebooks.
BUILD_TAGS = frozenset({"remove-cell", "remove-input", "remove-output"})

SETUP_CELL = """\
# Setup: in Google Colab, install the course package (elsewhere, nothing to do).
# What Colab already ships ({shipped}) is kept as it is.
import sys

if "google.colab" in sys.modules:
    import subprocess
    from importlib.metadata import PackageNotFoundError, version
    SOURCE = "{source}"
    keep = []
    for name in {keeps}:
        try:
            keep.append(f"{{name}}=={{version(name)}}")
        except PackageNotFoundError:
            pass
    with open("/tmp/colab-keep.txt", "w") as f:
        f.write("\\n".join(keep) + "\\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "-c", "/tmp/colab-keep.txt", SOURCE],
        check=True,
    )"""


@dataclass(frozen=True)
class Site:
    """Repository and published-site addresses, all derived from ``_config.yml``.

    Parameters
    ----------
    repo_url : str
        ``repository.url``, ``https://github.com/OWNER/REPO``.
    branch : str
        ``repository.branch``.
    """

    repo_url: str
    branch: str

    @classmethod
    def from_config(cls, root: Path) -> Site:
        """Read ``repository.url`` and ``repository.branch`` from ``<root>/_config.yml``.

        Raises
        ------
        ValueError
            If the URL is not a GitHub repository URL or the branch is missing.
        """
        config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
        repo = config.get("repository") or {}
        url, branch = str(repo.get("url", "")).rstrip("/"), repo.get("branch")
        if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
            raise ValueError(
                f"_config.yml repository.url must be https://github.com/OWNER/REPO, got {url!r}"
            )
        if not branch:
            raise ValueError("_config.yml has no repository.branch")
        return cls(url, str(branch))

    @property
    def owner(self) -> str:
        """GitHub owner (user or organisation) of the repository."""
        return self.repo_url.split("/")[3]

    @property
    def repo(self) -> str:
        """Name of the repository."""
        return self.repo_url.split("/")[4]

    @property
    def site_url(self) -> str:
        """Base URL of the GitHub Pages site, ending with a slash."""
        host = f"https://{self.owner.lower()}.github.io/"
        return (
            host
            if self.repo.lower() == f"{self.owner.lower()}.github.io"
            else f"{host}{self.repo}/"
        )

    @property
    def install_source(self) -> str:
        """The pip requirement that installs the course package from the repository."""
        return f"decondl[dl] @ git+{self.repo_url}@{self.branch}"

    def page_url(self, pagename: str, anchor: str = "") -> str:
        """Return the published URL of a page (``book/x`` -> ``<site>/book/x.html``)."""
        return f"{self.site_url}{pagename}.html" + (f"#{anchor}" if anchor else "")

    def colab_url(self, notebook: str) -> str:
        """URL that opens ``notebook`` (a path in the repository) in Colab."""
        return f"{COLAB_URL}/github/{self.owner}/{self.repo}/blob/{self.branch}/{notebook}"


@dataclass(frozen=True)
class Page:
    """One page of the book that gets a Colab notebook.

    Parameters
    ----------
    pagename : str
        Sphinx document name, the path without suffix (``book/classical_deconvolution``).
    source : Path
        The MyST markdown file.
    notebook : str
        Path of the generated notebook relative to the repository (``colab/...ipynb``).
    student : bool
        True for an exercise page: its notebook is the student edition (no solutions).
    chapter : int
        Position of the page's chapter in the table of contents (1 for the first chapter).
    chapter_page : str
        Document name of that chapter (the page itself, or the chapter an exercise page
        belongs to).
    """

    pagename: str
    source: Path
    notebook: str
    student: bool
    chapter: int
    chapter_page: str


def colab_path(pagename: str) -> str:
    """Return the notebook path of a page: ``book/x`` -> ``colab/x.ipynb``.

    Exercise pages ``book/exercises/x`` map to ``colab/exercises/x.ipynb``.

    Raises
    ------
    ValueError
        If the page is not under ``book/``.
    """
    if not pagename.startswith("book/"):
        raise ValueError(f"only pages under book/ get a Colab notebook, not {pagename!r}")
    return f"{OUTPUT_DIR}/{pagename.removeprefix('book/')}.ipynb"


def _toc_entries(root: Path) -> tuple[str, list[tuple[str, int, str]]]:
    """Return the root page and, in toc order, every other page with its chapter.

    Each page comes as (document name, chapter position, document name of the chapter).
    """
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
    pages: list[tuple[str, int, str]] = []

    def walk(entries, chapter=None):
        for position, entry in enumerate(entries or [], start=1):
            name = str(Path(entry["file"]).with_suffix("")) if "file" in entry else None
            here = chapter or (position, name)
            if name:
                pages.append((name, *here))
            walk(entry.get("sections"), here)

    chapters = list(toc.get("chapters") or [])
    for part in toc.get("parts") or []:
        chapters += part.get("chapters") or []
    walk(chapters)
    return str(Path(toc["root"]).with_suffix("")), pages


def _is_notebook(path: Path) -> bool:
    """Return True if a MyST file has a jupytext header with a kernelspec."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    return bool(match) and "kernelspec" in (yaml.safe_load(match.group(1)) or {})


def notebook_pages(root: Path) -> list[Page]:
    """Return the pages that get a Colab notebook, in table-of-contents order.

    These are the pages of ``_toc.yml`` except its root that are notebooks (a jupytext
    header with a kernelspec); pages under ``book/exercises/`` get student editions.

    Parameters
    ----------
    root : Path
        Repository root (holds ``_toc.yml``).

    Returns
    -------
    list of Page
    """
    root = Path(root)
    _, entries = _toc_entries(root)
    pages = []
    for pagename, chapter, chapter_page in entries:
        source = root / f"{pagename}.md"
        if source.is_file() and _is_notebook(source):
            student = pagename.startswith("book/exercises/")
            notebook = colab_path(pagename)
            pages.append(Page(pagename, source, notebook, student, chapter, chapter_page))
    return pages


class Generator:
    """Convert the book's MyST pages into Colab notebooks.

    Parameters
    ----------
    root : Path
        Repository root (holds ``_config.yml``, ``_toc.yml`` and ``book/``).

    Examples
    --------
    >>> gen = Generator(Path("."))  # doctest: +SKIP
    >>> nb = gen.notebook(gen.pages[0])  # doctest: +SKIP
    """

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.site = Site.from_config(self.root)
        self.pages = notebook_pages(self.root)
        root_page, entries = _toc_entries(self.root)
        self.toc = [root_page] + [entry[0] for entry in entries]
        self.myst = MystToMarkdown(self.root, self.site, self.toc)

    def notebook(self, page: Page) -> nbformat.NotebookNode:
        """Return the Colab notebook of ``page`` (no outputs, deterministic).

        Raises
        ------
        ColabGenerationError
            On MyST syntax the generator does not know, or on an unknown label, citation or
            page.
        """
        text = page.source.read_text(encoding="utf-8")
        source = jupytext.reads(text, fmt="md:myst")
        rel = page.source.relative_to(self.root)
        ctx = Context(page.pagename, rel, page.student)
        cells, cursor = [], 0
        training = False
        for cell in source.cells:
            found = text.find(cell.source, cursor)
            line0 = text.count("\n", 0, found) if found >= 0 else 0
            cursor = found + len(cell.source) if found >= 0 else cursor
            if cell.cell_type == "markdown":
                converted = self.myst.markdown(cell.source, ctx, line0)
                if converted:
                    cells.append(nbformat.v4.new_markdown_cell(converted))
                continue
            if cell.cell_type != "code":
                continue
            tags = list(cell.metadata.get("tags", []))
            if "remove-cell" in tags or ctx.dropping:
                continue
            training = training or bool(TRAINING_CODE.search(cell.source))
            new = nbformat.v4.new_code_cell(cell.source)
            kept = [t for t in tags if t not in BUILD_TAGS]
            if kept:
                new.metadata["tags"] = kept
            cells.append(new)
        if ctx.in_gate:
            raise ColabGenerationError(
                f"{rel}:{ctx.gate_line + 1}: {{{ctx.in_gate}-start}} is never closed"
            )
        header = nbformat.v4.new_markdown_cell(self._header(page, training))
        setup = nbformat.v4.new_code_cell(self.setup_source())
        nb = nbformat.v4.new_notebook(cells=[header, setup, *cells])
        nb.nbformat, nb.nbformat_minor = NBFORMAT
        for index, cell in enumerate(nb.cells):
            cell.id = f"cell-{index:03d}"
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []},
        }
        if training and not page.student:  # exercises train small networks, on a CPU
            nb.metadata["accelerator"] = "GPU"
            nb.metadata["colab"]["gpuType"] = "T4"
        return nb

    def setup_source(self) -> str:
        """Source of the setup cell: installs ``decondl`` from the repository, only in Colab."""
        shipped = ", ".join(
            {"tensorflow": "TensorFlow", "keras": "Keras", "numpy": "NumPy"}.get(n, n)
            for n in COLAB_KEEPS
        )
        keeps = "(" + ", ".join(f'"{name}"' for name in COLAB_KEEPS) + ")"
        return SETUP_CELL.format(source=self.site.install_source, keeps=keeps, shipped=shipped)

    def _header(self, page: Page, training: bool) -> str:
        info = self.myst.info[page.pagename]
        title = self.myst.markdown(info.title, Context(page.pagename, page.source, page.student), 0)
        book = yaml.safe_load((self.root / "_config.yml").read_text(encoding="utf-8"))["title"]
        url = self.site.page_url(page.pagename)
        lines = [f"# {title}", ""]
        if page.student:
            chapter = self.myst.info[page.chapter_page].title
            lines.append(
                f"Homework of chapter {page.chapter} ({chapter}) of the course book *{book}*: "
                f"the student edition of [this page]({url}), with every exercise and its automatic "
                "check but **without the solutions** (the published page has them in dropdowns). "
                "Write your answer where a cell says `...`, then run the cell: the check says at "
                "once whether it is right and, if not, why."
            )
        else:
            lines.append(
                f"Chapter {page.chapter} of the course book *{book}*, as a notebook. The "
                f"[published page]({url}) shows the same chapter with every figure and number "
                "of the book's own run."
            )
        lines.append("")
        if training and page.student:
            lines.append(
                "**Runtime: CPU.** Some exercises train small networks, sized to finish in "
                "minutes on the default CPU runtime; a GPU runtime (*Runtime > Change runtime "
                "type*) only makes them faster."
            )
        elif training:
            lines.append(
                "**Runtime: GPU.** This notebook trains networks. Choose *Runtime > Change runtime "
                "type > T4 GPU* before running it: with a GPU the `full` run profile of the "
                "published book runs (sized for about ten minutes of training on a T4: a design "
                "target, not a measurement). On a CPU it falls back to "
                "the `quick` profile (small data, few epochs: the networks are under-trained). "
                "Set `DECONDL_PROFILE` to `quick` or `full` to choose yourself."
            )
        else:
            lines.append(
                "**Runtime: CPU.** Nothing here trains a network: the default CPU runtime is "
                "enough (the `quick` run profile)."
            )
        lines += [
            "",
            "Run the **setup cell** below first. In Colab it installs the course package "
            f"`decondl` from [the repository]({self.site.repo_url}) (branch `{self.site.branch}`) "
            "and keeps the TensorFlow, Keras, NumPy and ipywidgets that Colab ships, so no "
            "restart is needed; anywhere else it does nothing (install `decondl` yourself).",
            "",
            "Where the book's text quotes a computed number, this notebook names it in "
            "`code` style: the cell that computes it prints `name = value`.",
        ]
        return "\n".join(lines)


def render_notebook(nb: nbformat.NotebookNode) -> str:
    """Serialise a notebook deterministically (sorted keys, one-space indent, final newline)."""
    nbformat.validate(nb)
    text = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"


def generate(root: Path, output: Path | None = None) -> list[Path]:
    """Write every Colab notebook and remove notebooks of pages that no longer exist.

    Parameters
    ----------
    root : Path
        Repository root.
    output : Path, optional
        Folder to write into; default ``<root>/colab``.

    Returns
    -------
    list of Path
        The notebooks written, in table-of-contents order.

    Raises
    ------
    ColabGenerationError
        If a page uses MyST syntax the generator does not know (nothing is written then).
    """
    root = Path(root).resolve()
    output = Path(output) if output is not None else root / OUTPUT_DIR
    gen = Generator(root)
    rendered = {}
    for page in gen.pages:
        target = output / Path(page.notebook).relative_to(OUTPUT_DIR)
        rendered[target] = render_notebook(gen.notebook(page))
    for stale in sorted(output.rglob("*.ipynb")) if output.exists() else []:
        if stale not in rendered:
            stale.unlink()
    for target, text in rendered.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(rendered)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python book/_ext/colab_notebooks.py [--root DIR] [--output DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--output", type=Path, default=None, help="default: <root>/colab")
    args = parser.parse_args(argv)
    try:
        written = generate(args.root, args.output)
    except ColabGenerationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out = args.output or args.root / OUTPUT_DIR
    print(f"wrote {len(written)} notebooks to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
