"""Every generated Colab notebook runs top to bottom in a Colab-like environment (issue 10).

The environment and the runner are in ``tests/colab_runtime/harness.py``; the versions Colab ships
in ``tests/colab_runtime/colab-versions.txt``. Tests marked ``colab`` create that environment
(Python 3.12, minutes the first time) and run every ``colab/**/*.ipynb`` in it; the others check
the runner itself, in a small venv over the book's own packages, including that it reports each
kind of failure.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import nbformat
import pytest

from colab_runtime import harness

from conftest import ROOT

#: Run profile of the training chapters here (the book build runs them in ``quick`` already).
PROFILE = "smoke"
#: Notebooks run at once (each a kernel; 2 fit a 2-core machine).
JOBS = 2
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "colab").rglob("*.ipynb"))


# --------------------------------------------------------------------------- the Colab-like runs


@pytest.fixture(scope="module")
def colab_base() -> Path:
    version, _ = harness.read_versions()
    if harness.find_python(version) is None:
        message = (
            f"the Colab-like environment needs Python {version}, and none was found: install it "
            f"(e.g. `pyenv install {version}`) or set DECONDL_COLAB_PYTHON to its path"
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # never a silent skip in CI
        pytest.skip(message)
    return harness.colab_venv()


@pytest.fixture(scope="module")
def colab_runs(colab_base, request) -> dict[str, harness.NotebookRun]:
    selected = [  # all at once (JOBS in parallel), but only those this session selected
        item.callspec.params["notebook"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_notebook_runs_top_to_bottom_in_colab"
    ]
    runs = harness.run_notebooks(
        [ROOT / name for name in selected], colab_base, jobs=JOBS, profile=PROFILE, timeout=900
    )
    report = ROOT / "_build" / "colab-runtime-report.txt"  # times, for whoever tunes CI
    report.parent.mkdir(exist_ok=True)
    report.write_text("".join(f"{run.summary()}\n" for run in runs))
    return {Path(run.notebook).relative_to(ROOT).as_posix(): run for run in runs}


@pytest.mark.colab
def test_there_are_notebooks_to_run():
    chapters = [n for n in NOTEBOOKS if not n.startswith("colab/exercises/")]
    assert chapters, "no colab/*.ipynb: run `make colab`"


@pytest.mark.colab
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_in_colab(colab_runs, notebook):
    run = colab_runs[notebook]
    assert run.ok, run.summary()


@pytest.mark.colab
def test_widgets_work_with_colabs_ipywidgets(colab_base, tmp_path):
    # tests/test_widgets.py builds and drives every explorer; here it runs with Colab's
    # ipywidgets 7 (the book's environment has ipywidgets 8), after the same install.
    _, pins = harness.read_versions()
    venv = harness.clone_venv(colab_base, tmp_path / "venv")
    keep = tmp_path / "keep.txt"
    keep.write_text("".join(f"{name}=={pins[name]}\n" for name in harness.KEPT))
    env = harness.kernel_env(venv, tmp_path, profile=None)
    pytest_pin = f"pytest=={importlib.metadata.version('pytest')}"
    source = harness.local_source("decondl[dl] @ https://example.invalid")
    install = [harness.python_of(venv), "-m", "pip", "install", "--quiet", "-c", keep]
    subprocess.run([*install, source, pytest_pin], env=env, check=True, cwd=tmp_path)
    assert harness.installed_versions(venv, ["ipywidgets"]) == {"ipywidgets": pins["ipywidgets"]}
    test = "tests/test_widgets.py::test_every_widget_is_built_and_redraws_with_this_ipywidgets"
    cmd = [harness.python_of(venv), "-m", "pytest", "-q", "--noconftest", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [*map(str, cmd), str(ROOT / test)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    assert "1 passed" in proc.stdout


# --------------------------------------------------------------------------- the runner itself

SETUP = """\
import sys
if "google.colab" in sys.modules:
    SOURCE = "decondl[dl] @ git+https://github.com/decondl/decondl-course@main"
{body}"""


def notebook(path: Path, setup_body: str = "pass", *cells: str, tags=()) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A test notebook"),
        nbformat.v4.new_code_cell(SETUP.format(body=textwrap.indent(setup_body, "    "))),
    ]
    for index, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if index in tags:
            cell.metadata["tags"] = ["raises-exception"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def small_base(tmp_path_factory) -> Path:
    """A tiny venv that sees the book's packages (ipykernel, numpy, decondl) and has the stub."""
    venv = tmp_path_factory.mktemp("small") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    book_site = sysconfig.get_paths()["purelib"]
    site = harness.site_packages(venv)
    (site / "book.pth").write_text(f"import site; site.addsitedir({book_site!r})\n")
    harness.install_colab_stub(venv)
    return venv


