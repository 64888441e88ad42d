"""Highlighted snippets: matched words wrapped in <mark> inside an HTML-escaped copy of the text.

Whoosh's highlighter does the matching (through the field's stemming analyzer, so "bans"
marks "ban") and escapes everything it does not mark; we only choose fragmenters and crop,
and feed it the analyzer's tokens from ``FastTokens``, which makes them without the analyzer's
chain of generators (a third of a search's time at 100,000 articles went to it).
"""

from __future__ import annotations

import re
from html import escape, unescape

from whoosh import highlight
from whoosh.analysis import Token

from indexer.analysis import FusedAnalysis
from indexer.schema import text_analyzer

SNIPPET_CHARS = 320
ELLIPSIS = "…"

ANALYZER = text_analyzer()


class FastTokens:
    """The tokens ``analyzer`` gives for highlighting (chars, stop words kept and flagged),
    made in one loop by indexer/analysis.py. tests/test_search_features.py checks them
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


def highlight_text(text: str, terms: frozenset[str], whole: bool = False) -> str:
    """Escaped HTML of ``text`` with ``terms`` marked; cropped around matches unless ``whole``."""
    if not text:
        return ""
    if terms:
        whole = whole or len(text) <= SNIPPET_CHARS
        if whole:
            marked = mark_whole(text, terms)
        else:
            fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=90, charlimit=None)
            marked = merge_adjacent_marks(highlight.highlight(text, terms, TOKENS, fragmenter, MarkFormatter(), top=2))
        if marked:
            return marked if whole or len(text) <= SNIPPET_CHARS else with_ellipses(marked, text)
    return escape(text if whole else crop(text), quote=False)


def mark_whole(text: str, terms: frozenset[str]) -> str:
    """What Whoosh's highlighter gives for a whole text (WholeFragmenter, MarkFormatter, then
    merge_adjacent_marks), in one pass over the tokens: titles and most excerpts, ten of
    each per page, are whole. tests/test_search_features.py checks it against Whoosh's
    highlighter on every corpus title and excerpt."""
    pieces, done = [], 0
    for start, end, word, _ in TOKENS.spans(text, removestops=False):
        if word in terms:
            pieces.append(escape(text[done:start], quote=False))
            pieces.append(f"<mark>{escape(text[start:end], quote=False)}</mark>")
            done = end
    if not pieces:
        return ""  # as Whoosh: a text without a match has no fragment
    pieces.append(escape(text[done:], quote=False))
    return merge_adjacent_marks("".join(pieces))


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


def plain_text(html_text: str) -> str:
    """The text of a highlighted snippet without markup."""
    return unescape(html_text.replace("<mark>", "").replace("</mark>", ""))
