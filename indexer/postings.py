"""NumPy copies of each Whoosh segment's postings, written once per segment at index time.

Whoosh answers a query by walking postings in Python, about a microsecond per posting, so
a word found in most of 100,000 articles costs a tenth of a second per field. The same
postings as flat arrays (document numbers, term frequencies, field lengths) let a search
score whole posting lists with a few vectorised operations (webapp/scoring.py). Titles and
excerpts also keep each posting's word positions, to confirm proximity bonuses.

Whoosh stays the index of record. A file is named after its segment
(``MAIN_<id>.nfpostings``), so Whoosh's own clean-up deletes it together with the segment;
a segment without one (an index written by an older version, or a merge whose arrays are
still being written) is searched the Whoosh way. Deleted documents stay in the arrays, as
they do in Whoosh's postings, and are filtered out at query time.

File layout: 8 magic bytes, an 8-byte little-endian header length, a JSON header naming
each array's dtype, shape and offset, then the arrays, each aligned to 64 bytes, so a
reader maps them without copying.
"""

from __future__ import annotations

import json
import os
import struct
from itertools import chain
from pathlib import Path

import numpy as np

from indexer.schema import TEXT_FIELDS

# provider: is searched by prefix queries too; "words" answers queries made only of stop words
# ("when", "how"), whose every article Whoosh would otherwise walk one by one.
FIELDS = TEXT_FIELDS + ("provider", "words")
# Word positions are kept where the search gives proximity bonuses, so a bonus can be
# confirmed without walking Whoosh's span matchers (webapp/ranking.py PHRASE_BOOSTS).
POSITION_FIELDS = ("title", "excerpt")
SUFFIX = ".nfpostings"
DECODED_KEPT = 200_000  # distinct encoded position lists remembered while writing
MAGIC = b"NFPOST4\n"  # bumped whenever the arrays change; an older file is written anew
ALIGN = 64


def postings_path(build: Path, segment) -> Path:
    return Path(build) / f"{segment.segment_id()}{SUFFIX}"


def write_missing_postings(ix, build: Path) -> int:
    """Write the arrays of every segment of the latest generation that has none yet."""
    written = 0
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            path = postings_path(build, leaf.segment())
            if not is_current(path):
                write_arrays(path, segment_arrays(leaf))
                written += 1
    return written


def is_current(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def segment_arrays(reader) -> dict[str, np.ndarray]:
    """The arrays of a finished segment, read back from its postings (for a segment whose
    writer did not make them, indexer/blocks.py)."""
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
    order: by Whoosh's field writer as it writes a segment (indexer/blocks.py), or from a
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
    Readers widen before any arithmetic (webapp/scoring.py), so no sum can wrap around."""
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
    term table touches pages all over it (15 MB per worker for 387 provider names at 100,000
    articles) and costs a lookup per term."""
    fieldformat = leaf.schema[fieldname].format
    for text, info in leaf.iter_field(fieldname):
        yield text, leaf._codec.postings_reader(leaf._terms._postfile, info, fieldformat)


def field_postings(leaf, fieldname: str):
    """(term, document numbers) of every term of a field in one segment (field_matchers)."""
    for text, matcher in field_matchers(leaf, fieldname):
        yield text, np.fromiter(matcher.all_ids(), dtype=np.int64)


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically: a reader sees the whole file or none."""
    header, offset = {}, 0
    for name, array in arrays.items():
        offset = -(-offset // ALIGN) * ALIGN
        header[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += array.nbytes
    head = json.dumps(header).encode("utf-8")
    start = -(-(len(MAGIC) + 8 + len(head)) // ALIGN) * ALIGN
    temporary = path.with_name(f".{path.name}.tmp")  # Whoosh's clean-up skips dot files
    with open(temporary, "wb") as out:
        out.write(MAGIC + struct.pack("<Q", len(head)) + head)
        for name, array in arrays.items():
            out.seek(start + header[name]["offset"])
            out.write(np.ascontiguousarray(array).tobytes())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Map the arrays of one file read-only; pages are shared by every worker reading it."""
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path} is not a newsfinder postings file")
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    start = -(-(len(MAGIC) + 8 + length) // ALIGN) * ALIGN
    arrays = {}
    for name, spec in header.items():
        shape = tuple(spec["shape"])
        if 0 in shape:
            arrays[name] = np.zeros(shape, dtype=spec["dtype"])
        else:
            mapped = np.memmap(path, dtype=spec["dtype"], mode="r", offset=start + spec["offset"], shape=shape)
            arrays[name] = np.asarray(mapped)  # a plain view: memmap's own slicing costs microseconds
    return arrays
