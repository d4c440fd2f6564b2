"""Checks of the exercises of chapter: care (book/exercises/)."""

__all__: list[str] = []
