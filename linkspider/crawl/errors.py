"""The download errors of linkspider's bounded HTTP handler (``linkspider.crawl.downloader``),
in a module of their own: reading them (``linkspider.crawl.failures``) does not import Scrapy's
HTTP handler, whose import costs a process about 0.4 s (``linkspider extract`` downloads nothing).
"""

from __future__ import annotations

from twisted.web.http import _DataLoss


class ResponseHeadersTooLarge(Exception):
    """The status line and headers of a response passed the header byte limit."""

    def __init__(self, status: int | None, received: int, limit: int) -> None:
        self.status = status
        super().__init__(
            f"response headers passed LINKSPIDER_MAX_HEADER_BYTES ({limit:,} bytes; "
            f"{received:,} received before the download was refused); raise the setting to "
            "accept such responses"
        )


class ShortBody(_DataLoss):
    """The connection closed before the body reached its announced Content-Length."""

    def __init__(self, status: int | None, announced: int, received: int) -> None:
        self.status = status
        super().__init__(
            f"the server announced Content-Length {announced:,} and closed the connection "
            f"after {received:,} bytes of body; set DOWNLOAD_FAIL_ON_DATALOSS=False to keep "
            "such truncated pages (flagged partial)"
        )
