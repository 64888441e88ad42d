"""Article pages: an article with its story's coverage and related articles, in JSON and HTML."""

from __future__ import annotations


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
