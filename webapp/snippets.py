"""Highlighted snippets: matched words wrapped in <mark> inside an HTML-escaped copy of the text.

Whoosh's highlighter does the matching (through the field's stemming analyzer, so "bans"
marks "ban") and escapes everything it does not mark; we only choose fragmenters and crop.
"""

from __future__ import annotations

import re
from html import escape, unescape

from whoosh import highlight

from indexer.schema import text_analyzer

SNIPPET_CHARS = 320
ELLIPSIS = "…"

ANALYZER = text_analyzer()
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
        fragmenter = (
            highlight.WholeFragmenter(charlimit=None)
            if whole
            else highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=90, charlimit=None)
        )
        marked = merge_adjacent_marks(highlight.highlight(text, terms, ANALYZER, fragmenter, MarkFormatter(), top=2))
        if marked:
            return marked if whole or len(text) <= SNIPPET_CHARS else with_ellipses(marked, text)
    return escape(text if whole else crop(text), quote=False)


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
