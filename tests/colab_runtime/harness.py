"""Run the generated Colab notebooks top to bottom in a virtual environment that resembles Colab.

What "resembles Colab" means here:

- Python 3.12 (the version is read from ``colab-versions.txt``) with exactly the package versions of
  ``colab-versions.txt`` installed first, binary wheels only: Colab's TensorFlow, Keras, numpy,
  ipywidgets 7, IPython 7 and ipykernel 6 kernel;
- ``google.colab`` importable and already imported in the kernel before the first cell runs
  (a stub package in the venv and an IPython startup file), so that
  ``"google.colab" in sys.modules`` is true, as it is in Colab;
- each notebook in a fresh copy of that environment (a hard-linked copy, cheap), as each Colab
  notebook gets a fresh runtime.

Then the notebook's own setup cell runs with one substitution: the install source
(``SOURCE = "decondl[dl] @ git+https://..."``) points at the local checkout
(``decondl[dl] @ file:///<repository>``), and every later cell runs in order. A run fails when a
cell raises or shows an error output, when the install replaced a package that Colab ships and that
the setup cell must keep (:data:`KEPT`), or when ``decondl`` did not come from the checkout.

The base environment is created once per content of ``colab-versions.txt`` (and of this file's
stub) under ``_build/colab-venv/<key>`` (``DECONDL_COLAB_VENV_DIR`` overrides the folder) and never
modified afterwards. pip's own HTTP cache may not keep anything (some proxies strip the caching
headers), so the downloaded wheels are kept in ``~/.cache/decondl/colab-wheels``
(``DECONDL_COLAB_WHEELS`` overrides): a second creation installs from there without the network.

Command line (from the repository root, with the book's venv)::

    .venv/bin/python tests/colab_runtime/harness.py [--profile quick] [--jobs 2] [NOTEBOOK ...]
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSIONS_FILE = Path(__file__).with_name("colab-versions.txt")
#: Packages Colab ships that the setup cell must not replace (a replaced one needs a restart).
KEPT = ("tensorflow", "keras", "numpy", "ipywidgets")
#: The setup cell is recognised by this test, the one Colab's runtime makes true.
COLAB_TEST = '"google.colab" in sys.modules'
#: ``SOURCE = "<requirement> @ <url>"`` in the setup cell: the one line the harness rewrites.
SOURCE_LINE = re.compile(
    r"""^(?P<lhs>[ \t]*SOURCE[ \t]*=[ \t]*)(?P<q>["'])(?P<value>[^"'\n]*)(?P=q)""", re.M
)
REQUIREMENT_AT_URL = re.compile(
    r"^(?P<req>[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,\s-]*\])?)\s*@\s*\S+$"
)

STUB_INIT = '''"""Stand-in for Colab's ``google.colab``, written by decondl's tests/colab_runtime.

Its only job is to be imported, as Colab imports the real one into every kernel before the first
cell runs, so that notebooks take their Colab branch (``"google.colab" in sys.modules``).
"""

from google.colab import output  # noqa: F401

__version__ = "0+decondl.stub"
'''
STUB_OUTPUT = '''"""Stand-in for ``google.colab.output``: the widget-manager switches do nothing."""


def enable_custom_widget_manager():
    """Do nothing (Colab switches its front end to the ipywidgets 8 manager)."""


def disable_custom_widget_manager():
    """Do nothing."""
'''
STARTUP = "import google.colab  # noqa: F401  (Colab imports it before the first cell runs)\n"


class HarnessError(RuntimeError):
    """The Colab-like environment cannot be made (no Python 3.12, an install failed, ...)."""


# --------------------------------------------------------------------------- the versions file


def read_versions(path: Path = VERSIONS_FILE) -> tuple[str, dict[str, str]]:
    """Return the Python version (``# python: 3.12``) and the pins ``{normalised name: version}``.

    Comments and blank lines are ignored; every other line must be ``name==version``.
    """
    python, pins = None, {}
    for line in path.read_text().splitlines():
        if match := re.match(r"#\s*python:\s*(\d+\.\d+)\s*$", line):
            python = match.group(1)
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if not match:
            raise HarnessError(f"{path.name}: expected 'name==version', got {line!r}")
        pins[normalise(match.group(1))] = match.group(2)
    if python is None:
        raise HarnessError(f"{path.name}: no '# python: X.Y' line")
    missing = [name for name in KEPT if name not in pins]
    if missing:
        raise HarnessError(f"{path.name}: no pin for {missing}")
    return python, pins


def normalise(name: str) -> str:
    """Return the PEP 503 form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def environment_key(path: Path = VERSIONS_FILE) -> str:
    """Return a short hash of what the base environment is made of (pins and stub)."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update((STUB_INIT + STUB_OUTPUT + STARTUP).encode())
    return digest.hexdigest()[:12]


# --------------------------------------------------------------------------- Python 3.12


def find_python(version: str) -> Path | None:
    """Return a CPython ``version`` interpreter (with venv) on this machine, or None.

    Looked for in order: ``$DECONDL_COLAB_PYTHON``, ``python<version>`` on the PATH, pyenv's
    versions, GitHub runners' tool cache (``$RUNNER_TOOL_CACHE``), ``/usr/bin`` and
    ``/usr/local/bin``. A candidate counts only if it runs and has ``venv`` and ``ensurepip``.
    """
    candidates = []
    if os.environ.get("DECONDL_COLAB_PYTHON"):
        candidates.append(os.environ["DECONDL_COLAB_PYTHON"])
    candidates.append(shutil.which(f"python{version}"))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob(f"{version}.*/bin/python{version}"), key=_patch_level, reverse=True)
    candidates += [str(p) for p in found]
    tool_cache = Path(os.environ.get("RUNNER_TOOL_CACHE", "/opt/hostedtoolcache")) / "Python"
    found = sorted(tool_cache.glob(f"{version}.*/x64/bin/python{version}"), key=_patch_level)
    candidates += [str(p) for p in reversed(found)]
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    probe = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", probe], capture_output=True, text=True, timeout=60, check=False
            )
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return Path(candidate)
    return None


