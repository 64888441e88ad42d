"""Several app servers on one index, as docs/operations.md describes them: a build host
reindexes, docs/deploy/sync-index.sh copies its index to two replica folders with rsync, a
`newsfinder serve` runs on each, and nginx (docs/deploy/nginx.conf) balances over both.
Readers keep asking through the balancer the whole time; no request may fail, and once a
sync has reached both replicas no answer may miss what it brought."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from indexer.build import reindex
from tests.conftest import PROJECT_DIR, ServerProcess, article_fields, write_article
from tests.proxy import NGINX, Proxy

pytestmark = [pytest.mark.server, pytest.mark.skipif(
    NGINX is None or shutil.which("rsync") is None, reason="needs nginx and rsync (.ci/run installs both)")]

SYNC = PROJECT_DIR / "docs" / "deploy" / "sync-index.sh"
ROUNDS = 3
PICKUP_S = 1.5  # the servers move to a new build within half a second; this leaves room for a busy machine
MARKERS = [f"zanthoxylum{n}" for n in range(ROUNDS)]


def sync(source: Path, destination: Path) -> None:
    subprocess.run(["sh", str(SYNC), str(source), str(destination)], check=True, capture_output=True,
                   env={**os.environ, "NEWSFINDER_SYNC_GRACE": "0.5"})


class Readers:
    """A reader asking for each round's new word in turn, through the balancer, until stopped."""

    def __init__(self, base: str):
        self.base = base
        self.answers: list[tuple[float, int, str, int]] = []  # (asked at, round, status or error, total)
        self.stop = threading.Event()
        self.rounds_published = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            for round_ in range(min(self.rounds_published + 1, ROUNDS)):
                asked_at = time.monotonic()
                self.answers.append((asked_at, round_, *self.ask(MARKERS[round_])))

    def ask(self, word: str) -> tuple[str, int]:
        try:
            with urllib.request.urlopen(f"{self.base}/api/search?q={word}&collapse=none", timeout=20) as response:
                return str(response.status), json.loads(response.read())["total"]
        except urllib.error.HTTPError as error:
            return str(error.code), -1
        except OSError as error:
            return type(error).__name__, -1


def test_two_replicas_behind_nginx_stay_in_step_while_the_build_host_reindexes(tmp_path):
    seeds, host = tmp_path / "seeds", tmp_path / "build-host"
    replicas = [tmp_path / "replica-1", tmp_path / "replica-2"]
    for number in range(40):
        write_article(seeds, f"base-{number}.md", **article_fields(f"Background story {number}", "Filler for the index."))
    reindex(seeds, host)
    for replica in replicas:
        sync(host, replica)
    servers = [ServerProcess(tmp_path / "no-seeds", replica, workers=1) for replica in replicas]
    proxy = None
    try:
        for server in servers:
            server.wait_ready()
        (tmp_path / "nginx").mkdir()
        proxy = Proxy(tmp_path / "nginx", [server.port for server in servers])
        readers = Readers(proxy.base)
        readers.thread.start()
        published_at = []
        for round_, marker in enumerate(MARKERS):
            write_article(seeds, f"new-{round_}.md", **article_fields(f"A {marker} appears in round {round_}", "News."))
            # the build host reindexes while the replicas copy what it had: a build half written
            # at the source must never be published at a replica
            reindexing = threading.Thread(target=reindex, args=(seeds, host))
            reindexing.start()
            for replica in replicas:
                sync(host, replica)
            reindexing.join()
            for replica in replicas:  # a rolling update, one replica after the other
                sync(host, replica)
            published_at.append(time.monotonic())
            readers.rounds_published = round_ + 1
            time.sleep(PICKUP_S + 0.5)
        readers.stop.set()
        readers.thread.join(timeout=30)
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
    answers = readers.answers
    failed = [answer for answer in answers if answer[2] != "200"]
    stale = [answer for answer in answers if answer[1] < len(published_at)
             and answer[0] > published_at[answer[1]] + PICKUP_S and answer[3] != 1]
    assert len(answers) > 100, f"only {len(answers)} requests were made"
    assert not failed, f"{len(failed)} of {len(answers)} requests failed, e.g. {failed[:3]}"
    assert not stale, f"{len(stale)} of {len(answers)} answers missed an article both replicas had, e.g. {stale[:3]}"
    for replica in replicas:  # builds the host has deleted are gone from the replicas too
        assert sorted(p.name for p in (replica / "builds").iterdir()) == sorted(p.name for p in (host / "builds").iterdir())
