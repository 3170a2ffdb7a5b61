"""``SharedPolitenessMiddleware``: at most the per-host limit of requests in flight to a host,
across every worker of a distributed run.

A request popped from the frontier already holds a permit of its host (taken by the pop,
atomically; ``linkspider.distributed.frontier``). Any other request (robots.txt, a redirect to
another host) takes one here, waiting until one is free. A robots.txt request borrows the
permit of a request of the same host that waits for it, or a limit of 1 would deadlock.
The permit is given back when the download ends, whatever the outcome. Installed last in
``DOWNLOADER_MIDDLEWARES`` (950), so it runs right before the download.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

from linkspider.distributed.scheduler import PERMIT_META
from linkspider.distributed.worker import WorkerState
from linkspider.urls.normalize import url_host

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

#: Request meta: the token of a permit lent to this request by one waiting for it.
BORROWED_META = "linkspider_borrowed_permit"
#: Seconds between two tries to take a permit.
PERMIT_POLL_SECONDS = 0.02


class SharedPolitenessMiddleware:
    """Hold a per-host permit for each download (see module doc)."""

    def __init__(self, state: WorkerState) -> None:
        self.state = state
        self._tokens = itertools.count()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        return cls(WorkerState.for_crawler(crawler))

    async def process_request(self, request: Request, spider: Any = None) -> None:
        state = self.state
        permit = request.meta.get(PERMIT_META)
        if permit is not None:
            host, token = permit
            while token in state.borrowed:  # lent to its robots.txt request
                await asyncio.sleep(PERMIT_POLL_SECONDS)
            state.reserved.get(host, set()).discard(token)
            return None
        host = url_host(request.url) or ""
        for token in state.reserved.get(host, ()):
            if token not in state.borrowed:
                state.borrowed.add(token)
                request.meta[BORROWED_META] = token
                return None
        token = f"{state.worker_id}:{next(self._tokens)}"
        while not state.frontier.acquire(host, token, state.lease_seconds, state.host_limit):
            await asyncio.sleep(PERMIT_POLL_SECONDS)
        state.take_permit(host, token, reserved=False)
        request.meta[PERMIT_META] = [host, token]
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self._release(request)
        return None

    def _release(self, request: Request) -> None:
        """Give back the request's permit (its redirect or retry copy must take its own)."""
        borrowed = request.meta.pop(BORROWED_META, None)
        if borrowed is not None:
            self.state.borrowed.discard(borrowed)
        permit = request.meta.pop(PERMIT_META, None)
        if permit is not None:
            host, token = permit
            self.state.drop_permit(token)
            self.state.frontier.release_permit(host, token)
