"""The match stage: the articles a parsed query matches, with their text scores.

How many of the words an article must have is the matching strategy:
    all   every word; when no allowed article has them all, the most telling set any has
    most  (the default) articles with every word first, then those with fewer, down to one:
          tiers by the number of words matched, then by how telling the matched words are
          (a rare word before a common one, a half-typed fragment last); a tier never
          outranks one with more of the words, and the text score orders each tier
    any   every article with any of the words, by text score alone
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from whoosh.query import NullQuery, Or, Query, QueryError

from webapp.query import Clause, ParsedQuery, stopword_query
from webapp.scoring import PendingBonus, Unsupported, score_segments, sorted_contains, sum_by_document
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
    tiers: np.ndarray | None = None  # per doc, 0 for every word, more for fewer (strategy most)
    held: np.ndarray | None = None  # per doc, a bit per clause of ``clauses`` it matched
    clauses: list[Clause] = field(default_factory=list)

    def all_words(self) -> np.ndarray:
        """Per doc, whether it matched every word of the query."""
        if self.held is None:
            return np.ones(len(self.docs), bool)
        return self.held == (1 << len(self.clauses)) - 1

    def matched_words(self, position: int) -> list[str] | None:
        """The query words the doc at ``position`` matched, when it may lack some."""
        if self.held is None:
            return None
        bits = int(self.held[position])
        return [clause.text for bit, clause in enumerate(self.clauses) if bits >> bit & 1]


STRATEGIES = ("all", "most", "any")
TABLE_WORDS = 10  # up to this many words, the tier of every set of them is tabled


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


def match_query(snapshot: IndexSnapshot, parsed: ParsedQuery, allowed: np.ndarray, strategy: str = "most",
                fill: int = 10, collapse: bool = True) -> Matches:
    """The articles the query matches under ``strategy`` (module docstring), with text scores.
    ``fill``: under ``most``, the articles with fewer words join only when fewer than this many
    articles (stories when ``collapse``) have every word: a first page of that size is then
    filled. The filters do not enter that choice, so every page of a search and every facet
    count it shows agree with the totals they lead to."""
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
    if parsed.whole is not None or len(positive) < 2:
        return Matches(docs, scores, query, "all", parsed.word_report(positive), pending, terms)
    every = Matches(docs, scores, query, "all", parsed.word_report(positive), pending, terms,
                    held=np.full(len(docs), (1 << len(positive)) - 1), clauses=positive)
    if strategy == "any" or (strategy == "most" and fills_less(snapshot, docs, fill, collapse)):
        return with_fewer_words(snapshot, parsed, positive, allowed, every, strategy)
    if strategy == "most":
        return every
    active, matching = positive, "all"
    if not allowed[docs].any():
        query, active = best_partial_match(snapshot, parsed, positive, allowed, terms)
        docs, scores, pending = text_scores(snapshot, query, terms)
        matching = "partial"
    return Matches(docs, scores, query, matching, parsed.word_report(active), pending, terms)


def fills_less(snapshot, docs: np.ndarray, fill: int, collapse: bool) -> bool:
    if len(docs) < fill or not collapse:
        return len(docs) < fill
    return snapshot.story_count(docs) < fill


def with_fewer_words(snapshot, parsed: ParsedQuery, clauses: list[Clause], allowed: np.ndarray, every: Matches,
                     strategy: str) -> Matches:
    """``every`` (the articles with every word) joined by the articles with some of the words.

    Those keep their full-query scores, proximity bonus included; the others score the sum of
    their words' scores."""
    found, bits, scored, reach = [], [], [], []
    for bit, clause in enumerate(clauses):
        docs, scores, pending = text_scores(snapshot, clause.query, every.scored_terms)
        if pending is not None:
            pending.settle(np.arange(len(docs)), scores)
        found.append(docs)
        bits.append(np.full(len(docs), float(1 << bit)))  # a document has each clause once: sums are ORs
        scored.append(scores)
        reach.append(len(docs))
    found.append(every.docs)  # the whole query's articles, whatever its clauses found alone
    bits.append(np.zeros(len(every.docs)))
    scored.append(np.zeros(len(every.docs)))
    docs, (held, scores) = sum_by_document(found, [bits, scored], snapshot.size)
    held = held.astype(np.int64)
    excluded = [c.query for c in parsed.clauses if c.kind == "exclude"]
    if excluded:
        held[sorted_contains(text_scores(snapshot, Or(excluded), every.scored_terms)[0], docs)] = 0
    full = np.searchsorted(docs, every.docs)
    held[full] = (1 << len(clauses)) - 1
    kept = np.flatnonzero(held)
    docs, held, scores = docs[kept], held[kept], scores[kept]
    full = np.searchsorted(docs, every.docs)
    scores[full] = every.scores
    pending = every.pending.widened(docs, full, scores) if every.pending is not None else None
    tiers = word_tiers(held, clauses, reach, snapshot.size) if strategy == "most" else None
    query = Or([c.query for c in clauses])
    matched = allowed[every.docs].any()
    active = best_allowed_set(held, tiers, allowed[docs], clauses)
    return Matches(docs, scores, query, "all" if matched else "partial", parsed.word_report(active), pending,
                   every.scored_terms, tiers, held, clauses)


