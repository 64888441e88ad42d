"""Whoosh's writer processes: forked, tied to the reindex that started them, no cyclic collector.

Whoosh's multiprocess writer (``ix.writer(procs=N)``) starts ``multiproc.SubWriterTask``
processes that build their own ``SegmentWriter`` and index batches of documents into segments
of their own; there is no argument through which to hand them another class, so the task's
``start`` and ``run`` are replaced. The processes are always forked: they must inherit the
patches ``install()`` applied in the parent (a spawned or forkserver child imports Whoosh
afresh, unpatched). Each one ties itself to its parent (``indexer/processes.py``) and runs
without the cyclic collector: its pool of postings is millions of objects without cycles,
and it exits once its segment is written.
"""

from __future__ import annotations

import gc
import multiprocessing
import os

from whoosh import multiproc

from indexer.processes import tie_to_parent

FORK = multiprocessing.get_context("fork")


def prepare_writer_processes() -> None:
    """Make each of Whoosh's writer processes fork, tie itself to its parent and switch the
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

    multiproc.SubWriterTask._Popen = staticmethod(FORK.Process._Popen)
    multiproc.SubWriterTask.start = start_tied
    multiproc.SubWriterTask.run = guarded_run
    multiproc.SubWriterTask._newsfinder_guarded = True
