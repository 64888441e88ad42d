"""The benchmark: newsfinder against its peers on one synthetic collection, in one run.

    python -m bench --articles 10000 --write

Generates N articles shaped like ../shared/corpus, then measures for newsfinder: reindex from
scratch (files to searchable), a reindex after changing one file (the median of five edits,
the folder scanned and the file named), the real server's start-up
time on the existing index, latency of unique queries over HTTP (p50/p90/p99, one client),
the same queries again (answered from the cache), throughput with 4 concurrent clients, errors
and each worker's memory. The peers (tantivy, SQLite FTS5, default Whoosh) index the same
articles in-process and answer the same queries. With --write the table replaces the bench
section of BENCHMARKS.md. No timing is asserted anywhere; CI runs this at a small N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench.peers import PEERS, load_articles, percentiles
from bench.soak import free_port, private_mb, rss_mb, wait_ready, worker_pids
from bench.long_tail import make_long_tail_queries, write_long_tail_collection
from bench.synthetic import corpus_model, make_queries, write_collection

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCHMARKS = PROJECT_DIR / "BENCHMARKS.md"
EDITS = 5  # one-file reindexes timed, each after editing another file; the median is reported


def newsfinder(*args) -> list[str]:
    return [sys.executable, "-m", "webapp.cli", *map(str, args)]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=PROJECT_DIR, capture_output=True)
    return time.perf_counter() - started


def ask(base: str, q: str) -> float:
    """Milliseconds from connecting to the last byte of the answer to one search.

    The client speaks HTTP/1.1 over a plain socket and checks the answer (status 200, JSON
    with hits) after the clock stops: urllib with json.loads inside the timing cost the
    client 0.5 ms of CPU per request, on the same two cores as the server."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    # prefix=true: the last word is read as still being typed, as the page asks
    request = (f"GET /api/search?{urllib.parse.urlencode({'q': q, 'prefix': 'true'})} HTTP/1.1\r\n"
               f"Host: {host}\r\nConnection: close\r\n\r\n").encode("ascii")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    elapsed = (time.perf_counter() - started) * 1000
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 ") or "hits" not in json.loads(body):
        raise RuntimeError(f"bad answer for {q!r}: {head[:60]!r}")
    return elapsed


def throughput(base: str, queries: list[str], clients: int, seconds: float) -> dict:
    counts, errors, stop = [0] * clients, [], threading.Event()

    def loop(number: int) -> None:
        position = number  # the clients take turns through the list: no query is asked twice
        while not stop.is_set():
            try:
                ask(base, queries[position % len(queries)])
                counts[number] += 1
            except Exception as exc:  # every failure counts, whatever its kind
                errors.append(repr(exc))
            position += clients

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return {"requests_per_s": round(sum(counts) / (time.perf_counter() - started), 1), "errors": len(errors)}


