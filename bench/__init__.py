"""Benchmarks and relevance measurements for newsfinder (run with ``python -m bench``)."""
