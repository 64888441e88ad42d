"""Query language, typo tolerance, facets and filters, sorting, snippets, collapsing,
suggestions and article pages: on small fixtures and on the real corpus."""

from __future__ import annotations

import math

import pytest

from indexer.build import reindex
from tests.conftest import article_fields, write_article


@pytest.fixture
def features(seeds, index_dir, make_client):
    """Articles chosen so each feature has something to show."""
    def add(name, title, excerpt, **extra):
        write_article(seeds, name, **article_fields(title, excerpt, **extra))

    add("beta.md", "Open beta weekend announced", "Join the open beta this weekend.", quality=90, topics=["Games"],
        publishedDateTime="2023-03-01T10:00:00Z", provider={"name": "Game Site", "domain": "games.example"})
    add("beta-leak.md", "Beta footage leak spreads", "A leak of closed beta footage, not an open test.", quality=40,
        topics=["Games", "Leaks"], publishedDateTime="2022-08-01T10:00:00Z",
        provider={"name": "Rumour Mill", "domain": "rumours.example"}, type="video")
    add("face.md", "Parliament backs facial recognition ban", "A ban on facial recognition in public spaces.",
        quality=150, topics=["Privacy"], publishedDateTime="2021-10-07T12:00:00Z",
        provider={"name": "Tech Daily", "domain": "tech.example"})
    add("cookies.md", "Browser blocks tracking cookies", "Third-party cookies are blocked for everyone.",
        quality=110, topics=["Privacy", "Browsers"], publishedDateTime="2024-06-11T08:00:00Z",
        provider={"name": "Tech Daily", "domain": "tech.example"})
    add("long.md", "Sorcerer skills explained", "word " * 120 + "the sorcerer hurls lightning " + "filler " * 120,
        quality=None, topics=["Games"], publishedDateTime="2023-05-01T08:00:00Z")
    reindex(seeds, index_dir)
    return make_client()


