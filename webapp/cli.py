"""The ``newsfinder`` command: reindex, serve and search. Its --help is its documentation."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from indexer.build import DEFAULT_MAX_LOSS, IndexerError, ReindexLocked, ReindexReport, UnsafeReindex, reindex
from indexer.layout import current_build, stale_reason
from webapp import PROJECT_DIR

DEFAULT_SEEDS = Path(os.environ.get("NEWSFINDER_SEEDS", PROJECT_DIR / "seeds"))
BUNDLED_SEEDS, BUNDLED_INDEX = PROJECT_DIR / "seeds", PROJECT_DIR / "index_data"


def default_index(seeds: Path) -> Path:
    """Where a seeds folder's index lives unless --index says: NEWSFINDER_INDEX, else the
    checkout's index_data for the bundled seeds, else a folder of its own in the user's cache
    (so `serve --seeds ~/news` serves ~/news, never the bundled articles)."""
    if os.environ.get("NEWSFINDER_INDEX"):
        return Path(os.environ["NEWSFINDER_INDEX"])
    folder = Path(seeds).resolve()
    if folder == BUNDLED_SEEDS.resolve():
        return BUNDLED_INDEX
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "newsfinder" / f"{folder.name}-{hashlib.sha1(str(folder).encode()).hexdigest()[:8]}"


def index_of_seeds(ctx, param, value):
    return value if value is not None else default_index(ctx.params.get("seeds", DEFAULT_SEEDS))

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_LOCKED, EXIT_FAILED, EXIT_UNSAFE = 0, 1, 2, 3, 4, 5

seeds_option = click.option(
    "--seeds", "seeds", type=click.Path(path_type=Path), default=DEFAULT_SEEDS, show_default=True,
    help="Folder of article files (searched recursively; env NEWSFINDER_SEEDS).",
)
index_option = click.option(
    "--index", "index", type=click.Path(path_type=Path), default=None, callback=index_of_seeds,
    help="Folder holding the index [default: env NEWSFINDER_INDEX; index_data for the bundled seeds; "
         "for another seeds folder, a folder of its own under ~/.cache/newsfinder].",
)


def fail(message: str, status: int) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(status)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsfinder", prog_name="newsfinder")
def main():
    """newsfinder: full-text search over a folder of news articles with YAML front matter.

    \b
    Examples:
      newsfinder reindex --seeds ~/news          build or update the index
      newsfinder serve --seeds ~/news            serve http://127.0.0.1:8000
      newsfinder search "facial recognition"     search from the terminal
    """


class ProgressLine:
    """Progress on stderr for long runs: a live line on a terminal, a few lines otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 200:
            return
        now = time.monotonic()
        if done != total and now - self.last < (0.2 if self.tty else 2.0):
            return
        self.last = now
        line = f"reading articles: {done}/{total} ({100 * done // total}%)"
        if self.tty:
            click.echo(f"\r{line}", nl=done == total, err=True)
        else:
            click.echo(line, err=True)


def print_summary(report: ReindexReport) -> None:
    if report.rebuilt:
        click.echo(f"rebuilt index ({report.rebuilt})")
    click.echo(
        f"indexed {report.indexed}, updated {report.updated}, removed {report.removed}, "
        f"unchanged {report.unchanged}, rejected {len(report.rejected)}"
        f" — {report.docs} articles searchable ({report.seconds:.2f} s)"
    )
    if report.left_out:
        click.echo(f"left out {report.left_out} unpublished articles (--include-unpublished indexes them)")
    for rejection in report.rejected:
        click.secho(f"rejected {rejection}", fg="yellow", err=True)


@main.command("reindex")
@seeds_option
@index_option
@click.option("--full", is_flag=True, help="Rebuild from scratch (published only when complete and sane).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--strict", is_flag=True, help="Exit with status 1 if any file was rejected.")
@click.option("--force", is_flag=True, help="Publish even if the index loses more than --max-loss of its articles.")
@click.option("--max-loss", default=DEFAULT_MAX_LOSS, show_default=True, type=click.FloatRange(0, 1),
              help="Largest share of articles a reindex may remove without --force.")
