"""Shared fixtures: article files written on disk, real Whoosh indexes, the Flask app, and a
real newsfinder server process on loopback; and the markers (fast, corpus, server, browser)
each test gets from the fixtures it uses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from indexer.build import reindex
from webapp import create_app

PROJECT_DIR = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("NEWSFINDER_CORPUS", PROJECT_DIR.parent / "shared" / "corpus"))
CORPUS_SIZE = 2286


def write_article(folder: Path, name: str, body: str = "", **front) -> Path:
    """Write an article file with the given front-matter fields (YAML-dumped)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + body
    path.write_text(text, encoding="utf-8")
    return path


def article_fields(title: str, excerpt: str = "", quality: int | None = 80, **extra) -> dict:
    fields = {
        "category": "news",
        "title": title,
        "excerpt": excerpt,
        "publishedDateTime": "2024-01-15T10:00:00Z",
        "webUrl": f"https://example.org/{abs(hash(title)) % 10**8}",
        "type": "article",
        "provider": {"name": "Example News", "domain": "example.org"},
        "topics": ["Testing"],
    }
    if quality is not None:
        fields["quality"] = quality
    fields.update(extra)
    return fields


@pytest.fixture
def seeds(tmp_path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


@pytest.fixture
def index_dir(tmp_path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def small_collection(seeds) -> Path:
    """A handful of articles with known words and qualities."""
    write_article(seeds, "ban.md", **article_fields(
        "Parliament votes to ban facial recognition in public spaces",
        "Lawmakers called for a permanent ban on automated facial recognition.", quality=120,
        topics=["Privacy", "AI"]))
    write_article(seeds, "beta.md", **article_fields(
        "Open beta weekend announced for the sequel",
        "Players can join the open beta this weekend on every platform.", quality=90,
        topics=["Games"], type="video"))
    write_article(seeds, "cookies.md", **article_fields(
        "Browser blocks third-party cookies",
        "Advertisers lose cross-site tracking through cookies.", quality=60, topics=["Privacy"]))
    write_article(seeds, "nested/library.txt", **article_fields(
        "Library lends laptops", "Borrow a laptop for three weeks.", quality=None))
    return seeds


@pytest.fixture
def small_index(small_collection, index_dir) -> Path:
    reindex(small_collection, index_dir)
    return index_dir


@pytest.fixture
def make_client(index_dir):
    def factory(**config):
        app = create_app({"INDEX_DIR": str(index_dir), "TESTING": True, **config})
        return app.test_client()

    return factory


@pytest.fixture
def client(small_index, make_client):
    return make_client()


@pytest.fixture
def features(seeds, index_dir, make_client):
    """Articles chosen so each feature has something to show."""
    def add(name, title, excerpt, **extra):
        write_article(seeds, name, **article_fields(title, excerpt, **extra))

    add("beta.md", "Open beta weekend announced", "Join the open beta this weekend.", quality=90, topics=["Games"],
        publishedDateTime="2023-03-01T10:00:00Z", provider={"name": "Game Site", "domain": "games.example"})
    add("beta-leak.md", "Beta footage leak spreads", "A leak of closed beta footage, not an open test.", quality=40,
        topics=["Games", "Leaks"], publishedDateTime="2022-08-01T10:00:00Z",
        provider={"name": "Rumour Mill", "domain": "rumours.example"}, type="video")
    add("face.md", "Parliament backs facial recognition ban", "A ban on facial recognition in public spaces.",
        quality=150, topics=["Privacy"], publishedDateTime="2021-10-07T12:00:00Z",
        provider={"name": "Tech Daily", "domain": "tech.example"})
    add("cookies.md", "Browser blocks tracking cookies", "Third-party cookies are blocked for everyone.",
        quality=110, topics=["Privacy", "Browsers"], publishedDateTime="2024-06-11T08:00:00Z",
        provider={"name": "Tech Daily", "domain": "tech.example"})
    add("long.md", "Sorcerer skills explained", "word " * 120 + "the sorcerer hurls lightning " + "filler " * 120,
        quality=None, topics=["Games"], publishedDateTime="2023-05-01T08:00:00Z")
    reindex(seeds, index_dir)
    return make_client()


def search(client, **params):
    """The JSON answer of /api/search to ``params``, which must be a 200."""
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(body):
    """The ids of a search answer's hits, in order."""
    return [hit["id"] for hit in body["hits"]]


def require_corpus() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"the shared corpus is absent ({CORPUS_DIR}); .ci/run requires it, so CI never skips")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return require_corpus()


@pytest.fixture(scope="session")
def corpus_index(corpus_dir, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus-index")
    report = reindex(corpus_dir, folder)
    assert report.indexed == CORPUS_SIZE, report.rejected[:5]
    return folder


@pytest.fixture(scope="session")
def corpus_client(corpus_index):
    return create_app({"INDEX_DIR": str(corpus_index), "TESTING": True}).test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 10.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class ServerProcess:
    """``newsfinder serve`` started as a real process; stopped and its output kept for failures."""

    def __init__(self, seeds: Path, index: Path, workers: int = 2, extra: list[str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = index.parent / f"server-{self.port}.log"
        command = [sys.executable, "-m", "webapp.cli", "serve", "--seeds", str(seeds), "--index", str(index),
                   "--port", str(self.port), "--workers", str(workers), *(extra or [])]
        self.handle = open(self.log, "wb")
        self.process = subprocess.Popen(command, stdout=self.handle, stderr=subprocess.STDOUT, cwd=PROJECT_DIR)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                status, _ = get_json(self.base + "/api/health", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.output()}")

    def output(self) -> str:
        self.handle.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.handle.close()


@pytest.fixture
def start_server():
    servers = []

    def start(seeds: Path, index: Path, workers: int = 2) -> ServerProcess:
        server = ServerProcess(seeds, index, workers)
        servers.append(server)
        server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


# The fixture that tells a test's kind: each one's users get the marker. Tests whose fixtures do
# not tell (a server started by hand, children waited on in real time) carry the marker themselves.
FIXTURE_MARKERS = {"corpus_dir": "corpus", "start_server": "server", "server": "server", "browser": "browser"}
NOT_FAST = {"corpus", "server", "browser", "slow"}


def pytest_collection_modifyitems(items):
    """Mark each test corpus, server or browser by the fixtures it uses (directly or through
    other fixtures), and fast when it is none of those and not marked slow."""
    for item in items:
        for fixture in sorted(FIXTURE_MARKERS.keys() & set(item.fixturenames)):
            item.add_marker(FIXTURE_MARKERS[fixture])
        if not NOT_FAST & {mark.name for mark in item.iter_markers()}:
            item.add_marker("fast")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can act on failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@contextmanager
def lock_held_elsewhere(index_dir: Path):
    """Another process holds the index folder's reindex lock while the block runs."""
    code = ("import sys; from indexer.layout import reindex_lock\n"
            f"with reindex_lock({str(index_dir)!r}):\n    print('locked', flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=PROJECT_DIR)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def grouping(index_dir) -> dict[str, str]:
    """Every served article's story id, as the newest stories file of ``index_dir`` says
    (it lists the articles that share a story; any other is a story of its own)."""
    from indexer.layout import open_build
    from indexer.stories.files import read_stories

    build, ix = open_build(index_dir)
    listed = read_stories(build, ix.latest_generation())
    with ix.searcher() as searcher:
        return {fields["id"]: listed.get(fields["id"], fields["id"]) for fields in searcher.all_stored_fields()}


def both_ways(operation, module, share: str) -> list:
    """``operation``'s answers with ``module.share`` (the share of the collection above which
    it works over arrays as long as the collection) forced never dense, then always dense."""
    answers = []
    for forced in (0, 10**9):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(module, share, forced)
            answers.append(operation())
    return answers
