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
CHUNK = 1024  # articles fingerprinted per numpy pass (bounds the temporary arrays)
UNDATED = float("inf")  # undated articles sort last, and are copies of undated ones only


def word_pairs(item: StoryInput) -> np.ndarray:
    """The sorted distinct hashes of the article's consecutive word pairs (title, then excerpt)."""
    words = WORD.findall(f"{item.title} {item.excerpt}".lower())
    pairs = {zlib.crc32(f"{a} {b}".encode()) for a, b in zip(words, words[1:])}
    return np.fromiter(sorted(pairs), dtype=np.uint64, count=len(pairs))


def title_words(item: StoryInput) -> list[str]:
    return WORD.findall(item.title.lower())


def signatures(pair_sets: list[np.ndarray]) -> np.ndarray:
    """The SIGNATURE_SIZE min-hashes of every article's word pairs (one row per article; a
    row of PRIME where there are too few pairs to fingerprint)."""
    result = np.full((len(pair_sets), SIGNATURE_SIZE), PRIME, dtype=np.uint64)
    for start in range(0, len(pair_sets), CHUNK):
        chunk = pair_sets[start:start + CHUNK]
        counted = [n for n, pairs in enumerate(chunk) if len(pairs) >= MIN_PAIRS]
        if not counted:
            continue
        hashes = np.concatenate([chunk[n] for n in counted])
        bounds = np.cumsum([0] + [len(chunk[n]) for n in counted[:-1]])
        permuted = (hashes[None, :] * MULTIPLIERS[:, None] + OFFSETS[:, None]) % PRIME
        result[start + np.array(counted)] = np.minimum.reduceat(permuted, bounds, axis=1).T
    return result


def bucket_columns(items: list[StoryInput], pair_sets: list[np.ndarray]) -> list[np.ndarray]:
    """Per band, then for the title: every article's bucket (0: none)."""
    signature = signatures(pair_sets)
    fingerprinted = signature[:, 0] != PRIME
    columns = []
    for band in range(BANDS):
        rows = signature[:, band * ROWS:(band + 1) * ROWS]
        columns.append(np.where(fingerprinted, (rows * ROW_MIX).sum(axis=1) | 1, 0).astype(np.uint64))
    titles = (title_words(item) for item in items)
    columns.append(np.fromiter((zlib.crc32(" ".join(words).encode()) + 1 if len(words) >= MIN_TITLE_WORDS else 0
                                for words in titles), dtype=np.uint64, count=len(items)))
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
        self.items = items
        self.dates = [UNDATED if item.published is None else item.published for item in items]
        pair_sets = [word_pairs(item) for item in items]
        self.buckets: defaultdict[int, list[list[int]]] = defaultdict(list)
        for column in bucket_columns(items, pair_sets):
            for members in shared_buckets(column):
                mates = sorted(members.tolist(), key=self.when)
                for number in mates:
                    self.buckets[number].append(mates)
        self.pairs = {number: pair_sets[number] for number in self.buckets}

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
        mine, theirs = title_words(self.items[number]), title_words(self.items[other])
        if mine == theirs and len(mine) >= MIN_TITLE_WORDS:
            return 1.0
        pairs, other_pairs = self.pairs_of(number), self.pairs_of(other)
        if not same_title(frozenset(mine), frozenset(theirs)) or len(pairs) < MIN_PAIRS:
            return 0.0
        return jaccard(pairs, other_pairs)

    def pairs_of(self, number: int) -> np.ndarray:
        """An article's word pairs: kept for those in a shared bucket, else worked out again."""
        pairs = self.pairs.get(number)
        return word_pairs(self.items[number]) if pairs is None else pairs
