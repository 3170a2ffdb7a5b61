"""Downloader middlewares: the proxy every request goes through, and private-address refusal.

``LocalProxyMiddleware`` sends every request, robots.txt included, through ``LINKSPIDER_PROXY``
(how a crawl reaches the project's local web). ``PrivateAddressMiddleware`` refuses URLs whose
host is a loopback, private, link-local or otherwise non-public IP literal, or a
``localhost`` name, unless ``LINKSPIDER_ALLOW_PRIVATE_ADDRESSES`` is set; host names that
resolve to such addresses are refused by ``linkspider.crawl.resolver.PublicAddressResolver``.
``RedirectEveryHopMiddleware`` follows redirects to pages already fetched.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from linkspider.urls.normalize import resolve_href, split_fragment

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


class PrivateAddressRefused(IgnoreRequest):
    """A request to a non-public address was refused by the politeness policy."""


#: IPv6 networks that are not public whatever ``ipaddress`` says: IPv4-compatible addresses
#: (deprecated, never routed; ``::7f00:1`` reaches 127.0.0.1 on some stacks), local-use NAT64
#: (RFC 8215), and site-local (deprecated, still routed inside some networks).
_NOT_PUBLIC_V6 = tuple(ipaddress.IPv6Network(n) for n in ("::/96", "64:ff9b:1::/48", "fec0::/10"))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Return the IPv4 addresses an IPv6 address carries: IPv4-mapped, 6to4 (2002::/16),
    Teredo (server and client), NAT64 (64:ff9b::/96), ISATAP (``...:5efe:a.b.c.d``).

    >>> embedded_ipv4(ipaddress.IPv6Address("2002:7f00:1::"))
    [IPv4Address('127.0.0.1')]
    """
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64 or (int(ip) >> 32) & 0xFDFFFFFF == 0x00005EFE:  # ISATAP: [02]00:5efe
        found.append(low32)
    return found


def is_public_address(address: str) -> bool:
    """Return False for loopback, private, link-local, unique-local, site-local, reserved,
    multicast and unspecified IPs, and for IPv6 forms that embed such an IPv4 address.

    >>> is_public_address("8.8.8.8"), is_public_address("::ffff:127.0.0.1")
    (True, False)
    """
    ip = ipaddress.ip_address(address.strip("[]"))
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _NOT_PUBLIC_V6):
            return False
        return all(is_public_address(str(v4)) for v4 in embedded_ipv4(ip))
    return True


def refusal_reason(host: str) -> str | None:
    """Return why ``host`` must not be contacted without permission, or None if it may be."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    try:
        public = is_public_address(host)
    except ValueError:
        return None  # a name: checked when resolved
    return None if public else f"{host} is not a public address"


class PrivateAddressMiddleware:
    """Refuse requests to non-public IP literals and localhost names (see module doc)."""

    def __init__(self, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler.settings.getbool("LINKSPIDER_ALLOW_PRIVATE_ADDRESSES"))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.allow_private:
            return None
        reason = refusal_reason(urlparse_cached(request).hostname or "")
        if reason:
            raise PrivateAddressRefused(
                f"refused {request.url}: {reason}; pass --allow-private-addresses "
                "(LINKSPIDER_ALLOW_PRIVATE_ADDRESSES=True) to crawl private networks"
            )
        return None


class LocalProxyMiddleware:
    """Route every request through the ``LINKSPIDER_PROXY`` HTTP proxy, when one is set."""

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LocalProxyMiddleware:
        return cls(crawler.settings.get("LINKSPIDER_PROXY"))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        return None


class RedirectEveryHopMiddleware(RedirectMiddleware):
    """Scrapy's redirect middleware, except that a redirect is followed even to a URL already
    fetched, so the redirecting URL gets its ``pages`` row and ``redirect`` link.

    Scrapy's dupefilter would drop ``/go/1 -> /page-1.html`` when ``/page-1.html`` was already
    crawled, and the spider would never hear of ``/go/1``. Links themselves stay subject to
    the dupefilter (local or shared in Redis); the dedupe pipeline stores the page's links once.
    """

    def _build_redirect_request(
        self, source_request: Request, response: Any, *, url: str, **kwargs: Any
    ) -> Request:
        # A verbatim request (see LINKSPIDER_VERBATIM_URLS) is sent as is: its redirect target
        # is the Location header as a browser reads it (WHATWG, against the request's URL,
        # before Scrapy's own quoting), or Scrapy's target with that quoting if it is invalid.
        if source_request.meta.get("verbatim_url"):
            normalized = _location_target(response, source_request.url) or resolve_href(url, None)
            if normalized is not None:
                url = split_fragment(normalized)[0]
            else:
                request = super()._build_redirect_request(source_request, response, url=url,
                                                          **kwargs)  # fmt: skip
                request.meta["verbatim_url"] = False
                return request.replace(url=url)
        return super()._build_redirect_request(source_request, response, url=url, **kwargs)

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        result = super()._redirect(redirected, request, reason)
        result.dont_filter = True
        return result


def _location_target(response: Any, request_url: str) -> str | None:
    """Return the absolute URL a response's ``Location`` header names, as a browser resolves
    it (UTF-8 bytes, else Latin-1), or None when it has none or it is not a valid URL."""
    raw = response.headers.get(b"Location")
    if not raw:
        return None
    try:
        location = raw.decode("utf-8")
    except UnicodeDecodeError:
        location = raw.decode("latin-1")
    return resolve_href(location.strip(), request_url)
