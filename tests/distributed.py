"""Helpers for tests of distributed runs: a private redis-server, worker processes, a world."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from linkspider.distributed.server import RedisServerMissing, RedisServerProcess
from tests.conftest import PROJECT_ROOT
from tests.crawling import crawl_command, local_web_args, read_table

#: Settings that make a test run end soon after its last page: short idle period, commits
#: every second, leases of a few seconds (a killed worker's requests come back quickly).
FAST = ("-s", "LINKSPIDER_REDIS_IDLE_SECONDS=1.5", "-s", "LINKSPIDER_FILE_MAX_SECONDS=1",
        "-s", "LINKSPIDER_REDIS_LEASE_SECONDS=3", "--quiet")  # fmt: skip


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServerProcess]:
    """A real redis-server of this test module on a free port (never 6379), no persistence."""
    try:
        server = RedisServerProcess().start()
    except RedisServerMissing as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


def redis_client(server: RedisServerProcess) -> redis.Redis:
    return redis.Redis.from_url(server.url)


def worker_args(redis_url: str, run_id: str, proxy_url: str, out: Path, *extra: str) -> list[str]:
    """Return the command line of one worker of run ``run_id``."""
    return crawl_command(*local_web_args(proxy_url, out), "--redis", redis_url, "--run-id", run_id,
                         *FAST, *extra)  # fmt: skip


def start_worker(args: list[str], log: Path) -> subprocess.Popen:
    """Start a worker process writing its log to ``log``."""
    return subprocess.Popen(
        args, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=open(log, "ab"),  # noqa: SIM115
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )


def page_urls(out: Path) -> list[str]:
    return read_table(out, "pages").column("url").to_pylist()


def link_keys(out: Path) -> list[tuple]:
    table = read_table(out, "links").select(["source_url", "link_kind", "position", "target_url"])
    return [tuple(row.values()) for row in table.to_pylist()]


def python() -> str:
    return sys.executable


class RecordingProxy:
    """A threaded HTTP proxy on 127.0.0.1 serving a site source (e.g. ``SmallWorld``) that
    records every request: ``(host, path)`` in ``fetches`` and, per host, the most requests
    it was answering at the same moment (``max_in_flight``)."""

    def __init__(self, source) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        self.source = source
        self.fetches: list[tuple[str, str]] = []
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