def one_file_reindexes(seeds: Path, index: Path, files: list[Path], named: bool) -> float:
    """Median seconds, Python's start-up included, of a reindex after editing one of
    ``files`` (each in turn), with the folder scanned or (``named``, as watch mode does)
    the file named."""
    seconds = []
    for path in files:
        path.write_text(path.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
        seconds.append(timed(newsfinder("reindex", "-q", "--seeds", seeds, "--index", index, *([path] if named else []))))
    return round(statistics.median(seconds), 2)


def bench_newsfinder(seeds: Path, queries: list[str], more: list[str], count: int, workers: int,
                     throughput_s: float = 10) -> dict:
    """``queries`` are timed one by one, then again (from the cache); throughput is measured
    for ``throughput_s`` on ``more``, other unique queries, so it is not a measure of the cache."""
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        seconds = timed(newsfinder("reindex", "-q", "--seeds", seeds, "--index", index))
        result["build_docs_per_s"] = round(count / seconds)
        result["index_mb"] = round(sum(f.stat().st_size for f in index.rglob("*") if f.is_file()) / 2**20)
        files = sorted(seeds.rglob("*.md"))
        result["one_file_reindex_s"] = one_file_reindexes(seeds, index, files[:EDITS], named=False)
        result["one_named_file_reindex_s"] = one_file_reindexes(seeds, index, files[-EDITS:], named=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        server = subprocess.Popen(newsfinder("serve", "--seeds", seeds, "--index", index, "--port", port, "--workers",
                                             workers), cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_ready(base, timeout=600)
            ask(base, queries[0])
            result["start_to_first_answer_s"] = round(time.perf_counter() - started, 2)
            for q in queries[:workers * 2]:  # every worker opens its index before timing
                ask(base, q)
            result.update(percentiles([ask(base, q) for q in queries]))
            cached = percentiles([ask(base, q) for q in queries])
            result["cached_p50_ms"], result["cached_p99_ms"] = cached["p50_ms"], cached["p99_ms"]
            result.update(throughput(base, more, clients=4, seconds=throughput_s))
            result["worker_rss_mb"] = [round(rss_mb(pid)) for pid in worker_pids(server.pid)]
            result["worker_private_mb"] = [round(private_mb(pid)) for pid in worker_pids(server.pid)]
        finally:
            server.terminate()
            server.wait(timeout=60)
    return result


def table(count: int, results: dict) -> str:
    rows = ["| engine | build, docs/s | p50 | p90 | p99 | cached p50 / p99 | req/s, 4 clients, unique queries | errors |",
            "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        cached = f"{r['cached_p50_ms']} / {r['cached_p99_ms']} ms" if "cached_p50_ms" in r else "n/a"
        rows.append(f"| {name} | {r['build_docs_per_s']:,} | {r['p50_ms']} ms | {r['p90_ms']} ms | {r['p99_ms']} ms | "
                    f"{cached} | {r.get('requests_per_s', 'n/a')} | {r.get('errors', 'n/a')} |")
    ours = next(r for name, r in results.items() if name.startswith("newsfinder"))
    rows.append("")
    rows.append(f"newsfinder also: reindex after changing one file {ours['one_file_reindex_s']:.2f} s scanning the folder, "
                f"{ours['one_named_file_reindex_s']:.2f} s naming the file (as watch mode does), both medians of {EDITS} "
                f"edits with Python's start-up; `serve` start to "
                f"first answer {ours['start_to_first_answer_s']} s; index {ours['index_mb']:,} MB on disk; worker memory {ours['worker_rss_mb']} MB resident, "
                f"{ours['worker_private_mb']} MB of it private (the rest is index pages the workers share).")
    return "\n".join(rows)


def write_section(text: str, key: int | str) -> None:
    """Replace the section of BENCHMARKS.md that ``key`` names (each size keeps its own)."""
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    current = BENCHMARKS.read_text(encoding="utf-8")
    if start in current:
        before, rest = current.split(start, 1)
        after = rest.split(end, 1)[1]
        current = before + start + "\n" + text + "\n" + end + after
    else:
        current = current.rstrip() + "\n\n" + start + "\n" + text + "\n" + end + "\n"
    BENCHMARKS.write_text(current, encoding="utf-8")


SHAPES = ("corpus", "long-tail")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=PROJECT_DIR.parent / "shared" / "corpus")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--shape", choices=SHAPES, default="corpus",
                        help="corpus: shaped like ../shared/corpus; long-tail: bench/long_tail.py.")
    parser.add_argument("--no-peers", action="store_true", help="Measure newsfinder alone.")
    parser.add_argument("--write", action="store_true", help="Replace the bench section of BENCHMARKS.md.")
    args = parser.parse_args()
    model = corpus_model(args.corpus)
    if args.shape == "corpus":
        queries = make_queries(model, args.queries)
        extra = make_queries(model, 20 * args.queries, seed=12)
    else:
        queries = make_long_tail_queries(model, args.queries, args.articles)
        extra = make_long_tail_queries(model, 20 * args.queries, args.articles, seed=29)
    seen = set(queries)
    more = [q for q in extra if q not in seen]
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        (write_collection if args.shape == "corpus" else write_long_tail_collection)(model, args.articles, seeds)
        results = {f"newsfinder (HTTP, {args.workers} workers)": bench_newsfinder(seeds, queries, more, args.articles, args.workers)}
        if not args.no_peers:
            articles = load_articles(seeds)
            for name, run in PEERS.items():
                results[f"{name} (in-process)"] = run(articles, queries)
    command = (f"python -m bench --articles {args.articles} --queries {args.queries}"
               + (f" --shape {args.shape}" if args.shape != "corpus" else "") + (" --no-peers" if args.no_peers else ""))
    shaped = "synthetic articles" if args.shape == "corpus" else "long-tail articles (bench/long_tail.py)"
    header = (f"### {args.articles:,} {shaped}, {args.queries} unique queries "
              f"({dt.date.today().isoformat()})\n\nCommand: `{command}` on {platform.machine()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}.\n")
    text = header + "\n" + table(args.articles, results)
    print(text)
    print(json.dumps(results, indent=2))
    if args.write:
        write_section(text, args.articles if args.shape == "corpus" else f"{args.shape}:{args.articles}")


if __name__ == "__main__":
    main()
