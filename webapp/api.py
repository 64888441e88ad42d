"""The JSON API: /api/search and /api/health. Errors are JSON too, never a traceback."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from webapp.params import BadParameter, search_request

bp = Blueprint("api", __name__, url_prefix="/api")


def engine():
    return current_app.extensions["newsfinder.engine"]


def json_error(status: int, code: str, message: str, parameter: str | None = None):
    error = {"code": code, "message": message}
    if parameter:
        error["parameter"] = parameter
    return jsonify({"error": error}), status


@bp.errorhandler(BadParameter)
def bad_parameter(exc: BadParameter):
    return json_error(400, "bad_parameter", exc.message, exc.name)


@bp.get("/search")
def search():
    return jsonify(engine().search(search_request(request.args)).to_json())


@bp.get("/health")
def health():
    return jsonify(engine().health())