def _patch_level(path: Path) -> tuple[int, ...]:
    """The version in ``<root>/3.12.1/bin/python3.12`` or ``<root>/3.12.1/x64/bin/python3.12``."""
    for parent in path.parents:
        if re.fullmatch(r"\d+\.\d+\.\d+", parent.name):
            return tuple(int(p) for p in parent.name.split("."))
    return (0,)


# --------------------------------------------------------------------------- the base venv


def venv_root() -> Path:
    """Return the folder holding the base environments (one per :func:`environment_key`)."""
    return Path(os.environ.get("DECONDL_COLAB_VENV_DIR") or ROOT / "_build" / "colab-venv")


def wheel_cache() -> Path:
    """Return the folder where the wheels of the pinned versions are kept between creations."""
    default = Path.home() / ".cache" / "decondl" / "colab-wheels"
    return Path(os.environ.get("DECONDL_COLAB_WHEELS") or default)


def python_of(venv: Path) -> Path:
    """Return the interpreter of ``venv``."""
    return venv / "bin" / "python"


def site_packages(venv: Path) -> Path:
    """Return the site-packages folder of ``venv``."""
    (found,) = (venv / "lib").glob("python3.*/site-packages")
    return found


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(cmd: list, log, **kwargs) -> None:
    log("$ " + " ".join(map(str, cmd)))
    proc = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, check=False, **kwargs
    )
    if proc.returncode != 0:
        noise = "is ignored: it is neither a file nor a directory"  # this machine's pip config
        err = "\n".join(line for line in proc.stderr.splitlines() if noise not in line)
        raise HarnessError(
            f"command failed ({proc.returncode}): {cmd}\n{proc.stdout[-3000:]}\n{err[-5000:]}"
        )


