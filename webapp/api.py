"""The JSON API: search, suggestions, articles and health. Errors are JSON too, never a traceback."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from webapp.articles import article_details
from webapp.extension import engine
from webapp.openapi import SEARCH_PARAMETERS, SUGGEST_PARAMETERS, openapi_document, parameter_names
from webapp.params import BadParameter, choice_param, int_param, refuse_unknown, search_request, text_param
from webapp.suggest import MAX_SUGGESTIONS, suggest

bp = Blueprint("api", __name__, url_prefix="/api")
SEARCH_NAMES, SUGGEST_NAMES = parameter_names(SEARCH_PARAMETERS), parameter_names(SUGGEST_PARAMETERS)


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
    refuse_unknown(request.args, SEARCH_NAMES)
    return current_app.response_class(engine().search_json(search_request(request.args)), mimetype="application/json")


@bp.get("/suggest")
def suggestions():
    refuse_unknown(request.args, SUGGEST_NAMES)
    text = text_param(request.args, "q", 200)
    limit = int_param(request.args, "limit", 8, 1, MAX_SUGGESTIONS)
    answer_format = choice_param(request.args, "format", ("newsfinder", "opensearch"), "newsfinder")
    suggestions = suggest(engine().snapshot(), text, limit, engine().quality_weight)
    if answer_format == "opensearch":
        # The OpenSearch suggestions shape browsers read: [query, [completions]].
        response = jsonify([text, [c["text"] for c in suggestions["completions"]]])
        response.content_type = "application/x-suggestions+json"
        return response
    return jsonify(suggestions)


@bp.get("/articles/<path:article_id>")
def article(article_id: str):
    details = article_details(engine(), article_id)
    if details is None:
        abort(404, description=f"no article with id {article_id!r}")
    return jsonify(details)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/health")
def health():
    return jsonify(engine().health())
