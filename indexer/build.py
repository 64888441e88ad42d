"""Building the index and keeping it in step with the folder of articles.

``reindex`` walks the seeds folder, skips files whose size and mtime (then content hash) are
unchanged since the last run, parses the rest, and commits additions, updates and removals in
one Whoosh transaction. A full rebuild (asked for, or needed after a schema change) is written
as a new build and published only if it is sane (see layout.py): readers always see a whole
index, the old one or the new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index

from indexer.articles import ArticleError, article_id, iter_article_paths, parse_article_bytes, read_article_bytes
from indexer.layout import (
    INDEX_NAME,
    IndexerError,
    ReindexLocked,
    current_build,
    index_exists,
    new_build_dir,
    open_build,
    open_index,
    publish_build,
    read_meta,
    reindex_lock,
    remove_old_builds,
    stale_reason,
    write_meta,
)
from indexer.postings import write_missing_postings
from indexer.schema import SCHEMA_VERSION, article_document, build_schema
from indexer.stories import group_stories, stories_path, story_input, write_stories

__all__ = ["IndexerError", "ReindexLocked", "UnsafeReindex", "ReindexReport", "reindex", "index_exists",
           "open_build", "open_index", "read_meta", "current_build", "stale_reason", "INDEX_NAME"]

DEFAULT_MAX_LOSS = 0.25

Progress = Callable[[int, int], None]


class UnsafeReindex(IndexerError):
    """The new index looks wrong (empty, or far smaller than the last); it was not published."""


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


def file_fingerprint(size: int, mtime_ns: int, digest: str) -> str:
    return f"{size}:{mtime_ns}:{digest}"


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def indexed_fingerprints(reader) -> dict[str, str]:
    """Map article id -> fingerprint for every live document in the index."""
    ids = reader.column_reader("id")
    prints = reader.column_reader("fingerprint")
    return {ids[docnum]: prints[docnum] for docnum in reader.all_doc_ids()}


def reindex(seeds_dir: Path, index_dir: Path, full: bool = False, progress: Progress | None = None,
            force: bool = False, max_loss: float = DEFAULT_MAX_LOSS) -> ReindexReport:
    """Bring the index at ``index_dir`` in step with the articles under ``seeds_dir``.

    Raises ReindexLocked if another reindex runs, UnsafeReindex if the result would be empty
    or lose more than ``max_loss`` of the articles (unless ``force``), IndexerError otherwise."""
    started = time.perf_counter()
    seeds_dir, index_dir = Path(seeds_dir), Path(index_dir)
    if not seeds_dir.is_dir():
        raise IndexerError(f"seeds folder {seeds_dir} does not exist or is not a folder")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexerError(f"cannot create index folder {index_dir}: {exc.strerror}") from None
    report = ReindexReport(seeds_dir=str(seeds_dir), index_dir=str(index_dir))
    with reindex_lock(index_dir):
        remove_old_builds(index_dir)
        previous = current_build(index_dir)
        report.rebuilt = "new index" if previous is None else "full rebuild requested" if full else stale_reason(previous)
        build = new_build_dir(index_dir) if report.rebuilt else previous
        try:
            write_build(seeds_dir, build, previous, report, progress, force, max_loss)
        except BaseException:
            if build != previous:
                shutil.rmtree(build, ignore_errors=True)
            raise
        if build != previous:
            publish_build(index_dir, build)
            remove_old_builds(index_dir)
    report.seconds = time.perf_counter() - started
    return report


def write_build(seeds_dir, build, previous, report, progress, force, max_loss) -> None:
    """Sync the documents of ``build`` with the folder, check the result, commit, describe."""
    fresh = build != previous
    ix = whoosh_index.create_in(str(build), build_schema(), indexname=INDEX_NAME) if fresh else \
        whoosh_index.open_dir(str(build), indexname=INDEX_NAME)
    # One process writes. Whoosh's multiprocess writer built the corpus in 4.4 s instead of
    # 7.9 s, but its worker processes outlive a killed reindex (and held its lock): a
    # reindex must be safe to kill at any moment.
    writer = ix.writer(limitmb=128)
    try:
        before = 0 if fresh else writer.reader().doc_count()
        candidates = sync_documents(writer, seeds_dir, report, progress, fresh)
        after = before + report.indexed - report.removed
        check_result(candidates, read_meta(previous).get("docs", before) if previous else 0, after, force, max_loss)
    except BaseException:
        writer.cancel()
        raise
    if report.changed:
        writer.commit()
    else:
        writer.cancel()
    write_missing_postings(ix, build)
    update_stories(ix, build)
    report.docs = after
    old_meta = read_meta(previous)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_meta(build, {
        "schema_version": SCHEMA_VERSION,
        "generation": int(old_meta.get("generation", 0)) + (1 if report.changed else 0),
        "last_reindex": now if report.changed or "last_reindex" not in old_meta else old_meta["last_reindex"],
        "last_checked": now,
        "docs": after,
        "seeds": os.path.abspath(seeds_dir),
    })


def check_result(candidates: int, before: int, after: int, force: bool, max_loss: float) -> None:
    """Refuse to publish an index that is empty for a non-empty folder, or that lost more than
    ``max_loss`` of the articles it had (a folder half-deleted by mistake, a broken mount)."""
    if after == 0 and candidates > 0:
        raise UnsafeReindex(f"the new index would be empty although the folder has {candidates} article files; "
                            "the previous index stays in use")
    if not force and before > 0 and after < before * (1 - max_loss):
        raise UnsafeReindex(f"the new index would hold {after} articles instead of {before} "
                            f"(more than {max_loss:.0%} fewer); the previous index stays in use. "
                            "Use --force if that is intended")


def sync_documents(writer, seeds_dir: Path, report: ReindexReport, progress: Progress | None, fresh: bool) -> int:
    """Add, update and delete documents; returns how many candidate files the folder has."""
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
    return len(paths)


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


def update_stories(ix, build: Path) -> None:
    """Group the committed articles into stories, once per Whoosh generation."""
    generation = ix.latest_generation()
    if stories_path(build, generation).exists():
        return
    with ix.searcher() as searcher:
        items = [story_input(json.loads(fields["payload"])) for fields in searcher.reader().all_stored_fields()]
    write_stories(build, generation, group_stories(items))
