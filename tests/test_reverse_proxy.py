"""The documented reverse proxy (docs/deploy/nginx.conf) in front of a real newsfinder server:
slow clients stay at the proxy, and errors under /api/ are JSON with the security headers
whoever answers them."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from tests.conftest import get_json
from tests.proxy import NGINX, Proxy

pytestmark = pytest.mark.skipif(NGINX is None, reason="needs nginx (.ci/run installs nginx-light)")


@pytest.fixture
def proxied(small_collection, index_dir, start_server, tmp_path):
    server = start_server(small_collection, index_dir)
    proxy = Proxy(tmp_path, [server.port])
    yield server, proxy
    proxy.stop()


def answer(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_searches_pass_through_the_proxy(proxied):
    _, proxy = proxied
    status, body = get_json(proxy.base + "/api/search?q=privacy", timeout=20)
    assert status == 200 and body["total"] >= 1
    status, headers, page = answer(proxy.base + "/?q=privacy")
    assert status == 200 and b"privacy" in page and headers["X-Content-Type-Options"] == "nosniff"


def test_half_sent_requests_wait_at_the_proxy_not_in_the_workers(proxied):
    """Two half-sent requests held both sync workers for 31 s; behind nginx, four of them do
    not keep a search from being answered."""
    _, proxy = proxied
    stalled = []
    for _ in range(4):
        connection = socket.create_connection(("127.0.0.1", proxy.port), timeout=20)
        connection.sendall(b"GET /api/search?q=privacy HTTP/1.1\r\nHost: news.example\r\n")  # never finished
        stalled.append(connection)
    try:
        status, body = get_json(proxy.base + "/api/search?q=cookies", timeout=20)
        assert status == 200 and body["total"] >= 1
    finally:
        for connection in stalled:
            connection.close()


@pytest.mark.parametrize("path, status, code", [("/api/search?q=" + "x" * 20_000, 414, "uri_too_long"),
                                                ("/api/search?q=" + "x" * 9000, 414, None),  # the app's own
                                                ("/api/health", 503, "unavailable")])
def test_the_proxys_own_errors_under_the_api_are_json_with_the_headers(proxied, path, status, code):
    server, proxy = proxied
    if code == "unavailable":
        server.stop()
    got, headers, body = answer(proxy.base + path)
    assert got == status and headers["Content-Type"].startswith("application/json")
    assert code is None or f'"code": "{code}"'.encode() in body
    assert headers["X-Content-Type-Options"] == "nosniff" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
