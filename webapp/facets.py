"""Facet counts for the current query: topic, provider, type and year.

A field's counts ignore that field's own filter (so a reader can add a second topic) but
honour every other filter. With story collapsing on, a facet counts stories, not articles,
so the count beside a value equals the total the reader gets by choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from webapp.filters import combine
from webapp.snapshot import distinct_codes

FACET_NAMES = ("topic", "provider", "type", "year")
# Above this share of the countable documents, the facets count the documents not selected
# and take them from the collection's counts: finding them is a pass over the collection,
# which pays once the selection is most of it (BENCHMARKS.md, 2026-12-06).
COMPLEMENT_SHARE = 0.75


@dataclass
class Selection:
    """Documents whose values a facet counts, with what collapsing asks of them, worked out
    once for every facet that counts the same documents."""

    docs: np.ndarray
    reports: np.ndarray | None  # those whose story has other reports (counted by story); None: not collapsing
    counted: Counted  # the others, each counting its values once

    @classmethod
    def of(cls, snapshot, docs: np.ndarray, collapse: bool) -> Selection:
        shared = snapshot.story_shared[docs] if collapse else None
        return cls(docs, docs[shared] if collapse else None, Counted(snapshot, docs, shared))


class Counted:
    """Documents whose facet values are counted from the shorter side: a common word's
    matches are most of the collection, and counting the documents it does not match, to
    take from the collection's own counts, reads far fewer of them."""

    def __init__(self, snapshot, docs: np.ndarray, shared: np.ndarray | None):
        """``docs`` and, collapsing, which of them report a story with other reports (those
        are counted by story, not here)."""
        self.snapshot = snapshot
        self.lone = shared is not None
        universe = snapshot.countable(self.lone)  # every document that can be counted here
        counted = len(docs) - (int(np.count_nonzero(shared)) if self.lone else 0)
        self.docs, self.rest = None, None
        if counted > COMPLEMENT_SHARE * universe.count:
            outside = universe.mask.copy()
            outside[docs] = False  # the reports of shared stories are not in the universe
            self.rest = np.flatnonzero(outside)
        else:
            self.docs = docs[~shared] if self.lone else docs

    def count(self, name: str) -> np.ndarray:
        facet = self.snapshot.facets[name]
        if self.rest is None:
            return facet.count(self.docs)
        return self.snapshot.facet_totals(name, self.lone) - facet.count(self.rest)


def count_values(snapshot, name: str, selection: Selection) -> np.ndarray:
    """Per value code of the facet, how many of the selected documents (or, collapsing,
    their stories) have it."""
    counts = selection.counted.count(name)
    # Only stories with several reports can count a value twice; most have one.
    reports = selection.reports
    if reports is not None and len(reports):
        facet = snapshot.facets[name]
        width = len(facet.labels) + 1
        entries, codes = facet.values_of(reports)
        pairs = snapshot.story[reports if entries is None else entries] * width + codes
        distinct, _ = distinct_codes(pairs, snapshot.story_codes * width)
        counts = counts + np.bincount(distinct % width, minlength=width)
    return counts[:-1]


def facet_counts(snapshot, matched: np.ndarray, allowed: np.ndarray, masks: dict, collapse: bool,
                 size: int) -> dict[str, dict[str, int]]:
    """Top ``size`` values per facet as {label: count}, largest first (years newest first).
    ``matched``: every match; ``allowed``: those every filter allows, which the facets
    without a filter of their own share."""
    result = {}
    filtered = Selection.of(snapshot, allowed, collapse)
    for name in FACET_NAMES:
        selection = Selection.of(snapshot, matched[combine(masks, leave_out=name)[matched]], collapse) if name in masks else filtered
        counts = count_values(snapshot, name, selection)
        facet = snapshot.facets[name]
        present = np.flatnonzero(counts)
        if name == "year":
            order = present[::-1]  # year labels are in ascending order: newest first
        else:
            order = present[np.lexsort((facet.label_rank[present], -counts[present]))]
        result[name] = {facet.labels[code]: int(counts[code]) for code in order[:size].tolist()}
    return result
