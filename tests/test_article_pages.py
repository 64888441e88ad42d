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


def test_results_link_to_their_article_page_which_leads_back(features):
    """The article page lost the query and had no way back."""
    assert 'href="/articles/face?q=facial"' in features.get("/?q=facial").get_data(as_text=True)
    page = features.get("/articles/face?q=facial").get_data(as_text=True)
    assert '<a href="/?q=facial">← Back to the results for “facial”</a>' in page
    assert "Back to the results" not in features.get("/articles/face").get_data(as_text=True)


def test_the_story_and_related_coverage_list_each_piece_once(corpus_client):
    """The source's related coverage repeated headlines listed as reports of the story (609
    articles of the corpus list such pieces)."""
    article = "2020-09-29-diablo-4-dev-blog-discusses-depth-through-skills-and-talents"
    details = corpus_client.get(f"/api/articles/{article}").get_json()
    story_titles = {r["title"].strip().lower() for r in details["story"]}
    repeated = [r for r in details["article"]["related"] if r["title"].strip().lower() in story_titles]
    assert repeated  # the file does list pieces of its own story
    page = corpus_client.get(f"/articles/{article}").get_data(as_text=True)
    for item in repeated:
        assert page.count(f">{item['title']}</a>") == 1, item["title"]


def test_cut_excerpts_say_so_and_story_reports_name_their_outlet(seeds, index_dir, make_client):
    from conftest import article_fields, write_article
    from indexer.build import reindex

    write_article(seeds, "cut.md", **article_fields("Harbour works begin", "The council approved the works and the"))
    write_article(seeds, "whole.md", **article_fields("Harbour works approved", "The council approved the works."))
    for n, outlet in enumerate(["Harbour Daily", "Coast News"]):
        write_article(seeds, f"copy{n}.md", **article_fields("Harbour works will close the quay for a month",
                                                             "Boats must moor elsewhere until June.",
                                                             provider={"name": outlet, "domain": f"o{n}.example"}))
    reindex(seeds, index_dir)
    html = make_client().get("/?q=harbour").get_data(as_text=True)
    assert "works and the…</p>" in html and "the works.</p>" in html and "works.…" not in html
    assert "{&#39;name&#39;" not in html and ('Harbour Daily' in html and 'Coast News' in html)
