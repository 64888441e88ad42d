"""Everything about one opened index generation that queries need, built once when it opens.

Its query parser (with the vocabulary that corrects spellings), its posting arrays and the
view of them as one, per-document arrays (quality, publication time, story) and per-value
document lists for the facet fields: each request only reads them.
They are read from Whoosh's columns and postings here, so filtering, facet counting, ranking
and collapsing are NumPy operations per query instead of range scans.
"""

from __future__ import annotations

import bisect
import heapq
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.support.levenshtein import damerau_levenshtein

from indexer.postings import MergedPostings, SegmentPostings, field_postings, merged_view, slices
from indexer.schema import WORDS_FIELD, published_seconds
from indexer.stories.files import read_stories
from indexer.whoosh_internals.fused_analysis import fused
from indexer.whoosh_internals.whole_columns import column_numbers, column_strings
from webapp.outlets import outlet_labels
from webapp.query import QueryParser
from webapp.ranking import quality_factor, text_weighting
from webapp.snippets import TOKENS_PATTERN, marker_for, surface_forms

RETRY_POSTINGS_S = 0.5
# A selection of at least a quarter of the collection reads a multi-valued facet's pairs
# in one pass over all of them rather than row by row.
DENSE_SELECTION_SHARE = 4  # how often a segment whose arrays are not written yet looks again


