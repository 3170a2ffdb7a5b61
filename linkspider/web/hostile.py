"""The hostile web: pages and servers written to break crawlers, served by the local web.

:class:`HostileWeb` is a site source (``linkspider.web.server``) answering for these hosts,
and for every other host through an optional fallback (a :class:`~linkspider.web.world.World`).
``linkspider web --hostile`` serves it. Every case is deterministic and its ground truth is
stated here, by construction:

``deep.test``
    A site of ``deep_site_pages`` pages: ``/`` links to ``/page-1.html`` ..
    ``/page-{n-1}.html`` and to ``/deep.html``, a page of ``deep_depth`` nested ``<div>``
    (3.3 MB at 300,000) with ``DEEP_LINKS`` links at the bottom. Each page links home.
``vm``, ``github.io``, ``co.uk``, ``trap.test``
    Session-id traps: every URL (``/?sid=...``) is a page of ``trap_links`` links (``links``
    in the query, kept on every link, overrides it) to new ``/?sid=...`` URLs, without end. ``vm`` is a single-label host, ``github.io`` and ``co.uk``
    public suffixes (no registrable domain), ``trap.test`` an ordinary site.
``hostile.test`` (path and query say the case)
    ``/deep?depth=N&tag=div``: N nested elements, then ``DEEP_LINKS`` links.
    ``/links?n=N``: one line of N links (``/0`` .. ``/{N-1:x}``), no newline;
    ``/links-index?pages=P&n=N`` links to P such pages.
    ``/headers?bytes=N``: a 200 page with about N bytes of ``X-Pad-*`` response headers.
    ``/grow/...``: links to the same URL with ``GROW_STEP`` more characters, without end.
    ``/nolength?bytes=N``: an N-byte HTML body with no Content-Length (ends at close).
    ``/shortbody?length=N``: Content-Length N, far fewer bytes, then the connection closes.
    ``/redirect/file``, ``/redirect/data``, ``/redirect/ftp``: 302 to a ``file:``, ``data:``
    or ``ftp:`` URL. ``/redirect/private``: 302 to ``http://169.254.169.254/`` (the proxy
    answers it: nothing leaves the machine). ``/redirect/ipv6``: 302 to ``http://[::1]/``.
    ``/bomb/gzip|deflate|br?size=N``: N zero bytes compressed (``Content-Encoding``); 200.
    ``/slow?seconds=N``: headers, then one body byte a second for N seconds (slowloris).
    ``/hang``: headers, then nothing until the client gives up.
    ``/loop/a`` <-> ``/loop/b`` (302), ``/chain/k`` -> ``/chain/{k+1}`` .. ``/chain/50``.
    ``/nul``: a body of NUL bytes as text/html; ``/lying-type``: PNG bytes as text/html;
    ``/garbage``: random bytes as text/html. Anything else on the host: 404.
``garbage-robots.test``
    A robots.txt of random bytes; ``/`` is a small page linking to ``/a`` and ``/b``.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import parse_qs

from linkspider.web.model import WebResponse

__all__ = ["DEEP_LINKS", "GROW_STEP", "HOSTILE_HOSTS", "TRAP_HOSTS", "HostileConfig", "HostileWeb"]

DEEP_LINKS = 3
GROW_STEP = 500
TRAP_HOSTS = ("vm", "github.io", "co.uk", "trap.test")
HOSTILE_HOSTS = ("deep.test", "hostile.test", "garbage-robots.test", *TRAP_HOSTS)
_HTML = ("Content-Type", "text/html; charset=utf-8")
_PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


class _Source(Protocol):
    def respond(self, host: str, target: str) -> WebResponse: ...


@dataclass(frozen=True)
class HostileConfig:
    """Sizes of the hostile cases."""

    deep_site_pages: int = 300
    deep_depth: int = 300_000
    trap_links: int = 5


def _page(body: str, title: str = "hostile") -> bytes:
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}"
            "</body></html>").encode()  # fmt: skip


def deep_page(depth: int, tag: str = "div") -> bytes:
    """Return a page of ``depth`` nested ``tag`` elements closing around ``DEEP_LINKS`` links
    to ``/deep-link-{i}``."""
    links = "".join(f'<a href="/deep-link-{i}">deep link {i}</a>' for i in range(DEEP_LINKS))
    return _page(f"<{tag}>" * depth + links + f"</{tag}>" * depth, "deep")


def many_links_page(count: int) -> bytes:
    """Return a page whose body is one line of ``count`` links to ``/0`` .. ``/{count-1:x}``
    (hexadecimal; 900,000 of them fit in 16 MB)."""
    return _page("".join(f"<a href={i:x}></a>" for i in range(count)), "many links")


#: The bombs' size unless ``?size=`` says otherwise.
BOMB_SIZE = 100 << 20
_bomb_lock = threading.Lock()


def compressed_zeros(encoding: str, size: int) -> bytes:
    """Return ``size`` zero bytes compressed with ``encoding`` (gzip, deflate or br), computed
    once (a second caller waits for the first: a server's loop must not compress twice)."""
    with _bomb_lock:
        return _compressed_zeros(encoding, size)


@lru_cache(maxsize=8)
def _compressed_zeros(encoding: str, size: int) -> bytes:
    chunk = b"\0" * (1 << 20)
    if encoding == "br":
        import brotli

        compressor = brotli.Compressor(quality=5)
        parts = [compressor.process(chunk) for _ in range(size >> 20)]
        parts.append(compressor.process(b"\0" * (size & ((1 << 20) - 1))))
        parts.append(compressor.finish())
        return b"".join(parts)
    wbits = {"gzip": 31, "deflate": 15}[encoding]
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [compressor.compress(chunk) for _ in range(size >> 20)]
    parts.append(compressor.compress(b"\0" * (size & ((1 << 20) - 1))))
    parts.append(compressor.flush())
    return b"".join(parts)


def _random_bytes(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _sid(seed: str, i: int) -> str:
    return hashlib.blake2b(f"{seed}/{i}".encode(), digest_size=8).hexdigest()


class HostileWeb:
    """Answer the hostile hosts (see module doc); others go to ``fallback``, else 502."""

    def __init__(self, config: HostileConfig | None = None, fallback: _Source | None = None) -> None:
        self.config = config or HostileConfig()
        self.fallback = fallback
        self._deep: bytes | None = None

    def prepare(self) -> None:
        """Compress the default bombs in a thread now (LocalWeb calls this as it starts): the
        server answers on one event loop, and 0.6 s of compressing on the request path once
        held the requests queued behind it past a crawl's 3 s download timeout, under load."""
        def warm() -> None:
            for encoding in ("gzip", "deflate", "br"):
                compressed_zeros(encoding, BOMB_SIZE)

        threading.Thread(target=warm, name="hostile-bombs", daemon=True).start()

    def seeds(self) -> list[str]:
        """Return the home URL of every hostile host (the fallback's seeds not included)."""
        return [f"http://{host}/" for host in HOSTILE_HOSTS]

    def deep_site_urls(self) -> list[str]:
        """Return every page URL of ``deep.test``: the ground truth of a crawl of it."""
        n = self.config.deep_site_pages
        return ["http://deep.test/", *(f"http://deep.test/page-{k}.html" for k in range(1, n)),
                "http://deep.test/deep.html"]  # fmt: skip

    def respond(self, host: str, target: str) -> WebResponse:
        """Answer ``target`` (path + query) on ``host``."""
        host = host.lower().rstrip(".")
        path, _, query = target.split("#", 1)[0].partition("?")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if host == "deep.test":
            return self._deep_site(path)
        if host in TRAP_HOSTS:
            links = params.get("links", "")
            count = int(links) if links.isdigit() else self.config.trap_links
            return self._trap(host, params.get("sid", "home"), count)
        if host == "hostile.test":
            return self._case(path or "/", params)
        if host == "garbage-robots.test":
            if path == "/robots.txt":
                return WebResponse(200, [("Content-Type", "text/plain")],
                                   _random_bytes("robots", 4096))  # fmt: skip
            links = '<a href="/a">a</a><a href="/b">b</a>' if path == "/" else "leaf"
            return WebResponse(200, [_HTML], _page(links))
        if self.fallback is not None:
            return self.fallback.respond(host, target)
        body = f"502 Bad Gateway: host {host!r} is not part of this local web\n".encode()
        return WebResponse(502, [("Content-Type", "text/plain; charset=utf-8")], body)

    # -- deep.test ----------------------------------------------------------------------------

    def _deep_site(self, path: str) -> WebResponse:
        n = self.config.deep_site_pages
        if path == "/robots.txt":
            return WebResponse(404, [("Content-Type", "text/plain")], b"none")
        if path == "/deep.html":
            if self._deep is None:
                self._deep = deep_page(self.config.deep_depth)
            return WebResponse(200, [_HTML], self._deep)
        if path == "/":
            links = "".join(f'<a href="/page-{k}.html">page {k}</a>\n' for k in range(1, n))
            return WebResponse(200, [_HTML], _page(links + '<a href="/deep.html">deep</a>'))
        if path.startswith("/page-") and path.endswith(".html"):
            number = path[len("/page-") : -len(".html")]
            if number.isdigit() and 0 < int(number) < n:
                return WebResponse(200, [_HTML], _page(f'<p>page {number}</p><a href="/">home</a>'))
        return WebResponse(404, [_HTML], _page("not found"))

    # -- traps --------------------------------------------------------------------------------

    def _trap(self, host: str, sid: str, count: int) -> WebResponse:
        more = f"&amp;links={count}" if count != self.config.trap_links else ""
        links = "".join(f'<a href="/?sid={_sid(host + sid, i)}{more}">more {i}</a>'
                        for i in range(count))  # fmt: skip
        return WebResponse(200, [_HTML], _page(links, f"trap {sid}"))

    # -- hostile.test -------------------------------------------------------------------------

    def _case(self, path: str, params: dict[str, str]) -> WebResponse:
        def number(name: str, default: int) -> int:
            value = params.get(name, "")
            return int(value) if value.isdigit() else default

        if path == "/robots.txt":
            return WebResponse(200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n")
        if path == "/deep":
            tag = params.get("tag", "div")
            tag = tag if tag.isalnum() else "div"
            return WebResponse(200, [_HTML], deep_page(number("depth", 100_000), tag))
        if path == "/links":
            return WebResponse(200, [_HTML], many_links_page(number("n", 500_000)))
        if path == "/links-index":  # ``pages`` pages of ``n`` links each
            count, pages = number("n", 900_000), number("pages", 5)
            body = "".join(f'<a href="/links?n={count}&amp;v={k}">{k}</a>' for k in range(pages))
            return WebResponse(200, [_HTML], _page(body))
        if path == "/headers":
            size, pad = number("bytes", 24 << 20), "x" * 8000
            headers = [_HTML, *((f"X-Pad-{i}", pad) for i in range(max(1, size // 8012)))]
            return WebResponse(200, headers, _page("giant headers"))
        if path.startswith("/grow/"):
            longer = path + "g" * GROW_STEP
            return WebResponse(200, [_HTML], _page(f'<a href="{longer}">longer</a>'))
        if path == "/nolength":
            return self._stream_body(number("bytes", 20 << 20))
        if path == "/shortbody":
            return self._short_body(number("length", 100_000))
        if path.startswith("/redirect/"):
            location = {
                "/redirect/file": "file:///etc/passwd",
                "/redirect/data": "data:text/html,<a href=http://hostile.test/>x</a>",
                "/redirect/ftp": "ftp://hostile.test/file.txt",
                "/redirect/private": "http://169.254.169.254/latest/meta-data/",
                "/redirect/ipv6": "http://[::1]/",
            }.get(path)
            if location is not None:
                return WebResponse(302, [("Location", location), _HTML], _page("moved"))
        if path.startswith("/bomb/"):
            encoding = path[len("/bomb/") :]
            if encoding in ("gzip", "deflate", "br"):
                body = compressed_zeros(encoding, number("size", BOMB_SIZE))
                return WebResponse(200, [_HTML, ("Content-Encoding", encoding)], body)
        if path == "/slow":
            return self._slow(number("seconds", 60))
        if path == "/hang":
            return self._hang()
        if path in ("/loop/a", "/loop/b"):
            other = "/loop/b" if path == "/loop/a" else "/loop/a"
            return WebResponse(302, [("Location", other), _HTML], _page("loop"))
        if path.startswith("/chain/"):
            step = path[len("/chain/") :]
            if step.isdigit() and int(step) < 50:
                return WebResponse(302, [("Location", f"/chain/{int(step) + 1}"), _HTML], b"")
            return WebResponse(200, [_HTML], _page("end of the chain"))
        if path == "/nul":
            return WebResponse(200, [_HTML], b"\0" * 65536)
        if path == "/lying-type":
            return WebResponse(200, [_HTML], _PNG_HEAD + _random_bytes("png", 4096))
        if path == "/garbage":
            return WebResponse(200, [_HTML], _random_bytes("garbage", 65536))
        if path == "/":
            return WebResponse(200, [_HTML], _page("the hostile web"))
        return WebResponse(404, [_HTML], _page("not found"))

    @staticmethod
    def _stream_body(size: int) -> WebResponse:
        async def write(writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
            chunk = b"<p>" + b"x" * 65533
            sent = 0
            while sent < size:
                writer.write(chunk)
                sent += len(chunk)
                await writer.drain()

        return WebResponse(200, [], b"", stream=write)

    @staticmethod
    def _short_body(length: int) -> WebResponse:
        async def write(writer: asyncio.StreamWriter) -> None:
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {length}"
                         "\r\nConnection: close\r\n\r\n<p>cut short".encode())  # fmt: skip

        return WebResponse(200, [], b"", stream=write)

    @staticmethod
    def _slow(seconds: int) -> WebResponse:
        async def write(writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                         b"Content-Length: 1000000\r\n\r\n")  # fmt: skip
            for _ in range(seconds):
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(1)

        return WebResponse(200, [], b"", stream=write)

    @staticmethod
    def _hang() -> WebResponse:
        async def write(writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(3600)

        return WebResponse(200, [], b"", stream=write)
