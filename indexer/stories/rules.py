"""The rules deciding which story an article joins, in order of evidence (``pick_story``)."""

from __future__ import annotations

import re

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


def pick_story(number, vectors, story, centroids, neighbours, linked, open_to, own_pieces, close) -> int:
    """The story article ``number`` joins (-1: a story of its own). ``own_pieces``: the
    articles of its outlet among its neighbours; ``close()``: the stories it may join at
    CLOSE_NEWS_SIMILARITY (close_news_stories, worked out only for a story that needs it)."""
    rewritten = rewritten_story(number, vectors, story, own_pieces)
    if rewritten >= 0:
        return rewritten
    # A related-coverage link is evidence, not proof: sites list loosely related pieces too.
    for other in linked:
        if open_to(story[other]) and cosine(vectors[number], vectors[other]) >= LINKED_SIMILARITY:
            return story[other]
    compared = {story[n] for n in neighbours if open_to(story[n])}
    similar = most_similar_story(vectors[number], centroids, compared, close)
    if similar >= 0:
        return similar
    return near_copy_story(number, vectors, story, centroids, neighbours, compared)


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


def near_copy_story(number, vectors, story, centroids, neighbours, compared) -> int:
    """The story of a report placed already that this article nearly copies, even if the story has drifted.
    A story of one report in ``compared`` is that report: its cosine fell short of SIMILARITY,
    so of NEAR_COPY."""
    best, best_score = -1, 0.0
    for other in neighbours:
        if story[other] >= 0 and not (story[other] in compared and centroids[story[other]].reports == 1):
            score = cosine(vectors[number], vectors[other])
            if score >= NEAR_COPY and score > best_score:
                best, best_score = story[other], score
    return best


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


def rewritten_story(number, vectors, story, own_pieces) -> int:
    """The story of a piece of the same outlet, placed already, that this article rewrites, or -1.

    An outlet's second version of a piece (republished, updated, syndicated under its name)
    joins the first one's story before any story is compared as a whole: the outlet rule keeps
    it out of that story otherwise, and it starts a second one. On the judged pairs, an outlet's
    two pieces on one story are more alike than OWN_REWRITE, its pieces on different stories less."""
    best, best_score = -1, 0.0
    for other in own_pieces:
        if story[other] >= 0:
            score = cosine(vectors[number], vectors[other])
            if score >= OWN_REWRITE and score > best_score:
                best, best_score = story[other], score
    return best
