"""The relevance measures of bench/relevance.py on pages made by hand: what a reader sees must
decide the figure, not how many hits a page happens to show."""

from __future__ import annotations

import pytest

from bench.relevance import grades_of, ndcg_at_10, page_measures, precision_at_5, top_hit_is_best

GRADED = {"query": "q", "grades": {"a": 2, "b": 2, "c": 1, "d": 1, "e": 1, "f": 0}}


def test_a_page_with_one_relevant_hit_where_five_exist_is_not_precise():
    assert precision_at_5(["a"], GRADED) == pytest.approx(1 / 5)
    assert precision_at_5(["a", "b", "c", "d", "e"], GRADED) == 1.0


def test_precision_divides_by_the_relevant_articles_when_fewer_than_five_exist():
    judged = {"query": "q", "relevant": ["a", "b"], "not_relevant": ["x"]}
    assert grades_of(judged) == {"a": 1, "b": 1}
    assert precision_at_5(["a", "x", "b"], judged) == 1.0
    assert precision_at_5(["x", "a"], judged) == 0.5


def test_ndcg_rewards_the_highly_relevant_first_and_an_unjudged_hit_gains_nothing():
    ideal = ["a", "b", "c", "d", "e"]
    assert ndcg_at_10(ideal, GRADED) == pytest.approx(1.0)
    assert ndcg_at_10(["c", "d", "e", "a", "b"], GRADED) < ndcg_at_10(["a", "c", "d", "e", "b"], GRADED) < 1.0
    assert ndcg_at_10(["unjudged", *ideal], GRADED) < 1.0
    assert ndcg_at_10([], GRADED) == 0.0


def test_a_second_report_of_a_shown_story_gains_nothing_in_the_story_measure():
    story_of = {"a": "s1", "b": "s1", "c": "s2", "d": "s3", "e": "s4"}
    twice = ["a", "b", "c", "d", "e"]
    once = ["a", "c", "d", "e"]
    assert ndcg_at_10(once, GRADED, story_of) == pytest.approx(1.0)
    assert ndcg_at_10(twice, GRADED, story_of) < 1.0
    assert ndcg_at_10(twice, GRADED) == pytest.approx(1.0)


def test_story_precision_counts_a_story_once_and_divides_by_the_relevant_stories():
    story_of = {"a": "s1", "b": "s1", "c": "s2", "d": "s3", "e": "s4"}  # four relevant stories
    assert precision_at_5(["a", "b", "c", "d", "e"], GRADED, story_of) == pytest.approx(4 / 4)
    assert precision_at_5(["a", "b", "c", "f", "x"], GRADED, story_of) == pytest.approx(2 / 4)
    assert precision_at_5(["a", "b", "c", "f", "x"], GRADED) == pytest.approx(3 / 5)  # per article


def test_the_top_hit_must_carry_the_best_grade_there_is():
    assert top_hit_is_best(["b", "c"], GRADED)
    assert not top_hit_is_best(["c", "a"], GRADED)
    assert not top_hit_is_best([], GRADED)


def test_short_pages_are_counted():
    measures = page_measures([["a", "b"], list("abcdefghij")], [GRADED, GRADED], {})
    assert measures["pages under 10"] == 1
    assert 0 < measures["P@5"] < 1
