"""Reading a term's documents a posting block at a time.

Whoosh's matchers hand out one document number per call (``all_ids`` is a generator over
``id()`` and ``next()``, several Python calls a posting), and a server start reads every
posting of the facet fields that way. Whoosh 2.7.4's leaf matcher (``W3LeafMatcher``)
decodes a whole block when it is first asked for an id: the block's ids are in ``_data[0]``,
delta-encoded unless ``_byteids`` (term vectors), and ``_next_block`` moves to the next
one. Those blocks are read here and their deltas summed with NumPy; any other matcher is
read Whoosh's way.
"""

from __future__ import annotations

import numpy as np
from whoosh.codec import whoosh3


def posting_ids(matcher) -> np.ndarray:
    """Every document number of ``matcher``'s term, in order."""
    if type(matcher) is not whoosh3.W3LeafMatcher or matcher._byteids:
        return np.fromiter(matcher.all_ids(), dtype=np.int64)
    blocks = []
    while not matcher._atend and matcher._blocklength:
        if matcher._data is None:
            matcher._read_data()
        blocks.append(np.cumsum(np.asarray(matcher._data[0], dtype=np.int64)))
        matcher._next_block()
    return np.concatenate(blocks) if blocks else np.zeros(0, np.int64)
