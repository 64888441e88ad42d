"""The render stage: a search's answer as JSON, the shape the API documents (webapp/openapi.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh.query import NullQuery, Query

from webapp.links import safe_link
from webapp.matching import Matches
from webapp.query import ParsedQuery
from webapp.ranking import Factors
from webapp.snippets import highlight_text, snippet_text

MAX_STORY_REPORTS = 10
NO_REPORTS = np.zeros(0, np.int64)


def answer_json(request, parsed: ParsedQuery, matches: Matches, sort: str, totals: tuple[int, int, int],
                suggestion: str | None, facets: dict, hits: list[dict]) -> dict[str, Any]:
    """The whole answer. ``totals``: what is listed (stories when collapsing), how many of
    those match every word, and the matching articles."""
    total, total_all_words, articles = totals
    return {
        "query": request.q,
        "total": total,
        "total_all_words": total_all_words,
        "total_is_estimate": False,
        "total_articles": articles,
        "page": request.page,
        "per_page": request.per_page,
        "total_pages": max(1, -(-total // request.per_page)),
        "matching": matches.matching,
        "matching_strategy": request.matching,
        "prefix": request.prefix,
        "truncated": parsed.truncated,
        "words": matches.words,
        "suggestion": suggestion,
        "sort": sort,
        "collapse": "story" if request.collapse else "none",
        "half_life": request.half_life,
        "filters": request.filters.to_json(),
        "facets": facets,
        "hits": hits,
    }


def page_json(snapshot, request, matches: Matches, keep: np.ndarray, page: np.ndarray, text: np.ndarray,
              factors: Factors, reports: dict[int, np.ndarray]) -> list[dict[str, Any]]:
    """The hits of the page (positions into ``keep``, the allowed matches), with the words each
    matched when it may lack some, their stories' other reports and, if asked, how each score
    was made."""
    docs = matches.docs[keep[page]]  # the page's own docnums
    scores = factors.scores(text[page], page)
    terms = highlight_terms(matches.query, snapshot)
    marker = snapshot.marker(terms) if terms else None
    hits = []
    for n, position in enumerate(page):
        hit = hit_json(snapshot, int(docs[n]), float(scores[n]), terms, marker)
        matched = matches.matched_words(int(keep[position]))
        if matched is not None:
            hit["matched_words"] = matched
        if request.collapse:
            hit["story"] = story_json(snapshot, reports.get(int(docs[n]), NO_REPORTS))
        if request.explain:
            hit["explain"] = {"text": round(float(text[position]), 4),
                              **{name: round(value, 4) for name, value in factors.at(position).items()},
                              "score": hit["score"]}
        hits.append(hit)
    return hits


def story_json(snapshot, members: np.ndarray) -> dict[str, Any]:
    """The other matching reports of a hit's story (docnums, in display order)."""
    members = members.tolist()
    return {
        "more": len(members),
        "reports": [report_json(snapshot, docnum) for docnum in members[:MAX_STORY_REPORTS]],
    }


def with_safe_links(article: dict[str, Any]) -> dict[str, Any]:
    """A stored article as it may leave: its URL, image and related links only if http(s), its
    outlet as everywhere else in the API (``provider``: name and domain)."""
    related = [{**item, "url": safe_link(item.get("url"))} for item in article.get("related") or []]
    kept = {k: v for k, v in article.items() if k not in ("provider_name", "provider_domain")}
    return {**kept, "provider": provider_json(article), "url": safe_link(article["url"]),
            "image": safe_link(article["image"]), "related": related}


def provider_json(article: dict[str, Any]) -> dict[str, Any]:
    """An article's outlet, the one shape of ``provider`` in every answer."""
    return {"name": article.get("provider_name"), "domain": article.get("provider_domain")}


def report_json(snapshot, docnum: int) -> dict[str, Any]:
    article = snapshot.article(docnum)
    return {"id": article["id"], "title": article["title"], "url": safe_link(article["url"]),
            "provider": provider_json(article), "published": article["published"]}


def highlight_terms(query: Query, snapshot) -> frozenset[str]:
    """The words the query matched in the index, for marking in titles and excerpts.

    (Whoosh's Query.existing_terms reuses a loop variable and skips every field after the
    first one that has a term, so the leaves are walked here.)"""
    if query is NullQuery:
        return frozenset()
    reader = snapshot.searcher.reader()
    words = set()
    for leaf in query.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            btext = text if isinstance(text, bytes) else text.encode("utf-8")
            if fieldname in reader.schema and snapshot.has_term(fieldname, btext):
                words.add(btext.decode("utf-8"))
    return frozenset(words)


def hit_json(snapshot, docnum: int, score: float, terms: frozenset[str], marker=None) -> dict[str, Any]:
    article = snapshot.article(docnum)
    excerpt_html = highlight_text(article["excerpt"], terms, marker=marker)
    return {
        "id": article["id"],
        "title": article["title"],
        "excerpt": article["excerpt"],
        "snippet": snippet_text(article["excerpt"], excerpt_html),
        "url": safe_link(article["url"]),
        "provider": provider_json(article),
        "topics": article["topics"],
        "published": article["published"],
        "quality": article["quality"],
        "unpublished": bool(article.get("unpublished")),
        "type": article["type"],
        "image": safe_link(article["image"]),
        "score": round(score, 4),
        "highlights": {
            "title": highlight_text(article["title"], terms, whole=True, marker=marker),
            "excerpt": excerpt_html,
        },
    }
