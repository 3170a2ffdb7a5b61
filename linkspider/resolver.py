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
                raise DNSLookupError(
                    f"{name} resolves to {address}, which is not a public address; pass "
                    "--allow-private-addresses to crawl private networks"
                )
            return address

        return result.addCallback(check)
