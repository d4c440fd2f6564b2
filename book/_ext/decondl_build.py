"""Sphinx extension of the course book: one run profile and one execution cache per build.

The profile is resolved once in the build process (``DECONDL_PROFILE`` wins, else
GPU detection) and exported to the environment, so that every notebook kernel the
build starts uses the same profile. Quick and full builds never share executed
outputs: the jupyter-cache lives in ``<build>/.jupyter_cache/<profile>`` unless
``execute.cache`` in ``_config.yml`` names a folder explicitly, and the profile is a
config value whose change makes Sphinx re-read every page.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from decondl import profile

logger = logging.getLogger(__name__)


def _resolve_profile(app: Sphinx, config: Config) -> None:
    active = profile.current()
    os.environ[profile.ENV_VAR] = active.name
    os.environ[profile.SOURCE_VAR] = active.source
    config.decondl_profile = active.name
    if not config.nb_execution_cache_path:
        cache = Path(app.outdir).parent / ".jupyter_cache" / active.name
        config.nb_execution_cache_path = str(cache.resolve())
    logger.info(
        "decondl: %s; execution cache %s", active.describe(), config.nb_execution_cache_path
    )


def setup(app: Sphinx) -> dict:
    # rebuild="env": a different profile makes Sphinx re-read (and re-execute) every page.
    app.add_config_value("decondl_profile", "", rebuild="env", types=[str])
    app.connect("config-inited", _resolve_profile, priority=100)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
