"""`newsfinder export`: a bulk load for OpenSearch/Elasticsearch whose documents are the API's
articles, with their stories and outlets, and fit the mapping it prints."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from urllib.parse import quote

from click.testing import CliRunner

from webapp.cli import main

SCALAR_TYPES = {"keyword": str, "text": str, "integer": int, "boolean": bool, "date": str}


def export(*args) -> tuple[list[dict], list[dict], str]:
    result = CliRunner().invoke(main, ["export", *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return lines[0::2], lines[1::2], result.stderr


def mapping() -> dict:
    result = CliRunner().invoke(main, ["export", "--mapping"], catch_exceptions=False)
    return json.loads(result.stdout)["mappings"]


def fits(value, definition: dict) -> bool:
    """Whether a value could be loaded into a field of this definition (null always can)."""
    if value is None:
        return True
    if "properties" in definition:
        return isinstance(value, dict) and all(key in definition["properties"] and fits(item, definition["properties"][key])
                                               for key, item in value.items())
    if definition.get("type") == "object":
        return isinstance(value, (dict, list))
    if isinstance(value, list):
        return all(fits(item, definition) for item in value)
    if definition["type"] == "date":
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return isinstance(value, SCALAR_TYPES[definition["type"]])


def test_each_article_is_an_action_and_the_apis_article_with_its_story_and_outlet(corpus_index, corpus_client):
    actions, documents, said = export("--index", corpus_index, "--index-name", "archive")
    assert len(documents) == 2286 and f"exported 2286 articles from {corpus_index}" in said
    assert all(action == {"index": {"_index": "archive", "_id": doc["id"]}} for action, doc in zip(actions, documents))
    properties = mapping()["properties"]
    for doc in documents:  # the mapping is strict: a field it does not know would refuse the load
        assert all(name in properties and fits(value, properties[name]) for name, value in doc.items()), doc["id"]
    by_story = defaultdict(set)
    for doc in documents:
        by_story[doc["story"]].add(doc["id"])
    for doc in documents[::50]:  # the round trip: what the API says about the same article
        answer = corpus_client.get(f"/api/articles/{quote(doc['id'])}").get_json()
        assert {k: v for k, v in doc.items() if k not in ("story", "outlet")} == answer["article"]
        assert by_story[doc["story"]] == {doc["id"], *(report["id"] for report in answer["story"])}
        if doc["outlet"]:  # the outlet is the source facet's value that finds the article
            found = corpus_client.get("/api/search", query_string={
                "provider": doc["outlet"], "q": f'"{doc["title"]}"', "collapse": "none", "per_page": 50}).get_json()
            assert doc["id"] in [hit["id"] for hit in found["hits"]], doc["id"]
    assert max(len(ids) for ids in by_story.values()) > 1  # stories do group reports


def test_an_outlet_spelled_several_ways_exports_one_outlet(corpus_index):
    _, documents, _ = export("--index", corpus_index)
    outlets = {doc["outlet"] for doc in documents if doc["provider"]["name"] in ("GameRant on MSN", "Game Rant on MSN")}
    assert outlets == {"Game Rant"}


def test_no_index_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["export", "--index", str(tmp_path / "none")])
    assert result.exit_code == 4 and "no index in" in result.stderr and not result.stdout
