"""What every response carries and what every request may be: headers that keep content inert
and readers private, read-only methods, and one structured log line per request."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, abort, g, request

ALLOWED_METHODS = ("GET", "HEAD")
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "interest-cohort=(), browsing-topics=()",
}

access_log = logging.getLogger("newsfinder.access")


def install(app: Flask) -> None:
    app.before_request(start_request)
    app.after_request(finish_request)


def start_request():
    g.request_id = uuid.uuid4().hex[:16]
    g.started = time.perf_counter()
    if request.method not in ALLOWED_METHODS:
        abort(405)


def finish_request(response):
    from flask import current_app

    # One pass over the few headers a view set, not one per header added.
    present = {name.lower() for name, _ in response.headers}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)
    if current_app.config.get("SHOW_IMAGES"):
        # The operator chose to show article images: they load from the articles' hosts
        # (without a referrer); nothing else does.
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' https:")
    if response.status_code == 405:
        response.headers["Allow"] = ", ".join(ALLOWED_METHODS)
    if not request.path.startswith("/static/"):
        # Answers depend on the query: shared caches must not keep what a reader searched.
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Request-Id"] = getattr(g, "request_id", "-")
    log_request(response)
    return response


def log_request(response) -> None:
    """One JSON line: no client address, and no query string unless the operator asks."""
    from flask import current_app

    path = request.full_path.rstrip("?") if current_app.config.get("LOG_QUERIES") else request.path
    access_log.info(json.dumps({
        "request_id": getattr(g, "request_id", "-"),
        "method": request.method,
        "path": path,
        "status": response.status_code,
        "ms": round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 2),
    }))