def colab_venv(*, python: Path | None = None, log=print) -> Path:
    """Return the base Colab-like environment, creating it if needed.

    The environment is ``venv_root() / environment_key()`` and is complete when it holds the file
    ``.complete`` (which records how long the creation took). Concurrent callers wait on a lock.

    Raises
    ------
    HarnessError
        If no suitable Python exists or an install fails.
    """
    version, pins = read_versions()
    venv = venv_root() / environment_key()
    marker = venv / ".complete"
    if marker.is_file():
        return venv
    with _locked(venv_root() / f"{venv.name}.lock"):
        if marker.is_file():
            return venv
        if python is None:
            python = find_python(version)
        if python is None:
            raise HarnessError(
                f"no Python {version} found: the Colab-like test needs CPython {version} with venv "
                f"(install it, e.g. with pyenv, or set DECONDL_COLAB_PYTHON to its path)"
            )
        shutil.rmtree(venv, ignore_errors=True)
        start = time.perf_counter()
        _run([python, "-m", "venv", venv], log)
        py = python_of(venv)
        wheels = wheel_cache()
        wheels.mkdir(parents=True, exist_ok=True)
        stamp = wheels / f"complete-{environment_key()}"
        requirements = venv / "colab-versions.txt"
        requirements.write_text("".join(f"{n}=={v}\n" for n, v in pins.items() if n != "pip"))
        pip = [py, "-m", "pip", "--disable-pip-version-check"]
        if "pip" in pins:  # Colab's pip resolves the setup cell's install
            _run([*pip, "install", "--quiet", "--find-links", wheels, f"pip=={pins['pip']}"], log)
        download = [*pip, "download", "--quiet", "--only-binary=:all:", "--dest", wheels,
                    "--requirement", requirements]  # fmt: skip
        install = [*pip, "install", "--quiet", "--no-index", "--find-links", wheels,
                   "--only-binary=:all:", "--requirement", requirements]  # fmt: skip
        if not stamp.is_file():
            _run(download, log)
            stamp.write_text(json.dumps(pins, indent=1))
        try:
            _run(install, log)
        except HarnessError:  # a wheel went missing from the cache: fetch again
            _run(download, log)
            _run(install, log)
        install_colab_stub(venv)
        installed = installed_versions(venv, pins)
        wrong = {n: (v, installed.get(n)) for n, v in pins.items() if installed.get(n) != v}
        if wrong:
            raise HarnessError(f"the base environment does not have the pinned versions: {wrong}")
        seconds = time.perf_counter() - start
        marker.write_text(json.dumps({"seconds": round(seconds, 1), "python": str(python)}))
        log(f"created {venv} in {seconds:.0f} s")
    return venv


def install_colab_stub(venv: Path) -> None:
    """Make ``google.colab`` importable in ``venv`` and imported by its IPython kernels.

    The stub package goes into site-packages (``google`` stays a namespace package, as protobuf
    needs); the startup file into ``<venv>/ipython``, which :func:`kernel_env` makes the kernel's
    ``IPYTHONDIR``.
    """
    stub = site_packages(venv) / "google" / "colab"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text(STUB_INIT)
    (stub / "output.py").write_text(STUB_OUTPUT)
    startup = venv / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-google-colab.py").write_text(STARTUP)


def installed_versions(venv: Path, names: Iterable[str]) -> dict[str, str | None]:
    """Return ``{name: version or None}`` of distributions installed in ``venv``."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try:\n        return m.version(n)\n"
        "    except m.PackageNotFoundError:\n        return None\n"
        "print(json.dumps({n: v(n) for n in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(python_of(venv)), "-c", code, *names],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env({}),
    )
    return json.loads(out.stdout)


def direct_url(venv: Path, name: str) -> str | None:
    """Return the URL a distribution in ``venv`` was installed from (PEP 610), if any."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "text = m.distribution(sys.argv[1]).read_text('direct_url.json')\n"
        "print(json.loads(text)['url'] if text else '')"
    )
    out = subprocess.run(
        [str(python_of(venv)), "-c", code, name],
        capture_output=True,
        text=True,
        check=False,
        env=_clean_env({}),
    )
    return out.stdout.strip() or None if out.returncode == 0 else None


def clone_venv(base: Path, dest: Path) -> Path:
    """Copy ``base`` to ``dest`` with hard links (pip unlinks a file before writing it)."""
    subprocess.run(["cp", "-al", str(base), str(dest)], check=True)
    return dest


# --------------------------------------------------------------------------- notebooks


def local_source(source: str, root: Path = ROOT) -> str:
    """Return the install requirement ``source`` with its URL replaced by the checkout ``root``.

    >>> local_source("decondl[dl] @ git+https://github.com/o/r@main", Path("/repo"))
    'decondl[dl] @ file:///repo'
    """
    match = REQUIREMENT_AT_URL.match(source.strip())
    if not match:
        raise HarnessError(f"SOURCE is not '<name>[extras] @ <url>': {source!r}")
    return f"{match.group('req')} @ {root.resolve().as_uri()}"


def point_setup_cell_at(nb, root: Path = ROOT) -> int:
    """Rewrite the setup cell of ``nb`` in place to install from ``root``; return its index.

    The setup cell is the first code cell containing :data:`COLAB_TEST`; it must assign
    ``SOURCE = "..."`` exactly once. Nothing else in the notebook changes.

    Raises
    ------
    HarnessError
        If there is no setup cell or its ``SOURCE`` line is missing or repeated.
    """
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and COLAB_TEST in cell.source:
            matches = list(SOURCE_LINE.finditer(cell.source))
            if len(matches) != 1:
                raise HarnessError(
                    f'setup cell (cell {index}) must assign SOURCE = "..." exactly once, '
                    f"found {len(matches)}"
                )
            (m,) = matches
            new = local_source(m.group("value"), root)
            cell.source = (
                cell.source[: m.start()]
                + f"{m.group('lhs')}{m.group('q')}{new}{m.group('q')}"
                + cell.source[m.end() :]
            )
            return index
    raise HarnessError(f"no setup cell: no code cell contains {COLAB_TEST}")


