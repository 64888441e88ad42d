"""Highlighting and snippets: matched words marked, long texts cropped around the match."""

from __future__ import annotations

from tests.conftest import search


def test_phrases_are_highlighted_whole_with_a_plain_copy(features):
    hit = search(features, q='"open beta"')["hits"][0]
    assert hit["highlights"]["title"] == "<mark>Open beta</mark> weekend announced"
    assert hit["highlights"]["excerpt"] == "Join the <mark>open beta</mark> this weekend."
    assert hit["snippet"] == "Join the open beta this weekend."


def test_long_texts_are_cropped_around_the_match(features):
    hit = search(features, q="lightning")["hits"][0]
    html = hit["highlights"]["excerpt"]
    assert "<mark>lightning</mark>" in html and html.startswith("…") and html.endswith("…")
    assert len(hit["snippet"]) < 400 and "lightning" in hit["snippet"]


def test_filter_only_queries_get_the_start_of_the_excerpt(features):
    hit = search(features, type="video")["hits"][0]
    assert hit["snippet"].startswith("A leak of closed beta footage") and "<mark>" not in hit["highlights"]["excerpt"]
