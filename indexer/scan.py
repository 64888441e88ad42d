"""Listing the seeds folder's article files with each one's size and modification time.

A reindex compares every file's size and time with the fingerprint it indexed, to read only
the files that changed. At 100,000 files the stat calls alone are a quarter of a second of
the kernel's time, half of what a one-file reindex costs. With a second core, a forked
helper lists and stats half of the top-level subfolders while the reindex does the other
half; its list comes back through a pipe (100,000 files in 100 folders: 0.45-0.49 s in one
process, 0.28-0.30 s in two). A folder without subfolders is listed in one process, and
if the helper fails its half is listed here.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from pathlib import Path

from indexer.articles import FileStat, entry_stat, folder_entries, open_folder, walk_articles
from indexer.workers import tie_to_parent

Listing = list[tuple[str, FileStat]]


def scan_articles(seeds_dir: Path, with_stat: bool = True, parallel: bool = False) -> Listing:
    """Every article file's path (relative, in iter_article_paths' order) with its (size,
    mtime_ns) when ``with_stat`` (or the error its stat raised), in two processes if
    ``parallel``."""
    root = os.path.normpath(str(seeds_dir))
    if not (with_stat and parallel):
        return list(walk_articles(root, "", with_stat))
    fd = open_folder(root)
    if fd is None:
        return []
    try:
        files, subfolders = folder_entries(fd)
        if len(subfolders) < 2:
            return list(walk_articles(root, "", with_stat))
        mine, theirs = subfolders[:len(subfolders) // 2], subfolders[len(subfolders) // 2:]
        helper, answer = start_helper(fd, theirs)
        found: Listing = [(entry.name, entry_stat(entry)) for entry in files]
        found += list_subfolders(fd, mine)
        listed = helper_listing(helper, answer)
        return found + (list_subfolders(fd, theirs) if listed is None else listed)
    finally:
        os.close(fd)


def list_subfolders(fd: int, names: list[str]) -> Listing:
    return [item for name in names for item in walk_articles(name, name + os.sep, True, fd)]


def start_helper(fd: int, names: list[str]):
    context = multiprocessing.get_context("fork")
    answer, sending = context.Pipe(duplex=False)
    helper = context.Process(target=helper_main, args=(fd, names, sending, os.getpid()), daemon=True)
    helper.start()
    sending.close()
    return helper, answer


def helper_main(fd: int, names: list[str], sending, parent: int) -> None:
    tie_to_parent(parent)
    sending.send_bytes(pickle.dumps(list_subfolders(fd, names), protocol=pickle.HIGHEST_PROTOCOL))
    sending.close()


def helper_listing(helper, answer) -> Listing | None:
    """The helper's listing, or None if it failed to send one."""
    try:
        return pickle.loads(answer.recv_bytes())
    except (EOFError, OSError):
        return None
    finally:
        answer.close()
        helper.join()
