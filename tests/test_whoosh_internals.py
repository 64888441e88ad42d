"""The boundary around Whoosh's internals: the version check, install(), reading segment files
in place, and the two corrected query matchers."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import whoosh
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb import structfile
from whoosh.matching import binary
from whoosh.query import AndMaybe, AndNot, Term

from indexer.build import reindex
from indexer.errors import IndexerError
from indexer.layout import open_build
from indexer.postings import field_matchers
from indexer.whoosh_internals import SUPPORTED_WHOOSH, UnsupportedWhoosh, check_whoosh_version, install
from indexer.whoosh_internals.mapped_files import MappedReader
from indexer.whoosh_internals.whole_postings import posting_ids
from tests.conftest import article_fields, write_article

PROJECT_DIR = Path(__file__).resolve().parent.parent


def test_an_untested_whoosh_version_is_refused_naming_both_versions():
    with pytest.raises(UnsupportedWhoosh) as refused:
        check_whoosh_version("2.7.5")
    assert isinstance(refused.value, IndexerError)
    assert "2.7.5" in str(refused.value) and SUPPORTED_WHOOSH in str(refused.value)
    check_whoosh_version(SUPPORTED_WHOOSH)
    assert whoosh.versionstring() == SUPPORTED_WHOOSH  # the one this project runs with


def test_importing_the_project_replaces_nothing_in_whoosh():
    """Whoosh is changed by install() alone, not as a side effect of an import."""
    script = ("import indexer.build, indexer.watch, webapp.app, webapp.search\n"
              "from whoosh import writing\n"
              "from whoosh.matching import binary\n"
              "print(writing.PostingPool.__module__, binary.AndMaybeMatcher.skip_to.__module__)\n")
    shown = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["whoosh.writing", "whoosh.matching.binary"]


def replaced() -> dict[str, object]:
    """What install() puts in place, and what it keeps of Whoosh's own."""
    from whoosh import formats, multiproc
    from whoosh.codec import whoosh3

    return {
        "pool": writing.PostingPool, "whoosh pool": writing.WhooshPostingPool,
        "add_document": writing.SegmentWriter.add_document, "whoosh add_document": writing.SegmentWriter.whoosh_add_document,
        "assemble": writing.SegmentWriter._assemble_segment,
        "whoosh assemble": writing.SegmentWriter.whoosh_assemble_segment,
        "add_postings": whoosh3.W3FieldWriter.add_postings, "whoosh add_postings": whoosh3.W3FieldWriter.whoosh_add_postings,
        "lengths": whoosh3.W3PerDocReader.doc_field_length,
        "whoosh lengths": whoosh3.W3PerDocReader.whoosh_doc_field_length,
        "positions": formats.Positions.word_values, "whoosh positions": formats.Positions.whoosh_word_values,
        "frequencies": formats.Frequency.word_values, "whoosh frequencies": formats.Frequency.whoosh_word_values,
        "buffer": structfile.BufferFile.__init__, "whoosh buffer": structfile.BufferFile.whoosh_init,
        "writer task": (multiproc.SubWriterTask.start, multiproc.SubWriterTask.run),
        "matchers": (binary.AndMaybeMatcher.skip_to, binary.AndNotMatcher._find_first),
        "whoosh matchers": (binary.AndMaybeMatcher.whoosh_skip_to, binary.AndNotMatcher.whoosh_find_first),
    }


def test_install_twice_replaces_each_method_once(monkeypatch):
    import indexer.whoosh_internals

    install()
    first = replaced()
    install()
    monkeypatch.setattr(indexer.whoosh_internals, "_installed", False)  # and even if it forgot it had run
    install()
    assert replaced() == first
    # Whoosh's own methods are kept, not a replacement of a replacement.
    assert first["whoosh pool"].__module__ == "whoosh.writing" and first["pool"].__module__ != "whoosh.writing"
    for name in ("add_document", "assemble", "add_postings", "lengths", "positions", "frequencies", "buffer"):
        assert first[f"whoosh {name}"].__module__.startswith("whoosh."), name
        assert not first[name].__module__.startswith("whoosh."), name
    for ours, whooshs in zip(first["matchers"], first["whoosh matchers"]):
        assert whooshs.__module__ == "whoosh.matching.binary" and ours.__module__ != whooshs.__module__


def test_the_mapped_reader_reads_like_the_copy_whoosh_makes():
    data = b"first line\nsecond\n\nno newline at the end"
    mapped, copied = MappedReader(data), io.BytesIO(data)
    steps = [("read", 5), ("readline",), ("tell",), ("readline", 3), ("readline",), ("seek", -4, io.SEEK_END),
             ("read", 100), ("read",), ("seek", 2), ("read", -1), ("seek", 6, io.SEEK_SET), ("seek", 3, io.SEEK_CUR),
             ("readline", -1), ("tell",)]
    for name, *args in steps:
        assert getattr(mapped, name)(*args) == getattr(copied, name)(*args), (name, args)
    mapped.seek(11), copied.seek(11)
    ours, whooshs = bytearray(9), bytearray(9)
    assert mapped.readinto(ours) == copied.readinto(whooshs) and ours == whooshs
    mapped.seek(len(data) - 2), copied.seek(len(data) - 2)
    assert mapped.readinto(ours) == copied.readinto(whooshs) == 2 and ours == whooshs


