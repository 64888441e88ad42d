"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json.

Limits come from the modules that enforce them, so the document cannot drift from the code;
tests validate real responses against it (schemathesis) and the page's own requests use it.
"""

from __future__ import annotations

from webapp.matching import STRATEGIES
from webapp.params import MAX_FACET_SIZE, MAX_FILTER_VALUES, MAX_HALF_LIFE_DAYS, MAX_PAGE, MAX_PER_PAGE
from webapp.query import MAX_QUERY_CHARS
from webapp.ranking import SORTS
from webapp.suggest import MAX_SUGGESTIONS

NULLABLE_STRING = {"type": ["string", "null"]}
# Forms send fields left blank as empty values; those parameters take "" as "not given".
EMPTY = {"type": "string", "maxLength": 0}
DATE_OR_EMPTY = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}, EMPTY]}


def query_param(name: str, schema: dict, description: str, **extra) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


SUGGEST_PARAMETERS = [
    query_param("q", {"type": "string", "maxLength": 200}, "What has been typed."),
    query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS, "default": 8},
                "Completions and titles to return."),
    query_param("format", {"type": "string", "enum": ["newsfinder", "opensearch", ""], "default": "newsfinder"},
                "opensearch answers [query, [completions]] for browsers."),
]


def parameter_names(parameters: list[dict]) -> frozenset[str]:
    return frozenset(p["name"] for p in parameters)


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def json_response(description: str, ref: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


SEARCH_PARAMETERS = [
    query_param("q", {"type": "string", "maxLength": MAX_QUERY_CHARS}, "Query text; empty lists articles newest first."),
    query_param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Result page."),
    query_param("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 10}, "Hits per page."),
    query_param("sort", {"type": "string", "enum": [*SORTS, ""], "default": "relevance"}, "Order of hits."),
    query_param("half_life", {"anyOf": [{"type": "number", "minimum": 0.01, "maximum": MAX_HALF_LIFE_DAYS}, EMPTY]},
                "Recency half-life in days for relevance ranking; empty means off."),
    query_param("collapse", {"type": "string", "enum": ["story", "none", ""], "default": "story"},
                "One hit per story, or every article."),
    *[query_param(name, {"type": "array", "maxItems": MAX_FILTER_VALUES, "items": {"type": "string", "maxLength": 200}},
                  f"Keep articles with this {name} (case-insensitive); repeat for alternatives.",
                  style="form", explode=True) for name in ("topic", "provider", "type")],
    query_param("from", DATE_OR_EMPTY, "Published on or after this day (UTC) or moment; empty means no limit."),
    query_param("to", DATE_OR_EMPTY, "Published on or before this day (UTC) or moment; empty means no limit."),
    query_param("min_quality", {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 1_000_000}, EMPTY]},
                "Minimum quality; empty means none."),
    query_param("published", {"type": "string", "enum": ["true", "false", ""], "default": ""},
                "true: leave out articles whose file says `published: false`; false: only those; empty: all."),
    query_param("facet_size", {"type": "integer", "minimum": 1, "maximum": MAX_FACET_SIZE, "default": 10},
                "Values per facet."),
    query_param("explain", {"anyOf": [{"type": "boolean"}, EMPTY], "default": False},
                "Break each hit's score into its factors."),
    query_param("matching", {"type": "string", "enum": [*STRATEGIES, ""], "default": "most"},
                "How many query words an article needs. most: articles with every word first, then those "
                "with fewer (a tier never outranks one with more words), so a page is never short while "
                "articles have some of the words; all: every word (when no article has them all, the most "
                "telling words any has); any: any word, by score alone."),
    query_param("prefix", {"anyOf": [{"type": "boolean"}, EMPTY], "default": False},
                "Read the last word, unless the query ends with a space, as still being typed: it also "
                "matches the words it starts, ranked below the word itself. The search page turns it on."),
]

PROVIDER = {"type": "object", "required": ["name", "domain"],  # one shape in every answer
            "properties": {"name": NULLABLE_STRING, "domain": NULLABLE_STRING}}

REPORT = {
    "type": "object",
    "required": ["id", "title", "url", "provider", "published"],
    "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "url": NULLABLE_STRING,
                   "provider": PROVIDER, "published": NULLABLE_STRING},
}

STORY_ENTRY = {  # one story where a list shows one entry per story: its leading report
    "type": "object",
    "required": [*REPORT["required"], "more"],
    "properties": {**REPORT["properties"],
                   "more": {"type": "integer", "minimum": 0,
                            "description": "How many other reports of this story the list also matched."}},
}

HIT = {
    "type": "object",
    "required": ["id", "title", "excerpt", "snippet", "url", "provider", "topics", "published", "quality", "unpublished", "type",
                 "score", "highlights"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "excerpt": {"type": "string"},
        "snippet": {"type": "string"},
        "url": NULLABLE_STRING,
        "provider": PROVIDER,
        "topics": {"type": "array", "items": {"type": "string"}},
        "published": NULLABLE_STRING,
        "quality": {"type": ["integer", "null"]},
        "unpublished": {"type": "boolean", "description": "The article's file says `published: false`."},
        "type": NULLABLE_STRING,
        "image": NULLABLE_STRING,
        "score": {"type": "number"},
        "highlights": {"type": "object", "required": ["title", "excerpt"],
                       "properties": {"title": {"type": "string"}, "excerpt": {"type": "string"}}},
        "story": {"type": "object", "required": ["more", "reports"],
                  "properties": {"more": {"type": "integer", "minimum": 0},
                                 "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}}},
        "matched_words": {"type": "array", "items": {"type": "string"},
                          "description": "The query words this hit matched, when a strategy lets hits lack some."},
        "explain": {"type": "object", "required": ["text", "quality_factor", "recency_factor", "story_factor", "score"],
                    "properties": {k: {"type": "number"} for k in ("text", "quality_factor", "recency_factor",
                                                                    "story_factor", "score")}},
    },
}

SEARCH_RESPONSE = {
    "type": "object",
    "required": ["query", "total", "total_all_words", "total_is_estimate", "total_articles", "page", "per_page", "total_pages", "took_ms",
                 "matching", "matching_strategy", "prefix", "words", "suggestion", "sort", "collapse", "filters", "facets", "hits"],
    "properties": {
        "query": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "total_all_words": {"type": "integer", "minimum": 0,
                            "description": "How many of the total (stories or articles) match every word."},
        "total_is_estimate": {"type": "boolean"},
        "total_articles": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "total_pages": {"type": "integer", "minimum": 1},
        "took_ms": {"type": "number"},
        "cached": {"type": "boolean"},
        "matching": {"type": "string", "enum": ["all", "partial", "none"],
                     "description": "all: some article has every word; partial: none has; none: no words."},
        "matching_strategy": {"type": "string", "enum": list(STRATEGIES)},
        "prefix": {"type": "boolean"},
        "truncated": {"type": "boolean"},
        "words": {"type": "array", "items": {
            "type": "object", "required": ["text", "status"],
            "properties": {"text": {"type": "string"},
                           "status": {"type": "string", "enum": ["matched", "dropped", "ignored", "excluded"]},
                           "corrected_to": {"type": "string"}, "expansions_capped": {"type": "boolean"},
                           "prefix": {"type": "boolean"}, "also_matched": {"type": "string"}}}},
        "suggestion": NULLABLE_STRING,
        "sort": {"type": "string", "enum": list(SORTS)},
        "collapse": {"type": "string", "enum": ["story", "none"]},
        "half_life": {"type": ["number", "null"]},
        "filters": {"type": "object"},
        "facets": {"type": "object", "required": ["topic", "provider", "type", "year"],
                   "properties": {name: {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}
                                  for name in ("topic", "provider", "type", "year")}},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
    },
}

ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                            "parameter": {"type": "string"}}}},
}


def openapi_document() -> dict:
    common_errors = {"405": error_response("Only GET and HEAD are allowed."),
                     "503": error_response("The index is missing or was written by another version.")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "newsfinder", "version": "1", "description": "Full-text search over a folder of news articles."},
        "paths": {
            "/api/search": {"get": {
                "operationId": "search", "summary": "Search articles",
                "parameters": SEARCH_PARAMETERS,
                "responses": {"200": json_response("Ranked hits with facets.", "SearchResponse"),
                              "400": error_response("A parameter is malformed or out of range."), **common_errors},
            }},
            "/api/suggest": {"get": {
                "operationId": "suggest", "summary": "Completions for search-as-you-type",
                "parameters": SUGGEST_PARAMETERS,
                "responses": {"200": {"description": "Completions and titles (or the OpenSearch pair).", "content": {
                                  "application/json": {"schema": {"$ref": "#/components/schemas/Suggestions"}},
                                  "application/x-suggestions+json": {"schema": {
                                      "type": "array", "minItems": 2, "maxItems": 2,
                                      "items": {"anyOf": [{"type": "string"},
                                                          {"type": "array", "items": {"type": "string"}}]}}}}},
                              "400": error_response("A parameter is malformed or out of range."), **common_errors},
            }},
            "/api/articles/{id}": {"get": {
                "operationId": "article", "summary": "One article with its coverage",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
                                "description": "Article id: its path below the seeds folder without extension."}],
                "responses": {"200": json_response("The article, its story and similar articles.", "ArticleDetails"),
                              "404": error_response("No article has this id."), **common_errors},
            }},
            "/api/health": {"get": {
                "operationId": "health", "summary": "Service and index status",
                "responses": {"200": json_response("The service answers from an index.", "Health"), **common_errors},
            }},
            "/api/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "405": common_errors["405"]},
            }},
        },
        "components": {"schemas": {
            "SearchResponse": SEARCH_RESPONSE,
            "Hit": HIT,
            "Report": REPORT,
            "StoryEntry": STORY_ENTRY,
            "Error": ERROR,
            "Suggestions": {
                "type": "object", "required": ["query", "completions", "titles"],
                "properties": {"query": {"type": "string"},
                               "completions": {"type": "array", "items": {
                                   "type": "object", "required": ["text", "word", "count"],
                                   "properties": {"text": {"type": "string"}, "word": {"type": "string"},
                                                  "count": {"type": "integer"}}}},
                               "titles": {"type": "array", "items": {"$ref": "#/components/schemas/StoryEntry"}}},
            },
            "ArticleDetails": {
                "type": "object", "required": ["article", "story", "more_like_this"],
                "properties": {"article": {"type": "object", "required": ["id", "title", "provider"],
                                           "properties": {"provider": PROVIDER},
                                           "not": {"anyOf": [{"required": ["secured"]}, {"required": ["provider_name"]}]}},
                               "story": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}},
                               "more_like_this": {"type": "array", "items": {"$ref": "#/components/schemas/StoryEntry"}}},
            },
            "Health": {
                "type": "object", "required": ["status", "docs", "generation", "last_reindex"],
                "properties": {"status": {"const": "ok"}, "docs": {"type": "integer", "minimum": 0},
                               "generation": {"type": ["integer", "null"]}, "last_reindex": NULLABLE_STRING},
            },
        }},
    }
