"""Reading and checking request parameters; every problem names the parameter at fault."""

from __future__ import annotations

import datetime as dt

from webapp.filters import FACET_FILTERS, Filters
from webapp.query import MAX_QUERY_CHARS
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


def int_param(args, name: str, default: int | None, minimum: int, maximum: int) -> int | None:
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


def number_param(args, name: str, minimum: float, maximum: float) -> float | None:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        raise BadParameter(name, f"{name} must be a number, got {raw[:40]!r}") from None
    if not minimum <= value <= maximum:  # also false for NaN
        raise BadParameter(name, f"{name} must be between {minimum:g} and {maximum:g}, got {raw[:40]}")
    return value


def text_param(args, name: str, max_chars: int) -> str:
    value = args.get(name, "")
    if len(value) > max_chars:
        raise BadParameter(name, f"{name} must be at most {max_chars} characters, got {len(value)}")
    return value


def choice_param(args, name: str, choices: tuple[str, ...], default: str) -> str:
    value = (args.get(name) or default).strip().lower()
    if value not in choices:
        raise BadParameter(name, f"{name} must be one of {', '.join(choices)}, got {value[:40]!r}")
    return value


def flag_param(args, name: str) -> bool:
    value = (args.get(name) or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise BadParameter(name, f"{name} must be true or false, got {value[:40]!r}")


def date_param(args, name: str, end_of_day: bool) -> float | None:
    """An ISO date or date-time as seconds since the epoch (UTC); a bare date covers its whole day."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
            if end_of_day:
                moment += dt.timedelta(days=1, microseconds=-1)
        else:
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise BadParameter(name, f"{name} must be an ISO date like 2023-03-01, got {raw[:40]!r}") from None
    return moment.timestamp()


def list_param(args, name: str) -> list[str]:
    values = [v.strip() for v in args.getlist(name) if v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise BadParameter(name, f"{name} may be given at most {MAX_FILTER_VALUES} times, got {len(values)}")
    if any(len(v) > 200 for v in values):
        raise BadParameter(name, f"{name} values must be at most 200 characters")
    return values


def filters_from(args) -> Filters:
    filters = Filters(**{name: list_param(args, name) for name in FACET_FILTERS})
    filters.date_from = date_param(args, "from", end_of_day=False)
    filters.date_to = date_param(args, "to", end_of_day=True)
    if filters.date_from is not None and filters.date_to is not None and filters.date_from > filters.date_to:
        raise BadParameter("from", "from must not be later than to")
    filters.min_quality = int_param(args, "min_quality", None, 0, 1_000_000)
    filters.labels = {name: args[name].strip() for name in ("from", "to") if (args.get(name) or "").strip()}
    return filters


def search_request(args) -> SearchRequest:
    """A SearchRequest from query-string arguments, or BadParameter."""
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
    )
