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


def test_a_snippet_between_equal_fragments_is_always_the_earlier_one():
    """Whoosh breaks ties between fragments by their memory addresses (Fragment.__lt__ compares
    id()), so one search could show another snippet each run; ties go to the earlier one."""
    from whoosh.highlight import Fragment, Token

    from webapp.snippets import EarlierFirstScorer, highlight_text

    text = "alpha " + "x " * 200 + "alpha"
    match = lambda at: Token(text="alpha", startchar=at, endchar=at + 5, boost=1.0, matched=True)
    early, late = Fragment(text, [match(0)], 0, 50), Fragment(text, [match(406)], 360, 411)
    scorer = EarlierFirstScorer()
    assert int(scorer(early)) == int(scorer(late)) and scorer(early) > scorer(late)
    assert highlight_text(text, frozenset({"alpha"})).startswith("<mark>alpha</mark>")
