"""Search-as-you-type: word completions from the vocabulary and matching titles.

Completions come from the sorted vocabulary held by the snapshot (a binary search and a
partial sort, no index scan); titles come from a small title-only query over the index.
"""

from __future__ import annotations

import numpy as np
from whoosh.query import And, NullQuery, Or, Prefix, Term

from webapp.query import ANALYZER, typo_distance
from webapp.collapse import story_entries
from webapp.matching import safe_score_all, text_scores
from webapp.ranking import quality_factor

MAX_SUGGESTIONS = 10
CANDIDATES_PER_COMPLETION = 4  # completions looked at per one offered, after other words


def split_typed(text: str) -> tuple[list[str], str]:
    """Words already typed, and the word being typed (empty after a space)."""
    words = text.lower().split()
    if not words or text.endswith(" "):
        return words, ""
    return words[:-1], words[-1]


def known_spelling(snapshot, word: str) -> str:
    """A typed word, or its closest known spelling if the collection never uses it (a word
    the collection writes apart, "gamepass", is kept: the search finds it as it is)."""
    if snapshot.vocabulary.doc_frequency(word) or not typo_distance(word) or snapshot.parser.split_word(word):
        return word
    near = snapshot.vocabulary.near(word, typo_distance(word))
    return near[0][0] if near else word


def completions_beside(snapshot, head: list[str], prefix: str, limit: int) -> list[tuple[str, int]]:
    """The words ``prefix`` starts, most frequent first; after other words, only those found
    in articles beside all of them, by how many ("necromancer bui" offers "build", never a
    "builder" that no necromancer article has), with that count."""
    candidates = snapshot.vocabulary.completions(prefix, limit * CANDIDATES_PER_COMPLETION if head else limit)
    if not head:
        return candidates
    parser = snapshot.parser
    terms: dict = {}
    beside = text_scores(snapshot, And([parser.word_query(word) for word in head]), terms)[0]
    if not len(beside):
        return candidates[:limit]
    counted = []
    for word, _ in candidates:
        together = np.count_nonzero(np.isin(text_scores(snapshot, parser.word_query(word), terms)[0], beside,
                                            assume_unique=True, kind="table"))
        if together:
            counted.append((word, int(together)))
    return sorted(counted, key=lambda item: -item[1])[:limit]


def title_query(head: list[str], prefix: str):
    stems = [token.text for word in head for token in ANALYZER(word)]
    parts = [Term("title", stem) for stem in stems]
    if prefix:
        parts.append(Or([Prefix("title", prefix), Term("title", next((t.text for t in ANALYZER(prefix)), prefix))]))
    return And(parts) if parts else NullQuery


def suggest(snapshot, text: str, limit: int, quality_weight: float) -> dict:
    head, prefix = split_typed(text[:200])
    head = [known_spelling(snapshot, word) for word in head]
    completions = []
    if prefix:
        for word, count in completions_beside(snapshot, head, prefix, limit):
            completions.append({"text": " ".join([*head, word]), "word": word, "count": count})
    titles = []
    if len(" ".join([*head, prefix]).strip()) >= 2:
        docs, scores = safe_score_all(snapshot.searcher, title_query(head, prefix))
        keep = snapshot.live[docs]
        docs, scores = docs[keep], scores[keep]
        if len(docs):
            scores = scores * quality_factor(snapshot.quality[docs], quality_weight)
            titles = story_entries(snapshot, docs, np.lexsort((docs, -scores)), limit)
    return {"query": text, "completions": completions, "titles": titles}

