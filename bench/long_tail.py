"""A second bench collection, shaped unlike the corpus, and queries shaped unlike the first set.

The first collection (bench/synthetic.py) copies the corpus: a small vocabulary, short titles
and excerpts, no bodies, a few hundred outlets and a dozen topics. A search engine tuned on it
can be slow on what it lacks, so this one has what real archives add:
- a long tail of words: one word in TAIL_SHARE is drawn from a made-up vocabulary of half as
  many words as there are articles (names, places, product codes), the rest from the corpus's
  frequencies;
- bodies of up to BODY_WORDS words, longer excerpts, ten years of dates (some missing);
- thousands of outlets and hundreds of topics, with made-up names.
Its queries mix what readers type: two frequent words, a frequent and a rare one, two rare ones
that no article has together, questions, a word still being typed, a misspelling.
Everything is seeded.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml

from bench.synthetic import QUERY_STOP, CorpusModel, cumulative_weights

TAIL_SHARE = 12
BODY_WORDS = 400
OUTLETS = 3000
TOPICS = 400
SYLLABLES = ["ka", "lo", "mir", "ven", "dra", "sul", "tor", "bex", "qui", "nar", "ost", "fel", "zan", "ru", "pel",
             "gor", "ith", "mon", "sa", "vik", "dul", "ex", "ar", "wen", "pho", "ly", "cra", "tim", "ob", "hes"]
QUESTIONS = ["how to", "what is", "why does", "when will", "where can i find", "is the", "can you"]


def made_up_words(count: int, seed: int) -> list[str]:
    """``count`` distinct pronounceable words that no dictionary has."""
    rng = random.Random(seed)
    words: dict[str, None] = {}
    while len(words) < count:
        words["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) + rng.choice(["", "", "s", "x", "on", "7"])] = None
    return list(words)


class LongTail:
    """The collection's vocabulary and names, the same for the same size."""

    def __init__(self, model: CorpusModel, count: int, seed: int = 17):
        self.model = model
        self.tail = made_up_words(max(1000, count // 2), seed)
        names = made_up_words(OUTLETS + TOPICS * 2, seed + 1)
        self.outlets = [f"The {names[n].title()} {('Times', 'Post', 'Daily', 'Wire', 'Review')[n % 5]}"
                        for n in range(OUTLETS)]
        self.topics = [f"{names[OUTLETS + 2 * n].title()} {names[OUTLETS + 2 * n + 1].title()}" for n in range(TOPICS)]
        self.cumulative = cumulative_weights(model)

    def words(self, rng: random.Random, length: int) -> str:
        return " ".join(rng.choice(self.tail) if rng.randrange(TAIL_SHARE) == 0
                        else rng.choices(self.model.words, cum_weights=self.cumulative)[0] for _ in range(length))


def write_long_tail_collection(model: CorpusModel, count: int, folder: Path, seed: int = 17) -> None:
    """Write ``count`` article files of the long-tail shape to ``folder`` (subfolders of 1,000)."""
    shape = LongTail(model, count, seed)
    rng = random.Random(seed)
    start = dt.datetime(2015, 1, 1)
    for number in range(count):
        title = shape.words(rng, rng.randint(4, 16))
        front = {
            "category": "news",
            "title": title[:1].upper() + title[1:],
            "excerpt": shape.words(rng, rng.randint(10, 80)),
            "webUrl": f"https://example.org/long-tail/{number}",
            "type": "video" if rng.randrange(10) == 0 else "article",
            "provider": {"name": rng.choice(shape.outlets), "domain": f"outlet{rng.randrange(OUTLETS)}.example"},
            "topics": rng.sample(shape.topics, rng.randint(0, 4)),
        }
        if rng.randrange(20):  # one in twenty has no date
            front["publishedDateTime"] = (start + dt.timedelta(minutes=rng.randrange(10 * 365 * 24 * 60))
                                          ).strftime("%Y-%m-%dT%H:%M:%SZ")
        if rng.randrange(3):
            front["quality"] = rng.randint(0, 200)
        body = shape.words(rng, rng.randint(0, BODY_WORDS)) if rng.randrange(2) else ""
        path = folder / f"{number // 1000:04}" / f"long-tail-{number:07}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + body + "\n",
                        encoding="utf-8")


def misspelt(rng: random.Random, word: str) -> str:
    position = rng.randrange(1, len(word))
    return word[:position] + word[position + 1:] if rng.randrange(2) else word[:position] + "x" + word[position:]


def make_long_tail_queries(model: CorpusModel, count: int, articles: int, seed: int = 23) -> list[str]:
    """Unique queries of six kinds in turn (module docstring)."""
    shape = LongTail(model, articles)
    rng = random.Random(seed)
    frequent = [w for w in model.words[:300] if len(w) > 2 and w not in QUERY_STOP]
    common = [w for w in model.words[:3000] if len(w) > 3 and w not in QUERY_STOP]
    kinds = [
        lambda: f"{rng.choice(frequent)} {rng.choice(frequent)}",
        lambda: f"{rng.choice(frequent)} {rng.choice(shape.tail)}",
        lambda: f"{rng.choice(shape.tail)} {rng.choice(shape.tail)}",
        lambda: f"{rng.choice(QUESTIONS)} {rng.choice(common)} {rng.choice(common)}",
        lambda: f"{rng.choice(common)} {(word := rng.choice(common + shape.tail))[:rng.randint(2, max(2, len(word) - 1))]}",
        lambda: f"{misspelt(rng, rng.choice(common))} {rng.choice(common)}",
    ]
    queries: list[str] = []
    seen = set()
    while len(queries) < count:
        query = kinds[len(queries) % len(kinds)]()
        if query not in seen and len(set(query.split())) == len(query.split()):
            seen.add(query)
            queries.append(query)
    return queries
