"""Build the whole book once (quick profile, fresh cache, temp folder) and inspect the result."""

from __future__ import annotations

import json
import re

import pytest

from conftest import Build, toc_files

pytestmark = pytest.mark.book

SPHINX_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL|SEVERE):")
# Lines that notebook kernels (not Sphinx) write to the build's stderr and that look alike:
# TensorFlow's C++ logger announces itself with a "WARNING:" line that no setting silences.
KERNEL_NOISE = ("WARNING: All log messages before absl::InitializeLog() is called",)


def executed_notebooks(book: Build) -> dict[str, dict]:
    return {
        str(path.relative_to(book.executed).with_suffix("")): json.loads(path.read_text())
        for path in book.executed.rglob("*.ipynb")
    }


def test_build_succeeds_with_zero_warnings(book):
    # Sphinx/docutils messages look like "<file>:<line>: WARNING: ..." (kernel logs such as
    # "[IPKernelApp] WARNING | ..." are not build warnings).
    warnings = [
        line
        for line in book.log.splitlines()
        if SPHINX_PROBLEM.search(line) and not line.startswith(KERNEL_NOISE)
    ]
    assert book.returncode == 0, "\n".join(warnings) or book.log[-5000:]
    assert not warnings, "\n".join(warnings)
    assert "build succeeded" in book.log


def test_every_toc_page_has_html(book):
    missing = [name for name in toc_files() if not (book.html / f"{name}.html").is_file()]
    assert not missing, missing
    assert (book.html / "index.html").is_file()


def test_executed_pages_have_outputs_and_no_errors(book):
    notebooks = executed_notebooks(book)
    assert "book/intro" in notebooks, sorted(notebooks)
    for name, nb in notebooks.items():
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        outputs = [o for c in cells for o in c.get("outputs", [])]
        assert outputs, f"{name}: executed but produced no output"
        errors = [o for o in outputs if o["output_type"] == "error"]
        assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"


def test_pages_were_built_in_the_quick_profile(book):
    intro = (book.html / "book" / "intro.html").read_text()
    assert "Run profile: quick" in intro


VERDICT = re.compile(r'class="decondl-verdict" data-check="(check_\w+)" data-status="(\w+)"')


def verdicts_in(notebooks: dict[str, dict]) -> list[tuple[str, str, str]]:
    """Return (page, check, status) of every exercise verdict shown in executed notebooks."""
    found = []
    for name, nb in notebooks.items():
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                text = "".join(output.get("data", {}).get("text/html", ""))
                found += [(name, check, status) for check, status in VERDICT.findall(text)]
    return found


def test_every_exercise_check_passes_its_reference_solution_in_the_build(book):
    import decondl.exercises as ex

    verdicts = verdicts_in(executed_notebooks(book))
    passed = {check for _, check, status in verdicts if status == "pass"}
    failed = [v for v in verdicts if v[2] == "fail"]
    # Strict mode makes a failing check raise (the build would fail); a "fail" shown means
    # strict mode was off, which would let a wrong reference solution through.
    assert not failed, failed
    every_check = {name for chapter in ex.CHAPTERS for name in chapter.__all__}
    missing = sorted(every_check - passed)
    assert not missing, f"checks never shown passing in the book: {missing}"


def test_the_verdict_scan_can_fail():
    html = '<div class="decondl-verdict" data-check="check_x" data-status="fail">'
    fake = {"p": {"cells": [{"outputs": [{"data": {"text/html": [html]}}]}]}}
    assert verdicts_in(fake) == [("p", "check_x", "fail")]
