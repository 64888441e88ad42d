"""Result order (by relevance, date or quality, freshness, story evidence, with explain showing
why) and the totals and page counts of a result list."""

from __future__ import annotations

import math

import pytest

from tests.conftest import ids, search


def test_sort_by_date_and_by_quality(features):
    assert ids(search(features, q="beta", sort="date")) == ["beta", "beta-leak"]
    by_quality = ids(search(features, topic=["Privacy", "Games"], sort="quality"))
    assert by_quality[:2] == ["face", "cookies"] and by_quality[-1] == "long"


def test_empty_query_with_filters_lists_newest_first(features):
    assert ids(search(features, topic="Privacy")) == ["cookies", "face"]


def test_half_life_favours_recent_articles_and_explain_shows_why(features):
    plain = search(features, q="privacy OR games", explain="true", collapse="none")
    fresh = search(features, q="privacy OR games", explain="true", collapse="none", half_life="30")
    assert ids(plain)[0] == "face" and ids(fresh)[0] == "cookies"
    for hit in fresh["hits"]:
        parts = hit["explain"]
        assert parts["score"] == pytest.approx(parts["text"] * parts["quality_factor"] * parts["recency_factor"], rel=1e-3)
    assert {h["explain"]["recency_factor"] for h in plain["hits"]} == {1.0}
    assert {h["explain"]["story_factor"] for h in plain["hits"]} == {1.0}  # only when collapsing


def test_a_story_many_outlets_report_outranks_a_lone_report_as_relevant(corpus_client):
    """With collapsing on, each matching report of a story adds evidence (story_factor)."""
    body = corpus_client.get("/api/search?q=diablo+4+delayed&explain=true").get_json()
    top = body["hits"][0]
    assert top["story"]["more"] >= 5
    assert top["explain"]["story_factor"] == pytest.approx(1 + 0.1 * math.log(top["story"]["more"] + 1), rel=1e-3)
    lone = [h for h in body["hits"] if h["story"]["more"] == 0]
    assert lone and all(h["explain"]["story_factor"] == 1.0 for h in lone)
    for hit in body["hits"]:
        parts = hit["explain"]
        product = parts["text"] * parts["quality_factor"] * parts["recency_factor"] * parts["story_factor"]
        assert parts["score"] == pytest.approx(product, rel=1e-3)


def test_totals_are_exact_and_pages_counted(features):
    body = search(features, q="beta OR privacy OR sorcerer", per_page=2, collapse="none")
    assert (body["total"], body["total_is_estimate"], body["total_pages"]) == (5, False, 3)
