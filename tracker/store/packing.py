"""Version texts and archived pages packed small: zstd frames, whole or against a neighbour.

No SQL here, only the codec. A delta is a zstd frame compressed with the neighbouring version's
bytes as a raw-content dictionary (zstd's "prefix"), so everything the two versions share costs
a few bytes of back-reference; decoding needs that neighbour's bytes, and nothing else. Measured
on the corpus histories (tests/edits.py), docs/SCHEMA.md says why this layout won.
"""

from __future__ import annotations

import zstandard

MAX_RUN = 32
"""The most deltas between two whole copies: reading any version decodes at most this many."""
TEXT_LEVEL = 9
RAW_LEVEL = 3  # archived pages are 100+ KB: a higher level costs milliseconds for a few bytes


def pack(data: bytes, base: bytes | None, level: int) -> bytes:
    """A zstd frame of `data`, against `base` when given (a delta), whole otherwise."""
    if not base:
        return zstandard.ZstdCompressor(level=level, write_checksum=False).compress(data)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    compressor = zstandard.ZstdCompressor(
        level=level, dict_data=dictionary, write_checksum=False, write_dict_id=False
    )
    return compressor.compress(data)


def unpack(blob: bytes, base: bytes | None) -> bytes:
    """The bytes `pack(data, base, level)` was given."""
    if not base:
        return zstandard.ZstdDecompressor().decompress(blob)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(blob)


def keyframes(count: int) -> list[bool]:
    """Which of `count` versions (oldest first) are whole copies when versions are appended one
    by one: every (MAX_RUN + 1)th, and the newest (kept plain or whole by its caller)."""
    return [(i + 1) % (MAX_RUN + 1) == 0 or i == count - 1 for i in range(count)]
