"""Copies and near-copies of one report (syndication, an outlet's piece republished elsewhere or
updated under the same title): found by fingerprints, whatever their outlets.

Each article's title and excerpt become a set of consecutive word pairs; SIGNATURE_SIZE
min-hashes of that set, cut into BANDS bands, file it in one bucket per band, and a title of
MIN_TITLE_WORDS or more files it in one more bucket. Two articles whose word pairs are
COPY_SIMILARITY alike (Jaccard) share a band's bucket with high probability, two unlike ones
rarely, so an article is compared with a few bucket mates, never with all articles: the cost is
linear whatever the dates and outlets (BUCKET_LOOKS bounds a bucket of thousands of copies).
Only buckets of two articles or more are kept.
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_left
from collections import defaultdict

import numpy as np

from indexer.stories.vectors import StoryInput

COPY_SIMILARITY = 0.7
COPY_DAYS = 30.0  # a copy comes out within weeks; the same words a season later are a new piece
BANDS, ROWS = 6, 4
SIGNATURE_SIZE = BANDS * ROWS
BUCKET_LOOKS = 4  # the bucket mates an article is compared with on either side in time, per bucket
MIN_PAIRS = 4  # fewer word pairs than this (a bare title) is too little to fingerprint
MIN_TITLE_WORDS = 4  # "Diablo 4 review" from two outlets is two reviews

WORD = re.compile(r"\w+")
PRIME = (1 << 31) - 1
_draw = np.random.default_rng(20261204)  # fixed: fingerprints must agree across processes
MULTIPLIERS = _draw.integers(1, PRIME, SIGNATURE_SIZE, dtype=np.uint64)
OFFSETS = _draw.integers(0, PRIME, SIGNATURE_SIZE, dtype=np.uint64)
ROW_MIX = _draw.integers(1, 1 << 62, ROWS, dtype=np.uint64)
PAIR_MIX = np.uint64(_draw.integers(1 << 20, PRIME))
CHUNK = 1024  # articles fingerprinted per numpy pass (bounds the temporary arrays)
UNDATED = float("inf")  # undated articles sort last, and are copies of undated ones only


class Texts:
    """Every article's title and excerpt words as numbers of one vocabulary (made for this
    run: only articles of one run are compared), concatenated; ``ends[n]``: where article
    ``n``'s words end, ``title_lengths[n]``: how many of them are its title's."""

    def __init__(self, items: list[StoryInput]):
        vocabulary: dict[str, int] = {}
        codes: list[int] = []
        ends, title_lengths = [], []
        for item in items:
            title = WORD.findall(item.title.lower())
            words = title + WORD.findall(item.excerpt.lower())
            codes.extend([vocabulary.setdefault(word, len(vocabulary)) for word in words])
            ends.append(len(codes))
            title_lengths.append(len(title))
        self.codes = np.array(codes, dtype=np.uint64)
        self.ends = np.array(ends, dtype=np.int64)
        self.starts = np.concatenate(([0], self.ends[:-1])).astype(np.int64) if ends else self.ends.copy()
        self.title_lengths = np.array(title_lengths, dtype=np.int64)

    def title(self, number: int) -> np.ndarray:
        start = self.starts[number]
        return self.codes[start:start + self.title_lengths[number]]

    def pairs(self, number: int) -> np.ndarray:
        """The distinct hashes of the article's consecutive word pairs (title, then excerpt)."""
        words = self.codes[self.starts[number]:self.ends[number]]
        return np.unique(pair_hashes(words[:-1], words[1:]))

    def all_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Every consecutive pair's hash, and whether it lies within one article (not across two)."""
        hashes = pair_hashes(self.codes[:-1], self.codes[1:])
        within = np.ones(len(hashes), dtype=bool)
        within[self.ends[self.ends < len(self.codes)] - 1] = False
        return hashes, within


def pair_hashes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return (first * PAIR_MIX + second) % PRIME


