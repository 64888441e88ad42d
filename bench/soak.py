"""Soak: concurrent clients against the real multi-worker server while full reindexes run.

    python -m bench.soak --seeds ../shared/corpus --duration 60 --clients 4 --reindexes 2

Starts ``newsfinder serve`` on a free loopback port over a fresh index of the folder, runs the
clients (queries from tests/relevance) for the duration, runs ``newsfinder reindex --full``
the given number of times spread over it, and reports requests, errors, latency percentiles
and each worker's resident memory before and after (growth in %). Exits 1 if any request
failed. Traffic goes only to 127.0.0.1; every loop is bounded by the duration.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.relevance import load_known_items, load_natural_queries

PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def private_mb(pid: int) -> float:
    """Memory only this process holds (RSS also counts index pages shared through the page cache)."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def worker_pids(master: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{master}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(pid) for pid in text)
    return sorted(children)


def newsfinder(*args) -> list[str]:
    return [sys.executable, "-m", "webapp.cli", *map(str, args)]


def wait_ready(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def client_loop(base: str, queries: list[str], stop: threading.Event, latencies: list[float], errors: list[str],
                offset: int) -> None:
    number = offset
    while not stop.is_set():
        q = queries[number % len(queries)]
        number += 1
        url = f"{base}/api/search?{urllib.parse.urlencode({'q': q})}"
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = json.loads(response.read())
                if response.status != 200 or "hits" not in body:
                    errors.append(f"{response.status} for {q!r}")
        except (OSError, ValueError) as exc:
            errors.append(f"{exc!r} for {q!r}")
        latencies.append((time.perf_counter() - started) * 1000)


def soak(seeds: Path, duration: float, clients: int, reindexes: int, workers: int = 2) -> dict:
    queries = [i["query"] for i in load_known_items()] + [q["query"] for q in load_natural_queries()]
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        subprocess.run(newsfinder("reindex", "-q", "--seeds", seeds, "--index", index), check=True, cwd=PROJECT_DIR,
                       capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(newsfinder("serve", "--seeds", seeds, "--index", index, "--port", port,
                                             "--workers", workers), cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_ready(base)
            for q in queries:  # warm every worker's caches before measuring memory
                urllib.request.urlopen(f"{base}/api/search?{urllib.parse.urlencode({'q': q})}", timeout=30).read()
            pids = worker_pids(server.pid)
            before = {pid: rss_mb(pid) for pid in pids}
            latencies: list[float] = []
            errors: list[str] = []
            stop = threading.Event()
            threads = [threading.Thread(target=client_loop, args=(base, queries, stop, latencies, errors, n * 17))
                       for n in range(clients)]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            reindex_seconds = run_reindexes(seeds, index, reindexes, duration, started)
            remaining = duration - (time.monotonic() - started)
            if remaining > 0:
                time.sleep(remaining)
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            after = {pid: rss_mb(pid) for pid in worker_pids(server.pid)}
        finally:
            server.terminate()
            server.wait(timeout=30)
    ordered = sorted(latencies)
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "workers": workers,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2) if ordered else None,
        "full_reindexes": len(reindex_seconds),
        "reindex_seconds": reindex_seconds,
        "workers_rss_mb": {str(pid): [round(before.get(pid, 0), 1), round(after[pid], 1)] for pid in after},
        "rss_growth_pct": {str(pid): round(100 * (after[pid] - before[pid]) / before[pid], 1)
                           for pid in after if pid in before},
    }


def run_reindexes(seeds: Path, index: Path, count: int, duration: float, started: float) -> list[float]:
    """Full reindexes spread over the run (the first after a fifth of it)."""
    seconds = []
    for number in range(count):
        start_at = started + duration * (number + 1) / (count + 2)
        time.sleep(max(0.0, start_at - time.monotonic()))
        began = time.monotonic()
        subprocess.run(newsfinder("reindex", "--full", "-q", "--seeds", seeds, "--index", index), check=True,
                       cwd=PROJECT_DIR, capture_output=True)
        seconds.append(round(time.monotonic() - began, 1))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=Path, default=PROJECT_DIR.parent / "shared" / "corpus")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reindexes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    result = soak(args.seeds, args.duration, args.clients, args.reindexes, args.workers)
    print(json.dumps(result, indent=2))
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
