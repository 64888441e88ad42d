"""Story collapsing: reports of one story shown as one hit, expandable on the page."""

from __future__ import annotations


def test_reports_of_one_story_collapse_into_one_hit(corpus_client):
    collapsed = corpus_client.get("/api/search?q=38+million+records+power+apps&matching=all").get_json()
    flat = corpus_client.get("/api/search?q=38+million+records+power+apps&collapse=none&matching=all").get_json()
    assert collapsed["total"] < flat["total"] == collapsed["total_articles"]
    top = collapsed["hits"][0]
    assert top["story"]["more"] >= 10
    assert len(top["story"]["reports"]) == 10 and all(r["title"] for r in top["story"]["reports"])


def test_collapsed_stories_expand_on_the_page(corpus_client):
    html = corpus_client.get("/?q=38+million+records+power+apps").get_data(as_text=True)
    assert '<details class="story">' in html and "more reports</summary>" in html
