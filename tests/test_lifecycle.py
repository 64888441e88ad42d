"""Index lifecycle with real processes: reindex under load, SIGKILL, concurrent reindexes,
checked swaps, watch mode and schema versions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer.build import reindex
from indexer.layout import BUILDS, current_build, read_meta
from bench.soak import worker_pids
from tests.conftest import PROJECT_DIR, article_fields, get_json, write_article


def cli(*args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webapp.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=PROJECT_DIR, timeout=timeout)


def start_cli(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "webapp.cli", *map(str, args)], cwd=PROJECT_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def corpus_copy(corpus_dir, tmp_path) -> Path:
    """A writable folder with 800 real articles (copied into the test's temporary folder)."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for path in sorted(corpus_dir.iterdir())[:800]:
        shutil.copy2(path, folder / path.name)
    return folder


def wait_for(condition, timeout: float, interval: float = 0.05) -> float:
    """Seconds until ``condition()`` held; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def total(server, q) -> int:
    return get_json(f"{server.base}/api/search?q={q}")[1]["total"]


def test_queries_never_fail_while_full_reindexes_run(start_server, corpus_copy, tmp_path):
    index = tmp_path / "index"
    reindex(corpus_copy, index)
    server = start_server(corpus_copy, index)
    failures, answered, stop = [], [0], threading.Event()

    def ask(words):
        while not stop.is_set():
            try:
                status, body = get_json(f"{server.base}/api/search?q={words}", timeout=10)
                if status != 200 or "hits" not in body:
                    failures.append((status, body))
                answered[0] += 1
            except (OSError, ValueError) as exc:
                failures.append(repr(exc))

    clients = [threading.Thread(target=ask, args=(w,)) for w in ("diablo+beta", "power+apps", "sorcerer", "zeppelin")]
    for client in clients:
        client.start()
    try:
        first = cli("reindex", "--full", "-q", "--seeds", corpus_copy, "--index", index)
        write_article(corpus_copy, "zeppelin.md", **article_fields("Zeppelin lands in the corpus", "A new article."))
        second = cli("reindex", "--full", "-q", "--seeds", corpus_copy, "--index", index)
    finally:
        time.sleep(1.0)
        stop.set()
        for client in clients:
            client.join()
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert failures == [] and answered[0] > 50
    wait_for(lambda: total(server, "zeppelin") == 1, timeout=5)
    assert get_json(server.base + "/api/health")[1]["docs"] == 801
    assert len(list((index / BUILDS).iterdir())) <= 2  # the current build and the one before


@pytest.mark.parametrize("share", [0.1, 0.35, 0.6])
def test_a_reindex_killed_at_any_moment_leaves_the_served_index_intact(start_server, corpus_copy, tmp_path, share):
    """The reindex is killed at a share of the time a whole one takes on this machine (fixed
    delays stopped reaching the late moments once rebuilding got faster); the latest share
    leaves room for runs of one command to differ by a third."""
    index = tmp_path / "index"
    reindex(corpus_copy, index)
    started = time.monotonic()
    assert cli("reindex", "--full", "-q", "--seeds", corpus_copy, "--index", index).returncode == 0
    whole = time.monotonic() - started
    write_article(corpus_copy, "zeppelin.md", **article_fields("Zeppelin lands in the corpus"))
    victim = start_cli("reindex", "--full", "-q", "--seeds", corpus_copy, "--index", index)
    time.sleep(share * whole)
    assert victim.poll() is None, "the reindex finished before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait()

    server = start_server(corpus_copy, index)
    docs = get_json(server.base + "/api/health")[1]["docs"]
    # Killed before publishing: the old index; killed after (while exiting): the whole new one.
    assert (docs, total(server, "zeppelin")) in ((800, 0), (801, 1))
    finished = cli("reindex", "-q", "--seeds", corpus_copy, "--index", index)
    assert finished.returncode == 0, finished.stderr
    wait_for(lambda: total(server, "zeppelin") == 1, timeout=5)
    assert len(list((index / BUILDS).iterdir())) <= 2  # the killed build's files were removed


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_parallel_build_leaves_no_worker_running(corpus_copy, tmp_path):
    index = tmp_path / "index"
    command = [sys.executable, "-m", "webapp.cli", "reindex", "-q", "--seeds", str(corpus_copy), "--index", str(index)]
    env = {**os.environ, "NEWSFINDER_PARALLEL_FROM": "100"}  # the corpus copy's 800 articles build in parallel
    victim = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    wait_for(lambda: len(workers.extend(worker_pids(victim.pid)) or set(workers)) >= 2, timeout=30)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    wait_for(lambda: not any(alive(pid) for pid in set(workers)), timeout=5)
    finished = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert read_meta(current_build(index))["docs"] == 800
    assert len(list((current_build(index)).glob("*.nfpostings"))) == 2  # one segment per worker


# A reindex that starts one Whoosh writer process and dies before that process gets to run:
# the writer must notice it has been orphaned, not tie itself to whatever adopted it.
ORPHANED_WRITER = """
import multiprocessing, multiprocessing.util, os, sys, time
from whoosh import multiproc
from whoosh.filedb.filestore import FileStorage
from indexer.schema import build_schema
from indexer.whoosh_internals import install

storage = FileStorage(sys.argv[1])
storage.create_index(build_schema(), indexname="MAIN")
install()

class Delay:
    pass

delay = Delay()  # the child sleeps right after the fork, before its run() starts
multiprocessing.util.register_after_fork(delay, lambda _: time.sleep(1.0))
task = multiproc.SubWriterTask(storage, "MAIN", multiprocessing.Queue(), multiprocessing.Queue(), {}, True)
task.start()
with open(sys.argv[2], "w") as pid_file:
    pid_file.write(str(task.pid))
os._exit(0)
"""


@pytest.mark.slow
def test_a_writer_process_whose_reindex_died_before_it_ran_exits(tmp_path):
    pid_file = tmp_path / "writer.pid"
    # no pipes: the writer would hold them open
    started = subprocess.run([sys.executable, "-c", ORPHANED_WRITER, str(tmp_path), str(pid_file)], cwd=PROJECT_DIR,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    assert started.returncode == 0
    writer = int(pid_file.read_text())
    try:
        assert alive(writer)  # still asleep: its parent is already gone
        wait_for(lambda: not alive(writer), timeout=10)  # a writer that carried on would wait for jobs forever
    finally:
        if alive(writer):
            os.kill(writer, signal.SIGKILL)


def test_a_second_reindex_is_refused_while_one_runs(corpus_copy, tmp_path):
    index = tmp_path / "index"
    first = start_cli("reindex", "--full", "-q", "--seeds", corpus_copy, "--index", index)
    time.sleep(0.5)
    second = cli("reindex", "--seeds", corpus_copy, "--index", index)
    first_out = first.communicate(timeout=120)
    assert second.returncode == 3 and "another reindex is running" in second.stderr
    assert first.returncode == 0, first_out
    assert read_meta(current_build(index))["docs"] == 800


def test_a_suspicious_result_is_not_published(start_server, small_collection, tmp_path):
    index = tmp_path / "index"
    reindex(small_collection, index)
    server = start_server(small_collection, index)
    for name in ("ban.md", "beta.md", "cookies.md"):
        (small_collection / name).unlink()
    refused = cli("reindex", "--seeds", small_collection, "--index", index)
    assert refused.returncode == 5
    assert "would hold 1 articles instead of 4" in refused.stderr and refused.stderr.count("\n") == 1
    time.sleep(1)
    assert get_json(server.base + "/api/health")[1]["docs"] == 4
    forced = cli("reindex", "--force", "--seeds", small_collection, "--index", index)
    assert forced.returncode == 0
    wait_for(lambda: get_json(server.base + "/api/health")[1]["docs"] == 1, timeout=5)


def test_an_empty_result_for_a_full_folder_is_refused_even_with_force(small_collection, tmp_path):
    index = tmp_path / "index"
    reindex(small_collection, index)
    for path in small_collection.rglob("*.*"):
        if path.is_file():
            path.write_text("not an article any more")
    refused = cli("reindex", "--full", "--force", "--seeds", small_collection, "--index", index)
    assert refused.returncode == 5 and "would be empty" in refused.stderr
    assert read_meta(current_build(index))["docs"] == 4


@pytest.mark.server
def test_serve_watch_follows_new_changed_and_deleted_files(tmp_path, small_collection):
    index = tmp_path / "index"
    from tests.conftest import ServerProcess

    server = ServerProcess(small_collection, index, workers=2, extra=["--watch"])
    try:
        server.wait_ready()
        time.sleep(1.0)  # the watcher's first pass
        path = write_article(small_collection, "zeppelin.md", **article_fields("Zeppelin lands at the airfield"))
        added = wait_for(lambda: total(server, "zeppelin") == 1, timeout=10)
        write_article(small_collection, "zeppelin.md", **article_fields("Airship lands at the airfield"))
        changed = wait_for(lambda: total(server, "airship") == 1 and total(server, "zeppelin") == 0, timeout=10)
        path.unlink()
        removed = wait_for(lambda: total(server, "airship") == 0, timeout=10)
    finally:
        server.stop()
    assert max(added, changed, removed) < 5, (added, changed, removed)


@pytest.mark.slow
def test_a_watcher_stops_when_the_serve_that_named_itself_is_gone(tmp_path, small_collection):
    index = tmp_path / "index"
    gone = subprocess.Popen(["true"])
    gone.wait()  # a serve that died while its watcher was starting up
    watch = ["reindex", "--watch", "--quiet", "--seeds", small_collection, "--index", index, "--parent-pid"]
    orphan = start_cli(*watch, gone.pid)
    kept = start_cli(*watch, os.getpid())
    try:
        assert orphan.wait(timeout=20) == 0
        time.sleep(1.0)  # a watcher checks its parent every half second
        assert kept.poll() is None  # this test's process is alive: that watcher carries on
    finally:
        for process in (orphan, kept):
            process.kill()
            process.communicate()


def test_an_index_from_an_older_version_is_rebuilt_with_a_message(start_server, small_collection, tmp_path):
    index = tmp_path / "index"
    reindex(small_collection, index)
    meta_file = current_build(index) / "newsfinder.json"
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] = 1
    meta_file.write_text(json.dumps(meta))

    from webapp import create_app

    stale = create_app({"INDEX_DIR": str(index)}).test_client().get("/api/health")
    assert stale.status_code == 503 and "schema version 1" in stale.get_json()["error"]["message"]

    server = start_server(small_collection, index)
    assert "index was written with schema version 1" in server.output()
    assert get_json(server.base + "/api/health")[1]["docs"] == 4


def test_health_and_json_report_show_the_lifecycle(small_collection, tmp_path, make_client):
    index = tmp_path / "index"
    first = json.loads(cli("reindex", "--json", "--seeds", small_collection, "--index", index).stdout)
    assert first["indexed"] == 4 and first["rebuilt"] == "new index"
    write_article(small_collection, "extra.md", **article_fields("Extra"))
    second = json.loads(cli("reindex", "--json", "--seeds", small_collection, "--index", index).stdout)
    assert (second["indexed"], second["unchanged"], second["rebuilt"]) == (1, 4, None)
    from webapp import create_app

    health = create_app({"INDEX_DIR": str(index)}).test_client().get("/api/health").get_json()
    assert health["docs"] == 5 and health["generation"] == 2 and health["last_reindex"].endswith("Z")


def test_a_damaged_index_is_never_served_and_the_next_reindex_rebuilds_it(small_collection, index_dir, make_client,
                                                                            monkeypatch):
    import webapp.engine
    from indexer.layout import current_build

    monkeypatch.setattr(webapp.engine, "REFRESH_INTERVAL", 0.0)
    reindex(small_collection, index_dir)
    client = make_client()
    assert client.get("/api/search?q=cookies").get_json()["total"] == 1
    toc = next(current_build(index_dir).glob("_MAIN_*.toc"))
    data = bytearray(toc.read_bytes())
    data[20:60] = b"\xff" * 40
    toc.write_bytes(bytes(data))
    # the open index keeps answering; health says what is wrong
    assert client.get("/api/search?q=cookies").get_json()["total"] == 1
    health = client.get("/api/health")
    assert health.status_code == 503 and "damaged" in health.get_json()["error"]["message"]
    # a new worker cannot open it: 503 with the reason, never a 500
    fresh = make_client()
    assert fresh.get("/api/search?q=cookies").status_code == 503
    assert "reindex" in fresh.get("/api/health").get_json()["error"]["message"]
    report = reindex(small_collection, index_dir)  # no manual deletion
    assert report.indexed == 4
    assert client.get("/api/health").status_code == 200 and fresh.get("/api/search?q=cookies").get_json()["total"] == 1


def segment_file(index_dir, suffix: str) -> Path:
    """One of Whoosh's files of the current build's segment (``.seg``, ``.trm``, ...)."""
    from indexer.layout import current_build

    return next(p for p in current_build(index_dir).glob(f"MAIN_*{suffix}") if not p.name.endswith(".nfpostings"))


def test_a_segment_file_of_another_size_is_never_served_and_the_next_reindex_rebuilds(small_collection, index_dir,
                                                                                      make_client, monkeypatch):
    """Whoosh's own files had no check: a truncated term file was served (or failed in the
    middle of a search). Now the generation's manifest gives every such file's size, checked
    whenever the build is looked at."""
    import webapp.engine

    monkeypatch.setattr(webapp.engine, "REFRESH_INTERVAL", 0.0)
    reindex(small_collection, index_dir)
    client = make_client()
    assert client.get("/api/search?q=cookies").get_json()["total"] == 1
    damaged = segment_file(index_dir, ".seg")
    damaged.write_bytes(damaged.read_bytes()[:-64])
    health = client.get("/api/health")
    assert health.status_code == 503 and damaged.name in health.get_json()["error"]["message"]
    assert client.get("/api/search?q=cookies").get_json()["total"] == 1  # from the index it had open
    fresh = make_client()
    assert fresh.get("/api/search?q=cookies").status_code == 503
    report = reindex(small_collection, index_dir)  # no manual deletion
    assert report.rebuilt and report.indexed == 4
    assert client.get("/api/health").status_code == 200 and fresh.get("/api/search?q=cookies").get_json()["total"] == 1


def test_check_finds_a_segment_file_changed_in_place_by_its_checksum(small_collection, index_dir):
    from click.testing import CliRunner

    from webapp.cli import main

    reindex(small_collection, index_dir)
    assert CliRunner().invoke(main, ["check", "--index", str(index_dir)]).exit_code == 0
    damaged = segment_file(index_dir, ".seg")
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x5A  # same size: only the checksum tells
    damaged.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["check", "--index", str(index_dir)])
    assert result.exit_code == 1 and f"{damaged.name} does not match its checksum" in result.output


def test_damaged_posting_arrays_are_found_and_the_next_reindex_repairs_them(corpus_dir, tmp_path, make_client,
                                                                            monkeypatch):
    """Corrupted arrays with their header intact gave wrong hits with status 200 and a healthy
    health check, and a reindex did not notice. Now `check --index` names the file, the next
    reindex (even with nothing to index) writes it again from its segment, and every worker
    picks up the repaired file."""
    import webapp.engine
    from click.testing import CliRunner

    from indexer.layout import current_build
    from webapp import create_app
    from webapp.cli import main

    monkeypatch.setattr(webapp.engine, "REFRESH_INTERVAL", 0.0)
    index = tmp_path / "index"
    reindex(corpus_dir, index)
    client = create_app({"INDEX_DIR": str(index), "TESTING": True}).test_client()
    queries = ["diablo beta", "power apps", "necromancer", "dataverse security", "world boss"]
    before = {q: [h["id"] for h in client.get(f"/api/search?q={q}").get_json()["hits"]] for q in queries}
    arrays = next(current_build(index).glob("*.nfpostings"))
    data = bytearray(arrays.read_bytes())
    for offset in range(4096, len(data), 509):
        data[offset] ^= 0x5A
    arrays.write_bytes(bytes(data))
    damaged = CliRunner().invoke(main, ["check", "--index", str(index)])
    assert damaged.exit_code == 1 and "damaged" in damaged.output and arrays.name in damaged.output
    report = reindex(corpus_dir, index)
    assert report.indexed == report.updated == 0
    assert CliRunner().invoke(main, ["check", "--index", str(index)]).exit_code == 0
    after = {q: [h["id"] for h in client.get(f"/api/search?q={q}").get_json()["hits"]] for q in queries}
    assert after == before


def test_a_truncated_array_file_is_not_used(small_collection, index_dir, make_client):
    from indexer.layout import current_build

    reindex(small_collection, index_dir)
    arrays = next(current_build(index_dir).glob("*.nfpostings"))
    arrays.write_bytes(arrays.read_bytes()[:-100])
    client = make_client()  # its segment is scored by Whoosh from the segment itself
    assert [h["id"] for h in client.get("/api/search?q=cookies").get_json()["hits"]] == ["cookies"]


def test_a_damaged_stories_file_is_named_and_grouped_again(small_collection, index_dir):
    from click.testing import CliRunner

    from indexer.layout import current_build
    from indexer.stories.files import read_stories
    from webapp.cli import main

    reindex(small_collection, index_dir)
    stories = next(current_build(index_dir).glob("stories-*.json"))
    grouping = read_stories(current_build(index_dir), 1)
    stories.write_text('{"ban": "ban", "beta', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--index", str(index_dir)])
    assert result.exit_code == 1 and "stories" in result.output and "damaged" in result.output
    reindex(small_collection, index_dir)  # nothing changed: the grouping is written again
    assert read_stories(current_build(index_dir), 1) == grouping


def test_an_update_never_carries_a_damaged_file_over(small_collection, index_dir):
    """A file changed in place keeps its size, so only its checksum tells; an update reads every
    file it keeps, finds it, and builds the index again from the articles."""
    from click.testing import CliRunner

    from webapp.cli import main

    reindex(small_collection, index_dir)
    damaged = segment_file(index_dir, ".seg")
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x5A
    damaged.write_bytes(bytes(data))
    write_article(small_collection, "later.md", **article_fields("A later piece on privacy"))
    report = reindex(small_collection, index_dir)
    assert report.rebuilt == f"the index in use is damaged: {damaged} does not match its checksum"
    assert report.indexed == 5 and report.docs == 5
    assert CliRunner().invoke(main, ["check", "--index", str(index_dir)]).exit_code == 0