@dataclass
class FacetField:
    """A facet as (document, value code) pairs: one pair per value a document has."""

    labels: list[str]
    pair_docs: np.ndarray
    pair_codes: np.ndarray
    size: int  # documents in the collection: every docnum has a row
    lookup: dict[str, int] = field(default_factory=dict)  # other spellings a filter may name

    def __post_init__(self):
        self.lookup.update({label.lower(): code for code, label in enumerate(self.labels)})
        # The same pairs by document (CSR), so a query's counts cost its matches, not the index.
        by_doc = np.argsort(self.pair_docs, kind="stable")
        self.doc_codes = self.pair_codes[by_doc]
        self.entry_docs = self.pair_docs[by_doc].astype(np.int32)
        per_doc = np.bincount(self.pair_docs, minlength=self.size)
        self.doc_indptr = np.concatenate([[0], np.cumsum(per_doc)])
        # Type, provider and year have at most one value per document: then a plain array
        # says it, len(labels) standing for none.
        self.doc_code = None
        if not len(per_doc) or per_doc.max() <= 1:
            self.doc_code = np.full(self.size, len(self.labels), dtype=np.int32)
            self.doc_code[self.pair_docs] = self.pair_codes
        # Counting a large selection: each document's first value from a plain array, the
        # few values after the first (most articles have one topic) as pairs.
        self.first_code, self.later_docs, self.later_codes = self.doc_code, None, None
        if self.doc_code is None:
            self.first_code = np.full(self.size, len(self.labels), dtype=np.int32)
            firsts = self.doc_indptr[:-1][per_doc > 0]
            self.first_code[self.entry_docs[firsts]] = self.doc_codes[firsts]
            later = np.ones(len(self.entry_docs), bool)
            later[firsts] = False
            self.later_docs, self.later_codes = self.entry_docs[later], self.doc_codes[later]
        # Display order among equal counts: by label, ignoring case (stable, as sorted() was).
        self.label_rank = np.empty(len(self.labels), dtype=np.int64)
        self.label_rank[np.argsort([label.lower() for label in self.labels], kind="stable")] = np.arange(len(self.labels))

    def values_of(self, docs: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """The value codes of ``docs``, one per (document, value) pair, with each
        code's document. None for the documents where a facet has one value per document:
        the codes are then those of ``docs`` themselves, len(labels) where one has none."""
        if self.doc_code is not None:
            return None, self.doc_code[docs]
        if len(docs) * DENSE_SELECTION_SHARE >= self.size:  # one pass over every pair
            chosen = np.zeros(self.size, bool)
            chosen[docs] = True
            taken = chosen[self.entry_docs]
            return self.entry_docs[taken], self.doc_codes[taken]
        starts = self.doc_indptr[docs]
        counts = self.doc_indptr[docs + 1] - starts
        return np.repeat(docs, counts), self.doc_codes[slices(starts, counts)]

    def count(self, docs: np.ndarray) -> np.ndarray:
        """Per value code, how many of ``docs`` have it, then a slot for none (callers drop it)."""
        width = len(self.labels) + 1
        if self.doc_code is not None:
            return np.bincount(self.doc_code[docs], minlength=width)
        if len(docs) * DENSE_SELECTION_SHARE < self.size:
            return np.bincount(self.values_of(docs)[1], minlength=width)
        counts = np.bincount(self.first_code[docs], minlength=width)
        if len(self.later_docs):  # documents with several values
            chosen = np.zeros(self.size, bool)
            chosen[docs] = True
            counts += np.bincount(self.later_codes[chosen[self.later_docs]], minlength=width)
        return counts

    def label_of(self, docnum: int) -> str | None:
        """The value of a one-value-per-document facet (type, provider, year) for ``docnum``."""
        code = self.doc_code[docnum] if self.doc_code is not None else len(self.labels)
        return self.labels[code] if code < len(self.labels) else None

    def codes_for(self, values: list[str]) -> list[int]:
        return [self.lookup[v.strip().lower()] for v in values if v.strip().lower() in self.lookup]

    def docs_with(self, values: list[str], size: int) -> np.ndarray:
        """Boolean mask of documents having any of ``values`` (case-insensitive)."""
        mask = np.zeros(size, dtype=bool)
        wanted = self.codes_for(values)
        if wanted:
            mask[self.pair_docs[np.isin(self.pair_codes, wanted)]] = True
        return mask


def keyword_facet(reader, fieldname: str, live: np.ndarray, relabel=None) -> FacetField:
    """A keyword field's values and the live documents having each, segment by segment.

    ``relabel(values, counts)`` gives each value the label it is shown and counted under
    (several values may share one: webapp/outlets.py); by default each value is its own."""
    found: dict[bytes, list[np.ndarray]] = {}
    for leaf, base in reader.leaf_readers():
        if fieldname in leaf.schema:
            for btext, ids in field_postings(leaf, fieldname):
                found.setdefault(btext, []).append(ids + base)
    fieldobj = reader.schema[fieldname]
    values, value_docs = [], []
    for btext in sorted(found):
        ids = np.concatenate(found[btext])
        values.append(fieldobj.from_bytes(btext))
        value_docs.append(ids[live[ids]])
    shown = relabel(values, [len(ids) for ids in value_docs]) if relabel else values
    labels = sorted(set(shown))
    code_of = {label: code for code, label in enumerate(labels)}
    codes = [np.full(len(ids), code_of[label], dtype=np.int32) for label, ids in zip(shown, value_docs)]
    return FacetField(
        labels,
        np.concatenate(value_docs) if value_docs else np.zeros(0, np.int64),
        np.concatenate(codes) if codes else np.zeros(0, np.int32),
        len(live),
        lookup={value.lower(): code_of[label] for value, label in zip(values, shown)},
    )


def year_facet(published: np.ndarray, live: np.ndarray) -> FacetField:
    known = np.flatnonzero(~np.isnan(published) & live)
    seconds = np.floor(published[known]).astype("datetime64[s]")
    years, codes = np.unique(seconds.astype("datetime64[Y]").astype(np.int64) + 1970, return_inverse=True)
    return FacetField([str(year) for year in years.tolist()], known.astype(np.int64), codes.astype(np.int32), len(live))


class Vocabulary:
    """The unstemmed words of titles, excerpts and topics with their document frequencies."""

    def __init__(self, reader, fieldname: str = WORDS_FIELD):
        # Each segment's terms in one sequential pass: a multi-segment reader's merged walk
        # looks every term up in every segment, which grows with segments times terms.
        frequency: dict[str, int] = {}
        for leaf, _ in reader.leaf_readers():
            if fieldname in leaf.schema:
                for term, info in leaf.iter_field(fieldname):
                    word = term.decode("utf-8")
                    frequency[word] = frequency.get(word, 0) + info.doc_frequency()
        self.words = sorted(frequency)
        self.frequency = [frequency[w] for w in self.words]
        self._letters: np.ndarray | None = None  # letter_counts(), made at the first misspelling
        self._lengths: np.ndarray | None = None

    def doc_frequency(self, word: str) -> int:
        i = bisect.bisect_left(self.words, word)
        return self.frequency[i] if i < len(self.words) and self.words[i] == word else 0

    def completions(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\uffff")
        best = heapq.nlargest(limit, range(lo, hi), key=lambda i: (self.frequency[i], -i))
        return [(self.words[i], self.frequency[i]) for i in best]

    def near(self, word: str, maxdist: int) -> list[tuple[str, int, int]]:
        """Words within ``maxdist`` edits sharing the first letter: (word, distance, frequency),
        closest first, then most frequent. (Damerau-Levenshtein: a swap of two letters is one edit.)"""
        if not word:
            return []
        lo = bisect.bisect_left(self.words, word[0])
        hi = bisect.bisect_left(self.words, word[0] + "\uffff")
        found = []
        for i in self.within_letter_counts(word, maxdist, lo, hi).tolist():
            candidate = self.words[i]
            edits = damerau_levenshtein(candidate, word)
            if candidate != word and edits <= maxdist:
                found.append((candidate, edits, self.frequency[i]))
        return sorted(found, key=lambda c: (c[1], -c[2], c[0]))

    def within_letter_counts(self, word: str, maxdist: int, lo: int, hi: int) -> np.ndarray:
        """Positions in ``lo:hi`` of the words that ``maxdist`` edits could turn into ``word``
        by their lengths and letter counts alone: an edit changes the counts by at most two and
        a swap not at all. Only these few are compared letter by letter; Whoosh's automaton
        walked thousands of words in a long vocabulary for each misspelling."""
        if self._letters is None:
            self._letters, self._lengths = letter_counts(self.words)
        lengths = self._lengths[lo:hi].astype(np.int64)
        close = np.flatnonzero(np.abs(lengths - len(word)) <= maxdist)
        wanted = letter_counts([word])[0][0].astype(np.int16)
        apart = np.abs(self._letters[lo + close].astype(np.int16) - wanted).sum(axis=1)
        return lo + close[apart <= 2 * maxdist]


LETTER_BUCKETS = 37  # a-z, 0-9, and everything else in one


def letter_counts(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per word, how many of each letter it has (uint8, LETTER_BUCKETS columns), and its length."""
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
    buckets = np.full(len(codes), LETTER_BUCKETS - 1, dtype=np.int64)
    letters = (codes >= ord("a")) & (codes <= ord("z"))
    buckets[letters] = codes[letters] - ord("a")
    digits = (codes >= ord("0")) & (codes <= ord("9"))
    buckets[digits] = codes[digits] - ord("0") + 26
    owner = np.repeat(np.arange(len(words)), lengths)
    counts = np.bincount(owner * LETTER_BUCKETS + buckets, minlength=len(words) * LETTER_BUCKETS)
    return (np.minimum(counts, 255).astype(np.uint8).reshape(len(words), LETTER_BUCKETS),
            np.minimum(lengths, 255).astype(np.uint8))


@dataclass
class Countable:
    mask: np.ndarray  # per document
    count: int


class IndexSnapshot:
    @classmethod
    def open(cls, ix, build_dir: Path) -> IndexSnapshot:
        """The snapshot of an opened index's latest generation, scored with newsfinder's BM25F."""
        return cls(ix.searcher(weighting=text_weighting()), build_dir)

    def __init__(self, searcher, build_dir: Path):
        reader = searcher.reader()
        self.searcher = searcher
        self.build_dir = Path(build_dir)
        self.size = reader.doc_count_all()
        self.generation = reader.generation()
        self.live = np.ones(self.size, dtype=bool)
        for leaf, base in reader.leaf_readers():
            deleted = np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)
            self.live[base + deleted] = False
        self.doc_count = int(self.live.sum())
        self.quality = column_numbers(reader, "quality").astype(np.float64)  # unsigned: stored as itself
        self._quality_factors: dict[tuple[float, int], np.ndarray] = {}
        self._countable: dict[bool, Countable] = {}
        self._facet_totals: dict[tuple[str, bool], np.ndarray] = {}
        self.unpublished = column_numbers(reader, "unpublished") > 0
        self.published = published_seconds(reader)
        known = self.published[~np.isnan(self.published) & self.live]
        self.newest = float(known.max()) if len(known) else 0.0
        self.story = story_codes(reader, read_stories(build_dir, self.generation))
        self.story_shared = np.bincount(self.story)[self.story] > 1  # the article's story has other reports
        self.story_codes = int(self.story.max()) + 1 if self.size else 0
        self.facets = {
            "topic": keyword_facet(reader, "topic_value", self.live),
            "provider": keyword_facet(reader, "provider_value", self.live, relabel=outlet_labels),
            "type": keyword_facet(reader, "type", self.live),
            "year": year_facet(self.published, self.live),
        }
        self.vocabulary = Vocabulary(reader)
        self._surface_forms: dict[str, list[str]] | None = None
        self._leaves = [(sub, offset, sub.reader().doc_count_all()) for sub, offset in searcher.leaf_searchers()]
        self._postings = [SegmentPostings.load(build_dir, sub.reader().segment()) for sub, _, _ in self._leaves]
        self._postings_checked = time.monotonic()
        self._merged: tuple[tuple, SegmentPostings | MergedPostings] | None = None
        self.parser = QueryParser(self)  # parsed clauses are kept per generation, not per request

    def segments(self) -> list[tuple[object, int, SegmentPostings | None, int]]:
        """(leaf searcher, first docnum, posting arrays or None, documents) per Whoosh segment.

        Arrays of a segment merged by the last reindex may still be on their way; look again
        now and then rather than searching that segment the slow way for the whole generation."""
        if None in self._postings and time.monotonic() - self._postings_checked > RETRY_POSTINGS_S:
            self._postings_checked = time.monotonic()
            self._postings = [p or SegmentPostings.load(self.build_dir, sub.reader().segment())
                              for p, (sub, _, _) in zip(self._postings, self._leaves)]
        return [(sub, offset, postings, size) for (sub, offset, size), postings in zip(self._leaves, self._postings)]

    def merged_postings(self, segments) -> SegmentPostings | MergedPostings:
        """The arrays of ``segments`` (from segments()) seen as one, made once per snapshot
        and again if a segment's arrays arrived late."""
        key = tuple(id(postings) for _, _, postings, _ in segments)
        if self._merged is None or self._merged[0] != key:
            self._merged = (key, merged_view([postings for _, _, postings, _ in segments],
                                             [offset for _, offset, _, _ in segments]))
        return self._merged[1]

    def marker(self, terms: frozenset[str]):
        """The Marker that finds ``terms`` in titles and excerpts (webapp/snippets.py),
        from the written forms of the vocabulary, worked out at the first search. None when
        the vocabulary's words are not the text fields' tokens (then words are analysed)."""
        if self._surface_forms is None:
            words = fused(self.searcher.schema[WORDS_FIELD].analyzer)
            same = words is not None and words.expression.pattern == TOKENS_PATTERN
            self._surface_forms = surface_forms(self.vocabulary.words) if same else {}
        if not self._surface_forms:
            return None
        return marker_for(terms, self._surface_forms)

    def article(self, docnum: int) -> dict:
        """The stored article (its JSON payload) of a document."""
        return json.loads(self.searcher.stored_fields(docnum)["payload"])

    def has_term(self, fieldname: str, btext: bytes) -> bool:
        """Whether any segment has the term: from the posting arrays' term tables where
        every segment has them (a dict lookup each), else from Whoosh's term files."""
        segments = self.segments()
        if all(postings is not None and fieldname in postings.rows for _, _, postings, _ in segments):
            return any(btext in postings.rows[fieldname] for _, _, postings, _ in segments)
        return (fieldname, btext) in self.searcher.reader()

    def docnum(self, article_id: str) -> int | None:
        """The live document of an article id, looked up in Whoosh's term table (a dict of
        every id would cost each worker memory in proportion to the collection, for the one
        request that needs it)."""
        try:
            docnum = self.searcher.reader().first_id("id", article_id)
        except TermNotFound:
            return None
        return docnum if self.live[docnum] else None

    def story_count(self, docs: np.ndarray) -> int:
        """How many stories the documents ``docs`` are reports of. Most stories have one
        report, so only the documents of shared stories are told apart."""
        shared = docs[self.story_shared[docs]]
        return len(docs) - len(shared) + len(distinct_codes(self.story[shared], self.story_codes)[0])

    def countable(self, lone: bool) -> Countable:
        """The documents a facet can count: the live ones, or (``lone``) the live ones
        whose story has no other report."""
        found = self._countable.get(lone)
        if found is None:
            mask = self.live & ~self.story_shared if lone else self.live
            found = self._countable[lone] = Countable(mask, int(mask.sum()))
        return found

    def facet_totals(self, name: str, lone: bool) -> np.ndarray:
        """A facet's counts over every document ``countable(lone)`` holds."""
        key = (name, lone)
        if key not in self._facet_totals:
            self._facet_totals[key] = self.facets[name].count(np.flatnonzero(self.countable(lone).mask))
        return self._facet_totals[key]

    def story_tally(self, docs: np.ndarray) -> tuple[np.ndarray, int]:
        """Per document of ``docs``, how many of ``docs`` report its story (itself included),
        and how many stories ``docs`` are reports of: one pass for the story factor and the
        total."""
        reports = np.ones(len(docs), np.int64)
        shared = np.flatnonzero(self.story_shared[docs])
        stories = len(docs) - len(shared)
        if len(shared):
            found, counts, inverse = distinct_codes(self.story[docs[shared]], self.story_codes, per_value=True)
            reports[shared] = counts[inverse]
            stories += len(found)
        return reports, stories

    def quality_factors(self, weight: float, cap: int) -> np.ndarray:
        """Every document's quality factor (webapp/ranking.py), computed once per setting."""
        key = (weight, cap)
        found = self._quality_factors.get(key)
        if found is None:
            found = self._quality_factors[key] = quality_factor(self.quality, weight, cap)
        return found


def distinct_codes(values: np.ndarray, codes: int, per_value: bool = False) -> tuple[np.ndarray, ...]:
    """The distinct ``values`` (integers below ``codes``) with how often each occurs and, with
    ``per_value``, each value's index among them. Sorted when the values are few beside the
    codes; counted per code when they are many (a pass over every code, but no sort)."""
    if len(values) * 8 < codes:
        if per_value:
            found, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
            return found, counts, inverse
        return np.unique(values, return_counts=True)
    counts = np.bincount(values, minlength=codes)
    present = np.flatnonzero(counts)
    if not per_value:
        return present, counts[present]
    index = np.zeros(codes, np.int64)
    index[present] = np.arange(len(present))
    return present, counts[present], index[values]


def story_codes(reader, story_of: dict[str, str]) -> np.ndarray:
    """One integer per document naming its story. ``story_of`` lists the articles that share
    a story (indexer/stories/files.py); any other document is a story of its own."""
    ids = column_strings(reader, "id")
    size = len(ids)
    numbers = {story: size + n for n, story in enumerate(dict.fromkeys(story_of.values()))}
    listed = {doc_id: numbers[story] for doc_id, story in story_of.items()}
    # a listed document gets its story's number, any other its own document number
    raw = np.fromiter(map(listed.get, ids, range(size)), dtype=np.int64, count=size)
    return np.unique(raw, return_inverse=True)[1].astype(np.int64)
