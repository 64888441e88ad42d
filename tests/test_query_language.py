"""The query language: phrases, exclusions, OR, field prefixes and wildcards, words dropped
when no article has them all, stop words, and how words are cut (dots, hyphens, numerals)."""

from __future__ import annotations

import pytest

from indexer.build import reindex
from tests.conftest import article_fields, ids, search, write_article


def test_phrase_exclusion_or_and_field_prefixes(features):
    assert ids(search(features, q='"open beta"')) == ["beta"]
    assert ids(search(features, q="beta -leak")) == ["beta"]
    assert set(ids(search(features, q="cookies OR facial"))) == {"cookies", "face"}
    assert ids(search(features, q="title:leak")) == ["beta-leak"]
    assert set(ids(search(features, q="topic:privacy"))) == {"face", "cookies"}
    assert ids(search(features, q="provider:rumour")) == ["beta-leak"]
    assert ids(search(features, q="sorc*")) == ["long"]


def test_unknown_field_prefix_is_searched_as_text(features):
    body = search(features, q="fingerprint:cookies")
    assert ids(body) == ["cookies"]


def test_wildcard_expansions_are_capped_and_flagged(seeds, index_dir, make_client):
    body_text = " ".join(f"zed{n:03}" for n in range(80))
    write_article(seeds, "many.md", body=body_text, **article_fields("Many words"))
    reindex(seeds, index_dir)
    body = search(make_client(), q="zed*")
    assert ids(body) == ["many"]
    assert body["words"] == [{"text": "zed*", "status": "matched", "expansions_capped": True}]


def test_words_that_cannot_all_match_are_dropped_and_reported(features):
    body = search(features, q="cookies tracking zeppelin")
    assert body["matching"] == "partial" and ids(body) == ["cookies"]
    assert [(w["text"], w["status"]) for w in body["words"]] == [
        ("cookies", "matched"), ("tracking", "matched"), ("zeppelin", "dropped")]


def test_matching_all_keeps_as_many_words_as_any_article_has(features):
    # No article has all three words, two have "open" and "beta". Dropping the most common word
    # first would drop "beta" (as common as "open", and later), then "open", leaving "cookies".
    body = search(features, q="open beta cookies", matching="all")
    assert body["matching"] == "partial" and ids(body) == ["beta", "beta-leak"]
    assert [(w["text"], w["status"]) for w in body["words"]] == [
        ("open", "matched"), ("beta", "matched"), ("cookies", "dropped")]


def test_matching_all_drops_the_most_common_word_first(features):
    # "beta" is in two articles, "cookies" in one: without an article having both, keep the rarer.
    body = search(features, q="beta cookies", matching="all")
    assert ids(body) == ["cookies"] and body["words"][0] == {"text": "beta", "status": "dropped"}


def test_stop_words_never_cause_zero_results(features):
    assert ids(search(features, q="the open beta"))[0] == "beta"
    assert search(features, q="the")["total"] >= 1
    words = search(features, q="the open beta")["words"]
    assert words[0] == {"text": "the", "status": "ignored"}


@pytest.mark.parametrize("q", ['"unclosed', "(((", "title:", "-", "OR AND NOT", "*", "a**b", 'x"y', ":::"])
def test_malformed_queries_are_answered(features, q):
    assert isinstance(search(features, q=q)["hits"], list)


def test_dotted_names_and_glued_sentences_are_found_by_their_words(seeds, index_dir, make_client):
    # Real excerpts: "on Battle.net", "twitch.tv/name", a sentence run into the next one.
    add = lambda name, title, excerpt: write_article(seeds, name, **article_fields(title, excerpt))
    add("launcher.md", "Launcher news", "Preload starts on Battle.net tonight.")
    add("stream.md", "Stream schedule", "Watch live at twitch.tv/somebody every Friday.")
    add("glued.md", "Weekend roundup", "The servers held up this weekend.Diablo fans queued for hours.")
    add("version.md", "Power Fx 1.0 ships", "The formula language reached version 1.0 with 9.3.3 tooling.")
    add("other.md", "Version 1 of the tool", "An unrelated release 0 of something.")
    reindex(seeds, index_dir)
    client = make_client()
    assert ids(search(client, q="battle net")) == ["launcher"]
    assert ids(search(client, q="Battle.net")) == ["launcher"]
    assert ids(search(client, q="twitch")) == ["stream"]
    assert ids(search(client, q="diablo")) == ["glued"]
    assert ids(search(client, q="weekend diablo")) == ["glued"]
    # a version number stays one word: "1.0" is not "1" and "0"
    assert ids(search(client, q="1.0")) == ["version"]
    assert ids(search(client, q='"9.3.3"')) == ["version"]
    hit = search(client, q="twitch")["hits"][0]
    assert "<mark>twitch</mark>.tv" in hit["highlights"]["excerpt"]
    version = {h["id"]: h for h in search(client, q="tooling OR 1", collapse="none")["hits"]}["version"]
    assert version["highlights"]["excerpt"] == "The formula language reached version 1.0 with 9.3.3 <mark>tooling</mark>."


def test_a_hyphenated_word_also_finds_it_written_as_one(seeds, index_dir, make_client):
    write_article(seeds, "joined.md", **article_fields("Preorder bonuses revealed", "What a preorder brings."))
    write_article(seeds, "hyphen.md", **article_fields("Pre-order bonuses revealed", "What a pre-order brings."))
    write_article(seeds, "apart.md", **article_fields("Order of the classes", "Pre-release notes."))
    reindex(seeds, index_dir)
    body = search(make_client(), q="pre-order", collapse="none")
    assert sorted(ids(body)) == ["hyphen", "joined"] and body["matching"] == "all"


def test_roman_numerals_and_numbers_find_each_other(seeds, index_dir, make_client):
    write_article(seeds, "roman.md", **article_fields("Saga IV launches in June", "The studio's fourth game."))
    write_article(seeds, "digits.md", **article_fields("Saga 4 launch date confirmed", "June it is."))
    write_article(seeds, "xbox.md", **article_fields("Saga on Xbox Series X", "Runs at 60 frames."))
    reindex(seeds, index_dir)
    client = make_client()
    assert sorted(ids(search(client, q="saga iv", collapse="none", matching="all"))) == ["digits", "roman"]
    assert sorted(ids(search(client, q="saga 4", collapse="none", matching="all"))) == ["digits", "roman"]
    body = search(client, q="saga 10", collapse="none", matching="all")  # X stays a letter: no article has "10"
    assert body["matching"] == "partial" and body["words"][1] == {"text": "10", "status": "dropped"}


def test_vs_between_two_words_is_ignored_but_is_a_word_elsewhere(seeds, index_dir, make_client):
    for name, title in (("editor", "VS Code extension released"), ("druid1", "Druid guide"),
                        ("druid2", "Druid skills"), ("barb1", "Barbarian guide"), ("barb2", "Barbarian skills")):
        write_article(seeds, f"{name}.md", **article_fields(title, "A short note."))
    reindex(seeds, index_dir)
    client = make_client()
    body = search(client, q="druid vs barbarian", collapse="none")
    assert body["words"][1] == {"text": "vs", "status": "ignored"} and "editor" not in ids(body)
    assert ids(search(client, q="vs code", collapse="none")) == ["editor"]
