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


@dataclass
class Selection:
    """Documents whose values a facet counts, with what collapsing asks of them once for
    every facet that counts the same documents."""

    docs: np.ndarray
    shared: np.ndarray | None  # per document, whether its story has other reports; None: not collapsing

    @classmethod
    def of(cls, snapshot, docs: np.ndarray, collapse: bool) -> Selection:
        return cls(docs, snapshot.story_shared[docs] if collapse else None)


def count_values(snapshot, name: str, selection: Selection) -> np.ndarray:
    """Per value code of the facet, how many of the selected documents (or, collapsing,
    their stories) have it."""
    facet = snapshot.facets[name]
    entries, codes = facet.values_of(selection.docs)
    width = len(facet.labels) + 1  # the last code: no value
    if selection.shared is None:
        return np.bincount(codes, minlength=width)[:-1]
    # Only stories with several reports can count a value twice; most have one.
    shared = selection.shared if entries is None else snapshot.story_shared[entries]
    counts = np.bincount(codes[~shared], minlength=width)
    if shared.any():
        reports = (selection.docs if entries is None else entries)[shared]
        pairs = snapshot.story[reports] * width + codes[shared]
        distinct, _ = distinct_codes(pairs, snapshot.story_codes * width)
        counts += np.bincount(distinct % width, minlength=width)
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
