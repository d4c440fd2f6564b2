"""Shared test helpers: repository paths, the table of contents, and the book build."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 45 * 60


def toc_files() -> list[str]:
    """Return every `file:` entry of _toc.yml (the root first), without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            for part in entry.get("parts", []) or []:
                walk(part.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    return [str(Path(f).with_suffix("")) for f in files]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@dataclass
class Build:
    returncode: int
    log: str
    html: Path
    executed: Path


#: Point the book tests at an existing build instead of building (for developers): the folder
#: given to ``jupyter-book build --path-output``, holding ``_build/`` and the log ``build.log``.
REUSE_VAR = "DECONDL_BOOK_REUSE"


@pytest.fixture(scope="session")
def book(tmp_path_factory) -> Build:
    reuse = os.environ.get(REUSE_VAR, "").strip()
    if reuse:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{REUSE_VAR} must not be set in CI: the tests build the book themselves")
        out = Path(reuse)
        log = (out / "build.log").read_text()
        return Build(0, log, out / "_build" / "html", out / "_build" / "jupyter_execute")
    out = tmp_path_factory.mktemp("book")
    env = dict(os.environ, DECONDL_PROFILE="quick")
    env.pop("DECONDL_PROFILE_SOURCE", None)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--path-output", str(out), "-n", "-W", "--keep-going"]
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log)
    return Build(proc.returncode, log, out / "_build" / "html", out / "_build" / "jupyter_execute")
