"""Checks of the exercises of chapter: segmentation (book/exercises/)."""

__all__: list[str] = []
