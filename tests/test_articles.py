"""Reading article files: front matter, lenient fields, and one-line rejections."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.articles import ArticleError, article_id, iter_article_paths, parse_article, without_teasers
from tests.conftest import PROJECT_DIR, article_fields, write_article

SEED_ID = "000_dd0a1db9d83ee7d8"


def write(folder, name, content, mode="w"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return name


def test_seed_article_is_read_with_every_field_a_result_needs():
    article = parse_article(PROJECT_DIR / "seeds", f"{SEED_ID}.txt")
    assert article.id == SEED_ID
    assert article.title.startswith("European Parliament opposes 'mass surveillance,'")
    assert article.excerpt.startswith("MEPs have officially called")
    assert article.topics == ["Computer Vision", "AI"]
    assert article.category == "news" and article.type == "article"
    assert (article.provider_name, article.provider_domain) == ("TechSpot", "techspot.com")
    assert article.published == dt.datetime(2021, 10, 7, 12, 37)
    assert article.url.startswith("https://www.techspot.com/news/91618")
    assert article.image.startswith("https://static.techspot.com/")
    assert article.quality == 74
    assert [r["provider"]["name"] for r in article.related] == ["TechCrunch", "Common Dreams"]


def test_secured_value_never_reaches_the_article():
    article = parse_article(PROJECT_DIR / "seeds", f"{SEED_ID}.txt")
    assert "secured" not in article.to_json()
    assert "kkzKM" not in str(article.to_json())


def test_dashes_inside_the_front_matter_do_not_close_it(tmp_path):
    name = write(tmp_path, "a.md", (
        "---\ntitle: Dashes\n"
        "excerpt: \"Subscribe! -------------------- Join ---\"\n"
        "note: |\n  first\n  ---\n  still the note\n"
        "quality: 50\n---\nbody after\n---\nmore body\n"))
    article = parse_article(tmp_path, name)
    assert article.excerpt == "Subscribe! -------------------- Join ---"
    assert article.quality == 50
    assert article.body == "body after\n---\nmore body"


def test_corpus_files_with_dash_runs_in_excerpts_keep_whole_excerpts(corpus_dir):
    article = parse_article(corpus_dir, "2019-11-01-sodapoppin-reacts-to-diablo-4-cinematicannouncement-with-chat.md")
    assert "--------------------------------------------" in article.excerpt
    assert article.excerpt.endswith("...")


@pytest.mark.parametrize("excerpt, kept", [
    # another article's headline, ended by its own question mark, mid-excerpt or first
    ("Players hope for many classes. NOW READ: Is the game crossplay?", "Players hope for many classes."),
    ("NOW READ: Is it pay to win? If you have wondered, read on.", "If you have wondered, read on."),
    # a short teaser cut off by the excerpt's end
    ("Both games slip. READ MORE: Harassment claims, lawsuits, and sev ...", "Both games slip."),
    ("And so I had. RELATED: A hands-on look at the beta. Despite being solo, I won.",
     "And so I had. Despite being solo, I won."),
    # no end in sight: the article's own words run on after the headline, so nothing is cut
    ("Related: The Villain Of The Series Yet After being captured by the armies of Hell, Inarius "
     "sought to end the conflict with his captor, daughter of ...", None),
    # not teasers: "more:" in running text, a version's dots
    ("Patch 1.0.2 is out. Nothing more: just fixes.", None),
    # two teasers, each cut to its own headline's end
    ("Out now. NOW READ: Is it fun? It is. ALSO READ: Best builds so far ...", "Out now. It is."),
])
def test_other_articles_headlines_are_cut_from_excerpts(excerpt, kept):
    assert without_teasers(excerpt) == (excerpt if kept is None else kept)


def test_a_teaser_headline_does_not_match_for_the_article_it_sits_in(seeds, index_dir):
    from indexer.build import reindex
    from webapp.engine import SearchEngine
    from webapp.search import SearchRequest

    write_article(seeds, "classes.md", **article_fields(
        "How many classes are there?", "Five classes at launch. NOW READ: Is the game crossplay?"))
    write_article(seeds, "crossplay.md", **article_fields("Is the game crossplay?", "Yes, on every platform."))
    reindex(seeds, index_dir)
    hits = SearchEngine(index_dir).search(SearchRequest(q="game crossplay"))["hits"]
    assert [hit["id"] for hit in hits] == ["crossplay"]
    assert parse_article(seeds, "classes.md").excerpt == "Five classes at launch."


def test_lenient_fields(tmp_path):
    name = write(tmp_path, "lenient.markdown", (
        "\ufeff---\r\ntitle: 1984\r\nexcerpt: plain\r\ntopics: Privacy, Surveillance\r\n"
        "quality: '88'\r\npublishedDateTime: 2022-05-01\r\n---\r\n"))
    article = parse_article(tmp_path, name)
    assert article.id == "lenient"
    assert article.title == "1984"
    assert article.topics == ["Privacy", "Surveillance"]
    assert article.quality == 88
    assert article.published == dt.datetime(2022, 5, 1)


def test_missing_optional_fields_give_empty_values(tmp_path):
    article = parse_article(tmp_path, write(tmp_path, "bare.md", "---\ntitle: Only a title\n---\n"))
    assert (article.excerpt, article.topics, article.quality, article.url, article.published) == ("", [], None, None, None)


def test_url_falls_back_to_original_url_and_null_topics_are_dropped(tmp_path):
    name = write(tmp_path, "u.md", "---\ntitle: T\noriginalUrl: https://example.org/o\ntopics: [null, AI, AI]\n---\n")
    article = parse_article(tmp_path, name)
    assert article.url == "https://example.org/o"
    assert article.topics == ["AI"]


def test_nested_file_id_is_its_relative_path_without_extension(tmp_path):
    name = write(tmp_path, "2024/05/story.md", "---\ntitle: Nested\n---\n")
    assert parse_article(tmp_path, name).id == "2024/05/story"


@pytest.mark.parametrize(
    "content, reason",
    [
        ("title: no delimiters\n", "has no front matter"),
        ("---\ntitle: never closed\n", "unterminated front matter"),
        ("---\ntitle: [unclosed\n---\n", "invalid YAML front matter at line"),
        ("---\n- a\n- list\n---\n", "front matter that is a list, not a mapping"),
        ("---\njust a string\n---\n", "front matter that is a str, not a mapping"),
        ("---\n---\n", "empty front matter"),
        ("---\nexcerpt: no title here\n---\n", "has no title"),
        ("---\ntitle: !!python/object/apply:os.system ['echo hacked']\n---\n", "invalid YAML"),
        (b"---\ntitle: caf\xe9\n---\n", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
        ("", "has no front matter"),
    ],
)
def test_files_that_are_not_articles_are_rejected_with_a_reason(tmp_path, content, reason):
    name = write(tmp_path, "bad.md", content)
    with pytest.raises(ArticleError) as caught:
        parse_article(tmp_path, name)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_file_that_grew_after_its_size_was_taken_is_read_whole(tmp_path, monkeypatch):
    """The read is sized from the file's stat; a file written to in between (its stat says
    10 bytes) must still be read to its end, not cut at the size first seen."""
    import indexer.articles
    from indexer.articles import read_article_bytes

    write_article(tmp_path, "growing.md", **article_fields("Growing", "An excerpt. " * 80))
    whole = (tmp_path / "growing.md").read_bytes()
    real_fstat = os.fstat
    monkeypatch.setattr(indexer.articles.os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 10, *real_fstat(fd)[7:])))
    assert len(whole) > 900 and read_article_bytes(tmp_path, "growing.md") == whole


def test_link_outside_the_seeds_folder_is_rejected(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: secret\n---\n")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "link.md").symlink_to(outside)
    with pytest.raises(ArticleError, match="outside the seeds folder"):
        parse_article(seeds, "link.md")


def test_only_article_files_are_found_and_hidden_ones_skipped(tmp_path):
    for name in ["a.md", "b.markdown", "c.txt", "d.html", ".hidden.md", ".git/e.md", "sub/f.MD"]:
        write(tmp_path, name, "---\ntitle: x\n---\n")
    assert list(iter_article_paths(tmp_path)) == ["a.md", "b.markdown", "c.txt", "sub/f.MD"]


def test_an_article_page_follows_its_file_through_changes_and_deletion(small_collection, index_dir, make_client):
    from indexer.build import reindex

    reindex(small_collection, index_dir)
    write_article(small_collection, "beta.md", **article_fields("Closed beta weekend moved to spring"))
    reindex(small_collection, index_dir)  # the old document is deleted, the new one is in a new segment
    client = make_client()
    assert client.get("/api/articles/beta").get_json()["article"]["title"] == "Closed beta weekend moved to spring"
    assert client.get("/api/articles/nested/library").get_json()["article"]["title"] == "Library lends laptops"
    (small_collection / "beta.md").unlink()
    reindex(small_collection, index_dir)
    assert make_client().get("/api/articles/beta").status_code == 404
    assert make_client().get("/api/articles/Beta").status_code == 404  # ids are exact


@given(st.text(alphabet="ab./-", max_size=16))
def test_an_article_id_is_its_path_without_the_extension(relative):
    """article_id avoids os.path.splitext for speed; it must answer the same for any path."""
    assert article_id(relative) == os.path.splitext(relative)[0]


def test_a_linked_seeds_folder_is_walked_but_linked_subfolders_are_not(tmp_path):
    for name in ["real/a.md", "real/sub/b.md", "elsewhere/c.md"]:
        write(tmp_path, name, "---\ntitle: x\n---\n")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "real" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert list(iter_article_paths(tmp_path / "link")) == ["a.md", os.path.join("sub", "b.md")]


def test_a_path_climbing_out_of_the_folder_is_refused(tmp_path):
    write(tmp_path, "outside.md", "---\ntitle: secret\n---\n")
    write(tmp_path, "seeds/sub/inside.md", "---\ntitle: fine\n---\n")
    with pytest.raises(ArticleError, match="outside the seeds folder"):
        parse_article(tmp_path / "seeds", os.path.join("sub", os.pardir, os.pardir, "outside.md"))
    assert parse_article(tmp_path / "seeds", os.path.join("sub", os.pardir, "sub", "inside.md")).title == "fine"


# The front-matter YAML loader (indexer/front_matter.py)

def loaded(source: str, loader):
    """What a loader makes of ``source``: the value with every type spelled out, or the
    kind of error it raised."""
    import yaml

    try:
        return typed(yaml.load(source, Loader=loader))
    except Exception as exc:  # the kind of failure must be the same too
        return ("raised", type(exc).__name__)


def typed(value):
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple, set)):
        items = sorted(value, key=repr) if isinstance(value, set) else value
        return (type(value).__name__, [typed(v) for v in items])
    return (type(value).__name__, repr(value))


def test_front_matter_loads_as_libyamls_safe_loader_on_the_corpus(corpus_dir):
    import yaml

    from indexer.articles import decode_text, split_front_matter
    from indexer.front_matter import FrontMatterLoader

    checked = 0
    for relative in iter_article_paths(corpus_dir):
        source, _ = split_front_matter(decode_text((corpus_dir / relative).read_bytes()))
        assert loaded(source, FrontMatterLoader) == loaded(source, yaml.CSafeLoader), relative
        checked += 1
    assert checked == 2286


@pytest.mark.parametrize("source", [
    "title: a\nlist: &shared [1, 2]\nagain: *shared",          # an alias: one shared list
    "a: &self [*self]",                                          # a list holding itself
    "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2",               # a merge key
    "=: value\nother: 1",                                        # the "value" key
    "tags: !!set {a, b}",
    "blob: !!binary aGVsbG8=",
    "pairs: !!omap [{a: 1}, {b: 2}]",
    "odd: !custom 3",
    "? [a, b]\n: list as key",
    "? {a: 1}\n: mapping as key",
    "2024-01-01: date as key\n1: int key\n1.5: float key\nnull: null key\ntrue: bool key",
    "when: 2024-13-01",                                          # a 13th month
    "when: 2024-01-15T10:00:00Z\nday: 2024-01-15\nn: 0x1F\nf: .inf\nb: yes\ns: '42'\ne:",
    "dup: 1\ndup: 2",
    "a: 12\nb: '12'\nc: \"true\"\nd: true\ne: 12\nf: ~\ng: '~'",   # the same text plain and quoted
    "- a\n- b",
    "plain text",
    "[unclosed",
])
def test_front_matter_loads_unusual_yaml_as_libyamls_safe_loader(source):
    import yaml

    from indexer.front_matter import FrontMatterLoader

    assert loaded(source, FrontMatterLoader) == loaded(source, yaml.CSafeLoader)


def test_front_matter_aliases_share_one_object_as_in_pyyaml():
    import yaml

    from indexer.front_matter import FrontMatterLoader

    data = yaml.load("list: &shared [1, 2]\nagain: *shared", Loader=FrontMatterLoader)
    assert data == {"list": [1, 2], "again": [1, 2]} and data["again"] is data["list"]


@pytest.mark.parametrize("written, read", [
    ("We&amp;#39;re proud &amp; ready", "We're proud & ready"),
    ("Today we&#8217;re excited", "Today we\u2019re excited"),
    ("Fish&nbsp;&amp;&nbsp;chips", "Fish & chips"),
    ("Power <b>Apps</b> <a href='https://x.org'>news</a>", "Power Apps news"),
    ("Vector<int> and x<y and z>w stay text", "Vector<int> and x<y and z>w stay text"),
    ("AT&T and &copy without a semicolon", "AT&T and &copy without a semicolon"),
])
def test_titles_and_excerpts_are_read_as_the_text_a_person_sees(tmp_path, written, read):
    write_article(tmp_path, "a.md", **article_fields(written, excerpt=written, topics=[written]))
    article = parse_article(tmp_path, "a.md")
    assert (article.title, article.excerpt, article.topics) == (read, read, [read])


def test_markup_in_a_body_is_neither_shown_nor_searchable(seeds, index_dir, make_client):
    from indexer.build import reindex

    write_article(seeds, "a.md", "<p>Inside the <em>crypt</em></p><script>var tracker = 1;</script>",
                  **article_fields("Crypt&#8217;s secret", excerpt="We&amp;#39;re inside"))
    reindex(seeds, index_dir)
    client = make_client()
    hit = client.get("/api/search?q=crypt").get_json()["hits"][0]
    assert hit["title"] == "Crypt\u2019s secret" and "&" not in hit["excerpt"]
    for markup in ("8217", "amp", "script", "tracker", "em"):
        assert client.get(f"/api/search?q={markup}").get_json()["total"] == 0, markup
