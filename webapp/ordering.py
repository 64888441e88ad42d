"""The order stage: the head of the display order, exact for the requested page although
phrase bonuses are confirmed only for the articles that could reach it."""

from __future__ import annotations

import numpy as np

from webapp.collapse import first_of_each_story
from webapp.matching import Matches
from webapp.ranking import order_head


def settle_top(snapshot, request, matches: Matches, keep: np.ndarray, docs: np.ndarray, factor: np.ndarray,
               sort: str, need: int, tiers: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text scores, the head of the display order and its story leaders, exact for the first
    ``need`` leaders.

    A pending score is an upper bound, so once every article up to the ``need``-th leader
    is confirmed no article below can overtake one: confirming lowers a score or keeps it.
    Only the head of the order that can hold ``need`` leaders is sorted. The first round
    confirms the articles up to that leader; when bonuses are lost and more rounds are
    needed, each confirms the whole head and the next head is four times longer, so a query
    whose bonuses few articles earn costs a few rounds, not a confirmation of every article
    whose bound is high. ``docs``: the allowed matches (``matches.docs[keep]``); ``tiers``:
    per kept position, the matching strategy's tier, which orders before the score."""
    pending = matches.pending
    count = max(4 * need, 64)
    rounds = 0
    while True:
        text = matches.scores[keep]
        scores = text * factor
        order = order_head(sort, docs, scores, snapshot.published, snapshot.quality, count, tiers)
        leaders = first_of_each_story(order, snapshot.story[docs[order]]) if request.collapse else order
        if len(leaders) < need and len(order) < len(docs):
            count *= 4  # many reports of few stories: look deeper
            continue
        if pending is None:
            return text, order, leaders
        last = int(np.flatnonzero(order == leaders[min(need, len(leaders)) - 1])[0]) if len(leaders) else -1
        if not pending.pending[keep[order[: last + 1]]].any():
            return text, order, leaders
        head = keep[order[: last + 1]] if rounds == 0 else keep[order]
        pending.settle(head[pending.pending[head]], matches.scores)
        rounds += 1
        count *= 4  # confirmed bonuses that were lost let articles further down rise
