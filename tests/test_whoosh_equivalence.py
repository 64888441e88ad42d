"""Whoosh equivalence: every fast path that replaces Whoosh code gives what that code gives.

newsfinder indexes, reads fields and columns, builds facets, scores plain queries, parses plain
words and marks highlights with its own code, while keeping Whoosh's files and answers. Each test
here runs a fast path and the Whoosh code it stands in for (kept under a ``whoosh_`` name, or
called directly) on the same input, the whole corpus where it can, and asserts the same terms,
bytes, values, scores, queries or HTML. A failure means a fast path no longer behaves as Whoosh."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from whoosh.query.spans import Span, SpanNear2

from indexer.build import reindex
from indexer.layout import current_build
from indexer.postings import SUFFIX, SegmentPostings
from tests.conftest import article_fields, write_article
from webapp.query import stopword_query
from webapp import scoring
from webapp.scoring import Unsupported, phrases_stand, score_segments
from webapp.engine import SearchEngine
from webapp.matching import safe_score_all
from webapp.search import SearchRequest


# Indexing: terms, the posting pool, posting blocks


def test_indexing_in_one_loop_gives_whooshs_terms_on_the_whole_corpus(corpus_dir):
    """indexer/whoosh_internals/fused_analysis.py indexes text fields without Whoosh's
    generator chain; every field of every corpus article must yield Whoosh's terms, frequencies, weights and
    encoded positions (stop words, renumbered positions, accents and all)."""
    from indexer.articles import iter_article_paths, parse_article
    from indexer.schema import article_document, build_schema
    from indexer.whoosh_internals import install
    from indexer.whoosh_internals.fused_analysis import fused

    install()
    schema = build_schema()
    compared = 0
    for relative in iter_article_paths(corpus_dir):
        document = article_document(parse_article(corpus_dir, relative), "fingerprint")
        for name in ("title", "excerpt", "topics", "body", "provider", "words"):
            field = schema[name]
            fast = list(field.format.word_values(document[name], field.analyzer, mode="index"))
            whooshs = list(field.format.whoosh_word_values(document[name], field.analyzer, mode="index"))
            assert fast == whooshs, (relative, name)
            # The counts alone (the story grouping's and the vocabulary field's), in the same order.
            counts = fused(field.analyzer).frequencies(document[name])
            assert list(counts.items()) == [(word, frequency) for word, frequency, _, _ in whooshs], (relative, name)
            compared += bool(fast)
    assert compared > 2000 * 5


def test_a_pool_grouped_by_term_gives_whooshs_order():
    """Postings that arrive out of document order (or twice for a document) come out as
    Whoosh's pool sorts them."""
    from whoosh import writing
    from whoosh.filedb.filestore import RamStorage

    from indexer.whoosh_internals import install
    from indexer.whoosh_internals.grouped_pool import GroupedPool

    install()
    postings = [("title", b"beta", 3, 1.0, None), ("excerpt", b"open", 1, 2.0, b"x"),
                ("title", b"beta", 1, 1.0, None), ("title", b"alpha", 2, 1.0, None),
                ("title", b"beta", 3, 0.5, None), ("excerpt", b"open", 2, 1.0, b"y"),
                ("title", b"beta", -1, 1.0, None)]
    pools = [pool(RamStorage(), None, limitmb=8) for pool in (GroupedPool, writing.WhooshPostingPool)]
    for pool in pools:
        for posting in postings:
            pool.add(posting)
    ours, whooshs = (list(pool.iter_postings()) for pool in pools)
    assert ours == whooshs == sorted(postings)


