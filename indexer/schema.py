"""The Whoosh schema and how an Article becomes an index document.

Text fields (title, excerpt, topics, body) are searched with English stemming; keyword
fields (topic, provider, type) and columns (published, quality) filter and sort; ``payload``
holds everything a result needs to be shown, so a hit never goes back to the file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from whoosh.analysis import RegexTokenizer, LowercaseFilter, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.util.times import datetime_to_long

from indexer.articles import Article
from indexer.whoosh_internals.whole_columns import column_numbers

# Bump whenever the schema or the meaning of a field changes: an index written with
# another version is rebuilt instead of being read wrongly.
SCHEMA_VERSION = 9



@dataclass(frozen=True)
class SearchedField:
    """A text field readers search: the prefixes they may type for it and how a match counts."""

    name: str
    prefixes: tuple[str, ...]  # what a reader types before a colon to search only this field
    boost: float = 1.0  # query-time weight of a match in this field
    default: bool = True  # searched by a query without a prefix
    # Bonus when the query's words stand (nearly) together in the field; its posting arrays
    # then keep word positions, to confirm the bonus (indexer/postings.py).
    phrase_boost: float = 0.0
    length_b: float | None = None  # BM25 length normalisation, when not Whoosh's default


# Every searched field, once: the schema, the query parser, the posting arrays and the scoring
# read them from here. The title says what an article is about most precisely, so it counts
# most; titles are all short and a longer one is rarely less about its words, so their length
# is normalised less. A phrase in the excerpt counts more than one in the title: excerpts are
# where readers remember whole sentences from.
SEARCHED_FIELDS = (
    SearchedField("title", ("title",), boost=1.5, phrase_boost=2.0, length_b=0.3),
    SearchedField("excerpt", ("excerpt",), phrase_boost=3.0),
    SearchedField("topics", ("topic", "topics")),
    SearchedField("provider", ("provider",), default=False),
    SearchedField("body", ("body",), boost=0.7),
)
TEXT_FIELDS = tuple(f.name for f in SEARCHED_FIELDS if f.default)
FIELD_BOOSTS = {f.name: f.boost for f in SEARCHED_FIELDS if f.default}
PHRASE_BOOSTS = {f.name: f.phrase_boost for f in SEARCHED_FIELDS if f.phrase_boost}
LENGTH_NORMALISATION = {f"{f.name}_B": f.length_b for f in SEARCHED_FIELDS if f.length_b is not None}
FIELD_PREFIXES = {prefix: f.name for f in SEARCHED_FIELDS for prefix in f.prefixes}
WORDS_FIELD = "words"  # unstemmed words of title, excerpt and topics (word_analyzer)
# A missing quality earns no quality bonus, the same as a quality of 0 (payload keeps None).
NO_QUALITY = 0


# A word is a run of letters and digits. Whoosh's default pattern also joins runs across single
# dots, so "Battle.net" or "twitch.tv" could not be found by "battle" or "twitch", and a
# sentence glued to the next ("this weekend.Diablo") hid both words. Such a dotted run is
# kept whole only when it is a number ("1.0", "9.3.3"); others are split at the dots.
TOKEN_PATTERN = r"(?<!\w)(?<!\w\.)\d+(?:\.\d+)+(?!\w)(?!\.\w)|\w+"


def text_analyzer():
    # minsize=1 keeps one-character words such as the "4" in "Diablo 4".
    return StemmingAnalyzer(expression=TOKEN_PATTERN, minsize=1)


def word_analyzer():
    # Unstemmed and without a stop list: the vocabulary for spelling corrections and
    # completions, and the field that answers a query made only of stop words.
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()


def build_schema() -> Schema:
    stemmed = text_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        fingerprint=ID(sortable=True),
        **{name: TEXT(analyzer=stemmed, phrase=True) for name in TEXT_FIELDS},
        provider=TEXT(analyzer=word_analyzer(), phrase=True),
        # Never searched as a phrase: frequencies without positions (a third of all postings).
        words=TEXT(analyzer=word_analyzer(), phrase=False),
        topic_value=KEYWORD(commas=True, lowercase=False),
        provider_value=ID(),
        type=ID(),
        published=column_only(DATETIME(sortable=True)),
        quality=column_only(NUMERIC(numtype=int, bits=32, signed=False, sortable=True, default=NO_QUALITY)),
        unpublished=column_only(NUMERIC(numtype=int, bits=8, signed=False, sortable=True, default=0)),
        payload=STORED(),
    )


def column_only(field):
    """A numeric field kept as a column and not indexed. Filters, facets and sorting read the
    columns (webapp/snapshot.py); the terms Whoosh would index for range queries (eight per
    value) were a sixth of all postings and most of the term table, and nothing read them."""
    field.indexed = False
    return field


def keyword_value(text: str | None) -> str:
    return (text or "").strip().lower()


def article_payload(article: Article, data: dict[str, Any] | None = None) -> str:
    """The stored JSON of an article (``data``: its ``to_json()``, if already made)."""
    return json.dumps(article.to_json() if data is None else data, ensure_ascii=False, separators=(",", ":"))


def article_document(article: Article, fingerprint: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields Whoosh stores and indexes for one article (``data``: its ``to_json()``,
    if the caller has made it)."""
    doc: dict[str, Any] = {
        "id": article.id,
        "fingerprint": fingerprint,
        "title": article.title,
        "excerpt": article.excerpt,
        "topics": " ; ".join(article.topics),
        "body": article.body,
        "provider": " ".join(filter(None, [article.provider_name, article.provider_domain])),
        "words": " \n".join([article.title, article.excerpt, *article.topics]),
        "topic_value": ",".join(t.replace(",", " ") for t in article.topics),
        "provider_value": article.provider_name or "",
        "type": keyword_value(article.type),
        "quality": NO_QUALITY if article.quality is None else article.quality,
        "unpublished": int(article.unpublished),
        "payload": article_payload(article, data),
    }
    if article.published is not None:
        doc["published"] = article.published
    return doc


# How the published column reads back: Whoosh stores a DATETIME as microseconds since year 1,
# and the largest 64-bit value for "no date".
EPOCH_LONG = datetime_to_long(dt.datetime(1970, 1, 1))
MISSING_LONG = 2**64 - 1


def published_seconds(reader) -> np.ndarray:
    """Seconds since 1970 of every document's publication (NaN without a date)."""
    longs = column_numbers(reader, "published").astype(np.uint64)
    seconds = (longs.astype(np.float64) - EPOCH_LONG) / 1e6
    seconds[longs == MISSING_LONG] = np.nan
    return seconds
