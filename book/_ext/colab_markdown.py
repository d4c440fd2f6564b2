"""MyST markdown to plain Markdown, for the Colab notebooks (used by ``colab_notebooks.py``).

Roles and directives are found by the MyST parser's own markdown-it tokenizer, configured with
the extensions of ``_config.yml``; directive arguments and options are parsed by MyST with the
real directive classes (docutils admonitions, sphinx-exercise, MyST-NB's ``glue:figure``,
Sphinx's ``math``, sphinxcontrib-bibtex's ``bibliography``), so an option those directives do
not accept is an error here too. ``{term}`` links to the term on the published glossary page
(the page whose ``{glossary}`` defines it) and ``{reading-time}`` becomes the page's reading
time, computed as the book computes it (:func:`decondl.notebook.reading_minutes`). Each
construct is rewritten in the source text from the tokens' line ranges; a role or directive
not listed here raises :class:`ColabGenerationError` with the file, the line and its name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from docutils.nodes import make_id
from docutils.parsers.rst import Directive
from docutils.parsers.rst.directives import admonitions
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_nb.ext.glue.directives import PasteFigureDirective
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.directives import parse_directive_text
from myst_parser.parsers.mdit import create_md_parser
from sphinx.directives.other import SeeAlso
from sphinx.directives.patches import MathDirective
from sphinx.util.nodes import _make_id as sphinx_make_id
from sphinx_exercise import directive as exercise_directives
from sphinxcontrib.bibtex.directives import BibliographyDirective

from decondl.notebook import reading_minutes

__all__ = ["ColabGenerationError", "Context", "MystToMarkdown", "markdown_parser"]

ADMONITIONS: dict[str, type[Directive]] = {
    "note": admonitions.Note,
    "tip": admonitions.Tip,
    "hint": admonitions.Hint,
    "important": admonitions.Important,
    "warning": admonitions.Warning,
    "caution": admonitions.Caution,
    "attention": admonitions.Attention,
    "danger": admonitions.Danger,
    "error": admonitions.Error,
    "seealso": SeeAlso,
    "admonition": admonitions.Admonition,
}
ADMONITION_TITLES = {"seealso": "See also"}
EXERCISES: dict[str, type[Directive]] = {
    "exercise": exercise_directives.ExerciseDirective,
    "exercise-start": exercise_directives.ExerciseStartDirective,
    "exercise-end": exercise_directives.ExerciseEndDirective,
    "solution": exercise_directives.SolutionDirective,
    "solution-start": exercise_directives.SolutionStartDirective,
    "solution-end": exercise_directives.SolutionEndDirective,
}
OTHER_DIRECTIVES: dict[str, type[Directive]] = {
    "glue:figure": PasteFigureDirective,
    "math": MathDirective,
    "bibliography": BibliographyDirective,
}
GLUE_ROLES = frozenset({"glue", "glue:", "glue:any", "glue:text", "glue:md"})
CITE_ROLES = frozenset({"cite", "cite:p", "cite:t", "cite:ps", "cite:ts"})
#: A role written ``{name}`content``` with its explicit title: ``text <target>``.
EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


class ColabGenerationError(ValueError):
    """A page uses MyST syntax the generator cannot translate (message: file, line, construct)."""


def markdown_parser(root: Path):
    """Return MyST's markdown-it parser with the extensions of ``<root>/_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    extensions = set((config.get("parse") or {}).get("myst_enable_extensions") or [])
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


def _directive(token: Token) -> tuple[str, str] | None:
    """Return (name, first line) of a MyST directive fence, or None for a plain code fence."""
    if token.type not in ("fence", "colon_fence"):
        return None
    match = re.match(r"^\{([^}\s]+)\}\s*(.*)$", token.info.strip())
    return (match.group(1), match.group(2)) if match else None


def _heading_text(tokens: list[Token], index: int) -> str:
    """Return the source text of the heading whose ``heading_open`` token is at ``index``."""
    return tokens[index + 1].content.strip()


