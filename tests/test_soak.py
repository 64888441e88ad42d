"""A short soak (bench/soak.py): clients against the real two-worker server while a full
reindex runs. The minute-long run and its figures are in BENCHMARKS.md."""

from __future__ import annotations

import pytest

from bench.soak import soak


@pytest.mark.server
def test_short_soak_has_no_failed_request(corpus_dir):
    result = soak(corpus_dir, duration=10, clients=3, reindexes=1, workers=2)
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] > 20 and result["full_reindexes"] == 1
    assert len(result["workers_rss_mb"]) == 2
