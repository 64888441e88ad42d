"""Relevance measurement: known-item queries drawn from excerpts, scored by MRR@10.

A known-item query is a run of 2-4 consecutive words from one article's excerpt, the way a
reader half-remembers a story: at least two words that are not stop words, at least one of
them distinctive (found in at most 1 % of the articles; "a release date" identifies no article
in a collection about one game). The search succeeds when that article is in the top 10; the
reciprocal rank is averaged (MRR@10).

    python -m bench.relevance make  --corpus ../shared/corpus   # writes tests/relevance/known_items.json
    python -m bench.relevance mrr   --corpus ../shared/corpus   # MRR@10 for several quality weights
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
from collections import Counter
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from indexer.articles import iter_article_paths, parse_article
from indexer.build import reindex

KNOWN_ITEMS = Path(__file__).resolve().parent.parent / "tests" / "relevance" / "known_items.json"
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*[A-Za-z0-9]|[A-Za-z]")


def excerpt_window(excerpt: str, rng: random.Random, rare: set[str]) -> str | None:
    """2-4 consecutive words of the excerpt: two or more content words, one of them rare."""
    words = WORD.findall(excerpt)
    for _ in range(50):
        size = rng.randint(2, 4)
        if len(words) < size:
            return None
        start = rng.randrange(0, len(words) - size + 1)
        window = words[start : start + size]
        content = [w.lower() for w in window if w.lower() not in STOP_WORDS and len(w) > 2]
        if len(content) >= 2 and any(w in rare for w in content):
            return " ".join(window)
    return None


def rare_words(excerpts: list[str], share: float = 0.01) -> set[str]:
    """Words found in at most ``share`` of the excerpts."""
    frequency: Counter[str] = Counter()
    for excerpt in excerpts:
        frequency.update({w.lower() for w in WORD.findall(excerpt)})
    limit = max(1, int(share * len(excerpts)))
    return {word for word, count in frequency.items() if count <= limit}


def make_known_items(corpus: Path, count: int = 100, seed: int = 20261126) -> list[dict]:
    rng = random.Random(seed)
    articles = [parse_article(corpus, relative) for relative in sorted(iter_article_paths(corpus))]
    rare = rare_words([article.excerpt for article in articles])
    items: list[dict] = []
    for article in rng.sample(articles, len(articles)):
        query = excerpt_window(article.excerpt, rng, rare)
        if query:
            items.append({"query": query, "id": article.id})
        if len(items) == count:
            break
    return items


def reciprocal_rank(ids: list[str], wanted: str) -> float:
    return 1.0 / (ids.index(wanted) + 1) if wanted in ids else 0.0


def mrr_at_10(engine, items: list[dict]) -> float:
    from webapp.search import SearchRequest

    total = 0.0
    for item in items:
        response = engine.search(SearchRequest(q=item["query"], per_page=10, collapse=False))
        total += reciprocal_rank([hit["id"] for hit in response["hits"]], item["id"])
    return total / len(items)


def load_known_items() -> list[dict]:
    return json.loads(KNOWN_ITEMS.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["make", "mrr"])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--weights", default="0,0.1,0.2,0.3,0.4,0.5")
    args = parser.parse_args()
    if args.action == "make":
        items = make_known_items(args.corpus)
        KNOWN_ITEMS.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(items)} known-item queries to {KNOWN_ITEMS}")
        return
    from webapp.search import SearchEngine

    items = load_known_items()
    with tempfile.TemporaryDirectory() as index_dir:
        reindex(args.corpus, Path(index_dir))
        for weight in (float(w) for w in args.weights.split(",")):
            score = mrr_at_10(SearchEngine(Path(index_dir), quality_weight=weight), items)
            print(f"quality weight {weight:.2f}: MRR@10 {score:.4f} over {len(items)} queries")


if __name__ == "__main__":
    main()
