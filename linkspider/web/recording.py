"""``RecordingProxy``: a threaded HTTP proxy on 127.0.0.1 that serves a site source and records
every request, with how many were in flight to each host at once (politeness checks, fetch
counts, time to first fetch). Threaded, unlike ``LocalWeb``, so that requests overlap."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class RecordingProxy:
    """A threaded HTTP proxy on 127.0.0.1 serving a site source (e.g. ``SmallWorld``) that
    records every request: ``(host, path)`` in ``fetches`` and, per host, the most requests
    it was answering at the same moment (``max_in_flight``)."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.fetches: list[tuple[str, str]] = []
        #: (host, path) -> time.monotonic() of its first request
        self.first_seen: dict[tuple[str, str], float] = {}
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                parts = urlsplit(self.path)
                host = parts.hostname or self.headers.get("Host", "")
                with lock:
                    proxy.fetches.append((host, parts.path))
                    proxy.first_seen.setdefault((host, parts.path), time.monotonic())
                    proxy.in_flight[host] += 1
                    proxy.max_in_flight[host] = max(proxy.max_in_flight[host], proxy.in_flight[host])
                try:
                    response = proxy.source.respond(host, parts.path or "/")
                finally:
                    with lock:
                        proxy.in_flight[host] -= 1
                self.send_response(response.status)
                for name, value in response.headers:
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def page_fetches(self) -> Counter[tuple[str, str]]:
        """Return how often each page (not robots.txt) was requested."""
        return Counter(f for f in self.fetches if f[1] != "/robots.txt")

    def __enter__(self) -> RecordingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
