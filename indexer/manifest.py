"""The manifest of an index generation: each of its files that has no check of its own
(Whoosh's table of contents and segment files, newsfinder.json) with its size and CRC-32. The
posting arrays carry their own size and checksum, and a damaged one is replaced by Whoosh's
scoring of its segment; a damaged stories file gives way to the last good grouping; both are
written again by the next reindex (indexer/postings.py, indexer/stories/files.py).

``write_manifest`` writes it last, when the generation is complete, reading the files it has no
checksum for; an update first verifies every checksum of the build it starts from
(``verify_build``), so that no damaged file is carried over or merged into a new segment. ``manifest_problem`` checks it: the sizes
whenever a build is looked at (a few ``stat`` calls), the checksums too for
``newsfinder check --index``. A build whose files do not match is never served or updated: the
server keeps the last good one and says why, and the next reindex builds a new one.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from pathlib import Path

from indexer.errors import DamagedIndex
from indexer.postings import SUFFIX as POSTINGS_SUFFIX

TOC = re.compile(r"_MAIN_(\d+)\.toc")
BLOCK = 1 << 20


def manifest_path(build: Path, generation: int) -> Path:
    return Path(build) / f"manifest-{generation}.json"


def latest_generation(build: Path) -> int | None:
    """The generation of the newest table of contents in ``build`` (Whoosh's, read from its name)."""
    numbers = [int(m.group(1)) for m in map(TOC.fullmatch, os.listdir(build)) if m]
    return max(numbers) if numbers else None


def generation_files(build: Path, generation: int, segments: list[str]) -> list[str]:
    """The files of one generation the manifest vouches for: its table of contents, Whoosh's
    files of its ``segments`` (ids such as MAIN_abc) and the build's description."""
    names = [f"_MAIN_{generation}.toc", "newsfinder.json"]
    prefixes = tuple(f"{segment}." for segment in segments)
    names += sorted(name for name in os.listdir(build) if name.startswith(prefixes) and not name.endswith(POSTINGS_SUFFIX))
    return [name for name in names if (Path(build) / name).is_file()]


def checksum(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            crc = zlib.crc32(block, crc)
    return crc


def write_manifest(build: Path, generation: int, segments: list[str]) -> None:
    """Describe the generation's files (atomically), reusing the checksums of the files the
    last manifest describes unchanged (the same inode, size and time: an update verifies the
    build it starts from, ``verify_build``); older manifests are dropped."""
    known = (read_manifest(build, generation) or {}) | (read_manifest(build, generation - 1) or {})
    entries = {}
    for name in generation_files(build, generation, segments):
        stat = os.stat(Path(build) / name)
        mark = [stat.st_ino, stat.st_size, stat.st_mtime_ns]
        old = known.get(name)
        crc = old["crc32"] if old and old.get("mark") == mark else checksum(Path(build) / name)
        entries[name] = {"size": stat.st_size, "crc32": crc, "mark": mark}
    target = manifest_path(build, generation)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    tmp.write_text(json.dumps(entries, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)
    for old in Path(build).glob("manifest-*.json"):
        if old != target:
            old.unlink(missing_ok=True)


def verify_build(build: Path) -> None:
    """DamagedIndex unless every file of the build's newest generation matches its checksum:
    an update must not carry a damaged file over, nor merge one into a new segment."""
    problem = manifest_problem(build, full=True)
    if problem is not None:
        raise DamagedIndex(problem)


def read_manifest(build: Path, generation: int) -> dict | None:
    try:
        entries = json.loads(manifest_path(build, generation).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entries if isinstance(entries, dict) else None


def manifest_problem(build: Path, full: bool = False) -> str | None:
    """What is wrong with the newest generation of ``build`` by its manifest (a file missing, of
    another size, or with ``full`` another checksum), or None when it is whole."""
    generation = latest_generation(build)
    if generation is None:
        return "it holds no index"
    entries = read_manifest(build, generation)
    if entries is None:
        return f"{manifest_path(build, generation)} is missing or damaged"
    for name, entry in entries.items():
        path = Path(build) / name
        try:
            size = os.stat(path).st_size
        except OSError:
            return f"{path} is missing"
        if size != entry.get("size"):
            return f"{path} has {size} bytes, its manifest says {entry.get('size')}"
        if full and checksum(path) != entry.get("crc32"):
            return f"{path} does not match its checksum"
    return None
