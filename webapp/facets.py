"""Facet counts for the current query: topic, provider, type and year.

A field's counts ignore that field's own filter (so a reader can add a second topic) but
honour every other filter. With story collapsing on, a facet counts stories, not articles,
so the count beside a value equals the total the reader gets by choosing it.
"""

from __future__ import annotations

import numpy as np

from webapp.filters import combine

FACET_NAMES = ("topic", "provider", "type", "year")


def count_values(snapshot, name: str, selected: np.ndarray, collapse: bool) -> np.ndarray:
    """Per value code of the facet, how many of the ``selected`` documents (or their stories) have it."""
    facet = snapshot.facets[name]
    docs, codes = facet.values_of(selected)
    size = len(facet.labels)
    if not collapse or not len(docs):
        return np.bincount(codes, minlength=size)
    # Only stories with several reports can count a value twice; most have one.
    shared = snapshot.story_shared[docs]
    counts = np.bincount(codes[~shared], minlength=size)
    if shared.any():
        keys = np.unique(snapshot.story[docs[shared]] * size + codes[shared])
        counts += np.bincount(keys % size, minlength=size)
    return counts


def facet_counts(snapshot, matched: np.ndarray, masks: dict, collapse: bool, size: int) -> dict[str, dict[str, int]]:
    """Top ``size`` values per facet as {label: count}, largest first (years newest first)."""
    result = {}
    # The matches are picked out of the masks once; facets without a filter of their own share them.
    filtered = matched[combine(masks)[matched]]
    for name in FACET_NAMES:
        selected = matched[combine(masks, leave_out=name)[matched]] if name in masks else filtered
        counts = count_values(snapshot, name, selected, collapse)
        facet = snapshot.facets[name]
        present = np.flatnonzero(counts)
        if name == "year":
            order = present[::-1]  # year labels are in ascending order: newest first
        else:
            order = present[np.lexsort((facet.label_rank[present], -counts[present]))]
        result[name] = {facet.labels[code]: int(counts[code]) for code in order[:size].tolist()}
    return result
