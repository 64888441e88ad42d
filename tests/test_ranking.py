"""Ranking: BM25F relevance blended with quality, and exactness against an exhaustive ranking."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.build import reindex
from tests.conftest import article_fields, write_article
from webapp.query import QueryParser
from webapp.ranking import DEFAULT_QUALITY_WEIGHT, quality_factor, story_factor
from webapp.engine import SearchEngine
from webapp.search import SearchRequest


def ranked_ids(index_dir, q, **engine_options):
    engine = SearchEngine(index_dir, **engine_options)
    return [hit["id"] for hit in engine.search(SearchRequest(q=q, per_page=50, collapse=False))["hits"]]


def test_quality_breaks_ties_between_comparable_matches(seeds, index_dir):
    excerpt = "The regional council approved the new cycling lanes on Tuesday."
    write_article(seeds, "low.md", **article_fields("Council approves cycling lanes", excerpt, quality=40))
    write_article(seeds, "high.md", **article_fields("Council approves cycling lanes", excerpt, quality=140))
    write_article(seeds, "none.md", **article_fields("Council approves cycling lanes", excerpt, quality=None))
    reindex(seeds, index_dir)
    assert ranked_ids(index_dir, "cycling lanes") == ["high", "low", "none"]
    # Pure BM25F cannot tell them apart, which is why the order above comes from quality.
    engine = SearchEngine(index_dir, quality_weight=0.0)
    scores = {hit["score"] for hit in engine.search(SearchRequest(q="cycling lanes", collapse=False))["hits"]}
    assert len(scores) == 1


def test_a_far_better_match_beats_a_higher_quality_one(seeds, index_dir):
    write_article(seeds, "strong.md", quality=0, **{k: v for k, v in article_fields(
        "Solar eclipse visible across the continent",
        "The solar eclipse will be visible from most cities; the eclipse lasts four minutes.").items() if k != "quality"})
    write_article(seeds, "weak.md", **article_fields(
        "Weekend guide to museums and markets",
        "Museums, markets and, for early risers, a partial solar eclipse.", quality=189))
    reindex(seeds, index_dir)
    assert ranked_ids(index_dir, "solar eclipse") == ["strong", "weak"]


def test_words_side_by_side_rank_above_the_same_words_a_word_apart(seeds, index_dir, monkeypatch):
    # The same words, the same length: only their order tells the two apart.
    write_article(seeds, "apart.md", **article_fields("Weekend notes", "The night food market opens by the river."))
    write_article(seeds, "together.md", **article_fields("Weekend notes", "The food night market opens by the river."))
    reindex(seeds, index_dir)

    def scores(**options):
        hits = SearchEngine(index_dir, **options).search(SearchRequest(q="night market", collapse=False))["hits"]
        return {hit["id"]: hit["score"] for hit in hits}

    with_adjacency = scores()
    assert list(with_adjacency) == ["together", "apart"]
    assert with_adjacency["together"] > with_adjacency["apart"]
    # Both have the words within the phrase slop; without the side-by-side bonus they tie.
    monkeypatch.setattr("webapp.ranking.ADJACENT_BOOSTS", {})
    monkeypatch.setattr("webapp.query.ADJACENT_BOOSTS", {})
    without = scores()
    assert without["together"] == without["apart"] < with_adjacency["together"]


def test_quality_factor_never_exceeds_one_and_bounds_the_effect():
    weight = DEFAULT_QUALITY_WEIGHT
    assert quality_factor(0, weight) == pytest.approx(1 - weight)
    assert quality_factor(10_000, weight) == 1.0
    assert quality_factor(-5, weight) == pytest.approx(1 - weight)
    # A lead of 1 / (1 - w) in text relevance cannot be overturned by quality.
    assert (1 / (1 - weight)) * quality_factor(0, weight) >= quality_factor(10_000, weight)


def test_weight_zero_is_pure_bm25f(small_index):
    engine = SearchEngine(small_index, quality_weight=0.0)
    response = engine.search(SearchRequest(q="privacy", explain=True))
    assert {hit["explain"]["quality_factor"] for hit in response["hits"]} == {1.0}


def reference_top(engine, q, k=10):
    """An independent ranking: Whoosh's own unlimited collector, BM25F times quality factor."""
    snapshot = engine.snapshot()
    query = QueryParser(snapshot).parse(q).build()
    results = snapshot.searcher.search(query, limit=None)
    scored = [(-(hit.score * quality_factor(snapshot.quality[hit.docnum], engine.quality_weight)), hit.docnum)
              for hit in results]
    return [snapshot.article(docnum)["id"] for _, docnum in sorted(scored)[:k]]


@pytest.mark.parametrize("q", [
    "diablo beta", "diablo 4 release date", "power apps copilot", "sorcerer build", "open beta weekend",
    "dataverse", "blizzard", "microsoft power platform", "season battle pass", "server slam",
    "druid", "canvas apps offline", "quarterly update", "patch notes", "endgame",
])
def test_top_ten_equals_an_exhaustive_ranking(corpus_index, q):
    engine = SearchEngine(corpus_index)
    response = engine.search(SearchRequest(q=q, collapse=False, matching="all"))
    assert [hit["id"] for hit in response["hits"]] == reference_top(engine, q)


def reference_leaders(engine, q, k):
    """The first ``k`` story leaders of an independent, exhaustive ranking: Whoosh's own
    unlimited collector, times quality and story factors, one article per story."""
    snapshot = engine.snapshot()
    results = snapshot.searcher.search(QueryParser(snapshot).parse(q).build(), limit=None)
    docnums = np.array([hit.docnum for hit in results], dtype=np.int64)
    text = np.array([hit.score for hit in results])
    stories = snapshot.story[docnums]
    reports = np.bincount(stories)[stories]  # matching reports of each one's story
    scores = text * quality_factor(snapshot.quality[docnums], engine.quality_weight) * story_factor(reports)
    order = np.lexsort((docnums, -scores))
    seen, leaders = set(), []
    for docnum in docnums[order]:
        if snapshot.story[docnum] not in seen:
            seen.add(snapshot.story[docnum])
            leaders.append(snapshot.article(int(docnum))["id"])
    return leaders[:k]


@pytest.mark.parametrize("q", ["diablo beta", "blizzard", "power apps copilot", "open beta weekend", "druid"])
@pytest.mark.parametrize("page", [1, 2])
def test_collapsed_pages_equal_an_exhaustive_ranking(corpus_index, q, page):
    engine = SearchEngine(corpus_index)
    response = engine.search(SearchRequest(q=q, page=page, matching="all"))
    expected = reference_leaders(engine, q, page * 10)[(page - 1) * 10:]
    assert expected  # the page is not empty: the comparison means something
    assert [hit["id"] for hit in response["hits"]] == expected
