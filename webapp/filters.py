"""Filters: topic, provider, type, date range, minimum quality and published, as NumPy masks.

Values of one field are alternatives (topic=A&topic=B: either); fields combine with AND.
Each mask comes from arrays prepared when the index was opened (see snapshot.py), so a
filter costs a vector operation per query, not a scan of the postings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FACET_FILTERS = ("topic", "provider", "type")


@dataclass
class Filters:
    topic: list[str] = field(default_factory=list)
    provider: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    date_from: float | None = None  # seconds since the epoch, inclusive
    date_to: float | None = None  # seconds since the epoch, inclusive
    min_quality: int | None = None
    published: bool | None = None  # True: leave out articles whose file says `published: false`
    labels: dict[str, str] = field(default_factory=dict)  # the parameters as given, for echoing

    @property
    def active(self) -> bool:
        return bool(self.topic or self.provider or self.type or self.min_quality is not None
                    or self.date_from is not None or self.date_to is not None or self.published is not None)

    def to_json(self) -> dict:
        data = {name: getattr(self, name) for name in FACET_FILTERS if getattr(self, name)}
        for name in ("from", "to"):
            if name in self.labels:
                data[name] = self.labels[name]
        if self.min_quality is not None:
            data["min_quality"] = self.min_quality
        if self.published is not None:
            data["published"] = self.published
        return data


def filter_masks(snapshot, filters: Filters) -> dict[str, np.ndarray]:
    """One mask per constrained facet field, plus 'base' (live documents, dates, quality)."""
    base = snapshot.live.copy()
    published = snapshot.published
    if filters.date_from is not None:
        base &= ~np.isnan(published) & (published >= filters.date_from)
    if filters.date_to is not None:
        base &= ~np.isnan(published) & (published <= filters.date_to)
    if filters.min_quality is not None:
        base &= snapshot.quality >= filters.min_quality
    if filters.published is not None:
        base &= snapshot.unpublished != filters.published
    masks = {"base": base}
    for name in FACET_FILTERS:
        values = getattr(filters, name)
        if values:
            masks[name] = snapshot.facets[name].docs_with(values, snapshot.size)
    return masks


def combine(masks: dict[str, np.ndarray], leave_out: str | None = None) -> np.ndarray:
    """AND of all masks except ``leave_out`` (used for a facet's own counts)."""
    result = masks["base"].copy()
    for name, mask in masks.items():
        if name not in ("base", leave_out):
            result &= mask
    return result