def test_postings_written_a_term_at_a_time_are_whooshs_bytes_and_arrays(corpus_dir, tmp_path, monkeypatch):
    """Documents go in a field at a time (whoosh_internals/add_document.py) to a pool grouped by term
    (whoosh_internals/grouped_pool.py), and whoosh_internals/posting_blocks.py fills Whoosh's posting blocks a term at a time;
    a segment of corpus articles (terms in one document and in a thousand, several blocks
    each) must come out byte for byte as Whoosh's own add_document, pool and per-posting loop
    write it (terms, postings, and the stored fields, lengths and columns), also when the pool spills to
    runs on disk, and the search arrays made on the way must be those read back from the
    segment. (Small blocks stored without zlib are the next test's: here every block is
    compressed, as Whoosh does.)"""
    from whoosh import index as whoosh_index
    from whoosh import writing
    from whoosh.codec import whoosh3

    import indexer.whoosh_internals.add_document
    import indexer.whoosh_internals.posting_blocks
    from indexer.articles import iter_article_paths, parse_article
    from indexer.postings import postings_path, read_arrays, segment_arrays
    from indexer.schema import article_document, build_schema
    from indexer.whoosh_internals import install
    from indexer.whoosh_internals.grouped_pool import GroupedPool

    install()
    monkeypatch.setattr(indexer.whoosh_internals.posting_blocks, "COMPRESS_FROM", 0)
    documents = [article_document(parse_article(corpus_dir, relative), "fingerprint")
                 for relative in sorted(iter_article_paths(corpus_dir))[:1500]]
    spills = []

    def segment_files(folder, add_postings, pool, limitmb=256):
        """Every file of one segment of ``documents``, by suffix."""
        whooshs = pool is writing.WhooshPostingPool
        monkeypatch.setattr(whoosh3.W3FieldWriter, "add_postings", add_postings)
        monkeypatch.setattr(writing, "PostingPool", pool)
        monkeypatch.setattr(writing.SegmentWriter, "add_document", writing.SegmentWriter.whoosh_add_document
                            if whooshs else indexer.whoosh_internals.add_document.add_document_by_field)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), build_schema())
        with ix.writer(compound=False, limitmb=limitmb) as writer:  # the files on their own, to compare
            for document in documents:
                writer.add_document(**document)
            spills.append(len(writer.pool.runs))
            assert whooshs or indexer.whoosh_internals.add_document.writer_plan(writer) is not None  # added a field at a time
        # Named after the segment: terms (.trm), postings (.pst), and a .col file for the
        # stored fields, each field's lengths and each column.
        written = {path.name.partition(".")[2]: path.read_bytes() for path in folder.iterdir()
                   if path.suffix in (".trm", ".pst", ".col")}
        return written, ix

    by_term, whoosh_by_posting = whoosh3.W3FieldWriter.add_postings, whoosh3.W3FieldWriter.whoosh_add_postings
    whooshs, _ = segment_files(tmp_path / "whooshs", whoosh_by_posting, writing.WhooshPostingPool)
    ours, ix = segment_files(tmp_path / "ours", by_term, GroupedPool)
    # Spilled postings come back from disk as new objects, so pickle's sharing of equal
    # position encodings (whoosh_internals/fused_analysis.py) is undone alike in both.
    whooshs_spilled, _ = segment_files(tmp_path / "whooshs_spilled", whoosh_by_posting, writing.WhooshPostingPool, 2)
    spilled, _ = segment_files(tmp_path / "spilled", by_term, GroupedPool, limitmb=2)
    assert spills[0] == spills[1] == 0 and spills[2] > 3 and spills[3] > 3
    assert {"trm", "pst", "_stored.col", "_words_len.col", "quality.col"} <= set(ours) and ours == whooshs and spilled == whooshs_spilled
    with ix.reader() as reader:  # and the terms have postings of several blocks
        assert max(reader.doc_frequency("excerpt", t) for t in (b"diablo", b"power", b"app")) > 3 * 128
        # The search arrays made on the way are the ones read back from the finished segment.
        made = read_arrays(postings_path(tmp_path / "ours", reader.segment()))
        read_back = segment_arrays(reader)
        assert made.keys() == read_back.keys() and len(made) > 6 * 6
        for name, array in read_back.items():
            assert made[name].dtype == array.dtype and np.array_equal(made[name], array), name


