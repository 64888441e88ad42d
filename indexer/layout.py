"""How an index folder is laid out, so that readers never see a half-built index.

    INDEX/current          -> builds/<name>   (a symlink, replaced atomically)
    INDEX/builds/<name>/   a complete Whoosh index, its newsfinder.json and stories-<gen>.json
    INDEX/reindex.lock     held (flock) by the one reindex that may run

A full rebuild writes a new build beside the current one and only then points ``current`` at
it; an update is made in a copy of the current build (hard links, ``linked_copy``) published
the same way, so the articles, their stories and the build's description change together or
not at all. A reindex killed at any moment, or stopped by a full disk, leaves ``current``
pointing at a complete index; its half-written build is removed at once or by the next reindex.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.errors import IndexerError, ReindexLocked
from indexer.manifest import manifest_problem
from indexer.schema import SCHEMA_VERSION
from indexer.whoosh_internals import install

INDEX_NAME = "MAIN"
CURRENT = "current"
BUILDS = "builds"
LOCK_FILE = "reindex.lock"
META_FILE = "newsfinder.json"


def read_meta(build_dir: Path | None) -> dict:
    if build_dir is None:
        return {}
    try:
        with open(build_dir / META_FILE, encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(build_dir: Path, meta: dict) -> None:
    # Write then rename, so a reader never sees half a file.
    tmp = build_dir / f".{META_FILE}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
    os.replace(tmp, build_dir / META_FILE)


def current_build(index_dir: Path) -> Path | None:
    """The build readers should use, or None if there is no complete, readable index (a
    damaged one is then rebuilt by the next reindex, whose new build replaces it)."""
    build = linked_build(index_dir)
    return build if build is not None and build_problem(build) is None else None


def linked_build(index_dir: Path) -> Path | None:
    try:
        return Path(index_dir) / os.readlink(Path(index_dir) / CURRENT)
    except OSError:
        return None


def build_problem(build: Path) -> str | None:
    """Why the build cannot be used (no index, a damaged table of contents, a file that does
    not match the generation's manifest), or None. A build of another schema version has no
    problem here: it is stale (``stale_reason``), and rebuilt for that reason."""
    try:
        if not whoosh_index.exists_in(str(build), indexname=INDEX_NAME):
            return "it holds no index"
    except Exception as exc:  # a damaged table of contents fails in pickle, struct or decoding
        return f"its table of contents is damaged ({exc.__class__.__name__})"
    if stale_reason(build) is not None:
        return None
    return manifest_problem(build)


def index_exists(index_dir: Path) -> bool:
    return current_build(index_dir) is not None


def stale_reason(build_dir: Path) -> str | None:
    """Why an existing build cannot be used as it is, or None if it can."""
    version = read_meta(build_dir).get("schema_version")
    if version != SCHEMA_VERSION:
        return f"index was written with schema version {version}, this newsfinder uses {SCHEMA_VERSION}"
    return None


def open_build(index_dir: Path):
    """(build folder, Whoosh index) of the current build; IndexerError if there is none usable."""
    build = current_build(index_dir)
    if build is None:
        linked = linked_build(index_dir)
        if linked is not None and linked.is_dir():
            raise IndexerError(f"the index in {linked} cannot be read: {build_problem(linked)}; "
                               "`newsfinder reindex` rebuilds it")
        raise IndexerError(f"no index in {index_dir}: run `newsfinder reindex` first")
    reason = stale_reason(build)
    if reason:
        raise IndexerError(f"{reason}: run `newsfinder reindex` to rebuild it")
    install()
    return build, whoosh_index.open_dir(str(build), indexname=INDEX_NAME)


def open_index(index_dir: Path):
    return open_build(index_dir)[1]


def new_build_dir(index_dir: Path) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    build = Path(index_dir) / BUILDS / f"{stamp}-{os.getpid()}"
    build.mkdir(parents=True)
    return build


def linked_copy(build: Path) -> Path | None:
    """A new build beside ``build`` holding hard links to its files, or None where the file
    system has no hard links (the update is then made in place). Neither Whoosh nor newsfinder
    ever rewrites a file of a build (a commit adds segment files and a table of contents; the
    other files are written to a temporary name and renamed), so an update made in the copy
    leaves ``build`` as it was until the copy is published."""
    copy = new_build_dir(build.parent.parent)
    try:
        for entry in os.scandir(build):
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith(".") \
                    and not entry.name.endswith("_WRITELOCK"):
                os.link(entry.path, copy / entry.name)
    except OSError:
        shutil.rmtree(copy, ignore_errors=True)
        return None
    return copy


def publish_build(index_dir: Path, build: Path) -> None:
    """Point ``current`` at ``build`` in one atomic rename."""
    link = Path(index_dir) / CURRENT
    tmp = Path(index_dir) / f".{CURRENT}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(os.path.relpath(build, index_dir), tmp)
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_old_builds(index_dir: Path, keep_previous: bool = True) -> None:
    """Delete builds that are neither current nor (if asked) the one before it.

    The previous build is kept until the next swap: a worker may still be answering from it
    for the half second before it notices the swap."""
    current = current_build(index_dir)
    builds = sorted((p for p in (Path(index_dir) / BUILDS).glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    others = [b for b in builds if current is None or b.resolve() != current.resolve()]
    keep = others[-1:] if keep_previous and current is not None else []
    for build in others:
        if build not in keep:
            shutil.rmtree(build, ignore_errors=True)


@contextmanager
def reindex_lock(index_dir: Path):
    """Hold the folder's reindex lock; ReindexLocked at once if another process holds it.

    A POSIX record lock belongs to the process (not to a file description a child could
    inherit) and the kernel drops it when the process dies, so a killed reindex never leaves
    the folder locked."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    handle = open(Path(index_dir) / LOCK_FILE, "a+")
    try:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise ReindexLocked(f"another reindex is running on {index_dir}; try again when it has finished") from None
            raise
        yield
    finally:
        handle.close()
