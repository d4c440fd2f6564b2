"""The package imports cheaply: no TensorFlow unless a deep-learning function is used."""

import pkgutil
import subprocess
import sys

import decondl


def submodules() -> list[str]:
    return sorted(f"decondl.{m.name}" for m in pkgutil.iter_modules(decondl.__path__))


def test_import_does_not_import_tensorflow():
    code = "import decondl, sys; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_every_submodule_imports_without_tensorflow():
    names = submodules()
    assert "decondl.profile" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    assert 'tensorflow' not in sys.modules, name + ' imported tensorflow'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


def test_version_matches_metadata():
    from importlib.metadata import version

    assert version("decondl") == decondl.__version__
