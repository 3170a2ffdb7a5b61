"""A DNS resolver that refuses host names resolving to non-public addresses.

Installed as Scrapy's ``DNS_RESOLVER``: checking the address the connection actually uses
(rather than a separate lookup) also defeats DNS rebinding. Allowed when
``LINKSPIDER_ALLOW_PRIVATE_ADDRESSES`` is set.
"""

from __future__ import annotations

from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from linkspider.middlewares import is_public_address


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, failing lookups that land on private addresses."""

    allow_private = False
    #: Names refused, with why: Twisted replaces the lookup error's message with a generic one,
    #: so the spider looks the reason up here to tell the user (bounded, oldest dropped).
    refused: dict[str, str] = {}
    REFUSED_KEPT = 10_000

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicAddressResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("LINKSPIDER_ALLOW_PRIVATE_ADDRESSES")
        return resolver

    def getHostByName(self, name: str, timeout: Any = None) -> Any:  # noqa: N802 (Twisted API)
        result = super().getHostByName(name, timeout)
        if self.allow_private:
            return result

        def check(address: str) -> str:
            if not is_public_address(address):
                reason = (
                    f"{name} resolves to {address}, which is not a public address; pass "
                    "--allow-private-addresses to crawl private networks"
                )
                if len(self.refused) >= self.REFUSED_KEPT:
                    self.refused.pop(next(iter(self.refused)))
                self.refused[name] = reason
                raise DNSLookupError(reason)
            return address

        return result.addCallback(check)


def refusal_for(host: str | None) -> str | None:
    """Return why the resolver refused ``host`` in this process, or None."""
    return PublicAddressResolver.refused.get(host or "")
