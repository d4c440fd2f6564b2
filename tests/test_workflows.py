"""The GitHub Actions workflows and the Dependabot config, checked as files.

GitHub Actions cannot run here, so the workflows must be right by construction. They are
checked three ways:

* schema: ``check-jsonschema`` with its built-in (offline) GitHub workflow and Dependabot schemas;
* security: ``zizmor --offline``, failing on findings of medium severity or more;
* structure: the facts the published book relies on (GPU build job guarded before the build,
  the README's build command in the full profile, the execution cache, the Pages artifact,
  deployment only from main, least privilege, actions pinned to commits).

The shell steps that guard the GPU build are also executed, with stand-ins for the runner's
tools, to show that a runner without a GPU fails with a clear message before anything is built.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
BOOK = WORKFLOW_DIR / "book.yml"
TESTS = WORKFLOW_DIR / "tests.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
WORKFLOWS = [BOOK, TESTS]

RUNNER_VARIABLE = "BOOK_GPU_RUNNER"
FULL_CACHE = "_build/.jupyter_cache/full"
HTML_DIR = "_build/html"
REPORTS_DIR = "_build/html/reports/"


# --------------------------------------------------------------------------------------------
# helpers


def load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def tool(name: str) -> str:
    """Return the path of a command-line tool installed next to this Python, or on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name!r} is not installed (neither next to {sys.executable} nor on PATH); "
            f"it is pinned in requirements.txt: run `make venv`"
        )
    return found


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False, **kwargs)


def steps_by_id(job: dict) -> dict[str, tuple[int, dict]]:
    return {step["id"]: (i, step) for i, step in enumerate(job["steps"]) if "id" in step}


def step(job: dict, step_id: str) -> dict:
    steps = steps_by_id(job)
    assert step_id in steps, f"no step with id {step_id!r}; ids: {sorted(steps)}"
    return steps[step_id][1]


def action(step_: dict) -> str:
    """``owner/repo[/path]`` of a ``uses:`` step, without the ref."""
    return step_.get("uses", "").split("@", 1)[0]


def all_jobs():
    for path in WORKFLOWS:
        for name, job in load_yaml(path)["jobs"].items():
            yield path.name, name, job


def config_branch() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["branch"]


def run_step_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a ``run:`` block the way the runner does for ``shell: bash``."""
    bash = shutil.which("bash")
    assert bash is not None
    return run([bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env)


def write_executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def basic_path(tmp_path: Path) -> str:
    """A PATH with only the tools the step scripts use (no nvidia-smi, whatever the host has)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("sed", "wc", "printf", "cat"):
        found = shutil.which(name)
        if found and not (bin_dir / name).exists():
            (bin_dir / name).symlink_to(found)
    return str(bin_dir)


@pytest.fixture(scope="module")
def book() -> dict:
    return load_yaml(BOOK)


@pytest.fixture(scope="module")
def build_job(book) -> dict:
    return book["jobs"]["build"]


# --------------------------------------------------------------------------------------------
# schema and security tools


@pytest.mark.parametrize(
    ("schema", "paths"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.dependabot", [DEPENDABOT])],
    ids=["workflows", "dependabot"],
)
def test_schema_valid(schema, paths):
    result = run([tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)])
    assert result.returncode == 0, result.stdout + result.stderr


