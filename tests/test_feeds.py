"""Browser integration: the OpenSearch description and Atom feeds of searches."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import feedparser

from indexer.build import reindex
from tests.conftest import article_fields, write_article

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def test_opensearch_description_points_at_search_and_suggestions(small_index, make_client):
    response = make_client(PUBLIC_URL="https://news.example/").get("/opensearch.xml")
    assert response.content_type == "application/opensearchdescription+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert root.find(f"{OPENSEARCH}ShortName").text == "newsfinder"
    templates = {url.get("type"): url.get("template") for url in root.findall(f"{OPENSEARCH}Url")}
    assert templates["text/html"] == "https://news.example/?q={searchTerms}"
    assert templates["application/x-suggestions+json"] == "https://news.example/api/suggest?format=opensearch&q={searchTerms}"


def test_suggestions_in_the_opensearch_shape(client):
    response = client.get("/api/suggest?format=opensearch&q=pri")
    assert response.content_type == "application/x-suggestions+json"
    assert response.get_json() == ["pri", ["privacy"]]


def test_the_page_links_to_both(client):
    html = client.get("/?q=privacy").get_data(as_text=True)
    assert '<link rel="search" type="application/opensearchdescription+xml" href="/opensearch.xml"' in html
    assert 'type="application/atom+xml" title="newsfinder: privacy" href="/feed.atom?q=privacy"' in html


def test_feed_of_a_search_is_valid_atom_newest_first(seeds, index_dir, make_client):
    for number, day in enumerate(["2024-01-03", "2024-03-09", "2023-12-24"]):
        write_article(seeds, f"p{number}.md", **article_fields(
            f"Privacy story {number} <b>bold</b> <svg>", "Excerpt with <script>x</script><svg onload=x> & more",
            publishedDateTime=f"{day}T10:00:00Z", topics=["Privacy"]))
    write_article(seeds, "other.md", **article_fields("Unrelated gardening", topics=["Garden"]))
    reindex(seeds, index_dir)
    response = make_client(PUBLIC_URL="https://news.example").get("/feed.atom?q=privacy")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    ET.fromstring(response.data)  # well-formed XML
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "newsfinder: privacy"
    # HTML's own markup is stripped at index time; other angle brackets are text, escaped in XML
    assert [e.title for e in feed.entries] == ["Privacy story 1 bold <svg>", "Privacy story 0 bold <svg>",
                                                "Privacy story 2 bold <svg>"]
    entry = feed.entries[0]
    assert entry.id == "https://news.example/articles/p1"
    assert entry.updated == "2024-03-09T10:00:00Z"
    assert entry.summary == "Excerpt with <svg onload=x> & more" and entry.summary_detail.type == "text/plain"
    assert entry.link.startswith("https://example.org/")
    assert [t.term for t in entry.tags] == ["Privacy"]


def test_feed_honours_filters_and_rejects_bad_ones(seeds, index_dir, make_client):
    write_article(seeds, "a.md", **article_fields("Alpha privacy", topics=["Privacy"]))
    write_article(seeds, "b.md", **article_fields("Beta privacy", topics=["Other"]))
    reindex(seeds, index_dir)
    client = make_client()
    feed = feedparser.parse(client.get("/feed.atom?q=privacy&topic=Privacy").data)
    assert [e.title for e in feed.entries] == ["Alpha privacy"]
    assert client.get("/feed.atom?min_quality=lots").status_code == 400


def test_characters_xml_cannot_hold_never_break_the_feed(seeds, index_dir, make_client):
    # YAML escapes let an article carry control characters and non-characters
    (seeds / "ctl.md").write_text('---\ntitle: "Control \\x01 \\x1b[31m \\0 \\uFFFE story"\nexcerpt: "Bell \\x07 here"\n'
                                  'publishedDateTime: 2024-03-09T10:00:00Z\nwebUrl: "https://example.org/ctl"\n---\n',
                                  encoding="utf-8")
    reindex(seeds, index_dir)
    response = make_client().get("/feed.atom?q=control")
    root = ET.fromstring(response.data)  # well-formed XML
    feed = feedparser.parse(response.data)
    assert not feed.bozo and feed.entries[0].title.startswith("Control") and "story" in feed.entries[0].title
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) == 1


def test_a_forged_host_header_never_reaches_a_feed(small_index, make_client):
    client = make_client(PUBLIC_URL="https://news.example")
    for url in ("/feed.atom?q=beta", "/opensearch.xml"):
        body = client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in body and "https://news.example/" in body
    feed = feedparser.parse(client.get("/feed.atom?q=beta", base_url="http://evil.example").data)
    assert feed.feed.id == "https://news.example/feed.atom?q=beta"


def test_the_public_url_must_be_an_http_address(small_index, make_client):
    import pytest

    for bad in ("javascript:alert(1)", "news.example", "https://news.example/?a=1", "ftp://news.example"):
        with pytest.raises(ValueError, match="PUBLIC_URL"):
            make_client(PUBLIC_URL=bad)