def test_small_posting_blocks_are_stored_without_zlib_and_read_back_the_same(corpus_dir, tmp_path, monkeypatch):
    """Blocks of fewer than COMPRESS_FROM postings are written uncompressed (Whoosh records
    that per block); through Whoosh's reader every term of every field has the same
    postings as in a segment Whoosh wrote itself."""
    from whoosh import index as whoosh_index
    from whoosh import writing
    from whoosh.codec import whoosh3

    from indexer.articles import iter_article_paths, parse_article
    from indexer.schema import article_document, build_schema
    from indexer.whoosh_internals import install
    from indexer.whoosh_internals.posting_blocks import COMPRESS_FROM

    install()
    documents = [article_document(parse_article(corpus_dir, relative), "fingerprint")
                 for relative in sorted(iter_article_paths(corpus_dir))[:600]]

    def block_levels(reader, field, text) -> list[tuple[int, int]]:
        """(postings, compression level) of each block of a term, as written on disk."""
        matcher, levels = reader.postings(field, text), []
        while True:
            levels.append((matcher._blocklength, matcher._compression))
            if matcher._lastblock:
                return levels
            matcher._goto(matcher._nextoffset)

    def postings_of(folder, whooshs):
        if whooshs:
            monkeypatch.setattr(whoosh3.W3FieldWriter, "add_postings", whoosh3.W3FieldWriter.whoosh_add_postings)
            monkeypatch.setattr(writing, "PostingPool", writing.WhooshPostingPool)
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), build_schema())
        with ix.writer() as writer:
            for document in documents:
                writer.add_document(**document)
        monkeypatch.undo()
        with ix.reader() as reader:
            terms = [(field, text) for field, text in reader.all_terms() if field in ("title", "excerpt", "words", "topic_value")]
            postings = [(field, text, list(reader.postings(field, text).items_as("weight")),
                         list(reader.postings(field, text).items_as("positions")) if field in ("title", "excerpt") else None)
                        for field, text in terms]
            return postings, [level for term in terms for level in block_levels(reader, *term)]

    ours, ours_levels = postings_of(tmp_path / "ours", whooshs=False)
    whooshs, whooshs_levels = postings_of(tmp_path / "whooshs", whooshs=True)
    assert len(ours) > 5_000 and ours == whooshs
    assert {level for size, level in ours_levels if size < COMPRESS_FROM} == {0}
    assert {level for size, level in ours_levels if size >= COMPRESS_FROM} == {3}
    assert {level for _, level in whooshs_levels} == {3}  # Whoosh compresses every block


# Reading: field lengths, columns, facet values


def test_remembered_field_lengths_are_whooshs_own(corpus_index):
    """indexer/whoosh_internals/field_lengths.py answers Whoosh's field-length questions from a decoded array;
    every answer must be the one Whoosh's column readers give."""
    from whoosh.codec import whoosh3

    from indexer.layout import open_build

    _, ix = open_build(corpus_index)
    whooshs = whoosh3.W3PerDocReader.whoosh_doc_field_length
    asked = 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            perdoc = leaf._perdoc
            for field in ("title", "excerpt", "topics", "body", "provider", "words", "published"):
                for docnum in range(leaf.doc_count_all()):
                    assert perdoc.doc_field_length(docnum, field) == whooshs(perdoc, docnum, field), (field, docnum)
                    asked += 1
    assert asked > 7 * 2000


def test_columns_read_at_once_are_whooshs_own(small_collection, index_dir):
    """indexer/whoosh_internals/whole_columns.py reads whole columns from Whoosh's files; across segments, with a
    deleted article, a non-ASCII id and articles without a date or a quality (values past a
    column's end take its default), every value must be the one Whoosh's readers give."""
    from indexer.whoosh_internals.whole_columns import column_numbers, column_strings
    from indexer.layout import open_build

    reindex(small_collection, index_dir)
    write_article(small_collection, "café/été.md", **article_fields("Summer", "In the café."))
    undated = article_fields("Undated", "No date.", quality=None)
    del undated["publishedDateTime"]
    write_article(small_collection, "zz/undated.md", **undated)  # the last document of its segment
    (small_collection / "beta.md").unlink()
    reindex(small_collection, index_dir)
    write_article(small_collection, "zz/undated2.md", **undated)  # a segment without any date
    reindex(small_collection, index_dir)
    _, ix = open_build(index_dir)
    with ix.reader() as reader:
        assert len(list(reader.leaf_readers())) > 2 and reader.has_deletions()
        for name in ("id", "fingerprint"):
            whooshs = [v for leaf, _ in reader.leaf_readers() for v in leaf.column_reader(name, translate=True)]
            assert column_strings(reader, name) == whooshs
        assert "café/été" in column_strings(reader, "id")
        for name in ("published", "quality"):
            whooshs = [v for leaf, _ in reader.leaf_readers() for v in leaf.column_reader(name, translate=False)]
            assert column_numbers(reader, name).tolist() == whooshs
        translated = [v for leaf, _ in reader.leaf_readers() for v in leaf.column_reader("quality", translate=True)]
        assert column_numbers(reader, "quality").tolist() == translated  # unsigned: stored as itself
        assert column_numbers(reader, "published").tolist().count(2**64 - 1) == 2  # the undated articles
        assert column_numbers(reader, "published").dtype == np.uint64
        # Kept as columns only: Whoosh indexes no range-query terms for them.
        assert not [term for term in reader.all_terms() if term[0] in ("published", "quality")]


