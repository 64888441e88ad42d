"""The match stage: the articles a parsed query matches, with their text scores, and the
relaxed query when no allowed article matches every word."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh.query import NullQuery, Query, QueryError

from webapp.query import Clause, ParsedQuery, stopword_query
from webapp.scoring import PendingBonus, Unsupported, score_segments
from webapp.snapshot import IndexSnapshot


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
