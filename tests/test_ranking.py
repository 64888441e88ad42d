"""Ranking: BM25F relevance blended with quality, and exactness against an exhaustive ranking."""

from __future__ import annotations

import pytest

from indexer.build import reindex
from tests.conftest import article_fields, write_article
from webapp.query import parse_user_query
from webapp.ranking import DEFAULT_QUALITY_WEIGHT, quality_factor
from webapp.search import SearchEngine, SearchRequest


def ranked_ids(index_dir, q, **engine_options):
    engine = SearchEngine(index_dir, **engine_options)
    return [hit["id"] for hit in engine.search(SearchRequest(q=q, per_page=50)).hits]


def test_quality_breaks_ties_between_comparable_matches(seeds, index_dir):
    excerpt = "The regional council approved the new cycling lanes on Tuesday."
    write_article(seeds, "low.md", **article_fields("Council approves cycling lanes", excerpt, quality=40))
    write_article(seeds, "high.md", **article_fields("Council approves cycling lanes", excerpt, quality=140))
    write_article(seeds, "none.md", **article_fields("Council approves cycling lanes", excerpt, quality=None))
    reindex(seeds, index_dir)
    assert ranked_ids(index_dir, "cycling lanes") == ["high", "low", "none"]
    # Pure BM25F cannot tell them apart, which is why the order above comes from quality.
    engine = SearchEngine(index_dir, quality_weight=0.0)
    scores = {hit["score"] for hit in engine.search(SearchRequest(q="cycling lanes")).hits}
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


def test_quality_factor_never_exceeds_one_and_bounds_the_effect():
    weight = DEFAULT_QUALITY_WEIGHT
    assert quality_factor(0, weight) == pytest.approx(1 - weight)
    assert quality_factor(10_000, weight) == 1.0
    assert quality_factor(-5, weight) == pytest.approx(1 - weight)
    # A lead of 1 / (1 - w) in text relevance cannot be overturned by quality.
    assert (1 / (1 - weight)) * quality_factor(0, weight) >= quality_factor(10_000, weight)


def test_weight_zero_is_pure_bm25f(small_index):
    engine = SearchEngine(small_index, quality_weight=0.0)
    searcher = engine.searcher()
    assert set(engine._factors) == {1.0}
    assert searcher.doc_count() == 4


def exhaustive_top(engine, q, k=10):
    """Every matching document scored, no pruning, ties broken by document number."""
    searcher = engine.searcher()
    query = parse_user_query(searcher.schema, q)
    matcher = query.matcher(searcher, searcher.context())
    scored = []
    while matcher.is_active():
        docnum = matcher.id()
        scored.append((-round(searcher.weighting.final(searcher, docnum, matcher.score()), 6), docnum))
        matcher.next()
    scored.sort()
    return [docnum for _, docnum in scored[:k]]


@pytest.mark.parametrize("q", [
    "diablo beta", "diablo 4 release date", "power apps copilot", "sorcerer build", "open beta weekend",
    "dataverse", "blizzard", "microsoft power platform", "season battle pass", "server slam",
    "druid", "canvas apps offline", "quarterly update", "patch notes", "endgame",
])
def test_top_ten_equals_the_exhaustive_ranking(corpus_index, q):
    engine = SearchEngine(corpus_index)
    results = engine.searcher().search(parse_user_query(engine.searcher().schema, q), limit=10)
    got = [(round(hit.score, 6), hit.docnum) for hit in results]
    want = exhaustive_top(engine, q)
    assert [docnum for _, docnum in sorted(got, key=lambda p: (-p[0], p[1]))] == want
