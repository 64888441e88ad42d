"""The search page and article pages, rendered on the server so they work without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from webapp.articles import article_details
from webapp.extension import engine
from webapp.params import MAX_PAGE, BadParameter, search_request
from webapp.search import SearchRequest

bp = Blueprint("pages", __name__)

HOME_NEWEST = 10  # stories on the home page
HOME_ENTRY_POINTS = 12  # topics and sources it lists
# Parameters that describe a search; everything else in the query string is dropped from links.
SEARCH_PARAMS = ("q", "topic", "provider", "type", "from", "to", "min_quality", "published", "sort", "collapse",
                 "half_life", "per_page", "facet_size")


def search_url(args: MultiDict, **changes) -> str:
    """The current search with some parameters changed.

    ``name=value`` replaces, ``add_name=value`` adds one value, ``drop_name=value`` removes
    one value, ``name=None`` removes the parameter. Changing anything but the page resets
    the page to 1."""
    params = MultiDict([(k, v) for k, v in args.items(multi=True) if k in SEARCH_PARAMS and v != ""])
    for key, value in changes.items():
        if key.startswith("add_"):
            params.add(key[4:], value)
        elif key.startswith("drop_"):
            params.setlist(key[5:], [v for v in params.getlist(key[5:]) if v != value])
        elif value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    if "page" in changes and changes["page"] not in (None, 1):
        params["page"] = str(changes["page"])
    return "/?" + urlencode(list(params.items(multi=True)))


@bp.get("/")
def search_page():
    args = request.args
    try:
        search = search_request(args, prefix=True)  # the page reads the query as it is typed
    except BadParameter as exc:
        return render_template("search.html", q=args.get("q", ""), error=exc.message, results=None, args=args,
                               search_url=search_url), 400
    results = home = None
    if search.q.strip() or any(args.get(name) for name in SEARCH_PARAMS if name != "q") or args.get("page"):
        results = engine().search(search)  # an empty query with a filter, order or page lists everything
    else:  # the home page shows what there is to search: its size, its topics, its newest stories
        home = engine().search(SearchRequest(per_page=HOME_NEWEST, facet_size=HOME_ENTRY_POINTS))
    feed_url = "/feed.atom?" + urlencode([(k, v) for k, v in args.items(multi=True)
                                          if k in SEARCH_PARAMS and k not in ("sort", "collapse", "per_page") and v])
    return render_template("search.html", q=search.q, results=results, error=None, args=args, search_url=search_url,
                           max_page=MAX_PAGE, year_range=year_range, feed_url=feed_url, hit_groups=hit_groups, home=home,
                           missing_words=missing_words, article_query=article_query(args), page_numbers=page_numbers,
                           show_images=current_app.config["SHOW_IMAGES"])


def article_query(args) -> str:
    """The search an article page was opened from, as its query string (the page links back)."""
    search = search_url(args)[1:]
    return search if search != "?" else ""


def query_words(results: dict) -> list[str]:
    return [w["text"] for w in results["words"] if w["status"] in ("matched", "dropped")]


def hit_groups(results: dict) -> tuple[list[dict], list[dict]]:
    """The page's hits with every word of the query, and those with only some of them."""
    wanted = len(query_words(results))
    every = [hit for hit in results["hits"] if len(hit.get("matched_words", ())) in (0, wanted)]
    return every, [hit for hit in results["hits"] if hit not in every]


def missing_words(results: dict, hit: dict) -> list[str]:
    return [word for word in query_words(results) if word not in hit.get("matched_words", ())]


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last, and ``around`` pages either side of the
    current one; None where pages are skipped."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def year_range(year: str) -> dict:
    return {"from": f"{year}-01-01", "to": f"{year}-12-31"}


@bp.get("/articles/<path:article_id>")
def article_page(article_id: str):
    details = article_details(engine(), article_id)
    if details is None:
        abort(404, description=f"There is no article with the id {article_id!r}.")
    back = search_url(request.args) if any(request.args.get(k) for k in SEARCH_PARAMS) else None
    return render_template("article.html", q=request.args.get("q", ""), details=details, article=details["article"],
                           back=back, related=unreported(details["article"].get("related") or [], details["story"]))


def unreported(related: list[dict], story: list[dict]) -> list[dict]:
    """The source's related coverage without the pieces listed already as reports of the story
    (the same link or the same headline)."""
    seen_urls = {report["url"] for report in story if report.get("url")}
    seen_titles = {(report.get("title") or "").strip().lower() for report in story}
    return [item for item in related
            if item.get("url") not in seen_urls and (item.get("title") or "").strip().lower() not in seen_titles]
