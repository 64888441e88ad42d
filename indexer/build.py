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
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index
from whoosh.reading import TermNotFound

from indexer.articles import (
    ArticleError,
    FileStat,
    article_id,
    is_article_name,
    iter_article_paths,
    parse_article_bytes,
    printable_path,
    read_article_file,
)
from indexer.layout import (
    INDEX_NAME,
    IndexerError,
    ReindexLocked,
    current_build,
    index_exists,
    linked_copy,
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
from indexer.errors import DamagedIndex
from indexer.manifest import verify_build, write_manifest
from indexer.postings import write_missing_postings
from indexer.scan import Scan, scan_articles
from indexer.processes import collector_paused
from indexer.schema import SCHEMA_VERSION, article_document, build_schema
from indexer.stories.updating import GroupingAhead, update_stories
from indexer.stories.vectors import StoryInput, story_input
from indexer.whoosh_internals import install
from indexer.whoosh_internals.whole_columns import column_strings

__all__ = ["IndexerError", "ReindexLocked", "UnsafeReindex", "ReindexReport", "reindex", "index_exists",
           "open_build", "open_index", "read_meta", "current_build", "stale_reason", "INDEX_NAME"]

DEFAULT_MAX_LOSS = 0.25
# A build from scratch of at least this many articles is indexed by several processes.
PARALLEL_FROM = int(os.environ.get("NEWSFINDER_PARALLEL_FROM", "5000"))
POOL_MIN_MB, POOL_MAX_MB = 128, 1024
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

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
    left_out: int = 0  # articles whose file says `published: false`, with skip_unpublished
    docs: int = 0
    seconds: float = 0.0
    touched: set[str] = field(default_factory=set, repr=False)  # ids added, changed or removed

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
            "left_out_unpublished": self.left_out,
            "docs": self.docs,
            "seconds": round(self.seconds, 3),
        }


def file_fingerprint(size: int, mtime_ns: int, digest: str) -> str:
    return f"{size}:{mtime_ns}:{digest}"


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def indexed_fingerprints(ix) -> dict[str, str]:
    """Map article id -> fingerprint for every live document in the index."""
    with ix.reader() as reader:
        ids, prints = column_strings(reader, "id"), column_strings(reader, "fingerprint")
        for leaf, base in reader.leaf_readers():  # a deleted document's old id must not count
            for local in leaf.segment().deleted_docs():
                ids[base + local] = None
    known = dict(zip(ids, prints))
    known.pop(None, None)
    return known


def scan_folder(seeds_dir: Path, known: dict[str, str], fresh: bool) -> Scan:
    """The folder's article files, those whose size and time match their fingerprint set
    apart (a new index has none to match: its files are not even stat'ed)."""
    def unchanged(relative: str, stat: FileStat) -> str | None:
        doc_id = article_id(relative)
        return doc_id if stat_unchanged(known.get(doc_id), stat) else None

    return scan_articles(seeds_dir, with_stat=not fresh, parallel=WORKERS > 1, unchanged=None if fresh else unchanged)


