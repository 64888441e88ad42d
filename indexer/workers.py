"""Whoosh's writer processes die with the reindex that started them.

Whoosh's multiprocess writer (``ix.writer(procs=N)``) forks workers that index batches of
documents into segments of their own. If the reindex is killed, its workers would keep
running and writing; on Linux each worker asks the kernel to kill it when its parent dies
(PR_SET_PDEATHSIG), and exits at once if the parent is already gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

from whoosh import multiproc

PR_SET_PDEATHSIG = 1


def tie_to_parent(parent: int) -> None:
    """Ask the kernel to kill this (forked) process when ``parent`` dies; exit at once if
    that cannot be arranged or the parent is gone already."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0 or os.getppid() != parent:
        os._exit(1)


def die_with_parent() -> None:
    if getattr(multiproc.SubWriterTask, "_newsfinder_guarded", False):
        return
    run = multiproc.SubWriterTask.run

    def guarded_run(self):
        tie_to_parent(os.getppid())
        run(self)

    multiproc.SubWriterTask.run = guarded_run
    multiproc.SubWriterTask._newsfinder_guarded = True
