"""Link rot in the local web: external targets whose status is known by construction.

Opt-in through ``WorldConfig(link_rot=True)``. Some pages of the world's sites then carry a
"Resources" block (after the body, region ``body``) with links to hosts outside the world's
sites, and one internal link to a page that does not exist (a broken internal link). The
hosts, what they answer, and :func:`target_truth` (what a robots-obeying target check must
find for a URL) are declared here, without any of linkspider's own URL code:

- ``ROT_HOSTS`` (``www.old-partner.net``, ``blog.gone-vendor.com``): ``/ok-N.html`` 200,
  ``/gone-N.html`` 404, ``/removed-N.html`` 410, ``/error-N.html`` 500,
  ``/moved-N.html`` -301-> ``/ok-N.html``, ``/hop-N.html`` -302-> the other host's
  ``/moved-N.html`` (a two-hop chain across hosts), ``/moved-dead-N.html`` -301->
  ``/gone-N.html``, ``/loop-N.html`` -302-> itself, ``/private/*`` disallowed by robots.txt
  (200 when fetched anyway), anything else 404;
- ``HEAD_REFUSING_HOST`` (``cdn.head-refused.org``): HEAD answers 405 on ``/doc-N.html`` and
  501 on ``/legacy-N.html``; GET answers 200 there, 404 elsewhere;
- ``REFUSING_HOST`` (``www.closed-shop.net``): every connection is dropped without an answer
  (what a client of the proxy sees of a host refusing connections).

The world's own sites answer as they do for the crawl; other hosts get the proxy's 502, and
https URLs the proxy's refusal of CONNECT (no answer from the target at all).
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from linkspider.web.anchor_mix import choose_anchor, domain_label

if TYPE_CHECKING:
    from linkspider.web.model import WebResponse
    from linkspider.web.pages import PageBuilder
    from linkspider.web.world import World

ROT_HOSTS = ("www.old-partner.net", "blog.gone-vendor.com")
HEAD_REFUSING_HOST = "cdn.head-refused.org"
REFUSING_HOST = "www.closed-shop.net"
ROT_DOMAINS = {"www.old-partner.net": "old-partner.net", "blog.gone-vendor.com": "gone-vendor.com",
               HEAD_REFUSING_HOST: "head-refused.org", REFUSING_HOST: "closed-shop.net"}  # fmt: skip
ROT_ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"
#: Paths linked on the rot hosts (N = 1..3): name -> status of the path itself.
ROT_PATHS = ("ok", "gone", "removed", "error", "moved", "hop", "moved-dead", "loop", "private")
HEAD_PATHS = ("doc", "legacy", "missing")
IDS = (1, 2, 3)


class ConnectionRefusedByHost(ConnectionError):
    """Raised for every request to ``REFUSING_HOST``: the local web drops the connection."""


@dataclass
class TargetTruth:
    """What a target check of one URL finds, by construction."""

    url: str
    status: int | None  # of the last response; None when there was none
    final_url: str | None
    redirect_chain: list[tuple[str, int]] = field(default_factory=list)  # (url, status) hops
    error: str | None = None  # connection | robots | redirect_loop | tunnel

    @property
    def outcome(self) -> str:
        """ok, redirected, broken or blocked (robots.txt), as linkspider.targets defines them."""
        if self.error == "robots":
            return "blocked"
        if self.error is not None or (self.status is not None and self.status >= 400):
            return "broken"
        return "redirected" if self.redirect_chain else "ok"


def _html(title: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
            f"</title></head><body><h1>{html.escape(title)}</h1></body></html>").encode()  # fmt: skip


def _route(host: str, path: str) -> tuple[int, str | None]:
    """Return (status, absolute Location or None) of ``path`` on a rot host, GET."""
    if host == HEAD_REFUSING_HOST:
        if path == "/robots.txt":
            return 200, None
        for name in ("doc", "legacy"):
            if any(path == f"/{name}-{n}.html" for n in IDS):
                return 200, None
        return 404, None
    if path == "/robots.txt" or path.startswith("/private/"):
        return 200, None
    for n in IDS:
        origin = f"http://{host}"
        if path == f"/ok-{n}.html":
            return 200, None
        if path == f"/gone-{n}.html":
            return 404, None
        if path == f"/removed-{n}.html":
            return 410, None
        if path == f"/error-{n}.html":
            return 500, None
        if path == f"/moved-{n}.html":
            return 301, f"{origin}/ok-{n}.html"
        if path == f"/hop-{n}.html":
            other = ROT_HOSTS[1 - ROT_HOSTS.index(host)]
            return 302, f"http://{other}/moved-{n}.html"
        if path == f"/moved-dead-{n}.html":
            return 301, f"{origin}/gone-{n}.html"
        if path == f"/loop-{n}.html":
            return 302, f"{origin}/loop-{n}.html"
    return 404, None


def is_rot_host(host: str) -> bool:
    """Whether ``host`` is one of the link-rot hosts of this module."""
    return host in ROT_DOMAINS


def respond(host: str, path: str) -> WebResponse:
    """Answer a GET for ``path`` on a rot host (raises for ``REFUSING_HOST``)."""
    from linkspider.web.model import WebResponse

    if host == REFUSING_HOST:
        raise ConnectionRefusedByHost(f"{host} refuses connections")
    if path == "/robots.txt":
        return WebResponse(200, [("Content-Type", "text/plain; charset=utf-8")], ROT_ROBOTS_TXT.encode())
    status, location = _route(host, path)
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if location is not None:
        headers.insert(0, ("Location", location))
    return WebResponse(status, headers, _html(f"{status} {host}{path}"))


def respond_head(host: str, path: str) -> WebResponse | None:
    """Answer a HEAD where it differs from GET (405/501 on ``HEAD_REFUSING_HOST``), else None."""
    from linkspider.web.model import WebResponse

    if host != HEAD_REFUSING_HOST or path == "/robots.txt":
        return None
    status = 501 if path.startswith("/legacy-") else 405
    return WebResponse(status, [("Allow", "GET"), ("Content-Type", "text/plain")], b"HEAD refused\n")


def rot_urls() -> list[str]:
    """Every URL on the rot hosts that pages of the world link to."""
    urls = [f"http://{host}/{name}-{n}.html" if name != "private" else f"http://{host}/private/page-{n}.html"
            for host in ROT_HOSTS for name in ROT_PATHS for n in IDS]  # fmt: skip
    urls += [f"http://{HEAD_REFUSING_HOST}/{name}-{n}.html" for name in HEAD_PATHS for n in IDS]
    urls += [f"http://{REFUSING_HOST}/", f"http://{REFUSING_HOST}/shop-1.html"]
    return urls


def add_rot_links(builder: PageBuilder) -> None:
    """Append the link-rot block to a page being built (every third page of every site), with
    a random generator of its own so the rest of the world is unchanged."""
    site, k = builder.site, builder.k
    if (site.index + k) % 3 != 0:
        return
    rng = random.Random(f"{builder.config.seed}:{site.index}:{builder.path}:rot")
    urls = rot_urls()
    # The blocks take the URLs in turn, so a world of 8 sites links every one; plus one at random.
    block = (site.index * builder.config.pages_per_site + k) // 3
    picks = [urls[(block * 4 + j) % len(urls)] for j in range(4)] + [rng.choice(urls)]
    builder.raw('<div class="resources">\n<h2>Resources</h2>\n<p>')
    builder.region = "body"
    for url in dict.fromkeys(picks):
        host = url.split("/")[2]
        anchor = choose_anchor(rng, builder.locale, host, domain_label(ROT_DOMAINS[host]), url)
        builder.add_link(url, url, None, "http", host, ROT_DOMAINS[host], anchor.text, content=anchor.content,
                         anchor_class=anchor.anchor_class)  # fmt: skip
        builder.raw(" ")
    if k not in (4, 5):  # not on nofollow or <base href> pages: the crawl must request it
        missing = f"{site.origin}/discontinued-{k}.html"
        builder.add_link(missing, missing, None, "http", site.host, site.registrable_domain,
                         "Discontinued product")  # fmt: skip
    builder.raw("</p>\n</div>\n")


def target_truth(world: World, url: str) -> TargetTruth:
    """Return what checking ``url`` (an absolute http(s) URL as the crawler records it) finds,
    following redirects, by construction of the world and of this module."""
    chain: list[tuple[str, int]] = []
    current = url
    while True:
        scheme, _, rest = current.partition("://")
        if scheme != "http":
            return TargetTruth(url, None, None, chain, "tunnel")
        authority, slash, path = rest.partition("/")
        host, path = authority.lower(), "/" + path.split("?", 1)[0]
        if ":" in host:
            if host.endswith(":80"):
                host = host[:-3]
            else:  # another port: the proxy still answers for the host name
                host = host.rsplit(":", 1)[0]
        status, location, error = _answer(world, host, path)
        if error is not None:
            return TargetTruth(url, None, None, chain, error)
        if location is None:
            return TargetTruth(url, status, current, chain)
        if any(hop == current for hop, _ in chain) or len(chain) >= 10:
            return TargetTruth(url, None, None, chain, "redirect_loop")
        chain.append((current, status))
        current = location


def _answer(world: World, host: str, path: str) -> tuple[int | None, str | None, str | None]:
    """(status, Location, error) of one GET as the local web answers it (robots obeyed)."""
    if is_rot_host(host) and world.config.link_rot:
        if host == REFUSING_HOST:
            return None, None, "connection"
        if host != HEAD_REFUSING_HOST and path.startswith("/private/"):
            return None, None, "robots"
        status, location = _route(host, path)
        return status, location, None
    site = world.site(host)
    if site is None:
        return 502, None, None
    if path.startswith("/private/"):
        return None, None, "robots"
    route = world._route(site, path)
    return route.status, route.location if route.kind == "redirect" else None, None
