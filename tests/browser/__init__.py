"""Browser tests of the built site (issue 12): Playwright driving Debian's chromium, offline.

A package, so that its ``conftest`` does not shadow ``tests/conftest.py`` (imported by name).
"""
