"""Running the app under gunicorn: one worker per core, each opening the index once."""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication

from webapp import create_app, security


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


def json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answer (a request it could not parse, a line or headers too long),
    as JSON with the security headers every other answer carries, not gunicorn's HTML page."""
    error = {"code": reason.lower().replace(" ", "_"), "message": f"{reason}: {mesg}" if mesg else reason}
    body = json.dumps({"error": error}).encode("utf-8")
    headers = "".join(f"{name}: {value}\r\n" for name, value in security.HEADERS.items())
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n")
    gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


def answer_gunicorn_errors_in_json() -> None:
    """The one place newsfinder goes below gunicorn's public API: its workers write their own
    error answers through gunicorn.util.write_error(sock, status_int, reason, mesg) (gunicorn
    23-27). Where that function has another shape, gunicorn's HTML answer is left as it is."""
    original = getattr(gunicorn_util, "write_error", None)
    if original is not None and list(inspect.signature(original).parameters) == ["sock", "status_int", "reason", "mesg"]:
        gunicorn_util.write_error = json_error


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def serve(config: dict, host: str, port: int, workers: int, timeout: int = 30) -> None:
    answer_gunicorn_errors_in_json()
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        # Sync workers: threads cost memory and throughput on two cores (BENCHMARKS.md); slow
        # clients are a reverse proxy's job (docs/operations.md).
        "worker_class": "sync",
        # The longest request line and header gunicorn allows: its own errors stay rare.
        "limit_request_line": 8190,
        "limit_request_field_size": 8190,
        "timeout": timeout,
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
