"""The benchmark harness at a small size, to keep it working (no timing is asserted)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.__main__ import ask, bench_newsfinder, table
from bench.peers import PEERS, load_articles
from bench.synthetic import corpus_model, make_queries, write_collection


@pytest.mark.server
def test_bench_runs_end_to_end_on_a_small_collection(corpus_dir, tmp_path):
    model = corpus_model(corpus_dir)
    queries = make_queries(model, 20)
    assert len(set(queries)) == 20 and all(1 <= len(q.split()) <= 3 for q in queries)
    seeds = tmp_path / "seeds"
    write_collection(model, 300, seeds)
    articles = load_articles(seeds)
    assert len(articles) == 300
    more = make_queries(model, 40, seed=12)
    results = {"newsfinder (HTTP, 2 workers)": bench_newsfinder(seeds, queries, more, 300, workers=2, throughput_s=2)}
    ours = results["newsfinder (HTTP, 2 workers)"]
    assert ours["errors"] == 0 and ours["requests_per_s"] > 0
    assert all(0 < private <= resident for private, resident in zip(ours["worker_private_mb"], ours["worker_rss_mb"]))
    for name, run in PEERS.items():
        results[name] = run(articles, queries)
        assert results[name]["build_docs_per_s"] > 0 and results[name]["p99_ms"] >= results[name]["p50_ms"]
    text = table(300, results)
    assert text.count("\n| ") == 4 and "reindex after changing one file" in text


def test_the_load_generator_counts_only_whole_search_answers():
    answers = {"/api/search?q=good&prefix=true": (200, b'{"total": 0, "hits": []}'), "/api/search?q=empty&prefix=true": (200, b"{}"),
               "/api/search?q=down&prefix=true": (503, b'{"error": {}}')}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            status, body = answers[self.path]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert ask(base, "good") > 0
        for q in ("empty", "down"):
            with pytest.raises(RuntimeError, match=q):
                ask(base, q)
    finally:
        server.shutdown()


def test_the_long_tail_collection_is_shaped_unlike_the_corpus(corpus_dir, tmp_path):
    from bench.long_tail import make_long_tail_queries, write_long_tail_collection

    model = corpus_model(corpus_dir)
    seeds = tmp_path / "long-tail"
    write_long_tail_collection(model, 200, seeds)
    articles = load_articles(seeds)
    assert len(articles) == 200
    assert len({a["id"] for a in articles}) == 200
    # bodies make longer texts than the corpus-shaped collection's titles and excerpts
    assert sum(len(a["excerpt"].split()) for a in articles) / 200 > 60
    queries = make_long_tail_queries(model, 60, 200)
    assert len(set(queries)) == 60
    assert any(q.startswith(("how to", "what is")) for q in queries)
    assert queries == make_long_tail_queries(model, 60, 200)  # seeded: the same every run


def test_the_ab_comparison_runs_each_checkout_in_its_own_process(corpus_dir, corpus_index, tmp_path):
    """bench/ab.py on a small scale: two checkouts (here the project twice) answer the same
    batches in turn, every measured query once per pass and checkout."""
    from bench.ab import PROJECT_DIR, compare, write_queries

    queries = write_queries(corpus_dir, 12, 6, tmp_path)
    results = compare(str(corpus_index), [str(PROJECT_DIR), str(PROJECT_DIR) + "/"], str(queries), 6, 4, 2)
    assert len(results) == 2
    for figures in results.values():
        assert 0 < figures["median_ms"] <= figures["p99_ms"]
    assert sum(figures["batches_won"] for figures in results.values()) == 2 * 3  # 12 queries in batches of 4, twice


@pytest.mark.server
def test_the_ab_comparison_over_http_times_a_checkouts_own_server(corpus_dir, corpus_index, tmp_path):
    """The same over HTTP, one checkout (the turns are the test above's)."""
    from bench.ab import PROJECT_DIR, compare, write_queries

    queries = write_queries(corpus_dir, 8, 4, tmp_path)
    figures = compare(str(corpus_index), [str(PROJECT_DIR)], str(queries), 4, 4, 1, http=True)[str(PROJECT_DIR)]
    assert 0 < figures["median_ms"] <= figures["p99_ms"] and figures["batches_won"] == 2
