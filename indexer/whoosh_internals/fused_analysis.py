"""Whoosh's analyzer chains run as one loop, for indexing and highlighting.

The schema's analyzers are Whoosh's own (a RegexTokenizer, a LowercaseFilter and, for the
stemmed fields, a StopFilter and a StemFilter). Whoosh runs them as a chain of generators
passing one Token object along, a Python object and several calls per word: a large share
of indexing. ``FusedAnalysis gives the same terms, positions and character spans from the
analyzer's own parts (its pattern, stop list, sizes and stemmer) in one loop, and
``index_in_one_loop`` makes Whoosh's Positions and Frequency formats use it when they index
a string.
tests/test_reindex.py compares every field of every corpus article with Whoosh's chain.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from whoosh import formats
from whoosh.system import pack_uint
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

TERM_CACHE = 200_000  # distinct words whose terms are kept


class NotFusable(Exception):
    """The analyzer is not one of the chains FusedAnalysis reproduces."""


class FusedAnalysis:
    def __init__(self, analyzer):
        items = analyzer.items if isinstance(analyzer, CompositeAnalyzer) else [analyzer]
        shape = tuple(type(item) for item in items)
        if shape not in ((RegexTokenizer, LowercaseFilter), (RegexTokenizer, LowercaseFilter, StopFilter, StemFilter)):
            raise NotFusable(repr(analyzer))
        tokenizer = items[0]
        if tokenizer.gaps:
            raise NotFusable("a tokenizer that splits on its pattern")
        self.expression = tokenizer.expression
        # Every token's text at once (findall gives a group's text instead if there is one).
        self.findall = self.expression.findall if not self.expression.groups else \
            (lambda value: [match.group(0) for match in self.expression.finditer(value)])
        self.stops = items[2] if len(items) == 4 else None
        self.stemmer = items[3] if len(items) == 4 else None
        if self.stops is not None and not self.stops.renumber:
            raise NotFusable("a stop filter that keeps stopped words' positions")
        # Each word's term is worked out once (the stemmer's own cache is a Python-level LRU
        # that costs more than a dict lookup).
        self.terms = IndexTerms(self)

    def spans(self, value: str, removestops: bool = True):
        """(start, end, text, stopped) of each token, as the chain makes them with chars=True."""
        if self.stops is None:
            for match in self.expression.finditer(value):
                yield match.start(), match.end(), match.group(0).lower(), False
            return
        terms = self.terms
        for match in self.expression.finditer(value):
            text = match.group(0).lower()
            term = terms[text]
            if term:
                yield match.start(), match.end(), term, False
            elif not removestops:
                yield match.start(), match.end(), text, True

    def term_of(self, word: str) -> str:
        """The term a lowercased word is indexed as; '' for a word the stop filter drops."""
        stops = self.stops
        if stops is None:
            return word
        if len(word) < stops.min or (stops.max is not None and len(word) > stops.max) or word in stops.stops:
            return ""
        # never '': a stem keeps at least a letter of the word
        return word if word in self.stemmer.ignore else self.stemmer._stem(word)

    def positions(self, value: str) -> dict[str, list[int]]:
        """Each indexed term with its positions, in order of first appearance. Stop words are
        dropped and (as Whoosh's StopFilter renumbers) the words after the first kept one
        count on from it without them. (Words become terms through a dict, in C loops:
        this runs for every word indexed.)"""
        found: dict[str, list[int]] = defaultdict(list)
        words = map(str.lower, self.findall(value))
        if self.stops is None:
            for index, word in enumerate(words):
                found[word].append(index)
            return found
        terms = list(map(self.terms.__getitem__, words))
        first = next((index for index, term in enumerate(terms) if term), 0)
        for position, term in enumerate(filter(None, terms), first):
            found[term].append(position)
        return found

    def terms_of(self, value: str):
        """The indexed terms of ``value`` in order, repeats included (an iterator)."""
        words = map(str.lower, self.findall(value))
        if self.stops is None:  # the vocabulary field has every word
            return words
        return filter(None, map(self.terms.__getitem__, words))

    def frequencies(self, value: str) -> dict[str, int]:
        """Each indexed term with its count, in order of first appearance."""
        return Counter(self.terms_of(value))


class IndexTerms(dict):
    """Lowercased word -> the term it is indexed as ('' when dropped), filled as words come."""

    def __init__(self, analysis: FusedAnalysis):
        super().__init__()
        self.analysis = analysis

    def __missing__(self, word: str) -> str:
        if len(self) >= TERM_CACHE:
            self.clear()
        term = self[word] = self.analysis.term_of(word)
        return term


_FUSED: dict[int, tuple[object, FusedAnalysis | None]] = {}


def fused(analyzer) -> FusedAnalysis | None:
    """The fused form of an analyzer, made once (None when it cannot be fused)."""
    known = _FUSED.get(id(analyzer))
    if known is None or known[0] is not analyzer:
        try:
            made = FusedAnalysis(analyzer)
        except NotFusable:
            made = None
        known = _FUSED[id(analyzer)] = (analyzer, made)  # the analyzer is kept: its id stays its own
    return known[1]


def fused_for(value, analyzer, options: dict) -> FusedAnalysis | None:
    """The fused analysis when Whoosh indexes a plain string with no other options."""
    return fused(analyzer) if isinstance(value, str) and set(options) <= {"mode"} else None


class EncodedPositions(dict):
    """Positions list (as a tuple) -> Whoosh's encoding of it (the same for every Positions
    format), made when first asked. Most words stand once near the start of a short field, so
    a few thousand lists are most of a build's millions."""

    def __missing__(self, key: tuple[int, ...]) -> bytes:
        if len(self) >= ENCODED_KEPT:
            self.clear()
        encoded = self[key] = WHOOSH_POSITIONS.encode(list(key))
        return encoded


