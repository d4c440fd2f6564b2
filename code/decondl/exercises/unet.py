"""Checks of the exercises of chapter: unet (book/exercises/)."""

__all__: list[str] = []
