"""Where a query is parsed: user text to a Whoosh query over the article text fields.

Words are required (AND) by default; when that finds nothing, the search falls back to
matching any of the words so a long or partly wrong query still answers.
"""

from __future__ import annotations

from whoosh import qparser
from whoosh.query import NullQuery, Query

from indexer.schema import TEXT_FIELDS
from webapp.ranking import FIELD_BOOSTS

MAX_QUERY_CHARS = 500


def make_parser(schema, any_word: bool = False) -> qparser.MultifieldParser:
    group = qparser.OrGroup if any_word else qparser.AndGroup
    return qparser.MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=FIELD_BOOSTS, group=group)


def normalize_query_text(text: str) -> str:
    return " ".join((text or "").split())[:MAX_QUERY_CHARS]


def parse_user_query(schema, text: str, any_word: bool = False) -> Query:
    """Parse text into a Whoosh query; text that yields no terms gives a NullQuery."""
    text = normalize_query_text(text)
    if not text:
        return NullQuery
    try:
        parsed = make_parser(schema, any_word).parse(text)
    except Exception:  # the parser should never fail, but a query must never cause a 500
        parsed = make_parser(schema, any_word).parse(qparser_safe(text))
    return parsed


def qparser_safe(text: str) -> str:
    """Text with query syntax characters removed, parsed as plain words."""
    return "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)


def word_count(query: Query) -> int:
    return len({text for _, text in query.iter_all_terms()}) if query is not NullQuery else 0
