"""Story grouping: which articles are reports of one story, decided at index time.

Articles are taken oldest first, and each joins a story of the articles published within a
few days before it that share a distinctive word with it (``pick_story``), in this order of
evidence: its outlet's own earlier piece that it rewrites; an article it lists in its
``related`` coverage, or that lists it, when they are somewhat similar; the story whose
centroid is most similar (cosine of TF-IDF vectors over stemmed words, so "exposes 38 million
records" and "38M records exposed" meet), with a lower bar for a news piece a day from a news
report of the story; an article it nearly copies. Otherwise it starts a story. Searches show
one hit per story with "N more reports". The grouping is written next to the index as
``stories-<generation>.json`` so a searcher always reads the grouping of its own generation.

A reindex that changes a few articles does not regroup the whole collection: the changed
articles are placed among the stories of the articles published around them, by the same
rules (``place_changed``), and every other article keeps its story. A full reindex, or one
that changes many articles, regroups everything.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat
from operator import mul, truediv
from pathlib import Path

from indexer.whoosh_internals.fused_analysis import FusedAnalysis
from indexer.schema import text_analyzer

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
WINDOW_DAYS = 4.0
SIMILARITY = 0.3
NEAR_COPY = 0.8
OWN_REWRITE = 0.6
LINKED_SIMILARITY = 0.25
# Reports of one event word it differently (the judged pairs of one story have cosines down to
# 0.14), so a news piece published within a day of a news report of a story joins it at a lower
# similarity. Service pieces (guides, explainers, lists) are left out of this: many outlets write
# their own "best Druid build" in the same week, as alike as reports of one event and not one story.
CLOSE_NEWS_DAYS = 1.0
CLOSE_NEWS_SIMILARITY = 0.25
SERVICE_TITLE = re.compile(
    r"\b(best|guide|how (to|do)|explained|everything (we|you)|tips|what (is|are)|when (is|does)|where to|"
    r"will .* (be|have)|is .* (coming|on)|list|all )", re.IGNORECASE)
TITLE_WEIGHT = 2.0
# Words in more than 5 % of the articles, or in more than MAX_SHARED_ARTICLES, do not propose
# candidate pairs: a story has a few dozen reports at most, so a word that common names a
# topic, not a story. (At 100,000 articles, 5 % let words of 5,000 articles propose 8 million
# pairs, and the grouping took most of a reindex.)
MAX_SHARED_DF = 0.05
MAX_SHARED_ARTICLES = 500

WORDS = FusedAnalysis(text_analyzer()).terms_of  # the stemmed, stop-free words the index has


@dataclass
class StoryInput:
    id: str
    title: str
    excerpt: str
    published: float | None  # days since the epoch
    url: str | None
    related_urls: tuple[str, ...]
    provider: str | None = None


def story_input(payload: dict) -> StoryInput:
    published = payload.get("published")
    days = None
    if published:
        # the payload's "%Y-%m-%dT%H:%M:%SZ", read by the C parser (strptime is ten times slower)
        moment = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
        days = (moment - EPOCH).total_seconds() / 86400
    return StoryInput(
        id=payload["id"],
        title=payload.get("title") or "",
        excerpt=payload.get("excerpt") or "",
        published=days,
        url=normalize_url(payload.get("url")),
        related_urls=tuple(u for u in (normalize_url(r.get("url")) for r in payload.get("related") or []) if u),
        provider=(payload.get("provider_name") or "").strip().lower() or None,
    )


def normalize_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip().lower().split("#", 1)[0].rstrip("/")
    for prefix in ("https://", "http://"):
        if url.startswith(prefix):
            url = url[len(prefix):]
    return url.removeprefix("www.") or None


def weighted_terms(item: StoryInput) -> dict[str, float]:
    """Each word's count in the excerpt plus TITLE_WEIGHT times its count in the title
    (title words first, then the excerpt's others, in order of appearance)."""
    terms = Counter(WORDS(item.title))  # counted in C: this runs for every article
    for word in terms:
        terms[word] *= TITLE_WEIGHT
    terms.update(WORDS(item.excerpt))
    return terms


def tfidf_vectors(items: list[StoryInput]) -> tuple[list[dict[str, float]], Counter]:
    """Every article's unit tf-idf vector, and the document frequency of each word."""
    counts = [weighted_terms(item) for item in items]
    df = Counter(chain.from_iterable(counts))  # each article's words once
    idf = InverseFrequencies(df, len(items))
    vectors = [story_vector(terms, idf) for terms in counts]
    return vectors, df


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return dot(a, b)


def dot(short: dict[str, float], long: dict[str, float]) -> float:
    """Sum of products over ``short``'s terms, in its order (the loop runs in C: the grouping
    makes millions of these)."""
    return sum(map(mul, short.values(), map(long.get, short.keys(), repeat(0.0))))


def shared_word_limit(articles: int) -> float:
    """The most articles a word may be in and still propose that two of them are one story."""
    return max(2, min(MAX_SHARED_DF * articles, MAX_SHARED_ARTICLES))


def close_in_time(a: StoryInput, b: StoryInput) -> bool:
    if a.published is None or b.published is None:
        return False
    return abs(a.published - b.published) <= WINDOW_DAYS


def candidate_pairs(items: list[StoryInput], vectors, df) -> set[tuple[int, int]]:
    """Pairs sharing at least one distinctive word and published within WINDOW_DAYS, among
    ``items`` in date order (as group_stories numbers them).

    Each word's articles are walked in date order with a sliding window, so the work grows
    with the number of close pairs, not with the square of the word's frequency."""
    limit = shared_word_limit(len(items))
    distinctive = {term for term, count in df.items() if count <= limit}
    dates = [item.published for item in items]
    postings: dict[str, list[int]] = defaultdict(list)
    for number, vector in enumerate(vectors):
        if dates[number] is None:
            continue  # an article without a date is never grouped
        # in the vector's order, not a set's: a set of strings iterates in an order that
        # changes with each process's hash seed, and the order of the pairs breaks ties
        for term in filter(distinctive.__contains__, vector):
            postings[term].append(number)  # in date order, as the numbers are
    pairs = set()
    for numbers in postings.values():
        start = 0
        for i, b in enumerate(numbers):
            while dates[b] - dates[numbers[start]] > WINDOW_DAYS:
                start += 1
            pairs.update(zip(numbers[start:i], repeat(b)))  # (earlier, later): a < b
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


def group_stories(items: list[StoryInput]) -> dict[str, str]:
    """Map every article id to the id of its story (the earliest article id in the story).

    Articles are taken oldest first; each joins the most similar story among those of its
    candidate neighbours when its cosine with the story's centroid reaches SIMILARITY, or
    the story of an article it is linked with through ``related``. Comparing with the
    centroid, not with any single member, stops a chain of pairwise look-alikes from
    merging a busy week's distinct stories into one.
    """
    if not items:
        return {}
    # Numbered oldest first (then by id), so that ties between equally good candidates are
    # broken the same way whatever order the index returns the articles in.
    items = sorted(items, key=date_order)
    vectors, df = tfidf_vectors(items)
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in candidate_pairs(items, vectors, df):
        neighbours[a].add(b)
        neighbours[b].add(a)
    linked: dict[int, set[int]] = defaultdict(set)
    for a, b in related_links(items):
        linked[a].add(b)
        linked[b].add(a)
    story = [-1] * len(items)
    centroids: list[Centroid] = []
    outlets: list[set[str]] = []
    pieces: dict[str, list[int]] = defaultdict(list)  # each outlet's articles placed so far
    dates = [item.published for item in items]
    service = [is_service_piece(item) for item in items]
    order = range(len(items))
    for number in order:
        # An outlet reports a story once; a second piece from it the same week is another
        # story (its "best Druid build" beside its "best Sorcerer build"), unless it rewrites
        # the first (rewritten_story).
        provider = items[number].provider

        def open_to(code: int, provider=provider) -> bool:
            return code >= 0 and (provider is None or provider not in outlets[code])

        own = [] if provider is None or dates[number] is None else \
            [o for o in recent_pieces(number, pieces[provider], dates) if o in neighbours[number]]
        close = partial(close_news_stories, number, neighbours[number], story, dates, service)
        chosen = pick_story(number, vectors, story, centroids, neighbours[number], linked[number], open_to, own, close)
        if chosen < 0:
            chosen = len(centroids)
            centroids.append(Centroid())
            outlets.append(set())
        story[number] = chosen
        centroids[chosen].add(vectors[number])
        if provider:
            outlets[chosen].add(provider)
            if dates[number] is not None:
                pieces[provider].append(number)
    first_id: dict[int, str] = {}
    for number, code in enumerate(story):
        if code not in first_id or items[number].id < first_id[code]:
            first_id[code] = items[number].id
    return {items[n].id: first_id[story[n]] for n in range(len(items))}


def date_order(item: StoryInput) -> tuple:
    return (item.published is None, item.published or 0, item.id)


def place_changed(previous: dict[str, str], changed: list[StoryInput], nearby: list[StoryInput],
                  df: Counter, n: int) -> dict[str, str]:
    """The grouping after ``changed`` articles were added or rewritten (removed ones are simply
    absent from ``previous``'s survivors): each changed article, oldest first, joins a story
    of the ``nearby`` articles (those published around it, already grouped) by the rules of
    group_stories, or starts its own. Weights use the collection's document frequencies ``df``."""
    story_of = dict(previous)
    nearby, changed = sorted(nearby, key=date_order), sorted(changed, key=date_order)
    items = nearby + changed
    idf = InverseFrequencies(df, n)
    vectors = [story_vector(weighted_terms(item), idf) for item in items]
    dates = [item.published for item in items]
    service = [is_service_piece(item) for item in items]
    keys = [story_of.get(item.id) for item in nearby] + [None] * len(changed)
    codes: dict[str, int] = {}
    story = [codes.setdefault(key, len(codes)) if key else -1 for key in keys]
    key_of = list(codes)
    centroids: list[Centroid] = [Centroid() for _ in codes]
    outlets: list[set[str]] = [set() for _ in codes]
    for number, code in enumerate(story):
        if code >= 0:
            centroids[code].add(vectors[number])
            if items[number].provider:
                outlets[code].add(items[number].provider)
    limit = shared_word_limit(n)
    linked: dict[int, set[int]] = defaultdict(set)
    for a, b in related_links(items):
        linked[a].add(b)
        linked[b].add(a)
    order = range(len(nearby), len(items))
    for number in order:
        item = items[number]
        if item.published is None:
            story_of[item.id] = item.id
            continue
        neighbours = {other for other in range(len(items)) if other != number and story[other] >= 0
                      and close_in_time(item, items[other])
                      and any(df[t] <= limit and t in vectors[other] for t in vectors[number])}

        def open_to(code: int, provider=item.provider) -> bool:
            return code >= 0 and (provider is None or provider not in outlets[code])

        own = [o for o in neighbours if item.provider and items[o].provider == item.provider]
        close = partial(close_news_stories, number, neighbours, story, dates, service)
        chosen = pick_story(number, vectors, story, centroids, neighbours, linked[number], open_to, own, close)
        if chosen < 0:
            chosen = len(centroids)
            centroids.append(Centroid())
            outlets.append(set())
            key_of.append(item.id)
        story[number] = chosen
        centroids[chosen].add(vectors[number])
        if item.provider:
            outlets[chosen].add(item.provider)
        story_of[item.id] = key_of[chosen]
    return story_of


class InverseFrequencies(dict):
    """term -> its inverse document frequency among ``n`` articles, worked out once per term."""

    def __init__(self, df, n: int):
        super().__init__()
        self.df, self.n = df, n

    def __missing__(self, term: str) -> float:
        value = self[term] = math.log((self.n + 1) / (self.df[term] + 0.5))
        return value


def story_vector(terms: dict[str, float], idf: InverseFrequencies) -> dict[str, float]:
    """An article's tf-idf vector, scaled to unit length (in C loops: one per article)."""
    weights = list(map(mul, map(DAMPED.__getitem__, terms.values()), map(idf.__getitem__, terms)))
    norm = math.sqrt(sum(map(mul, weights, weights))) or 1.0
    return dict(zip(terms, map(truediv, weights, repeat(norm))))


class DampedCounts(dict):
    """A word's weighted count -> 1 + its log (counts are positive: weighted_terms adds
    1 or TITLE_WEIGHT per occurrence), worked out once per value."""

    def __missing__(self, count: float) -> float:
        value = self[count] = 1 + math.log(count)
        return value


DAMPED = DampedCounts()


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
    """The story of an earlier report this article nearly copies, even if the story has drifted.
    A story of one report in ``compared`` is that report: its cosine fell short of SIMILARITY,
    so of NEAR_COPY."""
    best, best_score = -1, 0.0
    for other in neighbours:
        if story[other] >= 0 and not (story[other] in compared and centroids[story[other]].reports == 1):
            score = cosine(vectors[number], vectors[other])
            if score >= NEAR_COPY and score > best_score:
                best, best_score = story[other], score
    return best


def is_service_piece(item: StoryInput) -> bool:
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
    """The story of the outlet's own earlier piece that this article rewrites, or -1.

    An outlet's second version of a piece (republished, updated, syndicated under its name)
    joins the first one's story before any story is compared as a whole: the outlet rule keeps
    it out of that story otherwise, and it starts a second one. On the judged pairs, an outlet's
    two pieces on one story have cosines of 0.67-1.0, its pieces on different stories 0.51 at most."""
    best, best_score = -1, 0.0
    for other in own_pieces:
        if story[other] >= 0:
            score = cosine(vectors[number], vectors[other])
            if score >= OWN_REWRITE and score > best_score:
                best, best_score = story[other], score
    return best


def recent_pieces(number: int, pieces: list[int], dates: list) -> list[int]:
    """The articles in ``pieces`` (numbers in date order, all before ``number``) published
    within WINDOW_DAYS before it: walked from the newest, so the cost is the window's, not the
    outlet's whole output."""
    recent = []
    for other in reversed(pieces):
        if dates[number] - dates[other] > WINDOW_DAYS:
            break
        recent.append(other)
    return recent


class Centroid(dict):
    """A story's summed report vectors, keeping its squared length as reports join, so the
    cosine with it costs one pass over the (short) article vector."""

    norm_sq = 0.0
    reports = 0

    def add(self, vector: dict[str, float]) -> None:
        self.reports += 1
        if self.reports == 1:  # most stories have one report: copied in C, the same sums
            self.update(vector)
            self.norm_sq = sum(map(pow, vector.values(), repeat(2)))
            return
        for term, value in vector.items():
            old = self.get(term, 0.0)
            self[term] = old + value
            self.norm_sq += (old + value) ** 2 - old * old

    def cosine(self, vector: dict[str, float]) -> float:
        """Cosine with a unit ``vector``."""
        return dot(vector, self) / (math.sqrt(max(self.norm_sq, 0.0)) or 1.0)


def stories_path(index_dir: Path, generation: int) -> Path:
    return Path(index_dir) / f"stories-{generation}.json"


class GroupingAhead:
    """The grouping of a new index's articles, computed in a thread from what the reindex
    parsed while Whoosh's writer processes finish their segments (the reindex itself only
    waits for them then); otherwise it ran after them on one core."""

    def __init__(self, items: list[StoryInput]):
        self.story_of: dict[str, str] | None = None
        self.thread = threading.Thread(target=self.group, args=(items,), name="newsfinder-stories", daemon=True)
        self.thread.start()

    def group(self, items: list[StoryInput]) -> None:
        self.story_of = group_stories(items)

    def result(self) -> dict[str, str] | None:
        """The grouping, or None if it failed (the caller groups the committed index)."""
        self.thread.join()
        return self.story_of


def write_stories(index_dir: Path, generation: int, story_of: dict[str, str], same_as: Path | None = None) -> None:
    """Write the grouping for one index generation (atomically) and drop older ones. A
    grouping ``same_as`` an earlier file's (an edit that kept its article in its story) is
    linked to it: encoding 100,000 entries again is a tenth of a second."""
    target = stories_path(index_dir, generation)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    if not (same_as is not None and linked(same_as, tmp)):
        tmp.write_text(json.dumps(story_of, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)
    for old in Path(index_dir).glob("stories-*.json"):
        if old != target and old.stem.split("-")[-1].isdigit() and int(old.stem.split("-")[-1]) < generation - 1:
            old.unlink(missing_ok=True)


def linked(source: Path, link: Path) -> bool:
    try:
        os.link(source, link)
        return True
    except OSError:  # no hard links on this file system, or a stale temporary file
        return False


def read_stories(index_dir: Path, generation: int) -> dict[str, str]:
    """The grouping written for ``generation``, or else the newest one before it (articles
    it does not know are their own story until the grouping catches up)."""
    candidates = [(int(p.stem.split("-")[-1]), p) for p in Path(index_dir).glob("stories-*.json")
                  if p.stem.split("-")[-1].isdigit()]
    for number, path in sorted(candidates, reverse=True):
        if number <= generation:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return {}
