"""A document goes into a Whoosh segment a field at a time, not a posting at a time.

Whoosh 2.7.4's ``SegmentWriter.add_document`` asks each field for a generator of postings
and hands them to the pool one call each (about 75 per article), re-encoding every term and
multiplying every weight by a boost this project never sets. ``add_document_by_field`` does
the same work for the documents this project writes: the text fields' terms come straight
from the fused analysis (``fused_analysis.py``), each field's postings go to the grouped
pool in one call (``GroupedPool.add_terms``), and stored values, lengths and columns go to
Whoosh's own per-document writer as before. Anything it was not made for (boosts, vectors,
spelling fields, custom stored values, another pool, a value that is not a string) is added
by Whoosh's own method. The stored fields, lengths and columns it writes are byte for byte
Whoosh's; for the terms and postings see ``posting_blocks.py`` (tests/test_reindex.py
compares both).
"""

from __future__ import annotations

from whoosh import formats, writing
from whoosh.analysis import IDTokenizer

from indexer.whoosh_internals.fused_analysis import fused, fused_postings
from indexer.whoosh_internals.grouped_pool import GroupedPool

KNOWN_VALUES = 10_000  # distinct values of a field whose postings are kept


class FieldStep:
    """How one schema field's value becomes postings, a stored value, a length and a column."""

    def __init__(self, field):
        self.field = field
        self.indexed, self.scorable, self.stored = field.indexed, bool(field.scorable), field.stored
        self.column = field.column_type
        fmt = field.format
        self.fast = fused(field.analyzer) if self.indexed and type(fmt) in (formats.Positions, formats.Frequency) else None
        # A whole value as its one term (ID fields): Whoosh's analyzer chain costs more than the rest.
        self.whole = self.indexed and type(field.analyzer) is IDTokenizer and type(fmt) is formats.Existence
        self.format = fmt
        self.known: dict = {}  # value -> postings, for other fields (their values repeat: topics, types)

    def postings(self, value) -> list[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, value bytes) of each term, as ``field.index`` gives them."""
        if not isinstance(value, str):
            return list(self.field.index(value))
        if self.whole:
            return [(value.encode("utf-8"), 1, self.format.field_boost, b"")]
        if self.fast is None:
            return self.analysed(value)
        return [(word.encode("utf-8"), freq, weight, encoded)
                for word, freq, weight, encoded in fused_postings(self.fast, self.format, value)]

    def analysed(self, value: str) -> list[tuple[bytes, int, float, bytes]]:
        found = self.known.get(value)
        if found is None:
            if len(self.known) >= KNOWN_VALUES:
                self.known.clear()
            found = self.known[value] = list(self.field.index(value))
        return found


class DocumentPlan:
    """The steps of a schema's fields, or None for a schema Whoosh's own method must handle."""

    def __init__(self, schema):
        self.steps = {name: FieldStep(schema[name]) for name in schema.names()}

    @classmethod
    def for_schema(cls, schema) -> DocumentPlan | None:
        for name in schema.names():
            field = schema[name]
            if field.vector or field.separate_spelling() or (field.indexed and not field.format):
                return None
        return cls(schema)

    def covers(self, fields: dict) -> bool:
        steps = self.steps
        return all(name in steps for name in fields)  # no "_boost"-like keys, no unknown fields


def writer_plan(writer) -> DocumentPlan | None:
    plan = writer.__dict__.get("_newsfinder_plan", False)
    if plan is False:
        fits = isinstance(writer.pool, GroupedPool)
        plan = writer._newsfinder_plan = DocumentPlan.for_schema(writer.schema) if fits else None
    return plan


def add_document_by_field(self, **fields):
    plan = writer_plan(self)
    if plan is None or not plan.covers(fields):
        return self.whoosh_add_document(**fields)
    self._check_state()
    perdoc, pool, docnum = self.perdocwriter, self.pool, self.docnum
    perdoc.start_doc(docnum)
    for name in sorted(fields):
        value = fields[name]
        if value is None:
            continue
        step = plan.steps[name]
        length = 0
        if step.indexed:
            counted = pool.add_terms(name, docnum, step.postings(value))
            length = counted if step.scorable else 0
        perdoc.add_field(name, step.field, value if step.stored else None, length)
        if step.column is not None:
            perdoc.add_column_value(name, step.column, step.field.to_column_value(value))
    perdoc.finish_doc()
    self._added = True
    self.docnum += 1


def add_by_field() -> None:
    """Make Whoosh's segment writers add documents through ``add_document_by_field``."""
    if getattr(writing.SegmentWriter, "_newsfinder_by_field", False):
        return
    writing.SegmentWriter.whoosh_add_document = writing.SegmentWriter.add_document
    writing.SegmentWriter.add_document = add_document_by_field
    writing.SegmentWriter._newsfinder_by_field = True
