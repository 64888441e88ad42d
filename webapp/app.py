"""The Flask application factory: ``create_app(config)`` builds the app over one index."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.build import IndexerError
from webapp import PROJECT_DIR, security
from webapp.extension import install_engine
from webapp.display import exact_time, marked_cut, reader_date
from webapp.links import safe_link
from webapp.ranking import DEFAULT_QUALITY_CAP, DEFAULT_QUALITY_WEIGHT

DEFAULTS = {
    "INDEX_DIR": str(PROJECT_DIR / "index_data"),
    "QUALITY_WEIGHT": DEFAULT_QUALITY_WEIGHT,
    "QUALITY_CAP": DEFAULT_QUALITY_CAP,
    "LOG_QUERIES": False,
    "SHOW_IMAGES": False,
    # The address readers reach newsfinder at, written into Atom and OpenSearch: never taken
    # from a request's Host header, which the client chooses.
    "PUBLIC_URL": "http://localhost",
}
ENVIRONMENT = {
    "INDEX_DIR": ("NEWSFINDER_INDEX", str),
    "QUALITY_WEIGHT": ("NEWSFINDER_QUALITY_WEIGHT", float),
    "QUALITY_CAP": ("NEWSFINDER_QUALITY_CAP", int),
    "LOG_QUERIES": ("NEWSFINDER_LOG_QUERIES", lambda v: v.lower() in ("1", "true", "yes")),
    "SHOW_IMAGES": ("NEWSFINDER_SHOW_IMAGES", lambda v: v.lower() in ("1", "true", "yes")),
    "PUBLIC_URL": ("NEWSFINDER_PUBLIC_URL", str),
}


def config_from_environment() -> dict:
    """Settings given as NEWSFINDER_* environment variables (used when run under a WSGI server)."""
    config = {}
    for key, (variable, kind) in ENVIRONMENT.items():
        if os.environ.get(variable):
            config[key] = kind(os.environ[variable])
    return config


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the documented field order in JSON answers
    app.config.update(DEFAULTS)
    app.config.update(config_from_environment())
    app.config.update(config or {})
    check_config(app.config)
    install_engine(app)
    from webapp import api, feeds, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(feeds.bp)
    app.jinja_env.filters["link"] = safe_link
    app.jinja_env.filters.update(reader_date=reader_date, exact_time=exact_time, marked_cut=marked_cut)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(IndexerError, index_unavailable)
    app.register_error_handler(Exception, internal_error)
    security.install(app)
    return app


def check_config(config) -> None:
    weight = config["QUALITY_WEIGHT"]
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"QUALITY_WEIGHT must be at least 0 and below 1, got {weight}")
    if config["QUALITY_CAP"] < 1:
        raise ValueError(f"QUALITY_CAP must be at least 1, got {config['QUALITY_CAP']}")
    public = safe_link(config["PUBLIC_URL"])
    if public is None or not urlsplit(public).netloc or urlsplit(public).query or urlsplit(public).fragment:
        raise ValueError(f"PUBLIC_URL must be an http(s) address such as https://news.example.org, got {config['PUBLIC_URL']!r}")
    config["PUBLIC_URL"] = public.rstrip("/")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def http_error(exc: HTTPException):
    if wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify({"error": {"code": code, "message": exc.description}}), exc.code
    return render_template("error.html", status=exc.code, message=exc.description), exc.code


def index_unavailable(exc: IndexerError):
    message = f"The index is not available: {exc}"
    if wants_json():
        return jsonify({"error": {"code": "index_unavailable", "message": message}}), 503
    return render_template("error.html", status=503, message=message), 503


def internal_error(exc: Exception):
    # The traceback goes to the server log only; the client gets a plain message.
    current_app.logger.exception("unhandled error on %s (request %s)", request.path, getattr(g, "request_id", "-"))
    message = "The server could not answer this request."
    if wants_json():
        return jsonify({"error": {"code": "internal_error", "message": message}}), 500
    return render_template("error.html", status=500, message=message), 500
