"""Listing the seeds folder with each file's size and time, in one process or two."""

from __future__ import annotations

import os

import pytest

from indexer import scan
from indexer.articles import iter_article_paths
from indexer.scan import scan_articles


@pytest.fixture
def tree(tmp_path):
    for name in ["top.md", "a/1.md", "a/deep/2.md", "b/3.txt", "b/.hidden.md", "c/4.md", "c/skip.html", "d/5.md"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: x\n---\n" + name)
    (tmp_path / "c" / "gone.md").symlink_to(tmp_path / "nowhere.md")
    return tmp_path


def comparable(scan):
    listing = [(path, stat if isinstance(stat, tuple) else type(stat).__name__) for path, stat in scan.files]
    return listing, scan.unchanged


def test_two_processes_list_what_one_does(tree):
    serial = scan_articles(tree, parallel=False)
    assert comparable(scan_articles(tree, parallel=True)) == comparable(serial)
    assert [path for path, _ in serial.files] == list(iter_article_paths(tree))
    stats = dict(comparable(serial)[0])
    assert stats[os.path.join("c", "gone.md")] == "FileNotFoundError"
    top = os.stat(tree / "top.md")
    assert stats["top.md"] == (top.st_size, top.st_mtime_ns)


def test_a_failed_helper_leaves_its_half_to_the_reindex(tree, monkeypatch):
    monkeypatch.setattr(scan, "helper_main", lambda *args: os._exit(1))
    assert comparable(scan_articles(tree, parallel=True)) == comparable(scan_articles(tree, parallel=False))


@pytest.mark.parametrize("parallel", [False, True])
def test_files_recognised_as_unchanged_are_set_apart_in_both_processes(tree, parallel):
    """Files the reindex knows unchanged come back as (id, path), the others in the listing,
    whichever process listed them."""
    same = {"top.md", os.path.join("a", "1.md"), os.path.join("d", "5.md")}
    found = scan_articles(tree, parallel=parallel, unchanged=lambda path, stat: f"id:{path}" if path in same else None)
    assert sorted(found.unchanged) == sorted((f"id:{path}", path) for path in same)
    assert not same & {path for path, _ in found.files}
    assert [path for path, _ in found.files] == [p for p in iter_article_paths(tree) if p not in same]


def test_a_stuck_helper_does_not_hang_the_reindex(tree, monkeypatch):
    import time

    monkeypatch.setattr(scan, "helper_main", lambda *args: time.sleep(3600))
    monkeypatch.setattr(scan, "HELPER_WAIT_MIN_S", 0.5)
    assert comparable(scan_articles(tree, parallel=True)) == comparable(scan_articles(tree, parallel=False))
