"""The JSON API contract: shapes, paging, 400s naming the parameter, and no 500s."""

from __future__ import annotations

import pytest

from conftest import article_fields, write_article
from indexer.build import reindex

HIT_KEYS = {"id", "title", "excerpt", "url", "provider", "topics", "published", "quality", "score", "highlights"}


def test_search_response_has_the_documented_shape(client):
    body = client.get("/api/search?q=facial+recognition").get_json()
    assert {"query", "total", "page", "per_page", "took_ms", "hits"} <= set(body)
    assert (body["query"], body["total"], body["page"], body["per_page"]) == ("facial recognition", 1, 1, 10)
    assert isinstance(body["took_ms"], float)
    hit = body["hits"][0]
    assert HIT_KEYS <= set(hit)
    assert hit["id"] == "ban"
    assert hit["provider"] == {"name": "Example News", "domain": "example.org"}
    assert hit["topics"] == ["Privacy", "AI"]
    assert hit["published"] == "2024-01-15T10:00:00Z"
    assert hit["quality"] == 120 and hit["score"] > 0
    assert hit["highlights"]["title"] == "Parliament votes to ban <mark>facial recognition</mark> in public spaces"
    assert "<mark>facial recognition</mark>" in hit["highlights"]["excerpt"]


def test_stemming_matches_other_forms_of_a_word(client):
    hits = client.get("/api/search?q=bans").get_json()["hits"]
    assert [h["id"] for h in hits] == ["ban"]
    assert "<mark>ban</mark>" in hits[0]["highlights"]["title"]


def test_missing_quality_is_null_and_nested_ids_keep_their_folder(client):
    hit = client.get("/api/search?q=laptops").get_json()["hits"][0]
    assert hit["id"] == "nested/library" and hit["quality"] is None


def test_matching_all_requires_every_word_before_dropping_the_last(client):
    body = client.get("/api/search?q=cookies+weekend&matching=all").get_json()
    assert body["matching"] == "partial" and [h["id"] for h in body["hits"]] == ["cookies"]
    assert body["words"] == [{"text": "cookies", "status": "matched"}, {"text": "weekend", "status": "dropped"}]
    body = client.get("/api/search?q=open+beta&matching=all").get_json()
    assert body["matching"] == "all" and [h["id"] for h in body["hits"]] == ["beta"]


def test_paging_splits_results_and_reports_total_pages(client):
    first = client.get("/api/search?q=&per_page=3").get_json()
    second = client.get("/api/search?q=&per_page=3&page=2").get_json()
    assert first["total"] == second["total"] == 4 and first["total_pages"] == 2
    assert len(first["hits"]) == 3 and len(second["hits"]) == 1
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    beyond = client.get("/api/search?q=&per_page=3&page=9").get_json()
    assert beyond["hits"] == [] and beyond["total"] == 4


@pytest.mark.parametrize("query, parameter", [
    ("page=0", "page"), ("page=-3", "page"), ("page=abc", "page"), ("page=1.5", "page"), ("page=101", "page"),
    ("per_page=0", "per_page"), ("per_page=51", "per_page"), ("per_page=ten", "per_page"),
    ("q=" + "x" * 501, "q"),
])
def test_bad_parameters_get_400_naming_the_parameter(client, query, parameter):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter" and error["parameter"] == parameter
    assert parameter in error["message"]


