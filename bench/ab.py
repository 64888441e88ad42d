"""A/B of two (or more) checkouts of newsfinder on one index, in-process, batch by batch.

    git worktree add /tmp/before HEAD~3
    python -m bench.ab --index /tmp/i100k /tmp/before .

This machine's speed drifts by half within minutes, so two runs one after the other compare
the machine's phases as much as the code. Here each checkout answers in a process of its own,
started once and warmed up on the same queries; then they take turns on batches of the
measured queries (the order alternating), so both meet the same phases. Reported per checkout:
median, mean, p90 and p99 of the search time (``run_search``, as the page asks: prefix on),
and how many batches it answered faster. With ``--http`` each checkout runs its real server
(two workers) instead, timed by the bench's client from connecting to the answer's last byte. The queries are the bench's (bench/synthetic.py,
shaped by the corpus), after others drawn the same way as warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def serve(checkout: str, index: str, queries_file: str, warm: int) -> None:
    """The worker: answer batches ``start end`` of the queries from stdin with one line of
    times (ms) each, using the code of ``checkout``."""
    sys.path.insert(0, checkout)
    from webapp.engine import SearchEngine
    from webapp.search import SearchRequest, run_search

    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    engine = SearchEngine(Path(index))
    snapshot = engine.snapshot()

    def timed(text: str) -> float:
        started = time.perf_counter()
        run_search(snapshot, SearchRequest(q=text, prefix=True), engine.quality_weight, engine.quality_cap)
        return (time.perf_counter() - started) * 1000

    for text in queries[:warm]:
        timed(text)
    print("ready", flush=True)
    for line in sys.stdin:
        start, end = map(int, line.split())
        print(json.dumps([timed(text) for text in queries[start:end]]), flush=True)


class InProcess:
    """A checkout's searches timed in a process of its own (``serve`` above)."""

    def __init__(self, checkout: str, index: str, queries_file: str, warm: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.ab", "--serve", checkout, "--index", index, "--queries-file", queries_file,
             "--warm", str(warm)],
            cwd=PROJECT_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError(f"the worker for {checkout} did not start")

    def answer(self, start: int, end: int) -> list[float]:
        self.process.stdin.write(f"{start} {end}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


class OverHttp:
    """A checkout's real server (two workers) on loopback, timed by the bench's client."""

    def __init__(self, checkout: str, index: str, queries_file: str, warm: int):
        from bench.soak import free_port, wait_ready

        self.queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
        self.base = f"http://127.0.0.1:{free_port()}"
        self.server = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "serve", "--index", index, "--port", self.base.rsplit(":", 1)[1],
             "--workers", "2"],
            cwd=checkout, env={**os.environ, "PYTHONPATH": checkout},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(self.base)
            self.answer(0, warm)
        except Exception:
            self.close()
            raise

    def answer(self, start: int, end: int) -> list[float]:
        from bench.__main__ import ask

        return [ask(self.base, text) for text in self.queries[start:end]]

    def close(self) -> None:
        self.server.terminate()
        self.server.wait()


def compare(index: str, checkouts: list[str], queries_file: str, warm: int, batch: int, passes: int,
            http: bool = False) -> dict:
    total = len(json.loads(Path(queries_file).read_text(encoding="utf-8")))
    kind = OverHttp if http else InProcess
    turns = {}
    try:
        for checkout in checkouts:
            turns[checkout] = kind(checkout, index, queries_file, warm)
        times = {checkout: [] for checkout in checkouts}
        won = dict.fromkeys(checkouts, 0)
        for round_number in range(passes):
            for number, start in enumerate(range(warm, total, batch)):
                spent = {}
                for checkout in checkouts if (number + round_number) % 2 == 0 else checkouts[::-1]:
                    answered = turns[checkout].answer(start, min(total, start + batch))
                    times[checkout] += answered
                    spent[checkout] = sum(answered)
                won[min(spent, key=spent.get)] += 1
    finally:
        for turn in turns.values():
            turn.close()
    return {checkout: summary(times[checkout], won[checkout]) for checkout in checkouts}


def summary(times: list[float], won: int) -> dict:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 2), "mean_ms": round(statistics.mean(ordered), 2),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
            "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2), "batches_won": won}


def write_queries(corpus: Path, count: int, warm: int, folder: Path) -> Path:
    """The bench's queries after ``warm`` others drawn the same way, as a JSON file."""
    # Imported here: a worker must load indexer/ from the checkout it measures, not from this one.
    from bench.synthetic import corpus_model, make_queries

    model = corpus_model(corpus)
    measured = make_queries(model, count)
    others = [text for text in make_queries(model, warm + count, seed=99) if text not in set(measured)][:warm]
    path = folder / "ab-queries.json"
    path.write_text(json.dumps(others + measured), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs="*", help="folders holding a checkout of newsfinder (git worktree add)")
    parser.add_argument("--index", required=True, help="an index built by any of them")
    parser.add_argument("--corpus", type=Path, default=PROJECT_DIR.parent / "shared" / "corpus")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--warm", type=int, default=1200, help="queries answered before measuring")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="time each checkout's real server over HTTP instead")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--queries-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.index, args.queries_file, args.warm)
        return
    if len(args.checkouts) < 2:
        parser.error("name at least two checkouts")
    checkouts = [str(Path(checkout).resolve()) for checkout in args.checkouts]
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    queries_file = write_queries(args.corpus, args.queries, args.warm, folder)
    results = compare(args.index, checkouts, str(queries_file), args.warm, args.batch, args.passes, args.http)
    for checkout, figures in results.items():
        print(checkout, " ".join(f"{name} {value}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
