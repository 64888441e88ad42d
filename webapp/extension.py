"""The application's one SearchEngine: made by create_app, found by every view through engine()."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from webapp.engine import SearchEngine

KEY = "newsfinder.engine"


def install_engine(app: Flask) -> None:
    app.extensions[KEY] = SearchEngine(Path(app.config["INDEX_DIR"]), app.config["QUALITY_WEIGHT"],
                                       app.config["QUALITY_CAP"])


def engine() -> SearchEngine:
    """The engine of the application handling the current request."""
    return current_app.extensions[KEY]
