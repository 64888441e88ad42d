"""Where a file becomes an article: finding article files and parsing their front matter.

An article file opens with a YAML block between two lines that are exactly ``---``; anything
after the closing line is body text. Only safe YAML is loaded. Parsing is lenient where a
reader would be (a number as title, topics as a string, a missing quality) and strict where
the file is plainly not an article, raising :class:`ArticleError` with a one-line reason.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import stat
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import yaml

from indexer.front_matter import FrontMatterLoader

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARS = 20_000  # longest excerpt or body kept; real excerpts are a few hundred
MAX_TOPICS = 50
MAX_RELATED = 50
# Sites put the headline of another of their articles inside an excerpt ("... upon its release.
# NOW READ: Is Diablo 4 crossplay?"). Searched as this article's words, it put a piece on the
# game's classes first for "diablo 4 crossplay". Such a teaser is cut where its end is plain: at
# the headline's own ?, ! or full stop, or at the end of the excerpt when at most
# MAX_TEASER_WORDS follow the marker. A longer run has the article's own text after the
# headline with nothing to mark where it starts, so it is left as it is.
TEASER_MARKER = re.compile(r"\b(?:NOW READ|READ MORE|ALSO READ|READ ALSO|SEE ALSO|RELATED|MORE):\s"
                           r"|(?:^|(?<=[.!?]\s))(?:Related|Read more|Also read|See also):\s")
HEADLINE_END = re.compile(r"[?!]|(?<!\.)\.(?=\s)")  # a full stop, not an ellipsis or a version's dot
MAX_TEASER_WORDS = 12


class ArticleError(ValueError):
    """A file that cannot be read as an article; the message is a one-line reason."""


@dataclass
class Article:
    id: str
    path: str
    title: str
    excerpt: str = ""
    body: str = ""
    topics: list[str] = field(default_factory=list)
    category: str | None = None
    type: str | None = None
    provider_name: str | None = None
    provider_domain: str | None = None
    published: dt.datetime | None = None
    url: str | None = None
    image: str | None = None
    quality: int | None = None
    related: list[dict[str, Any]] = field(default_factory=list)
    unpublished: bool = False  # the file says `published: false` (a draft, a piece taken down)

    def to_json(self) -> dict[str, Any]:
        """The article as JSON values, for serialising (lists are shared, not copied: a deep
        copy through dataclasses.asdict made building an index document much slower)."""
        data = {name: getattr(self, name) for name in ARTICLE_FIELDS}
        data["published"] = iso_datetime(self.published)
        return data


ARTICLE_FIELDS = tuple(f.name for f in fields(Article))


def iso_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") + "Z"  # strftime's %Y writes year 1 as "1", not "0001"


def article_id(relative_path: str) -> str:
    """The id of an article is its path below the seeds folder, without the extension."""
    # os.path.splitext's answer, without its cost on every file of a reindex: for a name
    # without leading dots the extension starts at the last dot
    name_start = relative_path.rfind(os.sep) + 1
    dot = relative_path.rfind(".")
    if dot > name_start and relative_path[name_start] != ".":
        stem = relative_path[:dot]
    else:
        stem = os.path.splitext(relative_path)[0]
    return stem if os.sep == "/" else stem.replace(os.sep, "/")


def is_article_name(name: str) -> bool:
    return name.lower().endswith(ARTICLE_SUFFIXES) and not name.startswith(".")


def iter_article_paths(seeds_dir: Path) -> Iterator[str]:
    """Yield paths (relative to ``seeds_dir``, sorted) of every candidate article file.

    Hidden files and folders are skipped (editors and git keep their state there). Symlinked
    folders are not followed, so a link cannot make the walk loop or leave the folder.
    """
    for relative, _ in walk_articles(os.path.normpath(str(seeds_dir)), "", with_stat=False):
        yield relative


FileStat = tuple[int, int] | OSError | None  # (size, mtime_ns), or what stat raised, or not asked
# Folders below this depth are not walked: each level holds an open folder and a frame of the walk.
MAX_FOLDER_DEPTH = 64


def walk_articles(folder: str, prefix: str, with_stat: bool, parent: int | None = None,
                  depth: int = 0) -> Iterator[tuple[str, FileStat]]:
    """A folder's article files (sorted by name), then its subfolders' (same order as os.walk),
    each with its size and modification time if ``with_stat``. A folder deeper than
    MAX_FOLDER_DEPTH is listed as itself, to be rejected with that reason, not walked.

    Each folder is opened once and its files are stat'ed relative to it: the kernel then
    resolves one name per file instead of the whole path (BENCHMARKS.md)."""
    if depth > MAX_FOLDER_DEPTH:
        yield prefix, None  # the folder itself, its path ending in a separator
        return
    fd = open_folder(folder, parent)
    if fd is None:
        return  # an unreadable folder is skipped, as os.walk does
    try:
        files, subfolders = folder_entries(fd)
        for entry in files:
            yield prefix + entry.name, (entry_stat(entry) if with_stat else None)
        for name in subfolders:
            yield from walk_articles(name, prefix + name + os.sep, with_stat, fd, depth + 1)
    finally:
        os.close(fd)


def open_folder(folder: str, parent: int | None = None) -> int | None:
    """A descriptor of ``folder`` (relative to the folder ``parent`` if given, and then never
    through a link; the seeds folder itself may be one)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | (0 if parent is None else os.O_NOFOLLOW)
    try:
        return os.open(folder, flags, dir_fd=parent)
    except OSError:
        return None