@pytest.mark.parametrize("q", [
    '"', '"unclosed phrase', "(", ")", "title:", ":", "*", "?", "AND", "OR OR", "NOT", "-", "a^", "~2",
    "title:(", "[a TO", "{}", "\x00", "\u202e\u0301", "日本語", "emoji 🚀", "a" * 500, "% %% %s", "\\",
    "fingerprint:1", "body:", "ban*", "NOT ban", "ban -ban", "ban AND (facial OR", '"open beta"',
    'topics:"privacy ai"', 'title:"ban facial"~3',
])
def test_no_query_text_produces_a_server_error(client, q):
    response = client.get("/api/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert isinstance(response.get_json()["hits"], list)


def test_quoted_phrase_matches_words_in_order(client):
    assert [h["id"] for h in client.get('/api/search?q="open+beta"').get_json()["hits"]] == ["beta"]
    assert client.get('/api/search?q="beta+open"').get_json()["total"] == 0


def test_health_reports_the_document_count(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok" and body["docs"] == 4 and body["generation"] == 1


def test_unknown_paths_and_methods_answer_in_json(client):
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    post = client.post("/api/search")
    assert post.status_code == 405 and post.get_json()["error"]["code"] == "method_not_allowed"


def test_missing_index_is_a_503_with_a_reason(make_client):
    response = make_client().get("/api/health")
    assert response.status_code == 503
    assert "newsfinder reindex" in response.get_json()["error"]["message"]


def test_responses_do_not_leak_the_query_to_other_sites(client):
    response = client.get("/api/search?q=ban")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers


def test_secured_field_is_never_served(corpus_client):
    body = corpus_client.get("/api/search?q=facial+recognition+ban").get_json()
    assert body["hits"][0]["id"] == "000_dd0a1db9d83ee7d8"
    assert "secured" not in str(body) and "kkzKM" not in str(body)


def test_the_api_sends_the_engines_answer_and_then_its_cached_text(small_index, make_client):
    from webapp.engine import SearchEngine
    from webapp.search import SearchRequest

    client = make_client()
    first = client.get("/api/search?q=open+beta&explain=true")
    again = client.get("/api/search?q=open+beta&explain=true")
    assert first.mimetype == again.mimetype == "application/json"
    first, again = first.get_json(), again.get_json()
    assert (first["cached"], again["cached"]) == (False, True)
    expected = SearchEngine(small_index).search(SearchRequest(q="open beta", explain=True))
    for body in (first, again):
        assert list(body) == list(expected)  # the documented field order, took_ms and cached last
        assert {k: v for k, v in body.items() if k not in ("took_ms", "cached")} == \
               {k: v for k, v in expected.items() if k not in ("took_ms", "cached")}


@pytest.mark.parametrize("path, parameter, known", [("/api/search?query=privacy", "query", "q, sort, to, topic, type"),
                                                     ("/api/search?q=privacy&year=2024", "year", "from,"),
                                                     ("/api/suggest?q=pri&max=3", "max", "format, limit, q")])
def test_an_unknown_parameter_is_a_400_naming_the_known_ones(client, path, parameter, known):
    """A misspelt ``query=`` was ignored, and the answer listed every article."""
    response = client.get(path)
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["parameter"] == parameter
    assert f"unknown parameter '{parameter}'" in error["message"] and known in error["message"]


def test_provider_has_one_shape_in_every_answer(seeds, index_dir, make_client):
    """Hits had an object, story reports, suggestions and more-like-this a bare name, and the
    article its own two fields."""
    for n, outlet in enumerate(["GamesRadar+", "Yahoo"]):
        write_article(seeds, f"copy{n}.md", **article_fields(
            "Diablo 4 open beta patch fixes Ashava world boss spawn timer", "A patch fixes the world boss spawn timer",
            publishedDateTime=f"2023-03-2{2 + n}T10:00:00Z", provider={"name": outlet, "domain": f"o{n}.example"}))
    write_article(seeds, "kills.md", **article_fields(
        "Ashava world boss killed ten million beta players", "Blizzard counted the deaths of the world boss weekend",
        publishedDateTime="2023-03-31T10:00:00Z", provider={"name": "PCGamesN", "domain": "pcgamesn.com"}))
    reindex(seeds, index_dir)
    client = make_client()
    shapes = []
    hit = client.get("/api/search?q=ashava+spawn").get_json()["hits"][0]
    shapes += [hit["provider"], *(report["provider"] for report in hit["story"]["reports"])]
    shapes += [t["provider"] for t in client.get("/api/suggest?q=ashava").get_json()["titles"]]
    details = client.get("/api/articles/kills").get_json()
    shapes += [details["article"]["provider"], *(entry["provider"] for entry in details["more_like_this"])]
    assert "provider_name" not in details["article"] and len(shapes) >= 5
    assert all(set(shape) == {"name", "domain"} and shape["name"] for shape in shapes), shapes
