"""An article as story grouping reads it (date, outlet, links, tf-idf word vector), and a story's centroid."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from itertools import chain, repeat
from operator import mul, truediv

from indexer.whoosh_internals.fused_analysis import FusedAnalysis
from indexer.schema import text_analyzer

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
TITLE_WEIGHT = 2.0

WORDS = FusedAnalysis(text_analyzer()).terms_of  # the stemmed, stop-free words the index has


@dataclass
class StoryInput:
    id: str
    title: str
    excerpt: str
    published: float | None  # days since the epoch
    url: str | None
    related_urls: tuple[str, ...]
    provider: str | None = None


def story_input(payload: dict) -> StoryInput:
    published = payload.get("published")
    days = None
    if published:
        # the payload's "%Y-%m-%dT%H:%M:%SZ", read by the C parser: strptime is far slower
        moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
        days = (moment - EPOCH).total_seconds() / 86400
    return StoryInput(
        id=payload["id"],
        title=payload.get("title") or "",
        excerpt=payload.get("excerpt") or "",
        published=days,
        url=normalize_url(payload.get("url")),
        related_urls=tuple(u for u in (normalize_url(r.get("url")) for r in payload.get("related") or []) if u),
        provider=(payload.get("provider_name") or "").strip().lower() or None,
    )


def normalize_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip().lower().split("#", 1)[0].rstrip("/")
    for prefix in ("https://", "http://"):
        if url.startswith(prefix):
            url = url[len(prefix):]
    return url.removeprefix("www.") or None


def weighted_terms(item: StoryInput) -> dict[str, float]:
    """Each word's count in the excerpt plus TITLE_WEIGHT times its count in the title
    (title words first, then the excerpt's others, in order of appearance)."""
    terms = Counter(WORDS(item.title))  # counted in C: this runs for every article
    for word in terms:
        terms[word] *= TITLE_WEIGHT
    terms.update(WORDS(item.excerpt))
    return terms


def tfidf_vectors(items: list[StoryInput], df=None, n: int = 0) -> tuple[list[dict[str, float]], Counter]:
    """Every article's unit tf-idf vector, and the document frequencies it was weighted with:
    the collection's ``df`` among ``n`` articles if given, else the words' among ``items``."""
    counts = [weighted_terms(item) for item in items]
    if df is None:
        df, n = Counter(chain.from_iterable(counts)), len(items)  # each article's words once
    idf = InverseFrequencies(df, n)
    return [story_vector(terms, idf) for terms in counts], df


class InverseFrequencies(dict):
    """term -> its inverse document frequency among ``n`` articles, worked out once per term."""

    def __init__(self, df, n: int):
        super().__init__()
        self.df, self.n = df, n

    def __missing__(self, term: str) -> float:
        value = self[term] = math.log((self.n + 1) / (self.df[term] + 0.5))
        return value


def story_vector(terms: dict[str, float], idf: InverseFrequencies) -> dict[str, float]:
    """An article's tf-idf vector, scaled to unit length (in C loops: one per article)."""
    weights = list(map(mul, map(DAMPED.__getitem__, terms.values()), map(idf.__getitem__, terms)))
    norm = math.sqrt(sum(map(mul, weights, weights))) or 1.0
    return dict(zip(terms, map(truediv, weights, repeat(norm))))


class DampedCounts(dict):
    """A word's weighted count -> 1 + its log (counts are positive: weighted_terms adds
    1 or TITLE_WEIGHT per occurrence), worked out once per value."""

    def __missing__(self, count: float) -> float:
        value = self[count] = 1 + math.log(count)
        return value


DAMPED = DampedCounts()


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return dot(a, b)


def dot(short: dict[str, float], long: dict[str, float]) -> float:
    """Sum of products over ``short``'s terms, in its order (the loop runs in C: the grouping
    makes millions of these)."""
    return sum(map(mul, short.values(), map(long.get, short.keys(), repeat(0.0))))


class Centroid(dict):
    """A story's summed report vectors, keeping its squared length as reports join, so the
    cosine with it costs one pass over the (short) article vector."""

    norm_sq = 0.0
    reports = 0

    def add(self, vector: dict[str, float]) -> None:
        self.reports += 1
        if self.reports == 1:  # most stories have one report: copied in C, the same sums
            self.update(vector)
            self.norm_sq = sum(map(pow, vector.values(), repeat(2)))
            return
        for term, value in vector.items():
            old = self.get(term, 0.0)
            self[term] = old + value
            self.norm_sq += (old + value) ** 2 - old * old

    def cosine(self, vector: dict[str, float]) -> float:
        """Cosine with a unit ``vector``."""
        return dot(vector, self) / (math.sqrt(max(self.norm_sq, 0.0)) or 1.0)
