"""Where ranking happens: BM25F text relevance blended with the article's quality.

    score = bm25f(query, doc) * quality_factor(doc)
    quality_factor = (1 - w) + w * min(quality, cap) / cap        (between 1 - w and 1)

A factor of at most 1 keeps Whoosh's scoring exact (a factor above 1 would invalidate the
upper bounds its pruning relies on). Among comparably relevant articles the better one comes
first; an article with at least 1 / (1 - w) times the text relevance of another can never be
overtaken by quality alone (with the default w = 0.2, a 25 % lead).
"""

from __future__ import annotations

from array import array

from whoosh.matching import binary
from whoosh.scoring import BM25F

DEFAULT_QUALITY_WEIGHT = 0.2
DEFAULT_QUALITY_CAP = 150
# Query-time boosts per field: the title says what an article is about most precisely.
FIELD_BOOSTS = {"title": 2.0, "excerpt": 1.0, "topics": 1.5, "body": 0.7}
# Extra score when the words of a plain query stand (nearly) together in a field.
PHRASE_BOOSTS = {"title": 1.0, "excerpt": 1.0}
PHRASE_SLOP = 2


def quality_factor(quality: int, weight: float, cap: int = DEFAULT_QUALITY_CAP) -> float:
    return (1.0 - weight) + weight * min(max(quality, 0), cap) / cap


def quality_factors(reader, weight: float, cap: int = DEFAULT_QUALITY_CAP) -> array:
    """One factor per document number, computed once per opened index, not per query."""
    column = reader.column_reader("quality")
    factors = array("d", (quality_factor(column[n], weight, cap) for n in range(reader.doc_count_all())))
    return factors


class QualityBM25F(BM25F):
    """BM25F whose final score is scaled by a per-document quality factor (<= 1)."""

    use_final = True

    def __init__(self, factors: array, **kwargs):
        super().__init__(**kwargs)
        self.factors = factors

    def final(self, searcher, docnum, score):
        return score * self.factors[docnum]


def fix_andmaybe_skip_to() -> None:
    """Make Whoosh 2.7.4's AndMaybeMatcher.skip_to keep the optional side aligned.

    Stock skip_to moves the optional matcher to the requested id rather than to where the
    required matcher landed, so the optional term's score is silently dropped for some
    documents and the pruned top results differ from an exhaustive ranking.
    """
    if getattr(binary.AndMaybeMatcher, "_newsfinder_fixed", False):
        return

    def skip_to(self, id):
        if not self.a.is_active():
            raise binary.mcore.ReadTooFar
        ra = self.a.skip_to(id)
        rb = False
        if self.a.is_active() and self.b.is_active():
            rb = self.b.skip_to(self.a.id())
        return ra or rb

    binary.AndMaybeMatcher.skip_to = skip_to
    binary.AndMaybeMatcher._newsfinder_fixed = True


fix_andmaybe_skip_to()
