"""Whoosh's posting blocks filled a term at a time instead of a posting at a time.

Finishing a segment, Whoosh 2.7.4 feeds its sorted pool of postings to the field writer
one posting per call: a comparison of field and term, a length lookup, a method call and
the block writer's own type checks and running statistics, a large share of a build. ``write_postings_by_term`` groups the sorted pool by term and hands
each of Whoosh's blocks its ids, weights, values and length range at once; the block is
then written by Whoosh's own code. Blocks of fewer than ``COMPRESS_FROM`` postings are
stored without zlib (Whoosh records each block's compression, and its reader honours it), so
the term and postings files are not Whoosh's bytes: they hold the same postings, which
Whoosh's reader gives back the same. With ``COMPRESS_FROM = 0`` every block is compressed and
the files are byte for byte the ones Whoosh writes (tests/test_reindex.py checks both).
"""

from __future__ import annotations

from array import array
from itertools import groupby
from operator import itemgetter

from whoosh import writing
from whoosh.codec import base, whoosh3
from whoosh.codec.base import OutOfOrderError

from indexer.whoosh_internals.field_lengths import field_lengths
from indexer.whoosh_internals.grouped_pool import TermGroups
from indexer.postings import ArraysBuilder, postings_path, write_arrays

# Blocks of fewer postings are stored without zlib: most of a segment's blocks are that small
# (most terms are in one or two articles), and a zlib stream costs more to start than it saves
# on a few dozen bytes; Whoosh meant to skip streams under 20 bytes, but a bug compresses
# every block.
COMPRESS_FROM = 16
TERM_KEY = itemgetter(0, 1)  # a posting is (field name, term bytes, docnum, weight, value bytes)


def write_postings_by_term(self, schema, lengths, items):
    """W3FieldWriter.add_postings over a sorted stream of postings, term by term; the
    segment's search arrays are made on the way (written once Whoosh has assembled it)."""
    builder = ArraysBuilder(schema) if isinstance(lengths, whoosh3.W3PerDocReader) else None
    last_field, last_key = None, None
    for key, (ids, weights, values) in term_groups(items):
        if last_key is not None and key <= last_key:
            raise OutOfOrderError(f"term {key!r} after {last_key!r}")
        last_key = key
        fieldname, btext = key
        if fieldname != last_field:
            if last_field is not None:
                self.finish_field()
            self.start_field(fieldname, schema[fieldname])
            last_field = fieldname
        if ids[0] == -1:  # docnum -1 marks a spelling word, not a posting
            kept = [n for n, docnum in enumerate(ids) if docnum != -1]
            if not kept:
                continue
            ids, weights, values = ([column[n] for n in kept] for column in (ids, weights, values))
        self.start_term(btext)
        fill_blocks(self._postwriter, ids, weights, values, term_lengths(lengths, fieldname, ids))
        self.finish_term()
        if builder is not None:
            builder.add_term(fieldname, btext, ids, weights, values)
    if last_field is not None:
        self.finish_field()
    # A writer that passed its postings in more than one call leaves the arrays to
    # write_missing_postings, which reads them back from the finished segment.
    first_call = not hasattr(self, "_newsfinder_arrays")
    self._newsfinder_arrays = builder.arrays(lengths._doccount, lambda name: segment_lengths(lengths, name)) \
        if builder is not None and first_call else None


def term_groups(items):
    """((field name, term bytes), (documents, weights, values)) per term, in order: a grouped
    pool's own groups, or a sorted stream of postings grouped (a merge of segments or of
    pool runs)."""
    if isinstance(items, TermGroups):
        return items.groups
    return ((key, tuple(zip(*group))[2:]) for key, group in groupby(items, key=TERM_KEY))


def segment_lengths(perdoc, fieldname: str):
    table, has_column = field_lengths(perdoc, fieldname)
    return table if has_column else [0] * perdoc._doccount


def write_arrays_when_assembled(self):
    """SegmentWriter._assemble_segment, then the arrays made while its postings were written
    (before, a compound segment would have taken the file in)."""
    self.whoosh_assemble_segment()
    arrays = getattr(self.fieldwriter, "_newsfinder_arrays", None)
    folder = getattr(self.storage, "folder", None)
    if arrays is not None and folder is not None:
        write_arrays(postings_path(folder, self.newsegment), arrays)


def term_lengths(lengths, fieldname: str, ids) -> list:
    """The field length of each posting's document, as Whoosh's per-document reader gives it
    (None or 0 for none)."""
    if isinstance(lengths, whoosh3.W3PerDocReader):
        table, has_column = field_lengths(lengths, fieldname)
        if not has_column:
            return [0] * len(ids)
        if ids[-1] < len(table):
            # itemgetter looks the lengths up in one C call (mapping the array's __getitem__ over
            # the documents goes through a Python-level slot wrapper per posting)
            return [table[ids[0]]] if len(ids) == 1 else list(itemgetter(*ids)(table))
    if not lengths:
        return [0] * len(ids)
    return [lengths.doc_field_length(docnum, fieldname) for docnum in ids]


def fill_blocks(writer, ids, weights, values, lengths: list) -> None:
    """Put a term's postings (its documents, weights, value bytes and field lengths) into
    ``writer``'s blocks as its add_posting would, a block at a time: every full block but
    the last is written, the last is left for finish_postings."""
    limit = writer._blocklimit
    level = writer.__dict__.setdefault("_newsfinder_level", writer._compression)  # the codec's
    for start in range(0, len(ids), limit):
        if start:
            writer._write_block()
        end = start + limit
        block_ids = ids[start:end]
        # Whoosh records each block's compression, and its reader honours it
        writer._compression = level if len(block_ids) >= COMPRESS_FROM else 0
        writer._ids = array("I", block_ids)
        block_weights = weights[start:end]
        writer._weights = array("f", block_weights)
        heaviest = max(block_weights)
        writer._maxweight = heaviest if heaviest > 0 else 0  # Whoosh starts from the integer 0
        writer._values = list(filter(None, values[start:end]))
        present = list(filter(None, lengths[start:end]))
        writer._minlength = min(present) if present else None
        writer._maxlength = max(present) if present else 0


def write_blocks_by_term() -> None:
    if getattr(whoosh3.W3FieldWriter, "_newsfinder_by_term", False):
        return
    whoosh3.W3FieldWriter.whoosh_add_postings = base.FieldWriter.add_postings  # for the test
    whoosh3.W3FieldWriter.add_postings = write_postings_by_term
    whoosh3.W3FieldWriter._newsfinder_by_term = True
    writing.SegmentWriter.whoosh_assemble_segment = writing.SegmentWriter._assemble_segment
    writing.SegmentWriter._assemble_segment = write_arrays_when_assembled
