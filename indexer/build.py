"""Building the index and keeping it in step with the folder of articles.

``reindex`` walks the seeds folder, skips files whose size and mtime (then content hash) are
unchanged since the last run, parses the rest, and commits additions, updates and removals in
one Whoosh transaction: readers see either the old index or the new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index
from whoosh.index import LockError

from indexer.articles import ArticleError, article_id, iter_article_paths, parse_article_bytes, read_article_bytes
from indexer.schema import SCHEMA_VERSION, article_document, build_schema
from indexer.stories import group_stories, stories_path, story_input, write_stories

META_FILE = "newsfinder.json"
INDEX_NAME = "MAIN"

Progress = Callable[[int, int], None]


class IndexerError(RuntimeError):
    """A problem that stops a reindex as a whole (missing folder, unwritable index)."""


class ReindexLocked(IndexerError):
    """Another reindex holds the index's write lock."""


@dataclass
class Rejection:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ReindexReport:
    seeds_dir: str
    index_dir: str
    indexed: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rebuilt: str | None = None
    docs: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.indexed or self.updated or self.removed or self.rebuilt)

    def to_json(self) -> dict:
        return {
            "seeds": self.seeds_dir,
            "index": self.index_dir,
            "indexed": self.indexed,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected],
            "rebuilt": self.rebuilt,
            "docs": self.docs,
            "seconds": round(self.seconds, 3),
        }


def read_meta(index_dir: Path) -> dict:
    try:
        with open(index_dir / META_FILE, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(index_dir: Path, meta: dict) -> None:
    # Write then rename, so a reader never sees half a file.
    tmp = index_dir / f".{META_FILE}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
    os.replace(tmp, index_dir / META_FILE)


def index_exists(index_dir: Path) -> bool:
    return index_dir.is_dir() and whoosh_index.exists_in(str(index_dir), indexname=INDEX_NAME)


def open_index(index_dir: Path):
    """Open an existing index for reading; raises IndexerError if there is none."""
    if not index_exists(index_dir):
        raise IndexerError(f"no index in {index_dir}: run `newsfinder reindex` first")
    return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)


def stale_reason(index_dir: Path) -> str | None:
    """Why an existing index cannot be updated in place, or None if it can."""
    version = read_meta(index_dir).get("schema_version")
    if version != SCHEMA_VERSION:
        return f"index was written with schema version {version}, this newsfinder uses {SCHEMA_VERSION}"
    return None


def prepare_index(index_dir: Path, full: bool):
    """Open the index for writing, creating it (or recreating it) when needed.

    Returns (index, reason it was rebuilt or None)."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexerError(f"cannot create index folder {index_dir}: {exc.strerror}") from None
    reason = None
    if not index_exists(index_dir):
        reason = "new index"
    elif full:
        reason = "full rebuild requested"
    else:
        reason = stale_reason(index_dir)
    if reason is None:
        return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME), None
    return whoosh_index.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME), reason


def file_fingerprint(size: int, mtime_ns: int, digest: str) -> str:
    return f"{size}:{mtime_ns}:{digest}"


def stat_prefix(fingerprint: str) -> str:
    return fingerprint.rsplit(":", 1)[0] + ":"


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def indexed_fingerprints(reader) -> dict[str, str]:
    """Map article id -> fingerprint for every live document in the index."""
    ids = reader.column_reader("id")
    prints = reader.column_reader("fingerprint")
    return {ids[docnum]: prints[docnum] for docnum in reader.all_doc_ids()}


def reindex(seeds_dir: Path, index_dir: Path, full: bool = False, progress: Progress | None = None) -> ReindexReport:
    """Bring the index at ``index_dir`` in step with the articles under ``seeds_dir``."""
    started = time.perf_counter()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    if not seeds_dir.is_dir():
        raise IndexerError(f"seeds folder {seeds_dir} does not exist or is not a folder")
    report = ReindexReport(seeds_dir=str(seeds_dir), index_dir=str(index_dir))
    ix, report.rebuilt = prepare_index(index_dir, full)
    try:
        writer = ix.writer(limitmb=128)
    except LockError:
        raise ReindexLocked(f"another reindex is writing to {index_dir}; try again when it has finished") from None
    try:
        sync_documents(writer, seeds_dir, report, progress)
    except BaseException:
        writer.cancel()
        raise
    if report.changed:
        writer.commit()
    else:
        writer.cancel()
    finish_report(ix, index_dir, report, started)
    return report


def sync_documents(writer, seeds_dir: Path, report: ReindexReport, progress: Progress | None) -> None:
    fresh = report.rebuilt is not None
    known = {} if fresh else indexed_fingerprints(writer.reader())
    paths = list(iter_article_paths(seeds_dir))
    seen: dict[str, str] = {}
    for done, relative in enumerate(paths, 1):
        sync_one(writer, seeds_dir, relative, known, seen, report, fresh)
        if progress is not None:
            progress(done, len(paths))
    for gone in set(known) - set(seen):
        writer.delete_by_term("id", gone)
        report.removed += 1


def sync_one(writer, seeds_dir, relative, known, seen, report, fresh) -> None:
    """Index one file if it is new or changed; record a rejection if it is not an article."""
    doc_id = article_id(relative)
    if doc_id in seen:
        report.rejected.append(Rejection(relative, f"has the same id as {seen[doc_id]}"))
        return
    try:
        stat = os.stat(seeds_dir / relative)
        previous = known.get(doc_id)
        if previous and previous.startswith(f"{stat.st_size}:{stat.st_mtime_ns}:"):
            seen[doc_id] = relative
            report.unchanged += 1
            return
        data = read_article_bytes(seeds_dir, relative)
        fingerprint = file_fingerprint(stat.st_size, stat.st_mtime_ns, content_digest(data))
        if previous and previous.rsplit(":", 1)[1] == fingerprint.rsplit(":", 1)[1]:
            seen[doc_id] = relative
            report.unchanged += 1
            return
        article = parse_article_bytes(relative, data)
    except ArticleError as exc:
        report.rejected.append(Rejection(relative, str(exc)))
        return
    except OSError as exc:
        report.rejected.append(Rejection(relative, f"cannot be read: {exc.strerror or exc}"))
        return
    seen[doc_id] = relative
    document = article_document(article, fingerprint)
    if fresh:
        writer.add_document(**document)
        report.indexed += 1
    else:
        writer.update_document(**document)
        if previous:
            report.updated += 1
        else:
            report.indexed += 1


def update_stories(ix, index_dir: Path) -> None:
    """Group the committed articles into stories, once per index generation."""
    generation = ix.latest_generation()
    if stories_path(index_dir, generation).exists():
        return
    with ix.searcher() as searcher:
        items = [story_input(json.loads(fields["payload"])) for fields in searcher.reader().all_stored_fields()]
    write_stories(index_dir, generation, group_stories(items))


def finish_report(ix, index_dir: Path, report: ReindexReport, started: float) -> None:
    update_stories(ix, index_dir)
    with ix.searcher() as searcher:
        report.docs = searcher.doc_count()
    meta = read_meta(index_dir)
    generation = int(meta.get("generation", 0)) + (1 if report.changed else 0)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_meta(
        index_dir,
        {
            "schema_version": SCHEMA_VERSION,
            "generation": generation,
            "last_reindex": now if report.changed or "last_reindex" not in meta else meta["last_reindex"],
            "last_checked": now,
            "docs": report.docs,
            "seeds": str(seeds_path_for_meta(report.seeds_dir)),
        },
    )
    report.seconds = time.perf_counter() - started


def seeds_path_for_meta(seeds_dir: str) -> str:
    return os.path.abspath(seeds_dir)
