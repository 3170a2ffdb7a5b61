"""Queue entries: the JSON a request is stored as in Redis, and the strict reader of it.

Scrapy-redis pickles requests by default, so whoever can write to the Redis can run code in
every worker. Here an entry is data of one fixed shape; what does not decode to it (a pickle,
other JSON, bytes that are not UTF-8) is refused by ``decode_entry`` and never executed.

>>> encode_entry("http://a.example/", depth=1, hops=0, verbatim=True)
b'{"url":"http://a.example/","depth":1,"hops":0,"verbatim":true}'
>>> decode_entry(b'{"url":"http://a.example/","depth":1,"hops":0,"verbatim":true}')
Entry(url='http://a.example/', depth=1, hops=0, verbatim=True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: The fields of an entry and their types; nothing else is accepted.
ENTRY_FIELDS = {"url": str, "depth": int, "hops": int, "verbatim": bool}
#: An entry longer than this is refused (URLs are capped far below by browsers and servers).
MAX_ENTRY_BYTES = 16 * 1024


class InvalidEntry(ValueError):
    """A queue entry that is not a linkspider JSON request; the message says what it is."""


@dataclass(frozen=True)
class Entry:
    """One request of the shared frontier."""

    url: str
    depth: int
    hops: int
    verbatim: bool


def encode_entry(url: str, depth: int, hops: int, verbatim: bool) -> bytes:
    """Return the JSON bytes of an entry (compact, fields in schema order)."""
    value = {"url": url, "depth": depth, "hops": hops, "verbatim": verbatim}
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def describe_bytes(raw: bytes) -> str:
    """Return a short description of bytes that are not an entry (for the refusal log line)."""
    if raw[:1] == b"\x80":
        return f"a Python pickle (protocol {raw[1] if len(raw) > 1 else '?'})"
    return f"{len(raw)} bytes starting {raw[:24]!r}"


def decode_entry(raw: bytes | str) -> Entry:
    """Return the entry that ``raw`` encodes, or raise ``InvalidEntry``."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if len(raw) > MAX_ENTRY_BYTES:
        raise InvalidEntry(f"{len(raw)} bytes, more than {MAX_ENTRY_BYTES}")
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidEntry(f"not JSON: {describe_bytes(raw)}") from None
    if not isinstance(value, dict) or set(value) != set(ENTRY_FIELDS):
        keys = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise InvalidEntry(f"JSON of another shape ({keys}); expected {sorted(ENTRY_FIELDS)}")
    for name, kind in ENTRY_FIELDS.items():
        field_value = value[name]
        if type(field_value) is not kind:  # bool is an int subclass: compare types exactly
            raise InvalidEntry(f"{name} is {field_value!r}, not {kind.__name__}")
    url = value["url"]
    if not url.startswith(("http://", "https://")):
        raise InvalidEntry(f"url {url[:80]!r} is not http(s)")
    if value["depth"] < 0 or value["hops"] < 0:
        raise InvalidEntry("depth and hops must not be negative")
    return Entry(url, value["depth"], value["hops"], value["verbatim"])
