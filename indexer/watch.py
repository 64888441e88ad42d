"""Watch mode: follow the seeds folder and reindex shortly after files change.

watchfiles (inotify underneath) reports changes; bursts are gathered until 200 ms pass
without a new one (at most 1 s), then one incremental reindex runs over just the files that
changed (the whole folder when a folder moved). An article saved in an editor is searchable
about half a second later.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

from watchfiles import DefaultFilter, watch

from indexer.articles import is_article_name
from indexer.build import IndexerError, ReindexLocked, ReindexReport, reindex

QUIET_MS = 200
MAX_WAIT_MS = 1000


class ArticleFilter(DefaultFilter):
    """Changes to article files, and to folders (a moved or deleted folder holds articles)."""

    def __call__(self, change, path: str) -> bool:
        name = os.path.basename(path)
        if not super().__call__(change, path) or name.startswith("."):
            return False
        return is_article_name(name) or "." not in name


def stop_when_parent_exits(stop: threading.Event, parent: int | None = None) -> None:
    """Set ``stop`` when the process that started us (``parent``, or else our parent now) is
    gone (serve --watch's child)."""
    parent = parent or os.getppid()

    def check() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
            time.sleep(0.5)

    threading.Thread(target=check, daemon=True).start()


def watch_folder(seeds_dir: Path, index_dir: Path, on_report: Callable[[ReindexReport], None],
                 on_error: Callable[[str], None], stop: threading.Event | None = None, **options) -> None:
    """Reindex now, then after every burst of changes, until ``stop`` is set."""
    stop = stop or threading.Event()
    run_reindex(seeds_dir, index_dir, on_report, on_error, **options)
    options.pop("full", None)  # a rebuild, if asked for, happens once, at the start
    for changes in watch(seeds_dir, watch_filter=ArticleFilter(), step=QUIET_MS, debounce=MAX_WAIT_MS,
                         stop_event=stop, rust_timeout=500, yield_on_timeout=False):
        run_reindex(seeds_dir, index_dir, on_report, on_error, only=changed_articles(changes), **options)


def changed_articles(changes) -> list[str] | None:
    """The article files that changed, or None when a folder did (its files must be rescanned)."""
    paths = sorted({path for _, path in changes})
    if all(is_article_name(os.path.basename(path)) and not os.path.isdir(path) for path in paths):
        return paths
    return None


def run_reindex(seeds_dir, index_dir, on_report, on_error, **options) -> None:
    for _ in range(20):
        try:
            on_report(reindex(seeds_dir, index_dir, **options))
            return
        except ReindexLocked:
            time.sleep(0.25)  # a manual reindex is running: ours follows it
        except IndexerError as exc:
            on_error(str(exc))
            return
    on_error("another reindex kept the index locked; will try again on the next change")
