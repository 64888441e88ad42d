"""Whether a word is a word of the English language, from pyspellchecker's word list.

Used to tell a collection's rare typo ("announcment") from a rare real word ("auction"): both
may appear in one article beside a common neighbour one letter away. The list is loaded on
first use, once per process, and kept as a set of words only.
"""

from __future__ import annotations

import functools


@functools.cache
def english_words() -> frozenset[str]:
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def is_dictionary_word(word: str) -> bool:
    return word.lower() in english_words()
