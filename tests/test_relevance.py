"""Relevance on the real corpus: known-item queries drawn from excerpts (bench/relevance.py)."""

from __future__ import annotations

from bench.relevance import load_known_items, mrr_at_10
from webapp.search import SearchEngine


def test_known_item_set_is_fixed_and_complete():
    items = load_known_items()
    assert len(items) == 100 and all(2 <= len(item["query"].split()) <= 4 for item in items)


def test_known_items_are_found_near_the_top(corpus_index):
    # Measured 0.81 when this test was written; the floor catches a ranking regression.
    assert mrr_at_10(SearchEngine(corpus_index), load_known_items()) >= 0.78


def test_quality_blend_costs_known_item_search_nothing(corpus_index):
    items = load_known_items()
    pure = mrr_at_10(SearchEngine(corpus_index, quality_weight=0.0), items)
    blended = mrr_at_10(SearchEngine(corpus_index), items)
    assert blended >= pure - 0.005
