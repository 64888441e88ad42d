"""The queries readers typed on the real corpus, each read as they meant it (issue: pages that
answer). Each failed on the code before the matching strategy, prefix and query understanding."""

from __future__ import annotations

import re

from click.testing import CliRunner

from tests.conftest import ids, search
from webapp.cli import main


def titles(body, count=10):
    return [hit["title"].lower() for hit in body["hits"][:count]]


def test_a_half_typed_word_beside_a_strong_one_keeps_the_strong_one(corpus_client):
    html = corpus_client.get("/?q=necromancer+bui").get_data(as_text=True)
    body = search(corpus_client, q="necromancer bui", prefix="true")
    assert all(hit["matched_words"] == ["necromancer", "bui"] for hit in body["hits"][:5])
    assert "necromancer build" in titles(body, 1)[0] and "kfc" not in html.lower()


def test_a_word_being_typed_finds_the_words_it_starts(corpus_client):
    html = corpus_client.get("/?q=necro").get_data(as_text=True)
    assert "No articles match" not in html and html.lower().count("<mark>necromancer") >= 5


def test_words_written_together_find_them_written_apart(corpus_client):
    for joined, apart in (("diablo4", "diablo 4"), ("powerapps", "power apps")):
        assert search(corpus_client, q=joined)["total"] >= 0.9 * search(corpus_client, q=apart)["total"], joined
    body = search(corpus_client, q="xbox gamepass")
    assert body["suggestion"] is None and all("game pass" in t for t in titles(body, 3)), titles(body, 3)


def test_a_rare_misspelling_finds_the_common_spelling(corpus_client):
    assert search(corpus_client, q="lillith")["total_articles"] >= 40
    assert search(corpus_client, q="announcment")["total_articles"] >= 150


def test_a_rare_real_word_is_not_turned_into_a_common_one(corpus_client):
    for word, neighbour in (("auction", "action"), ("prayers", "players")):
        body = search(corpus_client, q=word)
        assert body["total_articles"] <= 2 and body["suggestion"] is None, word
        assert not any(neighbour in t for t in titles(body)), word


def test_question_words_are_never_required(corpus_client):
    body = search(corpus_client, q="what is a world boss")
    assert body["words"][0] == {"text": "what", "status": "ignored"}
    assert all("world boss" in t for t in titles(body, 5)), titles(body, 5)


def test_html_entities_are_not_words(corpus_client):
    assert search(corpus_client, q="8217")["total"] == 0
    suggested = corpus_client.get("/api/suggest?q=nb").get_json()
    assert "nbsp" not in [c["word"] for c in suggested["completions"]]


def test_the_cli_fills_the_page_and_says_how_many_have_every_word(corpus_index):
    result = CliRunner().invoke(main, ["search", "xbox gamepass", "--index", str(corpus_index)])
    assert result.exit_code == 0 and "with every word" in result.output
    assert "also matching some of your words" in result.output and "gameless" not in result.output
    lines = [line for line in result.output.splitlines() if re.match(r"^ *[0-9]+  ", line)]
    assert len(lines) == 10 and "Game Pass" in lines[0]
