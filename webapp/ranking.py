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

import numpy as np
from whoosh.scoring import BM25F

DEFAULT_QUALITY_WEIGHT = 0.2
DEFAULT_QUALITY_CAP = 150
RECENCY_WEIGHT = 0.5
# Several outlets reporting a story that matches is evidence the story is what the reader is
# after (25 natural queries: P@5 0.915 -> 0.923; story known-item MRR 0.924 -> 0.934).
STORY_WEIGHT = 0.1
# Query-time boosts per field: the title says what an article is about most precisely.
FIELD_BOOSTS = {"title": 1.5, "excerpt": 1.0, "topics": 1.0, "body": 0.7}
# Extra score when the words of a plain query stand (nearly) together in a field. A phrase in
# the excerpt counts 3 times (2 before): on five known-item sets drawn from excerpts, MRR@10 rose
# on the four never used to tune (+0.004 to +0.022, 1,000 queries) and fell 0.005 on the kept
# one; P@5 of the natural queries did not move.
PHRASE_BOOSTS = {"title": 2.0, "excerpt": 3.0}
PHRASE_SLOP = 2
# As much again when they stand side by side, in order: a reader who remembers a piece's words
# remembers them in sequence, while words a gap apart are as often two thoughts. On the five
# known-item sets MRR@10 rose on every one (+0.004 to +0.025; 46 of 1,100 queries ranked better,
# 4 worse); P@5 of the natural queries on articles did not move, on stories it fell 0.923 -> 0.915.
ADJACENT_BOOSTS = dict(PHRASE_BOOSTS)
# BM25's length normalisation (B) per field. Titles are all short, and a longer one is rarely
# less about its words: normalising them less (0.3 instead of 0.75) moved every measured set
# the same way (known items MRR 0.8983 -> 0.8997, held-out sets 0.8621 -> 0.8633 and
# 0.8628 -> 0.8650, natural P@5 collapsed 0.923 -> 0.931), where B = 0.5 or 0.9 for every
# field traded one set for another.
LENGTH_NORMALISATION = {"title_B": 0.3}
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


def story_factor(stories: np.ndarray) -> np.ndarray:
    """Per matching article, 1 + s * ln(matching reports of its story): 1 for a lone report,
    1.07 for two, 1.24 for eleven."""
    reports = np.bincount(stories)[stories]
    return 1.0 + STORY_WEIGHT * np.log(reports)


def order_hits(sort: str, docs: np.ndarray, scores: np.ndarray, published: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Positions into ``docs`` in display order; ties go to the better score, then the older docnum."""
    primary = primary_key(sort, scores, published, quality)
    if primary is scores:
        return np.lexsort((docs, -scores))
    return np.lexsort((docs, -scores, -primary))


def primary_key(sort: str, scores: np.ndarray, published: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """What the order is by, larger first (ties are broken by score, then docnum)."""
    if sort == "date":
        return np.nan_to_num(published, nan=-np.inf)
    if sort == "quality":
        return quality
    return scores


def order_head(sort: str, docs, scores, published, quality, count: int) -> np.ndarray:
    """The display order of every position whose primary key reaches the ``count``-th largest
    (ties included, so the head is exactly the start of the full order); the rest is unsorted
    and left out. Sorting 40,000 matches to show ten is most of a search otherwise."""
    primary = primary_key(sort, scores, published, quality)
    if count >= len(docs):
        return order_hits(sort, docs, scores, published, quality)
    threshold = np.partition(primary, len(primary) - count)[len(primary) - count]
    head = np.flatnonzero(primary >= threshold)
    return head[order_hits(sort, docs[head], scores[head], published[head], quality[head])]

