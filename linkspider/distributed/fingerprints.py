"""8-byte fingerprints and the buckets that keep them compact in Redis.

A fingerprint is the 8-byte BLAKE2b digest of a URL (as ``pipelines.dedupe.page_key``), stored
as a signed 64-bit integer. Redis keeps a set of at most ``set-max-intset-entries`` (512 by
default) integers as an *intset*: 8 bytes per member. So each seen-set is split into
``buckets`` small sets by the fingerprint's low bits; with about 256 members per bucket they
stay intsets (``bench/workers.py`` measures the bytes per URL with ``MEMORY USAGE``).

>>> fingerprint("http://a.example/")
4217531930129133507
>>> bucket_of(4217531930129133507, 4096)
4035
"""

from __future__ import annotations

import hashlib

#: Members per bucket aimed at when sizing the buckets: half of Redis's intset limit (512).
MEMBERS_PER_BUCKET = 256


def fingerprint(text: str) -> int:
    """Return the 8-byte digest of ``text`` as a signed 64-bit integer."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def bucket_of(value: int, buckets: int) -> int:
    """Return the bucket (0 .. buckets-1, a power of two) of a fingerprint."""
    return value & (buckets - 1)


def buckets_for(expected_urls: int) -> int:
    """Return the power-of-two bucket count for about ``expected_urls`` fingerprints.

    >>> buckets_for(1_000_000)
    4096
    """
    buckets = 1
    while buckets * MEMBERS_PER_BUCKET < expected_urls:
        buckets *= 2
    return buckets
