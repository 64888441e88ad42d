"""Which URLs become links in any output: the indexer's one policy (only http and https),
applied again at output for indexes written before it."""

from __future__ import annotations

from indexer.articles import web_url as safe_link

__all__ = ["safe_link"]
