"""Reading a Whoosh column for every document at once.

Whoosh's column readers hand out one value per call, through several Python layers, and the
id, fingerprint, publication and quality columns are read whole at every reindex and every
server start. The two column formats the schema uses are plain: Whoosh 2.7.4 writes a
NumericColumn as an array of big-endian numbers (documents past its end have the default)
and a VarBytesColumn as the values end to end, with their lengths and offsets after them. Those are read here with one slice per segment; any other reader
(an empty column, a format Whoosh may add) is read Whoosh's way.
"""

from __future__ import annotations

import numpy as np
from whoosh import columns as whoosh_columns

# struct's standard sizes ("!" order) as NumPy types
NUMPY_TYPES = {"B": ">u1", "H": ">u2", "I": ">u4", "L": ">u4", "Q": ">u8",
               "b": ">i1", "h": ">i2", "i": ">i4", "l": ">i4", "q": ">i8", "f": ">f4", "d": ">f8"}


def column_strings(reader, name: str) -> list[str]:
    """The text of a string column (an ID field's) for every document number."""
    values: list[str] = []
    for leaf, _ in reader.leaf_readers():
        raw = leaf.column_reader(name, translate=False)
        if type(raw) is whoosh_columns.VarBytesColumn.Reader:
            values.extend(var_bytes_strings(raw))
        else:
            values.extend(leaf.column_reader(name, translate=True))
    return values


def var_bytes_strings(raw) -> list[str]:
    lengths, offsets = raw._lengths, raw._offsets
    if not len(lengths):
        return []
    blob = raw._dbfile.get(raw._basepos, offsets[-1] + lengths[-1])
    if blob.isascii():  # one decoding, then str slices (offsets count bytes, which are characters here)
        text = blob.decode("ascii")
        return [text[start:start + length] for start, length in zip(offsets, lengths)]
    return [blob[start:start + length].decode("utf-8") for start, length in zip(offsets, lengths)]


def column_numbers(reader, name: str) -> np.ndarray:
    """The stored (sortable) form of a numeric column for every document number, as Whoosh
    keeps it: unsigned integers as themselves, dates as microseconds since year 1."""
    column = reader.schema[name].column_type
    # every segment's part in the column's own type: mixed types would be promoted to floats
    dtype = np.dtype(NUMPY_TYPES[column._typecode]).newbyteorder("=") \
        if isinstance(column, whoosh_columns.NumericColumn) and column._typecode in NUMPY_TYPES else None
    parts = []
    for leaf, _ in reader.leaf_readers():
        raw = leaf.column_reader(name, translate=False)
        if type(raw) is whoosh_columns.NumericColumn.Reader and raw._typecode in NUMPY_TYPES:
            parts.append(numeric_array(raw))
        else:  # a segment without the column (EmptyColumnReader: the default for each document)
            parts.append(np.array(list(raw), dtype=dtype))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype or np.uint64)


def numeric_array(raw) -> np.ndarray:
    dtype = np.dtype(NUMPY_TYPES[raw._typecode])
    count = min(raw._count, raw._doccount)
    values = np.frombuffer(raw._dbfile.get(raw._basepos, count * dtype.itemsize), dtype=dtype)
    result = np.full(raw._doccount, raw._default, dtype=dtype.newbyteorder("="))
    result[:count] = values
    return result