def index_contents(ix) -> dict:
    """Every term with its postings, and every stored document, through Whoosh's reader, and
    the kind of file its postings were read from."""
    with ix.reader() as reader:
        terms = list(reader.all_terms())
        return {
            "read from": {type(leaf._terms._postfile.file).__name__ for leaf, _ in reader.leaf_readers()},
            "terms": terms,
            "postings": [list(reader.postings(field, text).items_as("weight")) for field, text in terms],
            "positions": [list(reader.postings(field, text).items_as("positions"))
                          for field, text in terms if field in ("title", "excerpt")],
            "stored": list(reader.all_stored_fields()),
            "lengths": [reader.doc_field_length(docnum, "title") for docnum in range(reader.doc_count_all())],
        }


def test_segment_files_read_in_place_give_what_whooshs_copies_give(small_collection, index_dir, monkeypatch):
    """A compound segment's parts read from the map (mapped_files.py) give every term, posting,
    position, stored field and length that Whoosh's own copy of them gives."""
    reindex(small_collection, index_dir)
    write_article(small_collection, "late.md", **article_fields("Late beta news", "The open beta moved."))
    reindex(small_collection, index_dir)  # a second segment
    build, ix = open_build(index_dir)
    assert len(list(build.glob("*.seg"))) == 2  # compound segments: parts opened as BufferFiles
    ours = index_contents(ix)
    monkeypatch.setattr(structfile.BufferFile, "__init__", structfile.BufferFile.whoosh_init)
    whooshs = index_contents(whoosh_index.open_dir(str(build), indexname="MAIN"))
    assert len(ours["terms"]) > 50 and len(ours["stored"]) == 5
    assert ours.pop("read from") == {"MappedReader"} and whooshs.pop("read from") == {"BytesIO"}
    assert ours == whooshs


def write_index(folder: Path, texts: list[str]):
    """A one-segment Whoosh index of ``texts``, the n-th stored with key n."""
    install()
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), Schema(key=ID(stored=True), text=TEXT))
    with ix.writer() as writer:
        for key, text in enumerate(texts):
            writer.add_document(key=str(key), text=text)
    return ix


def skip_to_score(searcher, query, target: int) -> tuple[int, float]:
    matcher = query.matcher(searcher)
    matcher.skip_to(target)
    return matcher.id(), matcher.score()


def test_and_maybe_keeps_the_optional_score_after_a_skip(tmp_path, monkeypatch):
    """Skipping to document 2 lands the required 'alpha' on 5, where the optional 'bravo'
    also is: the score must include bravo's, as stepping there one document at a time gives it."""
    ix = write_index(tmp_path / "words", ["zulu", "alpha", "zulu", "bravo", "zulu", "alpha bravo"])
    query = AndMaybe(Term("text", "alpha"), Term("text", "bravo"))
    with ix.searcher() as searcher:
        stepped = query.matcher(searcher)
        stepped.next()
        assert stepped.id() == 5
        required, optional = Term("text", "alpha").matcher(searcher), Term("text", "bravo").matcher(searcher)
        required.skip_to(5), optional.skip_to(5)
        assert stepped.score() == pytest.approx(required.score() + optional.score())
        assert skip_to_score(searcher, query, 2) == (5, stepped.score())
        # Whoosh's own skip_to leaves 'bravo' on 3 and drops its score.
        monkeypatch.setattr(binary.AndMaybeMatcher, "skip_to", binary.AndMaybeMatcher.whoosh_skip_to)
        assert skip_to_score(searcher, query, 2) == (5, required.score())


def test_and_not_excludes_the_first_document_too(tmp_path, monkeypatch):
    """'beta' without 'diablo' when the excluded side's first document comes before the
    kept side's first, which has both words."""
    ix = write_index(tmp_path / "games", ["diablo", "diablo beta", "beta"])
    query = AndNot(Term("text", "beta"), Term("text", "diablo"))
    with ix.searcher() as searcher:
        assert [hit["key"] for hit in searcher.search(query)] == ["2"]
        assert list(query.docs(searcher)) == [2]
        # Whoosh's own _find_first matches the excluded document.
        monkeypatch.setattr(binary.AndNotMatcher, "_find_first", binary.AndNotMatcher.whoosh_find_first)
        assert list(query.docs(searcher)) == [1, 2]


def test_a_terms_documents_read_a_block_at_a_time_are_whooshs(corpus_index):
    """whole_postings.py reads the leaf matcher's blocks itself: every term of the facet
    fields and of the titles (long terms span many blocks, compressed or not) gives the
    documents Whoosh's own matcher gives."""
    _, ix = open_build(corpus_index)
    checked, longest = 0, 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            for fieldname in ("topic_value", "provider_value", "type", "title"):
                for text, matcher in field_matchers(leaf, fieldname):
                    ours = posting_ids(matcher).tolist()
                    assert ours == list(leaf.postings(fieldname, text).all_ids()), (fieldname, text)
                    checked, longest = checked + 1, max(longest, len(ours))
    assert checked > 1_000 and longest > 500