@dataclass
class NotebookRun:
    """What happened when one notebook ran (picklable, for worker processes)."""

    notebook: str
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    setup_seconds: float = 0.0
    cell_seconds: list[tuple[int, float]] = field(default_factory=list)
    changed: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    failed_cells: list[int] = field(default_factory=list)
    executed: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def summary(self) -> str:
        """One paragraph for a test failure or the command line."""
        head = f"{self.notebook}: {'ok' if self.ok else 'FAILED'} in {self.seconds:.0f} s"
        head += f" (setup cell {self.setup_seconds:.0f} s)"
        lines = [head, *(f"  - {f}" for f in self.failures)]
        other = {n: c for n, c in self.changed.items() if n not in KEPT}
        if other:
            lines.append("  note: the install changed " + ", ".join(
                f"{n} {old} -> {new}" for n, (old, new) in sorted(other.items())))  # fmt: skip
        if self.executed and not self.ok:
            lines.append(f"  executed notebook: {self.executed}")
        return "\n".join(lines)


def _clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a process in the Colab-like venv: this one's, less what would leak."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MPLBACKEND", "IPYTHONDIR", "PYTHONSTARTUP")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("DECONDL_")}
    env.update(extra)
    return env


def kernel_env(venv: Path, workdir: Path, profile: str | None) -> dict[str, str]:
    """Environment of the notebook's kernel: Colab-like, with the given run profile."""
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    build = workdir / "setuptools-build.cfg"  # keep the install's build folders out of the checkout
    build.write_text(
        f"[build]\nbuild_base = {workdir / 'build'}\n[egg_info]\negg_base = {workdir}\n"
    )
    extra = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "IPYTHONDIR": str(venv / "ipython"),
        "TMPDIR": str(workdir / "tmp"),
        "DIST_EXTRA_CONFIG": str(build),
        "DECONDL_MODEL_DIR": str(workdir / "models"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # debugpy on 3.12 warns about frozen modules
    }
    if profile:
        extra["DECONDL_PROFILE"] = profile
    return _clean_env(extra)


def _patient_client_class():
    """The async kernel client, with the build's socket fix (book/_ext/patient_kernels.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "book" / "_ext"))
    from jupyter_client.asynchronous import AsyncKernelClient
    from patient_kernels import patient_kernel_channels

    patient_kernel_channels()
    return AsyncKernelClient


def _kernel_manager(python: Path, workdir: Path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec = workdir / "kernels" / "colab-like"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Colab-like", "language": "python"})
    )
    ksm = KernelSpecManager(kernel_dirs=[str(spec.parent)], ensure_native_kernel=False)
    km = AsyncKernelManager(kernel_name="colab-like", kernel_spec_manager=ksm)
    km.client_factory = _patient_client_class()
    return km


async def _execute(nb, *, python, workdir, env, setup_index, timeout, lock, run, log):
    """Execute the code cells of ``nb`` in order; stop at the first that fails."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    km = _kernel_manager(python, workdir)
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        startup_timeout=180,
        allow_errors=False,
        resources={"metadata": {"path": str(workdir / "content")}},
    )
    try:
        async with client.async_setup_kernel(env=env):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                start = time.perf_counter()
                guard = _locked(lock) if index == setup_index else contextlib.nullcontext()
                try:
                    with guard:
                        await client.async_execute_cell(
                            cell, index, execution_count=client.code_cells_executed + 1
                        )
                except CellExecutionError as error:
                    run.failures.append(f"cell {index} raised {_describe(error)}")
                    run.failed_cells.append(index)
                    break
                except (CellTimeoutError, DeadKernelError) as error:
                    run.failures.append(f"cell {index}: {type(error).__name__}: {_describe(error)}")
                    run.failed_cells.append(index)
                    break
                finally:
                    seconds = time.perf_counter() - start
                    run.cell_seconds.append((index, round(seconds, 1)))
                    log(f"{Path(run.notebook).name}: cell {index} took {seconds:.1f} s")
                    if index == setup_index:
                        run.setup_seconds = seconds
    finally:
        if km.has_kernel:
            await km.shutdown_kernel(now=True)


def _describe(error: Exception) -> str:
    ename, evalue = getattr(error, "ename", ""), getattr(error, "evalue", "")
    if ename:
        return f"{ename}: {evalue}"[:2000]
    lines = str(error).strip().splitlines()
    return lines[-1][:2000] if lines else type(error).__name__