@click.option("--watch", is_flag=True, help="Keep running: reindex about half a second after files change.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--skip-unpublished/--include-unpublished", default=None,
              help="Leave out (or index again) articles whose file says `published: false`; the choice "
                   "is kept for later reindexes, and changing it rebuilds the index [default: as last "
                   "time; included for a new index].")
# serve --watch names itself: a watcher whose serve died while it started up would otherwise
# take whatever adopted it for its parent, and never stop.
@click.option("--parent-pid", type=int, default=None, hidden=True)
@click.argument("paths", nargs=-1, type=click.Path())
def reindex_command(seeds, index, full, as_json, strict, force, max_loss, watch, quiet, skip_unpublished, parent_pid,
                    paths):
    """Build the index or bring it up to date with the folder of articles.

    Only files that are new or changed since the last run are read (size and mtime, then a
    content hash); files that are gone are removed; all of it is committed at once. Given
    PATHS (files below the seeds folder that were added, changed or deleted), only those are
    looked at instead of the whole folder, as --watch does after each change. A file
    that is not an article is rejected with a one-line reason and never stops the others.
    Searches keep being answered from the previous index until the new one is complete. If
    the result would be empty for a folder with articles, or hold far fewer articles than
    before, it is not published and the previous index stays in use.

    \b
    Examples:
      newsfinder reindex
      newsfinder reindex --seeds ../shared/corpus --index /tmp/corpus-index
      newsfinder reindex --full --json
      newsfinder reindex --watch
      newsfinder reindex seeds/2024-03-01-new-article.md

    \b
    Exit statuses:
      0  the index is up to date (rejected files, if any, are listed)
      1  --strict was given and some files were rejected
      2  bad command-line usage
      3  another reindex is running on the same index; nothing was changed
      4  the reindex failed (seeds folder missing, index folder unwritable)
      5  the new index looked wrong and was not published (see the message; --force)
    """
    options = {"force": force, "max_loss": max_loss, "skip_unpublished": skip_unpublished}
    if watch:
        from indexer.watch import stop_when_parent_exits, watch_folder

        stop = threading.Event()
        stop_when_parent_exits(stop, parent_pid)
        on_report = (lambda r: click.echo(json.dumps(r.to_json()))) if as_json else print_summary
        on_error = lambda message: click.secho(f"error: {message}", fg="red", err=True)  # noqa: E731
        click.echo(f"watching {seeds} (Ctrl-C to stop)", err=True)
        try:
            watch_folder(seeds, index, on_report, on_error, stop, full=full, **options)
        except KeyboardInterrupt:
            pass
        return
    try:
        report = reindex(seeds, index, full=full, progress=ProgressLine(not quiet and not as_json),
                         only=list(paths) or None, **options)
    except ReindexLocked as exc:
        fail(str(exc), EXIT_LOCKED)
    except UnsafeReindex as exc:
        fail(str(exc), EXIT_UNSAFE)
    except IndexerError as exc:
        fail(str(exc), EXIT_FAILED)
    except OSError as exc:  # a full disk, a folder that turned unreadable: nothing was published
        where = f" ({exc.filename})" if exc.filename else ""
        fail(f"reindex stopped: {exc.strerror or exc}{where}; nothing was published, the index in use "
             f"at {index} is unchanged", EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        print_summary(report)
    sys.exit(EXIT_REJECTED if strict and report.rejected else EXIT_OK)


@main.command("check")
@seeds_option
@click.option("--index", "index", type=click.Path(path_type=Path), default=None,
              help="Check this index's files instead: its table of contents opens and every posting-array "
                   "file matches its checksum.")
def check_command(seeds, index):
    """List the files that are not readable articles, without indexing anything; or, with
    --index, the damaged files of an index (the next reindex repairs them).

    \b
    Examples:
      newsfinder check
      newsfinder check --seeds ~/news
      newsfinder check --index ~/news-index

    \b
    Exit statuses:
      0  every article file can be indexed (with --index: the index is whole)
      1  some files would be rejected, or are damaged (listed as "path: reason")
      4  the seeds folder (or the index) does not exist
    """
    if index is not None:
        check_index(index)
    from indexer.articles import ArticleError, iter_article_paths, parse_article, printable_path

    if not Path(seeds).is_dir():
        fail(f"seeds folder {seeds} does not exist or is not a folder", EXIT_FAILED)
    total = problems = 0
    for relative in iter_article_paths(seeds):
        total += 1
        try:
            parse_article(seeds, relative)
        except ArticleError as exc:
            problems += 1
            click.echo(f"{printable_path(relative)}: {exc}")
    click.echo(f"{total} files checked, {total - problems} articles, {problems} problems", err=True)
    sys.exit(EXIT_REJECTED if problems else EXIT_OK)


def check_index(index: Path) -> None:
    """Print each damaged file of the index and exit (see check_command)."""
    from indexer.layout import open_build
    from indexer.manifest import manifest_problem
    from indexer.postings import damage, postings_path
    from indexer.stories.files import stories_path, stories_problem

    try:
        build, ix = open_build(index)
    except IndexerError as exc:
        fail(str(exc), EXIT_REJECTED if "cannot be read" in str(exc) else EXIT_FAILED)
    problems = []
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            path = postings_path(build, leaf.segment())
            problem = damage(path)
            if problem:
                problems.append(problem)  # names the file
    for problem in (stories_problem(stories_path(build, ix.latest_generation())), manifest_problem(build, full=True)):
        if problem:
            problems.append(problem)
    for line in problems:
        click.echo(line)
    click.echo(f"{build}: {'damaged, run `newsfinder reindex` to repair it' if problems else 'whole'}", err=True)
    sys.exit(EXIT_REJECTED if problems else EXIT_OK)


def refuse_port_in_use(host: str, port: int) -> None:
    """One clear line, before anything starts, when another program listens on the port
    (gunicorn would retry for seconds and print a traceback per try)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port} ({exc.strerror}): is another server running there? "
                 f"Choose another port with --port (make serve PORT=8001)", EXIT_FAILED)


def ensure_index(seeds: Path, index: Path) -> None:
    """Build the index before serving if there is none or it was written by another version."""
    build = current_build(index)
    reason = "no index yet" if build is None else stale_reason(build)
    if reason is None:
        return
    click.echo(f"building the index in {index} from {seeds} ({reason})", err=True)
    try:
        print_summary(reindex(seeds, index, progress=ProgressLine(True)))
    except ReindexLocked as exc:
        fail(str(exc), EXIT_LOCKED)
    except (IndexerError, OSError) as exc:
        fail(str(exc), EXIT_FAILED)


def start_watcher(seeds: Path, index: Path) -> subprocess.Popen:
    """`reindex --watch` as a child process; it stops when this process goes away."""
    command = [sys.executable, "-m", "webapp.cli", "reindex", "--watch", "--quiet", "--seeds", str(seeds), "--index", str(index),
               "--parent-pid", str(os.getpid())]
    child = subprocess.Popen(command)
    atexit.register(child.terminate)
    return child


@main.command("serve")
@seeds_option
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Worker processes [default: one per core].")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds a worker may spend on one request (reading it included) before it is restarted; the "
                   "client gets a JSON 500.")
@click.option("--log-queries", is_flag=True, help="Include query strings in the request log (off: they are what readers searched).")
@click.option("--watch", is_flag=True, help="Follow the seeds folder: changed files are searchable within about a second.")
@click.option("--show-images", is_flag=True,
              help="Show article images (loaded from their sites, without a referrer). Off: the page loads nothing from elsewhere.")
@click.option("--public-url", default=None, metavar="URL",
              help="The address readers reach the server at, for links in feeds and OpenSearch "
                   "[default: http://HOST:PORT; also NEWSFINDER_PUBLIC_URL]. A request's Host header is never used.")
def serve_command(seeds, index, host, port, workers, timeout, log_queries, watch, show_images, public_url):
    """Serve the search page and JSON API with gunicorn (one worker per core).

    The index is built first if there is none. Open http://HOST:PORT/ in a browser, or
    ask http://HOST:PORT/api/search?q=... for JSON.

    \b
    Examples:
      newsfinder serve
      newsfinder serve --seeds ~/news --index ~/news-index --port 8080
      newsfinder serve --watch
    """
    from webapp.server import default_workers, serve

    refuse_port_in_use(host, port)
    ensure_index(seeds, index)
    if watch:
        start_watcher(seeds, index)
    click.echo(f"serving {index} at http://{host}:{port}/", err=True)
    config = {"INDEX_DIR": str(index), "LOG_QUERIES": log_queries, "SHOW_IMAGES": show_images,
              "PUBLIC_URL": public_url or os.environ.get("NEWSFINDER_PUBLIC_URL") or f"http://{host}:{port}"}
    serve(config, host, port, workers or default_workers(), timeout)


@main.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True)
@seeds_option
@index_option
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 100))
@click.option("--per-page", default=10, show_default=True, type=click.IntRange(1, 50))
@click.option("--matching", type=click.Choice(["all", "most", "any"]), default="most", show_default=True,
              help="How many words an article needs: most fills the page with articles that have fewer words "
                   "after those with all of them.")
@click.option("--topic", multiple=True, help="Only this topic (repeat for alternatives), as the page's filters.")
@click.option("--provider", multiple=True, help="Only this outlet (repeat for alternatives).")
@click.option("--type", "kind", multiple=True, help="Only this type, such as article or video (repeat for alternatives).")
@click.option("--from", "date_from", default=None, metavar="DATE", help="Published on or after this day (2023-03-01).")
@click.option("--to", "date_to", default=None, metavar="DATE", help="Published on or before this day.")
@click.option("--min-quality", type=int, default=None, help="Rated at least this (the feed's quality score).")
@click.option("--published", type=click.Choice(["true", "false"]), default=None,
              help="true: leave out articles whose file says `published: false`; false: only those.")
@click.option("--sort", type=click.Choice(["relevance", "date", "quality"]), default="relevance", show_default=True,
              help="Best match, newest first, or highest rated first.")
@click.option("--collapse", type=click.Choice(["story", "none"]), default="story", show_default=True,
              help="One hit per story, or every article.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON response.")
def search_command(query, seeds, index, page, per_page, matching, topic, provider, kind, date_from, date_to,
                   min_quality, published, sort, collapse, as_json):
    """Search the index from the terminal: each hit's rank, title, outlet, date and score, and
    below it its address and id. The query's words may follow one another without quotes, and
    an excluded word is a word too (`newsfinder search diablo -leak`).

    \b
    Examples:
      newsfinder search "facial recognition ban"
      newsfinder search diablo beta -leak
      newsfinder search "diablo beta" --per-page 5 --json
      newsfinder search necromancer --topic "Diablo 4" --from 2023-03-01 --sort date
    """
    from werkzeug.datastructures import MultiDict

    from webapp.engine import SearchEngine
    from webapp.params import BadParameter, search_request

    query = " ".join(query)
    given = [("q", query), ("page", page), ("per_page", per_page), ("matching", matching), ("sort", sort),
             ("collapse", collapse), *(("topic", t) for t in topic), *(("provider", p) for p in provider),
             *(("type", k) for k in kind), ("from", date_from), ("to", date_to), ("min_quality", min_quality),
             ("published", published)]
    try:
        request = search_request(MultiDict([(name, str(value)) for name, value in given if value is not None]))
    except BadParameter as exc:  # the page's own checks, named as the option
        fail(f"--{exc.name.replace('_', '-')}: {exc.message}", EXIT_USAGE)
    try:
        response = SearchEngine(index).search(request)
    except IndexerError as exc:
        fail(str(exc), EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(response, indent=2, ensure_ascii=False))
        return
    print_results(response, query, page, per_page, index)


@main.command("export")
@seeds_option
@index_option
@click.option("--output", "-o", type=click.File("w", encoding="utf-8", lazy=True), default="-",
              help="Write here instead of standard output.")
@click.option("--index-name", default="news", show_default=True, help="The OpenSearch/Elasticsearch index to load into.")
@click.option("--mapping", "only_mapping", is_flag=True, help="Print the index definition (settings and mappings) instead.")
def export_command(seeds, index, output, index_name, only_mapping):
    """Write the index as an OpenSearch/Elasticsearch bulk load (JSON lines: an action, then the
    article as the API gives it with its story id and outlet), for a collection that outgrows
    one machine. The query that ranks and collapses like newsfinder is in docs/scaling.md.

    \b
    Examples:
      newsfinder export --mapping > mapping.json
      curl -XPUT localhost:9200/news -H 'Content-Type: application/json' -d @mapping.json
      newsfinder export --seeds ~/news -o news.ndjson
      curl -XPOST localhost:9200/_bulk -H 'Content-Type: application/x-ndjson' --data-binary @news.ndjson
    """
    from webapp.engine import SearchEngine
    from webapp.export import bulk_lines, exported_articles, mapping

    if only_mapping:
        output.write(json.dumps(mapping(), indent=2) + "\n")
        return
    try:
        snapshot = SearchEngine(index).snapshot()
    except IndexerError as exc:
        fail(str(exc), EXIT_FAILED)
    count = 0
    for count, article in enumerate(exported_articles(snapshot), 1):
        output.write(bulk_lines(article, index_name))
    click.echo(f"exported {count} articles from {index}", err=True)


def print_results(response: dict, query: str, page: int, per_page: int, index: Path) -> None:
    """A table: rank, title, source, date, score, and under each hit its address (or id).
    Colours on a terminal; click drops them when the output is piped."""
    width = max(60, shutil.get_terminal_size((100, 20)).columns)
    title_width = width - 48
    unit = "stories" if response["collapse"] == "story" else "articles"
    every = f", {response['total_all_words']} with every word" if response["total_all_words"] < response["total"] else ""
    click.echo(click.style(f"{response['total']} {unit} for {query!r}", bold=True)
               + f" in {index} ({response['took_ms']} ms{every})")
    if response["suggestion"]:
        click.echo("did you mean: " + click.style(response["suggestion"], fg="yellow"))
    wanted = [w["text"] for w in response["words"] if w["status"] in ("matched", "dropped")]
    divided = False
    for rank, hit in enumerate(response["hits"], (page - 1) * per_page + 1):
        if not divided and len(hit.get("matched_words", wanted)) < len(wanted):
            click.echo(click.style("also matching some of your words:", dim=True))
            divided = True
        title = hit["title"] if len(hit["title"]) <= title_width else hit["title"][: title_width - 1] + "…"
        provider = (hit["provider"]["name"] or "")[:20]
        date = (hit["published"] or "")[:10]
        click.echo(f"{rank:>3}  " + click.style(f"{title:<{title_width}}", fg="cyan")
                   + f"  {provider:<20}  {date:<10}  " + click.style(f"{hit['score']:6.2f}", dim=True))
        click.echo("     " + click.style(f"{hit['url'] or ''}  [{hit['id']}]".strip(), dim=True))


if __name__ == "__main__":
    main()
