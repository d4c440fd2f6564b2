"""A Colab-like runtime for the generated notebooks: see :mod:`colab_runtime.harness`."""
