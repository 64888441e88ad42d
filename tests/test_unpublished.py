"""Articles whose file says `published: false`: indexed by default and said so, filtered on
request, or left out of the index by a reindex setting that stays until changed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import article_fields, ids, search, write_article
from indexer.articles import parse_article_text
from indexer.build import reindex
from webapp.cli import main


@pytest.mark.parametrize("value, unpublished", [("false", True), ("'false'", True), ("no", True), ("0", True),
                                                ("true", False), ("'yes'", False), (None, False)])
def test_the_front_matters_published_flag_is_read(value, unpublished):
    flag = "" if value is None else f"published: {value}\n"
    article = parse_article_text("a.md", f"---\ntitle: Harbour works\n{flag}---\n")
    assert article.unpublished is unpublished


@pytest.fixture
def drafts(seeds):
    write_article(seeds, "out.md", **article_fields("Harbour works begin", "The council approved it"))
    write_article(seeds, "draft.md", **article_fields("Harbour works draft", "Not out yet", published=False))
    for n in range(6):  # so that withdrawing one piece is not a suspicious loss
        write_article(seeds, f"other{n}.md", **article_fields(f"Tulips in the park {n}", "Spring planting"))
    return seeds


def test_unpublished_articles_are_indexed_said_so_and_filtered_on_request(drafts, index_dir, make_client):
    reindex(drafts, index_dir)
    client = make_client()
    everything = search(client, q="harbour")
    assert sorted(ids(everything)) == ["draft", "out"]
    assert {hit["id"]: hit["unpublished"] for hit in everything["hits"]} == {"draft": True, "out": False}
    assert ids(search(client, q="harbour", published="true")) == ["out"]
    assert ids(search(client, q="harbour", published="false")) == ["draft"]
    assert client.get("/api/search?q=harbour&published=maybe").status_code == 400


def test_a_reindex_can_leave_unpublished_articles_out_and_keeps_that_choice(drafts, index_dir, make_client):
    def run(*options):
        return CliRunner().invoke(main, ["reindex", "--seeds", str(drafts), "--index", str(index_dir), *options])

    left_out = run("--skip-unpublished")
    assert left_out.exit_code == 0 and "left out 1 unpublished articles" in left_out.output
    assert ids(search(make_client(), q="harbour")) == ["out"]
    write_article(drafts, "second-draft.md", **article_fields("Harbour works second draft", "Later", published="false"))
    write_article(drafts, "out.md", **article_fields("Harbour works begin", "Withdrawn", published=False))
    assert run().exit_code == 0  # the choice stays: the new draft and the withdrawn piece are left out
    assert search(make_client(), q="harbour")["total"] == 0
    included = run("--include-unpublished")
    assert included.exit_code == 0 and "rebuilt index (unpublished articles are indexed now)" in included.output
    assert sorted(ids(search(make_client(), q="harbour"))) == ["draft", "out", "second-draft"]
