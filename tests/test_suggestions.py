"""Suggestions while typing: completions of the last word and matching titles."""

from __future__ import annotations


def test_suggestions_complete_the_last_word_and_offer_titles(corpus_client):
    body = corpus_client.get("/api/suggest?q=diablo+sorc").get_json()
    assert body["completions"][0]["text"] == "diablo sorcerer"
    assert all(c["text"].startswith("diablo sorc") for c in body["completions"])
    assert body["titles"] and all("sorc" in t["title"].lower() for t in body["titles"])


def test_suggestions_validate_their_parameters(features):
    assert features.get("/api/suggest?q=be&limit=0").status_code == 400
    assert features.get("/api/suggest?q=" + "x" * 201).status_code == 400
    assert features.get("/api/suggest?q=").get_json() == {"query": "", "completions": [], "titles": []}
