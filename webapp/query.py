"""Where a query is parsed: user text to a Whoosh query over the article text fields.

Words are required (AND) by default; when that finds nothing, the search falls back to
matching any of the words so a long or partly wrong query still answers.
"""

from __future__ import annotations

import re

from whoosh import qparser
from whoosh.query import AndMaybe, NullQuery, Or, Phrase, Query

from indexer.schema import TEXT_FIELDS, text_analyzer
from webapp.ranking import FIELD_BOOSTS, PHRASE_BOOSTS, PHRASE_SLOP

MAX_QUERY_CHARS = 500
# Characters and words that make a query more than a plain list of words.
QUERY_SYNTAX = re.compile(r'["():*?~^+\-]|\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\b')
ANALYZER = text_analyzer()


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
    return with_proximity_boost(parsed, text)


def with_proximity_boost(query: Query, text: str) -> Query:
    """Reward articles whose title or excerpt has the query's words close together and in order.

    A plain multi-word query matches on the words alone; documents where they also form
    (nearly) the phrase get the phrase's score on top, as a reader expects for
    "open beta" or a remembered headline.
    """
    if query is NullQuery or QUERY_SYNTAX.search(text):
        return query
    words = [token.text for token in ANALYZER(text)]
    if len(words) < 2:
        return query
    phrases = Or([Phrase(field, words, slop=PHRASE_SLOP, boost=boost) for field, boost in PHRASE_BOOSTS.items()])
    return AndMaybe(query, phrases)


def qparser_safe(text: str) -> str:
    """Text with query syntax characters removed, parsed as plain words."""
    return "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text)


def word_count(query: Query) -> int:
    return len({text for _, text in query.iter_all_terms()}) if query is not NullQuery else 0
