"""Placing articles in stories oldest first: the one routine of the full grouping and of placing changed articles."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from functools import partial
from itertools import chain

from indexer.stories.copies import CopyFinder
from indexer.stories.rules import Cosines, Placing, close_news_stories, is_service_piece, pick_story
from indexer.stories.vectors import Centroid, StoryInput, tfidf_vectors

WINDOW_DAYS = 4.0
# Words in more than 5 % of the articles, or in more than MAX_SHARED_ARTICLES, do not propose
# candidate pairs: a story has a few dozen reports at most, so a word that common names a
# topic, not a story (and in a large collection its pairs would outnumber all the others).
MAX_SHARED_DF = 0.05
MAX_SHARED_ARTICLES = 500
NEIGHBOURS = 64  # the most placed articles one article is compared with


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
    # an article the grouping does not list is a story of its own (indexer/stories/files.py)
    story = [codes.setdefault(story_of.get(item.id, item.id), len(codes)) for item in nearby]
    story = place_stories(items, vectors, story + [-1] * len(changed),
                          distinctive_words(set(chain.from_iterable(vectors)), df, n), range(len(nearby), len(items)))
    key_of = list(codes)
    for number in range(len(nearby), len(items)):
        if story[number] == len(key_of):  # a story this article started
            key_of.append(items[number].id)
        story_of[items[number].id] = key_of[story[number]]
    return story_of


def place_stories(items: list[StoryInput], vectors, story: list[int], distinctive: dict[str, int], to_place) -> list[int]:
    """Every article's story number (``story``: those of the articles placed already,
    numbered from 0, and -1) after placing the articles numbered ``to_place``, oldest first.

    A copy or near-copy of a placed article (``CopyFinder``) joins that article's story,
    whatever its outlet and date. Any other article joins a story of its neighbours
    (``PlacedWords.neighbours``: placed articles published within WINDOW_DAYS of it that share
    a ``distinctive`` word with it), by ``pick_story``'s order of evidence: its outlet's own
    piece that it rewrites; an article it lists in its ``related`` coverage, or that lists it,
    when they are somewhat similar; the story whose centroid is most similar (so a chain of
    pairwise look-alikes does not merge a busy week's distinct stories), with a lower bar for a
    news piece a day from a news report of the story; an article it nearly copies. Otherwise it
    starts a story. An outlet reports a story once: a second piece from it is another story
    unless it rewrites the first."""
    placer = StoryPlacer(items, vectors, story, distinctive)
    for number in to_place:
        placer.place(number)
    return placer.story


class StoryPlacer:
    """The stories as articles are placed: each one's centroid and outlets, and where to find
    an article's neighbours and copies among the placed."""

    def __init__(self, items: list[StoryInput], vectors, story: list[int], distinctive: dict[str, int]):
        self.vectors, self.story = vectors, story
        self.linked = both_ways(related_links(items))
        self.dates = [item.published for item in items]
        self.service = [is_service_piece(item) for item in items]
        self.providers = [item.provider for item in items]
        self.words = [sorted(filter(distinctive.__contains__, vector), key=lambda w: (distinctive[w], w))
                      for vector in vectors]
        self.placed, self.copies = PlacedWords(), CopyFinder(items)
        self.centroids = [Centroid() for _ in range(max(story, default=-1) + 1)]
        self.outlets: list[set[str]] = [set() for _ in self.centroids]
        for number in sorted((n for n, code in enumerate(story) if code >= 0), key=lambda n: date_order(items[n])):
            self.join(number, story[number])

    def place(self, number: int) -> None:
        copied = self.copies.copied(number, lambda other: self.story[other] >= 0)
        chosen = self.story[copied] if copied >= 0 else pick_story(self.placing(number), self.story, self.centroids)
        if chosen < 0:
            chosen = len(self.centroids)
            self.centroids.append(Centroid())
            self.outlets.append(set())
        self.join(number, chosen)

    def placing(self, number: int) -> Placing:
        provider, story = self.providers[number], self.story
        neighbours = self.placed.neighbours(self.dates[number], self.words[number])

        def open_to(code: int) -> bool:
            return code >= 0 and (provider is None or provider not in self.outlets[code])

        return Placing(
            vector=self.vectors[number],
            alike=Cosines(self.vectors, number),
            neighbours=neighbours,
            linked=[other for other in sorted(self.linked[number]) if story[other] >= 0],
            own_pieces=outlet_pieces(provider, neighbours, story, self.providers),
            open_to=open_to,
            close=partial(close_news_stories, number, neighbours, story, self.dates, self.service),
        )

    def join(self, number: int, code: int) -> None:
        self.story[number] = code
        self.centroids[code].add(self.vectors[number])
        if self.providers[number]:
            self.outlets[code].add(self.providers[number])
        self.placed.add(number, self.dates[number], self.words[number])


class PlacedWords:
    """For each distinctive word, the placed articles that have it, in date order: where an
    article being placed finds its neighbours."""

    def __init__(self):
        self.dates: defaultdict[str, list[float]] = defaultdict(list)
        self.numbers: defaultdict[str, list[int]] = defaultdict(list)

    def add(self, number: int, date: float | None, words: list[str]) -> None:
        if date is None:
            return  # an undated article is nobody's neighbour
        for word in words:
            dates, numbers = self.dates[word], self.numbers[word]
            at = len(dates) if not dates or date >= dates[-1] else bisect_right(dates, date)
            dates.insert(at, date)
            numbers.insert(at, number)

    def neighbours(self, date: float | None, words: list[str]) -> list[int]:
        """The placed articles within WINDOW_DAYS of ``date`` that share one of ``words`` (rarest
        first), at most NEIGHBOURS of them: a rare word's articles before a common one's, the
        closest in time first. The bound keeps the placement linear when thousands of articles
        share a date (a bulk import, a feed without times), where every word's window holds
        them all."""
        found: dict[int, None] = {}  # an ordered set
        if date is None:
            return []
        for word in words:
            dates = self.dates.get(word)
            if not dates:
                continue
            low, high = bisect_left(dates, date - WINDOW_DAYS), bisect_right(dates, date + WINDOW_DAYS)
            room = NEIGHBOURS - len(found)
            if high - low > room:
                middle = bisect_left(dates, date, low, high)
                low, high = max(low, middle - room // 2), min(high, middle + room - room // 2)
            found.update(dict.fromkeys(self.numbers[word][low:high]))
            if len(found) >= NEIGHBOURS:
                break
        return sorted(found)


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


def distinctive_words(words, df, n: int) -> dict[str, int]:
    """Those of ``words`` that may propose neighbours, with their document frequency ``df``
    among ``n`` articles (the rarer, the more telling)."""
    limit = shared_word_limit(n)
    return {word: df[word] for word in words if df[word] <= limit}


def close_in_time(a: StoryInput, b: StoryInput) -> bool:
    if a.published is None or b.published is None:
        return False
    return abs(a.published - b.published) <= WINDOW_DAYS


def date_order(item: StoryInput) -> tuple:
    return (item.published is None, item.published or 0, item.id)


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
