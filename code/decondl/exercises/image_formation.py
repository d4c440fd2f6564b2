"""Checks of the exercises of chapter: image_formation (book/exercises/)."""

__all__: list[str] = []
