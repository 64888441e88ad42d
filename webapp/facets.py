"""Facet counts for the current query: topic, provider, type and year.

A field's counts ignore that field's own filter (so a reader can add a second topic) but
honour every other filter. With story collapsing on, a facet counts stories, not articles,
so the count beside a value equals the total the reader gets by choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """Documents whose values a facet counts, with what collapsing asks of them once for
    every facet that counts the same documents."""

    docs: np.ndarray
    shared: np.ndarray | None  # per document, whether its story has other reports; None: not collapsing
    _counted: Counted | None = field(default=None, init=False, repr=False)
    _reports: np.ndarray | None = field(default=None, init=False, repr=False)

    @classmethod
    def of(cls, snapshot, docs: np.ndarray, collapse: bool) -> Selection:
        return cls(docs, snapshot.story_shared[docs] if collapse else None)

    def counted(self, snapshot) -> Counted:
        """The documents that count each value once: all of them, or, collapsing, those
        whose story has no other report."""
        if self._counted is None:
            self._counted = Counted(snapshot, self.docs, self.shared)
        return self._counted

    def reports(self) -> np.ndarray:
        """The selected documents whose story has other reports (collapsing only)."""
        if self._reports is None:
            self._reports = self.docs[self.shared]
        return self._reports


class Counted:
    """Documents whose facet values are counted from the shorter side: a common word's
    matches are most of the collection, and counting the documents it does not match, to
    take from the collection's own counts, reads far fewer of them."""

    def __init__(self, snapshot, docs: np.ndarray, shared: np.ndarray | None):
        """``docs`` and, collapsing, which of them report a story with other reports (those
        are counted by story, not here)."""
        self.lone = shared is not None
        self.universe = snapshot.countable(self.lone)  # every document that can be counted here
        counted = len(docs) - (int(np.count_nonzero(shared)) if self.lone else 0)
        self.docs, self.rest = None, None
        if counted > COMPLEMENT_SHARE * self.universe.count:
            outside = self.universe.mask.copy()
            outside[docs] = False  # the reports of shared stories are not in the universe
            self.rest = np.flatnonzero(outside)
        else:
            self.docs = docs[~shared] if self.lone else docs

    def count(self, snapshot, name: str) -> np.ndarray:
        facet = snapshot.facets[name]
        if self.rest is None:
            return facet.count(self.docs)
        return snapshot.facet_totals(name, self.lone) - facet.count(self.rest)


def count_values(snapshot, name: str, selection: Selection) -> np.ndarray:
    """Per value code of the facet, how many of the selected documents (or, collapsing,
    their stories) have it."""
    counts = selection.counted(snapshot).count(snapshot, name)
    # Only stories with several reports can count a value twice; most have one.
    if selection.shared is not None and len(selection.reports()):
        facet = snapshot.facets[name]
        width = len(facet.labels) + 1
        reports = selection.reports()
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