def reindex(seeds_dir: Path, index_dir: Path, full: bool = False, progress: Progress | None = None,
            force: bool = False, max_loss: float = DEFAULT_MAX_LOSS, only: list[str] | None = None,
            skip_unpublished: bool | None = None) -> ReindexReport:
    """Bring the index at ``index_dir`` in step with the articles under ``seeds_dir``.

    With ``only`` (paths below ``seeds_dir`` that were added, changed or deleted), look at
    those files alone instead of scanning the folder; ignored when the index is (re)built.
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
    # A reindex builds large structures without cycles (every file's fingerprint and story,
    # a parallel build's grouping inputs): the cyclic collector's passes over them cost a
    # build's parent a tenth of its time (indexer/processes.py).
    with collector_paused(), reindex_lock(index_dir):
        remove_old_builds(index_dir)
        previous = current_build(index_dir)
        if previous is None and not any(iter_article_paths(seeds_dir)):
            raise IndexerError(f"no article files in {seeds_dir}: nothing to index (an article is a .md, "
                               ".markdown or .txt file that opens with a front-matter block)")
        recorded = bool(read_meta(previous).get("skip_unpublished", False))
        skip = recorded if skip_unpublished is None else skip_unpublished
        report.rebuilt = "new index" if previous is None else "full rebuild requested" if full else \
            stale_reason(previous) or unpublished_reason(recorded, skip)
        try:
            result = build_or_update(seeds_dir, index_dir, previous, report, progress, force, max_loss, only, skip)
        except DamagedIndex as exc:  # an update found a file of the index in use damaged: rebuild
            report = ReindexReport(seeds_dir=str(seeds_dir), index_dir=str(index_dir),
                                   rebuilt=f"the index in use is damaged: {exc}")
            result = build_or_update(seeds_dir, index_dir, previous, report, progress, force, max_loss, None, skip)
        if result != previous:
            try:
                publish_build(index_dir, result)
            except BaseException:
                shutil.rmtree(result, ignore_errors=True)
                raise
            remove_old_builds(index_dir)
    report.seconds = time.perf_counter() - started
    return report


def build_or_update(seeds_dir, index_dir, previous, report, progress, force, max_loss, only, skip) -> Path:
    """The build holding this reindex's result: a new one when ``report.rebuilt`` says why,
    else the update of ``previous`` (write_build). A new build that fails is removed."""
    build = new_build_dir(index_dir) if report.rebuilt else previous
    try:
        return write_build(seeds_dir, build, previous, report, progress, force, max_loss, only, skip)
    except BaseException:
        if build != previous:
            shutil.rmtree(build, ignore_errors=True)
        raise


def unpublished_reason(recorded: bool, skip: bool) -> str | None:
    """Why the index is rebuilt when unpublished articles are to be kept or left out anew
    (an update would leave the unchanged files as they were indexed)."""
    if recorded == skip:
        return None
    return "unpublished articles are left out now" if skip else "unpublished articles are indexed now"


def write_build(seeds_dir, build, previous, report, progress, force, max_loss, only=None, skip_unpublished=False) -> Path:
    """Sync the documents of ``build`` with the folder, check the result, commit, describe.
    Returns the build that holds the result: ``build``, or, for an update that may change
    something, a copy of it (``linked_copy``) where the update was made, so that a failure at
    any point (a full disk) leaves ``build`` as it was and the copy is simply dropped."""
    fresh = build != previous
    install()
    if not fresh:
        verify_build(build)
    ix = whoosh_index.create_in(str(build), build_schema(), indexname=INDEX_NAME) if fresh else \
        whoosh_index.open_dir(str(build), indexname=INDEX_NAME)
    targeted = only is not None and not fresh
    known = {} if fresh or targeted else indexed_fingerprints(ix)
    scan = Scan() if targeted else scan_folder(seeds_dir, known, fresh)
    sync = Sync(seeds_dir, previous, report, progress, force, max_loss, only, targeted, known, scan, skip_unpublished)
    copy = None if fresh or not sync.may_change() else linked_copy(build)
    if copy is None:
        commit_build(ix, build, fresh, sync)
        return build
    try:
        commit_build(whoosh_index.open_dir(str(copy), indexname=INDEX_NAME), copy, False, sync)
    except BaseException:
        shutil.rmtree(copy, ignore_errors=True)
        raise
    return copy


@dataclass
class Sync:
    """What one reindex brings into a build: the folder, what it found there and its limits."""

    seeds_dir: Path
    previous: Path | None
    report: ReindexReport
    progress: Progress | None
    force: bool
    max_loss: float
    only: list[str] | None
    targeted: bool
    known: dict[str, str]
    scan: Scan
    skip_unpublished: bool = False

    def may_change(self) -> bool:
        """Whether the update may change the index: a named file, a file whose size or time
        changed, or an indexed article whose file is gone."""
        return self.targeted or bool(self.scan.files) or len(self.scan.unchanged) < len(self.known)


def commit_build(ix, build: Path, fresh: bool, sync: Sync) -> None:
    """Sync the documents of ``ix`` (in ``build``) with the folder, check, commit, describe."""
    report = sync.report
    parallel = fresh and len(sync.scan.files) >= PARALLEL_FROM and WORKERS > 1
    writer = open_writer(ix, parallel)
    # A parallel build groups its stories from what it parsed, while the writers finish.
    story_inputs: list[StoryInput] | None = [] if parallel else None
    try:
        before = 0 if fresh else writer.reader().doc_count()
        if sync.targeted:
            candidates = sync_paths(writer, sync.seeds_dir, sync.only, report, sync.skip_unpublished)
        else:
            candidates = sync_documents(writer, sync.seeds_dir, sync.scan, sync.known, report, sync.progress, fresh,
                                        story_inputs, sync.skip_unpublished)
        after = before + report.indexed - report.removed
        previous = sync.previous
        check_result(candidates, read_meta(previous).get("docs", before) if previous else 0, after, sync.force,
                     sync.max_loss, report.rejected, previous is not None)
    except BaseException:
        cancel(writer)
        raise
    grouping = GroupingAhead(story_inputs) if story_inputs else None
    if report.changed:
        writer.commit()
    else:
        cancel(writer)
    write_arrays_and_stories(ix, build, None if fresh else report.touched, grouping)
    report.docs = after
    write_meta(build, {**next_meta(read_meta(sync.previous), report, after, sync.seeds_dir),
                       "skip_unpublished": sync.skip_unpublished})
    with ix.reader() as reader:
        write_manifest(build, ix.latest_generation(), [leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()])


def next_meta(old_meta: dict, report: ReindexReport, docs: int, seeds_dir: Path) -> dict:
    """The build's description after this reindex: the generation counts reindexes that changed something."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "schema_version": SCHEMA_VERSION,
        "generation": int(old_meta.get("generation", 0)) + (1 if report.changed else 0),
        "last_reindex": now if report.changed or "last_reindex" not in old_meta else old_meta["last_reindex"],
        "last_checked": now,
        "docs": docs,
        "seeds": os.path.abspath(seeds_dir),
    }


