"""Helpers for tests that crawl: run ``linkspider crawl`` in a subprocess, read the dataset."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from tests.conftest import PROJECT_ROOT
from tests.forkserver import ForkedProcess, fork_server

CRAWL_TIMEOUT = 180


def crawl_command(*args: str) -> list[str]:
    """Return the command line of ``linkspider crawl`` with ``args``."""
    return [sys.executable, "-m", "linkspider", "crawl", *args]


def run_linkspider(*args: str, timeout: float = CRAWL_TIMEOUT, cwd: Path = PROJECT_ROOT,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``linkspider ARGS`` in a process of its own to completion, output captured (forked
    from the worker's fork server, ``tests/forkserver.py``, where it runs)."""
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(PROJECT_ROOT)}
    server = fork_server(PROJECT_ROOT)
    if server is not None:
        return server.run(list(args), cwd, env, timeout)
    return subprocess.run([sys.executable, "-m", "linkspider", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)  # fmt: skip


def start_linkspider(*args: str, cwd: Path = PROJECT_ROOT, stderr: Path | None = None,
                     stdout: Path | None = None, env: dict[str, str] | None = None) -> subprocess.Popen | ForkedProcess:  # fmt: skip
    """Start ``linkspider ARGS`` in a process of its own, output discarded (stderr and stdout
    appended to the files ``stderr`` and ``stdout`` when given; ``env`` in place of this
    process's environment), and return it for the test to poll, signal (SIGKILL, SIGTERM) or
    wait for (forked from the fork server when it runs, so that it starts with everything
    imported)."""
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(PROJECT_ROOT)}
    server = fork_server(PROJECT_ROOT)
    if server is not None:
        return server.start(list(args), cwd, env, stderr, stdout)
    with open(stderr or os.devnull, "ab") as err, open(stdout or os.devnull, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "linkspider", *args], cwd=cwd, env=env,
                                stdout=out, stderr=err)  # fmt: skip


def run_crawl(*args: str, timeout: float = CRAWL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``linkspider crawl`` with ``args`` to completion; fail the test on a timeout."""
    return run_linkspider("crawl", *args, timeout=timeout)


def local_web_args(proxy_url: str, out: Path, *extra: str) -> list[str]:
    """Return the usual options of a test crawl through the local web."""
    return [
        "--proxy", proxy_url, "--allow-private-addresses", "--out", str(out),
        "--no-throttle", "--concurrency", "8", "--log-level", "WARNING", *extra,
    ]  # fmt: skip


def read_table(out: Path, table: str) -> pa.Table:
    """Return every row of ``table`` in the dataset at ``out``."""
    return ds.dataset(out / table, format="parquet", partitioning="hive").to_table()


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 (free port) that records each request's path and
    User-Agent; ``handler`` answers with ``reply``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.requests: list[tuple[str, str]] = []
        super().__init__(("127.0.0.1", 0), handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class LoopbackHandler(BaseHTTPRequestHandler):
    """Records the request on the server, then calls ``answer``; subclasses say what to send."""

    server: LoopbackServer

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.server.requests.append((self.path, self.headers.get("User-Agent", "")))
        self.answer()

    def answer(self) -> None:
        raise NotImplementedError

    def reply(self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
              **headers: str) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(handler: type[LoopbackHandler]) -> Iterator[LoopbackServer]:
    """Run a ``LoopbackServer`` with ``handler`` in a thread for the duration of the block."""
    server = LoopbackServer(handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
