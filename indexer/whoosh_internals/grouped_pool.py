"""Whoosh's posting pool kept grouped by term, so finishing a segment sorts terms, not postings.

A Whoosh writer collects every posting of a segment as a (field name, term bytes, docnum,
weight, value bytes) tuple in a list and sorts the whole list when the segment is written:
millions of tuple comparisons for a large segment, most of them between equal field names
and terms. Documents arrive in docnum order, so the postings of one term are already in
order; ``GroupedPool`` files each posting under its term as it comes and sorts only the
terms. It gives the same postings in the same order as Whoosh's pool (a group is sorted whole
in the rare case a posting arrives out of docnum order), spills to disk at the same size, and
hands ``posting_blocks.py`` each term's postings as one group.
"""

from __future__ import annotations

from whoosh import writing
from whoosh.externalsort import SortingPool

# Whoosh's own estimate of a pooled posting's memory, without the lengths of its strings.
POSTING_OVERHEAD = 28 + 4 * 5 + 21 + 26 + 18 + 16 + 21


class TermGroups:
    """A finished pool's postings: ``groups`` gives ((field name, term bytes), (documents,
    weights, values)) per term, in Whoosh's order; iterating gives the postings one by one
    as Whoosh's pool would, (field name, term bytes, docnum, weight, value bytes)."""

    def __init__(self, groups: list[tuple[tuple[str, bytes], tuple[list, list, list]]]):
        self.groups = groups

    def __iter__(self):
        for (fieldname, btext), (docs, weights, values) in self.groups:
            for docnum, weight, value in zip(docs, weights, values):
                yield fieldname, btext, docnum, weight, value


class GroupedPool(writing.PostingPool):
    """Each term's postings kept as three lists (documents, weights, value bytes): a tuple per
    posting cost more to make than the appends, and was taken apart again to fill the blocks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clear_groups()

    def clear_groups(self) -> None:
        self.by_field: dict[str, dict[bytes, tuple[list, list, list]]] = {}
        self.unordered: set[tuple[str, bytes]] = set()  # terms whose postings need sorting

    def add(self, item):
        """Whoosh's one posting at a time (documents it adds itself, merged segments)."""
        fieldname, btext, docnum, weight, value = item
        self.add_terms(fieldname, docnum, ((btext, 0, weight, value),))

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
            columns = terms.get(btext)
            if columns is None:
                terms[btext] = ([docnum], [weight], [value])
            else:
                docs, weights, values = columns
                if docnum <= docs[-1]:
                    self.unordered.add((fieldname, btext))
                docs.append(docnum)
                weights.append(weight)
                values.append(value)
            size += fixed + 2 * len(btext) + len(value or b"")
            length += freq
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()
        return length

    def sorted_groups(self) -> list[tuple[tuple[str, bytes], tuple[list, list, list]]]:
        for fieldname, btext in self.unordered:  # in Whoosh's order: by document, weight, value
            docs, weights, values = self.by_field[fieldname][btext]
            ordered = sorted(zip(docs, weights, values))
            docs[:], weights[:], values[:] = (list(column) for column in zip(*ordered))
        groups = [((fieldname, btext), terms[btext])
                  for fieldname, terms in sorted(self.by_field.items()) for btext in sorted(terms)]
        self.clear_groups()
        return groups

    def save(self):
        """Write what is pooled as one sorted run on disk, as Whoosh's pool does when full."""
        self.current = list(TermGroups(self.sorted_groups()))
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
