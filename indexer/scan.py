"""Listing the seeds folder's article files with each one's size and modification time.

A reindex compares every file's size and time with the fingerprint it indexed, to read only
the files that changed. In a large folder the stat calls alone are a large share of a
one-file reindex. With a second core, a forked helper lists and stats half of the top-level
subfolders while the reindex does the other half; its list comes back through a pipe
(BENCHMARKS.md has the figures). A folder without subfolders is listed in one process, and
if the helper fails its half is listed here.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from indexer.articles import FileStat, entry_stat, folder_entries, open_folder, walk_articles
from indexer.processes import tie_to_parent

Listing = list[tuple[str, FileStat]]
HELPER_WAIT_MIN_S = 30.0  # how long the helper may take after this process listed its half (at least)
# Given a file's path and stat, its article id if it is known to be unchanged, else None.
Unchanged = Callable[[str, FileStat], "str | None"]


@dataclass
class Scan:
    """The folder's article files in walk order: those to look at, and the (id, path) of
    those the ``unchanged`` test recognised where they were listed."""
    files: Listing = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)

    def add(self, listing: Iterable[tuple[str, FileStat]], unchanged: Unchanged | None) -> None:
        if unchanged is None:
            self.files.extend(listing)
            return
        for relative, stat in listing:
            doc_id = unchanged(relative, stat)
            if doc_id is None:
                self.files.append((relative, stat))
            else:
                self.unchanged.append((doc_id, relative))

    def join(self, other: Scan) -> None:
        self.files += other.files
        self.unchanged += other.unchanged


def scan_articles(seeds_dir: Path, with_stat: bool = True, parallel: bool = False,
                  unchanged: Unchanged | None = None) -> Scan:
    """Every article file's path (relative, in iter_article_paths' order) with its (size,
    mtime_ns) when ``with_stat`` (or the error its stat raised), in two processes if
    ``parallel``; the files ``unchanged`` recognises are set apart as they are listed (in
    the helper too: telling unchanged files apart costs as much as listing them)."""
    root = os.path.normpath(str(seeds_dir))
    scan = Scan()
    if not (with_stat and parallel):
        scan.add(walk_articles(root, "", with_stat), unchanged)
        return scan
    fd = open_folder(root)
    if fd is None:
        return scan
    try:
        files, subfolders = folder_entries(fd)
        if len(subfolders) < 2:
            scan.add(walk_articles(root, "", with_stat), unchanged)
            return scan
        mine, theirs = subfolders[:len(subfolders) // 2], subfolders[len(subfolders) // 2:]
        helper, answer = start_helper(fd, theirs, unchanged)
        started = time.monotonic()
        scan.add(((entry.name, entry_stat(entry)) for entry in files), unchanged)
        scan.join(list_subfolders(fd, mine, unchanged))
        # a helper stuck (a lock another thread held at the fork) must not hang the reindex
        listed = helper_scan(helper, answer, wait=max(HELPER_WAIT_MIN_S, 5 * (time.monotonic() - started)))
        scan.join(list_subfolders(fd, theirs, unchanged) if listed is None else listed)
        return scan
    finally:
        os.close(fd)


def list_subfolders(fd: int, names: list[str], unchanged: Unchanged | None) -> Scan:
    scan = Scan()
    for name in names:
        scan.add(walk_articles(name, name + os.sep, True, fd, depth=1), unchanged)
    return scan


def start_helper(fd: int, names: list[str], unchanged: Unchanged | None):
    context = multiprocessing.get_context("fork")  # the helper inherits ``unchanged``'s data
    answer, sending = context.Pipe(duplex=False)
    helper = context.Process(target=helper_main, args=(fd, names, unchanged, sending, os.getpid()), daemon=True)
    helper.start()
    sending.close()
    return helper, answer


def helper_main(fd: int, names: list[str], unchanged: Unchanged | None, sending, parent: int) -> None:
    tie_to_parent(parent)
    sending.send_bytes(pickle.dumps(list_subfolders(fd, names, unchanged), protocol=pickle.HIGHEST_PROTOCOL))
    sending.close()


def helper_scan(helper, answer, wait: float) -> Scan | None:
    """The helper's scan, or None if it failed to send one within ``wait`` seconds."""
    try:
        return pickle.loads(answer.recv_bytes()) if answer.poll(wait) else None
    except (EOFError, OSError):
        return None
    finally:
        answer.close()
        helper.kill()  # gone already, unless it is stuck
        helper.join()