def open_writer(ix, parallel: bool):
    """A build from scratch of a large folder is indexed by one Whoosh writer process per
    core, each writing its own segment; updates go through one writer. The workers die with
    the reindex (indexer/whoosh_internals/writer_processes.py), so a killed reindex leaves
    nothing running."""
    if parallel:
        return ix.writer(procs=WORKERS, multisegment=True, limitmb=pool_limit_mb(WORKERS), batchsize=200)
    return ix.writer(limitmb=pool_limit_mb(1))


def pool_limit_mb(processes: int) -> int:
    """How much each writer may hold in memory before Whoosh sorts postings out to a run on
    disk: runs are merged posting by posting in Python at the end, a sixth of a large
    build's time. A third of the memory available now, shared by the writers, 128-1024 MB."""
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return POOL_MIN_MB
    return int(min(POOL_MAX_MB, max(POOL_MIN_MB, available / 3 / processes / 2**20)))


def cancel(writer) -> None:
    """Cancel a writer; a multiprocess writer's workers would otherwise wait for more work.
    Whoosh's cancel leaves the files of the segment it had begun; they are removed here (no
    table of contents names them, so nothing else would until the next commit)."""
    try:
        writer.cancel()
    finally:
        for task in getattr(writer, "tasks", []):
            task.terminate()
            task.join()
        remove_segment_files(writer)


def remove_segment_files(writer) -> None:
    segment, storage = getattr(writer, "newsegment", None), getattr(writer, "storage", None)
    if segment is None or storage is None or not hasattr(storage, "folder"):
        return
    prefix = segment.segment_id() + "."
    for name in os.listdir(storage.folder):
        if name.startswith(prefix):
            Path(storage.folder, name).unlink(missing_ok=True)


def check_result(candidates: int, before: int, after: int, force: bool, max_loss: float,
                 rejected: list[Rejection] = (), had_index: bool = True) -> None:
    """Refuse to publish an index that is empty for a non-empty folder, or that lost more than
    ``max_loss`` of the articles it had (a folder half-deleted by mistake, a broken mount)."""
    if after == 0 and candidates > 0:
        why = (f"none of its {candidates} article files could be read ({rejected[0]}"
               + (f", and {len(rejected) - 1} more" if len(rejected) > 1 else "") + ")"
               if len(rejected) >= candidates else f"the folder has {candidates} article files")
        kept = "the previous index stays in use" if had_index else "no index was made"
        raise UnsafeReindex(f"the new index would be empty: {why}; {kept}")
    if not force and before > 0 and after < before * (1 - max_loss):
        raise UnsafeReindex(f"the new index would hold {after} articles instead of {before} "
                            f"(more than {max_loss:.0%} fewer); the previous index stays in use. "
                            "Use --force if that is intended")


def sync_documents(writer, seeds_dir: Path, scan: Scan, known: dict[str, str], report: ReindexReport,
                   progress: Progress | None, fresh: bool, story_inputs: list[StoryInput] | None = None,
                   skip_unpublished: bool = False) -> int:
    """Add, update and delete documents for the folder's article files (the ``known``
    fingerprints tell changes from additions); returns their number. Each indexed
    article's grouping input is added to ``story_inputs`` if given."""
    seen = unchanged_files(scan, report)
    for done, (relative, _) in enumerate(scan.files, 1):
        sync_one(writer, seeds_dir, relative, known, seen, report, fresh, story_inputs, skip_unpublished)
        if progress is not None and (done % 256 == 0 or done == len(scan.files)):
            progress(done, len(scan.files))
    for gone in set(known) - set(seen):
        writer.delete_by_term("id", gone)
        report.removed += 1
        report.touched.add(gone)
    return len(scan.files) + len(scan.unchanged)


def unchanged_files(scan: Scan, report: ReindexReport) -> dict[str, str]:
    """id -> path of the unchanged files: an unchanged file keeps the id it was indexed under."""
    seen = dict(scan.unchanged)
    if len(seen) == len(scan.unchanged):
        report.unchanged += len(seen)
        return seen
    seen = {}  # two files of one id, both matching its fingerprint: the first keeps it
    for doc_id, relative in scan.unchanged:
        if doc_id in seen:
            report.rejected.append(Rejection(relative, f"has the same id as {seen[doc_id]}"))
        else:
            seen[doc_id] = relative
            report.unchanged += 1
    return seen


