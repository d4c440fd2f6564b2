"""Sphinx extension of the course book: one run profile and one honest execution cache per build.

* **Profile.** The run profile is resolved once in the build process (``DECONDL_PROFILE``
  wins, else GPU detection) and exported to the environment, so every notebook kernel the
  build starts uses the same profile. The profile is a config value: switching it makes
  Sphinx re-read every page.
* **Separate caches.** Quick and full builds never share executed outputs: the
  jupyter-cache lives in ``<build>/.jupyter_cache/<profile>`` unless ``execute.cache`` in
  ``_config.yml`` names a folder explicitly.
* **Package changes.** jupyter-cache keys a page on its code cells only, so a change inside
  ``decondl`` would silently reuse stale outputs. The cache therefore records a hash of the
  package's source (:func:`decondl.profile.source_hash`); when it differs, the cache and the
  profile's trained models (``<build>/models/<profile>``) are emptied and every page re-executed.
* **Book mode.** Kernels see ``DECONDL_BOOK_BUILD=1`` (``decondl.notebook.glue`` then glues
  for the text instead of printing) and ``DECONDL_EXERCISES_STRICT=1`` (a failing exercise
  check raises, so every reference solution is proven by the build).
* **Downloads keep their outputs.** The ".ipynb" download of a page is the notebook MyST-NB
  writes to ``<build>/jupyter_execute``. When a page's outputs come from the cache, MyST-NB
  1.4 writes the notebook *without* them (it merges the cached outputs into a copy and saves
  the original); the published site, built from a restored cache, would then offer empty
  notebooks. After each page is read, such a notebook is merged with its cache entry and
  written again (:func:`restore_cached_outputs`).
* **Failures are not forgotten.** Sphinx does not re-read an unchanged page, so a page whose
  execution failed would look fine on the next build (its warnings are not repeated). Pages
  whose last execution failed are always re-read.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
from patient_kernels import patient_kernel_channels
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from decondl import exercises, notebook, profile

logger = logging.getLogger(__name__)

_STAMP = "decondl-source.sha256"


def _resolve_profile(app: Sphinx, config: Config) -> None:
    active = profile.current()
    # Every kernel the build starts inherits these: glue goes to MyST-NB (decondl.notebook),
    # and an exercise check that fails raises, so a wrong reference solution fails the build.
    os.environ[notebook.BUILD_VAR] = "1"
    os.environ[exercises.STRICT_VAR] = "1"
    os.environ[profile.ENV_VAR] = active.name
    os.environ[profile.SOURCE_VAR] = active.source
    config.decondl_profile = active.name
    if not config.nb_execution_cache_path:
        cache = Path(app.outdir).parent / ".jupyter_cache" / active.name
        config.nb_execution_cache_path = str(cache.resolve())
    # Trained models live next to the execution cache, per profile (profile.model_dir).
    os.environ.setdefault(
        profile.MODEL_DIR_VAR, str((Path(app.outdir).parent / "models").resolve())
    )
    source_hash = profile.source_hash()
    config.decondl_source_hash = source_hash
    models = Path(os.environ[profile.MODEL_DIR_VAR]) / active.name
    _invalidate_stale_cache(Path(config.nb_execution_cache_path), models, source_hash)
    logger.info("decondl: %s", active.describe())
    logger.info("decondl: execution cache %s", config.nb_execution_cache_path)


def _invalidate_stale_cache(cache: Path, models: Path, source_hash: str) -> None:
    stamp = cache / _STAMP
    if cache.exists() and (not stamp.exists() or stamp.read_text().strip() != source_hash):
        logger.info("decondl: the package changed since the cache was filled; re-executing")
        shutil.rmtree(cache)
        # Model names include the source hash (decondl.profile.fingerprint), so old models
        # would never be loaded again: remove them with the outputs they produced.
        shutil.rmtree(models, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(source_hash + "\n")


def _reread_failed_pages(app, env, added, changed, removed) -> list[str]:
    metadata = getattr(env, "nb_metadata", {}) or {}
    failed = [
        docname
        for docname, data in metadata.items()
        if (data.get("exec_data") or {}).get("succeeded") is False and docname in env.found_docs
    ]
    if failed:
        logger.info("decondl: re-reading pages whose execution failed last time: %s", failed)
    return failed


def restore_cached_outputs(notebook_path: Path, cache_path: Path) -> bool:
    """Give the executed notebook at ``notebook_path`` the outputs its cache entry holds.

    Only a notebook without any output is changed, and only when ``cache_path`` (a
    jupyter-cache folder) holds a matching executed notebook. Returns whether the file was
    rewritten.
    """
    from jupyter_cache import get_cache

    if not notebook_path.is_file() or not cache_path.is_dir():
        return False
    nb = nbformat.read(notebook_path, as_version=4)
    if any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"):
        return False
    try:
        _, merged = get_cache(str(cache_path)).merge_match_into_notebook(nb)
    except KeyError:  # not in the cache: an unexecuted page or one without code
        return False
    if not any(cell.get("outputs") for cell in merged.cells if cell.cell_type == "code"):
        return False
    nbformat.write(merged, notebook_path)
    return True


def _restore_download(app: Sphinx, doctree) -> None:
    cache = app.config.nb_execution_cache_path
    notebook_path = Path(app.outdir).parent / "jupyter_execute" / f"{app.env.docname}.ipynb"
    if cache and restore_cached_outputs(notebook_path, Path(cache)):
        logger.info("decondl: cached outputs restored in %s", notebook_path.name)


def setup(app: Sphinx) -> dict:
    patient_kernel_channels()
    # rebuild="env": a different profile or package makes Sphinx re-read (and re-run) every page.
    app.add_config_value("decondl_profile", "", rebuild="env", types=[str])
    app.add_config_value("decondl_source_hash", "", rebuild="env", types=[str])
    app.connect("config-inited", _resolve_profile, priority=100)
    app.connect("env-get-outdated", _reread_failed_pages)
    app.connect("doctree-read", _restore_download)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}