def error_outputs(nb) -> list[tuple[int, str]]:
    """Return ``(cell index, description)`` for each error output in ``nb``."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                found.append(
                    (index, f"cell {index} shows {output.get('ename')}: {output.get('evalue')}")
                )
    return found


def run_notebook(
    path,
    base: Path,
    *,
    profile: str | None = "quick",
    workdir: Path | None = None,
    root: Path = ROOT,
    timeout: int = 1800,
    keep: bool = False,
    log=None,
) -> NotebookRun:
    """Run the notebook ``path`` top to bottom in a fresh copy of the environment ``base``.

    Parameters
    ----------
    path : path-like
        The ``.ipynb`` file (not modified).
    base : Path
        A Colab-like environment (:func:`colab_venv`), or any venv with ipykernel for tests.
    profile : str or None
        ``DECONDL_PROFILE`` of the kernel (None: unset).
    workdir : Path, optional
        Scratch folder (default: a new temporary one, removed afterwards unless the run failed
        or ``keep``).
    root : Path
        Checkout that the setup cell installs from.
    timeout : int
        Seconds allowed per cell.
    keep : bool
        Keep the scratch folder (with the executed notebook) even when the run succeeded.
    log : callable, optional
        Called with one line per executed cell (default: print to stderr).

    Returns
    -------
    NotebookRun
        Failures are listed, never raised: no setup cell, a cell that raised, an error output,
        a replaced package of :data:`KEPT`, ``decondl`` not installed from ``root``.
    """
    import nbformat

    path = Path(path)
    run = NotebookRun(notebook=str(path))
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    start = time.perf_counter()
    own_workdir = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=f"colab-{path.stem}-")) if own_workdir else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "content").mkdir(exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    try:
        setup_index = point_setup_cell_at(nb, root)
    except HarnessError as error:
        run.failures.append(str(error))
        return run
    _, pins = read_versions()
    venv = clone_venv(base, workdir / "venv")
    before = installed_versions(venv, pins)
    try:
        asyncio.run(
            _execute(
                nb,
                python=python_of(venv),
                workdir=workdir,
                env=kernel_env(venv, workdir, profile),
                setup_index=setup_index,
                timeout=timeout,
                lock=base.parent / "setup-cell.lock",
                run=run,
                log=log,
            )
        )
    except Exception as error:  # the kernel did not start, ...: a failure of this notebook
        run.failures.append(f"could not run: {type(error).__name__}: {error}")
    for index, line in error_outputs(nb):
        if index not in run.failed_cells:
            run.failures.append(line)
    after = installed_versions(venv, pins)
    run.changed = {n: (before[n], after[n]) for n in pins if after[n] != before[n]}
    for name in KEPT:
        if name in run.changed:
            old, new = run.changed[name]
            run.failures.append(
                f"the install replaced {name} {old} with {new}: Colab would need a restart"
            )
    expected = root.resolve().as_uri()
    got = direct_url(venv, "decondl")
    if got != expected and setup_index not in run.failed_cells:
        run.failures.append(f"decondl was not installed from the checkout ({expected}), but {got}")
    run.seconds = time.perf_counter() - start
    shutil.rmtree(workdir / "venv", ignore_errors=True)
    executed = workdir / path.name
    nbformat.write(nb, executed)
    run.executed = str(executed)
    if own_workdir and run.ok and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
        run.executed = None
    return run


def run_notebooks(paths, base: Path, *, jobs: int = 1, **kwargs) -> list[NotebookRun]:
    """Run :func:`run_notebook` over ``paths``, ``jobs`` at a time (in worker processes)."""
    paths = [Path(p) for p in paths]
    if jobs <= 1 or len(paths) <= 1:
        return [run_notebook(p, base, **kwargs) for p in paths]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(run_notebook, p, base, **kwargs) for p in paths]
        return [f.result() for f in futures]


def main(argv=None) -> int:
    """Command line: create the environment, run notebooks, print a summary."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--profile", default="smoke", help="DECONDL_PROFILE of the kernels")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the executed notebooks")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    base = colab_venv()
    print(f"base environment: {base} ({time.perf_counter() - start:.0f} s)", flush=True)
    paths = args.notebooks or sorted((ROOT / "colab").rglob("*.ipynb"))
    runs = run_notebooks(paths, base, jobs=args.jobs, profile=args.profile, keep=args.keep)
    for run in runs:
        print(run.summary())
        print("  slowest cells:", sorted(run.cell_seconds, key=lambda c: -c[1])[:4])
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
