"""What a failed fetch says on its ``pages`` row: the error text, the status, the drop reason.

Scrapy and Twisted report many failures with an empty message (``DownloadCancelledError``,
``ResponseDataLossError``) or bury the cause in ``ResponseFailed.reasons`` and ``__cause__``;
these functions dig it out and say what happened and what to do, and keep the HTTP status
whenever the server sent one (a compression bomb is a 200 refused after the fact).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from linkspider.crawl.errors import ResponseHeadersTooLarge, ShortBody
from linkspider.crawl.resolver import refusal_for, unanswered_for
from linkspider.urls.normalize import url_host

if TYPE_CHECKING:
    from twisted.python.failure import Failure

#: What a name that did not resolve fails with: Twisted's error, or Scrapy's (2.13+) wrapping it.
DNS_FAILURES = ("DNSLookupError", "CannotResolveHostError")
#: Scrapy's messages naming the response they ignored: "Ignored response <200 http://...>".
_IGNORED_RESPONSE = re.compile(r"Ignored response <(\d{3}) ")


def causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc``, then what caused it: ``__cause__`` chains and the failures a Twisted
    ``ResponseFailed`` or ``ResponseNeverReceived`` holds in ``reasons``, depth first."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for reason in reversed(getattr(current, "reasons", None) or ()):
            value = getattr(reason, "value", None)
            if isinstance(value, BaseException):
                stack.append(value)
        if current.__cause__ is not None:
            stack.append(current.__cause__)


def failure_status(failure: Failure) -> int | None:
    """Return the HTTP status the server sent before the fetch failed, or None if none."""
    exc = failure.value
    response = getattr(exc, "response", None)
    if response is not None and isinstance(getattr(response, "status", None), int):
        return response.status
    for cause in causes(exc):
        status = getattr(cause, "status", None)
        if isinstance(status, int) and isinstance(cause, (ResponseHeadersTooLarge, ShortBody)):
            return status
    match = _IGNORED_RESPONSE.search(str(exc))
    return int(match.group(1)) if match else None


def drop_reason(failure: Failure) -> str | None:
    """Return the ``drop_reason`` of a failure a limit caused, or None for other failures."""
    exc = failure.value
    for cause in causes(exc):
        if isinstance(cause, ResponseHeadersTooLarge):
            return "headers_too_large"
        if isinstance(cause, ShortBody):
            return "short_body"
    message = str(exc).lower()
    if "maxsize" in message or "max size" in message or _is_bare_cancel(exc):
        return "body_too_large"
    return None


def describe_failure(failure: Failure, url: str, *, maxsize: int | None = None,
                     stopping: bool = False) -> str:  # fmt: skip
    """Return a one-line description of why fetching ``url`` failed, and what to do.

    ``maxsize`` is ``DOWNLOAD_MAXSIZE``; ``stopping`` says the crawl was being stopped (a
    cancelled download is then not a size limit).
    """
    exc = failure.value
    name = type(exc).__name__
    message = str(exc).strip() or name
    refused = refusal_for(url_host(url))
    if refused is not None:
        return f"refused {url}: {refused}"
    unanswered = unanswered_for(url_host(url)) if name in DNS_FAILURES else None
    if unanswered is not None:
        return f"{name}: {unanswered}"
    for cause in causes(exc):
        if isinstance(cause, ResponseHeadersTooLarge):
            return f"ResponseHeadersTooLarge: {url}: {cause}"
        if isinstance(cause, ShortBody):
            return f"ResponseDataLossError: {url}: {cause}"
    if name == "IgnoreRequest" and "robots.txt" in message.lower():
        return f"{name}: disallowed by robots.txt"
    if "max size" in message.lower() or "maxsize" in message.lower():
        return (f"{name}: {message} Raise DOWNLOAD_MAXSIZE (-s DOWNLOAD_MAXSIZE=BYTES) to "
                "keep such pages.")  # fmt: skip
    if _is_bare_cancel(exc):
        if stopping:
            return f"{name}: the download of {url} was cancelled because the crawl was stopping"
        limit = f" ({maxsize:,} bytes)" if maxsize else ""
        return (f"{name}: the body of {url} grew past DOWNLOAD_MAXSIZE{limit} and the download "
                "was cancelled (the server sent no Content-Length to refuse it by). Raise "
                "DOWNLOAD_MAXSIZE (-s DOWNLOAD_MAXSIZE=BYTES) to keep such pages.")  # fmt: skip
    if name == "ResponseDataLossError":
        return (f"{name}: the connection closed before the whole body of {url} arrived; set "
                "DOWNLOAD_FAIL_ON_DATALOSS=False to keep such truncated pages (flagged partial)")
    if "max redirections" in message.lower():
        return f"redirect loop or too many redirects at {url}"
    return f"{name}: {message}"


def _is_bare_cancel(exc: Any) -> bool:
    """Return True for the message-less cancel Scrapy raises when a body passes
    DOWNLOAD_MAXSIZE without a Content-Length (or when a download is cancelled)."""
    return type(exc).__name__ in ("DownloadCancelledError", "CancelledError") and not str(exc).strip()
