"""Facets and filters: counts for the current query, filters that combine, and bad values refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.build import reindex
from webapp import snapshot as snapshot_module
from webapp.snapshot import FacetField
from tests.conftest import article_fields, both_ways, ids, search, write_article


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


def test_one_outlet_under_several_spellings_is_one_source(seeds, index_dir, make_client):
    spellings = {"a.md": "Game Rant", "b.md": "GameRant on MSN", "c.md": "Game Rant on MSN.com", "d.md": "Game Rant",
                 "e.md": "Polygon on MSN", "f.md": "GamesRadar+", "g.md": "GamesRadar", "h.md": "Songs on Radio",
                 "i.md": "YAHOO!News", "j.md": "Yahoo News"}
    for number, (name, provider) in enumerate(spellings.items()):
        write_article(seeds, name, **article_fields(f"Dragon story number {number}", "A dragon appears.",
                                                    provider={"name": provider, "domain": "x.example"}))
    reindex(seeds, index_dir)
    client = make_client()
    facets = search(client, q="dragon", collapse="none")["facets"]["provider"]
    # " on MSN" is a republisher's suffix because two outlets carry it; "Songs on Radio" keeps its name
    assert facets == {"Game Rant": 4, "GamesRadar": 2, "Polygon": 1, "Songs on Radio": 1, "YAHOO!News": 2}, facets
    for spelling in ("Game Rant", "GameRant on MSN", "game rant on msn.com"):
        hits = search(client, q="dragon", provider=spelling, collapse="none")["hits"]
        # every spelling finds them all; each hit keeps the name its file gives
        assert sorted(hit["provider"]["name"] for hit in hits) == [
            "Game Rant", "Game Rant", "Game Rant on MSN.com", "GameRant on MSN"], spelling
    page = client.get("/?q=dragon&collapse=none").get_data(as_text=True)
    assert 'provider=Game+Rant"' in page and "GameRant on MSN</" in page


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), max_size=4), min_size=1, max_size=30), st.data())
def test_a_topic_facet_reads_the_same_pairs_row_by_row_and_in_one_pass(topics_per_doc, data):
    """Few matches read their documents' topics row by row, many read every pair in one pass:
    the counts beside the topics must not depend on which."""
    pairs = [(doc, code) for doc, codes in enumerate(topics_per_doc) for code in sorted(set(codes))]
    facet = FacetField([f"topic {n}" for n in range(6)], np.array([d for d, _ in pairs], np.int64),
                       np.array([c for _, c in pairs], np.int32), len(topics_per_doc))
    chosen = sorted(data.draw(st.sets(st.integers(0, len(topics_per_doc) - 1))))
    expected = sorted((doc, code) for doc, code in pairs if doc in chosen)
    for docs, codes in both_ways(lambda: facet.values_of(np.array(chosen, np.int64)), snapshot_module, "DENSE_SELECTION_SHARE"):
        if docs is None:  # at most one topic per document: a code per chosen document, 6 for none
            docs, codes = np.array(chosen)[codes < 6], codes[codes < 6]
        assert sorted(zip(docs.tolist(), codes.tolist())) == expected
    counted = np.bincount([code for _, code in expected], minlength=7)[:6]
    for counts in both_ways(lambda: facet.count(np.array(chosen, np.int64)), snapshot_module, "DENSE_SELECTION_SHARE"):
        assert counts[:6].tolist() == counted.tolist()  # the last slot stands for none: not a value


@pytest.mark.parametrize("collapse", ["story", "none"])
def test_facet_counts_are_the_same_counted_from_the_matches_or_from_the_rest(corpus_client, collapse):
    """A common word's facets count the documents it does not match and take them from the
    collection's counts (webapp/facets.py COMPLEMENT_SHARE): forced always, then never, every
    count beside every value must be the same, with and without filters."""
    from webapp import facets

    for params in ({"q": ""}, {"q": "diablo"}, {"q": "the"}, {"q": "diablo", "topic": "Gaming"},
                   {"q": "", "from": "2023-01-01"}, {"q": "beta", "type": "video"}, {"q": "power apps"}):
        answers = []
        for forced in (0.0, 2.0):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(facets, "COMPLEMENT_SHARE", forced)
                answers.append(search(corpus_client, collapse=collapse, facet_size=100, **params))
        assert answers[0]["facets"] == answers[1]["facets"], params
        assert answers[0]["total"] == answers[1]["total"]
