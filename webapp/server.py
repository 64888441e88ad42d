"""Running the app under gunicorn: one worker per core, each opening the index once."""

from __future__ import annotations

import logging
import os
import sys

from gunicorn.app.base import BaseApplication

from webapp import create_app


class NewsfinderServer(BaseApplication):
    """A gunicorn application whose workers each build their own Flask app after the fork,
    so no index file handle is shared between processes."""

    def __init__(self, config: dict, options: dict):
        self.app_config = config
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings differ between gunicorn releases
                self.cfg.set(key, value)

    def load(self):
        configure_logging()
        return create_app(self.app_config)


def configure_logging() -> None:
    """Request lines (JSON, one per request) to stderr beside gunicorn's own log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("newsfinder.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def serve(config: dict, host: str, port: int, workers: int) -> None:
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 2,
        # gunicorn's own access log records addresses and query strings; ours (security.py)
        # records neither unless asked.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "newsfinder",
        # gunicorn 24+ opens a control socket at one fixed path per user, which would make
        # two newsfinder servers on one machine collide; we do not use it.
        "control_socket_disable": True,
    }
    NewsfinderServer(config, options).run()
