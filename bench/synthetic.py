"""A synthetic collection shaped like the real corpus, of any size, for benchmarks.

Words of titles and excerpts are drawn from the corpus's own word frequencies (a Zipf-like
distribution, so some words are in most articles, as "diablo" is in the corpus); title and
excerpt lengths, topics, providers, types and qualities (including missing ones) follow the
corpus's distributions. Everything is seeded: the same size gives the same files and queries.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import yaml

from indexer.articles import iter_article_paths, parse_article

WORD = re.compile(r"[a-z][a-z0-9']*[a-z0-9]|[a-z]")
QUERY_STOP = {"the", "and", "for", "with", "from", "that", "this", "are", "was", "will", "has", "have", "its", "of",
              "to", "in", "a", "is", "on", "it", "as", "at", "be", "by", "an", "or", "you", "your", "but", "not"}


@dataclass
class CorpusModel:
    words: list[str]
    weights: list[int]
    title_lengths: list[int]
    excerpt_lengths: list[int]
    topic_sets: list[tuple[str, ...]]
    providers: list[tuple[str, str]]
    qualities: list[int | None]
    types: list[str]


def corpus_model(corpus: Path) -> CorpusModel:
    words: Counter[str] = Counter()
    model = CorpusModel([], [], [], [], [], [], [], [])
    for relative in iter_article_paths(corpus):
        article = parse_article(corpus, relative)
        title, excerpt = WORD.findall(article.title.lower()), WORD.findall(article.excerpt.lower())
        words.update(title)
        words.update(excerpt)
        model.title_lengths.append(max(1, len(title)))
        model.excerpt_lengths.append(len(excerpt))
        model.topic_sets.append(tuple(article.topics))
        model.providers.append((article.provider_name or "Unknown", article.provider_domain or "unknown.example"))
        model.qualities.append(article.quality)
        model.types.append(article.type or "article")
    model.words, model.weights = zip(*words.most_common()) if words else ((), ())
    return model


def cumulative_weights(model: CorpusModel) -> list[int]:
    """The words' running weight totals, for ``random.choices(cum_weights=...)``."""
    return list(accumulate(model.weights))


def sentence(rng: random.Random, model: CorpusModel, length: int, cumulative) -> str:
    return " ".join(rng.choices(model.words, cum_weights=cumulative, k=length))


BULK_DATE = "2023-06-06T12:00:00Z"
BULK_OUTLET = ("Bulk Wire", "bulk.example")


def write_collection(model: CorpusModel, count: int, folder: Path, seed: int = 7, bulk: bool = False) -> None:
    """Write ``count`` article files to ``folder`` (in subfolders of 1,000); ``bulk``: every
    one with the same date and outlet, as a bulk import or a feed without times gives them."""
    rng = random.Random(seed)
    cumulative = cumulative_weights(model)
    start = dt.datetime(2019, 1, 1)
    for number in range(count):
        title = sentence(rng, model, rng.choice(model.title_lengths), cumulative)
        provider = BULK_OUTLET if bulk else rng.choice(model.providers)
        published = (start + dt.timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))).strftime("%Y-%m-%dT%H:%M:%SZ")
        front = {
            "category": "news",
            "title": title[:1].upper() + title[1:],
            "excerpt": sentence(rng, model, rng.choice(model.excerpt_lengths), cumulative),
            "publishedDateTime": BULK_DATE if bulk else published,
            "webUrl": f"https://example.org/synthetic/{number}",
            "type": rng.choice(model.types),
            "provider": {"name": provider[0], "domain": provider[1]},
            "topics": list(rng.choice(model.topic_sets)),
        }
        quality = rng.choice(model.qualities)
        if quality is not None:
            front["quality"] = quality
        path = folder / f"{number // 1000:04}" / f"synthetic-{number:07}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n", encoding="utf-8")


TYPED_SHARE = 3  # one query in this many ends in a word still being typed (a prefix)


def make_queries(model: CorpusModel, count: int = 300, seed: int = 11) -> list[str]:
    """Unique 1-3 word queries, words drawn by their frequency (frequent words are common in
    real queries too, and they are the expensive ones); one in TYPED_SHARE ends in the first
    letters of its last word, as the page asks while a reader types."""
    rng = random.Random(seed)
    candidates = [(w, c) for w, c in zip(model.words, model.weights) if len(w) > 2 and w not in QUERY_STOP]
    words, weights = zip(*candidates)
    queries: list[str] = []
    seen = set()
    while len(queries) < count:
        chosen = rng.choices(words, weights=weights, k=rng.choice((1, 2, 2, 3)))
        if len(queries) % TYPED_SHARE == TYPED_SHARE - 1 and len(chosen[-1]) > 3:
            chosen[-1] = chosen[-1][:rng.randint(2, len(chosen[-1]) - 1)]
        query = " ".join(chosen)
        if query not in seen and len(set(query.split())) == len(query.split()):
            seen.add(query)
            queries.append(query)
    return queries
