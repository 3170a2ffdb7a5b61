"""``RobotsTxtMiddleware``: Scrapy's, with robots.txt obeyed by every request that waits for it.

In Scrapy 2.13+ (scrapy/scrapy#6802) each request that arrives while a host's robots.txt is
still downloading awaits the same Deferred through ``Deferred.asFuture``, whose callback
returns None: the first waiter gets the parser, every later one gets None and is let through
unchecked. A crawl whose first requests to a host come in a burst (several seeds of one site,
a resumed run's rebuilt frontier) fetched disallowed pages. Here each waiter gets the result
through its own Deferred, as Scrapy did before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.robotstxt import RobotParser


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware; every request waiting for a host's robots.txt is checked."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            waiter: Deferred = Deferred()

            def relay(result: RobotParser | None) -> RobotParser | None:
                waiter.callback(result)
                return result  # keep the result for the waiters after this one

            pending.addCallback(relay)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)
