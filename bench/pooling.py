"""Judging pools: the candidates every compared system puts on a query's first pages, for
judging by reading (docs/relevance.md).

    python -m bench.pooling --corpus ../shared/corpus --queries Q.json --out DIR [--set NAME]

For each query of Q.json (a list of {query, kind, intent}) it writes DIR/pool_NN.md, the
candidates to grade with their title, date, outlet, topics and excerpt, and DIR/pools.json.
With --set, articles already graded in that query set are left out, so only new candidates
(those a ranking change brought) are asked for.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

from bench.relevance import QUERY_SETS, Fts5Reference, load_query_set, newsfinder_top
from indexer.articles import Article, iter_article_paths, parse_article
from indexer.build import reindex

DEPTH = 20  # deeper than the judged first page, so small ranking changes stay inside the pool


class KeywordGrep:
    """Our own keyword search: articles whose title and excerpt hold the most query words
    (a word matches any word starting with its first five letters), titles before excerpts."""

    def __init__(self, articles: list[Article]):
        self.articles = articles

    def search(self, text: str, limit: int = DEPTH) -> list[str]:
        stems = [w[:5] for w in re.findall(r"\w+", text.lower()) if len(w) > 2]
        patterns = [re.compile(r"\b" + re.escape(stem), re.IGNORECASE) for stem in stems]
        scored = []
        for article in self.articles:
            in_title = sum(1 for p in patterns if p.search(article.title))
            anywhere = sum(1 for p in patterns if p.search(article.title) or p.search(article.excerpt))
            if anywhere:
                scored.append((-anywhere, -in_title, article.id))
        return [doc_id for *_, doc_id in sorted(scored)[:limit]]


def candidate_block(article: Article, systems: list[str]) -> str:
    when = article.published.date().isoformat() if article.published else "no date"
    return (f"### {article.id}\n- title: {article.title}\n- {when}, {article.provider_name or 'no outlet'}; "
            f"topics: {', '.join(article.topics) or 'none'}; found by: {', '.join(systems)}\n"
            f"- excerpt: {article.excerpt}\n")


def pool_query(query: dict, systems: dict, graded: dict[str, int]) -> dict[str, list[str]]:
    """Candidate id -> the systems that put it in their first DEPTH hits, without those graded."""
    found: dict[str, list[str]] = {}
    for name, top in systems.items():
        for doc_id in top(query["query"]):
            if doc_id not in graded:
                found.setdefault(doc_id, []).append(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--queries", type=Path, help="queries to pool (default: those of --set)")
    parser.add_argument("--set", choices=list(QUERY_SETS), help="leave out what this set already grades")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    queries = json.loads(args.queries.read_text(encoding="utf-8")) if args.queries else load_query_set(args.set)
    graded = {q["query"]: q.get("grades", {}) for q in load_query_set(args.set)} if args.set else {}
    articles = {a.id: a for a in (parse_article(args.corpus, p) for p in sorted(iter_article_paths(args.corpus)))}
    from webapp.engine import SearchEngine

    fts5, grep = Fts5Reference(args.corpus), KeywordGrep(list(articles.values()))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as index_dir:
        reindex(args.corpus, Path(index_dir))
        engine = SearchEngine(Path(index_dir))
        systems = {
            "newsfinder": lambda t: newsfinder_top(engine, t, per_page=DEPTH),
            "newsfinder flat": lambda t: newsfinder_top(engine, t, collapse=False, per_page=DEPTH),
            "FTS5 any": lambda t: fts5.any_word(t, DEPTH),
            "FTS5 all-then-any": lambda t: fts5.search(t, DEPTH),
            "keyword grep": grep.search,
        }
        pools = {}
        for number, query in enumerate(queries):
            found = pool_query(query, systems, graded.get(query["query"], {}))
            pools[query["query"]] = sorted(found)
            blocks = "\n".join(candidate_block(articles[i], s) for i, s in sorted(found.items()))
            (args.out / f"pool_{number:02d}.md").write_text(
                f"# {query['query']}\nkind: {query.get('kind')}\nintent: {query.get('intent')}\n\n{blocks}", encoding="utf-8")
    (args.out / "pools.json").write_text(json.dumps(pools, indent=1) + "\n", encoding="utf-8")
    print(f"{sum(map(len, pools.values()))} candidates for {len(pools)} queries in {args.out}")


if __name__ == "__main__":
    main()
