"""The search service: one SearchEngine per worker, and the pipeline that answers a query.

    parse (query.py) -> match and score every article (BM25F over posting arrays, scoring.py)
    -> filter (filters.py) -> blend with quality and recency, sort (ranking.py)
    -> collapse stories -> count facets (facets.py) -> page -> highlight (snippets.py)

Matching is exhaustive, so totals and facet counts are exact and the top results are the
true top results: a phrase bonus that is still an upper bound is confirmed for every
article that could reach the page before the page is cut (``settle_top``).
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.query import NullQuery, Query, QueryError

from indexer.layout import current_build, open_build, read_meta
from webapp.facets import facet_counts
from webapp.filters import Filters, combine, filter_masks
from webapp.query import Clause, ParsedQuery, QueryParser, stopword_query
from webapp.scoring import PendingBonus, Unsupported, score_segments
from webapp.ranking import (
    DEFAULT_QUALITY_CAP,
    DEFAULT_QUALITY_WEIGHT,
    order_head,
    order_hits,
    quality_factor,
    recency_factor,
    story_factor,
    text_weighting,
)
from webapp.snapshot import IndexSnapshot
from webapp.snippets import highlight_text, plain_text

REFRESH_INTERVAL = 0.5  # seconds between checks for a newer index generation
RETIRE_AFTER = 5.0  # seconds an old snapshot stays open for requests still using it
# Answers kept per worker, as JSON text (a third of the memory of the same answer as Python
# objects: 1,024 answers held 36 MB that way at 100,000 articles).
CACHE_BYTES = 8 * 1024 * 1024
MAX_STORY_REPORTS = 10


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


@dataclass
class Matches:
    """Documents matching the text query (before filters) with their BM25F scores."""

    docs: np.ndarray
    scores: np.ndarray
    query: Query
    matching: str
    words: list[dict]
    pending: PendingBonus | None = None  # phrase bonuses counted but not yet confirmed
    scored_terms: dict = field(default_factory=dict)  # term scores, for more evaluations


class SearchEngine:
    def __init__(self, index_dir: Path, quality_weight: float = DEFAULT_QUALITY_WEIGHT,
                 quality_cap: int = DEFAULT_QUALITY_CAP):
        self.index_dir = Path(index_dir)
        self.quality_weight = quality_weight
        self.quality_cap = quality_cap
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None
        self._retired: IndexSnapshot | None = None
        self._retired_at = 0.0
        self._checked = 0.0
        # Answers keyed by index build and generation: a reindex makes old entries unreachable.
        self._cache: OrderedDict[tuple, str] = OrderedDict()
        self._cache_bytes = 0

    def snapshot(self) -> IndexSnapshot:
        """The current index snapshot, reopened when a reindex committed or a rebuild was
        published since the last check (at most every REFRESH_INTERVAL seconds)."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._open()
            elif time.monotonic() - self._checked > REFRESH_INTERVAL:
                self._checked = time.monotonic()
                self._close_retired(force=False)
                if self._is_stale(self._snapshot):
                    fresh = self._open()
                    self._close_retired(force=True)
                    self._retired, self._snapshot = self._snapshot, fresh
                    self._retired_at = time.monotonic()
                    self._cache.clear()
                    self._cache_bytes = 0
            return self._snapshot

    def _close_retired(self, force: bool) -> None:
        """Close the previous snapshot once no request can still be using it.

        A request on another thread may hold the old snapshot for a moment after a swap, so
        it is closed RETIRE_AFTER seconds later (or at the next swap), not at once."""
        if self._retired is None or not (force or time.monotonic() - self._retired_at > RETIRE_AFTER):
            return
        self._retired.searcher.close()
        self._retired = None
        gc.collect()  # the snapshot's arrays and lists are large: give the memory back now

    def _is_stale(self, snapshot: IndexSnapshot) -> bool:
        build = current_build(self.index_dir)
        if build is None:
            return False  # keep answering from what we have rather than fail
        return build.resolve() != snapshot.build_dir.resolve() or not snapshot.searcher.up_to_date()

    def _open(self) -> IndexSnapshot:
        build, ix = open_build(self.index_dir)
        self._checked = time.monotonic()
        return IndexSnapshot.open(ix, build)

    def searcher(self):
        return self.snapshot().searcher

    def health(self) -> dict[str, Any]:
        snapshot = self.snapshot()
        meta = read_meta(snapshot.build_dir)
        return {
            "status": "ok",
            "docs": snapshot.doc_count,
            "generation": meta.get("generation"),
            "last_reindex": meta.get("last_reindex"),
        }

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """Answer a search, from the cache when the same request met the same index generation."""
        started = time.perf_counter()
        answer, text, hit = self._answer(request)
        if answer is None:
            answer = json.loads(text)
        return {**answer, "took_ms": round((time.perf_counter() - started) * 1000, 2), "cached": hit}

    def search_json(self, request: SearchRequest) -> str:
        """The same answer as JSON text, as the API sends it: the cached text is sent as it
        is, not parsed and encoded again."""
        started = time.perf_counter()
        _, text, hit = self._answer(request)
        took = round((time.perf_counter() - started) * 1000, 2)
        return f'{text[:-1]},"took_ms":{json.dumps(took)},"cached":{json.dumps(hit)}}}'

    def _answer(self, request: SearchRequest) -> tuple[dict[str, Any] | None, str, bool]:
        """(answer or None when it came from the cache, its JSON text, whether it did)."""
        snapshot = self.snapshot()
        key = (str(snapshot.build_dir), snapshot.generation, json.dumps(asdict(request), sort_keys=True, default=str))
        with self._lock:
            text = self._cache.get(key)
            if text is not None:
                self._cache.move_to_end(key)
                return None, text, True
        answer = self._search(snapshot, request)
        text = json.dumps(answer, separators=(",", ":"))
        self._remember(key, text)
        return answer, text, False

    def _remember(self, key: tuple, text: str) -> None:
        with self._lock:
            if key in self._cache:
                return  # another thread answered the same request meanwhile
            self._cache[key] = text
            self._cache_bytes += len(text)
            while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
                self._cache_bytes -= len(self._cache.popitem(last=False)[1])

    def _search(self, snapshot: IndexSnapshot, request: SearchRequest) -> dict[str, Any]:
        masks = filter_masks(snapshot, request.filters)
        allowed = combine(masks)
        parsed = snapshot.parser.parse(request.q)
        matches = match_query(snapshot, parsed, allowed)
        keep = np.flatnonzero(allowed[matches.docs])
        docs = matches.docs[keep]
        qf = quality_factor(snapshot.quality[docs], self.quality_weight, self.quality_cap)
        rf = recency_factor(snapshot.published[docs], snapshot.newest, request.half_life)
        sf = story_factor(snapshot.story[docs]) if request.collapse else np.ones(len(docs))
        sort = request.sort if matches.matching != "none" or request.sort != "relevance" else "date"
        offset = (request.page - 1) * request.per_page
        text, order, leaders = settle_top(snapshot, request, matches, keep, qf * rf * sf, sort, offset + request.per_page)
        scores = text * qf * rf * sf
        page = leaders[offset : offset + request.per_page]
        terms = highlight_terms(matches.query, snapshot)
        marker = snapshot.marking_pattern(terms) if terms else None
        hits = []
        reports = story_members(snapshot, matches, keep, qf * rf * sf, sort, page) if request.collapse else {}
        for position in page:
            hit = hit_json(snapshot, int(docs[position]), float(scores[position]), terms, marker)
            if request.collapse:
                hit["story"] = story_json(snapshot, docs[reports.get(int(position), NO_REPORTS)])
            if request.explain:
                hit["explain"] = {"text": round(float(text[position]), 4), "quality_factor": round(float(qf[position]), 4),
                                  "recency_factor": round(float(rf[position]), 4),
                                  "story_factor": round(float(sf[position]), 4), "score": hit["score"]}
            hits.append(hit)
        total = count_stories(snapshot.story[docs]) if request.collapse else len(docs)
        return {
            "query": request.q,
            "total": total,
            "total_is_estimate": False,
            "total_articles": len(docs),
            "page": request.page,
            "per_page": request.per_page,
            "total_pages": max(1, -(-total // request.per_page)),
            "matching": matches.matching,
            "truncated": parsed.truncated,
            "words": matches.words,
            "suggestion": suggestion_for(snapshot, parsed, len(docs), allowed, matches.scored_terms),
            "sort": sort,
            "collapse": "story" if request.collapse else "none",
            "half_life": request.half_life,
            "filters": request.filters.to_json(),
            "facets": facet_counts(snapshot, matches.docs, masks, request.collapse, request.facet_size),
            "hits": hits,
        }


def score_all(searcher, query: Query) -> tuple[np.ndarray, np.ndarray]:
    """Every matching document with its BM25F score: exhaustive, so exact."""
    docs: list[int] = []
    scores: list[float] = []
    if query is NullQuery:
        return np.zeros(0, np.int64), np.zeros(0)
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher, subsearcher.context())
        while matcher.is_active():
            docs.append(matcher.id() + offset)
            scores.append(matcher.score())
            matcher.next()
    return np.array(docs, dtype=np.int64), np.array(scores, dtype=np.float64)


def safe_score_all(searcher, query: Query) -> tuple[np.ndarray, np.ndarray]:
    try:
        return score_all(searcher, query)
    except QueryError:  # e.g. a phrase on a field without positions: nothing can match
        return np.zeros(0, np.int64), np.zeros(0)


def match_query(snapshot: IndexSnapshot, parsed: ParsedQuery, allowed: np.ndarray) -> Matches:
    """Match all positive clauses; if no allowed article has them all, the best partial match."""
    terms: dict = {}
    if parsed.empty:
        docs = np.flatnonzero(snapshot.live)
        return Matches(docs, np.zeros(len(docs)), NullQuery, "none", parsed.word_report([]))
    if parsed.only_stopwords:
        query = stopword_query(parsed)
        return Matches(*text_scores(snapshot, query, terms)[:2], query, "all", parsed.word_report([]))
    positive: list[Clause] = [c for c in parsed.clauses if c.positive]
    query = parsed.build(positive)
    docs, scores, pending = text_scores(snapshot, query, terms)
    active, matching = positive, "all"
    if parsed.whole is None and len(positive) > 1 and not allowed[docs].any():
        query, active = best_partial_match(snapshot, parsed, positive, allowed, terms)
        docs, scores, pending = text_scores(snapshot, query, terms)
        matching = "partial"
    return Matches(docs, scores, query, matching, parsed.word_report(active), pending, terms)


def best_partial_match(snapshot, parsed: ParsedQuery, clauses: list[Clause], allowed: np.ndarray,
                       terms: dict) -> tuple[Query, list[Clause]]:
    """The query for the set of clauses, as many as any allowed article matches, whose words
    are the most telling (in the fewest articles; on a tie, the earlier words), and that set.

    Dropping the most common word until something matches can drop more words than it must:
    no article has all of "how long to reach max level", one has "how long ... max level",
    while dropping "how", then "long" left "reach max level" and a contest for beta players."""
    held = np.zeros(snapshot.size, np.int64)  # a bit per clause the article matches
    reach = []
    for bit, clause in enumerate(clauses):
        docs = text_scores(snapshot, clause.query, terms)[0]
        docs = docs[allowed[docs]]
        held[docs] |= 1 << bit
        reach.append(len(docs))
    counts = sum((held >> bit) & 1 for bit in range(len(clauses)))
    most = int(counts.max())
    if most == 0:  # no allowed article has any of the words
        return parsed.build(clauses[:1]), clauses[:1]
    sets = [[bit for bit in range(len(clauses)) if kept >> bit & 1] for kept in np.unique(held[counts == most]).tolist()]
    best = min(sets, key=lambda bits: (sum(reach[bit] for bit in bits), bits))
    chosen = [clauses[bit] for bit in best]
    return parsed.build(chosen), chosen


def text_scores(snapshot, query: Query, scored_terms: dict | None = None) -> tuple[np.ndarray, np.ndarray, PendingBonus | None]:
    """Matching documents and their text scores: from the posting arrays when the query's
    shape allows (scores may then hold unconfirmed phrase bonuses), else from Whoosh.
    ``scored_terms`` carries term scores between the evaluations of one request."""
    try:
        return score_segments(snapshot, query, scored_terms)
    except Unsupported:
        return (*safe_score_all(snapshot.searcher, query), None)


def settle_top(snapshot, request, matches: Matches, keep: np.ndarray, factor: np.ndarray, sort: str,
               need: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text scores, the head of the display order and its story leaders, exact for the first
    ``need`` leaders.

    A pending score is an upper bound, so once every article up to the ``need``-th leader
    is confirmed no article below can overtake one: confirming lowers a score or keeps it.
    Only the head of the order that can hold ``need`` leaders is sorted."""
    docs = matches.docs[keep]
    published, quality, stories = snapshot.published[docs], snapshot.quality[docs], snapshot.story[docs]
    pending = matches.pending
    count = max(4 * need, 64)
    while True:
        text = matches.scores[keep]
        scores = text * factor
        order = order_head(sort, docs, scores, published, quality, count)
        leaders = collapse_stories(order, stories) if request.collapse else order
        if len(leaders) < need and len(order) < len(docs):
            count *= 4  # many reports of few stories: look deeper
            continue
        if pending is None:
            return text, order, leaders
        last = int(np.flatnonzero(order == leaders[min(need, len(leaders)) - 1])[0]) if len(leaders) else -1
        unsettled = keep[order[: last + 1]]
        unsettled = unsettled[pending.pending[unsettled]]
        if not len(unsettled):
            return text, order, leaders
        if sort == "relevance":
            unsettled = np.union1d(unsettled, reaching_bounds(request, matches, keep, factor, stories, need))
        pending.settle(unsettled, matches.scores)


def reaching_bounds(request, matches: Matches, keep: np.ndarray, factor: np.ndarray, stories: np.ndarray,
                    need: int) -> np.ndarray:
    """The pending articles whose upper bound reaches the least the page's last leader can
    score (its score without unconfirmed bonuses): exactly the ones that must be confirmed,
    found at once instead of a few per round."""
    pending = matches.pending
    waiting = pending.pending[keep]
    lower = np.where(waiting, pending.base[keep], matches.scores[keep]) * factor
    count = max(4 * need, 64)
    while True:
        head = order_head("relevance", matches.docs[keep], lower, lower, lower, count)
        leaders = collapse_stories(head, stories) if request.collapse else head
        if len(leaders) >= need or len(head) == len(lower):
            break
        count *= 4
    floor = lower[leaders[need - 1]] if len(leaders) >= need else -np.inf
    return keep[np.flatnonzero(waiting & (matches.scores[keep] * factor >= floor))]


def story_members(snapshot, matches: Matches, keep: np.ndarray, factor: np.ndarray, sort: str,
                  page: np.ndarray) -> dict[int, np.ndarray]:
    """Per position of the page whose story has other matching reports: those reports, in
    display order (confirmed). The page's stories are picked out of the matches in one pass,
    not one pass per hit (a common word matches half the collection)."""
    docs = matches.docs[keep]
    shared = [int(p) for p in page if snapshot.story_shared[docs[p]]]
    if not shared:
        return {}  # most stories have one report: nothing to look for
    stories = snapshot.story[docs]
    candidates = np.flatnonzero(np.isin(stories, stories[shared], kind="table"))  # one pass, not one per story
    if matches.pending is not None:
        matches.pending.settle(keep[candidates], matches.scores)
    reports = {}
    for position in shared:
        members = candidates[(stories[candidates] == stories[position]) & (candidates != position)]
        text = matches.scores[keep[members]]
        order = order_hits(sort, docs[members], text * factor[members], snapshot.published[docs[members]],
                           snapshot.quality[docs[members]])
        reports[position] = members[order]
    return reports


NO_REPORTS = np.zeros(0, np.int64)


def count_stories(stories: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(stories))) if len(stories) else 0


def collapse_stories(order: np.ndarray, stories: np.ndarray) -> np.ndarray:
    """Keep the first position of each story, in display order."""
    if len(order) == 0:
        return order
    _, first = np.unique(stories[order], return_index=True)
    return order[np.sort(first)]


def story_json(snapshot, members: np.ndarray) -> dict[str, Any]:
    """The other matching reports of a hit's story (docnums, in display order)."""
    members = members.tolist()
    return {
        "more": len(members),
        "reports": [report_json(snapshot, docnum) for docnum in members[:MAX_STORY_REPORTS]],
    }


def report_json(snapshot, docnum: int) -> dict[str, Any]:
    article = snapshot.article(docnum)
    return {"id": article["id"], "title": article["title"], "url": article["url"],
            "provider": article["provider_name"], "published": article["published"]}


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
        "snippet": plain_text(excerpt_html),
        "url": article["url"],
        "provider": {"name": article["provider_name"], "domain": article["provider_domain"]},
        "topics": article["topics"],
        "published": article["published"],
        "quality": article["quality"],
        "type": article["type"],
        "image": article["image"],
        "score": round(score, 4),
        "highlights": {
            "title": highlight_text(article["title"], terms, whole=True, marker=marker),
            "excerpt": excerpt_html,
        },
    }


def suggestion_for(snapshot, parsed: ParsedQuery, matched: int, allowed: np.ndarray,
                   scored_terms: dict | None = None) -> str | None:
    """The query with corrected spellings: always when a typed word is unknown, otherwise
    only when the corrected query finds more articles than the query as typed."""
    suggestion = parsed.suggestion()
    if not suggestion:
        return None
    if any(clause.corrected for clause in parsed.clauses):
        return suggestion
    docs = text_scores(snapshot, snapshot.parser.parse(suggestion).build(), scored_terms)[0]
    return suggestion if int(allowed[docs].sum()) > matched else None
