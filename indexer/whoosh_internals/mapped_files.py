"""Let Whoosh read segment files from its memory map instead of a private copy of each.

Whoosh 2.7.4 maps a compound segment file, then wraps every part it opens (postings, term
index, columns) in ``BufferFile``, whose ``BytesIO(buf)`` copies the mapped bytes into the
process: every worker holds its own copy of pages the workers could share through the page
cache. ``MappedReader`` reads the same bytes in place.
"""

from __future__ import annotations

import io

from whoosh.filedb import structfile


class MappedReader:
    """The file methods Whoosh's StructFile uses (read, readinto, readline, seek, tell),
    over a memoryview, copying only what is read."""

    def __init__(self, buf):
        self._buf = memoryview(buf)
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        data = self._buf[self._pos:end].tobytes()
        self._pos = end
        return data

    def readinto(self, target) -> int:
        count = min(len(target), len(self._buf) - self._pos)
        target[:count] = self._buf[self._pos:self._pos + count]
        self._pos += count
        return count

    def readline(self, size: int | None = -1) -> bytes:
        rest = self._buf[self._pos:] if size is None or size < 0 else self._buf[self._pos:self._pos + size]
        newline = rest.tobytes().find(b"\n")
        return self.read(len(rest) if newline < 0 else newline + 1)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass  # the map belongs to Whoosh's CompoundStorage, which closes it


def read_in_place() -> None:
    if getattr(structfile.BufferFile, "_newsfinder_mapped", False):
        return
    copying_init = structfile.BufferFile.__init__

    def __init__(self, buf, name=None, onclose=None):
        copying_init(self, b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = MappedReader(buf)

    structfile.BufferFile.__init__ = __init__
    structfile.BufferFile.whoosh_init = copying_init  # for the test that compares the two
    structfile.BufferFile._newsfinder_mapped = True
