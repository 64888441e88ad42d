"""Relevance measurement: known-item queries drawn from excerpts, scored by MRR@10.

A known-item query is a run of 2-4 consecutive words from one article's excerpt, the way a
reader half-remembers a story: at least two content words (four letters or more, not function
words), at least one of them distinctive (found in at most 1 % of the articles; "a release
date" identifies no article in a collection about one game). The search succeeds when that article is in the top 10; the
reciprocal rank is averaged (MRR@10).

    python -m bench.relevance make  --corpus ../shared/corpus   # writes tests/relevance/known_items.json
    python -m bench.relevance mrr   --corpus ../shared/corpus   # MRR@10 for several quality weights
    python -m bench.relevance mrr   --corpus ../shared/corpus --held-out 99  # the same on a fresh set
    python -m bench.relevance report --corpus ../shared/corpus  # every figure, beside SQLite FTS5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
import tempfile
from collections import Counter
from pathlib import Path

from whoosh.analysis import STOP_WORDS

from indexer.articles import iter_article_paths, parse_article
from indexer.build import reindex

KNOWN_ITEMS = Path(__file__).resolve().parent.parent / "tests" / "relevance" / "known_items.json"
# Function words a reader would not pick to find an article, on top of Whoosh's stop list.
COMMON_WORDS = STOP_WORDS | frozenset(
    "about after also been being could does doing from have having here into just more most much "
    "only other over some such than that their them then there these they this those very were what "
    "when where which while will with would your".split()
)
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
        content = [w.lower() for w in window if w.lower() not in COMMON_WORDS and len(w) >= 4]
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


NATURAL_QUERIES = KNOWN_ITEMS.parent / "natural_queries.json"
# Judged after every ranking setting was chosen, and not used to choose any: a check on the first set.
NATURAL_HELD_OUT = KNOWN_ITEMS.parent / "natural_queries_heldout.json"


class Fts5Reference:
    """SQLite FTS5 with its bm25() over the same fields and boosts, as a yardstick."""

    def __init__(self, corpus: Path):
        import sqlite3

        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE articles USING fts5(id UNINDEXED, title, excerpt, topics, body, "
                        "tokenize='porter unicode61')")
        rows = []
        for relative in iter_article_paths(corpus):
            article = parse_article(corpus, relative)
            rows.append((article.id, article.title, article.excerpt, " ".join(article.topics), article.body))
        self.db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?)", rows)

    def words(self, text: str) -> list[str]:
        return [w for w in re.findall(r"\w+", text.lower()) if w not in STOP_WORDS]

    def matching(self, match: str, limit: int) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM articles WHERE articles MATCH ? ORDER BY bm25(articles, 0, 1.5, 1.0, 1.0, 0.7) LIMIT ?",
            (match, limit)).fetchall()
        return [row[0] for row in rows]

    def search(self, text: str, limit: int = 10) -> list[str]:
        """Every word required; any of them when no article has them all (newsfinder's old rule)."""
        words = self.words(text)
        if not words:
            return []
        return (self.matching(" AND ".join(f'"{w}"' for w in words), limit)
                or self.any_word(text, limit))

    def any_word(self, text: str, limit: int = 10) -> list[str]:
        """Any of the words, ranked by bm25: FTS5's OR query, the page-filling reference."""
        words = self.words(text)
        return self.matching(" OR ".join(f'"{w}"' for w in words), limit) if words else []


NATURAL_GRADED = KNOWN_ITEMS.parent / "natural_queries_graded.json"
# The sets a page is judged on: the first two judged binary (relevant or not), the third graded
# 0/1/2 from pools of every system compared; only the first informs tuning.
QUERY_SETS = {"natural": NATURAL_QUERIES, "held-out": NATURAL_HELD_OUT, "graded held-out": NATURAL_GRADED}


def load_query_set(name: str) -> list[dict]:
    return json.loads(QUERY_SETS[name].read_text(encoding="utf-8"))


def load_natural_queries(held_out: bool = False) -> list[dict]:
    return load_query_set("held-out" if held_out else "natural")


def grades_of(judged: dict) -> dict[str, int]:
    """Graded judgments of a query: its ``grades`` (0, 1 or 2), or 1 for each article of a
    binary set's ``relevant`` list. An article not judged counts as 0."""
    if "grades" in judged:
        return judged["grades"]
    return {doc_id: 1 for doc_id in judged["relevant"]}


def precision_at_5(ids: list[str], judged: dict, story_of: dict[str, str] | None = None) -> float:
    """Relevant articles among the first five, divided by min(5, relevant articles known):
    a page that shows one relevant hit where five exist is incomplete, not precise. With
    ``story_of``, stories instead of articles: a second report of a story shown counts
    nothing, and the denominator is min(5, stories with a relevant report)."""
    grades = grades_of(judged)
    key = (lambda doc_id: story_of.get(doc_id, doc_id)) if story_of else (lambda doc_id: doc_id)
    relevant = {key(doc_id) for doc_id, grade in grades.items() if grade > 0}
    if not relevant:
        return 0.0
    shown = {key(doc_id) for doc_id in ids[:5] if grades.get(doc_id, 0) > 0}
    return len(shown) / min(5, len(relevant))


def dcg(gains: list[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))


def ideal_dcg(grades: dict[str, int], story_of: dict[str, str] | None = None) -> float:
    """The best DCG@10 any ranking could reach: the best grades first (one article a story
    when ``story_of`` is given, as a second report of a story gains nothing then)."""
    best: dict[str, int] = {}
    for doc_id, grade in grades.items():
        key = story_of.get(doc_id, doc_id) if story_of else doc_id
        best[key] = max(best.get(key, 0), grade)
    return dcg([2 ** g - 1 for g in sorted(best.values(), reverse=True)[:10]])


def ndcg_at_10(ids: list[str], judged: dict, story_of: dict[str, str] | None = None) -> float:
    """Graded nDCG@10 (gain 2^grade - 1). With ``story_of``, a hit of a story already shown
    gains nothing: a reader who has seen the story learns little from its second report."""
    grades = grades_of(judged)
    seen: set[str] = set()
    gains = []
    for doc_id in ids[:10]:
        key = story_of.get(doc_id, doc_id) if story_of else doc_id
        gains.append(0 if key in seen else 2 ** grades.get(doc_id, 0) - 1)
        seen.add(key)
    ideal = ideal_dcg(grades, story_of)
    return dcg(gains) / ideal if ideal else 0.0


def top_hit_is_best(ids: list[str], judged: dict) -> bool:
    """The first hit carries the highest grade any article has for the query."""
    grades = grades_of(judged)
    return bool(ids) and grades.get(ids[0], 0) == max(grades.values(), default=0) > 0


def newsfinder_top(engine, text: str, collapse: bool = True, per_page: int = 10) -> list[str]:
    from webapp.search import SearchRequest

    return [hit["id"] for hit in engine.search(SearchRequest(q=text, per_page=per_page, collapse=collapse))["hits"]]


def page_measures(pages: list[list[str]], judged: list[dict], story_of: dict[str, str]) -> dict[str, float]:
    """What readers see on the first pages of a query set, averaged over its queries."""
    n = len(judged)
    return {
        "nDCG@10": sum(ndcg_at_10(ids, q) for ids, q in zip(pages, judged)) / n,
        "story nDCG@10": sum(ndcg_at_10(ids, q, story_of) for ids, q in zip(pages, judged)) / n,
        "P@5": sum(precision_at_5(ids, q) for ids, q in zip(pages, judged)) / n,
        "story P@5": sum(precision_at_5(ids, q, story_of) for ids, q in zip(pages, judged)) / n,
        "top hit best": sum(top_hit_is_best(ids, q) for ids, q in zip(pages, judged)) / n,
        "pages under 10": sum(1 for ids in pages if len(ids) < 10),
    }


def query_set_table(name: str, systems: dict, story_of: dict[str, str]) -> list[str]:
    """A Markdown table: one row a system, one column a measure, on one query set."""
    judged = load_query_set(name)
    rows = {system: page_measures([top(q["query"]) for q in judged], judged, story_of)
            for system, top in systems.items()}
    columns = list(next(iter(rows.values())))
    lines = [f"{name} queries ({len(judged)}):", "| system | " + " | ".join(columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for system, measures in rows.items():
        lines.append(f"| {system} | " + " | ".join(
            f"{value:.0f}" if column == "pages under 10" else f"{value:.3f}" for column, value in measures.items()) + " |")
    return lines


STORY_PAIRS = KNOWN_ITEMS.parent / "story_pairs.json"


def story_pair_scores(story_of: dict[str, str]) -> tuple[float, float]:
    """Precision and recall of the story grouping on hand-judged article pairs (an article
    ``story_of`` does not list is a story of its own)."""
    pairs = json.loads(STORY_PAIRS.read_text(encoding="utf-8"))
    grouped = [story_of.get(p["a"], p["a"]) == story_of.get(p["b"], p["b"]) for p in pairs]
    true_pos = sum(1 for p, g in zip(pairs, grouped) if g and p["same_story"])
    precision = true_pos / max(1, sum(grouped))
    recall = true_pos / max(1, sum(1 for p in pairs if p["same_story"]))
    return precision, recall


def story_rank(hits: list[dict], wanted: str) -> float:
    """Reciprocal rank of the hit that is the wanted article or lists it among its reports."""
    for rank, hit in enumerate(hits, 1):
        if hit["id"] == wanted or wanted in {r["id"] for r in hit.get("story", {}).get("reports", [])}:
            return 1.0 / rank
    return 0.0


def mrr_at_10_collapsed(engine, items: list[dict]) -> float:
    from webapp.search import SearchRequest

    return sum(story_rank(engine.search(SearchRequest(q=i["query"], per_page=10))["hits"], i["id"])
               for i in items) / len(items)


TOP10_STORY_PAIRS = KNOWN_ITEMS.parent / "top10_story_pairs.json"
CLOSE_DAYS = 7  # reports of one story come out within days; hits further apart are not compared


def close_pairs(hits: list[dict]) -> list[tuple[str, str]]:
    """Every pair of hits published within CLOSE_DAYS of each other, as sorted id pairs."""
    dated = [(hit["id"], dt.datetime.fromisoformat(hit["published"].replace("Z", "+00:00")))
             for hit in hits if hit.get("published")]
    return [tuple(sorted((a, b))) for n, (a, when_a) in enumerate(dated) for b, when_b in dated[n + 1:]
            if abs((when_a - when_b).total_seconds()) <= CLOSE_DAYS * 86400]


def same_story_shown(engine, queries: list[str]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Pairs judged reports of one story that a collapsed top 10 shows as two hits, and the
    close pairs of hits nobody has judged yet (a ranking or grouping change brings new ones)."""
    from webapp.search import SearchRequest

    judged = {(p["a"], p["b"]): p for p in json.loads(TOP10_STORY_PAIRS.read_text(encoding="utf-8"))}
    shown, unjudged = [], []
    for text in queries:
        for pair in close_pairs(engine.search(SearchRequest(q=text, per_page=10))["hits"]):
            if pair not in judged:
                unjudged.append(pair)
            elif judged[pair]["same_story"]:
                shown.append(judged[pair])
    return shown, unjudged


def load_known_items() -> list[dict]:
    return json.loads(KNOWN_ITEMS.read_text(encoding="utf-8"))


def report(corpus: Path, index_dir: Path) -> list[str]:
    """Every relevance figure, newsfinder beside SQLite FTS5 where it applies."""
    from indexer.layout import open_build
    from indexer.stories.files import read_stories
    from webapp.engine import SearchEngine

    engine = SearchEngine(index_dir)
    fts5 = Fts5Reference(corpus)
    items, natural = load_known_items(), load_natural_queries()
    fts5_mrr = sum(reciprocal_rank(fts5.search(i["query"]), i["id"]) for i in items) / len(items)
    build, ix = open_build(index_dir)
    story_of = read_stories(build, ix.latest_generation())
    precision, recall = story_pair_scores(story_of)
    shown, unjudged = same_story_shown(engine, [q["query"] for q in natural])
    shown_ki, unjudged_ki = same_story_shown(engine, [i["query"] for i in items])
    systems = {
        "newsfinder": lambda text: newsfinder_top(engine, text),
        "newsfinder, collapse=none": lambda text: newsfinder_top(engine, text, collapse=False),
        "FTS5, any word": fts5.any_word,
        "FTS5, all words then any": fts5.search,
    }
    lines = [
        f"known-item MRR@10 ({len(items)} queries): newsfinder {mrr_at_10(engine, items):.4f} exact article, "
        f"{mrr_at_10_collapsed(engine, items):.4f} article or its story (collapsing on); "
        f"pure BM25F {mrr_at_10(SearchEngine(index_dir, quality_weight=0.0), items):.4f}; SQLite FTS5 bm25 {fts5_mrr:.4f}",
        f"story grouping on {len(json.loads(STORY_PAIRS.read_text()))} judged pairs: precision {precision:.3f}, recall {recall:.3f}",
        f"pairs of hits judged reports of one story in the collapsed top 10s: {len(shown)} in "
        f"{len({p['query'] for p in shown})} natural queries, {len(shown_ki)} in {len({p['query'] for p in shown_ki})} "
        f"known-item queries ({len(unjudged) + len(unjudged_ki)} close pairs not judged yet)",
    ]
    for name in QUERY_SETS:
        lines += ["", *query_set_table(name, systems, story_of)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["make", "mrr", "report"])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--weights", default="0,0.1,0.2,0.3,0.4,0.5")
    parser.add_argument("--held-out", type=int, metavar="SEED",
                        help="mrr: score a fresh set drawn with this seed instead of the kept one")
    parser.add_argument("--count", type=int, default=100, help="mrr --held-out: how many queries to draw")
    args = parser.parse_args()
    if args.action == "make":
        items = make_known_items(args.corpus)
        KNOWN_ITEMS.write_text(json.dumps(items, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(items)} known-item queries to {KNOWN_ITEMS}")
        return
    from webapp.engine import SearchEngine

    with tempfile.TemporaryDirectory() as index_dir:
        reindex(args.corpus, Path(index_dir))
        if args.action == "report":
            print("\n".join(report(args.corpus, Path(index_dir))))
            return
        items = load_known_items() if args.held_out is None else make_known_items(args.corpus, args.count, args.held_out)
        for weight in (float(w) for w in args.weights.split(",")):
            score = mrr_at_10(SearchEngine(Path(index_dir), quality_weight=weight), items)
            print(f"quality weight {weight:.2f}: MRR@10 {score:.4f} over {len(items)} queries")


if __name__ == "__main__":
    main()
