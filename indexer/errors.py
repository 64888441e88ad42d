"""The errors that stop a reindex or a search as a whole."""

from __future__ import annotations


class IndexerError(RuntimeError):
    """A problem that stops a reindex or a search as a whole (missing folder, no index)."""


class DamagedIndex(IndexerError):
    """A file of the index in use no longer matches the checksum it was written with."""


class ReindexLocked(IndexerError):
    """Another reindex holds the index folder's lock."""
