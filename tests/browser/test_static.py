"""The configuration behind self-contained pages, checked without a browser (fast)."""

from __future__ import annotations

import re

import pytest
import yaml

from . import harness
from conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
MATHJAX = ROOT / "book" / "_static" / "mathjax"


def test_mathjax_is_served_by_the_site():
    assert not re.match(r"\w+://|//", CONFIG["mathjax_path"])
    static = [ROOT / path for path in CONFIG["html_static_path"]]
    assert any((path / CONFIG["mathjax_path"]).is_file() for path in static)
    assert (MATHJAX / "LICENSE").is_file()
    fonts = list((MATHJAX / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 20


def test_vendored_mathjax_version_is_the_documented_one():
    readme = (MATHJAX / "README.md").read_text()
    documented = re.search(r"`mathjax` (\d+\.\d+\.\d+)", readme).group(1)
    script = (ROOT / "book" / "_static" / CONFIG["mathjax_path"]).read_text()
    assert re.search(r'VERSION="(\d+\.\d+\.\d+)"', script).group(1) == documented
    assert f"version={documented}" in readme


def test_the_book_macros_are_kept():
    assert CONFIG["mathjax3_config"]["tex"]["macros"]["conv"] == "\\ast"


def test_no_widget_scripts_or_views():
    assert CONFIG["nb_ipywidgets_js"] == {}
    assert ["*", "application/vnd.jupyter.widget-view+json", None] in CONFIG[
        "nb_mime_priority_overrides"
    ]
    assert (
        "decondl_site"
        in yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["local_extensions"]
    )


def test_without_chromium_the_browser_tests_skip_with_how_to_install(monkeypatch):
    monkeypatch.setattr(harness, "find_chromium", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        harness.require_browser()


def test_without_chromium_the_browser_tests_fail_in_ci(monkeypatch):
    monkeypatch.setattr(harness, "find_chromium", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        harness.require_browser()
