"""The engines newsfinder is compared with, run in-process on the same files and queries:
tantivy (Rust, through its Python bindings), SQLite FTS5 with bm25(), and Whoosh used the
default way (MultifieldParser, BM25F, an exact len() of the results)."""

from __future__ import annotations

import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from indexer.articles import iter_article_paths, parse_article

WORDS = re.compile(r"\w+")


def load_articles(folder: Path) -> list[dict]:
    articles = []
    for relative in iter_article_paths(folder):
        article = parse_article(folder, relative)
        # A body, where there is one, is searched with the excerpt: the same text newsfinder reads.
        articles.append({"id": article.id, "title": article.title, "excerpt": f"{article.excerpt} {article.body}".strip(),
                         "topics": " ".join(article.topics)})
    return articles


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"p50_ms": round(statistics.median(ordered), 2), "p90_ms": at(0.90), "p99_ms": at(0.99)}


def time_queries(run, queries: list[str]) -> dict:
    samples = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def bench_tantivy(articles: list[dict], queries: list[str]) -> dict:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    for name in ("title", "excerpt", "topics"):
        builder.add_text_field(name, tokenizer_name="en_stem")
    schema = builder.build()
    with tempfile.TemporaryDirectory() as folder:
        index = tantivy.Index(schema, path=folder)
        started = time.perf_counter()
        writer = index.writer()
        for article in articles:
            writer.add_document(tantivy.Document(**article))
        writer.commit()
        writer.wait_merging_threads()
        build = time.perf_counter() - started
        index.reload()
        searcher = index.searcher()

        def run(q):
            query = index.parse_query(" AND ".join(WORDS.findall(q)), ["title", "excerpt", "topics"],
                                      field_boosts={"title": 1.5})
            return searcher.search(query, 10, count=True).count

        return {"build_docs_per_s": round(len(articles) / build), **time_queries(run, queries)}


def bench_fts5(articles: list[dict], queries: list[str]) -> dict:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE a USING fts5(id UNINDEXED, title, excerpt, topics, tokenize='porter unicode61')")
    started = time.perf_counter()
    db.executemany("INSERT INTO a VALUES (:id, :title, :excerpt, :topics)", articles)
    db.commit()
    build = time.perf_counter() - started

    def run(q):
        match = " AND ".join(f'"{w}"' for w in WORDS.findall(q))
        rows = db.execute("SELECT id FROM a WHERE a MATCH ? ORDER BY bm25(a, 0, 1.5, 1.0, 1.0) LIMIT 10", (match,))
        rows.fetchall()
        return db.execute("SELECT count(*) FROM a WHERE a MATCH ?", (match,)).fetchone()[0]

    return {"build_docs_per_s": round(len(articles) / build), **time_queries(run, queries)}


def bench_whoosh_default(articles: list[dict], queries: list[str]) -> dict:
    from whoosh import index as whoosh_index
    from whoosh import qparser
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True), title=TEXT(analyzer=StemmingAnalyzer()), excerpt=TEXT(analyzer=StemmingAnalyzer()),
                    topics=TEXT(analyzer=StemmingAnalyzer()))
    with tempfile.TemporaryDirectory() as folder:
        ix = whoosh_index.create_in(folder, schema)
        started = time.perf_counter()
        writer = ix.writer(limitmb=256)
        for article in articles:
            writer.add_document(**article)
        writer.commit()
        build = time.perf_counter() - started
        parser = qparser.MultifieldParser(["title", "excerpt", "topics"], schema, fieldboosts={"title": 1.5})
        with ix.searcher() as searcher:
            def run(q):
                results = searcher.search(parser.parse(q), limit=10)
                return len(results)

            timings = time_queries(run, queries)
    return {"build_docs_per_s": round(len(articles) / build), **timings}


PEERS = {"tantivy": bench_tantivy, "SQLite FTS5": bench_fts5, "Whoosh, default use": bench_whoosh_default}
