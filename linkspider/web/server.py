"""A local HTTP/1.1 server that acts as a forward proxy answering for any host name.

Clients configured with it as their HTTP proxy send absolute-form requests
(``GET http://www.news-1.com/ HTTP/1.1``); the host is looked up in a site source
(a generated :class:`~linkspider.web.world.World` or a :class:`StaticSite`), never on the
internet. Origin-form requests with a ``Host`` header work too.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import mimetypes
import multiprocessing
import os
import signal
import threading
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from linkspider.web.world import WebResponse, World, WorldConfig

__all__ = [
    "LocalWeb",
    "LocalWebProcess",
    "SiteSource",
    "StaticSite",
    "add_web_arguments",
    "run_web",
    "serve_forever",
]

_MAX_HEAD = 64 * 1024
_SERVER = "linkspider-localweb"


class SiteSource(Protocol):
    """Anything that can answer a request for a host and a path (+ optional query)."""

    def respond(self, host: str, target: str) -> WebResponse: ...


def _text(status: int, message: str) -> WebResponse:
    return WebResponse(status, [("Content-Type", "text/plain; charset=utf-8")], (message + "\n").encode())


class StaticSite:
    """Serve a folder of files as one site named ``host_name``; other hosts get 502."""

    def __init__(self, root_dir: str | os.PathLike[str], host_name: str) -> None:
        self.root = Path(root_dir).resolve()
        if not self.root.is_dir():
            raise ValueError(f"not a directory: {root_dir}")
        self.host = host_name.strip().lower().rstrip(".").encode("idna").decode("ascii")

    def respond(self, host: str, target: str) -> WebResponse:
        """Map ``target`` to a file below the root; ``..`` segments are refused with 403."""
        if host.lower().rstrip(".") != self.host:
            return _text(502, f"502 Bad Gateway: host {host!r} is not part of this local web "
                              f"(only {self.host!r} is served).")
        raw_path = target.split("#", 1)[0].split("?", 1)[0] or "/"
        path = unquote(raw_path)
        segments = path.replace("\\", "/").split("/")
        if not path.startswith("/") or ".." in segments or "\x00" in path:
            return _text(403, "403 Forbidden: path traversal is not allowed.")
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return _text(403, "403 Forbidden: path escapes the site folder.")
        if candidate.is_dir():
            if not path.endswith("/"):
                return WebResponse(301, [("Location", raw_path + "/"), ("Content-Type", "text/plain")], b"")
            candidate = candidate / "index.html"
        if not candidate.is_file():
            return _text(404, f"404 Not Found: {path}")
        content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        return WebResponse(200, [("Content-Type", content_type)], candidate.read_bytes())


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"refusing to bind {host!r}: the local web only listens on loopback addresses")


def _split_target(target: str, headers: dict[bytes, bytes]) -> tuple[str | None, str]:
    """Return (host, path+query) from an absolute-form or origin-form request target."""
    lowered = target[:8].lower()
    if lowered.startswith("http://") or lowered.startswith("https://"):
        rest = target[target.index("://") + 3:]
        cut = len(rest)
        for sep in "/?#":
            pos = rest.find(sep)
            if pos != -1 and pos < cut:
                cut = pos
        authority, path = rest[:cut], rest[cut:]
        if not path.startswith("/"):
            path = "/" + path
        host = authority.rsplit("@", 1)[-1]
    else:
        path = target
        host = headers.get(b"host", b"").decode("latin-1").strip()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif ":" in host:
        host = host.rsplit(":", 1)[0]
    return (host.lower().rstrip(".") or None), path


def _serialize(response: WebResponse, head_only: bool, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {response.status} {reason}", f"Server: {_SERVER}",
             f"Content-Length: {len(response.body)}",
             "Connection: keep-alive" if keep_alive else "Connection: close"]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + response.body


class _Handler:
    """Per-server connection handler; tracks open connections for a clean shutdown."""

    def __init__(self, source: SiteSource) -> None:
        self.source = source
        self.tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self.tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.LimitOverrunError:
                writer.write(_serialize(_text(431, "431 request header too large"), False, False))
                return
            except asyncio.IncompleteReadError:
                return
            lines = head.lstrip(b"\r\n").split(b"\r\n")
            parts = lines[0].decode("latin-1").split(" ")
            if len(parts) != 3:
                writer.write(_serialize(_text(400, "400 Bad Request: malformed request line"), False, False))
                return
            method, target, version = parts
            headers: dict[bytes, bytes] = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(b":")
                    headers[name.strip().lower()] = value.strip()
            if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
                writer.write(_serialize(_text(501, "501 chunked request bodies are not supported"), False, False))
                return
            length = headers.get(b"content-length")
            if length:
                await reader.readexactly(int(length))
            connection = (headers.get(b"connection") or headers.get(b"proxy-connection") or b"").lower()
            keep_alive = (b"close" not in connection) if version == "HTTP/1.1" else (b"keep-alive" in connection)
            response = self._respond(method, target, headers)
            if response.stream is not None:  # a hostile case writing its own bytes
                await response.stream(writer)
                await writer.drain()
                return
            if method == "CONNECT":
                keep_alive = False
            writer.write(_serialize(response, method == "HEAD", keep_alive))
            await writer.drain()
            if not keep_alive:
                return

    def _respond(self, method: str, target: str, headers: dict[bytes, bytes]) -> WebResponse:
        if method == "CONNECT":
            return _text(501, "501 Not Implemented: this local web serves http only (no CONNECT/https tunnels).")
        if method not in ("GET", "HEAD"):
            response = _text(405, f"405 Method Not Allowed: {method}")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        host, path = _split_target(target, headers)
        if host is None:
            return _text(400, "400 Bad Request: no host in the request target or Host header")
        try:
            if method == "HEAD" and hasattr(self.source, "respond_head"):  # a source may refuse HEAD
                return self.source.respond_head(host, path)
            return self.source.respond(host, path)
        except ConnectionError:  # a host that is down (linkspider.web.epochs): no answer at all
            raise
        except Exception as error:  # a broken source must not kill the connection loop
            return _text(500, f"500 Internal Server Error: {type(error).__name__}: {error}")


async def _start(source: SiteSource, host: str, port: int) -> tuple[asyncio.AbstractServer, _Handler]:
    _check_loopback(host)
    handler = _Handler(source)
    server = await asyncio.start_server(handler, host, port, limit=_MAX_HEAD, backlog=1024)
    return server, handler


async def _shutdown(server: asyncio.AbstractServer, handler: _Handler) -> None:
    server.close()
    for task in list(handler.tasks):
        task.cancel()
    if handler.tasks:
        await asyncio.gather(*handler.tasks, return_exceptions=True)
    await server.wait_closed()


class _RunningServer:
    """What both ways of running the server share: its address and the context manager."""

    host: str
    port: int

    @property
    def url(self) -> str:
        """``http://HOST:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def proxy_url(self) -> str:
        """The URL to configure as HTTP proxy (same as :attr:`url`)."""
        return self.url

    def start(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LocalWeb(_RunningServer):
    """Run the proxy server in a background thread with its own event loop."""

    def __init__(self, source: SiteSource, host: str = "127.0.0.1", port: int = 0) -> None:
        _check_loopback(host)
        self.source = source
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> LocalWeb:
        """Start serving; returns once the port is bound."""
        if self._thread is not None:
            return self
        prepare = getattr(self.source, "prepare", None)  # a source's slow answers made ahead
        if callable(prepare):
            prepare()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name=f"localweb-{self.port}", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()
            self._ready.set()

    async def _main(self) -> None:
        try:
            server, handler = await _start(self.source, self.host, self.port)
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._stopping = asyncio.Event()
        self._ready.set()
        await self._stopping.wait()
        await _shutdown(server, handler)

    def stop(self) -> None:
        """Close the listener and all connections, then join the thread."""
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:  # loop already closed
                pass
        self._thread.join(timeout=10)
        self._thread = None
        self._loop = None
        self._stopping = None



def _process_main(source: SiteSource, host: str, port: int, conn: Any) -> None:
    """Entry point of the server subprocess: report the port, serve until told to stop."""
    web = LocalWeb(source, host, port)
    try:
        web.start()
    except BaseException as error:
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    conn.send(("port", web.port))
    try:
        conn.recv()  # any message, or EOF when the parent dies, means stop
    except (EOFError, OSError):
        pass
    web.stop()


class LocalWebProcess(_RunningServer):
    """Run the proxy server in a separate (spawned) process so it does not share the GIL."""

    def __init__(self, source: SiteSource, host: str = "127.0.0.1", port: int = 0) -> None:
        _check_loopback(host)
        self.source = source
        self.host = host
        self.port = port
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Any = None

    def start(self, timeout: float = 30.0) -> LocalWebProcess:
        """Spawn the server process and wait until it reports its port."""
        if self._process is not None:
            return self
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_process_main, args=(self.source, self.host, self.port, child),
            name="linkspider-localweb", daemon=True,
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(timeout):
            self.stop()
            raise RuntimeError("local web process did not start in time")
        kind, value = parent.recv()
        if kind != "port":
            self.stop()
            raise RuntimeError(f"local web process failed: {value}")
        self.port = value
        return self

    def stop(self) -> None:
        """Ask the process to stop, terminating it if it does not exit promptly."""
        process, conn = self._process, self._conn
        if process is None:
            return
        try:
            conn.send("stop")
        except (OSError, ValueError):
            pass
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        conn.close()
        self._process = self._conn = None



def serve_forever(source: SiteSource, host: str = "127.0.0.1", port: int = 8899) -> None:
    """Serve in the current thread until Ctrl-C, printing the proxy URL."""

    async def main() -> None:
        server, handler = await _start(source, host, port)
        bound = server.sockets[0].getsockname()[1]
        print(f"local web proxy: http://{host}:{bound}  (Ctrl-C to stop)", flush=True)
        stopping = asyncio.Event()
        try:
            # SIGTERM too: background jobs of non-interactive shells ignore SIGINT.
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
        try:
            await stopping.wait()
        finally:
            await _shutdown(server, handler)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    print("stopped", flush=True)


def add_web_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``linkspider web`` options to ``parser``."""
    defaults = WorldConfig()
    parser.add_argument("--port", type=int, default=8899, help="port to listen on (default 8899; 0 = any)")
    parser.add_argument("--bind", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="world seed")
    parser.add_argument("--sites", type=int, default=defaults.sites, help="number of generated sites")
    parser.add_argument("--pages-per-site", type=int, default=defaults.pages_per_site, help="pages per site")
    parser.add_argument("--external-links-per-page", type=int, default=defaults.external_links_per_page,
                        help="links to other generated sites per page")
    parser.add_argument("--static", metavar="DIR", help="serve this folder as one site instead of the world")
    parser.add_argument("--static-host", metavar="NAME", default="static.local",
                        help="host name of the --static site (default static.local)")
    parser.add_argument("--ground-truth", metavar="DIR", help="write the world's links.jsonl/pages.jsonl here")
    parser.add_argument("--hostile", action="store_true",
                        help="also serve the hostile web (linkspider.web.hostile: deep.test, "
                             "hostile.test, traps on vm and github.io...)")
    parser.add_argument("--sitemaps", action="store_true",
                        help="also serve the sitemap sites (linkspider.web.sitemaps: sitemapped.test, "
                             "textmap.test, badmaps.test, widemap.test)")
    parser.add_argument("--scripted", action="store_true",
                        help="also serve the scripted site (linkspider.web.scripted: scripted.test, "
                             "navigation built by JavaScript, a page that never settles)")
    parser.add_argument("--epoch", type=int, default=0,
                        help="serve this epoch of the world (linkspider.web.epochs; default 0); "
                             "--ground-truth then also writes the truth of epochs 1..K")
    parser.add_argument("--link-rot", action="store_true",
                        help="pages also link to broken, redirecting and refusing hosts (linkspider.web.targets)")


def run_web(args: argparse.Namespace) -> int:
    """Run ``linkspider web``: serve the world (or a static folder) until Ctrl-C."""
    source: SiteSource
    try:
        _check_loopback(args.bind)
    except ValueError as error:
        print(f"error: {error}", flush=True)
        return 2
    if args.static:
        try:
            source = StaticSite(args.static, args.static_host)
        except ValueError as error:
            print(f"error: {error}", flush=True)
            return 2
        print(f"serving {source.root} as http://{source.host}/", flush=True)
    else:
        world = World(WorldConfig(
            seed=args.seed, sites=args.sites, pages_per_site=args.pages_per_site,
            external_links_per_page=getattr(args, "external_links_per_page", WorldConfig.external_links_per_page),
            epoch=getattr(args, "epoch", 0), link_rot=getattr(args, "link_rot", False),
        ))
        seeds = world.seeds()
        print(f"world: {len(seeds)} sites, seed {args.seed}; first seed {seeds[0] if seeds else '-'}", flush=True)
        if args.ground_truth:
            world.write_ground_truth(args.ground_truth)
            if world.config.epoch:
                from linkspider.web.epoch_truth import EpochTruth

                EpochTruth(world.config, world.config.epoch).write(args.ground_truth)
            print(f"ground truth written to {args.ground_truth}", flush=True)
        source = world
        if getattr(args, "hostile", False):
            from linkspider.web.hostile import HostileWeb

            source = HostileWeb(fallback=world)
            print("hostile web: " + " ".join(source.seeds()), flush=True)
        if getattr(args, "sitemaps", False):
            from linkspider.web.sitemaps import SitemapWeb

            source = SitemapWeb(fallback=source)
            print("sitemap sites: " + " ".join(source.seeds()), flush=True)
        if getattr(args, "scripted", False):
            from linkspider.web.scripted import ScriptedWeb

            source = ScriptedWeb(fallback=source)
            print("scripted site: " + " ".join(source.seeds()), flush=True)
    try:
        serve_forever(source, args.bind, args.port)
    except (OSError, ValueError) as error:
        print(f"error: {error}", flush=True)
        return 1
    return 0
