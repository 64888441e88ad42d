"""The server-rendered search page: results without JavaScript, escaping, pagination."""

from __future__ import annotations

import re

from indexer.build import reindex
from tests.conftest import article_fields, write_article


def test_front_page_has_a_labelled_search_box(client):
    html = client.get("/").get_data(as_text=True)
    assert '<form class="search" role="search" action="/" method="get">' in html
    assert '<label for="q"' in html and 'name="q"' in html


def test_results_are_rendered_on_the_server(client):
    response = client.get("/?q=facial+recognition")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 story for <strong>facial recognition</strong>" in html
    assert '<a href="https://example.org/' in html
    assert "<mark>facial recognition</mark>" in html
    assert '<span class="provider">Example News</span>' in html
    # a date a reader reads, the exact time on hover; topics filter the search
    assert '<time datetime="2024-01-15T10:00:00Z" title="2024-01-15 10:00 UTC">15 Jan 2024</time>' in html
    assert '<li><a href="/?q=facial+recognition&amp;topic=Privacy">Privacy</a></li>' in html
    # JavaScript only enhances: one external script, nothing inline.
    assert html.count("<script") == 1 and '<script src="/static/app.js" defer></script>' in html


def test_no_results_says_so(client):
    html = client.get("/?q=zeppelin").get_data(as_text=True)
    assert "No articles match <strong>zeppelin</strong>." in html


def test_pagination_links_move_between_pages(seeds, index_dir, make_client):
    for number in range(25):
        write_article(seeds, f"a{number:02}.md", **article_fields(f"Harbour report number {number}"))
    reindex(seeds, index_dir)
    client = make_client()
    first = client.get("/?q=harbour&collapse=none").get_data(as_text=True)
    assert "25 articles for <strong>harbour</strong>, page 1 of 3." in first
    assert 'rel="next" href="/?q=harbour&amp;collapse=none&amp;page=2"' in first and 'rel="prev"' not in first
    last = client.get("/?q=harbour&collapse=none&page=3").get_data(as_text=True)
    assert 'rel="prev" href="/?q=harbour&amp;collapse=none&amp;page=2"' in last and 'rel="next"' not in last
    assert len(re.findall(r'<li class="hit">', last)) == 5


def test_pages_are_numbered_with_the_first_the_last_and_those_around(seeds, index_dir, make_client):
    """Prev and Next were the only way through: now numbered links, the current page marked."""
    from webapp.pages import page_numbers

    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    for number in range(45):
        write_article(seeds, f"a{number:02}.md", **article_fields(f"Harbour report number {number}"))
    reindex(seeds, index_dir)
    html = make_client().get("/?q=harbour&collapse=none&per_page=5&page=6").get_data(as_text=True)
    numbers = re.findall(r'aria-label="Page (\d+)">|<span aria-current="page">(\d+)</span>|<li aria-hidden="true">…</li>', html)
    assert [a or b or "…" for a, b in numbers] == ["1", "…", "4", "5", "6", "7", "8", "9"]
    assert '<a href="/?q=harbour&amp;collapse=none&amp;per_page=5&amp;page=9" aria-label="Page 9">9</a>' in html


def test_untrusted_titles_excerpts_and_urls_are_escaped(seeds, index_dir, make_client):
    write_article(seeds, "evil.md", **article_fields(
        '<script>alert("title")</script><svg onload="alert(2)"> evil headline',
        'evil <img src=x onerror="alert(1)"> excerpt <svg/onload=alert(3)> & more',
        webUrl="javascript:alert(document.cookie)",
        topics=["<b>topic</b>"],
        provider={"name": "<i>Provider</i>", "domain": "example.org"}))
    reindex(seeds, index_dir)
    html = make_client().get("/?q=evil").get_data(as_text=True)
    assert "<script>" not in html and "<img" not in html and "<b>topic" not in html and "<i>Provider" not in html
    assert "<svg" not in html and "&lt;svg onload=" in html and "&lt;svg/onload=" in html
    assert "<mark>evil</mark>" in html
    assert "javascript:" not in html


def test_bad_page_parameter_renders_an_error_page(client):
    response = client.get("/?q=ban&page=zero")
    assert response.status_code == 400
    assert "page must be a whole number" in response.get_data(as_text=True)


def test_unknown_page_is_an_html_404(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404 and "<h1>Error 404</h1>" in response.get_data(as_text=True)


def test_images_only_when_the_operator_enables_them(seeds, index_dir, make_client):
    write_article(seeds, "pic.md", **article_fields("Picture story", images=[{"url": "https://img.example/p.jpg"}]))
    write_article(seeds, "bad.md", **article_fields("Picture trick", images=[{"url": "javascript:alert(1)"}]))
    reindex(seeds, index_dir)
    plain = make_client().get("/?q=picture")
    assert "<img" not in plain.get_data(as_text=True)
    assert "img-src 'self';" in plain.headers["Content-Security-Policy"]
    shown = make_client(SHOW_IMAGES=True).get("/?q=picture")
    html = shown.get_data(as_text=True)
    assert '<img class="thumb" src="https://img.example/p.jpg" alt="" loading="lazy" referrerpolicy="no-referrer"' in html
    assert html.count("<img") == 1 and "javascript:" not in html
    assert "img-src 'self' https:;" in shown.headers["Content-Security-Policy"]


def test_the_home_page_shows_what_there_is_to_search(client):
    html = client.get("/").get_data(as_text=True)
    assert "Search 4 news articles" in html and "<h1>" in html
    assert 'href="/?topic=Privacy"' in html  # topics lead to their articles
    assert client.get("/?topic=Privacy").get_data(as_text=True).count('<li class="hit">') == 2
    assert html.count('<li class="hit">') == 4  # the newest stories
    assert "beta -leak" in html  # an example that answers something on its own
    assert 'href="/?provider=Example+News"' in html  # sources lead to their articles too
    assert 'href="/?sort=date"' in html  # and more stories, newest first
    listing = client.get("/?sort=date").get_data(as_text=True)
    assert listing.count('<li class="hit">') == 4 and "Latest stories" not in listing


def test_a_search_without_results_says_what_to_do_and_nothing_contradictory(client):
    html = client.get("/?q=blorft+zeppelinx").get_data(as_text=True)
    assert "No articles match" in html and "showing articles without" not in html
    assert "Check the spelling" in html and 'href="/">see the topics and newest articles' in html
    assert "Follow this search" not in html
    filtered = client.get("/?q=cookies&topic=Games").get_data(as_text=True)
    assert "remove one on the left" in filtered


def test_skip_to_results_lands_just_before_the_first_result(client):
    import re

    html = client.get("/?q=cookies").get_data(as_text=True)
    assert '<a class="skip" href="#results">Skip to results</a>' in html
    assert re.search(r'<section class="results" id="results" tabindex="-1"[^>]*>\s*<h1', html)
    section = html[html.index('id="results"'):]
    # no link between the results' start and the first hit: the next Tab reaches it
    first_link = section.replace('<a class="to-refine"', "<span").index("<a ")  # that one shows on phones only
    assert first_link > section.index('<li class="hit">')
    assert html.count("<h1") == 1


def test_a_page_past_the_last_says_so_and_leads_back(client):
    html = client.get("/?q=cookies&page=9").get_data(as_text=True)
    assert "There is no page 9: this search has 1 page." in html and 'href="/?q=cookies">Go to the results' in html
    assert '<li class="hit">' not in html