def signatures(texts: Texts) -> np.ndarray:
    """The SIGNATURE_SIZE min-hashes of every article's word pairs (one row per article; a
    row of PRIME where there are too few pairs to fingerprint)."""
    count = len(texts.ends)
    result = np.full((count, SIGNATURE_SIZE), PRIME, dtype=np.uint64)
    hashes, within = texts.all_pairs()
    # two past the end, left out: an empty last article's range must still index something
    hashes, within = np.r_[hashes, 0, 0].astype(np.uint64), np.r_[within, False, False]
    for first in range(0, count, CHUNK):
        last = min(count, first + CHUNK)
        low, high = texts.starts[first], texts.ends[last - 1] + 1
        permuted = (hashes[None, low:high] * MULTIPLIERS[:, None] + OFFSETS[:, None]) % PRIME
        permuted[:, ~within[low:high]] = PRIME
        result[first:last] = np.minimum.reduceat(permuted, texts.starts[first:last] - low, axis=1).T
    too_few = texts.ends - texts.starts - 1 < MIN_PAIRS
    result[too_few] = PRIME
    return result


def bucket_columns(items: list[StoryInput], texts: Texts) -> list[np.ndarray]:
    """Per band, then for the title: every article's bucket (0: none)."""
    signature = signatures(texts)
    fingerprinted = signature[:, 0] != PRIME
    columns = []
    for band in range(BANDS):
        rows = signature[:, band * ROWS:(band + 1) * ROWS]
        columns.append(np.where(fingerprinted, (rows * ROW_MIX).sum(axis=1) | 1, 0).astype(np.uint64))
    # the title's word numbers, already made by Texts, hashed: the same title, the same bucket
    columns.append(np.fromiter((zlib.crc32(texts.title(n).tobytes()) + 1 if length >= MIN_TITLE_WORDS else 0
                                for n, length in enumerate(texts.title_lengths)), dtype=np.uint64, count=len(items)))
    return columns


def shared_buckets(column: np.ndarray) -> list[np.ndarray]:
    """The groups of two or more articles with the same bucket (not 0) in ``column``."""
    order = np.argsort(column, kind="stable")
    ordered = column[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(ordered)]
    return [order[s:e] for s, e in zip(starts, ends) if e - s > 1 and ordered[s] != 0]


def same_title(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether one title holds every word of the other: a copy's title is the original's, at
    most with words added (an outlet's name, "reaction"); a series' next piece changes one
    ("September" to "October") and is not a copy, however alike the rest."""
    return a <= b or b <= a


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


class CopyFinder:
    """The articles sharing a bucket with another, each bucket in date order: where an article
    being placed finds the report it copies."""

    def __init__(self, items: list[StoryInput]):
        self.dates = [UNDATED if item.published is None else item.published for item in items]
        self.texts = Texts(items)
        self.buckets: defaultdict[int, list[list[int]]] = defaultdict(list)
        for column in bucket_columns(items, self.texts):
            for members in shared_buckets(column):
                mates = sorted(members.tolist(), key=self.when)
                for number in mates:
                    self.buckets[number].append(mates)

    def when(self, number: int) -> tuple[float, int]:
        return self.dates[number], number

    def copied(self, number: int, placed) -> int:
        """The ``placed`` article (``placed(n)``) that ``number`` copies most closely
        (``likeness`` COPY_SIMILARITY or more) within COPY_DAYS, or -1."""
        best, best_score = -1, COPY_SIMILARITY
        compared = set()
        for mates in self.buckets.get(number, ()):
            for other in self.closest(mates, number):
                if other in compared or not placed(other) or abs(self.dates[other] - self.dates[number]) > COPY_DAYS:
                    continue
                compared.add(other)
                score = self.likeness(number, other)
                if score > best_score or (score == best_score and best < 0):
                    best, best_score = other, score
        return best

    def closest(self, mates: list[int], number: int) -> list[int]:
        """Up to BUCKET_LOOKS of the bucket ``mates`` on either side of ``number`` in time."""
        at = bisect_left(mates, self.when(number), key=self.when)
        return mates[max(0, at - BUCKET_LOOKS):at] + mates[at + 1:at + 1 + BUCKET_LOOKS]

    def likeness(self, number: int, other: int) -> float:
        """How alike two articles' word pairs are (Jaccard), if their titles allow a copy: one
        holds every word of the other; an identical title of MIN_TITLE_WORDS or more is a copy
        whatever the excerpts (an outlet's excerpt is its own, the piece is the same)."""
        mine, theirs = self.texts.title(number), self.texts.title(other)
        if len(mine) >= MIN_TITLE_WORDS and np.array_equal(mine, theirs):
            return 1.0
        if not same_title(frozenset(mine.tolist()), frozenset(theirs.tolist())):
            return 0.0
        pairs = self.texts.pairs(number)
        return 0.0 if len(pairs) < MIN_PAIRS else jaccard(pairs, self.texts.pairs(other))
