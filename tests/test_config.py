"""Static checks of the book configuration (fast; the build itself is tested in test_book.py)."""

import re
import tomllib

import yaml

from conftest import ROOT, toc_files


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def test_repository_url_lives_in_config_and_matches_package_metadata():
    url = config()["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["urls"]["Homepage"] == url
    # The README and the intro repeat it in the Colab install line.
    for page in ("README.md", "book/intro.md"):
        text = (ROOT / page).read_text()
        assert set(re.findall(r"git\+(https://github\.com/[\w./-]+)", text)) == {url}, page


def test_execution_settings():
    execute = config()["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["allow_errors"] is False
    assert 60 <= execute["timeout"] <= 3600
    # An explicit cache path would be shared by quick and full builds.
    assert not execute.get("cache")


def test_every_toc_entry_exists_and_every_chapter_is_in_the_toc():
    files = toc_files()
    assert files[0] == "book/intro"
    for name in files:
        assert (ROOT / f"{name}.md").is_file(), name
    chapters = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "book").glob("*.md")}
    assert chapters <= set(files), f"pages missing from _toc.yml: {chapters - set(files)}"


def test_bibliography_has_the_papers_the_course_cites():
    bib = (ROOT / "book" / "references.bib").read_text()
    assert "10.1038/s41592-018-0216-7" in bib  # CARE
    assert "1806.03535" in bib  # StarDist