def test_facet_values_follow_updates_and_deletions_across_segments(seeds, index_dir):
    from webapp.engine import SearchEngine

    for number in range(6):
        write_article(seeds, f"a{number}.md", **article_fields(
            f"Report {number}", provider={"name": f"Outlet {number % 3}"}, topics=[f"Topic {number % 2}", "Shared"]))
    reindex(seeds, index_dir)
    write_article(seeds, "a1.md", **article_fields("Report one moved", provider={"name": "Outlet 9"}, topics=["Topic 9"]))
    (seeds / "a2.md").unlink()
    write_article(seeds, "a6.md", **article_fields("Report six", provider={"name": "Outlet 0"}, topics=["Shared"]))
    reindex(seeds, index_dir)  # now two segments, with deletions in the first
    snapshot = SearchEngine(index_dir).snapshot()
    assert len(snapshot.searcher.reader().leaf_readers()) > 1
    reader = snapshot.searcher.reader()
    for name, field in (("provider", "provider_value"), ("topic", "topic_value"), ("type", "type")):
        facet = snapshot.facets[name]
        ours = {facet.labels[code]: sorted(facet.pair_docs[facet.pair_codes == code].tolist())
                for code in range(len(facet.labels))}
        # Whoosh's own lookups, deletions filtered out by its reader
        whoosh = {reader.schema[field].from_bytes(term): sorted(reader.postings(field, term).all_ids())
                  for term in reader.lexicon(field)}
        assert ours == whoosh, name


# Scoring over posting arrays


QUERIES = [
    "diablo 4 release date", "how do mounts work", "best sorcerer build", "power apps data leak",
    "open beta queue times", "necromancr", "sorc* build", "title:diablo beta", "topic:power apps copilot",
    "-diablo beta", "provider:ign diablo", "diablo OR dataverse", "diablo AND NOT beta", "the",
    "modern look for model-driven apps", "collector's edition", "4", "(beta ANDNOT diablo) OR sorcerer",
    "open beta -diablo -queue", "when", "how do", "the who", "pre-order bonus", "diablo iv beta",
]


def assert_same_as_whoosh(snapshot, text: str) -> None:
    parsed = snapshot.parser.parse(text)
    query = stopword_query(parsed) if parsed.only_stopwords else parsed.build()
    expected_docs, expected_scores = safe_score_all(snapshot.searcher, query)
    try:
        docs, scores, pending = score_segments(snapshot, query)
    except Unsupported:
        pytest.fail(f"{text!r} should be answered from the arrays")
    order = np.argsort(expected_docs)
    assert docs.tolist() == expected_docs[order].tolist(), text
    if pending is not None:
        assert (scores >= pending.base).all()  # an unconfirmed score is an upper bound
        pending.settle(np.arange(len(docs)), scores)
    np.testing.assert_allclose(scores, expected_scores[order], rtol=1e-12, err_msg=text)


@pytest.mark.parametrize("text", QUERIES)
def test_array_scores_equal_whoosh_scores_on_the_corpus(corpus_index, text):
    assert_same_as_whoosh(SearchEngine(corpus_index).snapshot(), text)