def sync_paths(writer, seeds_dir: Path, paths: list[str], report: ReindexReport, skip_unpublished: bool = False) -> int:
    """Add, update or delete the articles at ``paths`` only (what watch mode saw change)."""
    reader = writer.reader()
    fingerprints = reader.column_reader("fingerprint")
    seen: dict[str, str] = {}
    for path in paths:
        relative = article_relative_path(seeds_dir, path)
        if relative is None:
            report.rejected.append(Rejection(str(path), "is not an article file inside the seeds folder"))
            continue
        doc_id = article_id(relative)
        docnum = live_docnum(reader, doc_id)
        known = {} if docnum is None else {doc_id: fingerprints[docnum]}
        if os.path.lexists(os.path.join(seeds_dir, relative)):
            sync_one(writer, seeds_dir, relative, known, seen, report, fresh=False, skip_unpublished=skip_unpublished)
        elif docnum is not None:
            writer.delete_by_term("id", doc_id)
            report.removed += 1
            report.touched.add(doc_id)
    return len(paths)


def live_docnum(reader, doc_id: str) -> int | None:
    try:
        return reader.first_id("id", doc_id)
    except TermNotFound:
        return None


def article_relative_path(seeds_dir: Path, path: str) -> str | None:
    """``path`` as the walk would name it, or None for a file the walk would skip (outside
    the folder, hidden, not an article name). A relative path is taken from the current
    folder, as a shell gives it, or else from the seeds folder."""
    root = os.path.abspath(seeds_dir)
    for full in (os.path.abspath(path), os.path.abspath(os.path.join(root, path))):
        relative = os.path.relpath(full, root)
        parts = relative.split(os.sep)
        if not (relative.startswith(os.pardir) or any(p.startswith(".") for p in parts) or not is_article_name(parts[-1])):
            return relative
    return None


def stat_unchanged(fingerprint: str | None, stat: FileStat) -> bool:
    """Whether a file has the size and modification time its indexed fingerprint records."""
    return fingerprint is not None and type(stat) is tuple and fingerprint.startswith(f"{stat[0]}:{stat[1]}:")


def sync_one(writer, seeds_dir, relative, known, seen, report, fresh, story_inputs=None, skip_unpublished=False) -> None:
    """Index one file if it is new or its content changed; record a rejection if it is not
    an article; with ``skip_unpublished``, leave out (or remove) an article whose file says
    ``published: false``."""
    doc_id = article_id(relative)
    if doc_id in seen:
        report.rejected.append(Rejection(relative, f"has the same id as {seen[doc_id]}"))
        return
    try:
        previous = known.get(doc_id)
        # the open file's stat, not the walk's (which may be minutes old in a large build):
        # the fingerprint must describe the bytes indexed
        data, stat = read_article_file(seeds_dir, relative)
        fingerprint = file_fingerprint(stat.st_size, stat.st_mtime_ns, content_digest(data))
        if previous and previous.rsplit(":", 1)[1] == fingerprint.rsplit(":", 1)[1]:
            seen[doc_id] = relative
            report.unchanged += 1
            return
        article = parse_article_bytes(relative, data)
    except ArticleError as exc:
        report.rejected.append(Rejection(printable_path(relative), str(exc)))
        return
    except OSError as exc:
        report.rejected.append(Rejection(printable_path(relative), f"cannot be read: {exc.strerror or exc}"))
        return
    seen[doc_id] = relative
    report.touched.add(doc_id)
    if skip_unpublished and article.unpublished:
        report.left_out += 1
        if previous:  # it was indexed before its file said so
            writer.delete_by_term("id", doc_id)
            report.removed += 1
        return
    data = article.to_json()
    document = article_document(article, fingerprint, data)
    if story_inputs is not None:
        story_inputs.append(story_input(data))
    if fresh:
        writer.add_document(**document)
        report.indexed += 1
    else:
        writer.update_document(**document)
        if previous:
            report.updated += 1
        else:
            report.indexed += 1


def write_arrays_and_stories(ix, build: Path, touched: set[str] | None, grouping: GroupingAhead | None = None) -> None:
    """Group the stories, and write the posting arrays of any new segment that has none
    (Whoosh's writers make them as they write a segment, indexer/whoosh_internals/posting_blocks.py; a segment
    written another way has them read back from it here)."""
    write_missing_postings(ix, build)
    update_stories(ix, build, touched, grouping.result() if grouping is not None else None)
