"""Child processes that die with the reindex that started them, and the cyclic collector paused.

On Linux a child (a file-scanning process, a Whoosh writer process) asks the kernel to kill
it when its parent dies (PR_SET_PDEATHSIG), and exits at once if the parent is already gone:
a killed reindex must not leave processes running and writing.

A reindex builds large structures without reference cycles (every file's fingerprint, every
article's grouping input, a writer's pool of postings), and Python's cyclic collector would
walk all of them each time the survivors grow by a quarter; ``collector_paused`` switches it
off for such a block. Indexing makes no cycles worth collecting, so a writer process runs
without it for its whole life (indexer/whoosh_internals/writer_processes.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import signal
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1


def tie_to_parent(parent: int) -> None:
    """Ask the kernel to kill this (forked) process when ``parent`` dies; exit at once if
    that cannot be arranged or the parent is gone already."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0 or os.getppid() != parent:
        os._exit(1)


@contextmanager
def collector_paused():
    """Python's cyclic collector off for the block, then as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
