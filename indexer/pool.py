"""Whoosh's posting pool kept grouped by term, so finishing a segment sorts terms, not postings.

A Whoosh writer collects every posting of a segment as a (field name, term bytes, docnum,
weight, value bytes) tuple in a list and sorts the whole list when the segment is written:
millions of tuple comparisons for a large segment, most of them between equal field names
and terms. Documents arrive in docnum order, so the postings of one term are already in
order; ``GroupedPool`` files each posting under its term as it comes and sorts only the
terms. It gives the same postings in the same order as Whoosh's pool (a group is sorted whole
in the rare case a posting arrives out of docnum order), spills to disk at the same size, and
hands ``indexer/blocks.py`` each term's postings as one list.
"""

from __future__ import annotations

from whoosh import writing
from whoosh.externalsort import SortingPool

# Whoosh's own estimate of a pooled posting's memory, without the lengths of its strings.
POSTING_OVERHEAD = 28 + 4 * 5 + 21 + 26 + 18 + 16 + 21


class TermGroups:
    """A finished pool's postings: iterating gives them one by one, in Whoosh's order;
    ``groups`` gives ((field name, term bytes), postings) per term."""

    def __init__(self, groups: list[tuple[tuple[str, bytes], list[tuple]]]):
        self.groups = groups

    def __iter__(self):
        for _, postings in self.groups:
            yield from postings


class GroupedPool(writing.PostingPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clear_groups()

    def clear_groups(self) -> None:
        self.by_field: dict[str, dict[bytes, list[tuple]]] = {}
        self.unordered: set[tuple[str, bytes]] = set()  # terms whose postings need sorting
        self.last_field, self.terms = None, {}

    def add(self, item):
        # A document's postings come a field at a time: its terms are looked up once per run.
        if item[0] != self.last_field:
            self.last_field = item[0]
            self.terms = self.by_field.setdefault(item[0], {})
            self.fieldnames.add(item[0])
        postings = self.terms.get(item[1])
        if postings is None:
            self.terms[item[1]] = [item]
        else:
            if item[2] <= postings[-1][2]:
                self.unordered.add((item[0], item[1]))
            postings.append(item)
        self.currentsize += POSTING_OVERHEAD + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()

    def add_terms(self, fieldname: str, docnum: int, items) -> int:
        """Pool one document's postings in one field from (term bytes, frequency, weight,
        value bytes) tuples; gives the sum of the frequencies (the field's length)."""
        terms = self.by_field.get(fieldname)
        if terms is None:
            terms = self.by_field[fieldname] = {}
            self.fieldnames.add(fieldname)
        size = length = 0
        fixed = POSTING_OVERHEAD + len(fieldname)
        for btext, freq, weight, value in items:
            posting = (fieldname, btext, docnum, weight, value)
            postings = terms.get(btext)
            if postings is None:
                terms[btext] = [posting]
            else:
                if docnum <= postings[-1][2]:
                    self.unordered.add((fieldname, btext))
                postings.append(posting)
            size += fixed + 2 * len(btext) + len(value or b"")
            length += freq
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()
        return length

    def sorted_groups(self) -> list[tuple[tuple[str, bytes], list[tuple]]]:
        groups = [((fieldname, btext), terms[btext])
                  for fieldname, terms in sorted(self.by_field.items()) for btext in sorted(terms)]
        for fieldname, btext in self.unordered:
            self.by_field[fieldname][btext].sort()
        self.clear_groups()
        return groups

    def save(self):
        """Write what is pooled as one sorted run on disk, as Whoosh's pool does when full."""
        self.current = [posting for _, postings in self.sorted_groups() for posting in postings]
        SortingPool.save(self)
        self.current = []
        self.currentsize = 0

    def items(self, maxfiles=128):
        if not self.runs:
            return TermGroups(self.sorted_groups())
        return super().items(maxfiles)  # merges the runs with what is pooled (saved first)

    def cleanup(self):
        self.clear_groups()
        super().cleanup()


def pool_by_term() -> None:
    """Make Whoosh's segment writers use GroupedPool."""
    if writing.PostingPool is not GroupedPool:
        writing.WhooshPostingPool = writing.PostingPool  # for the test that compares the two
        writing.PostingPool = GroupedPool
