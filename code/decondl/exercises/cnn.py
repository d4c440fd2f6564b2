"""Checks of the exercises of chapter: cnn (book/exercises/)."""

__all__: list[str] = []