@dataclass
class Label:
    """A cross-reference target: where it is defined and how a link to it reads."""

    pagename: str
    kind: str  # "section", "figure", "exercise", "equation", "target"
    text: str
    number: int = 0


@dataclass
class PageInfo:
    """What other pages need to know about one page: title, labels, numbers by line."""

    title: str = ""
    labels: dict[str, Label] = field(default_factory=dict)
    exercises: dict[int, int] = field(default_factory=dict)  # file line -> number
    figures: dict[int, int] = field(default_factory=dict)  # file line -> number
    has_bibliography: bool = False
    terms: list[str] = field(default_factory=list)  # terms its {glossary} defines


class MystToMarkdown:
    """Rewrite the MyST markdown of the book's pages as plain Markdown that Colab renders.

    Parameters
    ----------
    root : Path
        Repository root (holds ``_config.yml`` and the pages).
    site : object
        Gives published URLs: ``site.page_url(pagename, anchor="")``.
    toc : list of str
        Document names of every page of the table of contents; their titles, labels and
        numbers are collected so that links between pages can be written.

    Examples
    --------
    >>> myst = MystToMarkdown(root, site, ["book/intro", "book/chapter"])  # doctest: +SKIP
    >>> ctx = Context("book/chapter", Path("book/chapter.md"), student=False)  # doctest: +SKIP
    >>> myst.markdown("See {cite}`lucy1974`.", ctx, 0)  # doctest: +SKIP
    'See ([Lucy, 1974](https://OWNER.github.io/REPO/book/references.html)).'
    """

    def __init__(self, root: Path, site, toc: list[str]):
        self.root = Path(root).resolve()
        self.site = site
        self.md = markdown_parser(self.root)
        self.toc = list(toc)
        self.info = {name: self._scan(name) for name in self.toc if self._source(name).is_file()}
        self._bib: dict[str, str] | None = None

    # ------------------------------------------------------------------ page index
    def _source(self, pagename: str) -> Path:
        return self.root / f"{pagename}.md"

    def _directives(
        self, text: str, where: str, line0: int = 0
    ) -> Iterator[tuple[Token, int, str, str]]:
        """Yield (token, file line, name, first line) of every directive, nested ones too."""
        for token in self.md.parse(text):
            found = _directive(token)
            if not found or token.map is None:
                continue
            name, first = found
            yield token, line0 + token.map[0], name, first
            if name in ADMONITIONS or name in EXERCISES or name == "glue:figure":
                parsed = self._parse(token, name, first, where, line0 + token.map[0])
                body_line = line0 + token.map[0] + 1 + parsed.body_offset
                yield from self._directives("\n".join(parsed.body), where, body_line)

    def _scan(self, pagename: str) -> PageInfo:
        """Collect the title, labels and exercise numbers of a page (in page order)."""
        text = self._source(pagename).read_text(encoding="utf-8")
        info = PageInfo()
        tokens = self.md.parse(text)
        for i, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag == "h1" and not info.title:
                info.title = _heading_text(tokens, i)
            if token.type == "myst_target":
                nxt = next(
                    (j for j in range(i + 1, len(tokens)) if tokens[j].type != "myst_target"), None
                )
                heading = nxt is not None and tokens[nxt].type == "heading_open"
                text_ = _heading_text(tokens, nxt) if heading else token.content
                kind = "section" if heading else "target"
                info.labels[token.content] = Label(pagename, kind, text_)
        figures = exercises = 0
        for token, line, name, first in self._directives(text, f"{pagename}.md"):
            if name in ("glue:figure", "exercise", "exercise-start", "math"):
                parsed = self._parse(token, name, first, f"{pagename}.md", line)
                if name == "glue:figure":
                    figures += 1
                    info.figures[line] = figures
                    if "name" in parsed.options:
                        label = Label(pagename, "figure", f"Figure {figures}", figures)
                        info.labels[parsed.options["name"]] = label
                elif name == "math":
                    if "label" in parsed.options:
                        info.labels[parsed.options["label"]] = Label(
                            pagename, "equation", "equation"
                        )
                elif "nonumber" not in parsed.options:
                    exercises += 1
                    info.exercises[line] = exercises
                    if "label" in parsed.options:
                        label = Label(pagename, "exercise", f"Exercise {exercises}", exercises)
                        info.labels[parsed.options["label"]] = label
            elif name == "bibliography":
                info.has_bibliography = True
            elif name == "glossary":  # terms start a line; definitions are indented
                info.terms += [
                    line.strip()
                    for line in token.content.split("\n")
                    if line.strip() and not line[0].isspace() and not line.startswith(":")
                ]
        return info

    def _find_label(self, label: str, where: str) -> Label:
        for info in self.info.values():
            if label in info.labels:
                return info.labels[label]
        raise ColabGenerationError(
            f"{where}: no page of the table of contents defines the label {label!r}"
        )

    # ------------------------------------------------------------------ directives
    def _parse(self, token: Token, name: str, first: str, where: str, line: int):
        cls = ADMONITIONS.get(name) or EXERCISES.get(name) or OTHER_DIRECTIVES.get(name)
        if cls is None:
            raise ColabGenerationError(
                f"{where}:{line + 1}: unknown MyST directive {{{name}}}: the Colab generator "
                "(book/_ext/colab_notebooks.py) does not know how to write it as plain Markdown"
            )
        parsed = parse_directive_text(cls, first, token.content, line=line + 1)
        if parsed.warnings:
            problems = "; ".join(w.msg for w in parsed.warnings)
            raise ColabGenerationError(f"{where}:{line + 1}: directive {{{name}}}: {problems}")
        return parsed

    # ------------------------------------------------------------------ bibliography
    def _citation(self, key: str, where: str) -> str:
        """Return the author-year text of a citation key, e.g. "Weigert et al., 2018"."""
        if self._bib is None:
            from pybtex.backends.plaintext import Backend
            from pybtex.database import parse_file
            from pybtex.richtext import Text

            config = yaml.safe_load((self.root / "_config.yml").read_text(encoding="utf-8"))
            backend, self._bib = Backend(), {}
            for name in config.get("bibtex_bibfiles") or []:
                for k, entry in parse_file(str(self.root / name), "bibtex").entries.items():
                    persons = entry.persons.get("author") or entry.persons.get("editor") or []
                    names = [
                        Text.from_latex(" ".join(p.last_names)).render(backend) for p in persons
                    ]
                    who = f"{names[0]} et al." if len(names) > 2 else " and ".join(names) or k
                    self._bib[k] = f"{who}, {entry.fields.get('year', 'n.d.')}"
        if key not in self._bib:
            raise ColabGenerationError(f"{where}: {{cite}} key {key!r} is not in the bibliography")
        return self._bib[key]

    def _term(self, term: str, where: str) -> tuple[str, str]:
        """Return (glossary page, anchor) of a term; matched case-insensitively, as Sphinx does."""
        for name, info in self.info.items():
            for defined in info.terms:
                if defined.lower() == term.lower():
                    return name, sphinx_make_id(f"term-{defined}")
        raise ColabGenerationError(f"{where}: {{term}} {term!r} is not defined in a {{glossary}}")

    def _references_page(self, where: str) -> str:
        for name, info in self.info.items():
            if info.has_bibliography:
                return name
        raise ColabGenerationError(f"{where}: {{cite}} used but no page has a {{bibliography}}")

    # ------------------------------------------------------------------ roles
    def _role(self, name: str, content: str, ctx: Context, line: int) -> str:
        where = f"{ctx.path}:{line + 1}"
        if name in GLUE_ROLES:
            return f"`{content.split(':', 1)[0].strip()}`"
        if name == "math":
            return f"${content}$"
        if name in CITE_ROLES:
            url = self.site.page_url(self._references_page(where))
            cites = [self._citation(k.strip(), where) for k in content.split(",") if k.strip()]
            return "(" + "; ".join(f"[{c}]({url})" for c in cites) + ")"
        if name == "reading-time":
            text = self._source(ctx.pagename).read_text(encoding="utf-8")
            try:
                minutes = reading_minutes(text, int(content.strip()))
            except ValueError as err:
                raise ColabGenerationError(f"{where}: {{reading-time}}: {err}") from None
            return f"{minutes} minute{'s' if minutes != 1 else ''}"
        explicit = EXPLICIT_TITLE.match(content)
        title, target = (explicit["title"], explicit["target"]) if explicit else (None, content)
        if name == "term":
            page, anchor = self._term(target.strip(), where)
            return f"[{title or target.strip()}]({self.site.page_url(page, anchor)})"
        if name in ("numref", "ref"):
            label = self._find_label(target.strip(), where)
            text = title or label.text
            if name == "numref" and title and "%s" in title:
                text = title.replace("%s", str(label.number))
            if label.pagename != ctx.pagename and not title and label.kind != "section":
                text = f"{text} of *{self.info[label.pagename].title}*"
            return f"[{text}]({self.site.page_url(label.pagename, make_id(target.strip()))})"
        if name == "doc":
            pagename = self._resolve_doc(target.strip(), ctx.pagename, where)
            text = title or self.info[pagename].title
            return f"[{text}]({self.site.page_url(pagename)})"
        raise ColabGenerationError(
            f"{where}: unknown MyST role {{{name}}}: the Colab generator "
            "(book/_ext/colab_notebooks.py) does not know how to write it as plain Markdown"
        )

    def _resolve_doc(self, target: str, current: str, where: str) -> str:
        target = target.removesuffix(".md")
        if target.startswith("/"):
            name = target.lstrip("/")
        else:
            parts = list(Path(current).parent.parts) + target.split("/")
            resolved: list[str] = []
            for part in parts:
                if part == "..":
                    resolved.pop()
                elif part not in ("", "."):
                    resolved.append(part)
            name = "/".join(resolved)
        if name not in self.info:
            raise ColabGenerationError(
                f"{where}: {{doc}} target {target!r} is not a page of the book"
            )
        return name

    def _inline(self, lines: list[str], tokens: list[Token], ctx: Context, line0: int) -> list[str]:
        """Rewrite the roles of inline tokens that share the source lines ``lines``."""
        segment = "\n".join(lines)
        out, cursor = [], 0
        for token in tokens:
            for child in token.children or []:
                if child.type == "code_inline":
                    pattern = (
                        r"(`+)\s?" + re.escape(child.content).replace(r"\ ", r"\s+") + r"\s?\1"
                    )
                    found = re.compile(pattern).search(segment, cursor)
                    if found:
                        out.append(segment[cursor : found.end()])
                        cursor = found.end()
                elif child.type == "myst_role":
                    name = child.meta["name"]
                    body = re.escape(child.content).replace(r"\ ", r"\s+")
                    pattern = r"\{" + re.escape(name) + r"\}(`+)" + body + r"\1"
                    found = re.compile(pattern).search(segment, cursor)
                    if not found:  # pragma: no cover - the tokenizer found it in this text
                        raise ColabGenerationError(
                            f"{ctx.path}:{line0 + 1}: cannot locate role {{{name}}}"
                        )
                    line = line0 + segment.count("\n", 0, found.start())
                    out.append(segment[cursor : found.start()])
                    out.append(self._role(name, child.content, ctx, line))
                    cursor = found.end()
                elif child.type.startswith("substitution"):
                    raise ColabGenerationError(
                        f"{ctx.path}:{line0 + 1}: MyST substitution {{{{ {child.content} }}}} "
                        "cannot be written as plain Markdown"
                    )
        out.append(segment[cursor:])
        return "".join(out).split("\n")

    # ------------------------------------------------------------------ markdown
    def markdown(self, text: str, ctx: Context, line0: int) -> str:
        """Rewrite MyST markdown ``text`` (starting at file line ``line0``) as plain Markdown.

        Parameters
        ----------
        text : str
            MyST markdown (a markdown cell or a directive body).
        ctx : Context
            The page being converted; tracks numbering and gated solutions across cells.
        line0 : int
            0-based line of ``text`` in the page's file (for numbering and error messages).

        Returns
        -------
        str
            Plain Markdown; empty when everything was dropped.

        Raises
        ------
        ColabGenerationError
            On a role or directive the generator does not know.
        """
        lines = text.split("\n")
        edits: dict[int, tuple[int, list[str]]] = {}  # first line -> (end line, replacement)
        inline: dict[tuple[int, int], list[Token]] = {}
        gate_start = 0 if ctx.dropping else None
        for token in self.md.parse(text):
            if token.map is None:
                continue
            start, end = token.map
            found = _directive(token)
            if ctx.dropping:  # inside a dropped solution: skip to its end
                if found and found[0] == f"{ctx.in_gate}-end":
                    edits[gate_start] = (end, [])
                    ctx.in_gate, gate_start = "", None
                elif found and found[0] in EXERCISES:
                    raise ColabGenerationError(
                        f"{ctx.path}:{ctx.gate_line + 1}: {{{ctx.in_gate}-start}} is not closed "
                        f"before the {{{found[0]}}} of line {line0 + start + 1}"
                    )
                continue
            if found:
                name, first = found
                replacement = self._directive_lines(token, name, first, ctx, line0 + start)
                if ctx.dropping:  # this directive opened a dropped solution
                    gate_start = start
                    continue
                edits[start] = (end, self._indent(replacement, lines[start], token))
            elif token.type in ("myst_target", "myst_line_comment"):
                edits[start] = (end, [])
            elif token.type == "math_block_label":
                edits[start] = (end, ["$$", token.content.strip(), "$$"])
            elif token.type.startswith("substitution"):
                raise ColabGenerationError(
                    f"{ctx.path}:{line0 + start + 1}: MyST substitution {{{{{token.content}}}}} "
                    "cannot be written as plain Markdown"
                )
            elif token.type == "heading_open" and token.tag == "h1" and not ctx.title_seen:
                ctx.title_seen = True  # the title goes to the notebook's first cell
                edits[start] = (end, [])
            elif token.type == "inline" and any(
                c.type == "myst_role" or c.type.startswith("substitution")
                for c in token.children or []
            ):
                inline.setdefault((start, end), []).append(token)
        if gate_start is not None:
            edits[gate_start] = (len(lines), [])
        spans = [(start, end) for start, (end, _) in edits.items()]
        for (start, end), tokens in inline.items():
            if not any(s <= start and end <= e for s, e in spans):
                edits[start] = (end, self._inline(lines[start:end], tokens, ctx, line0 + start))
        out, i = [], 0
        while i < len(lines):
            if i in edits:
                end, replacement = edits[i]
                out.extend(replacement)
                i = max(end, i + 1)
            else:
                out.append(lines[i])
                i += 1
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")

    @staticmethod
    def _indent(replacement: list[str], first_line: str, token: Token) -> list[str]:
        """Give replacement lines the prefix (list indent, ``>``) of the directive's fence."""
        prefix = first_line[: max(first_line.find(token.markup), 0)]
        if not prefix:
            return replacement
        rest = prefix if set(prefix) <= {" ", ">"} else " " * len(prefix)
        return [
            (prefix if n == 0 else rest) + line if line else line
            for n, line in enumerate(replacement)
        ]

    def _directive_lines(
        self, token: Token, name: str, first: str, ctx: Context, line: int
    ) -> list[str]:
        """Return the plain-Markdown lines of one directive (its body converted recursively)."""
        parsed = self._parse(token, name, first, str(ctx.path), line)
        body_line = line + 1 + parsed.body_offset
        info = self.info[ctx.pagename]

        def body() -> str:
            return self.markdown("\n".join(parsed.body), ctx.nested(), body_line)

        def inline(text: str) -> str:
            return self.markdown(text, ctx.nested(), line)

        if name == "bibliography":
            return []
        if name == "math":
            return ["$$", "\n".join(parsed.body).strip(), "$$"]
        if name == "glue:figure":
            caption = body()
            title = f"Figure {info.figures[line]}"
            if not caption:
                return [f"*{title}.*"]
            head, _, legend = caption.partition("\n\n")
            return [f"*{title}: {head.strip()}*"] + (["", legend] if legend else [])
        if name in ADMONITIONS:
            if name == "admonition":
                title = inline(parsed.arguments[0])
            else:
                title = ADMONITION_TITLES.get(name, name.capitalize())
            return self._quote(f"**{title}**", body())
        if name in ("exercise", "exercise-start"):
            number = info.exercises.get(line)
            heading = f"Exercise {number}" if number else "Exercise"
            if parsed.arguments:
                heading += ": " + inline(parsed.arguments[0])
            if name == "exercise-start":
                ctx.open_gate("exercise", keep=True, line=line)
                return [f"**{heading}**"]
            text = body()
            return [f"**{heading}**"] + (["", text] if text else [])
        if name in ("solution", "solution-start"):
            label = parsed.arguments[0].strip()
            exercise = info.labels.get(label)
            if exercise is None or exercise.kind != "exercise":
                raise ColabGenerationError(
                    f"{ctx.path}:{line + 1}: {{{name}}} refers to {label!r}, which is not the "
                    "label of an exercise of this page"
                )
            if name == "solution-start":
                ctx.open_gate("solution", keep=not ctx.student, line=line)
            if ctx.student:
                return []
            heading = f"**Solution to {exercise.text}**"
            return self._quote(heading, body()) if name == "solution" else [heading]
        if name in ("exercise-end", "solution-end"):
            if ctx.in_gate != name.removesuffix("-end"):
                raise ColabGenerationError(
                    f"{ctx.path}:{line + 1}: {{{name}}} without a matching "
                    f"{{{name.replace('-end', '-start')}}}"
                )
            ctx.in_gate = ""
            return []
        raise AssertionError(name)  # pragma: no cover - _parse rejects unknown directives

    @staticmethod
    def _quote(title: str, body: str) -> list[str]:
        lines = [title] + ([""] + body.split("\n") if body else [])
        return [f"> {line}" if line else ">" for line in lines]


@dataclass
class Context:
    """State of one page's conversion: where we are, numbering, gated solutions."""

    pagename: str
    path: Path
    student: bool
    in_gate: str = ""  # "exercise" or "solution" between {x-start} and {x-end}
    keep_gate: bool = True
    gate_line: int = 0
    title_seen: bool = False

    @property
    def dropping(self) -> bool:
        """True between ``{solution-start}`` and ``{solution-end}`` of a student edition."""
        return bool(self.in_gate) and not self.keep_gate

    def open_gate(self, kind: str, keep: bool, line: int) -> None:
        """Enter a gated exercise or solution; ``keep=False`` drops everything up to its end."""
        if self.in_gate:
            raise ColabGenerationError(
                f"{self.path}:{line + 1}: {{{kind}-start}} inside the {{{self.in_gate}-start}} "
                f"of line {self.gate_line + 1}"
            )
        self.in_gate, self.keep_gate, self.gate_line = kind, keep, line

    def nested(self) -> Context:
        """Return a context for a directive body: same page, no gate, title handled."""
        return Context(self.pagename, self.path, self.student, title_seen=True)
