"""One article with its coverage: other reports of its story and more like it (the article's
own ``related`` list, as given in its file, is part of the article)."""

from __future__ import annotations

import math

import numpy as np
from whoosh.query import Or, Term

from webapp.collapse import story_entries
from webapp.matching import safe_score_all
from webapp.query import ANALYZER
from webapp.ranking import DEFAULT_QUALITY_WEIGHT, quality_factor
from webapp.results import report_json, with_safe_links

MORE_LIKE_THIS = 5
KEY_TERMS = 8


def article_details(engine, article_id: str) -> dict | None:
    snapshot = engine.snapshot()
    docnum = snapshot.docnum(article_id)
    if docnum is None:
        return None
    article = snapshot.article(docnum)  # the same snapshot as the docnum, whatever a reindex does meanwhile
    same = (snapshot.story == snapshot.story[docnum]) & snapshot.live
    same[docnum] = False
    siblings = np.flatnonzero(same).tolist()
    return {
        "article": with_safe_links(article),
        "story": [report_json(snapshot, n) for n in siblings],
        "more_like_this": more_like_this(snapshot, docnum, article),
    }


def key_terms(snapshot, text: str, count: int) -> list[str]:
    """The article's most distinctive stemmed words: frequent in it, rare in the collection."""
    reader = snapshot.searcher.reader()
    frequency: dict[str, int] = {}
    for token in ANALYZER(text):
        frequency[token.text] = frequency.get(token.text, 0) + 1
    def weight(term: str) -> float:
        df = reader.doc_frequency("excerpt", term) + reader.doc_frequency("title", term)
        return frequency[term] * math.log((snapshot.doc_count + 1) / (df + 1))
    return sorted(frequency, key=weight, reverse=True)[:count]


def more_like_this(snapshot, docnum: int, article: dict) -> list[dict]:
    """Articles sharing the most distinctive words of this one's title and excerpt,
    leaving out reports of the same story (they are listed separately)."""
    # The title counts twice: it names the subject, the excerpt often wanders.
    text = f"{article['title']} {article['title']} {article['excerpt']}"
    terms = key_terms(snapshot, text, KEY_TERMS)
    query = Or([Or([Term("title", term), Term("excerpt", term)]) for term in terms], minmatch=2)
    docs, scores = safe_score_all(snapshot.searcher, query)
    keep = snapshot.live[docs] & (snapshot.story[docs] != snapshot.story[docnum])
    docs, scores = docs[keep], scores[keep] * quality_factor(snapshot.quality[docs[keep]], DEFAULT_QUALITY_WEIGHT)
    return story_entries(snapshot, docs, np.lexsort((docs, -scores)), MORE_LIKE_THIS)