def search(client, **params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(body):
    return [hit["id"] for hit in body["hits"]]


# Query language

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


def test_a_partial_match_keeps_as_many_words_as_any_article_has(features):
    # No article has all three words, two have "open" and "beta". Dropping the most common word
    # first would drop "beta" (as common as "open", and later), then "open", leaving "cookies".
    body = search(features, q="open beta cookies")
    assert body["matching"] == "partial" and ids(body) == ["beta", "beta-leak"]
    assert [(w["text"], w["status"]) for w in body["words"]] == [
        ("open", "matched"), ("beta", "matched"), ("cookies", "dropped")]


def test_the_most_common_word_is_dropped_first(features):
    # "beta" is in two articles, "cookies" in one: without an article having both, keep the rarer.
    body = search(features, q="beta cookies")
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


# Typo tolerance

def test_misspelled_words_still_find_articles_and_suggest_a_correction(features):
    body = search(features, q="facial recogniton")
    assert ids(body) == ["face"]
    assert body["suggestion"] == "facial recognition"
    assert body["words"][1] == {"text": "recogniton", "status": "matched", "corrected_to": "recognition"}


def test_a_misspelled_word_before_a_possessive_is_corrected_too(features):
    body = search(features, q="parliment's ban")
    assert ids(body) == ["face"] and body["suggestion"] == "parliament's ban"
    assert body["words"][0] == {"text": "parliment's", "status": "matched", "corrected_to": "parliament's"}


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
    assert sorted(ids(search(client, q="saga iv", collapse="none"))) == ["digits", "roman"]
    assert sorted(ids(search(client, q="saga 4", collapse="none"))) == ["digits", "roman"]
    body = search(client, q="saga 10", collapse="none")  # X stays a letter: no article has "10"
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


# Facets and filters

def test_facet_counts_for_the_current_query(features):
    facets = search(features, q="beta", collapse="none")["facets"]
    assert facets["topic"] == {"Games": 2, "Leaks": 1}
    assert facets["provider"] == {"Game Site": 1, "Rumour Mill": 1}
    assert facets["type"] == {"article": 1, "video": 1}
    assert facets["year"] == {"2023": 1, "2022": 1}


def test_filters_combine_and_repeat(features):
    assert set(ids(search(features, topic=["Privacy"]))) == {"face", "cookies"}
    assert set(ids(search(features, topic=["privacy", "leaks"]))) == {"face", "cookies", "beta-leak"}
    assert ids(search(features, topic="Privacy", provider="Tech Daily", min_quality=120)) == ["face"]
    assert ids(search(features, type="video")) == ["beta-leak"]
    assert set(ids(search(features, **{"from": "2023-01-01", "to": "2023-12-31"}))) == {"beta", "long"}
    assert ids(search(features, q="beta", **{"to": "2022-08-01"})) == ["beta-leak"]


def test_a_date_range_that_ends_before_it_starts_matches_nothing(features):
    assert search(features, **{"from": "2024-01-01", "to": "2023-01-01"})["total"] == 0


def test_a_facets_own_filter_does_not_hide_its_other_values(features):
    facets = search(features, topic="Privacy")["facets"]
    assert facets["topic"]["Games"] == 3 and facets["topic"]["Privacy"] == 2
    assert facets["provider"] == {"Tech Daily": 2}


@pytest.mark.parametrize("params, parameter", [
    ({"from": "yesterday"}, "from"), ({"to": "2023-13-01"}, "to"), ({"min_quality": "high"}, "min_quality"), ({"sort": "random"}, "sort"), ({"collapse": "maybe"}, "collapse"),
    ({"half_life": "-3"}, "half_life"), ({"half_life": "nan"}, "half_life"), ({"explain": "perhaps"}, "explain"),
    ({"page": ""}, "page"), ({"page": " 2"}, "page"), ({"sort": "DATE"}, "sort"), ({"from": "2023-W01"}, "from"),
    ({"topic": ["x"] * 21}, "topic"), ({"facet_size": "0"}, "facet_size"),
])
def test_bad_filter_and_option_values_are_400(features, params, parameter):
    response = features.get("/api/search", query_string=params)
    assert response.status_code == 400 and response.get_json()["error"]["parameter"] == parameter


@pytest.mark.parametrize("collapse", ["story", "none"])
@pytest.mark.parametrize("q", ["diablo beta", "power apps", ""])
def test_facet_counts_equal_the_totals_they_lead_to(corpus_client, q, collapse):
    body = corpus_client.get("/api/search", query_string={"q": q, "collapse": collapse, "facet_size": 3}).get_json()
    for name in ("topic", "provider", "type"):
        for value, count in body["facets"][name].items():
            narrowed = corpus_client.get("/api/search", query_string={"q": q, "collapse": collapse, name: value}).get_json()
            assert narrowed["total"] == count, (name, value)
    for year, count in body["facets"]["year"].items():
        narrowed = corpus_client.get("/api/search", query_string={
            "q": q, "collapse": collapse, "from": f"{year}-01-01", "to": f"{year}-12-31"}).get_json()
        assert narrowed["total"] == count, year


# Sorting, freshness, explain

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


# Highlighting and snippets

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


# Story collapsing

def test_reports_of_one_story_collapse_into_one_hit(corpus_client):
    collapsed = corpus_client.get("/api/search?q=38+million+records+power+apps").get_json()
    flat = corpus_client.get("/api/search?q=38+million+records+power+apps&collapse=none").get_json()
    assert collapsed["total"] < flat["total"] == collapsed["total_articles"]
    top = collapsed["hits"][0]
    assert top["story"]["more"] >= 10
    assert len(top["story"]["reports"]) == 10 and all(r["title"] for r in top["story"]["reports"])


def test_collapsed_stories_expand_on_the_page(corpus_client):
    html = corpus_client.get("/?q=38+million+records+power+apps").get_data(as_text=True)
    assert '<details class="story">' in html and "more reports</summary>" in html


# Suggestions

def test_suggestions_complete_the_last_word_and_offer_titles(corpus_client):
    body = corpus_client.get("/api/suggest?q=diablo+sorc").get_json()
    assert body["completions"][0]["text"] == "diablo sorcerer"
    assert all(c["text"].startswith("diablo sorc") for c in body["completions"])
    assert body["titles"] and all("sorc" in t["title"].lower() for t in body["titles"])


def test_suggestions_validate_their_parameters(features):
    assert features.get("/api/suggest?q=be&limit=0").status_code == 400
    assert features.get("/api/suggest?q=" + "x" * 201).status_code == 400
    assert features.get("/api/suggest?q=").get_json() == {"query": "", "completions": [], "titles": []}


# Articles

def test_article_endpoint_returns_the_article_and_its_coverage(corpus_client):
    body = corpus_client.get("/api/articles/2021-08-24-microsoft-power-apps-misconfiguration-exposes-38-million-records").get_json()
    assert body["article"]["title"] == "Microsoft Power Apps misconfiguration exposes 38 million records"
    assert "secured" not in body["article"]
    assert len(body["story"]) >= 10 and body["more_like_this"]
    story_ids = {r["id"] for r in body["story"]}
    assert not story_ids & {r["id"] for r in body["more_like_this"]}


def test_article_page_and_missing_article(features):
    page = features.get("/articles/face")
    assert page.status_code == 200 and "Parliament backs facial recognition ban" in page.get_data(as_text=True)
    assert features.get("/api/articles/nothing").status_code == 404
    assert features.get("/articles/nothing").status_code == 404


def test_results_link_to_their_article_page(features):
    assert 'href="/articles/face"' in features.get("/?q=facial").get_data(as_text=True)


# Pagination

def test_totals_are_exact_and_pages_counted(features):
    body = search(features, q="beta OR privacy OR sorcerer", per_page=2, collapse="none")
    assert (body["total"], body["total_is_estimate"], body["total_pages"]) == (5, False, 3)
