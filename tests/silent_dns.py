"""A DNS server that never answers, and the crawl's resolver asking it (for the DNS_TIMEOUT test).

``SilentDNSServer`` binds a UDP port on 127.0.0.1 and reads every query without replying.
``SilentServerResolver`` is linkspider's ``PublicAddressResolver`` with its names asked of that
server by a real DNS client (``twisted.names``), as a crawl behind a dead resolver would:
install it with ``-s TWISTED_DNS_RESOLVER=tests.silent_dns.SilentServerResolver -s
SILENT_DNS_PORT=PORT``. IP literals are resolved by the reactor's own resolver (they need no DNS).
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.interfaces import IHostnameResolver
from zope.interface import implementer

from linkspider.crawl.resolver import PublicAddressResolver


class SilentDNSServer:
    """A UDP DNS server on 127.0.0.1 that never answers; counts the queries it got."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port: int = self.socket.getsockname()[1]
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.socket.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            self.queries += 1

    def __enter__(self) -> SilentDNSServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


@implementer(IHostnameResolver)
class _NamesOrLiterals:
    """Names to a ``twisted.names`` client of the silent server, literals to the reactor."""

    def __init__(self, names: Any, literals: Any) -> None:
        self.names, self.literals = names, literals

    def resolveHostName(self, receiver: Any, hostName: str, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        literal = isIPAddress(hostName) or isIPv6Address(hostName.strip("[]"))
        return (self.literals if literal else self.names).resolveHostName(receiver, hostName, *args, **kwargs)


class SilentServerResolver(PublicAddressResolver):
    """linkspider's resolver, asking the ``SilentDNSServer`` on port ``SILENT_DNS_PORT``."""

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> SilentServerResolver:
        from twisted.internet._resolver import SimpleResolverComplexifier
        from twisted.names.client import Resolver

        resolver = super().from_crawler(crawler, reactor)
        client = Resolver(servers=[("127.0.0.1", crawler.settings.getint("SILENT_DNS_PORT"))], reactor=reactor)
        resolver.original_resolver = _NamesOrLiterals(SimpleResolverComplexifier(client), reactor.nameResolver)
        return resolver
