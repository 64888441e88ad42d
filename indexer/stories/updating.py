"""Keeping the stories file in step with each committed index generation (all grouped, or the changed placed)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from indexer.schema import published_seconds
from indexer.stories.files import shared_stories, stories_path, stories_problem, write_stories
from indexer.stories.copies import COPY_DAYS
from indexer.stories.placement import NEIGHBOURS, WINDOW_DAYS, group_stories, place_changed, shared_word_limit
from indexer.stories.vectors import WORDS, StoryInput, story_input, weighted_terms

# A reindex changing at most this share of the articles places only them in stories; more
# changes regroup the collection (the rules are the same; the full pass also settles stories
# that the changes would have merged or split long ago).
REGROUP_SHARE = 0.02


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


def update_stories(ix, build: Path, touched: set[str] | None = None, story_of: dict[str, str] | None = None) -> None:
    """Group the committed articles into stories, once per Whoosh generation: only the
    ``touched`` ones when few changed since the last grouping, else all of them (or write
    ``story_of``, the grouping of every committed article made ahead)."""
    generation = ix.latest_generation()
    if stories_problem(stories_path(build, generation)) is None:
        return  # written already (a damaged file is written again)
    if story_of is not None:
        write_stories(build, generation, story_of)
        return
    previous = stories_path(build, generation - 1)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        if touched is not None and previous.exists() and len(touched) <= REGROUP_SHARE * reader.doc_count():
            before = json.loads(previous.read_text(encoding="utf-8"))
            story_of = regroup_touched(searcher, before, touched)
            write_stories(build, generation, story_of, same_as=previous if shared_stories(story_of) == before else None)
            return
        story_of = group_stories([story_input(json.loads(fields["payload"])) for fields in reader.all_stored_fields()])
    write_stories(build, generation, story_of)


def regroup_touched(searcher, previous: dict[str, str], touched: set[str]) -> dict[str, str]:
    """Place the added and changed articles among the stories of the articles published
    around them that share a distinctive word with them (and those stories' other reports)."""
    reader = searcher.reader()
    changed = sorted(d for d in (searcher.document_number(id=doc_id) for doc_id in touched) if d is not None)
    changed_items = [stored_story_input(reader, d) for d in changed]
    n, df = reader.doc_count(), DocFrequencies(reader)
    nearby_items = [stored_story_input(reader, d) for d in nearby_docnums(reader, changed, changed_items, df, n)]
    mates = (searcher.document_number(id=doc_id) for doc_id in story_mates(previous, nearby_items, touched))
    nearby_items += [stored_story_input(reader, d) for d in mates if d is not None]
    survivors = dict(previous)
    for doc_id in touched:
        survivors.pop(doc_id, None)
    return place_changed(survivors, changed_items, nearby_items, df, n)


def nearby_docnums(reader, changed: list[int], changed_items: list[StoryInput], df, n: int) -> list[int]:
    """The other articles a changed one may join: those sharing a word of its title within
    COPY_DAYS (where its copies are), then those sharing a word of its title or excerpt within
    WINDOW_DAYS (its neighbours), each NEIGHBOURS at most, rarer words first."""
    days = published_seconds(reader) / 86_400  # days since 1970, NaN without a date
    limit = shared_word_limit(n)
    sharing: set[int] = set()
    for item, docnum in zip(changed_items, changed):
        if np.isnan(days[docnum]):
            continue
        terms = sorted((term for term in weighted_terms(item) if df[term] <= limit), key=lambda term: (df[term], term))
        title = set(WORDS(item.title))
        sharing |= closest_sharing(reader, days, docnum, [t for t in terms if t in title], ("title",), COPY_DAYS)
        sharing |= closest_sharing(reader, days, docnum, terms, ("title", "excerpt"), WINDOW_DAYS)
    sharing.difference_update(changed)
    return sorted(sharing)


def closest_sharing(reader, days: np.ndarray, docnum: int, terms: list[str], fields, span: float) -> set[int]:
    """Up to NEIGHBOURS articles within ``span`` days of ``docnum`` having one of ``terms`` in
    one of ``fields``: a rarer term's first, the closest in time first."""
    found: dict[int, None] = {}  # an ordered set
    for term in terms:
        for name in fields:
            if (name, term) not in reader:
                continue
            ids = np.fromiter(reader.postings(name, term).all_ids(), dtype=np.int64)
            distance = np.abs(days[ids] - days[docnum])
            within = np.flatnonzero(distance <= span)
            nearest = within[np.argsort(distance[within], kind="stable")]
            found.update(dict.fromkeys(ids[nearest[:max(0, NEIGHBOURS + 1 - len(found))]].tolist()))
        if len(found) > NEIGHBOURS:  # the article itself is among them
            break
    found.pop(docnum, None)
    return set(found)


def story_mates(previous: dict[str, str], nearby_items: list[StoryInput], touched: set[str]) -> list[str]:
    """The other reports of the nearby articles' stories: a candidate story's centroid needs them too."""
    keys = {previous.get(item.id) for item in nearby_items} - {None}
    known = {item.id for item in nearby_items} | touched
    return [doc_id for doc_id, key in previous.items() if key in keys and doc_id not in known]


def stored_story_input(reader, docnum: int) -> StoryInput:
    return story_input(json.loads(reader.stored_fields(docnum)["payload"]))


class DocFrequencies(dict):
    """The collection's document frequency of a word in titles or excerpts, as the full
    grouping counts it: at least its frequency in either field (looked up when first asked)."""

    def __init__(self, reader):
        super().__init__()
        self.reader = reader

    def __missing__(self, term: str) -> int:
        value = max(self.reader.doc_frequency("title", term), self.reader.doc_frequency("excerpt", term))
        self[term] = value
        return value
