"""Reading and checking request parameters; every problem names the parameter at fault."""

from __future__ import annotations

from webapp.query import MAX_QUERY_CHARS
from webapp.search import SearchRequest

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 50
MAX_PAGE = 100


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def int_param(args, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadParameter(name, f"{name} must be a whole number, got {raw[:40]!r}") from None
    if not minimum <= value <= maximum:
        raise BadParameter(name, f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def text_param(args, name: str, max_chars: int) -> str:
    value = args.get(name, "")
    if len(value) > max_chars:
        raise BadParameter(name, f"{name} must be at most {max_chars} characters, got {len(value)}")
    return value


def search_request(args) -> SearchRequest:
    """A SearchRequest from query-string arguments, or BadParameter."""
    return SearchRequest(
        q=text_param(args, "q", MAX_QUERY_CHARS),
        page=int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=int_param(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )
