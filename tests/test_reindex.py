"""Building and updating the index on disk: additions, changes, removals, rejections."""

from __future__ import annotations

import os

import pytest

from indexer.build import IndexerError, ReindexLocked, reindex
from indexer.layout import current_build, read_meta
from indexer.schema import SCHEMA_VERSION
from tests.conftest import article_fields, lock_held_elsewhere, write_article
from webapp.engine import SearchEngine
from webapp.search import SearchRequest


def titles(index_dir, q):
    return [hit["title"] for hit in SearchEngine(index_dir).search(SearchRequest(q=q))["hits"]]


def test_first_reindex_indexes_every_article(small_collection, index_dir):
    report = reindex(small_collection, index_dir)
    assert (report.indexed, report.updated, report.removed, report.rejected) == (4, 0, 0, [])
    assert report.docs == 4 and report.rebuilt == "new index"
    assert titles(index_dir, "laptop") == ["Library lends laptops"]


def test_nothing_changed_means_nothing_rewritten(small_index, small_collection):
    report = reindex(small_collection, small_index)
    assert (report.indexed, report.updated, report.removed, report.unchanged) == (0, 0, 0, 4)
    assert not report.changed


def test_changed_added_and_deleted_files_are_followed(small_index, small_collection):
    write_article(small_collection, "cookies.md", **article_fields("Browser blocks trackers", "Now about trackers."))
    write_article(small_collection, "new.md", **article_fields("Fresh story on satellites", "Orbit news."))
    (small_collection / "beta.md").unlink()
    report = reindex(small_collection, small_index)
    assert (report.indexed, report.updated, report.removed, report.unchanged) == (1, 1, 1, 2)
    assert titles(small_index, "satellites") == ["Fresh story on satellites"]
    assert titles(small_index, "trackers") == ["Browser blocks trackers"]
    assert titles(small_index, "cookies") == []
    assert titles(small_index, "beta") == []


def test_a_reindex_of_named_paths_looks_at_those_files_only(small_index, small_collection):
    write_article(small_collection, "cookies.md", **article_fields("Browser blocks trackers", "Now about trackers."))
    write_article(small_collection, "new.md", **article_fields("Fresh story on satellites", "Orbit news."))
    write_article(small_collection, "unnamed.md", **article_fields("Changed but not named", "Stays unseen."))
    (small_collection / "beta.md").unlink()
    outside = small_collection.parent / "outside.md"
    write_article(small_collection.parent, "outside.md", **article_fields("Not in the folder"))
    report = reindex(small_collection, small_index,
                     only=["cookies.md", str(small_collection / "new.md"), "beta.md", str(outside), "nested/library.txt"])
    assert (report.indexed, report.updated, report.removed, report.unchanged) == (1, 1, 1, 1)
    assert [r.path for r in report.rejected] == [str(outside)]
    assert titles(small_index, "satellites") == ["Fresh story on satellites"]
    assert titles(small_index, "trackers") == ["Browser blocks trackers"]
    assert titles(small_index, "beta") == [] and titles(small_index, "unseen") == []
    full = reindex(small_collection, small_index)  # the next full scan finds the unnamed change
    assert (full.indexed, full.updated, full.removed) == (1, 0, 0)


def test_touched_file_with_same_content_is_not_reindexed(small_index, small_collection):
    path = small_collection / "ban.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    report = reindex(small_collection, small_index)
    assert (report.updated, report.unchanged) == (0, 4)


def test_one_broken_file_never_stops_the_others(seeds, index_dir):
    write_article(seeds, "good-1.md", **article_fields("First good article"))
    (seeds / "broken.md").write_text("---\ntitle: [oops\n---\n")
    write_article(seeds, "good-2.md", **article_fields("Second good article"))
    report = reindex(seeds, index_dir)
    assert report.indexed == 2
    assert [(r.path, r.reason.split(" at ")[0]) for r in report.rejected] == [("broken.md", "has invalid YAML front matter")]


def test_an_article_broken_by_an_edit_leaves_the_index(small_index, small_collection):
    (small_collection / "cookies.md").write_text("no front matter any more")
    report = reindex(small_collection, small_index)
    assert report.removed == 1 and [r.path for r in report.rejected] == ["cookies.md"]
    assert titles(small_index, "cookies") == []


def test_two_files_with_one_id_keep_the_first(seeds, index_dir):
    write_article(seeds, "same.md", **article_fields("From markdown"))
    write_article(seeds, "same.txt", **article_fields("From text"))
    report = reindex(seeds, index_dir)
    assert report.indexed == 1
    assert [str(r) for r in report.rejected] == ["same.txt: has the same id as same.md"]


def test_a_copy_that_looks_unchanged_does_not_take_the_id_twice(seeds, index_dir):
    """A second file of an article's id with the same size and time as the indexed one
    matches its fingerprint too; it is still rejected, and later runs keep saying so."""
    first = write_article(seeds, "same.md", **article_fields("From markdown"))
    reindex(seeds, index_dir)
    copy = seeds / "same.txt"
    copy.write_bytes(first.read_bytes())
    os.utime(copy, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns))
    for _ in range(2):
        report = reindex(seeds, index_dir)
        assert (report.unchanged, report.indexed, report.updated) == (1, 0, 0)
        assert [str(r) for r in report.rejected] == ["same.txt: has the same id as same.md"]
    assert titles(index_dir, "markdown") == ["From markdown"]


def test_full_rebuild_starts_from_scratch(small_index, small_collection):
    report = reindex(small_collection, small_index, full=True)
    assert report.rebuilt == "full rebuild requested" and report.indexed == 4 and report.docs == 4


def test_index_from_another_schema_version_is_rebuilt(small_index, small_collection):
    (current_build(small_index) / "newsfinder.json").write_text('{"schema_version": 0}')
    report = reindex(small_collection, small_index)
    assert "schema version 0" in report.rebuilt and report.docs == 4
    assert read_meta(current_build(small_index))["schema_version"] == SCHEMA_VERSION


def test_generation_counts_committed_changes(small_index, small_collection):
    assert read_meta(current_build(small_index))["generation"] == 1
    reindex(small_collection, small_index)
    assert read_meta(current_build(small_index))["generation"] == 1
    write_article(small_collection, "extra.md", **article_fields("Extra"))
    reindex(small_collection, small_index)
    assert read_meta(current_build(small_index))["generation"] == 2


def test_concurrent_reindex_is_refused(small_index, small_collection):
    with lock_held_elsewhere(small_index):
        with pytest.raises(ReindexLocked, match="another reindex"):
            reindex(small_collection, small_index)
    assert reindex(small_collection, small_index).docs == 4


def test_missing_seeds_folder_is_an_error(tmp_path):
    with pytest.raises(IndexerError, match="does not exist"):
        reindex(tmp_path / "nowhere", tmp_path / "index")


def test_progress_is_reported_every_256_files_and_at_the_end(small_collection, index_dir):
    for n in range(596):
        write_article(small_collection, f"more/{n}.md", **article_fields(f"Filler {n}"))
    calls = []
    reindex(small_collection, index_dir, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(256, 600), (512, 600), (600, 600)]


def test_whole_corpus_indexes_with_none_rejected(corpus_dir, tmp_path):
    report = reindex(corpus_dir, tmp_path / "index")
    assert report.rejected == []
    assert report.indexed == report.docs == 2286


def test_repeated_queries_come_from_a_cache_that_a_reindex_invalidates(small_index, small_collection):
    import time

    from webapp.engine import REFRESH_INTERVAL

    engine = SearchEngine(small_index)
    first = engine.search(SearchRequest(q="privacy"))
    again = engine.search(SearchRequest(q="privacy"))
    assert (first["cached"], again["cached"]) == (False, True) and again["hits"] == first["hits"]
    assert engine.search(SearchRequest(q="privacy", per_page=3))["cached"] is False  # another request
    write_article(small_collection, "more.md", **article_fields("More privacy news", topics=["Privacy"]))
    reindex(small_collection, small_index)
    time.sleep(REFRESH_INTERVAL + 0.1)
    fresh = engine.search(SearchRequest(q="privacy"))
    assert fresh["cached"] is False and fresh["total"] == first["total"] + 1


