"""Reading and checking request parameters; every problem names the parameter at fault."""

from __future__ import annotations

import datetime as dt
import re

from webapp.filters import FACET_FILTERS, Filters
from webapp.query import MAX_QUERY_CHARS
from webapp.matching import STRATEGIES
from webapp.ranking import SORTS
from webapp.search import SearchRequest

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 50
MAX_PAGE = 100
MAX_FILTER_VALUES = 20
MAX_FACET_SIZE = 100
MAX_HALF_LIFE_DAYS = 36500


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def refuse_unknown(args, known: frozenset[str]) -> None:
    """BadParameter naming the first parameter that is not one of ``known`` (a misspelt
    ``query=`` would otherwise be ignored, and every article listed)."""
    unknown = sorted(set(args) - known)
    if unknown:
        raise BadParameter(unknown[0], f"unknown parameter {unknown[0]!r}; the parameters are {', '.join(sorted(known))}")


INTEGER = re.compile(r"-?[0-9]+(\.0+)?")  # JSON Schema counts 2.0 as an integer
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})")


def raw_param(args, name: str, allow_empty: bool) -> str | None:
    """The parameter's text, or None when absent. Forms send empty fields; only parameters
    a form can leave empty accept an empty value as absent."""
    raw = args.get(name)
    if raw == "" and allow_empty:
        return None
    return raw


def int_param(args, name: str, default: int | None, minimum: int, maximum: int, allow_empty: bool = False) -> int | None:
    raw = raw_param(args, name, allow_empty)
    if raw is None:
        return default
    if not INTEGER.fullmatch(raw):
        raise BadParameter(name, f"{name} must be a whole number, got {raw[:40]!r}")
    value = int(raw.split(".")[0])
    if not minimum <= value <= maximum:
        raise BadParameter(name, f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def number_param(args, name: str, minimum: float, maximum: float) -> float | None:
    raw = raw_param(args, name, allow_empty=True)
    if raw is None:
        return None
    if not NUMBER.fullmatch(raw):
        raise BadParameter(name, f"{name} must be a number, got {raw[:40]!r}")
    value = float(raw)
    if not minimum <= value <= maximum:
        raise BadParameter(name, f"{name} must be between {minimum:g} and {maximum:g}, got {raw[:40]}")
    return value


def text_param(args, name: str, max_chars: int) -> str:
    value = args.get(name, "")
    if len(value) > max_chars:
        raise BadParameter(name, f"{name} must be at most {max_chars} characters, got {len(value)}")
    return value


def choice_param(args, name: str, choices: tuple[str, ...], default: str) -> str:
    value = raw_param(args, name, allow_empty=True)
    if value is None:
        return default
    if value not in choices:
        raise BadParameter(name, f"{name} must be one of {', '.join(choices)}, got {value[:40]!r}")
    return value


def flag_param(args, name: str) -> bool:
    value = raw_param(args, name, allow_empty=True)
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise BadParameter(name, f"{name} must be true or false, got {value[:40]!r}")


def date_param(args, name: str, end_of_day: bool) -> float | None:
    """An ISO date (a whole day, UTC) or an RFC 3339 date-time, as seconds since the epoch."""
    raw = raw_param(args, name, allow_empty=True)
    if raw is None:
        return None
    try:
        if DATE.fullmatch(raw):
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
            if end_of_day:
                moment += dt.timedelta(days=1, microseconds=-1)
        elif DATE_TIME.fullmatch(raw):
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        else:
            raise ValueError(raw)
    except ValueError:
        raise BadParameter(name, f"{name} must be a date like 2023-03-01 or a date-time like "
                                 f"2023-03-01T12:00:00Z, got {raw[:40]!r}") from None
    return moment.timestamp()


def list_param(args, name: str) -> list[str]:
    given = args.getlist(name)
    if len(given) > MAX_FILTER_VALUES:
        raise BadParameter(name, f"{name} may be given at most {MAX_FILTER_VALUES} times, got {len(given)}")
    if any(len(v) > 200 for v in given):
        raise BadParameter(name, f"{name} values must be at most 200 characters")
    return [v.strip() for v in given if v.strip()]


def filters_from(args) -> Filters:
    filters = Filters(**{name: list_param(args, name) for name in FACET_FILTERS})
    filters.date_from = date_param(args, "from", end_of_day=False)
    filters.date_to = date_param(args, "to", end_of_day=True)
    # A range that ends before it starts is not an error: it simply matches nothing.
    filters.min_quality = int_param(args, "min_quality", None, 0, 1_000_000, allow_empty=True)
    published = choice_param(args, "published", ("true", "false", ""), "")
    filters.published = None if published == "" else published == "true"
    filters.labels = {name: args[name] for name in ("from", "to") if args.get(name)}
    return filters


def search_request(args, prefix: bool = False) -> SearchRequest:
    """A SearchRequest from query-string arguments, or BadParameter. ``prefix``: the default
    of the prefix parameter (the page's, typed as it is read, is on)."""
    return SearchRequest(
        q=text_param(args, "q", MAX_QUERY_CHARS),
        page=int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=int_param(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        sort=choice_param(args, "sort", SORTS, "relevance"),
        collapse=choice_param(args, "collapse", ("story", "none"), "story") == "story",
        half_life=number_param(args, "half_life", 0.01, MAX_HALF_LIFE_DAYS),
        explain=flag_param(args, "explain"),
        facet_size=int_param(args, "facet_size", 10, 1, MAX_FACET_SIZE),
        filters=filters_from(args),
        matching=choice_param(args, "matching", STRATEGIES, "most"),
        prefix=flag_param(args, "prefix") if args.get("prefix") else prefix,
    )
