"""The newsfinder web application: ``create_app(config)`` builds a Flask app over one index.

The factory lives in webapp/app.py and is imported when first asked for, so that commands
which never serve (``newsfinder reindex``) do not load Flask: a fifth of a second per run.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def __getattr__(name: str):
    if name in ("create_app", "config_from_environment", "DEFAULTS"):
        from webapp import app

        return getattr(app, name)
    raise AttributeError(f"module 'webapp' has no attribute {name!r}")