def test_new_segments_and_deletions_after_incremental_reindexes(seeds, index_dir):
    for n in range(30):
        write_article(seeds, f"a{n}.md", **article_fields(f"Open beta weekend {n}", f"Servers slammed on day {n}"))
    reindex(seeds, index_dir)
    write_article(seeds, "a3.md", **article_fields("Closed alpha", "Nothing about the weekend"))
    (seeds / "a4.md").unlink()
    write_article(seeds, "new.md", **article_fields("Open beta weekend extended", "Servers slammed again"))
    reindex(seeds, index_dir)
    build = current_build(index_dir)
    engine = SearchEngine(index_dir)
    snapshot = engine.snapshot()
    assert len(snapshot.segments()) >= 2  # the update went to a segment of its own
    assert all(postings is not None for _, _, postings, _ in snapshot.segments())
    assert len(list(build.glob(f"*{SUFFIX}"))) == len(snapshot.segments())
    for share in (0, scoring.LOOKUP_SHARE):  # 0: every And looks its words up at its rarest's articles
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(scoring, "LOOKUP_SHARE", share)
            for text in ("open beta weekend", "servers slammed", "weekend -extended", "alpha", "weekend new"):
                assert_same_as_whoosh(snapshot, text)
    ids = {hit["id"] for hit in engine.search(SearchRequest(q="open beta", per_page=100, collapse=False))["hits"]}
    assert "a4" not in ids and "a3" not in ids and "new" in ids and len(ids) == 29


def test_proximity_bonuses_without_stored_positions_are_confirmed_by_whoosh(corpus_index, monkeypatch):
    """Arrays written without word positions: each phrase of a graded bonus is Whoosh's to score."""
    monkeypatch.setattr(SegmentPostings, "has_positions", lambda self, name: False)
    snapshot = SearchEngine(corpus_index).snapshot()
    for text in ("diablo 4 release date", "open beta queue times", "modern look for model-driven apps"):
        assert_same_as_whoosh(snapshot, text)


def test_a_parallel_build_searches_like_a_serial_one(corpus_dir, corpus_index, tmp_path, monkeypatch):
    """A build from scratch with one writer process per core leaves a segment per worker;
    scores, totals, facets and stories must not depend on it."""
    import indexer.build

    monkeypatch.setattr(indexer.build, "PARALLEL_FROM", 100)
    parallel = tmp_path / "parallel"
    reindex(corpus_dir, parallel)
    snapshot = SearchEngine(parallel).snapshot()
    assert len(snapshot.segments()) == indexer.build.WORKERS > 1
    for text in QUERIES:
        assert_same_as_whoosh(snapshot, text)
    serial, split = SearchEngine(corpus_index), SearchEngine(parallel)
    for text in ("diablo 4 release date", "power apps data leak", "best sorcerer build"):
        a, b = serial.search(SearchRequest(q=text)), split.search(SearchRequest(q=text))
        assert [h["id"] for h in a["hits"]] == [h["id"] for h in b["hits"]], text
        assert (a["total"], a["facets"]) == (b["total"], b["facets"]), text


def whoosh_span_test(positions: list[list[int]], slop: int) -> bool:
    """Whoosh's own code for a Phrase: SpanNear2's span search over each word's positions."""
    terms = [SimpleNamespace(spans=lambda found=found: [Span(p) for p in sorted(found)]) for found in positions]
    return bool(SpanNear2.SpanNear2Matcher._get_spans(SimpleNamespace(ms=terms, slop=slop, ordered=True, mindist=1)))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sets(st.integers(0, 12), max_size=4), min_size=2, max_size=4), min_size=1, max_size=5),
       st.integers(1, 3))
def test_the_vectorised_phrase_test_agrees_with_whoosh_spans(documents, slop):
    """documents[d][w]: the positions of word w in document d; every document has the same words."""
    words = min(len(d) for d in documents)
    arrays = {}
    for w in range(words):
        docs = [d for d, doc in enumerate(documents) if doc[w]]
        counts = [len(documents[d][w]) for d in docs]
        arrays[w] = (docs, counts, [p for d in docs for p in sorted(documents[d][w])])
    postings = SegmentPostings({})
    postings.rows["title"] = {str(w).encode(): w for w in range(words)}
    indptr, pos_indptr = [0], [0]
    for w in range(words):
        indptr.append(indptr[-1] + len(arrays[w][0]))
        for count in arrays[w][1]:
            pos_indptr.append(pos_indptr[-1] + count)
    postings.arrays = {
        "title.indptr": np.array(indptr), "title.docs": np.array([d for w in range(words) for d in arrays[w][0]], np.int32),
        "title.pos_indptr": np.array(pos_indptr), "title.positions": np.array([p for w in range(words) for p in arrays[w][2]], np.int32),
    }
    docs = np.arange(len(documents))
    slops = list(range(slop, 0, -1))  # the near and side-by-side phrases are tested in one pass
    found = phrases_stand(postings, "title", [str(w).encode() for w in range(words)], docs, slops)
    for each, stands in zip(slops, found):
        expected = [whoosh_span_test([list(documents[d][w]) for w in range(words)], each)
                    if all(documents[d][w] for w in range(words)) else False for d in docs]
        assert stands.tolist() == expected, each


