"""A full disk during an update: the update happens whole or not at all, leaves nothing behind,
and the next reindex after space is freed brings the index in step.

Each run puts the index on a small tmpfs of its own, mounted in a private mount namespace
(``unshare``), and fills it to a few sizes of free space (tests/disk_full.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.disk_full import FIRST, SECOND

pytestmark = pytest.mark.slow


def can_mount_privately() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_mount_privately(), reason="needs unshare with user and mount namespaces to mount a small tmpfs")
@pytest.mark.parametrize("free_kb", [8, 32, 64, 1024])
def test_an_update_that_meets_a_full_disk_commits_whole_or_not_at_all(free_kb, tmp_path):
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    index.mkdir()
    script = (f"mount -t tmpfs -o size=16m tmpfs {index} && "
              f"{sys.executable} -m tests.disk_full {seeds} {index} {free_kb * 1024}")
    run = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    before, during, after = seen["before"], seen["during"], seen["after"]
    everything = sorted(before["ids"] + [f"second{n:03}" for n in range(SECOND)])

    assert seen["full"] == f"indexed {SECOND}" or "No space left on device" in seen["full"]
    if seen["full"].startswith("indexed"):
        assert during["ids"] == everything and during["meta_generation"] == before["meta_generation"] + 1
    else:  # the served index is the one before, described as before
        assert (during["ids"], during["meta_generation"]) == (before["ids"], before["meta_generation"])
    assert during["meta_docs"] == len(during["ids"]) and during["stories_cover"]
    assert during["leftovers"] == [] and during["builds"] <= 2

    # with space again, the next reindex brings every article in, each once, grouped
    assert seen["after_outcome"] == f"indexed {0 if seen['full'].startswith('indexed') else SECOND}"
    assert after["ids"] == everything and len(after["ids"]) == FIRST + SECOND
    assert after["meta_docs"] == FIRST + SECOND and after["stories_cover"] and after["leftovers"] == []
