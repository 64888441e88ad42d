"""The catalogue of malformed and hostile files: each is indexed leniently or rejected with a
one-line reason naming the file; none crashes, hangs, runs anything, reads outside the seeds
folder or costs another article its place in the index."""

from __future__ import annotations

import os
import threading

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.articles import ArticleError, parse_article
from indexer.build import reindex
from tests.conftest import article_fields, write_article
from webapp.cli import main
from webapp.engine import SearchEngine
from webapp.search import SearchRequest

BILLION_LAUGHS = "---\ntitle: lol\n" + "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
) + "\ntopics: *a9\n---\n"

HOSTILE = {
    "empty.md": ("", "reject", "has no front matter"),
    "binary.md": (b"\x00\x01\x02\xff" * 100, "reject", "binary file"),
    "latin1.md": ("---\ntitle: café\n---\n".encode("latin-1"), "reject", "not UTF-8"),
    "no-front-matter.md": ("Just some text.\n", "reject", "has no front matter"),
    "unterminated.md": ("---\ntitle: Never closed\nexcerpt: x\n", "reject", "unterminated front matter"),
    "yaml-error.md": ("---\ntitle: [oops\n---\n", "reject", "invalid YAML front matter"),
    "yaml-tab.md": ("---\ntitle:\n\t- bad indent\n---\n", "reject", "invalid YAML"),
    "list.md": ("---\n- one\n- two\n---\n", "reject", "a list, not a mapping"),
    "scalar.md": ("---\n42\n---\n", "reject", "a int, not a mapping"),
    "python-tag.md": ("---\ntitle: !!python/object/apply:os.system ['touch PWNED']\n---\n", "reject", "invalid YAML"),
    "python-name.md": ("---\ntitle: !!python/name:os.system\n---\n", "reject", "invalid YAML"),
    "billion-laughs.md": (BILLION_LAUGHS, "index", None),
    "deep.md": ("---\ntitle: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n", "reject-or-index", None),
    "bad-date.md": ("---\ntitle: Bad date\npublishedDateTime: 2021-13-45T10:00:00Z\n---\n", "reject-or-index", None),
    "huge-excerpt.md": ("---\ntitle: Huge\nexcerpt: \"" + "word " * 500_000 + "\"\n---\n", "reject", "larger than"),
    "long-excerpt.md": ("---\ntitle: Long but fine\nexcerpt: \"" + "word " * 30_000 + "\"\n---\n", "index", None),
    "wrong-types.md": ("---\ntitle: [a, b]\nexcerpt: 3\n---\n", "reject", "has no title"),
    "odd-types.md": ("---\ntitle: 2024\nexcerpt: {a: 1}\ntopics: 7\nquality: high\nprovider: IGN\n"
                     "images: nope\nrelated: {x: 1}\npublishedDateTime: [1]\n---\n", "index", None),
    "null-everything.md": ("---\ntitle: Nulls\nexcerpt: null\ntopics: null\nquality: null\nprovider: null\n---\n",
                           "index", None),
    "crlf-bom.md": ("\ufeff---\r\ntitle: Windows file\r\n---\r\n".encode("utf-8"), "index", None),
}


def write_hostile(folder, name, content):
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_is_handled(tmp_path, name):
    content, outcome, reason = HOSTILE[name]
    write_hostile(tmp_path, name, content)
    try:
        article = parse_article(tmp_path, name)
    except ArticleError as exc:
        assert outcome in ("reject", "reject-or-index"), f"{name} was rejected: {exc}"
        assert "\n" not in str(exc) and len(str(exc)) < 200
        if reason:
            assert reason in str(exc)
    else:
        assert outcome in ("index", "reject-or-index"), f"{name} was indexed"
        assert article.title
    assert not (tmp_path / "PWNED").exists() and not os.path.exists("PWNED")


