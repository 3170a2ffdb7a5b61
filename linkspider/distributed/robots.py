"""``SharedRobotsTxtMiddleware``: robots.txt fetched once per host for the whole distributed
run, not once per worker.

The first worker to need a host's robots.txt claims it in Redis (``robots_claim:<host>``, a
key that expires after a lease, in case the worker dies) and fetches it; its body goes to the
run's ``robots`` hash, where every other worker reads and parses it instead of fetching.
Workers that find the claim taken wait for the body. Otherwise it is linkspider's
``RobotsTxtMiddleware`` (every request waiting for a host's robots.txt obeys it). A failed
fetch is not shared: the claim is dropped, and the next worker to need it tries again.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from linkspider.distributed.worker import WorkerState
from linkspider.crawl.robots import RobotsTxtMiddleware

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

#: Seconds between two looks for a robots.txt another worker is fetching.
ROBOTS_POLL_SECONDS = 0.05


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """linkspider's robots.txt middleware with the bodies shared through Redis."""

    state: WorkerState

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRobotsTxtMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.state = WorkerState.for_crawler(crawler)
        return middleware

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = await self._shared_body(netloc)
            if body is not None and netloc not in self._parsers:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
                self._stats.inc_value("linkspider/redis/robots_shared")
        return await super().robot_parser(request)

    async def _shared_body(self, netloc: str) -> bytes | None:
        """Return the host's robots.txt body another worker fetched, or None once this worker
        holds the claim to fetch it."""
        frontier = self.state.frontier
        claim_ms = int(self.state.lease_seconds * 1000)
        while True:
            body = frontier.server.hget(frontier.key("robots"), netloc)
            if body is not None:
                return body
            if netloc in self._parsers:  # this worker's own fetch is under way or done
                return None
            if frontier.server.set(frontier.key(f"robots_claim:{netloc}"), self.state.worker_id,
                                   nx=True, px=claim_ms):  # fmt: skip
                return None
            await asyncio.sleep(ROBOTS_POLL_SECONDS)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        frontier = self.state.frontier
        frontier.server.hset(frontier.key("robots"), netloc, response.body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self.state.frontier.server.delete(self.state.frontier.key(f"robots_claim:{netloc}"))
        super()._robots_error(exc, netloc)
