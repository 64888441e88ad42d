"""Pages that fill: the matching strategies, the query as it is typed, and the query read as a
reader means it (question words, words written together or apart, rare misspellings)."""

from __future__ import annotations

import pytest

from indexer.build import reindex
from tests.conftest import article_fields, ids, search, write_article


def numbered(name: str, count: int, title: str, excerpt: str) -> dict[str, tuple[str, str]]:
    """``count`` articles alike but for their number: a word the collection has often."""
    return {f"{name}-{n}": (f"{title} {n}", excerpt) for n in range(count)}


@pytest.fixture
def reading(seeds, index_dir, make_client):
    """A small collection with a few articles having every word, many having some."""
    articles = {
        "both-1": ("Necromancer build guide", "The best build for the necromancer class."),
        "both-2": ("Necromancer minions build", "A build around minions."),
        "necro-1": ("Necromancer class revealed", "The necromancer joins the cast."),
        "necro-2": ("Necromancer gameplay footage", "The necromancer in action."),
        "buy-1": ("Buying a sandwich gets you beta access", "Buy one, get a code. Buy buy buy."),
        "builder": ("Power Apps builder update", "The app builder gets templates."),
        "world-boss": ("World boss spawn times", "When the world boss appears."),
        "what": ("What we know so far", "Everything about the world of the game."),
        "joined": ("PowerApps portals update", "PowerApps portals get a new studio."),
        "apart-1": ("Power Apps adds Copilot", "Power Apps news."),
        "digits": ("Diablo 4 beta dates", "Diablo 4 opens its beta."),
        **numbered("diablo", 10, "Diablo 4 news", "More Diablo 4."),
        "typo": ("Lillith returns", "Lillith, misspelled."),
        **numbered("lilith", 12, "Lilith story", "Lilith again."),
        **numbered("power", 10, "Power Apps news", "More Power Apps."),
        "auction": ("The auction house returns", "Trading at the auction."),
        **numbered("action", 12, "Action game", "Action all the way."),
    }
    for name, (title, excerpt) in articles.items():
        write_article(seeds, f"{name}.md", **article_fields(title, excerpt))
    reindex(seeds, index_dir)
    return make_client()


def test_a_page_goes_on_with_articles_that_have_some_of_the_words(reading):
    body = search(reading, q="necromancer minions", collapse="none")
    assert ids(body)[0] == "both-2"
    assert body["total_all_words"] == 1 and body["total"] == body["total_articles"] == 4
    assert [h["matched_words"] for h in body["hits"]] == [["necromancer", "minions"]] + [["necromancer"]] * 3
    assert body["matching"] == "all" and body["matching_strategy"] == "most"


def test_a_tier_never_outranks_one_with_more_of_the_words(reading):
    # "buy" alone scores high in its title and excerpt; it still comes after both words
    body = search(reading, q="necromancer buy", collapse="none")
    counts = [len(h["matched_words"]) for h in body["hits"]]
    assert counts == sorted(counts, reverse=True)


def test_the_rarer_word_is_kept_before_the_common_one(reading):
    # no article has both: the one with "minions" (one article) before those with "necromancer"
    body = search(reading, q="necromancer buy", collapse="none")
    assert ids(body)[0] == "buy-1" and body["matching"] == "partial"
    body = search(reading, q="minions gameplay", collapse="none")
    assert set(ids(body)) == {"both-2", "necro-2"}


def test_matching_all_and_any_are_there_on_request(reading):
    assert ids(search(reading, q="necromancer minions", matching="all", collapse="none")) == ["both-2"]
    anything = search(reading, q="necromancer minions", matching="any", collapse="none")
    assert len(anything["hits"]) == 4 and anything["matching_strategy"] == "any"
    assert reading.get("/api/search?q=x&matching=some").status_code == 400


def test_the_last_word_being_typed_also_finds_the_words_it_starts(reading):
    assert search(reading, q="necro")["total"] == 0
    body = search(reading, q="necro", prefix="true", collapse="none")
    assert set(ids(body)) == {"both-1", "both-2", "necro-1", "necro-2"}
    assert body["words"] == [{"text": "necro", "status": "matched", "prefix": True}]
    # a space after it: the word is finished
    assert search(reading, q="necro ", prefix="true")["total"] == 0


def test_a_fragment_is_never_kept_in_place_of_a_strong_word(reading):
    body = search(reading, q="necromancer bui", prefix="true", collapse="none")
    assert ids(body)[:2] == ["both-1", "both-2"]  # necromancer and a word "bui" starts (build)
    assert "buy-1" not in ids(body)[:4] and "builder" not in ids(body)[:4]


def test_a_prefix_ranks_the_whole_word_first(reading):
    write_article_ids = ids(search(reading, q="build", prefix="true", collapse="none"))
    assert write_article_ids[-1] == "builder"


def test_question_words_are_ignored_beside_other_words(reading):
    body = search(reading, q="what is a world boss", collapse="none")
    assert ids(body)[0] == "world-boss" and body["total_all_words"] == 1
    assert [w["status"] for w in body["words"]][:2] == ["ignored", "ignored"]
    assert ids(search(reading, q="what", collapse="none")) == ["what"]  # alone it is the query


def test_words_written_together_or_apart_find_each_other(reading):
    assert set(ids(search(reading, q="power apps", matching="all", collapse="none", per_page=50))) >= {"joined", "apart-1"}
    assert set(ids(search(reading, q="powerapps", matching="all", collapse="none", per_page=50))) >= {"joined", "apart-1"}
    body = search(reading, q="diablo4 beta", collapse="none")
    assert ids(body)[0] == "digits" and body["words"][0]["also_matched"] == "diablo 4"
    assert body["suggestion"] is None


def test_a_rare_misspelling_also_finds_the_common_spelling_below_itself(reading):
    body = search(reading, q="lillith", collapse="none")
    assert ids(body)[0] == "typo" and len(body["hits"]) == 10 and body["total"] == 13
    assert body["words"][0]["also_matched"] == "lilith"


def test_a_rare_real_word_stays_itself(reading):
    body = search(reading, q="auction", collapse="none")
    assert ids(body) == ["auction"] and body["suggestion"] is None


def test_the_page_separates_the_articles_with_some_of_the_words(reading):
    html = reading.get("/?q=necromancer+minions&collapse=none").get_data(as_text=True)
    assert html.index('href="/articles/both-2?') < html.index("Also matching some of your words")
    assert html.index("Also matching some of your words") < html.index('href="/articles/necro-1?')
    assert "(1 with every word)" in html and "Without: <s>minions</s>" in html


def test_the_page_reads_the_last_word_as_typed(reading):
    html = reading.get("/?q=necro").get_data(as_text=True)
    assert 'href="/articles/both-1?' in html and "No articles match" not in html


def test_suggestions_after_a_word_offer_only_words_found_beside_it(reading):
    body = reading.get("/api/suggest?q=necromancer+bui").get_json()
    assert [c["word"] for c in body["completions"]] == ["build"]