WHOOSH_POSITIONS = formats.Positions()
ENCODED_KEPT = 100_000
ENCODED = EncodedPositions()


def encoded_positions(positions: list[int]) -> bytes:
    return ENCODED[tuple(positions)]


def fused_postings(fast: FusedAnalysis, fmt, value: str) -> list[tuple[str, int, float, bytes]]:
    """(term, frequency, weight, value bytes) of each term of ``value``, as Whoosh's Positions
    or Frequency format ``fmt`` indexes it, through the fused analysis."""
    boost = fmt.field_boost
    if isinstance(fmt, formats.Positions):
        encode = encoded_positions if type(fmt) is formats.Positions else fmt.encode
        return [(word, len(found), float(len(found)) * boost, encode(found)) for word, found in fast.positions(value).items()]
    return [(word, count, float(count) * boost, pack_uint(count)) for word, count in fast.frequencies(value).items()]


def index_in_one_loop() -> None:
    """Let Whoosh's Positions and Frequency formats index a string through the fused analysis."""
    if getattr(formats.Positions, "_newsfinder_fused", False):
        return
    with_positions = formats.Positions.word_values
    with_frequencies = formats.Frequency.word_values

    def positions_word_values(self, value, analyzer, **kwargs):
        fast = fused_for(value, analyzer, kwargs)
        if fast is None:
            yield from with_positions(self, value, analyzer, **kwargs)
            return
        yield from fused_postings(fast, self, value)

    def frequency_word_values(self, value, analyzer, **kwargs):
        fast = fused_for(value, analyzer, kwargs)
        if fast is None:
            return with_frequencies(self, value, analyzer, **kwargs)
        return iter(fused_postings(fast, self, value))

    formats.Positions.word_values = positions_word_values
    formats.Frequency.word_values = frequency_word_values
    # Whoosh's own, kept for the test that compares the two.
    formats.Positions.whoosh_word_values = with_positions
    formats.Frequency.whoosh_word_values = with_frequencies
    formats.Positions._newsfinder_fused = True
