"""A DNS resolver that refuses host names resolving to non-public addresses.

Installed as Scrapy's ``TWISTED_DNS_RESOLVER``. It is Scrapy's caching host name resolver
(``getaddrinfo``: A and AAAA answers, IPv6 literals), with every address an answer gives
checked before a connection may use it: checking the addresses the connection actually
uses (rather than a separate lookup) also defeats DNS rebinding, and cached answers are
checked again on every use. A name whose every address is refused fails to resolve, with the
reason kept for the page's error. Allowed when ``LINKSPIDER_ALLOW_PRIVATE_ADDRESSES`` is set.

Scrapy's ``DNS_TIMEOUT`` applies only to its IPv4-only resolver, so this one enforces it
itself: a name not resolved within ``DNS_TIMEOUT`` seconds fails (``DNSLookupError``, the
page's error naming the setting); a late answer is dropped (and cached for the next request).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from linkspider.crawl.middlewares import is_public_address

if TYPE_CHECKING:
    from twisted.internet.interfaces import IAddress, IHostResolution


class PublicAddressResolver(CachingHostnameResolver):
    """Scrapy's caching resolver, dropping answers that are not public addresses."""

    allow_private = False
    #: Names refused, with why: Twisted replaces the lookup error's message with a generic one,
    #: so the spider looks the reason up here to tell the user (bounded, oldest dropped).
    refused: dict[str, str] = {}
    #: Names that got no answer within ``DNS_TIMEOUT`` (their last lookup), with why.
    unanswered: dict[str, str] = {}
    REFUSED_KEPT = 10_000

    #: Host of ``LINKSPIDER_PROXY``: the user chose it, so its address is not checked (the
    #: proxy resolves the names it is asked for; literals are checked by the middleware).
    proxy_host: str | None = None
    #: ``DNS_TIMEOUT``: seconds a name may take to resolve (0: no limit).
    dns_timeout: float = 60.0

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicAddressResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("LINKSPIDER_ALLOW_PRIVATE_ADDRESSES")
        proxy = crawler.settings.get("LINKSPIDER_PROXY")
        resolver.proxy_host = urlsplit(proxy).hostname if proxy else None
        resolver.dns_timeout = crawler.settings.getfloat("DNS_TIMEOUT")
        return resolver

    def resolveHostName(self, resolutionReceiver: Any, hostName: str, *args: Any,  # noqa: N802
                        **kwargs: Any) -> IHostResolution:  # fmt: skip
        if not self.allow_private and hostName.strip("[]").lower() != self.proxy_host:
            resolutionReceiver = _PublicOnly(resolutionReceiver, hostName, self)
        if self.dns_timeout > 0:
            resolutionReceiver = _Deadline(resolutionReceiver, hostName, self)
        return super().resolveHostName(resolutionReceiver, hostName, *args, **kwargs)

    def remember_timeout(self, name: str) -> None:
        """Keep that ``name`` got no answer within ``DNS_TIMEOUT``, for the pages' error."""
        self._remember(self.unanswered, name, f"no answer from the DNS resolver for {name} within "
                       f"DNS_TIMEOUT={self.dns_timeout:g} s; check the resolver, or raise DNS_TIMEOUT")

    def remember_refusal(self, name: str, address: str) -> None:
        """Keep why ``name`` was refused, for the error of the pages that asked for it."""
        self._remember(self.refused, name, f"{name} resolves to {address}, which is not a public "
                       "address; pass --allow-private-addresses to crawl private networks")

    def _remember(self, kept: dict[str, str], name: str, reason: str) -> None:
        if len(kept) >= self.REFUSED_KEPT:
            kept.pop(next(iter(kept)))
        kept[name] = reason


@implementer(IResolutionReceiver)
class _Deadline:
    """Complete the resolution, empty, when ``DNS_TIMEOUT`` passes first; drop what comes after."""

    def __init__(self, receiver: Any, name: str, resolver: PublicAddressResolver) -> None:
        self.receiver = receiver
        self.name = name
        self.resolver = resolver
        self.done = False
        self.timer = resolver.reactor.callLater(resolver.dns_timeout, self._expire)

    def _expire(self) -> None:
        if not self.done:
            self.done = True
            self.resolver.remember_timeout(self.name)
            self.receiver.resolutionComplete()

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 (Twisted API)
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802 (Twisted API)
        if not self.done:
            self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:  # noqa: N802 (Twisted API)
        if self.done:
            return
        self.done = True
        if self.timer.active():
            self.timer.cancel()
        self.resolver.unanswered.pop(self.name, None)
        self.receiver.resolutionComplete()


@implementer(IResolutionReceiver)
class _PublicOnly:
    """Pass on the public addresses of an answer; note the refusal of the others."""

    def __init__(self, receiver: Any, name: str, resolver: PublicAddressResolver) -> None:
        self.receiver = receiver
        self.name = name
        self.resolver = resolver
        self.passed = 0
        self.refused_address: str | None = None

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 (Twisted API)
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802 (Twisted API)
        host = getattr(address, "host", "")
        try:
            public = is_public_address(host)
        except ValueError:
            public = False
        if public:
            self.passed += 1
            self.receiver.addressResolved(address)
        elif self.refused_address is None:
            self.refused_address = host

    def resolutionComplete(self) -> None:  # noqa: N802 (Twisted API)
        if not self.passed and self.refused_address is not None:
            self.resolver.remember_refusal(self.name, self.refused_address)
        self.receiver.resolutionComplete()


def refusal_for(host: str | None) -> str | None:
    """Return why the resolver refused ``host`` in this process, or None."""
    return PublicAddressResolver.refused.get((host or "").strip("[]"))


def unanswered_for(host: str | None) -> str | None:
    """Return why ``host``'s last lookup failed in this process when it got no answer within
    ``DNS_TIMEOUT``, or None."""
    return PublicAddressResolver.unanswered.get((host or "").strip("[]"))