def word_tiers(held: np.ndarray, clauses: list[Clause], reach: list[int], size: int) -> np.ndarray:
    """Per article, the rank of its set of matched words: more words first, then the more
    telling set (the sum of its words' inverse document frequencies; a fragment still being
    typed tells nothing, so "necromancer" is never left out for "bui")."""
    weights = [0.0 if clause.fragment else math.log(1 + size / (1 + count)) for clause, count in zip(clauses, reach)]
    # every possible set when there are few words (a lookup, no sort of the matches)
    sets = np.arange(1 << len(clauses)) if len(clauses) <= TABLE_WORDS else np.unique(held)
    keys = []
    for value in sets.tolist():
        bits = [bit for bit in range(len(clauses)) if value >> bit & 1]
        keys.append((-len(bits), -sum(weights[bit] for bit in bits), value))
    rank = np.empty(len(sets), np.int64)
    rank[sorted(range(len(sets)), key=keys.__getitem__)] = np.arange(len(sets))
    return rank[held] if len(clauses) <= TABLE_WORDS else rank[np.searchsorted(sets, held)]


def best_allowed_set(held: np.ndarray, tiers: np.ndarray | None, allowed: np.ndarray,
                     clauses: list[Clause]) -> list[Clause]:
    """The clauses of the first allowed article's set of words (all of them when one has every
    word; none when no allowed article has any)."""
    if not allowed.any():
        return []
    if tiers is not None:
        first = int(held[allowed][np.argmin(tiers[allowed])])
    else:
        counts = sum((held[allowed] >> bit) & 1 for bit in range(len(clauses)))
        first = int(held[allowed][np.argmax(counts)])
    return [clause for bit, clause in enumerate(clauses) if first >> bit & 1]


def best_partial_match(snapshot, parsed: ParsedQuery, clauses: list[Clause], allowed: np.ndarray,
                       terms: dict) -> tuple[Query, list[Clause]]:
    """The query for the set of clauses, as many as any allowed article matches, whose words
    are the most telling (in the fewest articles; on a tie, the earlier words), and that set.

    Dropping the most common word until something matches can drop more words than it must:
    no article has all of "how long to reach max level", one has "how long ... max level",
    while dropping "how", then "long" left "reach max level" and a contest for beta players."""
    found, bits, reach = [], [], []
    for bit, clause in enumerate(clauses):
        docs = text_scores(snapshot, clause.query, terms)[0]
        docs = docs[allowed[docs]]
        found.append(docs)
        bits.append(np.full(len(docs), float(1 << bit)))  # a document has each clause once: sums are ORs
        reach.append(len(docs))
    held = sum_by_document(found, [bits], snapshot.size)[1][0].astype(np.int64)  # a bit per clause matched
    counts = sum((held >> bit) & 1 for bit in range(len(clauses)))
    most = int(counts.max()) if len(held) else 0
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