def folder_entries(fd: int) -> tuple[list[os.DirEntry], list[str]]:
    """An open folder's article files and the names of the subfolders to walk, sorted."""
    with os.scandir(fd) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    files, subfolders = [], []
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:  # a link loop or a link to nowhere: a file, rejected when read if named like one
            is_dir = False
        if is_dir:
            if not name.startswith(".") and not entry.is_symlink():
                subfolders.append(name)
        elif is_article_name(name):
            files.append(entry)
    return files, subfolders


def entry_stat(entry: os.DirEntry) -> FileStat:
    try:
        found = entry.stat()  # follows a symlinked file, as os.stat does
    except OSError as exc:
        return exc
    return found.st_size, found.st_mtime_ns


def read_article_bytes(seeds_dir: Path, relative_path: str) -> bytes:
    """Read a file's bytes, refusing anything that is not a regular file inside ``seeds_dir``."""
    return read_article_file(seeds_dir, relative_path)[0]


def printable_path(relative_path: str) -> str:
    """A path as it can be printed: bytes of a name that is not UTF-8 shown as \\xNN."""
    return relative_path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_article_file(seeds_dir: Path, relative_path: str) -> tuple[bytes, os.stat_result]:
    """A file's bytes and the stat of the file they were read from (taken on the open file,
    so a fingerprint made from both describes the bytes indexed)."""
    if printable_path(relative_path) != relative_path:  # its id could not be stored or shown
        raise ArticleError("has a name that is not UTF-8 (rename the file)")
    if relative_path.endswith(os.sep):
        raise ArticleError(f"is a folder more than {MAX_FOLDER_DEPTH} folders deep; it is not walked")
    path, mode = unlinked_path(seeds_dir, relative_path)
    if path is None:  # a link on the way: where does it lead?
        path, mode = resolved_inside(seeds_dir, relative_path)
    if not stat.S_ISREG(mode):
        raise ArticleError("is not a regular file")
    try:
        # What was checked above may be swapped before the open (a pipe, a link to elsewhere):
        # the open neither follows a link nor waits on a pipe, and the open file is what counts.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ArticleError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            found = os.fstat(handle.fileno())
            if not stat.S_ISREG(found.st_mode):
                raise ArticleError("is not a regular file")
            # Sized from the file: asking for the largest allowed size allocates that much per file.
            expected = min(found.st_size, MAX_FILE_BYTES)
            data = handle.read(expected + 1)
            if len(data) > expected:  # grown since the stat: read on, up to the limit
                data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as exc:
        raise ArticleError(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return data, found


def unlinked_path(seeds_dir: Path, relative_path: str) -> tuple[str | None, int]:
    """The file's path and mode if no part of ``relative_path`` is a link or ``..`` (the file
    is then inside the folder whatever the folder itself is), else (None, 0). A stat per part
    below the folder: resolving both paths in full for every file was a quarter of a millisecond."""
    path = str(seeds_dir)
    try:
        for part in relative_path.split(os.sep):
            if part == os.pardir:
                return None, 0
            path = os.path.join(path, part)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                return None, 0
    except OSError as exc:
        raise ArticleError(f"cannot be read: {exc.__class__.__name__}") from None
    return path, mode


def resolved_inside(seeds_dir: Path, relative_path: str) -> tuple[str, int]:
    """Where a path with links leads, and that place's mode, if it is inside the folder."""
    try:
        real = (Path(seeds_dir) / relative_path).resolve(strict=True)
        root = Path(seeds_dir).resolve(strict=True)
        mode = real.stat().st_mode
    except (OSError, RuntimeError) as exc:
        raise ArticleError(f"cannot be read: {exc.__class__.__name__}") from None
    if root not in real.parents:
        raise ArticleError("is a link to a file outside the seeds folder")
    return str(real), mode


def decode_text(data: bytes) -> str:
    if b"\x00" in data:
        raise ArticleError("is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_delimiter(line: str) -> bool:
    # Jekyll tolerates trailing blanks after the dashes; so do we.
    return line.rstrip(" \t") == "---"


def split_front_matter(text: str) -> tuple[str, str]:
    """Split text into (yaml, body). Only a line that is exactly ``---`` closes the block,
    so a run of dashes inside an excerpt does not."""
    lines = text.split("\n")
    if not lines or not is_delimiter(lines[0]):
        raise ArticleError("has no front matter (the first line is not ---)")
    for number in range(1, len(lines)):
        if is_delimiter(lines[number]):
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :])
    raise ArticleError("has unterminated front matter (no closing --- line)")


