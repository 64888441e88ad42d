"""Export: the index as a bulk load for OpenSearch or Elasticsearch, for a collection that has
outgrown one machine and its replicas (docs/scaling.md).

Each article leaves in the shape /api/articles/<id> gives it (links made safe, ``provider`` as
{name, domain}), plus what newsfinder worked out about it: its ``story`` (the id every report
of one story shares, for a ``collapse``) and its ``outlet`` (the source facet's value, one per
outlet however its name is spelled). ``mapping()`` is the matching index definition; the
query that ranks by relevance and quality and shows one hit per story is in docs/scaling.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from indexer.stories.files import read_stories
from webapp.results import with_safe_links

DEFAULT_INDEX_NAME = "news"

TEXT = {"type": "text", "analyzer": "english"}
STORED_ONLY = {"type": "keyword", "index": False}


def mapping() -> dict[str, Any]:
    """The index definition (settings and mappings) the exported documents are shaped for."""
    return {
        "settings": {"number_of_shards": 1},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "id": {"type": "keyword"},
                "path": STORED_ONLY,
                "title": {**TEXT, "fields": {"exact": {"type": "text", "analyzer": "standard"}}},
                "excerpt": TEXT,
                "body": TEXT,
                "topics": {**TEXT, "fields": {"value": {"type": "keyword"}}},
                "category": {"type": "keyword"},
                "type": {"type": "keyword"},
                "published": {"type": "date", "format": "strict_date_optional_time"},
                "url": STORED_ONLY,
                "image": STORED_ONLY,
                "quality": {"type": "integer"},
                "related": {"type": "object", "enabled": False},
                "unpublished": {"type": "boolean"},
                "provider": {"properties": {"name": {"type": "keyword"}, "domain": {"type": "keyword"}}},
                "outlet": {"type": "keyword"},
                "story": {"type": "keyword"},
            },
        },
    }


def exported_articles(snapshot) -> Iterator[dict[str, Any]]:
    """Every live article of ``snapshot``, in the order of the index."""
    story_of = read_stories(snapshot.build_dir, snapshot.generation)
    outlets = snapshot.facets["provider"]
    for docnum in np.flatnonzero(snapshot.live).tolist():
        article = with_safe_links(snapshot.article(docnum))
        yield {**article, "outlet": outlets.label_of(docnum), "story": story_of.get(article["id"], article["id"])}


def bulk_lines(article: dict[str, Any], index_name: str = DEFAULT_INDEX_NAME) -> str:
    """One article's part of a ``_bulk`` body: its action line and its document line."""
    action = json.dumps({"index": {"_index": index_name, "_id": article["id"]}}, ensure_ascii=False)
    return f"{action}\n{json.dumps(article, ensure_ascii=False)}\n"
