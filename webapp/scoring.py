"""Where text relevance is computed: Whoosh queries scored over NumPy posting arrays.

Whoosh walks postings one document at a time in Python; for a common word in a large
collection that is most of a search's time. Here the same BM25F formula, with Whoosh's own
statistics (idf, average field length, B, K1) and boosts, is applied to whole posting lists
from indexer/postings.py, and And / Or / AndNot / Not become operations on boolean and
score arrays. The answer is the one Whoosh's exhaustive matcher gives (tests/test_scoring.py
compares the two), up to the order in which floating-point sums are taken.

A proximity bonus (webapp/query.py) is known exactly (the phrase's words' field scores times
its boost) once the words are known to stand close enough, which takes their positions. The
phrases of one field with the same words and different slops (near, and side by side) are one
graded bonus: their words' scores and positions are read once.
Rather than test every candidate, each carries the bonus as an upper bound and is marked
pending; the search confirms only the few that could reach the page
(``PendingBonus.settle``), with Whoosh's own span test on the stored positions. Queries of
other shapes (an explicit "phrase", a custom weighting) raise Unsupported and are scored by
Whoosh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import log

import numpy as np
from whoosh import scoring as whoosh_scoring
from whoosh.query import And, AndMaybe, AndNot, Not, NullQuery, Or, Phrase, Query, Term

from indexer.postings import SegmentPostings, sorted_lookup


class Unsupported(Exception):
    """The query has a shape the arrays cannot answer exactly; Whoosh scores it."""


@dataclass
class Bonus:
    """Proximity phrases of one field and words that may add up to ``upper`` to a document's
    score: each one's share where its words stand within its slop."""

    phrases: list[Phrase]  # same field and words; widest slop first
    upper: np.ndarray  # per document of its evaluation: the sum of the boosts times the words' scores

    def share(self, stands: list[np.ndarray]) -> np.ndarray:
        """The part of ``upper`` each document earns, given which phrases stand for it."""
        earned = sum(phrase.boost * stood for phrase, stood in zip(self.phrases, stands))
        return earned / sum(phrase.boost for phrase in self.phrases)


@dataclass
class Scored:
    """One query node: the documents it matches (sorted, each once) and their scores.

    Sparse, because most terms of a query match few documents: arrays as long as the
    collection would cost every term the collection's length, whatever its postings."""

    docs: np.ndarray
    score: np.ndarray
    bonuses: list[Bonus] = field(default_factory=list)

    def subset(self, keep: np.ndarray) -> Scored:
        """The documents where ``keep`` (aligned with docs) holds, their bonuses with them."""
        return Scored(self.docs[keep], self.score[keep], [Bonus(b.phrases, b.upper[keep]) for b in self.bonuses])


NOTHING = Scored(np.zeros(0, np.int64), np.zeros(0))
# Set operations on sorted document arrays switch to arrays as long as the collection when
# their inputs are a large enough share of it: one pass over the collection then costs less
# than sorting or binary-searching that many documents (BENCHMARKS.md, 2026-12-05).
DENSE_UNION_SHARE = 7  # postings in the union, times this, reach the collection's size
DENSE_INTERSECTION_SHARE = 10  # the shorter side, times this, reaches it
# An And whose rarest clause, times this, has fewer postings than its other clauses together
# scores those only at the rarest clause's documents, and a term with more postings than this
# times those documents is looked up there rather than scored whole: looking a few documents
# up costs less than scoring and merging every posting of a common word (BENCHMARKS.md,
# 2026-12-06).
LOOKUP_SHARE = 2


