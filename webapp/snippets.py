"""Highlighted snippets: matched words wrapped in <mark> inside an HTML-escaped copy of the text.

Whoosh's highlighter does the matching (through the field's stemming analyzer, so "bans"
marks "ban") and escapes everything it does not mark; we only choose fragmenters and crop,
and feed it the analyzer's tokens from ``FastTokens``, which makes them without the analyzer's
chain of generators (which took a large share of a search's time).
"""

from __future__ import annotations

import re
from collections import defaultdict
from html import escape, unescape

from whoosh import highlight
from whoosh.analysis import Token

from indexer.whoosh_internals.fused_analysis import FusedAnalysis
from indexer.schema import text_analyzer

SNIPPET_CHARS = 320
ELLIPSIS = "…"

ANALYZER = text_analyzer()


class FastTokens:
    """The tokens ``analyzer`` gives for highlighting (chars, stop words kept and flagged),
    made in one loop by indexer/whoosh_internals/fused_analysis.py. tests/test_whoosh_equivalence.py checks them
    against the analyzer on the whole corpus."""

    def __init__(self, analyzer):
        self.spans = FusedAnalysis(analyzer).spans

    def __call__(self, value: str, mode: str = "", removestops: bool = True, **_):
        token = Token(False, True, removestops=removestops, mode=mode)  # reused, as Whoosh does
        for start, end, text, stopped in self.spans(value, removestops):
            token.text, token.stopped, token.boost = text, stopped, 1.0
            token.startchar, token.endchar = start, end
            yield token


TOKENS = FastTokens(ANALYZER)
TOKEN_EXPRESSION = ANALYZER.items[0].expression
TOKENS_PATTERN = TOKEN_EXPRESSION.pattern
ADJACENT_MARKS = re.compile(r"</mark>(\s+)<mark>")


class MarkFormatter(highlight.HtmlFormatter):
    """Wrap each match in a bare <mark>; text between matches is escaped by the base class."""

    template = "<mark>%(t)s</mark>"

    def __init__(self):
        super().__init__(tagname="mark", between=f" {ELLIPSIS} ")


def crop(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Cut plain text at a word boundary, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:") + ELLIPSIS


class EarlierFirstScorer(highlight.BasicFragmentScorer):
    """Whoosh's fragment score, with ties going to the earlier fragment: Whoosh breaks them by
    the fragments' memory addresses, so the same search could show another snippet each run."""

    def __call__(self, fragment) -> float:
        return super().__call__(fragment) + 1 / (2 + fragment.startchar)  # under 1: only a tie-break


def highlight_text(text: str, terms: frozenset[str], whole: bool = False, marker: Marker | None = None) -> str:
    """Escaped HTML of ``text`` with ``terms`` marked; cropped around matches unless ``whole``."""
    if not text:
        return ""
    if terms:
        whole = whole or len(text) <= SNIPPET_CHARS
        if whole:
            marked = mark_whole(text, terms, marker)
        else:
            fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=90, charlimit=None)
            marked = merge_adjacent_marks(highlight.highlight(text, terms, TOKENS, fragmenter, MarkFormatter(), top=2,
                                                              scorer=EarlierFirstScorer()))
        if marked:
            return marked if whole or len(text) <= SNIPPET_CHARS else with_ellipses(marked, text)
    return escape(text if whole else crop(text), quote=False)


def mark_whole(text: str, terms: frozenset[str], marker: Marker | None = None) -> str:
    """What Whoosh's highlighter gives for a whole text (WholeFragmenter, MarkFormatter, then
    merge_adjacent_marks), in one pass over the tokens: titles and most excerpts, ten of
    each per page, are whole. tests/test_whoosh_equivalence.py checks it against Whoosh's
    highlighter on every corpus title and excerpt.

    With a ``marker`` (``marker_for``), the matches are found by looking the lowercased
    text's tokens up among the written forms of the terms instead of analysing every word."""
    pieces, done = [], 0
    lowered = text.lower() if marker is not None else ""
    if marker is not None and len(lowered) == len(text) and "Σ" not in text:  # offsets line up
        matches = marker.spans(lowered)
    else:
        matches = ((start, end) for start, end, word, _ in TOKENS.spans(text, removestops=False) if word in terms)
    for start, end in matches:
        pieces.append(escape(text[done:start], quote=False))
        pieces.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
        done = end
    if not pieces:
        return ""  # as Whoosh: a text without a match has no fragment
    pieces.append(escape(text[done:], quote=False))
    return merge_adjacent_marks("".join(pieces))


def surface_forms(words: list[str]) -> dict[str, list[str]]:
    """For each term a highlight can look for (a stem, or a stop word as written), the
    words of ``words`` (the index's lowercased vocabulary of titles, excerpts and topics)
    that the analyzer turns into it."""
    forms: dict[str, list[str]] = defaultdict(list)
    for word in words:
        for _, end, term, _ in TOKENS.spans(word, removestops=False):
            if end == len(word):  # the whole word is one token
                forms[term].append(word)
    return forms


class Marker:
    """Finds, in lowercased text, exactly the tokens whose analysed form is one of a search's
    terms: the tokenizer's own expression splits the text, and a token is marked when it is
    one of the terms' written forms (``surface_forms``). Nothing is compiled per search."""

    def __init__(self, written: frozenset[str]):
        self.written = written

    def spans(self, lowered: str) -> list[tuple[int, int]]:
        return [match.span() for match in TOKEN_EXPRESSION.finditer(lowered) if match.group() in self.written]


def marker_for(terms: frozenset[str], forms: dict[str, list[str]]) -> Marker:
    """The Marker of ``terms`` from their written forms."""
    return Marker(frozenset(written for term in terms for written in forms.get(term, ())))


def with_ellipses(marked: str, text: str) -> str:
    """Show that a cropped snippet is part of a longer text."""
    pieces = plain_text(marked).split(f" {ELLIPSIS} ")
    start = text.find(pieces[0])
    end = text.rfind(pieces[-1])
    prefix = f"{ELLIPSIS} " if start > 0 else ""
    suffix = f" {ELLIPSIS}" if end < 0 or end + len(pieces[-1]) < len(text) else ""
    return prefix + marked + suffix


def merge_adjacent_marks(html_text: str) -> str:
    """<mark>open</mark> <mark>beta</mark> becomes <mark>open beta</mark>: a phrase reads whole."""
    return ADJACENT_MARKS.sub(r"\1", html_text)


def snippet_text(text: str, html_text: str) -> str:
    """The plain text of ``text``'s highlighted snippet ``html_text``: the text itself when it
    was shown whole, else the cropped snippet without markup."""
    return text if len(text) <= SNIPPET_CHARS else plain_text(html_text)


def plain_text(html_text: str) -> str:
    """The text of a highlighted snippet without markup."""
    return unescape(html_text.replace("<mark>", "").replace("</mark>", ""))
