"""Scoring over posting arrays: what is left to Whoosh, exclusions honoured, and how the arrays
are stored (their scores against Whoosh's own matcher: test_whoosh_equivalence.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.build import reindex
from indexer.layout import current_build
from indexer.postings import SUFFIX
from tests.conftest import both_ways
from webapp import scoring
from webapp.scoring import Unsupported, score_segments, sorted_intersection, sum_by_document
from webapp.engine import SearchEngine
from webapp.search import SearchRequest


def test_explicit_phrases_are_left_to_whoosh(corpus_index):
    snapshot = SearchEngine(corpus_index).snapshot()
    with pytest.raises(Unsupported):
        score_segments(snapshot, snapshot.parser.parse('"open beta" queue').build())
    response = SearchEngine(corpus_index).search(SearchRequest(q='"open beta" queue'))
    assert response["total"] > 0 and "open beta" in response["hits"][0]["title"].lower()


def test_a_segment_without_arrays_is_searched_by_whoosh(small_index, monkeypatch):
    before = SearchEngine(small_index).search(SearchRequest(q="open beta weekend", explain=True))
    for path in current_build(small_index).glob(f"*{SUFFIX}"):
        os.remove(path)
    engine = SearchEngine(small_index)
    snapshot = engine.snapshot()
    assert [postings for _, _, postings, _ in snapshot.segments()] == [None]
    after = engine.search(SearchRequest(q="open beta weekend", explain=True))
    assert after["hits"] == before["hits"] and after["total"] == before["total"] == 1
    # the next reindex writes the missing arrays, and a running snapshot picks them up
    reindex(small_index.parent / "seeds", small_index)
    monkeypatch.setattr("webapp.snapshot.RETRY_POSTINGS_S", 0.0)
    assert all(postings is not None for _, _, postings, _ in snapshot.segments())


@pytest.mark.parametrize("text", ["-diablo beta", '"open beta" -diablo', "beta -diablo -4"])
def test_an_excluded_word_never_appears_in_a_hit(corpus_index, text):
    """Whoosh 2.7.4 let the first candidate through unchecked (webapp/ranking.py fixes it);
    the array path and the Whoosh path must both honour the exclusion."""
    response = SearchEngine(corpus_index).search(SearchRequest(q=text, per_page=100, collapse=False))
    for hit in response["hits"]:
        words = " ".join([hit["title"], hit["excerpt"], *hit["topics"]]).lower()
        assert "diablo" not in words, (text, hit["id"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 70_000), max_size=40), st.booleans())
def test_compacted_arrays_keep_every_value_in_the_narrowest_type(tmp_path_factory, values, fractional):
    from indexer.postings import compact, read_arrays, write_arrays

    original = np.asarray(values, dtype=np.float64) + (0.5 if fractional else 0.0)
    stored = compact(original)
    if fractional and len(values):
        assert stored.dtype == np.float32  # a boosted weight is not rounded
    else:
        narrower_max = 2 ** (4 * stored.dtype.itemsize) - 1  # what half as many bytes hold
        assert stored.dtype.kind == "u" and (stored.dtype.itemsize == 1 or max(values) > narrower_max)
    path = tmp_path_factory.mktemp("arrays") / "one.nfpostings"
    write_arrays(path, {"freqs": stored})
    np.testing.assert_array_equal(read_arrays(path)["freqs"].astype(np.float64), original)


def test_the_corpus_arrays_are_stored_narrow(corpus_index):
    from indexer.postings import read_arrays

    build = current_build(corpus_index)
    arrays = [read_arrays(path) for path in build.glob(f"*{SUFFIX}")]
    assert arrays
    for segment in arrays:
        assert segment["excerpt.positions"].dtype == np.uint8  # an excerpt is under 256 words
        assert segment["title.freqs"].dtype == np.uint8


def test_the_term_lookup_over_the_files_bytes_finds_what_a_dict_of_every_term_finds(corpus_index):
    """Every field of every segment of the corpus: each term finds its own row, and words one
    letter longer or shorter (sharing the eight-byte key or not) find nothing unless they are terms."""
    import numpy as np

    from indexer.postings import TermRows
    from webapp.engine import SearchEngine

    checked = 0
    for _, _, postings, _ in SearchEngine(corpus_index).snapshot().segments():
        for name, rows in postings.rows.items():
            blob, offsets = rows.blob.tobytes(), rows.offsets.tolist()
            every = {blob[offsets[i]:offsets[i + 1]]: i for i in range(len(offsets) - 1)}
            for term, row in every.items():
                assert rows.get(term) == row and term in rows
                for other in (term + b"s", term[:-1], term + b"\x00", b"\xff" + term):
                    assert rows.get(other) == every.get(other)
                checked += 1
    assert checked > 10_000
    with pytest.raises(ValueError, match="not sorted"):
        TermRows(np.frombuffer(b"bbbaaa", np.uint8), np.array([0, 3, 6]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 199), st.floats(0.01, 50)), max_size=40), min_size=1, max_size=6))
def test_sums_over_a_dense_array_and_by_sorting_are_the_same_bits(parts):
    """A word's union is summed one way or the other by how many postings it has; the page
    must not depend on which: each document adds its parts in their order, from 0."""
    docs, weights = [], []
    for part in parts:
        unique = dict(part)  # a posting list holds a document once
        docs.append(np.array(sorted(unique), np.int64))
        weights.append(np.array([unique[d] for d in sorted(unique)]))
    expected = {}
    for part_docs, part_weights in zip(docs, weights):
        for doc, weight in zip(part_docs.tolist(), part_weights.tolist()):
            expected[doc] = expected.get(doc, 0.0) + weight
    for present, (sums,) in both_ways(lambda: sum_by_document(docs, [weights], size=200), scoring, "DENSE_UNION_SHARE"):
        assert present.tolist() == sorted(expected)
        assert sums.tolist() == [expected[doc] for doc in sorted(expected)]  # exactly, not approximately


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 199), max_size=80), st.sets(st.integers(0, 199), max_size=80))
def test_intersections_over_a_dense_array_and_by_lookup_agree(first, second):
    a, b = np.array(sorted(first), np.int64), np.array(sorted(second), np.int64)
    for common, in_a, in_b in both_ways(lambda: sorted_intersection(a, b, 200), scoring, "DENSE_INTERSECTION_SHARE"):
        assert common.tolist() == sorted(first & second)
        assert a[in_a].tolist() == common.tolist() and b[in_b].tolist() == common.tolist()



def test_an_and_scored_at_its_rarest_clause_gives_the_bits_of_scoring_every_clause(corpus_index):
    """A query with a rare word and a common one looks the common one up at the rare one's
    articles (LOOKUP_SHARE); forced always, then never, every multi-word query of the
    relevance sets must match the same articles with the same score bits and bounds."""
    from bench.relevance import load_known_items, load_natural_queries

    snapshot = SearchEngine(corpus_index).snapshot()
    texts = [item["query"] for item in load_known_items() + load_natural_queries() + load_natural_queries(held_out=True)]
    texts = [text for text in texts if len(text.split()) > 1]
    checked = 0
    for text in texts:
        for prefix in (False, True):
            query = snapshot.parser.parse(text, prefix=prefix).build()
            lookups, scans = [], []
            for answers, forced in ((lookups, 0), (scans, 10**9)):
                with pytest.MonkeyPatch.context() as patch:
                    patch.setattr(scoring, "LOOKUP_SHARE", forced)
                    docs, scores, pending = score_segments(snapshot, query)
                answers.extend([docs, scores] + ([pending.base, *(upper for _, upper in pending.bonuses)] if pending else []))
            assert len(lookups) == len(scans), text
            for mine, theirs in zip(lookups, scans):
                assert np.array_equal(mine, theirs), text
            checked += len(lookups[0])
    assert len(texts) > 100 and checked > 1_000