class SegmentScorer:
    """Evaluates a Whoosh query tree over one segment's arrays with Whoosh's BM25F.

    A document's score is summed in one order whichever way its node gathers documents:
    from 0, its parts in the query's order (as Whoosh's matchers add them)."""

    def __init__(self, searcher, postings: SegmentPostings, size: int, scored_terms: dict | None = None):
        weighting = searcher.weighting
        if type(weighting) is not whoosh_scoring.BM25F:
            raise Unsupported("only Whoosh's BM25F is reproduced")
        self.searcher, self.postings, self.size, self.weighting = searcher, postings, size, weighting
        # Shared by the evaluations of one request (its relaxed forms, its suggestion), which
        # repeat most of its terms.
        self.scored_terms: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = {} if scored_terms is None else scored_terms

    def evaluate(self, query: Query, top: bool = True) -> Scored:
        if query is NullQuery:
            return NOTHING
        if isinstance(query, Term):
            result = Scored(*self.term_scores(query))
        elif isinstance(query, AndMaybe) and top:
            return self.with_bonus(query)
        elif type(query) is AndNot:
            result = self.and_not(query, top)
        elif type(query) is Or and query.minmatch in (0, 1, None) and query.scale is None:
            result = self.cached_union(query)
        elif type(query) is And:
            result = self.rarest_first(query.subqueries) or self.intersection(
                [self.evaluate(q, top=False) for q in query.subqueries])
        elif type(query) is Not:
            result = self.inverse(query)
        else:
            raise Unsupported(type(query).__name__)
        if query.boost != 1.0:
            if result.bonuses:
                raise Unsupported("a boosted clause with proximity bonuses")
            result = Scored(result.docs, result.score * query.boost)
        return result

    def term_scores(self, query: Term) -> tuple[np.ndarray, np.ndarray]:
        """The term's documents and unboosted BM25 scores, computed once per query (a word's
        field terms come back in its proximity phrases)."""
        name = query.fieldname
        if name not in self.postings.rows:
            raise Unsupported(f"no arrays for field {name}")
        text = self.searcher.schema[name].to_bytes(query.text)
        key = (name, text)
        found = self.scored_terms.get(key)
        if found is None:
            docs, freqs = self.postings.term(name, text)
            found = self.scored_terms[key] = (docs, self.bm25(name, text, docs, freqs))
        return found

    def bm25(self, name: str, text: bytes, docs: np.ndarray, freqs: np.ndarray) -> np.ndarray:
        """Whoosh's scoring.bm25, term by term the same arithmetic, over arrays."""
        idf = self.idf(name, text)
        k1 = self.weighting.K1
        tf = freqs.astype(np.float64)
        return idf * ((tf * (k1 + 1)) / (tf + self.length_norms(name)[docs]))

    def idf(self, name: str, text: bytes) -> float:
        """Whoosh's idf, log(N / (df + 1)) + 1 (WeightingModel.idf), with the document
        frequency counted in the arrays rather than looked up in every segment's term file."""
        count = self.searcher.doc_count_all()
        key = (name, text, count)
        idf = self.postings.idfs.get(key)
        if idf is None:
            idf = self.postings.idfs[key] = log(count / (self.postings.doc_frequency(name, text) + 1)) + 1
        return idf

    def length_norms(self, name: str) -> np.ndarray:
        """K1 * ((1 - B) + B * fl / avgfl) for every document: the part of bm25 that depends
        on the document alone, kept with the segment while the collection statistics hold."""
        avgfl = self.searcher.avg_field_length(name) or 1
        b = self.weighting._field_B.get(name, self.weighting.B)
        k1 = self.weighting.K1
        key = (name, avgfl, b, k1)
        norms = self.postings.norms.get(key)
        if norms is None:
            norms = self.postings.norms[key] = k1 * ((1 - b) + b * self.postings.lengths(name) / avgfl)
        return norms

    def cached_union(self, query: Or) -> Scored:
        """A word's union over its fields, once per request: the matching strategy evaluates
        each word alone after the query whole. Shared: no node changes the arrays it is
        given, every operation makes new ones."""
        key = ("union", query)
        found = self.scored_terms.get(key)
        if found is None:
            result = self.union(query.subqueries)
            if result.bonuses:
                return result
            found = self.scored_terms[key] = (result.docs, result.score)
        return Scored(*found)

    def union(self, subqueries: list[Query]) -> Scored:
        parts = []
        for query in subqueries:
            if type(query) is Term:  # the common case, a word in one field
                docs, scores = self.term_scores(query)
                if len(docs):
                    parts.append((docs, scores * query.boost if query.boost != 1.0 else scores))
            else:
                part = self.evaluate(query, top=False)
                if len(part.docs):
                    parts.append((part.docs, part.score))
        if len(parts) <= 1:
            return Scored(*parts[0]) if parts else NOTHING
        present, (score,) = sum_by_document([docs for docs, _ in parts], [[scores for _, scores in parts]], self.size)
        return Scored(present, score)

    def intersection(self, parts: list[Scored]) -> Scored:
        """The documents in every part, their scores summed in the parts' order."""
        if not parts:
            return NOTHING
        docs, score = parts[0].docs, parts[0].score
        for part in parts[1:]:
            docs, mine, theirs = sorted_intersection(docs, part.docs, self.size)
            score = score[mine] + part.score[theirs]
        return Scored(docs, score)

    def rarest_first(self, clauses: list[Query]) -> Scored | None:
        """The intersection of ``clauses`` when one of them is much rarer than the others:
        that one is evaluated, the others only looked up at its documents. The same sums in
        the same order as ``intersection``. None when the clauses are alike or of a shape
        that cannot be looked up."""
        reach = [self.reach(clause) for clause in clauses]
        if None in reach:
            return None
        rarest = min(range(len(clauses)), key=reach.__getitem__)
        if reach[rarest] * LOOKUP_SHARE >= sum(reach) - reach[rarest]:
            return None
        first = self.evaluate(clauses[rarest], top=False)  # a term or a union: no bonuses
        docs, scores = first.docs, {rarest: first.score}
        for n in sorted(range(len(clauses)), key=reach.__getitem__):
            if n == rarest:
                continue
            found, score = self.scores_at(clauses[n], docs)
            docs = docs[found]
            scores = {k: v[found] for k, v in scores.items()}
            scores[n] = score[found]
        total = scores[0]
        for n in range(1, len(clauses)):
            total = total + scores[n]
        return Scored(docs, total)

    def reach(self, query: Query) -> int | None:
        """Postings of the query's terms (None: a shape ``scores_at`` does not look up)."""
        if type(query) is Term:
            if query.fieldname not in self.postings.rows:
                return None
            return self.postings.doc_frequency(query.fieldname, self.searcher.schema[query.fieldname].to_bytes(query.text))
        if type(query) is Or and query.minmatch in (0, 1, None) and query.scale is None:
            parts = [self.reach(part) for part in query.subqueries]
            return None if None in parts else sum(parts)
        return None

    def scores_at(self, query: Query, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per document of ``docs`` (sorted), whether the query (a term or a union of them)
        matches it, and its score there (0 where not): the values ``evaluate`` gives."""
        if type(query) is Term:
            found, score = self.term_scores_at(query, docs)
        else:
            found, score = np.zeros(len(docs), bool), np.zeros(len(docs))
            for part in query.subqueries:  # summed from 0 in the query's order, as union() does
                part_found, part_score = self.scores_at(part, docs)
                found |= part_found
                score = score + part_score
        if query.boost != 1.0:
            score = score * query.boost
        return found, score

    def term_scores_at(self, query: Term, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The term's unboosted scores at ``docs``: from its scores when the request has them
        or when ``docs`` are many beside its postings, else from its postings at ``docs``."""
        name = query.fieldname
        text = self.searcher.schema[name].to_bytes(query.text)
        known = self.scored_terms.get((name, text))
        if known is None and len(docs) * LOOKUP_SHARE >= self.postings.doc_frequency(name, text):
            known = self.term_scores(query)
        found, score = np.zeros(len(docs), bool), np.zeros(len(docs))
        if known is not None:
            _, mine, theirs = sorted_intersection(docs, known[0], self.size)
            found[mine], score[mine] = True, known[1][theirs]
            return found, score
        term_docs, freqs = self.postings.term(name, text)
        _, mine, theirs = sorted_intersection(docs, term_docs, self.size)
        found[mine], score[mine] = True, self.bm25(name, text, docs[mine], freqs[theirs])
        return found, score

    def inverse(self, query: Not) -> Scored:
        """Whoosh matches NOT x as every document without x, each scoring a constant 1."""
        outside = np.ones(self.size, bool)
        outside[self.evaluate(query.query, top=False).docs] = False
        docs = np.flatnonzero(outside)
        return Scored(docs, np.ones(len(docs)))

    def and_not(self, query: AndNot, top: bool) -> Scored:
        kept = self.evaluate(query.a, top=top)
        excluded = self.evaluate(query.b, top=False)
        return kept.subset(~sorted_contains(excluded.docs, kept.docs))

    def with_bonus(self, query: AndMaybe) -> Scored:
        """Required side scored here; the optional phrases become Bonuses to confirm."""
        required = self.evaluate(query.a, top=False)
        phrases = query.b.subqueries if type(query.b) is Or else [query.b]
        if any(not isinstance(phrase, Phrase) for phrase in phrases) or query.b.boost != 1.0:
            raise Unsupported("only proximity phrases are optional clauses")
        graded: dict[tuple, list[Phrase]] = {}
        for phrase in phrases:
            graded.setdefault((phrase.fieldname, tuple(phrase.words)), []).append(phrase)
        bonuses = []
        for group in graded.values():
            group.sort(key=lambda phrase: -phrase.slop)
            boost = sum(phrase.boost for phrase in group)
            bonuses.append(Bonus(group, self.phrase_upper_bound(group[0], required.docs) * boost))
        return Scored(required.docs, required.score, bonuses)

    def phrase_upper_bound(self, phrase: Phrase, within: np.ndarray) -> np.ndarray:
        """Per document of ``within`` (sorted), the phrase's words' summed scores (unboosted)
        where all its words are in the field, else 0: what Whoosh gives, times the boost, if
        they also stand close enough (its span matcher scores the intersection of its terms)."""
        present, total = None, None
        for word in phrase.words:
            found, score = self.term_scores_at(Term(phrase.fieldname, word), within)
            present = found if present is None else present & found
            total = score if total is None else total + score
        return np.where(present, total, 0.0)


def sum_by_document(docs: list[np.ndarray], weights: list[list[np.ndarray]], size: int
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The documents of any of ``docs`` (each sorted and duplicate-free) and, per list of
    ``weights`` (aligned with ``docs``), each document's sum. A document's sum adds its
    weights in the order of the arrays, from 0, on either path: the scores do not depend on
    the collection's size."""
    if sum(len(part) for part in docs) * DENSE_UNION_SHARE >= size:
        seen, sums = np.zeros(size, bool), [np.zeros(size) for _ in weights]
        for n, part in enumerate(docs):
            seen[part] = True
            for total, parts in zip(sums, weights):
                total[part] += parts[n]
        present = np.flatnonzero(seen)
        return present, [total[present] for total in sums]
    present, slot = np.unique(np.concatenate(docs), return_inverse=True)
    return present, [np.bincount(slot, np.concatenate(w), len(present)) for w in weights]


def sorted_intersection(a: np.ndarray, b: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values in both sorted, duplicate-free arrays of documents below ``size``, with their
    indexes in each: the shorter one is looked up in the longer, or both are laid over
    arrays as long as the collection when even the shorter is a large share of it."""
    if len(a) > len(b):
        common, in_b, in_a = sorted_intersection(b, a, size)
        return common, in_a, in_b
    if len(a) * DENSE_INTERSECTION_SHARE >= size:
        where, seen = np.empty(size, np.int64), np.zeros(size, bool)
        seen[b] = True
        where[b] = np.arange(len(b))
        in_a = np.flatnonzero(seen[a])
        return a[in_a], in_a, where[a[in_a]]
    found, at = sorted_lookup(b, a)
    in_a = np.flatnonzero(found)
    return a[in_a], in_a, at[in_a]


@dataclass
class PendingBonus:
    """Matched documents whose score still includes unconfirmed phrase bonuses."""

    segments: list  # the snapshot's (leaf searcher, first docnum, arrays, size) per segment
    docs: np.ndarray  # global docnums, aligned with the Matches arrays
    base: np.ndarray  # score without any phrase bonus
    bonuses: list[tuple[Bonus, np.ndarray]]  # per bonus, its upper bound for each matched doc
    pending: np.ndarray  # True where the score is still an upper bound

    def settle(self, positions: np.ndarray, scores: np.ndarray) -> None:
        """Replace upper bounds by exact scores at ``positions`` (indexes into docs/scores)."""
        positions = np.unique(positions[self.pending[positions]])
        if not len(positions):
            return
        bonus = np.zeros(len(positions))
        for graded, upper in self.bonuses:
            wanted = positions[upper[positions] > 0]
            if len(wanted):
                found = confirm_bonus(self.segments, graded, self.docs[wanted], upper[wanted])
                bonus[np.searchsorted(positions, wanted)] += found
        scores[positions] = self.base[positions] + bonus
        self.pending[positions] = False


    def widened(self, docs: np.ndarray, positions: np.ndarray, scores: np.ndarray) -> PendingBonus:
        """The same pending bonuses for a larger set of matches: ``docs``, where this one's
        docs sit at ``positions``, the others with the exact ``scores`` they already have."""
        base = scores.copy()
        base[positions] = self.base
        pending = np.zeros(len(docs), bool)
        pending[positions] = self.pending
        bonuses = []
        for bonus, upper in self.bonuses:
            wide = np.zeros(len(docs))
            wide[positions] = upper
            bonuses.append((bonus, wide))
        return PendingBonus(self.segments, docs, base, bonuses, pending)


def confirm_bonus(segments, bonus: Bonus, docnums: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The bonus each of ``docnums`` earns (0 where its words do not stand close enough)."""
    found = np.zeros(len(docnums))
    widest = bonus.phrases[0]
    for subsearcher, offset, postings, size in segments:
        inside = np.flatnonzero((docnums >= offset) & (docnums < offset + size))
        if not len(inside):
            continue
        if postings is not None and postings.has_positions(widest.fieldname):
            words = [subsearcher.schema[widest.fieldname].to_bytes(w) for w in widest.words]
            inside = inside[np.argsort(docnums[inside], kind="stable")]
            slops = [phrase.slop for phrase in bonus.phrases]
            stands = phrases_stand(postings, widest.fieldname, words, docnums[inside] - offset, slops)
            found[inside] = upper[inside] * bonus.share(stands)
        else:
            found[inside] = sum(whoosh_phrase_scores(subsearcher, phrase, docnums[inside] - offset)
                                for phrase in bonus.phrases)
    return found


def phrases_stand(postings: SegmentPostings, name: str, words: list[bytes], docs: np.ndarray,
                  slops: list[int]) -> list[np.ndarray]:
    """Per slop (widest first), which of ``docs`` (sorted, local) have the words in order, each
    1 to ``slop`` positions after the one before: the test Whoosh's Phrase makes (SpanNear2,
    ordered, mindist 1), for all candidates and slops at once, the positions read once.
    tests/test_scoring.py checks it against Whoosh's span code."""
    ends: list[np.ndarray | None] = [None] * len(slops)  # per slop, (doc, position) keys ending a chain
    for word in words:
        found_docs, found_positions = postings.positions_in(name, word, docs)
        keys = (found_docs.astype(np.int64) << 32) + found_positions  # sorted: docs, then positions
        for n, slop in enumerate(slops):
            chained = keys
            if ends[n] is not None:
                follows = np.zeros(len(keys), bool)
                for gap in range(1, slop + 1):
                    follows |= sorted_contains(ends[n], keys - gap)
                chained = keys[follows]
            ends[n] = chained
        if not len(ends[0]):  # a narrower chain is part of the widest one
            break
    return [sorted_contains(chain >> 32, docs) for chain in ends]


def sorted_contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Which needles are in the sorted ``haystack`` (np.isin without its sort)."""
    return sorted_lookup(haystack, needles)[0]


def whoosh_phrase_scores(subsearcher, phrase: Phrase, local: np.ndarray) -> np.ndarray:
    """Whoosh's phrase matcher for segments without positions (slow: it scans ahead)."""
    scores = np.zeros(len(local))
    order = np.argsort(local, kind="stable")
    matcher = phrase.matcher(subsearcher, subsearcher.context())
    for i in order:
        if not matcher.is_active():
            break
        if matcher.id() < local[i]:
            matcher.skip_to(int(local[i]))
            if not matcher.is_active():
                break
        if matcher.id() == local[i]:
            scores[i] = matcher.score()
    return scores


def score_segments(snapshot, query: Query, scored_terms: dict | None = None) -> tuple[np.ndarray, np.ndarray, PendingBonus | None]:
    """Every matching live document with its score (an upper bound where a bonus is pending).

    Raises Unsupported when any segment lacks arrays or the query has another shape."""
    segments = snapshot.segments()
    if any(postings is None for _, _, postings, _ in segments):
        raise Unsupported("a segment has no posting arrays yet")
    if not segments:
        return np.zeros(0, np.int64), np.zeros(0), None
    postings = snapshot.merged_postings(segments)
    scored = SegmentScorer(snapshot.searcher, postings, snapshot.size, scored_terms).evaluate(query)
    live = snapshot.live[scored.docs]
    docs = scored.docs[live].astype(np.int64, copy=False)
    base = scored.score[live]
    if not scored.bonuses:
        return docs, base, None
    per_bonus = [(bonus, bonus.upper[live]) for bonus in scored.bonuses]
    scores, pending = base.copy(), np.zeros(len(docs), bool)
    for _, upper in per_bonus:
        scores += upper
        pending |= upper > 0
    return docs, scores, PendingBonus(segments, docs, base, per_bonus, pending)
