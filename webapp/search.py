"""The search pipeline: one request through its stages, once each, in order.

    parse    webapp/query.py     user text to clauses, each a Whoosh query
    match    webapp/matching.py  the articles the clauses match (relaxed if none has them all),
             webapp/scoring.py   with their BM25F text scores over the posting arrays
    score    webapp/ranking.py   quality, recency and story factors
    order    webapp/ordering.py  the head of the display order, exact for the page
    collapse webapp/collapse.py  one hit per story, its other reports, the count of stories
    facets   webapp/facets.py    counts per topic, provider, type and year
    render   webapp/results.py   the JSON answer, with highlighted words

Matching is exhaustive, so totals and facet counts are exact and the top results are the
true top results. The engine that holds the index and caches answers is webapp/engine.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from webapp.collapse import story_members
from webapp.facets import facet_counts
from webapp.filters import Filters, combine, filter_masks
from webapp.matching import Matches, match_query, suggestion_for
from webapp.ordering import settle_top
from webapp.ranking import Factors, display_sort
from webapp.results import answer_json, page_json
from webapp.snapshot import IndexSnapshot


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    collapse: bool = True
    half_life: float | None = None
    explain: bool = False
    facet_size: int = 10
    filters: Filters = field(default_factory=Filters)
    matching: str = "most"  # all, most or any of the words (webapp/matching.py)
    prefix: bool = False  # the last word, still being typed, also matches the words it starts


def run_search(snapshot: IndexSnapshot, request: SearchRequest, quality_weight: float,
               quality_cap: int) -> dict[str, Any]:
    """The answer to ``request`` from one index snapshot."""
    parsed = snapshot.parser.parse(request.q, prefix=request.prefix)

    masks = filter_masks(snapshot, request.filters)
    allowed = combine(masks)
    matches = match_query(snapshot, parsed, allowed, request.matching, request.per_page, request.collapse)
    keep = np.flatnonzero(allowed[matches.docs])  # positions of the allowed matches
    docs = matches.docs[keep]
    tiers = matches.tiers[keep] if matches.tiers is not None else None

    # the results: stories when collapsing, else articles
    reports, total = snapshot.story_tally(docs) if request.collapse else (None, len(docs))
    factors = Factors.of(snapshot, docs, quality_weight, quality_cap, request.half_life, reports)
    factor = factors.product

    sort = display_sort(request.sort, matches.matching)
    offset = (request.page - 1) * request.per_page
    text, _, leaders = settle_top(snapshot, request, matches, keep, docs, factor, sort, offset + request.per_page, tiers)
    page = leaders[offset : offset + request.per_page]

    shown = docs[page].tolist()
    members = story_members(snapshot, matches, keep, docs, factor, sort, shown) if request.collapse else {}
    all_words, total_all_words = with_every_word(snapshot, matches, keep, total, request.collapse)

    facets = facet_counts(snapshot, matches.docs, docs, masks, request.collapse, request.facet_size)

    hits = page_json(snapshot, request, matches, keep, page, text, factors, members)
    suggestion = suggestion_for(snapshot, parsed, all_words, allowed, matches.scored_terms)
    return answer_json(request, parsed, matches, sort, (total, total_all_words, len(docs)), suggestion, facets, hits)


def with_every_word(snapshot, matches: Matches, keep: np.ndarray, total: int, collapse: bool) -> tuple[int, int]:
    """How many allowed matches have every word, and how many results (stories when
    collapsing) those are: all of them unless the matching strategy added some with fewer."""
    if matches.held is None:
        return len(keep), total
    every = matches.all_words()[keep]
    articles = int(every.sum())
    return articles, snapshot.story_count(matches.docs[keep[every]]) if collapse else articles
