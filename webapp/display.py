"""How values read on the page: dates for people, excerpts that say they were cut."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup

ENDINGS = tuple('.!?…"”’)]')  # an excerpt ending otherwise was cut by its source


def reader_date(iso: str | None) -> str:
    """'22 Mar 2023' for '2023-03-22T16:05:00Z' (the exact time goes in a title)."""
    moment = parsed(iso)
    return f"{moment.day} {moment:%b %Y}" if moment else ""


def exact_time(iso: str | None) -> str:
    moment = parsed(iso)
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def parsed(iso: str | None) -> dt.datetime | None:
    if not iso:
        return None
    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None


def marked_cut(text):
    """The excerpt with "…" where its source cut it short (no closing punctuation); highlighted
    HTML stays HTML."""
    if not text or str(text).rstrip().endswith(ENDINGS):
        return text
    ending = "…"
    return text.rstrip() + (Markup(ending) if isinstance(text, Markup) else ending)
