"""The rules deciding which story an article joins, in order of evidence (``pick_story``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from indexer.stories.vectors import cosine

SIMILARITY = 0.3
NEAR_COPY = 0.8
OWN_REWRITE = 0.6
LINKED_SIMILARITY = 0.25
# Reports of one event word it differently (judged pairs of one story can be far less alike
# than SIMILARITY), so a news piece published within a day of a news report of a story joins it
# at a lower similarity. Service pieces (guides, explainers, lists) are left out of this: many
# outlets write their own "best Druid build" in the same week, as alike as reports of one event
# and not one story.
CLOSE_NEWS_DAYS = 1.0
CLOSE_NEWS_SIMILARITY = 0.25
SERVICE_TITLE = re.compile(
    r"\b(best|guide|how (to|do)|explained|everything (we|you)|tips|what (is|are)|when (is|does)|where to|"
    r"will .* (be|have)|is .* (coming|on)|list|all )", re.IGNORECASE)


@dataclass
class Placing:
    """An article being placed and what it is compared with: its ``neighbours`` (placed
    articles around it sharing a distinctive word), the placed articles it is ``linked`` with,
    the neighbours from its own outlet (``own_pieces``, the latest first), the stories it may
    join (``open_to``) and those it may join at CLOSE_NEWS_SIMILARITY (``close()``, worked
    out only for a story that needs it). ``alike[other]``: its cosine with another article,
    computed once (several rules compare the same neighbours)."""

    vector: dict[str, float]
    alike: dict[int, float]
    neighbours: list[int]
    linked: list[int]
    own_pieces: list[int]
    open_to: Callable[[int], bool]
    close: Callable[[], set[int]]


class Cosines(dict):
    """other -> the cosine of one article's vector with another's, worked out when first asked."""

    def __init__(self, vectors, number: int):
        super().__init__()
        self.vectors, self.vector = vectors, vectors[number]

    def __missing__(self, other: int) -> float:
        value = self[other] = cosine(self.vector, self.vectors[other])
        return value


def pick_story(placing: Placing, story: list[int], centroids) -> int:
    """The story the article joins (-1: a story of its own), by the first rule that finds one."""
    rewritten = rewritten_story(placing, story)
    if rewritten >= 0:
        return rewritten
    linked = linked_similar_story(placing, story)
    if linked >= 0:
        return linked
    compared = {story[n] for n in placing.neighbours if placing.open_to(story[n])}
    similar = most_similar_story(placing.vector, centroids, compared, placing.close)
    if similar >= 0:
        return similar
    return near_copy_story(placing, story, centroids, compared)


def most_similar(candidates, story, alike, threshold: float) -> int:
    """The story of the most alike of ``candidates`` (placed articles), at ``threshold`` or
    more (the first of equals), or -1."""
    best, best_score = -1, threshold
    for other in candidates:
        score = alike[other]
        if score > best_score or (score == best_score and best < 0):
            best, best_score = story[other], score
    return best


def linked_similar_story(placing: Placing, story) -> int:
    """The story of the linked article most similar to this one, at LINKED_SIMILARITY or more,
    or -1. A related-coverage link is evidence, not proof: sites list loosely related pieces too."""
    open_links = [other for other in placing.linked if placing.open_to(story[other])]
    return most_similar(open_links, story, placing.alike, LINKED_SIMILARITY)


def most_similar_story(vector, centroids, compared, close) -> int:
    """The ``compared`` story whose centroid is most similar to ``vector``, at SIMILARITY or
    more; failing that, the most similar of ``close()`` at CLOSE_NEWS_SIMILARITY or more."""
    best, best_score, near = -1, 0.0, []
    for candidate in compared:
        score = centroids[candidate].cosine(vector)
        if score >= SIMILARITY and score > best_score:
            best, best_score = candidate, score
        elif score >= CLOSE_NEWS_SIMILARITY:
            near.append((score, candidate))
    if best >= 0 or not near:
        return best
    close_stories = close()
    return next((candidate for _, candidate in sorted(near, reverse=True) if candidate in close_stories), -1)


def near_copy_story(placing: Placing, story, centroids, compared) -> int:
    """The story of a report placed already that this article nearly copies, even if the story has drifted.
    A story of one report in ``compared`` is that report: its cosine fell short of SIMILARITY,
    so of NEAR_COPY."""
    candidates = [other for other in placing.neighbours
                  if story[other] >= 0 and not (story[other] in compared and centroids[story[other]].reports == 1)]
    return most_similar(candidates, story, placing.alike, NEAR_COPY)


def is_service_piece(item) -> bool:
    return SERVICE_TITLE.search(item.title) is not None


def close_news_stories(number, neighbours, story, dates, service) -> set[int]:
    """The stories of the news reports among the neighbours published within CLOSE_NEWS_DAYS
    of a news piece (none for a service piece)."""
    if service[number]:
        return set()
    when = dates[number]
    return {story[n] for n in neighbours
            if story[n] >= 0 and not service[n] and abs(dates[n] - when) <= CLOSE_NEWS_DAYS}


def rewritten_story(placing: Placing, story) -> int:
    """The story of a piece of the same outlet, placed already, that this article rewrites, or -1.

    An outlet's second version of a piece (republished, updated, syndicated under its name)
    joins the first one's story before any story is compared as a whole: the outlet rule keeps
    it out of that story otherwise, and it starts a second one. On the judged pairs, an outlet's
    two pieces on one story are more alike than OWN_REWRITE, its pieces on different stories less."""
    return most_similar(placing.own_pieces, story, placing.alike, OWN_REWRITE)
