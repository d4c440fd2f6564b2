"""Checks of the exercises of chapter: deconvolution (book/exercises/)."""

__all__: list[str] = []
