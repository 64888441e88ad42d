"""The posting arrays: NumPy copies of each Whoosh segment's postings, their writer and reader.

Whoosh answers a query by walking postings in Python one at a time, so a common word costs
time in proportion to the articles that hold it. The same
postings as flat arrays (document numbers, term frequencies, field lengths) let a search
score whole posting lists with a few vectorised operations (webapp/scoring.py reads them
through SegmentPostings and MergedPostings, below). Titles and
excerpts also keep each posting's word positions, to confirm proximity bonuses.

Whoosh stays the index of record. A file is named after its segment
(``MAIN_<id>.nfpostings``), so Whoosh's own clean-up deletes it together with the segment;
a segment without one (an index written by an older version, or a merge whose arrays are
still being written) is searched the Whoosh way. Deleted documents stay in the arrays, as
they do in Whoosh's postings, and are filtered out at query time.

File layout: 8 magic bytes, the JSON header's length and the file's size (8-byte
little-endian each), a JSON header naming each array's dtype, shape and offset and the
CRC-32 of the arrays, then the arrays, each aligned to 64 bytes, so a reader maps them
without copying. The size is checked whenever a file is opened, the checksum before a
reindex publishes and by `newsfinder check --index`.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from itertools import chain
from pathlib import Path

import numpy as np

from indexer.schema import PHRASE_BOOSTS, SEARCHED_FIELDS, TEXT_FIELDS, WORDS_FIELD
from indexer.whoosh_internals.whole_postings import posting_ids

# Every searched field, prefix-only ones (provider:) included; the words field answers queries
# made only of stop words ("when", "how"), whose every article Whoosh would otherwise walk one
# by one.
FIELDS = TEXT_FIELDS + tuple(f.name for f in SEARCHED_FIELDS if not f.default) + (WORDS_FIELD,)
# Word positions are kept where the search gives proximity bonuses, so a bonus can be
# confirmed without walking Whoosh's span matchers.
POSITION_FIELDS = tuple(PHRASE_BOOSTS)
SUFFIX = ".nfpostings"
DECODED_KEPT = 200_000  # distinct encoded position lists remembered while writing
MAGIC = b"NFPOST5\n"  # bumped whenever the arrays change; an older file is written anew
ALIGN = 64


def postings_path(build: Path, segment) -> Path:
    return Path(build) / f"{segment.segment_id()}{SUFFIX}"


def write_missing_postings(ix, build: Path, verify: bool = True) -> int:
    """Write the arrays of every segment of the latest generation that has none yet, or (with
    ``verify``, as a reindex does before it publishes) whose file is damaged: they are made
    again from the segment, so no damaged array file outlives the next reindex."""
    written = 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            path = postings_path(build, leaf.segment())
            if not is_current(path) or (verify and damage(path)):
                write_arrays(path, segment_arrays(leaf))
                written += 1
    return written


def damage(path: Path) -> str | None:
    """What is wrong with a postings file (size, checksum), or None when it is whole."""
    try:
        read_arrays(path, verify=True)
    except (OSError, ValueError) as exc:
        return str(exc)
    return None


def is_current(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def segment_arrays(reader) -> dict[str, np.ndarray]:
    """The arrays of a finished segment, read back from its postings (for a segment whose
    writer did not make them, indexer/whoosh_internals/posting_blocks.py)."""
    size = reader.doc_count_all()
    arrays = ArraysBuilder(reader.schema)
    for field in FIELDS:
        if field in reader.schema:
            for text, matcher in field_matchers(reader, field):
                ids, weights, values = term_postings(field, matcher)
                arrays.add(field, text, ids, weights, arrays.positions(field, values))
    return arrays.arrays(size, lambda name: (reader.doc_field_length(n, name) or 0 for n in range(size)))


class ArraysBuilder:
    """Per field: the sorted terms, and per term a slice of (document, frequency) pairs (and
    for titles and excerpts, each posting's word positions). Filled term by term, in term
    order: by Whoosh's field writer as it writes a segment (indexer/whoosh_internals/posting_blocks.py), or from a
    finished segment's postings (``segment_arrays``)."""

    def __init__(self, schema):
        self.schema = schema
        self.fields: dict[str, dict[str, list]] = {}
        # Encoded positions -> their list: most postings hold one early position, so a few
        # thousand encodings cover millions of postings, each decoded by a Python call.
        self.decoded: dict[bytes, list[int]] = {}

    def add(self, fieldname: str, text: bytes, docs, weights, positions: list | None = None) -> None:
        """One term's postings; ``positions`` holds each posting's word positions."""
        field = self.fields.setdefault(fieldname, empty_field())
        field["terms"].append(text)
        field["counts"].append(len(docs))
        field["docs"].extend(docs)
        field["weights"].extend(weights)
        if positions:
            field["positions"].extend(chain.from_iterable(positions))
            field["position_counts"].extend(map(len, positions))

    def add_term(self, fieldname: str, text: bytes, docs, weights, values) -> None:
        """One term's postings as Whoosh's pool has them, a column each (values: encoded)."""
        if fieldname in FIELDS:
            self.add(fieldname, text, docs, weights, self.positions(fieldname, values))

    def positions(self, fieldname: str, values: list[bytes] | None) -> list[list[int]] | None:
        """Each posting's word positions from its encoded value (None for a field without)."""
        if values is None or fieldname not in POSITION_FIELDS:
            return None
        if len(self.decoded) > DECODED_KEPT:
            self.decoded.clear()
        known, decode = self.decoded, self.schema[fieldname].format.decode_positions
        return [known.get(value) or known.setdefault(value, decode(value)) for value in values]

    def arrays(self, size: int, field_lengths) -> dict[str, np.ndarray]:
        """Every field's arrays; ``field_lengths(name)`` gives a field's per-document lengths."""
        arrays: dict[str, np.ndarray] = {}
        for name in FIELDS:
            if name not in self.schema:
                continue
            field = self.fields.get(name) or empty_field()
            if name in POSITION_FIELDS:
                arrays[f"{name}.pos_indptr"] = compact(np.cumsum([0] + field["position_counts"], dtype=np.int64))
                arrays[f"{name}.positions"] = compact(np.asarray(field["positions"], dtype=np.int64))
            terms = field["terms"]
            arrays.update({
                f"{name}.terms": np.frombuffer(b"".join(terms), dtype=np.uint8),
                f"{name}.term_offsets": np.cumsum([0] + [len(t) for t in terms], dtype=np.int64),
                f"{name}.indptr": compact(np.cumsum([0] + field["counts"], dtype=np.int64)),
                f"{name}.docs": np.asarray(field["docs"], dtype=np.int32),
                f"{name}.freqs": compact(np.asarray(field["weights"], dtype=np.float32)) if terms else np.zeros(0, np.uint8),
                f"{name}.lengths": np.fromiter(field_lengths(name), np.float64, size),
            })
        return arrays


def empty_field() -> dict[str, list]:
    return {"terms": [], "counts": [], "docs": [], "weights": [], "positions": [], "position_counts": []}


def compact(values: np.ndarray) -> np.ndarray:
    """The narrowest unsigned integer type that holds every value (term frequencies are
    mostly 1-3, positions within an excerpt below 256): the arrays a search touches are a
    worker's largest share of resident memory. Fractional weights stay 32-bit floats.
    Readers widen before any arithmetic (SegmentPostings.positions_in), so no sum can wrap around."""
    if values.dtype.kind == "f" and not np.array_equal(values, np.floor(values)):
        return values.astype(np.float32)
    if len(values) and values.min() < 0:
        return values.astype(np.int64)
    top = int(values.max()) if len(values) else 0
    for kind in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(kind).max:
            return values.astype(kind)
    return values.astype(np.uint64)


def term_postings(field: str, matcher) -> tuple[list[int], list[float], list[bytes] | None]:
    """All postings of one term's matcher, read a block at a time: documents, weights and,
    for the fields that keep positions, each posting's encoded value (decoded by
    ArraysBuilder.positions, once per distinct encoding)."""
    ids, weights, values = [], [], [] if field in POSITION_FIELDS else None
    while matcher.is_active():
        # A block holds up to 128 postings; reading it whole skips Whoosh's per-posting calls.
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        if values is not None:
            matcher._read_values()
            values.extend(matcher._values)
        matcher._next_block()
    return ids, weights, values


def field_matchers(leaf, fieldname: str):
    """(term, matcher over its postings) for every term of a field in one segment, in term
    order, deleted documents included. The terms' records are read in one sequential pass
    and each matcher made straight from its record: looking each term up in Whoosh's hashed
    term table touches pages all over it (memory each worker keeps) and costs a lookup per
    term."""
    fieldformat = leaf.schema[fieldname].format
    for text, info in leaf.iter_field(fieldname):
        yield text, leaf._codec.postings_reader(leaf._terms._postfile, info, fieldformat)


def field_postings(leaf, fieldname: str):
    """(term, document numbers) of every term of a field in one segment (field_matchers)."""
    for text, matcher in field_matchers(leaf, fieldname):
        yield text, posting_ids(matcher)


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically: a reader sees the whole file or none. The header holds the file's
    size and a CRC-32 of the arrays' bytes, so damage is found (checksum_of)."""
    header, offset = {}, 0
    arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    for name, array in arrays.items():
        offset = -(-offset // ALIGN) * ALIGN
        header[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += array.nbytes
    meta = {"arrays": header, "checksum": checksum_of(arrays.values())}
    head = json.dumps(meta).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + 16 + len(head)) // ALIGN) * ALIGN
    temporary = path.with_name(f".{path.name}.tmp")  # Whoosh's clean-up skips dot files
    with open(temporary, "wb") as out:
        out.write(MAGIC + struct.pack("<QQ", len(head), start + offset) + head)
        for name, array in arrays.items():
            out.seek(start + header[name]["offset"])
            out.write(array.data)
        out.truncate(start + offset)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def checksum_of(arrays) -> int:
    crc = 0
    for array in arrays:
        if array.nbytes:
            crc = zlib.crc32(array.data.cast("B") if array.ndim else array.tobytes(), crc)
    return crc


def read_arrays(path: Path, verify: bool = False) -> dict[str, np.ndarray]:
    """Map the arrays of one file read-only; pages are shared by every worker reading it.
    Its size is checked always; its checksum with ``verify`` (that reads every page)."""
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path} is not a newsfinder postings file")
        length, size = struct.unpack("<QQ", handle.read(16))
        try:
            meta = json.loads(handle.read(length))
            header, expected = meta["arrays"], meta["checksum"]
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path} has a damaged header") from None
        if os.fstat(handle.fileno()).st_size != size:
            raise ValueError(f"{path} is {os.fstat(handle.fileno()).st_size} bytes long, {size} were written")
    start = -(-(len(MAGIC) + 8 + 16 + length) // ALIGN) * ALIGN
    arrays = {}
    for name, spec in header.items():
        shape = tuple(spec["shape"])
        if 0 in shape:
            arrays[name] = np.zeros(shape, dtype=spec["dtype"])
        else:
            mapped = np.memmap(path, dtype=spec["dtype"], mode="r", offset=start + spec["offset"], shape=shape)
            arrays[name] = np.asarray(mapped)  # a plain view: memmap's own slicing costs microseconds
    if verify and checksum_of(arrays.values()) != expected:
        raise ValueError(f"{path} is damaged: its checksum does not match its arrays")
    return arrays


class TermRows:
    """A field's term -> row lookup over the file's own sorted term bytes.

    A dict of every term held a Python bytes object and a dict entry per term in each worker,
    the largest share of a worker's private memory on a long vocabulary. Here each term costs
    eight bytes: its first eight bytes as a big-endian number, which sorts as the terms do, so a
    binary search finds the few candidates and the file's bytes confirm one. Terms already
    looked up are kept in a small dict, as most queries reuse common words."""

    KEPT = 20_000

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets
        self.keys = prefix_keys(blob, offsets)
        self.found: dict[bytes, int | None] = {}
        if len(self.keys) > 1 and not (self.keys[1:] >= self.keys[:-1]).all():
            raise ValueError("the terms of a posting file are not sorted")

    def get(self, text: bytes, default=None) -> int | None:
        row = self.found.get(text, -1)
        if row == -1:
            row = self.search(text)
            if len(self.found) >= self.KEPT:
                self.found.clear()
            self.found[text] = row
        return default if row is None else row

    def __contains__(self, text: bytes) -> bool:
        return self.get(text) is not None

    def __len__(self) -> int:
        return len(self.keys)

    def search(self, text: bytes) -> int | None:
        key = int.from_bytes(text[:8].ljust(8, b"\0"), "big")
        keys, offsets, blob = self.keys, self.offsets, self.blob
        row = int(keys.searchsorted(np.uint64(key)))
        while row < len(keys) and int(keys[row]) == key:
            start, end = offsets[row : row + 2].tolist()
            if end - start == len(text) and blob[start:end].tobytes() == text:
                return row
            row += 1
        return None


def prefix_keys(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Each term's first eight bytes (zero-padded) as a big-endian unsigned number."""
    starts, ends = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    at = starts[:, None] + np.arange(8)
    inside = at < ends[:, None]
    gathered = np.where(inside, blob[np.minimum(at, max(len(blob) - 1, 0))] if len(blob) else 0, 0).astype(np.uint8)
    return gathered.view(">u8").ravel().astype(np.uint64)


class SegmentPostings:
    """One segment's posting arrays, with a term -> row lookup per field."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self.norms: dict[tuple, np.ndarray] = {}  # per field and statistics, see length_norms
        self.idfs: dict[tuple, float] = {}
        self.rows: dict[str, TermRows] = {}
        for name in FIELDS:
            if f"{name}.indptr" in arrays:
                self.rows[name] = TermRows(arrays[f"{name}.terms"], arrays[f"{name}.term_offsets"])

    @classmethod
    def load(cls, build_dir, segment) -> SegmentPostings | None:
        path = postings_path(build_dir, segment)
        try:
            return cls(read_arrays(path))
        except (OSError, ValueError):
            return None  # not written yet (or unreadable): this segment is scored by Whoosh

    def term(self, name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        row = self.rows[name].get(text)
        if row is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        start, end = self.arrays[f"{name}.indptr"][row : row + 2]
        return self.arrays[f"{name}.docs"][start:end], self.arrays[f"{name}.freqs"][start:end]

    def lengths(self, name: str) -> np.ndarray:
        return self.arrays[f"{name}.lengths"]

    def doc_frequency(self, name: str, text: bytes) -> int:
        """Postings of the term, deleted documents included: Whoosh's document frequency."""
        row = self.rows[name].get(text)
        return 0 if row is None else int(self.arrays[f"{name}.indptr"][row + 1]) - int(self.arrays[f"{name}.indptr"][row])

    def has_positions(self, name: str) -> bool:
        return f"{name}.positions" in self.arrays

    def positions_in(self, name: str, text: bytes, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document, position) pairs of the term in the field of each of ``docs`` (sorted)."""
        row = self.rows[name].get(text)
        if row is None or not len(docs):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        start, end = self.arrays[f"{name}.indptr"][row : row + 2]
        term_docs = self.arrays[f"{name}.docs"][start:end]
        has, at = sorted_lookup(term_docs, docs)
        postings = start + at[has]
        # Widened first: the file keeps the narrowest type (indexer/postings.py compact).
        first = self.arrays[f"{name}.pos_indptr"][postings].astype(np.int64)
        counts = self.arrays[f"{name}.pos_indptr"][postings + 1].astype(np.int64) - first
        return np.repeat(docs[has], counts), self.arrays[f"{name}.positions"][slices(first, counts)].astype(np.int64)


class MergedPostings:
    """All segments' arrays seen as one, with global document numbers.

    A search pays Python overhead per term and per segment; an index updated a few times
    has small segments beside big ones, and each cost as much as a big one. Merged, every
    term is scored once over the whole collection (same statistics, same arithmetic).
    Positions stay with the segments: phrases are confirmed segment by segment."""

    def __init__(self, parts: list[tuple[SegmentPostings, int]]):
        self.parts = parts
        self.norms: dict[tuple, np.ndarray] = {}
        self.idfs: dict[tuple, float] = {}
        self.rows = {name: True for name in FIELDS if all(name in p.rows for p, _ in parts)}
        self._lengths: dict[str, np.ndarray] = {}

    def term(self, name: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        found = [(docs, freqs, offset) for postings, offset in self.parts
                 for docs, freqs in [postings.term(name, text)] if len(docs)]
        if len(found) == 1:
            docs, freqs, offset = found[0]
            return (docs + offset if offset else docs), freqs
        if not found:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        # int32 like a segment's own: half the bytes to copy for a common word
        return (np.concatenate([docs + np.int32(offset) for docs, _, offset in found]),
                np.concatenate([freqs for _, freqs, _ in found]))

    def doc_frequency(self, name: str, text: bytes) -> int:
        return sum(postings.doc_frequency(name, text) for postings, _ in self.parts)

    def lengths(self, name: str) -> np.ndarray:
        if name not in self._lengths:
            self._lengths[name] = np.concatenate([p.lengths(name) for p, _ in self.parts])
        return self._lengths[name]


def merged_view(segments: list[SegmentPostings], offsets: list[int]) -> SegmentPostings | MergedPostings:
    """One segment's arrays as they are, several seen as one."""
    if len(segments) == 1:
        return segments[0]
    return MergedPostings(list(zip(segments, offsets)))


def slices(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indexes of the slices [start, start + count) one after another (CSR rows)."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)


def sorted_lookup(haystack: np.ndarray, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per needle, whether the sorted ``haystack`` holds it, and where it is (or would be)."""
    at = np.searchsorted(haystack, needles)
    found = at < len(haystack)
    found[found] = haystack[at[found]] == needles[found]
    return found, at
