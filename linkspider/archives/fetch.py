"""``Fetch``: one request and the response it got, as plain data, between crawl and archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

#: An HTTP header as text: (name, value).
Header = tuple[str, str]


@dataclass(frozen=True)
class Fetch:
    """One request and the response it got (what the WARC middleware hands to the writer)."""

    url: str
    method: str
    request_headers: list[Header]
    request_body: bytes
    protocol: str | None
    status: int
    response_headers: list[Header]
    body: bytes
    ip_address: str | None = None
    #: ``WARC-Truncated`` reason when the body is not whole (``disconnect``: the connection
    #: closed early and ``DOWNLOAD_FAIL_ON_DATALOSS`` is off)
    truncated: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