def zizmor(*options: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    files = [str(p.relative_to(ROOT)) for p in (*WORKFLOWS, DEPENDABOT)]
    args = [tool("zizmor"), "--offline", "--no-config", "--no-progress", "--format", "json"]
    result = run([*args, *options, *files], cwd=ROOT)
    assert result.stdout.strip(), f"zizmor printed nothing:\n{result.stderr}"
    return result, json.loads(result.stdout)


def test_zizmor_finds_nothing_of_medium_severity_or_more():
    result, findings = zizmor("--min-severity", "medium")
    summary = [(f["ident"], f["determinations"]["severity"], f["desc"]) for f in findings]
    assert findings == [], f"zizmor findings: {summary}\n{result.stderr}"
    assert result.returncode == 0, result.stderr


def test_zizmor_auditor_persona_only_flags_the_intended_self_hosted_runner():
    # The auditor persona reports every self-hosted runner. The GPU build may run on one by
    # design; it is safe because that workflow never runs on pull requests (no fork code).
    _, findings = zizmor("--persona", "auditor")
    unexpected = [f for f in findings if f["ident"] != "self-hosted-runner"]
    assert unexpected == [], [(f["ident"], f["desc"]) for f in unexpected]
    for finding in findings:
        routes = [loc["symbolic"]["route"]["route"] for loc in finding["locations"]]
        assert [{"Key": "jobs"}, {"Key": "build"}, {"Key": "runs-on"}] in routes
    book_triggers = load_yaml(BOOK)["on"]
    assert "pull_request" not in book_triggers and "pull_request_target" not in book_triggers


# --------------------------------------------------------------------------------------------
# security facts, all workflows


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_dangerous_triggers(path):
    triggers = load_yaml(path)["on"]
    for dangerous in ("pull_request_target", "workflow_run"):
        assert dangerous not in triggers, f"{path.name} is triggered by {dangerous}"
    assert "secrets." not in path.read_text(encoding="utf-8"), f"{path.name} uses a secret"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions_are_empty(path):
    assert load_yaml(path).get("permissions") == {}, "set `permissions: {}` at the top"


def test_only_the_deploy_job_may_write():
    for workflow, name, job in all_jobs():
        assert "permissions" in job, f"{workflow}:{name} must state its permissions"
        writes = {scope for scope, level in job["permissions"].items() if level == "write"}
        if (workflow, name) == ("book.yml", "deploy"):
            assert job["permissions"] == {"pages": "write", "id-token": "write"}
        else:
            assert writes == set(), f"{workflow}:{name} asks for write access: {writes}"
            assert set(job["permissions"].values()) <= {"read", "none"}


USES_LINE = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)"
    r"@(?P<sha>[0-9a-f]{40})\s+#\s+(?P<version>v\d+\.\d+\.\d+)\s*$"
)


def test_every_action_is_pinned_to_a_commit_with_its_version():
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if "uses:" in ln]
        from_text = []
        for line in lines:
            match = USES_LINE.match(line)
            assert match, f"{path.name}: not pinned to a full commit SHA + `# vX.Y.Z`: {line!r}"
            from_text.append(f"{match['action']}@{match['sha']}")
            repo = "/".join(match["action"].split("/")[:2])
            pins.setdefault(repo, set()).add((match["sha"], match["version"]))
        jobs = load_yaml(path)["jobs"].values()
        from_yaml = [s["uses"] for job in jobs for s in job["steps"] if "uses" in s]
        assert sorted(from_yaml) == sorted(from_text), "a `uses:` escaped the line check"
    # One repository, one pin (actions/cache/restore and actions/cache/save included).
    for repo, versions in pins.items():
        assert len(versions) == 1, f"{repo} is pinned to several commits: {versions}"
    assert {"actions/checkout", "actions/cache", "actions/deploy-pages"} <= set(pins)


def test_checkouts_do_not_persist_credentials():
    checkouts = [
        s for _, _, job in all_jobs() for s in job["steps"] if action(s) == "actions/checkout"
    ]
    assert len(checkouts) == 3  # book build, tests, tests at the minimum versions
    for s in checkouts:
        assert s.get("with", {}).get("persist-credentials") is False


# --------------------------------------------------------------------------------------------
# book.yml: triggers, runner, build


def test_book_triggers(book):
    triggers = book["on"]
    assert triggers["push"]["branches"] == [config_branch()]
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in triggers
    assert triggers["workflow_dispatch"]["inputs"]["fresh"]["type"] == "boolean"


def evaluate_runs_on(expression: str, variable: str) -> object:
    """Evaluate the ``runs-on`` expression with GitHub's semantics for the operators it uses.

    ``&&``/``||`` return an operand (like Python's ``and``/``or``) and ``&&`` binds tighter;
    ``startsWith`` ignores case; an unset repository variable reads as ``''``.
    """
    inner = expression.strip()
    assert inner.startswith("${{") and inner.endswith("}}"), expression
    inner = inner[3:-2]
    assert not re.search(r"!|\bformat\(|\bjoin\(|\?", inner), f"unsupported syntax: {inner}"
    python = inner.replace("&&", " and ").replace("||", " or ")
    names = {
        "vars": SimpleNamespace(**{RUNNER_VARIABLE: variable}),
        "fromJSON": json.loads,
        "startsWith": lambda text, prefix: text.lower().startswith(prefix.lower()),
    }
    return eval(python, {"__builtins__": {}}, names)  # our own workflow file, no builtins


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("", ["self-hosted", "linux", "gpu"]),
        ('["self-hosted", "linux", "a100"]', ["self-hosted", "linux", "a100"]),
        ("gpu-t4-4-core", "gpu-t4-4-core"),
    ],
    ids=["unset-default", "json-list", "single-label"],
)
def test_build_runs_on_the_gpu_runner_named_by_the_variable(build_job, variable, expected):
    expression = build_job["runs-on"]
    assert f"vars.{RUNNER_VARIABLE}" in expression
    assert evaluate_runs_on(expression, variable) == expected


