"""The search engine of one worker: the open index snapshot, reopened when a reindex publishes
a new generation, and a cache of recent answers. Answers come from webapp/search.py."""

from __future__ import annotations

import gc
import json
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from indexer.errors import IndexerError
from indexer.layout import build_problem, current_build, linked_build, open_build, read_meta
from indexer.postings import SUFFIX
from webapp.ranking import DEFAULT_QUALITY_CAP, DEFAULT_QUALITY_WEIGHT
from webapp.search import SearchRequest, run_search
from webapp.snapshot import IndexSnapshot

REFRESH_INTERVAL = 0.5  # seconds between checks for a newer index generation
RETIRE_AFTER = 5.0  # seconds an old snapshot stays open for requests still using it
# Answers kept per worker, as JSON text (a third of the memory of the same answer as Python
# objects).
CACHE_BYTES = 8 * 1024 * 1024


class SearchEngine:
    def __init__(self, index_dir: Path, quality_weight: float = DEFAULT_QUALITY_WEIGHT,
                 quality_cap: int = DEFAULT_QUALITY_CAP):
        self.index_dir = Path(index_dir)
        self.quality_weight = quality_weight
        self.quality_cap = quality_cap
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None
        self._retired: IndexSnapshot | None = None
        self._retired_at = 0.0
        self._checked = 0.0
        # Answers keyed by index build and generation: a reindex makes old entries unreachable.
        self._cache: OrderedDict[tuple, str] = OrderedDict()
        self._problem: str | None = None  # why the current index could not be opened
        self._arrays: dict[str, int] = {}  # the posting-array files in use: a repair replaces one
        self._cache_bytes = 0

    def snapshot(self) -> IndexSnapshot:
        """The current index snapshot, reopened when a reindex committed or a rebuild was
        published since the last check (at most every REFRESH_INTERVAL seconds)."""
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._open()
            elif time.monotonic() - self._checked > REFRESH_INTERVAL:
                self._checked = time.monotonic()
                self._close_retired(force=False)
                if self._is_stale(self._snapshot):
                    try:
                        fresh = self._open()
                    except IndexerError as exc:  # keep answering from the last good index
                        self._problem = str(exc)
                        return self._snapshot
                    self._close_retired(force=True)
                    self._retired, self._snapshot = self._snapshot, fresh
                    self._retired_at = time.monotonic()
                    self._cache.clear()
                    self._cache_bytes = 0
            return self._snapshot

    def _close_retired(self, force: bool) -> None:
        """Close the previous snapshot once no request can still be using it.

        A request on another thread may hold the old snapshot for a moment after a swap, so
        it is closed RETIRE_AFTER seconds later (or at the next swap), not at once."""
        if self._retired is None or not (force or time.monotonic() - self._retired_at > RETIRE_AFTER):
            return
        self._retired.searcher.close()
        self._retired = None
        gc.collect()  # the snapshot's arrays and lists are large: give the memory back now

    def _is_stale(self, snapshot: IndexSnapshot) -> bool:
        build = current_build(self.index_dir)
        if build is None:  # keep answering from what we have rather than fail; health says why
            linked = linked_build(self.index_dir)
            self._problem = f"the current index cannot be read: {build_problem(linked)}" if linked else None
            return False
        self._problem = None  # a reopen that fails says so again
        return (build.resolve() != snapshot.build_dir.resolve() or not snapshot.searcher.up_to_date()
                or array_files(build) != self._arrays)

    def _open(self) -> IndexSnapshot:
        build, ix = open_build(self.index_dir)
        self._checked = time.monotonic()
        self._problem = None
        self._arrays = array_files(build)
        return IndexSnapshot.open(ix, build)

    def searcher(self):
        return self.snapshot().searcher

    def health(self) -> dict[str, Any]:
        """The index in use; IndexerError (503) when the current one cannot be read, even while
        searches are still answered from the last good one."""
        snapshot = self.snapshot()
        if self._problem:
            raise IndexerError(f"{self._problem}; answering from the last good index")
        meta = read_meta(snapshot.build_dir)
        return {
            "status": "ok",
            "docs": snapshot.doc_count,
            "generation": meta.get("generation"),
            "last_reindex": meta.get("last_reindex"),
        }

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """Answer a search, from the cache when the same request met the same index generation."""
        started = time.perf_counter()
        answer, text, hit = self._answer(request)
        if answer is None:
            answer = json.loads(text)
        return {**answer, "took_ms": round((time.perf_counter() - started) * 1000, 2), "cached": hit}

    def search_json(self, request: SearchRequest) -> str:
        """The same answer as JSON text, as the API sends it: the cached text is sent as it
        is, not parsed and encoded again."""
        started = time.perf_counter()
        _, text, hit = self._answer(request)
        took = round((time.perf_counter() - started) * 1000, 2)
        return f'{text[:-1]},"took_ms":{json.dumps(took)},"cached":{json.dumps(hit)}}}'

    def _answer(self, request: SearchRequest) -> tuple[dict[str, Any] | None, str, bool]:
        """(answer or None when it came from the cache, its JSON text, whether it did)."""
        snapshot = self.snapshot()
        key = (str(snapshot.build_dir), snapshot.generation, repr(request))  # a dataclass's repr: every field
        with self._lock:
            text = self._cache.get(key)
            if text is not None:
                self._cache.move_to_end(key)
                return None, text, True
        answer = run_search(snapshot, request, self.quality_weight, self.quality_cap)
        text = json.dumps(answer, separators=(",", ":"))
        self._remember(key, text)
        return answer, text, False

    def _remember(self, key: tuple, text: str) -> None:
        with self._lock:
            if key in self._cache:
                return  # another thread answered the same request meanwhile
            self._cache[key] = text
            self._cache_bytes += len(text)
            while self._cache_bytes > CACHE_BYTES and len(self._cache) > 1:
                self._cache_bytes -= len(self._cache.popitem(last=False)[1])


def array_files(build: Path) -> dict[str, int]:
    """The build's posting-array files and their inodes (a rewritten file is a new inode)."""
    found = {}
    for path in build.glob(f"*{SUFFIX}"):
        try:
            found[path.name] = path.stat().st_ino
        except OSError:
            pass
    return found