def test_an_index_whose_grouping_is_missing_uses_the_last_one(small_index, small_collection):
    from indexer.layout import current_build
    from indexer.stories.files import read_stories

    copy = article_fields("Parliament votes to ban facial recognition in public spaces",
                          "Lawmakers called for a permanent ban on automated facial recognition.",
                          provider={"name": "Copy Desk"})
    write_article(small_collection, "ban-copy.md", **copy)
    reindex(small_collection, small_index)  # a copy: one story of two reports
    write_article(small_collection, "extra.md", **article_fields("Extra"))
    reindex(small_collection, small_index)
    build = current_build(small_index)
    newest = max(int(p.stem.split("-")[-1]) for p in build.glob("stories-*.json"))
    (build / f"stories-{newest}.json").unlink()  # as if the reindex died before writing it
    assert read_stories(build, newest) == {"ban": "ban", "ban-copy": "ban"}  # the one before it
    engine = SearchEngine(small_index)
    assert engine.search(SearchRequest(q="extra"))["total"] == 1
    assert engine.search(SearchRequest(q="facial recognition"))["total"] == 1  # one story


def test_reindexing_runs_without_the_cyclic_collector(small_collection, index_dir, monkeypatch, tmp_path):
    """A parallel build's writer processes switch Python's cyclic collector off (its walks
    over their pools were a seventh of their time), and every reindex pauses it in its own
    process; afterwards the collector is back on."""
    import gc

    import indexer.build
    from whoosh import multiproc

    monkeypatch.setattr(indexer.build, "PARALLEL_FROM", 2)
    monkeypatch.setattr(indexer.build, "WORKERS", 2)
    seen = tmp_path / "collector"
    process_file = multiproc.SubWriterTask._process_file

    def recording(self, *args):  # runs in the forked writer
        with open(seen, "a") as handle:
            handle.write(f"{os.getpid()} {gc.isenabled()}\n")
        return process_file(self, *args)

    monkeypatch.setattr(multiproc.SubWriterTask, "_process_file", recording)
    in_reindex = []
    assert reindex(small_collection, index_dir, progress=lambda *_: in_reindex.append(gc.isenabled())).indexed == 4
    lines = seen.read_text().split()
    assert lines and set(lines[1::2]) == {"False"} and str(os.getpid()) not in lines[0::2]
    assert in_reindex == [False] and gc.isenabled()
    # A one-process update (a changed file) too.
    monkeypatch.setattr(indexer.build, "PARALLEL_FROM", 10**9)
    changed = next(small_collection.glob("*.md"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    in_reindex.clear()
    assert reindex(small_collection, index_dir, progress=lambda *_: in_reindex.append(gc.isenabled())).updated == 1
    assert in_reindex == [False] and gc.isenabled()


@pytest.mark.parametrize("made_while_writing", [True, False])
def test_a_large_build_writes_every_segments_arrays(small_collection, index_dir, monkeypatch, made_while_writing):
    """A large fresh build's writer processes make each segment's posting arrays as they
    write it; arrays they did not make are read back from the segment by the reindex."""
    import indexer.build
    import indexer.whoosh_internals.posting_blocks
    from indexer.postings import postings_path

    monkeypatch.setattr(indexer.build, "PARALLEL_FROM", 2)
    monkeypatch.setattr(indexer.build, "WORKERS", 2)
    written_by = []
    real_write = indexer.build.write_missing_postings
    monkeypatch.setattr(indexer.build, "write_missing_postings", lambda *args: written_by.append(real_write(*args)))
    if not made_while_writing:
        monkeypatch.setattr(indexer.whoosh_internals.posting_blocks, "ArraysBuilder", lambda schema: None)
    report = reindex(small_collection, index_dir)
    assert report.indexed == 4
    build = current_build(index_dir)
    snapshot = SearchEngine(index_dir).snapshot()
    segments = snapshot.segments()
    assert segments and all(postings is not None for _, _, postings, _ in segments)
    assert all(postings_path(build, sub.reader().segment()).exists() for sub, _, _, _ in segments)
    assert written_by == [0 if made_while_writing else len(segments)]  # arrays the reindex read back
    assert SearchEngine(index_dir).search(SearchRequest(q="privacy"))["total"] >= 1


def test_writers_memory_is_a_share_of_the_free_memory_within_bounds():
    from indexer.build import POOL_MAX_MB, POOL_MIN_MB, pool_limit_mb

    assert POOL_MIN_MB <= pool_limit_mb(2) <= POOL_MAX_MB
    assert pool_limit_mb(10**7) == POOL_MIN_MB  # too many writers for the memory: the floor
    assert pool_limit_mb(1) >= pool_limit_mb(4)
