"""The reindex of a bulk import: the same synthetic articles with dates spread over five years
and outlets drawn from the corpus, then all with one date and one outlet.

    python -m bench.bulk --articles 20000 100000 --write

For each size and shape: the wall time of ``newsfinder reindex`` from scratch (Python's start-up
included), its peak memory (the largest resident set of the reindex and the processes it
started), and how many stories the grouping made. Story grouping compares an article with those
published around it, so one date for everything is its worst case; the two shapes should cost
about the same. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.__main__ import PROJECT_DIR, newsfinder, write_section
from bench.synthetic import corpus_model, write_collection

MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measured_reindex(seeds: Path, index: Path) -> dict:
    """Seconds and peak megabytes of one reindex from scratch, in a process of its own (the
    peak is that of the largest process it waited for)."""
    command = newsfinder("reindex", "-q", "--seeds", seeds, "--index", index)
    out = subprocess.run([sys.executable, "-c", MEASURE, *map(str, command)], check=True, cwd=PROJECT_DIR,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def story_count(index: Path) -> int:
    from indexer.layout import open_build
    from indexer.stories.files import read_stories

    build, ix = open_build(index)
    listed = read_stories(build, ix.latest_generation())  # the articles that share a story
    return ix.doc_count() - len(listed) + len(set(listed.values()))


def bench_shape(model, count: int, bulk: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index = Path(tmp) / "seeds", Path(tmp) / "index"
        write_collection(model, count, seeds, bulk=bulk)
        result = measured_reindex(seeds, index)
        result["stories"] = story_count(index)
    return result


def table(results: list[tuple[int, dict, dict]]) -> str:
    rows = ["| articles | dates spread, one date per article | one date, one outlet | ratio (time, memory) |",
            "|---|---|---|---|"]
    for count, spread, bulk in results:
        rows.append(f"| {count:,} | {spread['seconds']:.1f} s, {spread['peak_mb']:.0f} MB, {spread['stories']:,} stories | "
                    f"{bulk['seconds']:.1f} s, {bulk['peak_mb']:.0f} MB, {bulk['stories']:,} stories | "
                    f"{bulk['seconds'] / spread['seconds']:.2f}, {bulk['peak_mb'] / spread['peak_mb']:.2f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[20_000])
    parser.add_argument("--corpus", type=Path, default=PROJECT_DIR.parent / "shared" / "corpus")
    parser.add_argument("--write", action="store_true", help="Replace the bulk section of BENCHMARKS.md.")
    args = parser.parse_args()
    model = corpus_model(args.corpus)
    results = [(count, bench_shape(model, count, bulk=False), bench_shape(model, count, bulk=True))
               for count in args.articles]
    command = "python -m bench.bulk --articles " + " ".join(map(str, args.articles))
    text = (f"### Bulk import: one date and one outlet for every article ({dt.date.today().isoformat()})\n\n"
            f"Command: `{command}` on {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}.\n\n" + table(results))
    print(text)
    if args.write:
        write_section(text, "bulk")


if __name__ == "__main__":
    main()
