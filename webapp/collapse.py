"""The collapse stage: one hit per story, the story's other matching reports beside it, and
the count of stories a search found."""

from __future__ import annotations

import numpy as np

from webapp.matching import Matches
from webapp.ranking import order_hits
from webapp.results import report_json


def collapse_stories(order: np.ndarray, stories: np.ndarray) -> np.ndarray:
    """Keep the first position of each story, in display order (``stories``: per position)."""
    return first_of_each_story(order, stories[order])


def first_of_each_story(order: np.ndarray, order_stories: np.ndarray) -> np.ndarray:
    """The positions of ``order`` that come first in their story (``order_stories``: the story
    of each), in display order."""
    if len(order) == 0:
        return order
    _, first = np.unique(order_stories, return_index=True)
    return order[np.sort(first)]


def other_reports(stories: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each of ``positions``, how many other positions of ``stories`` are its story's."""
    if len(positions) == 0:
        return np.zeros(0, dtype=np.int64)
    _, inverse, counts = np.unique(stories, return_inverse=True, return_counts=True)
    return counts[inverse[positions]] - 1


def story_entries(snapshot, docs: np.ndarray, order: np.ndarray, limit: int) -> list[dict]:
    """The first ``limit`` stories of ``docs`` (taken in ``order``), each as its leading report
    with ``more``: how many other reports of its story are among ``docs``."""
    stories = snapshot.story[docs]
    leaders = collapse_stories(order, stories)[:limit]
    more = other_reports(stories, leaders)
    return [{**report_json(snapshot, int(docs[p])), "more": int(m)} for p, m in zip(leaders, more)]


def story_members(snapshot, matches: Matches, keep: np.ndarray, docs: np.ndarray, factor: np.ndarray, sort: str,
                  shown: list[int]) -> dict[int, np.ndarray]:
    """Per hit shown (docnum) whose story has other matching reports: those reports (docnums),
    in display order (confirmed). ``keep``: the positions of every allowed match, ``docs``
    their docnums, ``factor`` their ranking factors. The page's stories are picked out of the matches in one pass, not
    one pass per hit (a common word matches half the collection)."""
    shared = [docnum for docnum in shown if snapshot.story_shared[docnum]]
    if not shared:
        return {}  # most stories have one report: nothing to look for
    stories = snapshot.story[docs]
    candidates = np.flatnonzero(np.isin(stories, snapshot.story[shared], kind="table"))  # one pass, not one per story
    if matches.pending is not None:
        matches.pending.settle(keep[candidates], matches.scores)
    reports = {}
    for docnum in shared:
        members = candidates[(stories[candidates] == snapshot.story[docnum]) & (docs[candidates] != docnum)]
        order = order_hits(sort, docs[members], matches.scores[keep[members]] * factor[members],
                           snapshot.published, snapshot.quality,
                           None if matches.tiers is None else matches.tiers[keep[members]])
        reports[docnum] = docs[members[order]]
    return reports
