"""Whoosh's writer processes die with the reindex that started them, and run without the
cyclic garbage collector.

Whoosh's multiprocess writer (``ix.writer(procs=N)``) forks workers that index batches of
documents into segments of their own. If the reindex is killed, its workers would keep
running and writing; on Linux each worker asks the kernel to kill it when its parent dies
(PR_SET_PDEATHSIG), and exits at once if the parent is already gone.

A worker's pool of postings grows to millions of objects that live until the segment is
written, and Python's collector walks all of them each time the survivors grow by a quarter:
in a 100,000-article build, 19-21 full collections took 3.5-5.3 s of each worker's 30-36 s.
Indexing makes no reference cycles worth collecting (the workers' peak memory was the same
without the collector, 923-941 MB against 927-947 MB), and a worker exits when its segment
is written, so the workers run without it. A reindex pauses it in its own process too
(``collector_paused``): it builds large structures without cycles (every file's fingerprint,
every article's grouping input). The parent of a 100,000-article build spent 22.2-27.8 s of
CPU without the collector's passes over them against 25.4-31.0 s; a one-file reindex there
gained little (medians 0.81 -> 0.77 s in 10 alternating rounds).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import signal
from contextlib import contextmanager

from whoosh import multiproc

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


def prepare_writer_processes() -> None:
    """Make each of Whoosh's writer processes tie itself to its parent and switch the
    cyclic collector off before it starts indexing."""
    if getattr(multiproc.SubWriterTask, "_newsfinder_guarded", False):
        return
    start, run = multiproc.SubWriterTask.start, multiproc.SubWriterTask.run

    def start_tied(self):
        # The parent's pid is taken before the fork: a child that runs only after a kill of
        # its parent sees another process as its parent, and would tie itself to that one.
        self.newsfinder_parent = os.getpid()
        start(self)

    def guarded_run(self):
        tie_to_parent(self.newsfinder_parent)
        gc.disable()
        run(self)

    multiproc.SubWriterTask.start = start_tied
    multiproc.SubWriterTask.run = guarded_run
    multiproc.SubWriterTask._newsfinder_guarded = True
