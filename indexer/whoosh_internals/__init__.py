"""Every place newsfinder goes below Whoosh's public API: what it replaces, why, and ``install()``.

newsfinder stores its index in Whoosh's files, so that stock Whoosh can open it, but indexes,
reads fields and scores plain queries with its own code over those files. The modules here
are the only ones that replace Whoosh's methods, and they read the private attributes the
replacements work with (a block writer's buffers, a column reader's offsets, a stemmer's
``_stem``), so they are tied to the Whoosh version they were tested with
(``SUPPORTED_WHOOSH``). Nothing is replaced at import time: ``install()`` checks the running
Whoosh and applies every replacement once; it is called wherever an index is opened or
written (``indexer/layout.py``, ``indexer/build.py``). Whoosh's own method (but the writer
task's) is kept beside its replacement as ``whoosh_<name>`` (the pool as
``writing.WhooshPostingPool``) for the tests that compare the two.

Why replace methods rather than plug in classes: a custom codec or field format would be
pickled into the index's table of contents, and stock Whoosh could not open the index;
``SegmentWriter`` ignores its ``poolclass=`` argument; ``ix.writer()``,
``multiproc.SubWriterTask``, ``CompoundStorage`` and ``Query.matcher`` build Whoosh's own
classes themselves, with no argument naming another.

MAP (Whoosh name -> what replaces it, in which module -> why)

  writing.PostingPool                  -> GroupedPool (grouped_pool)
                                          postings kept by term: a segment sorts terms, not postings
  writing.SegmentWriter.add_document   -> add_document_by_field (add_document)
                                          a document goes in a field at a time, not a posting at a time
  formats.Positions/Frequency
      .word_values                     -> index_in_one_loop's word_values (fused_analysis)
                                          the analyzer chain run as one loop
  whoosh3.W3FieldWriter.add_postings   -> write_postings_by_term (posting_blocks)
                                          blocks filled a term at a time; small blocks without zlib
  writing.SegmentWriter
      ._assemble_segment               -> write_arrays_when_assembled (posting_blocks)
                                          the search arrays written beside the finished segment
  whoosh3.W3PerDocReader
      .doc_field_length                -> remember_field_lengths (field_lengths)
                                          a field's lengths decoded once per segment, not per posting
  structfile.BufferFile.__init__       -> read_in_place: a MappedReader (mapped_files)
                                          segment parts read from the shared map, not copied per process
  multiproc.SubWriterTask.start/run
      /_Popen                          -> prepare_writer_processes (writer_processes)
                                          writer processes forked (so they inherit these
                                          replacements), tied to the reindex, no cyclic collector
  binary.AndMaybeMatcher.skip_to       -> andmaybe_skip_to (matcher_fixes)
                                          Whoosh bug: the optional side's score was dropped
  binary.AndNotMatcher._find_first     -> andnot_find_first (matcher_fixes)
                                          Whoosh bug: an excluded first document was matched
  columns NumericColumn/VarBytesColumn
      readers' private fields (read)   -> column_numbers, column_strings (whole_columns)
                                          a whole column read with one slice per segment
  whoosh3.W3LeafMatcher's private block
      fields (read)                    -> posting_ids (whole_postings)
                                          a term's documents a block at a time, not a posting at a time
"""

from __future__ import annotations

import whoosh

from indexer.errors import IndexerError

SUPPORTED_WHOOSH = "2.7.4"

_installed = False


class UnsupportedWhoosh(IndexerError):
    """The running Whoosh is not the version whose internals newsfinder was tested with."""


def check_whoosh_version(found: str) -> None:
    """UnsupportedWhoosh unless ``found`` (a Whoosh version string) is the supported one."""
    if found != SUPPORTED_WHOOSH:
        raise UnsupportedWhoosh(
            f"newsfinder replaces internals of Whoosh {SUPPORTED_WHOOSH} (indexer/whoosh_internals), "
            f"but Whoosh {found} is installed: install whoosh=={SUPPORTED_WHOOSH}")


def install() -> None:
    """Check the running Whoosh, then apply every replacement in the MAP above (once)."""
    global _installed
    if _installed:
        return
    check_whoosh_version(whoosh.versionstring())
    # Imported here, not with the package: the schema imports whole_columns from it, and the
    # writing side (posting_blocks -> indexer/postings.py) imports the schema.
    from indexer.whoosh_internals.add_document import add_by_field
    from indexer.whoosh_internals.field_lengths import remember_field_lengths
    from indexer.whoosh_internals.fused_analysis import index_in_one_loop
    from indexer.whoosh_internals.grouped_pool import pool_by_term
    from indexer.whoosh_internals.mapped_files import read_in_place
    from indexer.whoosh_internals.matcher_fixes import fix_matchers
    from indexer.whoosh_internals.posting_blocks import write_blocks_by_term
    from indexer.whoosh_internals.writer_processes import prepare_writer_processes

    read_in_place()
    remember_field_lengths()
    index_in_one_loop()
    write_blocks_by_term()
    pool_by_term()
    add_by_field()
    prepare_writer_processes()
    fix_matchers()
    _installed = True