GUARDS = ["gpu-driver", "venv", "tf-cuda", "tf-gpu"]


def test_build_checks_the_gpu_before_building(build_job):
    ids = steps_by_id(build_job)
    order = [ids[i][0] for i in [*GUARDS, "cache-restore", "build", "cache-save"]]
    assert order == sorted(order), f"steps out of order: {GUARDS + ['cache-restore', 'build']}"
    for guard in GUARDS:
        s = step(build_job, guard)
        # A guard that is skipped or allowed to fail guards nothing.
        assert "if" not in s and not s.get("continue-on-error", False), guard
    assert "nvidia-smi" in step(build_job, "gpu-driver")["run"]
    assert step(build_job, "venv")["run"].strip() == "make venv"
    assert "tensorflow[and-cuda]==" in step(build_job, "tf-cuda")["run"]
    assert 'list_physical_devices("GPU")' in step(build_job, "tf-gpu")["run"]
    # Nothing may fail softly: a failed guard or build must fail the job (and skip the deploy).
    assert "continue-on-error" not in build_job
    soft = [s.get("id", s.get("name")) for s in build_job["steps"] if "continue-on-error" in s]
    assert soft == [], f"steps allowed to fail: {soft}"
    build = step(build_job, "build")
    assert "if" not in build, "the build must only run when every guard passed"
    assert build["run"].strip() == "make book"
    assert build["env"]["DECONDL_PROFILE"] == "full"
    assert build_job.get("env", {}).get("DECONDL_PROFILE") in (None, "full")


