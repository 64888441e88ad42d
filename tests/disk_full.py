"""An incremental reindex that meets a full disk, run where the index lives on a small tmpfs.

    python -m tests.disk_full SEEDS INDEX FREE_BYTES

Run by tests/test_disk_full.py inside a private mount namespace (``unshare``), with INDEX a
tmpfs of its own. Builds an index of FIRST articles, adds SECOND more, fills the disk until
FREE_BYTES are left, reindexes, then frees the disk and reindexes again. Prints, as JSON, what
a reader of the index could see after each step.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from indexer.build import reindex
from indexer.layout import BUILDS, current_build, read_meta
from indexer.stories.files import read_stories, stories_path
from tests.conftest import article_fields, write_article
from whoosh import index as whoosh_index

# Many articles then a few: the update's own files are small beside what it rewrites whole (the
# grouping of every article), the shape where a full disk stops an update after its commit.
FIRST, SECOND = 600, 5
FILLER = "filler.bin"


def write_articles(seeds: Path, prefix: str, count: int) -> None:
    for n in range(count):
        write_article(seeds, f"{prefix}{n:03}.md", **article_fields(
            f"{prefix.title()} report {n} on the harbour {n % 7} works", f"The council said works {n} go on",
            publishedDateTime=f"2024-0{1 + n % 9}-1{n % 10}T10:00:00Z", webUrl=f"https://example.org/{prefix}/{n}"))


def state(index: Path) -> dict:
    """What a reader of ``index`` sees: the served articles, the recorded generation and count,
    the stories file's coverage, and any temporary file or extra build left behind."""
    build = current_build(index)
    ix = whoosh_index.open_dir(str(build), indexname="MAIN")
    with ix.searcher() as searcher:
        ids = sorted(fields["id"] for fields in searcher.all_stored_fields())
    meta = read_meta(build)
    listed = read_stories(build, ix.latest_generation())  # the articles that share a story
    leftovers = sorted(str(p.relative_to(index)) for p in index.rglob(".*") if p.name != FILLER)
    leftovers += [name for name in os.listdir(build) if not belongs(name, ix)]
    return {"ids": ids, "meta_docs": meta.get("docs"), "meta_generation": meta.get("generation"),
            "whoosh_generation": ix.latest_generation(),
            "stories_cover": stories_path(build, ix.latest_generation()).is_file() and set(listed) <= set(ids), "leftovers": leftovers,
            "builds": len([p for p in (index / BUILDS).iterdir() if p.is_dir()])}


def belongs(name: str, ix) -> bool:
    """Whether a file of a build is part of its latest generation (or the grouping before it)."""
    generation = ix.latest_generation()
    with ix.reader() as reader:
        segments = [leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()]
    kept = {f"_MAIN_{generation}.toc", "MAIN_WRITELOCK", "newsfinder.json",
            f"stories-{generation}.json", f"stories-{generation - 1}.json", f"manifest-{generation}.json"}
    return name in kept or any(name.startswith(segment + ".") for segment in segments)


def fill(index: Path, free: int) -> None:
    stat = os.statvfs(index)
    room = stat.f_bavail * stat.f_frsize - free
    with open(index / FILLER, "wb") as handle:
        while room > 0:
            chunk = min(room, 1 << 20)
            handle.write(b"\0" * chunk)
            room -= chunk


def attempt(seeds: Path, index: Path) -> str:
    try:
        report = reindex(seeds, index)
    except Exception as exc:  # what a full disk raises is the point of the run
        return f"{exc.__class__.__name__}: {exc}"
    return f"indexed {report.indexed}"


def main() -> None:
    seeds, index, free = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    write_articles(seeds, "first", FIRST)
    reindex(seeds, index)
    before = state(index)
    write_articles(seeds, "second", SECOND)
    fill(index, free)
    full = attempt(seeds, index)
    during = state(index)
    (index / FILLER).unlink()
    after_outcome = attempt(seeds, index)
    after = state(index)
    print(json.dumps({"before": before, "full": full, "during": during, "after_outcome": after_outcome, "after": after}))


if __name__ == "__main__":
    main()
