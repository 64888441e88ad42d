"""Field lengths read once per segment and field, instead of once per posting.

Writing a segment, Whoosh 2.7.4 asks its per-document reader for the field length of
every posting (to keep each block's shortest and longest), and each ask goes through
three layers of column readers; for a field without a lengths column it even asks the
file system whether the column exists, every time (``_cached_reader`` does not remember
a missing column), a large share of a commit. Here the lengths of a field are
decoded once into an array and looked up; the values are Whoosh's own
(tests/test_reindex.py compares them).
"""

from __future__ import annotations

from array import array

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length


def field_lengths(perdoc, fieldname: str) -> tuple[array, bool]:
    """Every document's length in the field (0 for none), as Whoosh decodes them, and
    whether the segment has a lengths column for the field at all."""
    tables = perdoc.__dict__.setdefault("_newsfinder_lengths", {})
    found = tables.get(fieldname)
    if found is None:
        column = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        if column is None:
            found = (array("q", bytes(8 * perdoc._doccount)), False)
        else:
            found = (array("q", (byte_to_length(b) if b else 0 for b in column)), True)
        tables[fieldname] = found
    return found


def remember_field_lengths() -> None:
    reader = whoosh3.W3PerDocReader
    if getattr(reader, "_newsfinder_lengths", False):
        return
    asked = reader.doc_field_length

    def doc_field_length(self, docnum, fieldname, default=0):
        table, has_column = field_lengths(self, fieldname)
        if not has_column:
            return default
        if docnum >= len(table):
            return asked(self, docnum, fieldname, default)  # out of range: Whoosh's own answer
        return table[docnum] or None  # as Whoosh: None for a zero length byte

    reader.doc_field_length = doc_field_length
    reader.whoosh_doc_field_length = asked  # kept for the test that compares the two
    reader._newsfinder_lengths = True