def test_make_book_is_the_readme_build_command():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    build_cmd = re.search(r"^BUILD_CMD\s*:?=\s*(.+)$", makefile, re.M)
    assert build_cmd and build_cmd[1].endswith("jupyter-book build . -n -W --keep-going")
    assert re.search(r"^book:.*\n\t\$\(BUILD_CMD\)", makefile, re.M)
    assert re.search(r"^venv:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make book" in readme and "make test" in readme


def test_full_profile_execution_cache(build_job):
    # The book extension puts the cache in <outdir>/../.jupyter_cache/<profile> when
    # execute.cache in _config.yml is empty; jupyter-book's outdir is _build/html.
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["cache"] == ""
    extension = (ROOT / "book" / "_ext" / "decondl_build.py").read_text(encoding="utf-8")
    assert '".jupyter_cache" / active.name' in extension

    restore, save = step(build_job, "cache-restore"), step(build_job, "cache-save")
    assert action(restore) == "actions/cache/restore" and action(save) == "actions/cache/save"
    assert restore["with"]["path"] == save["with"]["path"] == FULL_CACHE
    key, prefix = restore["with"]["key"], restore["with"]["restore-keys"]
    assert save["with"]["key"] == key
    # The key is new on every run (so the cache refreshes) and starts with the restore prefix.
    assert key.startswith(prefix) and "github.run_id" in key[len(prefix) :]
    prefix_step = step(build_job, "cache-key")
    # Hashed before installing: `pip install -e .` and imports add files under code/.
    assert steps_by_id(build_job)["cache-key"][0] < steps_by_id(build_job)["venv"][0]
    assert "steps.cache-key.outputs.prefix" in prefix
    assert "hashFiles('requirements.txt', 'pyproject.toml', 'code/**')" in str(prefix_step)
    # Scheduled runs start from an empty cache to catch dependency drift.
    assert "github.event_name != 'schedule'" in restore["if"]
    assert "!cancelled()" in save["if"]


def test_reports_are_uploaded_when_the_build_fails(build_job):
    import myst_nb.sphinx_

    # myst-nb writes <outdir>/reports/<docname>.err.log for a notebook that fails to execute.
    assert re.search(r'outdir\)\.joinpath\(\s*"reports"', inspect.getsource(myst_nb.sphinx_))
    reports = step(build_job, "reports")
    assert action(reports) == "actions/upload-artifact"
    assert reports["if"] == "failure()"
    assert reports["with"]["path"] == REPORTS_DIR


def test_html_is_uploaded_as_the_pages_artifact(build_job):
    ids = steps_by_id(build_job)
    pages = step(build_job, "pages-artifact")
    assert action(pages) == "actions/upload-pages-artifact"
    assert pages["with"]["path"] == HTML_DIR
    assert "if" not in pages, "only a successful build is uploaded for Pages"
    assert ids["pages-artifact"][0] > ids["build"][0]


def test_deploy_only_from_main_with_pages_environment(book):
    deploy = book["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["runs-on"] == "ubuntu-latest"
    assert deploy["if"] == f"github.ref == 'refs/heads/{config_branch()}'"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    (only_step,) = deploy["steps"]
    assert action(only_step) == "actions/deploy-pages" and only_step["id"] == "deployment"
    # Two deployments never race: one group, never cancelled halfway.
    assert book["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in book["concurrency"]["group"]


# --------------------------------------------------------------------------------------------
# the guard steps, executed


def test_driver_check_fails_clearly_without_nvidia_smi(build_job, tmp_path):
    script = step(build_job, "gpu-driver")["run"]
    env = {"PATH": basic_path(tmp_path), "RUNNER_NAME": "cpu-runner-1"}
    result = run_step_script(script, tmp_path, env)
    assert result.returncode != 0
    assert "::error title=No GPU on this runner::" in result.stdout
    assert "cpu-runner-1" in result.stdout and RUNNER_VARIABLE in result.stdout


@pytest.mark.parametrize(("status", "ok"), [(0, True), (9, False)], ids=["driver-ok", "broken"])
def test_driver_check_runs_nvidia_smi(build_job, tmp_path, status, ok):
    path = basic_path(tmp_path)
    write_executable(
        Path(path) / "nvidia-smi", f"#!/bin/sh\necho 'GPU 0: Tesla T4 (fake)'\nexit {status}\n"
    )
    result = run_step_script(step(build_job, "gpu-driver")["run"], tmp_path, {"PATH": path})
    assert (result.returncode == 0) is ok
    assert "Tesla T4 (fake)" in result.stdout


def run_tf_cuda_step(build_job, tmp_path: Path, requirements: str):
    """Run the step with a stand-in .venv/bin/python that records its arguments."""
    (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    record = tmp_path / "pip-args.txt"
    write_executable(
        tmp_path / ".venv" / "bin" / "python",
        f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n',
    )
    env = {"PATH": basic_path(tmp_path)}
    result = run_step_script(step(build_job, "tf-cuda")["run"], tmp_path, env)
    args = record.read_text(encoding="utf-8").splitlines() if record.exists() else None
    return result, args


@pytest.mark.parametrize(
    ("requirements", "version"),
    [
        ("numpy==2.4.0\ntensorflow==2.21.0\n-e .[dl]\n", "2.21.0"),
        ("tensorflow==2.21.0  # the plain CPU/GPU wheel\n", "2.21.0"),
        ("tensorflow-io-gcs-filesystem==0.37.1\ntensorflow == 2.20.1\n", "2.20.1"),
        ("tensorflow==2.21.0rc1\n", "2.21.0rc1"),
    ],
)
def test_cuda_install_uses_the_tensorflow_pin(build_job, tmp_path, requirements, version):
    result, args = run_tf_cuda_step(build_job, tmp_path, requirements)
    assert result.returncode == 0, result.stdout + result.stderr
    assert args == ["-m", "pip", "install", f"tensorflow[and-cuda]=={version}"]


@pytest.mark.parametrize(
    "requirements",
    [
        "tensorflow>=2.18\n",
        "tensorflow-cpu==2.21.0\n",
        "tensorflow==2.21.0\ntensorflow==2.20.0\n",
        "# tensorflow==2.21.0\n",
        "",
    ],
    ids=["unpinned", "other-package", "two-pins", "commented-out", "empty"],
)
def test_cuda_install_refuses_a_missing_or_ambiguous_pin(build_job, tmp_path, requirements):
    result, args = run_tf_cuda_step(build_job, tmp_path, requirements)
    assert result.returncode != 0
    assert "::error file=requirements.txt" in result.stdout
    assert args is None, "pip must not run without a single TensorFlow pin"


def test_cuda_install_reads_the_real_requirements(build_job, tmp_path):
    requirements = ROOT / "requirements.txt"
    from packaging.requirements import InvalidRequirement, Requirement

    pins = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower() == "tensorflow":
            (spec,) = req.specifier
            assert spec.operator == "==", f"tensorflow must be pinned with ==: {line}"
            pins.append(spec.version)
    assert len(pins) == 1, f"expected one tensorflow pin in requirements.txt, found {pins}"
    _, args = run_tf_cuda_step(build_job, tmp_path, requirements.read_text(encoding="utf-8"))
    assert args == ["-m", "pip", "install", f"tensorflow[and-cuda]=={pins[0]}"]


@pytest.mark.dl
def test_tensorflow_gpu_check_fails_without_a_gpu(build_job, tmp_path):
    # The step runs .venv/bin/python; point it at this interpreter (which has TensorFlow) and
    # hide every GPU, so the check sees what a CPU-only runner sees.
    write_executable(
        tmp_path / ".venv" / "bin" / "python", f'#!/bin/sh\nexec "{sys.executable}" "$@"\n'
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = run_step_script(step(build_job, "tf-gpu")["run"], tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "| GPUs: []" in result.stdout
    assert "::error title=TensorFlow sees no GPU::" in result.stdout


# --------------------------------------------------------------------------------------------
# tests.yml, shared settings, dependabot


def test_tests_workflow_runs_the_readme_test_command_on_cpu():
    workflow = load_yaml(TESTS)
    assert {"pull_request", "push"} <= set(workflow["on"])
    assert set(workflow["jobs"]) == {"test", "test-min"}
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["env"]["CI"] == "true" and job["env"]["DECONDL_PROFILE"] == "quick"
    assert job["steps"][-1]["run"].strip() == "make test"
    # Same as the local CI script: it runs `make test` with the same exported variables.
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci_run, re.M)
    exported = dict(re.findall(r"^export (\w+)=(\S+)$", ci_run, re.M))
    assert exported.get("DECONDL_PROFILE") == "quick"
    assert {k: str(job["env"].get(k)) for k in exported} == exported


def test_tests_workflow_runs_the_unit_tests_at_the_minimum_versions():
    jobs = load_yaml(TESTS)["jobs"]
    job = jobs["test-min"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["permissions"] == {"contents": "read"}
    assert job["env"] == jobs["test"]["env"]
    assert job["steps"][-1]["run"].strip() == "make test-min"
    # The target installs the constraints file and runs the unit tests in its own venv.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test-min:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target, "Makefile has no test-min target"
    assert 'pytest -m "not book and not browser and not colab"' in target[1]
    assert re.search(r"^MIN_CONSTRAINTS\s*:=\s*tests/min-versions.txt$", makefile, re.M)
    assert "-c $(MIN_CONSTRAINTS)" in makefile and "$(MIN_BIN)/python" in target[1]
    # Not part of the local CI script (its time budget): only this workflow job runs it.
    assert "test-min" not in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_min_versions_are_the_floors_of_pyproject():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = {}
    for line in meta["dependencies"] + meta["optional-dependencies"]["dl"]:
        req = Requirement(line)
        lows = [s.version for s in req.specifier if s.operator == ">="]
        if lows:
            floors[req.name.lower()] = lows[0]
    pins = {}
    for line in (ROOT / "tests" / "min-versions.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[req.name.lower()] = spec.version
    # The same packages; each pin is its floor (a floor "1.26" is the release 1.26.0).
    assert set(pins) == set(floors)
    mismatched = {n: (pins[n], f) for n, f in floors.items() if Version(pins[n]) != Version(f)}
    assert not mismatched, f"min-versions.txt pin vs pyproject.toml floor: {mismatched}"


def test_both_workflows_use_the_same_supported_python():
    from packaging.specifiers import SpecifierSet

    versions = {
        s["with"]["python-version"]
        for _, _, job in all_jobs()
        for s in job["steps"]
        if action(s) == "actions/setup-python"
    }
    assert len(versions) == 1, versions
    (version,) = versions
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    requires = re.search(r'^requires-python\s*=\s*"([^"]+)"', pyproject, re.M)
    assert requires, "pyproject.toml has no requires-python"
    assert version in SpecifierSet(requires[1])


def test_dependabot_updates_actions_and_pip_weekly():
    config = load_yaml(DEPENDABOT)
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    for update in ecosystems.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"
        assert update["cooldown"]["default-days"] >= 1


def test_readme_publishing_section_names_the_variable():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Publishing", 1)
    assert len(section) == 2, "README.md has no '## Publishing' section"
    body = section[1].split("\n## ", 1)[0]
    for needed in (RUNNER_VARIABLE, "GitHub Actions", "nvidia-smi", "full"):
        assert needed in body, f"the Publishing section does not mention {needed!r}"
