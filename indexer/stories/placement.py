"""Placing articles in stories oldest first: the one routine of the full grouping and of placing changed articles."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from itertools import chain, repeat

from indexer.stories.rules import close_news_stories, is_service_piece, pick_story
from indexer.stories.vectors import Centroid, StoryInput, tfidf_vectors

WINDOW_DAYS = 4.0
# Words in more than 5 % of the articles, or in more than MAX_SHARED_ARTICLES, do not propose
# candidate pairs: a story has a few dozen reports at most, so a word that common names a
# topic, not a story (and in a large collection its pairs would outnumber all the others).
MAX_SHARED_DF = 0.05
MAX_SHARED_ARTICLES = 500


def group_stories(items: list[StoryInput]) -> dict[str, str]:
    """Map every article id to the id of its story (the earliest article id in the story),
    placing all of them."""
    if not items:
        return {}
    # Numbered oldest first (then by id), so that ties between equally good candidates are
    # broken the same way whatever order the index returns the articles in.
    items = sorted(items, key=date_order)
    vectors, df = tfidf_vectors(items)
    story = place_stories(items, vectors, [-1] * len(items), distinctive_words(df, df, len(items)), range(len(items)))
    first_id: dict[int, str] = {}
    for number, code in enumerate(story):
        if code not in first_id or items[number].id < first_id[code]:
            first_id[code] = items[number].id
    return {items[n].id: first_id[story[n]] for n in range(len(items))}


def place_changed(previous: dict[str, str], changed: list[StoryInput], nearby: list[StoryInput],
                  df, n: int) -> dict[str, str]:
    """The grouping after ``changed`` articles were added or rewritten (removed ones are simply
    absent from ``previous``'s survivors): each changed article, oldest first, is placed among
    the stories of the ``nearby`` articles (those published around it, already grouped) and of
    the changed ones placed before it; every other article keeps its story. Weights use the
    collection's document frequencies ``df`` among ``n`` articles."""
    story_of = dict(previous)
    nearby, changed = sorted(nearby, key=date_order), sorted(changed, key=date_order)
    items = nearby + changed
    vectors, _ = tfidf_vectors(items, df, n)
    codes: dict[str, int] = {}
    story = [codes.setdefault(key, len(codes)) if key else -1 for key in (story_of.get(item.id) for item in nearby)]
    story = place_stories(items, vectors, story + [-1] * len(changed),
                          distinctive_words(set(chain.from_iterable(vectors)), df, n), range(len(nearby), len(items)))
    key_of = list(codes)
    for number in range(len(nearby), len(items)):
        if story[number] == len(key_of):  # a story this article started
            key_of.append(items[number].id)
        story_of[items[number].id] = key_of[story[number]]
    return story_of


def place_stories(items: list[StoryInput], vectors, story: list[int], distinctive: set[str], to_place) -> list[int]:
    """Every article's story number (``story``: those of the articles placed already,
    numbered from 0, and -1) after placing the articles numbered ``to_place``, oldest first.

    Each article joins a story of the articles published within WINDOW_DAYS of it that share
    a ``distinctive`` word with it (its neighbours), by ``pick_story``'s order of evidence: its
    outlet's own piece that it rewrites; an article it lists in its ``related`` coverage, or
    that lists it, when they are somewhat similar; the story whose centroid is most similar
    (so a chain of pairwise look-alikes does not merge a busy week's distinct stories), with a
    lower bar for a news piece a day from a news report of the story; an article it nearly
    copies. Otherwise it starts a story. An outlet reports a story once: a second piece from it
    is another story unless it rewrites the first."""
    neighbours = both_ways(candidate_pairs(items, vectors, distinctive))
    linked = both_ways(related_links(items))
    dates = [item.published for item in items]
    service = [is_service_piece(item) for item in items]
    providers = [item.provider for item in items]
    centroids = [Centroid() for _ in range(max(story, default=-1) + 1)]
    outlets: list[set[str]] = [set() for _ in centroids]
    for number, code in enumerate(story):
        if code >= 0:
            add_report(number, code, vectors, providers, centroids, outlets)
    for number in to_place:
        provider = providers[number]

        def open_to(code: int, provider=provider) -> bool:
            return code >= 0 and (provider is None or provider not in outlets[code])

        own = outlet_pieces(provider, neighbours[number], story, providers)
        close = partial(close_news_stories, number, neighbours[number], story, dates, service)
        chosen = pick_story(number, vectors, story, centroids, neighbours[number], linked[number], open_to, own, close)
        if chosen < 0:
            chosen = len(centroids)
            centroids.append(Centroid())
            outlets.append(set())
        story[number] = chosen
        add_report(number, chosen, vectors, providers, centroids, outlets)
    return story


def add_report(number, code, vectors, providers, centroids, outlets) -> None:
    centroids[code].add(vectors[number])
    if providers[number]:
        outlets[code].add(providers[number])


def outlet_pieces(provider, neighbours, story, providers) -> list[int]:
    """The neighbours placed already that come from ``provider``'s outlet, the latest first."""
    if provider is None:
        return []
    return sorted((other for other in neighbours if providers[other] == provider and story[other] >= 0), reverse=True)


def both_ways(pairs) -> defaultdict[int, set[int]]:
    """Each article's partners in ``pairs``."""
    partners: defaultdict[int, set[int]] = defaultdict(set)
    for a, b in pairs:
        partners[a].add(b)
        partners[b].add(a)
    return partners


def shared_word_limit(articles: int) -> float:
    """The most articles a word may be in and still propose that two of them are one story."""
    return max(2, min(MAX_SHARED_DF * articles, MAX_SHARED_ARTICLES))


def distinctive_words(words, df, n: int) -> set[str]:
    """Those of ``words`` that may propose pairs, by their document frequency ``df`` among ``n`` articles."""
    limit = shared_word_limit(n)
    return {word for word in words if df[word] <= limit}


def close_in_time(a: StoryInput, b: StoryInput) -> bool:
    if a.published is None or b.published is None:
        return False
    return abs(a.published - b.published) <= WINDOW_DAYS


def date_order(item: StoryInput) -> tuple:
    return (item.published is None, item.published or 0, item.id)


def candidate_pairs(items: list[StoryInput], vectors, distinctive: set[str]) -> set[tuple[int, int]]:
    """Pairs of dated articles sharing at least one ``distinctive`` word and published within
    WINDOW_DAYS of each other, the earlier first.

    Each word's articles are walked in date order with a sliding window, so the work grows
    with the number of close pairs, not with the square of the word's frequency."""
    dates = [item.published for item in items]
    postings: dict[str, list[int]] = defaultdict(list)
    for number in sorted((n for n, date in enumerate(dates) if date is not None), key=dates.__getitem__):
        # in the vector's order, not a set's: a set of strings iterates in an order that
        # changes with each process's hash seed, and the order of the pairs breaks ties
        for term in filter(distinctive.__contains__, vectors[number]):
            postings[term].append(number)
    pairs = set()
    for numbers in postings.values():
        start = 0
        for i, b in enumerate(numbers):
            while dates[b] - dates[numbers[start]] > WINDOW_DAYS:
                start += 1
            pairs.update(zip(numbers[start:i], repeat(b)))
    return pairs


def related_links(items: list[StoryInput]) -> list[tuple[int, int]]:
    """Pairs where one article lists the other, or both list the same coverage."""
    by_url = {item.url: n for n, item in enumerate(items) if item.url}
    cited_by: dict[str, list[int]] = defaultdict(list)
    links = []
    for number, item in enumerate(items):
        for url in item.related_urls:
            cited_by[url].append(number)
            other = by_url.get(url)
            if other is not None and other != number and close_in_time(item, items[other]):
                links.append((number, other))
    for numbers in cited_by.values():
        for other in numbers[1:]:
            if close_in_time(items[numbers[0]], items[other]):
                links.append((numbers[0], other))
    return links
