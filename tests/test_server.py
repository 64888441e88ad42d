"""The real server: `newsfinder serve` as a process, queried over HTTP on loopback."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from indexer.build import reindex
from tests.conftest import PROJECT_DIR, article_fields, get_json, write_article


def test_serve_builds_the_missing_index_and_finds_the_seed_first(start_server, tmp_path):
    server = start_server(PROJECT_DIR / "seeds", tmp_path / "index")
    status, body = get_json(server.base + "/api/search?q=facial+recognition+ban")
    assert status == 200
    assert body["hits"][0]["id"] == "000_dd0a1db9d83ee7d8"
    assert "building the index" in server.output()
    with urllib.request.urlopen(server.base + "/?q=facial+recognition+ban") as page:
        html = page.read().decode()
    assert "European Parliament opposes" in html and page.headers["Content-Type"].startswith("text/html")


def test_server_answers_concurrent_requests_with_several_workers(start_server, small_index, small_collection):
    server = start_server(small_collection, small_index, workers=2)
    deadline = time.monotonic() + 20
    while server.output().count("Booting worker") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.output().count("Booting worker") == 2

    def ask(number):
        return get_json(f"{server.base}/api/search?q=privacy&page=1&per_page={1 + number % 5}")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(40)))
    assert all(status == 200 and body["total"] == 2 for status, body in answers)
    status, body = get_json(server.base + "/api/search?per_page=500")
    assert status == 400 and body["error"]["parameter"] == "per_page"


def test_serving_the_corpus_reports_every_article(start_server, corpus_index):
    server = start_server(corpus_index.parent / "unused-seeds", corpus_index)
    status, body = get_json(server.base + "/api/health")
    assert status == 200 and body["docs"] == 2286 and body["status"] == "ok"


def test_running_server_picks_up_a_reindex_without_restart(start_server, small_index, small_collection):
    server = start_server(small_collection, small_index, workers=2)
    assert get_json(server.base + "/api/search?q=zeppelin")[1]["total"] == 0
    write_article(small_collection, "zeppelin.md", **article_fields("Zeppelin returns to the airfield"))
    reindex(small_collection, small_index)
    deadline = time.monotonic() + 10
    streak = 0
    # 20 answers in a row with the new article: both workers have switched to the new index.
    while time.monotonic() < deadline and streak < 20:
        status, body = get_json(server.base + "/api/search?q=zeppelin")
        assert status == 200
        streak = streak + 1 if body["total"] == 1 else 0
        time.sleep(0.05)
    assert streak == 20
    assert get_json(server.base + "/api/health")[1]["docs"] == 5


def test_wsgi_entry_point_reads_its_settings_from_the_environment(small_index, monkeypatch):
    import importlib
    import logging

    monkeypatch.setenv("NEWSFINDER_INDEX", str(small_index))
    monkeypatch.setenv("NEWSFINDER_QUALITY_WEIGHT", "0.1")
    import webapp.wsgi

    module = importlib.reload(webapp.wsgi)
    assert module.app.config["QUALITY_WEIGHT"] == 0.1
    assert module.app.test_client().get("/api/health").get_json()["docs"] == 4
    assert logging.getLogger("newsfinder.access").handlers  # request lines reach stderr under any server


def raw_request(base: str, data: bytes) -> tuple[str, dict, bytes]:
    """Send bytes as they are; (status line, headers, body) of the answer."""
    import socket

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(data)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return lines[0], {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}, body


def test_requests_the_server_cannot_parse_get_json_errors_with_the_security_headers(start_server, small_index,
                                                                                    small_collection):
    import json

    server = start_server(small_collection, small_index)
    for data, status in ((b"GET /api/search?q=" + b"x" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", "414"),
                         (b"NOT A REQUEST LINE\r\n\r\n", "400"),
                         (b"GET /api/health HTTP/1.1\r\nHost: a\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n", "431")):
        line, headers, body = raw_request(server.base, data)
        assert line.split()[1] == status, line
        assert headers["content-type"] == "application/json" and headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" in headers and json.loads(body)["error"]["code"]


@pytest.mark.server
def test_a_request_that_outlasts_the_worker_timeout_gets_a_json_500(small_index, small_collection):
    """A half-sent request is cut off when the worker's time is up (--timeout), and even that
    answer, written by gunicorn as its worker is restarted, is JSON with the security headers."""
    import json

    from conftest import ServerProcess

    server = ServerProcess(small_collection, small_index, workers=1, extra=["--timeout", "2"])
    try:
        server.wait_ready()
        line, headers, body = raw_request(server.base, b"GET /api/search?q=privacy HTTP/1.1\r\nHost: a\r\n")
        assert line.split()[1] == "500", line
        assert headers["content-type"] == "application/json" and "content-security-policy" in headers
        assert json.loads(body)["error"]["code"] == "internal_server_error"
        server.wait_ready()  # the restarted worker answers again
    finally:
        server.stop()