def test_a_folder_of_hostile_files_loses_no_good_article(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, (content, _, _) in HOSTILE.items():
        write_hostile(seeds, name, content)
    for number in range(5):
        write_article(seeds, f"good-{number}.md", **article_fields(f"Good article number {number}", "Fine text."))
    (seeds / "folder.md").mkdir()  # a directory named like an article
    (seeds / "folder.md" / "inside.md").write_text("---\ntitle: Inside a folder named like an article\n---\n")
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret outside the seeds folder\n---\n")
    (seeds / "link-out.md").symlink_to(outside)
    (seeds / "link-dir").symlink_to(tmp_path, target_is_directory=True)
    (seeds / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(seeds / "fifo.md")  # reading it would block forever

    report = reindex(seeds, tmp_path / "index")

    rejected = {r.path: r.reason for r in report.rejected}
    assert "link-out.md" in rejected and "outside the seeds folder" in rejected["link-out.md"]
    assert "fifo.md" in rejected and "dangling.md" in rejected
    engine = SearchEngine(tmp_path / "index")
    found = {hit["id"] for hit in engine.search(SearchRequest(q="good article", per_page=50, collapse=False, matching="all"))["hits"]}
    assert found == {f"good-{n}" for n in range(5)}
    assert engine.search(SearchRequest(q="secret"))["total"] == 0
    assert engine.search(SearchRequest(q="inside folder named"))["total"] == 1
    expected_rejections = {n for n, (_, outcome, _) in HOSTILE.items() if outcome == "reject"}
    assert expected_rejections <= set(rejected)


def test_a_named_file_through_a_linked_folder_is_refused_when_it_leads_outside(tmp_path):
    """A path named to reindex (as watch mode does) is not walked: a linked folder on its way
    must still not lead outside the seeds folder; a link that stays inside is followed."""
    seeds = tmp_path / "seeds"
    write_article(seeds, "inside/real.md", **article_fields("Real article inside"))
    write_article(tmp_path / "elsewhere", "secret.md", **article_fields("Secret outside the seeds folder"))
    (seeds / "link-dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (seeds / "alias").symlink_to(seeds / "inside", target_is_directory=True)
    reindex(seeds, tmp_path / "index")
    report = reindex(seeds, tmp_path / "index", only=[str(seeds / "link-dir" / "secret.md"), str(seeds / "alias" / "real.md")])
    assert [(r.path, r.reason) for r in report.rejected] == [
        (os.path.join("link-dir", "secret.md"), "is a link to a file outside the seeds folder")]
    assert report.indexed == 1
    engine = SearchEngine(tmp_path / "index")
    assert engine.search(SearchRequest(q="secret"))["total"] == 0
    assert engine.search(SearchRequest(q="real article inside", collapse=False))["total"] == 2


def test_a_file_removed_while_the_folder_is_read_is_not_a_crash(tmp_path):
    seeds = tmp_path / "seeds"
    for number in range(300):
        write_article(seeds, f"a{number:03}.md", **article_fields(f"Article {number}"))
    stop = threading.Event()

    def delete_files():
        for number in range(299, 0, -1):
            if stop.is_set():
                return
            (seeds / f"a{number:03}.md").unlink(missing_ok=True)

    remover = threading.Thread(target=delete_files)
    remover.start()
    try:
        report = reindex(seeds, tmp_path / "index", force=True)
    finally:
        stop.set()
        remover.join()
    assert report.docs >= 1
    assert all("cannot be read" in r.reason or "not a regular file" in r.reason for r in report.rejected)
    # The next reindex catches up with what is left.
    assert reindex(seeds, tmp_path / "index", force=True).docs == len(list(seeds.glob("*.md")))


def test_check_lists_problems_without_indexing(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_article(seeds, "good.md", **article_fields("Good"))
    write_hostile(seeds, "list.md", HOSTILE["list.md"][0])
    write_hostile(seeds, "empty.md", "")
    result = CliRunner().invoke(main, ["check", "--seeds", str(seeds)])
    assert result.exit_code == 1
    assert "list.md: has front matter that is a list, not a mapping" in result.output
    assert "empty.md: has no front matter" in result.output
    assert "3 files checked, 1 articles, 2 problems" in result.output
    assert not (tmp_path / "index").exists() and not any(seeds.glob("**/*.toc"))
    assert CliRunner().invoke(main, ["check", "--seeds", str(tmp_path / "none")]).exit_code == 4


def nested_folder(seeds, levels: int) -> None:
    """``levels`` folders one in another, an article at the bottom (made relative to the last
    folder: the full path would pass the kernel's limit on path length)."""
    fd = os.open(seeds, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("deep.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write("---\ntitle: Deep down\n---\n")
    finally:
        os.close(fd)


def remove_nested(seeds) -> None:
    """Remove what nested_folder made, bottom up (a recursive removal would pass Python's
    recursion limit, as pytest's own clean-up of old temporary folders does)."""
    fds = [os.open(seeds, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    for parent in reversed(fds):
        for name in os.listdir(parent):
            (os.rmdir if name == "d" else os.unlink)(name, dir_fd=parent)
        os.close(parent)


def date_article(seeds, name: str, when: str, related: bool = False) -> None:
    field = f"related:\n  - title: Related piece\n    publishedDateTime: {when}\n" if related else f"publishedDateTime: {when}\n"
    (seeds / name).write_text(f"---\ntitle: Dated {name}\n{field}---\n", encoding="utf-8")


# Each of these stopped every reindex (a traceback, nothing indexed, later runs failing too).
STOPPERS = {
    "a date past the calendar's end once in UTC": lambda s: date_article(s, "end.md", "9999-12-31T23:59:59-14:00"),
    "a date before the calendar's start once in UTC": lambda s: date_article(s, "start.md", "0001-01-01T00:00:00+14:00"),
    "such a date in related coverage": lambda s: date_article(s, "rel.md", "0001-01-01T00:00:00+14:00", related=True),
    "a date in year 1": lambda s: date_article(s, "year1.md", "0001-06-01T00:00:00Z"),
    "a file name that is not UTF-8": lambda s: (s / "caf\udce9.md").write_bytes(b"---\ntitle: Latin-1 name\n---\n"),
    "a symlink loop": lambda s: (os.symlink("loop-b.md", s / "loop-a.md"), os.symlink("loop-a.md", s / "loop-b.md"),
                                 os.symlink("loop-c", s / "loop-c")),
    "folders a thousand deep": lambda s: nested_folder(s, 1100),
}


@pytest.mark.parametrize("shape", sorted(STOPPERS))
def test_a_file_that_stopped_every_reindex_is_one_line_and_the_rest_is_indexed(tmp_path, shape):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_article(seeds, "good.md", **article_fields("Good article", "Fine text."))
    STOPPERS[shape](seeds)
    for _ in range(2):  # and the next run too
        report = reindex(seeds, tmp_path / "index")
        assert all("\n" not in str(r) and len(str(r)) < 400 for r in report.rejected)
        assert "good" in {hit["id"] for hit in SearchEngine(tmp_path / "index").search(
            SearchRequest(q="good article", collapse=False))["hits"]}
    result = CliRunner().invoke(main, ["check", "--seeds", str(seeds)])
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    engine = SearchEngine(tmp_path / "index")
    assert engine.search(SearchRequest(q="", sort="date"))["total"] >= 1
    if "date" in shape:  # read leniently: the article is indexed, its impossible date left out
        assert engine.search(SearchRequest(q="dated", collapse=False))["total"] == 1
    if "deep" in shape:
        remove_nested(seeds)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b
                                                                 and b not in (b".", b"..")), max_size=3),
       dates=st.lists(st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
                                st.text(max_size=30)), max_size=3),
       front=st.dictionaries(st.sampled_from(["title", "excerpt", "topics", "quality", "provider", "related",
                                              "images", "webUrl", "type"]),
                             st.one_of(st.text(max_size=20), st.integers(), st.none(), st.lists(st.text(max_size=5))),
                             max_size=5))
def test_a_reindex_never_aborts_whatever_the_files_hold(tmp_path_factory, names, dates, front):
    import yaml

    seeds = tmp_path_factory.mktemp("seeds")
    write_article(seeds, "good.md", **article_fields("Good article", "Fine text."))
    for number, name in enumerate(names):
        fields = {**front, "title": front.get("title") or f"Article {number}"}
        if dates:
            fields["publishedDateTime"] = dates[number % len(dates)]
        text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n"
        with open(os.path.join(os.fsencode(seeds), name + b".md"), "wb") as handle:
            handle.write(text.encode("utf-8", "surrogatepass"))
    report = reindex(seeds, tmp_path_factory.mktemp("index"))
    assert report.indexed + len(report.rejected) >= 1 and "good" in report.touched


@pytest.mark.parametrize("swap", ["pipe", "link out"])
def test_a_file_swapped_between_the_check_and_the_open_is_rejected(tmp_path, monkeypatch, swap):
    """The window between checking a path and opening it, forced open: the reindex neither hangs
    on a pipe swapped in nor reads an outside file through a link swapped in."""
    import indexer.articles

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_article(seeds, "good.md", **article_fields("Good article", "Fine text."))
    write_article(seeds, "swapped.md", **article_fields("Swapped article", "Checked, then replaced."))
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret outside the seeds folder\n---\n")
    checked = indexer.articles.unlinked_path

    def check_then_swap(folder, relative):
        found = checked(folder, relative)
        if relative == "swapped.md":
            (seeds / "swapped.md").unlink()
            os.mkfifo(seeds / "swapped.md") if swap == "pipe" else os.symlink(outside, seeds / "swapped.md")
        return found

    monkeypatch.setattr(indexer.articles, "unlinked_path", check_then_swap)
    done: list = []
    runner = threading.Thread(target=lambda: done.append(reindex(seeds, tmp_path / "index")), daemon=True)
    runner.start()
    runner.join(30)
    assert done, "the reindex hung"
    assert [r.path for r in done[0].rejected] == ["swapped.md"]
    engine = SearchEngine(tmp_path / "index")
    assert engine.search(SearchRequest(q="secret"))["total"] == 0
    assert engine.search(SearchRequest(q="good"))["total"] == 1
