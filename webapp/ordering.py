"""The order stage: the head of the display order, exact for the requested page although
phrase bonuses are confirmed only for the articles that could reach it."""

from __future__ import annotations

import numpy as np

from webapp.collapse import collapse_stories
from webapp.matching import Matches
from webapp.ranking import order_head


def settle_top(snapshot, request, matches: Matches, keep: np.ndarray, factor: np.ndarray, sort: str,
               need: int, tiers: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text scores, the head of the display order and its story leaders, exact for the first
    ``need`` leaders.

    A pending score is an upper bound, so once every article up to the ``need``-th leader
    is confirmed no article below can overtake one: confirming lowers a score or keeps it.
    Only the head of the order that can hold ``need`` leaders is sorted. ``tiers``: per kept
    position, the matching strategy's tier, which orders before the score."""
    docs = matches.docs[keep]
    published, quality, stories = snapshot.published[docs], snapshot.quality[docs], snapshot.story[docs]
    pending = matches.pending
    count = max(4 * need, 64)
    while True:
        text = matches.scores[keep]
        scores = text * factor
        order = order_head(sort, docs, scores, published, quality, count, tiers)
        leaders = collapse_stories(order, stories) if request.collapse else order
        if len(leaders) < need and len(order) < len(docs):
            count *= 4  # many reports of few stories: look deeper
            continue
        if pending is None:
            return text, order, leaders
        last = int(np.flatnonzero(order == leaders[min(need, len(leaders)) - 1])[0]) if len(leaders) else -1
        unsettled = keep[order[: last + 1]]
        unsettled = unsettled[pending.pending[unsettled]]
        if not len(unsettled):
            return text, order, leaders
        if sort == "relevance":
            unsettled = np.union1d(unsettled, reaching_bounds(request, matches, keep, factor, stories, need, tiers))
        pending.settle(unsettled, matches.scores)


def reaching_bounds(request, matches: Matches, keep: np.ndarray, factor: np.ndarray, stories: np.ndarray,
                    need: int, grouped: np.ndarray | None) -> np.ndarray:
    """The pending articles whose upper bound reaches the least the page's last leader can
    score (its score without unconfirmed bonuses): exactly the ones that must be confirmed,
    found at once instead of a few per round."""
    pending = matches.pending
    waiting = pending.pending[keep]
    lower = np.where(waiting, pending.base[keep], matches.scores[keep]) * factor
    tiers = grouped if grouped is not None else np.zeros(len(keep), np.int64)
    count = max(4 * need, 64)
    while True:
        head = order_head("relevance", matches.docs[keep], lower, lower, lower, count, grouped)
        leaders = collapse_stories(head, stories) if request.collapse else head
        if len(leaders) >= need or len(head) == len(lower):
            break
        count *= 4
    if len(leaders) < need:
        return keep[np.flatnonzero(waiting)]
    last = leaders[need - 1]
    reaching = (tiers < tiers[last]) | ((tiers == tiers[last]) & (matches.scores[keep] * factor >= lower[last]))
    return keep[np.flatnonzero(waiting & reaching)]
