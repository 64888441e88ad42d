"""Story collapsing: reports of one story shown as one hit, expandable on the page."""

from __future__ import annotations

import numpy as np

from webapp.snapshot import distinct_codes


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


def test_story_counts_agree_whether_the_stories_are_sorted_or_counted_per_code():
    """A page's totals count stories by sorting when few articles match and per story code
    when many do: both ways give the same counts."""
    rng = np.random.default_rng(5)
    for size, codes in ((40, 10_000), (9_000, 10_000), (0, 10), (1, 10)):
        values = rng.integers(0, codes, size)
        found, counts = np.unique(values, return_counts=True)
        for per_value in (False, True):
            result = distinct_codes(values, codes, per_value)
            assert result[0].tolist() == found.tolist() and result[1].tolist() == counts.tolist()
            if per_value:
                assert found[result[2]].tolist() == values.tolist()
