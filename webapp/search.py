"""The search service: an open index, a searcher kept fresh, and one function that answers a query.

One SearchEngine lives in each worker process. It opens the index once, precomputes the
per-document quality factors, and reopens (cheaply, only new segments) when a reindex has
committed a newer generation.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import sorting
from whoosh.query import Every, NullQuery, QueryError

from indexer.build import open_index, read_meta
from webapp.query import parse_user_query, qparser_safe, word_count
from webapp.ranking import DEFAULT_QUALITY_CAP, DEFAULT_QUALITY_WEIGHT, QualityBM25F, quality_factors
from webapp.snippets import crop, highlight_text

REFRESH_INTERVAL = 0.5  # seconds between checks for a newer index generation


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10


@dataclass
class SearchResponse:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[dict[str, Any]] = field(default_factory=list)
    matching: str = "all"

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "total_pages": self.total_pages,
            "took_ms": self.took_ms,
            "matching": self.matching,
            "hits": self.hits,
        }


class SearchEngine:
    def __init__(self, index_dir: Path, quality_weight: float = DEFAULT_QUALITY_WEIGHT,
                 quality_cap: int = DEFAULT_QUALITY_CAP):
        self.index_dir = Path(index_dir)
        self.quality_weight = quality_weight
        self.quality_cap = quality_cap
        self._lock = threading.Lock()
        self._searcher = None
        self._retired = None
        self._factors = None
        self._checked = 0.0

    def searcher(self):
        """The current searcher, reopened if a reindex committed since the last check."""
        with self._lock:
            now = time.monotonic()
            if self._searcher is None:
                self._open(open_index(self.index_dir).searcher())
            elif now - self._checked > REFRESH_INTERVAL:
                self._checked = now
                if not self._searcher.up_to_date():
                    # The old searcher may still serve a request on another thread:
                    # close it at the next swap rather than now.
                    if self._retired is not None:
                        self._retired.close()
                    self._retired = self._searcher
                    self._open(self._searcher.refresh())
            return self._searcher

    def _open(self, searcher) -> None:
        self._factors = quality_factors(searcher.reader(), self.quality_weight, self.quality_cap)
        searcher.weighting = QualityBM25F(self._factors)
        self._searcher = searcher
        self._checked = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def health(self) -> dict[str, Any]:
        searcher = self.searcher()
        meta = read_meta(self.index_dir)
        return {
            "status": "ok",
            "docs": searcher.doc_count(),
            "generation": meta.get("generation"),
            "last_reindex": meta.get("last_reindex"),
        }

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        searcher = self.searcher()
        query = parse_user_query(searcher.schema, request.q)
        matching = "all"
        if query is NullQuery:
            results = browse(searcher, request)
            matching = "none" if request.q.strip() == "" else "all"
        else:
            limit = request.page * request.per_page
            query, results = run_query(searcher, query, request.q, limit)
            if results.is_empty() and word_count(query) > 1:
                query, results = run_query(searcher, parse_user_query(searcher.schema, request.q, any_word=True),
                                           request.q, limit)
                matching = "any"
        terms = highlight_terms(query, searcher)
        offset = (request.page - 1) * request.per_page
        hits = [hit_json(hit, terms) for hit in results[offset : offset + request.per_page]]
        return SearchResponse(
            query=request.q,
            total=len(results),
            page=request.page,
            per_page=request.per_page,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            hits=hits,
            matching=matching,
        )

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        fields = self.searcher().document(id=article_id)
        return json.loads(fields["payload"]) if fields else None


def run_query(searcher, query, text: str, limit: int):
    """Run a parsed query; if Whoosh refuses it, run the text as plain words instead."""
    try:
        return query, searcher.search(query, limit=limit)
    except QueryError:
        plain = parse_user_query(searcher.schema, qparser_safe(text))
        return plain, searcher.search(plain, limit=limit)


def browse(searcher, request: SearchRequest):
    """An empty query lists every article, newest first."""
    newest = sorting.FieldFacet("published", reverse=True)
    return searcher.search(Every(), limit=request.page * request.per_page, sortedby=newest)


def highlight_terms(query, searcher) -> frozenset[str]:
    if query is NullQuery:
        return frozenset()
    words = {text for _, text in query.existing_terms(searcher.reader(), expand=True)}
    return frozenset(w.decode("utf-8") if isinstance(w, bytes) else w for w in words)


def hit_json(hit, terms: frozenset[str]) -> dict[str, Any]:
    article = json.loads(hit["payload"])
    score = hit.score if hit.score is not None else 0.0
    return {
        "id": article["id"],
        "title": article["title"],
        "excerpt": crop(article["excerpt"]),
        "url": article["url"],
        "provider": {"name": article["provider_name"], "domain": article["provider_domain"]},
        "topics": article["topics"],
        "published": article["published"],
        "quality": article["quality"],
        "type": article["type"],
        "score": round(float(score), 4),
        "highlights": {
            "title": highlight_text(article["title"], terms, whole=True),
            "excerpt": highlight_text(article["excerpt"], terms),
        },
    }
