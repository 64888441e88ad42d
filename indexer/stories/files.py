"""The stories files: one grouping per index generation, ``stories-<generation>.json`` beside the index.

A grouping maps an article id to the id of its story. The file lists only the articles that
share a story with another (or whose story is named after another article): most stories
have one report, and an article the file does not list is a story of its own, named by its
id (``grouping.get(doc_id, doc_id)``). So a file, and the work of reading it at every start
and of carrying it over at every update, grows with the shared stories, not the collection.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path


def stories_path(index_dir: Path, generation: int) -> Path:
    return Path(index_dir) / f"stories-{generation}.json"


def write_stories(index_dir: Path, generation: int, story_of: dict[str, str], same_as: Path | None = None) -> None:
    """Write the grouping for one index generation (atomically) and drop older ones. A
    grouping ``same_as`` an earlier file's (an edit that kept its article in its story) is
    linked to it rather than encoded again."""
    target = stories_path(index_dir, generation)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    if not (same_as is not None and linked(same_as, tmp)):
        tmp.write_text(json.dumps(shared_stories(story_of), separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, target)
    for old in Path(index_dir).glob("stories-*.json"):
        if old != target and old.stem.split("-")[-1].isdigit() and int(old.stem.split("-")[-1]) < generation - 1:
            old.unlink(missing_ok=True)


def shared_stories(story_of: dict[str, str]) -> dict[str, str]:
    """The part of a grouping a file holds: every article but those alone in a story named
    after themselves."""
    reports = Counter(story_of.values())
    return {doc_id: story for doc_id, story in story_of.items() if story != doc_id or reports[story] > 1}


def stories_problem(path: Path) -> str | None:
    """Why a stories file cannot be used (missing, not JSON, not a mapping), or None."""
    try:
        grouping = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return f"{path} is missing"
    except ValueError:
        return f"{path} is damaged: it is not JSON"
    return None if isinstance(grouping, dict) else f"{path} is damaged: it is not a grouping"


def linked(source: Path, link: Path) -> bool:
    try:
        os.link(source, link)
        return True
    except OSError:  # no hard links on this file system, or a stale temporary file
        return False


def read_stories(index_dir: Path, generation: int) -> dict[str, str]:
    """The grouping written for ``generation``, or else the newest one before it, as the file
    holds it: an article it does not list is a story of its own (so are articles added since
    an older grouping, until the grouping catches up)."""
    candidates = [(int(p.stem.split("-")[-1]), p) for p in Path(index_dir).glob("stories-*.json")
                  if p.stem.split("-")[-1].isdigit()]
    for number, path in sorted(candidates, reverse=True):
        if number <= generation:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return {}