def test_versions_file_pins_what_the_setup_cell_keeps():
    python, pins = harness.read_versions()
    assert python == "3.12"
    assert {"tensorflow", "keras", "numpy", "ipywidgets", "ipykernel"} <= set(pins)
    assert pins["ipywidgets"].startswith("7.7")
    assert pins["tensorflow"].startswith("2.19")
    text = harness.VERSIONS_FILE.read_text()
    assert "Written on 20" in text and "NOT re-checked" in text  # the date and the caveat


def test_find_python_takes_only_the_version_asked_for(monkeypatch):
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    monkeypatch.setenv("DECONDL_COLAB_PYTHON", sys.executable)
    found = harness.find_python(this)
    assert found is not None
    assert harness.find_python("3.99") is None  # the clear failure of colab_base follows


def test_local_source_keeps_the_extras_and_points_at_the_checkout():
    source = "decondl[dl] @ git+https://github.com/decondl/decondl-course@main"
    assert harness.local_source(source, Path("/some/repo")) == "decondl[dl] @ file:///some/repo"
    with pytest.raises(harness.HarnessError, match="SOURCE is not"):
        harness.local_source("decondl", Path("/some/repo"))


def test_setup_cell_rewrite_changes_only_the_source(tmp_path):
    path = notebook(tmp_path / "nb.ipynb", "print(SOURCE)", "x = 1")
    nb = nbformat.read(path, as_version=4)
    before = [cell.source for cell in nb.cells]
    assert harness.point_setup_cell_at(nb, Path("/repo")) == 1
    after = [cell.source for cell in nb.cells]
    assert after[0] == before[0] and after[2:] == before[2:]
    assert after[1] == before[1].replace(
        "git+https://github.com/decondl/decondl-course@main", "file:///repo"
    )
    nb.cells[1].source += '\nSOURCE = "x @ y"'
    with pytest.raises(harness.HarnessError, match="exactly once, found 2"):
        harness.point_setup_cell_at(nb)
    nb.cells = nb.cells[2:]
    with pytest.raises(harness.HarnessError, match="no setup cell"):
        harness.point_setup_cell_at(nb)


def test_runner_passes_a_good_notebook_and_sees_google_colab(small_base, tmp_path):
    path = notebook(
        tmp_path / "good.ipynb",
        "print('colab branch taken')",
        "import sys, os\nassert 'google.colab' in sys.modules",
        "print(os.environ['DECONDL_PROFILE'])",
    )
    run = harness.run_notebook(path, small_base, profile="quick", workdir=tmp_path / "work")
    assert run.ok, run.summary()
    nb = nbformat.read(run.executed, as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "colab branch taken\n"
    assert nb.cells[3].outputs[0]["text"] == "quick\n"
    assert not (tmp_path / "work" / "venv").exists()  # the copy of the environment is removed


def test_runner_reports_a_raising_cell_and_an_error_output(small_base, tmp_path):
    path = notebook(
        tmp_path / "bad.ipynb",
        "pass",
        "raise KeyError('allowed by its tag, still an error output')",
        "raise ValueError('boom')",
        "print('never runs')",
        tags=(0,),
    )
    run = harness.run_notebook(path, small_base, profile=None, workdir=tmp_path / "work")
    assert not run.ok
    assert any(f.startswith("cell 3 raised ValueError: boom") for f in run.failures), run.failures
    assert any(f.startswith("cell 2 shows KeyError") for f in run.failures), run.failures
    assert [index for index, _ in run.cell_seconds] == [1, 2, 3]  # stopped at the failure


def test_runner_reports_an_install_that_replaced_numpy(small_base, tmp_path):
    # What pip does when it replaces a package: a newer distribution shadows Colab's.
    fake_install = textwrap.dedent(
        """\
        import pathlib, site
        info = pathlib.Path(site.getsitepackages()[0]) / "numpy-99.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\\nName: numpy\\nVersion: 99.0.0\\n")
        """
    )
    path = notebook(tmp_path / "replaces.ipynb", fake_install, "import numpy")
    run = harness.run_notebook(path, small_base, profile=None, workdir=tmp_path / "work")
    assert not run.ok
    numpy_now = importlib.metadata.version("numpy")
    assert f"the install replaced numpy {numpy_now} with 99.0.0" in "\n".join(run.failures)


def test_runner_reports_a_notebook_without_setup_cell(small_base, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)")]
    nbformat.write(nb, tmp_path / "nosetup.ipynb")
    run = harness.run_notebook(tmp_path / "nosetup.ipynb", small_base, workdir=tmp_path / "w")
    assert run.failures == [f"no setup cell: no code cell contains {harness.COLAB_TEST}"]


def test_runner_reports_decondl_not_installed_from_the_checkout(small_base, tmp_path):
    path = notebook(tmp_path / "elsewhere.ipynb", "pass", "print(1)")
    other = tmp_path / "other-checkout"
    other.mkdir()
    run = harness.run_notebook(path, small_base, root=other, workdir=tmp_path / "work")
    assert any("decondl was not installed from the checkout" in f for f in run.failures)
