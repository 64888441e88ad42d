"""The collapse stage: one hit per story, the story's other matching reports beside it, and
the count of stories a search found."""

from __future__ import annotations

import numpy as np

from webapp.matching import Matches
from webapp.ranking import order_hits


def collapse_stories(order: np.ndarray, stories: np.ndarray) -> np.ndarray:
    """Keep the first position of each story, in display order."""
    if len(order) == 0:
        return order
    _, first = np.unique(stories[order], return_index=True)
    return order[np.sort(first)]


def story_members(snapshot, matches: Matches, keep: np.ndarray, factor: np.ndarray, sort: str,
                  page: np.ndarray) -> dict[int, np.ndarray]:
    """Per position of the page whose story has other matching reports: those reports, in
    display order (confirmed). The page's stories are picked out of the matches in one pass,
    not one pass per hit (a common word matches half the collection)."""
    docs = matches.docs[keep]
    shared = [int(p) for p in page if snapshot.story_shared[docs[p]]]
    if not shared:
        return {}  # most stories have one report: nothing to look for
    stories = snapshot.story[docs]
    candidates = np.flatnonzero(np.isin(stories, stories[shared], kind="table"))  # one pass, not one per story
    if matches.pending is not None:
        matches.pending.settle(keep[candidates], matches.scores)
    reports = {}
    for position in shared:
        members = candidates[(stories[candidates] == stories[position]) & (candidates != position)]
        text = matches.scores[keep[members]]
        order = order_hits(sort, docs[members], text * factor[members], snapshot.published[docs[members]],
                           snapshot.quality[docs[members]], None if matches.tiers is None else matches.tiers[keep[members]])
        reports[position] = members[order]
    return reports


def count_stories(stories: np.ndarray) -> int:
    return int(np.count_nonzero(np.bincount(stories))) if len(stories) else 0
