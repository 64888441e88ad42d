"""The search page, rendered on the server so it works without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request

from webapp.params import MAX_PAGE, BadParameter, search_request

bp = Blueprint("pages", __name__)


def page_url(q: str, page: int, per_page: int) -> str:
    params = {"q": q}
    if page > 1:
        params["page"] = page
    if per_page != 10:
        params["per_page"] = per_page
    return "/?" + urlencode(params)


@bp.get("/")
def search_page():
    try:
        search = search_request(request.args)
    except BadParameter as exc:
        return render_template("search.html", q=request.args.get("q", ""), error=exc.message, results=None), 400
    results = None
    if search.q.strip():
        results = current_app.extensions["newsfinder.engine"].search(search)
    return render_template(
        "search.html", q=search.q, results=results, error=None, page_url=page_url, max_page=MAX_PAGE
    )
