"""Outlets: one source under the several spellings a collection gives its name.

Feeds spell one outlet in several ways ("GameRant on MSN", "Game Rant on MSN.com",
"Game Rant"; "GamesRadar" and "GamesRadar+"; "YAHOO!News" and "Yahoo News"). The source
facet shows each outlet once, under its most common spelling, and a filter on any spelling
finds them all. Hits keep the name their own file gives.
"""

from __future__ import annotations

import re
from collections import Counter

# " on MSN", " on MSN.com": a site that republishes an outlet's articles under its own name.
SUFFIX = re.compile(r"^(?P<outlet>.*\S)\s+on\s+(?P<host>[\w.-]+)$", re.IGNORECASE)
DOMAIN_END = re.compile(r"\.(com|net|org)$", re.IGNORECASE)


def spelling_key(name: str) -> str:
    """Case, spaces, punctuation and a domain ending aside: "YAHOO!News" and "Yahoo News",
    "Comicbook.com" and "ComicBook" are one key."""
    return re.sub(r"[\W_]+", "", DOMAIN_END.sub("", name.strip()).casefold()) or name.casefold()


def republishers(names: list[str]) -> set[str]:
    """Hosts that follow " on " in the names of at least two different outlets: those are
    republishing sites, not part of an outlet's name (one name alone says nothing)."""
    outlets_by_host: dict[str, set[str]] = {}
    for name in names:
        match = SUFFIX.match(name.strip())
        if match:
            host = spelling_key(match["host"])
            outlets_by_host.setdefault(host, set()).add(spelling_key(match["outlet"]))
    return {host for host, outlets in outlets_by_host.items() if len(outlets) >= 2}


def outlet_name(name: str, hosts: set[str]) -> str:
    """``name`` without a republishing site's suffix."""
    match = SUFFIX.match(name.strip())
    if match and spelling_key(match["host"]) in hosts:
        return match["outlet"]
    return name.strip()


def outlet_labels(names: list[str], counts: list[int]) -> list[str]:
    """For each provider name (with its number of articles), the label of its outlet: the
    outlet's most common spelling, ties to the first in alphabetical order."""
    hosts = republishers(names)
    outlets = [outlet_name(name, hosts) for name in names]
    spellings: dict[str, Counter] = {}
    for outlet, count in zip(outlets, counts):
        spellings.setdefault(spelling_key(outlet), Counter())[outlet] += count
    label = {key: min(counter, key=lambda spelling: (-counter[spelling], spelling))
             for key, counter in spellings.items()}
    return [label[spelling_key(outlet)] for outlet in outlets]
