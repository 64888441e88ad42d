"""Typo tolerance: misspelled words still find articles, and the corrected query is offered."""

from __future__ import annotations

from tests.conftest import ids, search


def test_misspelled_words_still_find_articles_and_suggest_a_correction(features):
    body = search(features, q="facial recogniton")
    assert ids(body) == ["face"]
    assert body["suggestion"] == "facial recognition"
    assert body["words"][1] == {"text": "recogniton", "status": "matched", "corrected_to": "recognition"}


def test_a_misspelled_word_before_a_possessive_is_corrected_too(features):
    body = search(features, q="parliment's ban")
    assert ids(body) == ["face"] and body["suggestion"] == "parliament's ban"
    assert body["words"][0] == {"text": "parliment's", "status": "matched", "corrected_to": "parliament's"}


def test_swapped_letters_count_as_one_typo(features):
    assert ids(search(features, q="cookeis")) == ["cookies"]


def test_short_words_are_not_corrected(features):
    body = search(features, q="bta")
    assert body["total"] == 0 and body["suggestion"] is None


def test_did_you_mean_is_a_link_on_the_page(features):
    html = features.get("/?q=facial+recogniton").get_data(as_text=True)
    assert 'Did you mean <a href="/?q=facial+recognition">facial recognition</a>?' in html


def test_typos_on_the_corpus(corpus_client):
    body = corpus_client.get("/api/search?q=dyablo+necromancr").get_json()
    assert body["total"] > 0 and body["suggestion"] == "diablo necromancer"
    assert all("necromancer" in (h["title"] + h["excerpt"]).lower() for h in body["hits"][:5])
    body = corpus_client.get("/api/search?q=colector%27s+edition").get_json()
    assert body["suggestion"] == "collector's edition" and body["matching"] == "all"
    assert all("collector" in (h["title"] + h["excerpt"]).lower() for h in body["hits"][:3])


def test_neighbours_of_a_misspelling_are_every_word_within_its_edits(corpus_index):
    """The letter-count shortcut finds exactly what comparing every word of the vocabulary
    (same first letter) finds: dropped, added, swapped and changed letters, on the corpus."""
    import random

    from whoosh.support.levenshtein import damerau_levenshtein

    from webapp.engine import SearchEngine
    from webapp.query import typo_distance

    vocabulary = SearchEngine(corpus_index).snapshot().vocabulary
    rng = random.Random(5)
    checked = 0
    for word in rng.sample([w for w in vocabulary.words if len(w) > 4], 150):
        at = rng.randrange(1, len(word) - 1)
        for typo in (word[:at] + word[at + 1:], word[:at] + "q" + word[at:], word[:at] + word[at + 1] + word[at] + word[at + 2:],
                     word[:at] + "z" + word[at + 1:]):
            maxdist = typo_distance(typo)
            if not maxdist:
                continue
            every = sorted(((c, d, vocabulary.doc_frequency(c)) for c in vocabulary.words if c[0] == typo[0] and c != typo
                            and (d := damerau_levenshtein(c, typo)) <= maxdist), key=lambda c: (c[1], -c[2], c[0]))
            assert vocabulary.near(typo, maxdist) == every, typo
            checked += 1
    assert checked > 500
