"""Where ranking happens: BM25F text relevance blended with quality and, if asked, recency.

    score          = bm25f(query, doc) * quality_factor * recency_factor * story_factor
    quality_factor = (1 - w) + w * min(quality, cap) / cap                 (between 1 - w and 1)
    recency_factor = (1 - r) + r * 0.5 ** (age_days / half_life)          (1 when half_life is off)
    story_factor   = 1 + s * ln(reports of the story matching the query)  (1 when not collapsing)

Among comparably relevant articles the better one comes first; an article with at least
1 / (1 - w) times the text relevance of another can never be overtaken by quality alone
(with the default w = 0.2, a 25 % lead). Age is counted from the newest article in the
collection, so an archive keeps a meaningful order however old it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh.scoring import BM25F

from indexer.schema import LENGTH_NORMALISATION, PHRASE_BOOSTS

DEFAULT_QUALITY_WEIGHT = 0.2
DEFAULT_QUALITY_CAP = 150
RECENCY_WEIGHT = 0.5
# Several outlets reporting a story that matches is evidence the story is what the reader is
# after (the decision record in BENCHMARKS.md has the figures).
STORY_WEIGHT = 0.1
# A field's proximity bonus (indexer/schema.py SEARCHED_FIELDS) when the query's words stand
# at most this far apart, in order.
PHRASE_SLOP = 2
# As much again when they stand side by side: a reader who remembers a piece's words remembers
# them in sequence, while words a gap apart are as often two thoughts.
ADJACENT_BOOSTS = dict(PHRASE_BOOSTS)
SORTS = ("relevance", "date", "quality")


def text_weighting() -> BM25F:
    """Whoosh's BM25F with newsfinder's field settings (the array scorer reads the same object)."""
    return BM25F(**LENGTH_NORMALISATION)


def quality_factor(quality, weight: float, cap: int = DEFAULT_QUALITY_CAP):
    """Works on a number or a NumPy array of qualities."""
    return (1.0 - weight) + weight * np.clip(quality, 0, cap) / cap


def recency_factor(published: np.ndarray, newest: float, half_life_days: float | None) -> np.ndarray:
    if not half_life_days:
        return np.ones(len(published))
    age_days = np.where(np.isnan(published), np.inf, (newest - published) / 86400.0)
    decay = np.power(0.5, np.maximum(age_days, 0.0) / half_life_days)
    return (1.0 - RECENCY_WEIGHT) + RECENCY_WEIGHT * decay


def story_factor(reports: np.ndarray) -> np.ndarray:
    """Per matching article, 1 + s * ln(matching reports of its story): 1 for a lone report,
    1.07 for two, 1.24 for eleven."""
    factor = np.ones(len(reports))
    several = np.flatnonzero(reports > 1)  # most stories have one report: ln 1 = 0, no logarithm needed
    factor[several] = 1.0 + STORY_WEIGHT * np.log(reports[several])
    return factor


@dataclass
class Factors:
    """Per matching article, what multiplies its text score in the formula above. A factor
    that is 1 for every article (no half-life, no collapsing) is None: a common word matches
    most of the collection, and multiplying by ones is a pass over every match for nothing."""

    quality: np.ndarray
    recency: np.ndarray | None
    story: np.ndarray | None

    @classmethod
    def of(cls, snapshot, docs: np.ndarray, quality_weight: float, quality_cap: int, half_life: float | None,
           reports: np.ndarray | None) -> Factors:
        """``reports``: per document, its story's matching reports (None: not collapsing)."""
        return cls(snapshot.quality_factors(quality_weight, quality_cap)[docs],
                   recency_factor(snapshot.published[docs], snapshot.newest, half_life) if half_life else None,
                   story_factor(reports) if reports is not None else None)

    @property
    def product(self) -> np.ndarray:
        return self.times_rest(self.quality, slice(None))

    def scores(self, text: np.ndarray, at: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Final scores (of the positions ``at``), multiplied in the formula's order (as
        ``explain`` shows them); a factor of ones left out changes no bit."""
        return self.times_rest(text * self.quality[at], at)

    def times_rest(self, values: np.ndarray, at: np.ndarray | slice) -> np.ndarray:
        """``values`` times the recency and story factors of the positions ``at``, those not left out."""
        for factor in (self.recency, self.story):
            if factor is not None:
                values = values * factor[at]
        return values

    def at(self, position: int) -> dict[str, float]:
        """The factors of one article, as ``explain`` shows them."""
        def value(factor):
            return 1.0 if factor is None else float(factor[position])
        return {"quality_factor": value(self.quality), "recency_factor": value(self.recency),
                "story_factor": value(self.story)}


def display_sort(sort: str, matching: str) -> str:
    """The order a search is listed in: without words to match, relevance means nothing and
    the newest come first."""
    return sort if matching != "none" or sort != "relevance" else "date"


def order_hits(sort: str, docs: np.ndarray, scores: np.ndarray, published: np.ndarray, quality: np.ndarray,
               tiers: np.ndarray | None = None) -> np.ndarray:
    """Positions into ``docs`` in display order: by tier (the matching strategy's groups) when
    given, then the sort's key; ties go to the better score, then the older docnum.
    ``published`` and ``quality``: the collection's, by docnum."""
    primary = primary_key(sort, docs, scores, published, quality)
    keys = [docs, -scores] if primary is scores else [docs, -scores, -primary]
    return np.lexsort(keys if tiers is None else [*keys, tiers])


def primary_key(sort: str, docs: np.ndarray, scores: np.ndarray, published: np.ndarray,
                quality: np.ndarray) -> np.ndarray:
    """Per position of ``docs``, what the order is by, larger first (ties are broken by score,
    then docnum). Dates and qualities are picked out only for the sorts that use them."""
    if sort == "date":
        return np.nan_to_num(published[docs], nan=-np.inf)
    if sort == "quality":
        return quality[docs]
    return scores


def order_head(sort: str, docs, scores, published, quality, count: int, tiers: np.ndarray | None = None) -> np.ndarray:
    """The display order of the positions that can be among the first ``count`` (ties included,
    so the head is exactly the start of the full order); the rest is unsorted and left out.
    Sorting every match to show ten would be most of a search's time. ``published`` and
    ``quality``: the collection's, by docnum."""
    if count >= len(docs):
        return order_hits(sort, docs, scores, published, quality, tiers)
    head = head_positions(primary_key(sort, docs, scores, published, quality), count, tiers)
    return head[order_hits(sort, docs[head], scores[head], published, quality,
                           None if tiers is None else tiers[head])]


def head_positions(primary: np.ndarray, count: int, tiers: np.ndarray | None) -> np.ndarray:
    """The positions whose (tier, primary key) reaches the ``count``-th best, unordered."""
    if tiers is None:
        threshold = np.partition(primary, len(primary) - count)[len(primary) - count]
        return np.flatnonzero(primary >= threshold)
    last_tier = np.partition(tiers, count - 1)[count - 1]
    before = np.flatnonzero(tiers < last_tier)
    within = np.flatnonzero(tiers == last_tier)
    return np.concatenate([before, within[head_positions(primary[within], count - len(before), None)]])