def load_front_matter(source: str) -> dict[str, Any]:
    try:
        data = yaml.load(source, Loader=FrontMatterLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ArticleError(f"has invalid YAML front matter{where}: {problem}") from None
    except RecursionError:
        raise ArticleError("has YAML front matter nested too deeply") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as exc:
        # PyYAML's constructors raise these for values such as a 13th month.
        raise ArticleError(f"has a YAML value that cannot be read: {exc.__class__.__name__}") from None
    if data is None:
        raise ArticleError("has empty front matter")
    if not isinstance(data, dict):
        raise ArticleError(f"has front matter that is a {type(data).__name__}, not a mapping")
    return data


def as_text(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """A scalar as stripped text; containers and missing values become ''."""
    if value is None or isinstance(value, (dict, list, tuple, set, bytes)):
        return ""
    if isinstance(value, bool):
        return ""
    return str(value).strip()[:limit]


# An entity is decoded only with its closing ';' (as browsers do for text written by people,
# "&copy" in a sentence stays); a few rounds undo feeds that escaped an entity again ("&amp;#39;").
ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Only HTML's own tag names: "Vector<int>" or "x<y and z>w" in a headline are text, not markup.
HTML_TAG_NAMES = ("a|abbr|b|blockquote|br|cite|code|div|em|figcaption|figure|font|h[1-6]|hr|i|iframe|img|"
                  "li|ol|p|picture|pre|q|s|small|source|span|strike|strong|sub|sup|table|tbody|td|th|"
                  "thead|tr|u|ul|video")
TAG = re.compile(rf"</?(?:{HTML_TAG_NAMES})(?:\s[^<>]*)?/?>", re.IGNORECASE)
SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
ENTITY_ROUNDS = 3


def plain(text: str) -> str:
    """Text a person reads: HTML entities decoded, tags removed, no-break spaces as spaces.
    Without this, "we&amp;#39;re" is shown as written and "8217" is indexed as a word."""
    for _ in range(ENTITY_ROUNDS):
        decoded = ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
        if decoded == text:
            break
        text = decoded
    if "<" in text:
        text = TAG.sub(" ", SCRIPT.sub(" ", text))
    return text.replace("\u00a0", " ").strip()


def as_plain_text(value: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """A scalar written for people (a title, an excerpt) as plain text."""
    return re.sub(r"[ \t]{2,}", " ", plain(as_text(value, limit)))[:limit]


def without_teasers(excerpt: str) -> str:
    """The excerpt without other articles' headlines put in it by the site (TEASER_MARKER)."""
    if ":" not in excerpt:
        return excerpt
    markers = list(TEASER_MARKER.finditer(excerpt))
    kept, last = [], 0
    for n, marker in enumerate(markers):
        stop = markers[n + 1].start() if n + 1 < len(markers) else len(excerpt)
        headline = excerpt[marker.end():stop]
        end = HEADLINE_END.search(headline)
        if end:
            cut_to = marker.end() + end.end()
        elif stop == len(excerpt) and len(headline.split()) <= MAX_TEASER_WORDS:
            cut_to = stop
        else:
            continue
        kept.append(excerpt[last:marker.start()])
        last = cut_to
    if not kept:
        return excerpt
    return " ".join(" ".join(kept + [excerpt[last:]]).split())


def as_topics(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return []
    topics: list[str] = []
    for item in value[:MAX_TOPICS]:
        text = as_plain_text(item, 200)
        if text and text not in topics:
            topics.append(text)
    return topics


def as_datetime(value: Any) -> dt.datetime | None:
    """A UTC datetime from YAML's timestamp, a date, or an ISO string; None if unreadable."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    try:
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:  # "9999-12-31T23:59:59-14:00" is past the end of any calendar Python has
        return None
    return moment


def as_quality(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if number != number or number < 0:  # NaN or negative: not a usable quality
        return None
    return int(min(number, 1_000_000))


def web_url(url: str | None) -> str | None:
    """The one link policy of every output: only http(s) URLs leave newsfinder; javascript:,
    data:, vbscript: and the like are dropped, here when a file is read and again at output."""
    if not url:
        return None
    url = url.strip()
    # What urlsplit would call http(s) without a doubt (the common case, checked per hit
    # shown): ASCII, no brackets it could reject, the scheme spelled out at the start.
    if url[:8].lower().startswith(("http://", "https://")) and url.isascii() and "[" not in url and "]" not in url:
        return url
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def as_url(value: Any) -> str | None:
    return web_url(as_text(value, 2000))


def first_url(images: Any) -> str | None:
    if isinstance(images, list):
        for image in images:
            url = as_url(image.get("url") if isinstance(image, dict) else image)
            if url:
                return url
    return None


def as_mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_related(value: Any) -> list[dict[str, Any]]:
    related = []
    if not isinstance(value, list):
        return related
    for item in value[:MAX_RELATED]:
        if not isinstance(item, dict) or not as_text(item.get("title")):
            continue
        provider = as_mapping(item.get("provider"))
        related.append(
            {
                "title": as_plain_text(item.get("title"), 500),
                "excerpt": as_plain_text(item.get("excerpt"), 2000),
                "url": as_url(item.get("webUrl")) or as_url(item.get("originalUrl")),
                "provider": {
                    "name": as_text(provider.get("name"), 200) or None,
                    "domain": as_text(provider.get("domain"), 200) or None,
                },
                "published": iso_datetime(as_datetime(item.get("publishedDateTime"))),
                "quality": as_quality(item.get("quality")),
            }
        )
    return related


def article_from_front_matter(relative_path: str, data: dict[str, Any], body: str) -> Article:
    title = as_plain_text(data.get("title"), 1000)
    if not title:
        raise ArticleError("has no title in its front matter")
    provider = as_mapping(data.get("provider"))
    return Article(
        id=article_id(relative_path),
        path=relative_path.replace(os.sep, "/"),
        title=title,
        excerpt=without_teasers(as_plain_text(data.get("excerpt"))),
        body=plain(body)[:MAX_TEXT_CHARS],
        topics=as_topics(data.get("topics")),
        category=as_text(data.get("category"), 200) or None,
        type=as_text(data.get("type"), 50).lower() or None,
        provider_name=as_text(provider.get("name"), 200) or None,
        provider_domain=as_text(provider.get("domain"), 200).lower() or None,
        published=as_datetime(data.get("publishedDateTime")),
        url=as_url(data.get("webUrl")) or as_url(data.get("originalUrl")),
        image=first_url(data.get("images")),
        quality=as_quality(data.get("quality")),
        related=parse_related(data.get("related")),
        unpublished=is_unpublished(data.get("published")),
    )


def is_unpublished(value: Any) -> bool:
    """Whether the front matter's ``published`` says no (false, "false", "no", 0); absent or
    anything else counts as published."""
    if isinstance(value, str):
        return value.strip().lower() in ("false", "no", "0")
    return value is False or (isinstance(value, int) and not isinstance(value, bool) and value == 0)


def parse_article_text(relative_path: str, text: str) -> Article:
    front, body = split_front_matter(text)
    return article_from_front_matter(relative_path, load_front_matter(front), body)


def parse_article_bytes(relative_path: str, data: bytes) -> Article:
    return parse_article_text(relative_path, decode_text(data))


def parse_article(seeds_dir: Path, relative_path: str) -> Article:
    """Read and parse one article file; raises ArticleError with a one-line reason."""
    return parse_article_bytes(relative_path, read_article_bytes(seeds_dir, relative_path))