# Parsing and highlighting


def test_plain_words_are_parsed_as_whooshs_parser_parses_them(corpus_index):
    """The parser's shortcut for plain words must build the very query Whoosh's parser
    builds, for every word of the corpus (stop words, stems, accents, capitals)."""
    from webapp.query import PLAIN_WORD
    from webapp.engine import SearchEngine

    parser = SearchEngine(corpus_index).snapshot().parser
    words = [w for w in parser.snapshot.vocabulary.words if PLAIN_WORD.match(w)]
    words += [w.upper() for w in words[::50]] + [w.capitalize() for w in words[::50]]
    for word in words:
        expected = parser.rename_fields(parser.parse_text(word))
        assert repr(parser.parse_word(word)) == repr(expected), word
        assert parser.parse_word(word) == expected, word
    assert len(words) > 5000


def test_highlighting_tokens_are_the_analyzers_tokens_on_the_whole_corpus(corpus_dir):
    from indexer.articles import iter_article_paths, parse_article
    from webapp.snippets import ANALYZER, TOKENS

    def tokens(source, text):
        return [(t.text, t.startchar, t.endchar, t.stopped) for t in source(text, chars=True, mode="query", removestops=False)]

    texts = 0
    for relative in iter_article_paths(corpus_dir):
        article = parse_article(corpus_dir, relative)
        for text in (article.title, article.excerpt):
            assert tokens(TOKENS, text) == tokens(ANALYZER, text), (relative, text)
            texts += 1
    assert texts > 4000


def test_whole_text_marking_is_whooshs_highlighter_on_the_whole_corpus(corpus_dir, corpus_index):
    """mark_whole is a shortcut for Whoosh's highlighter on whole texts: same HTML, whether
    it analyses the words or looks for the vocabulary's written forms of the terms."""
    import random

    from whoosh import highlight

    from indexer.articles import iter_article_paths, parse_article
    from webapp.engine import SearchEngine
    from webapp.snippets import ANALYZER, MarkFormatter, mark_whole, merge_adjacent_marks

    snapshot = SearchEngine(corpus_index).snapshot()

    rng = random.Random(7)
    checked = 0
    for relative in iter_article_paths(corpus_dir):
        article = parse_article(corpus_dir, relative)
        for text in (article.title, article.excerpt):
            words = [t.text for t in ANALYZER(text, removestops=False)]
            for terms in (frozenset(rng.sample(words, min(2, len(words)))), frozenset(words[:1] + ["the", "zzz"])):
                whoosh_html = highlight.highlight(text, terms, ANALYZER, highlight.WholeFragmenter(charlimit=None),
                                                  MarkFormatter(), top=2)
                assert mark_whole(text, terms) == merge_adjacent_marks(whoosh_html), (relative, text, terms)
                pattern = snapshot.marker(terms)
                assert pattern is not None
                assert mark_whole(text, terms, pattern) == merge_adjacent_marks(whoosh_html), (relative, text, terms)
                checked += 1
    assert checked > 8000


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aAbB47._ -’ΣσςİiéÉ", max_size=40), st.integers(min_value=0, max_value=6))
@example(text="b 4.7 4", pick=2)  # "4" and "7" are terms, but the number "4.7" is one word
def test_marking_by_written_forms_is_marking_by_analysed_words(text, pick):
    """Dots inside words, word edges, case changes that alter a text's length: the
    written-forms expression marks exactly the tokens the analyser would."""
    from webapp.snippets import TOKENS, mark_whole, marker_for, surface_forms

    def tokens(value):
        return [(value[start:end].lower(), word) for start, end, word, _ in TOKENS.spans(value, removestops=False)]

    # The vocabulary also has the pieces of dotted words, as other articles would give it.
    vocabulary = tokens(text) + tokens(text.replace(".", " "))
    terms = frozenset(word for _, word in vocabulary[pick::3])
    forms = surface_forms(sorted({written for written, _ in vocabulary}))
    assert mark_whole(text, terms, marker_for(terms, forms)) == mark_whole(text, terms)
