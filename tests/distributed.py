"""Helpers for tests of distributed runs: a private redis-server, worker processes, a world."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from linkspider.distributed.server import RedisServerMissing, RedisServerProcess
from tests.conftest import PROJECT_ROOT
from linkspider.web.recording import RecordingProxy  # noqa: F401 (re-exported for tests)
from tests.crawling import crawl_command, local_web_args, read_table
from tests.forkserver import ForkedProcess, fork_server

#: Settings that make a test run end soon after its last page: short idle period, commits
#: every second, leases of 10 s (tests that kill workers shorten them).
FAST = ("-s", "LINKSPIDER_REDIS_IDLE_SECONDS=1.5", "-s", "LINKSPIDER_FILE_MAX_SECONDS=1",
        "-s", "LINKSPIDER_REDIS_LEASE_SECONDS=10", "--quiet")  # fmt: skip


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


def start_worker(args: list[str], log: Path, fork: bool = True, stdout: Path | None = None) -> subprocess.Popen | ForkedProcess:
    """Start a worker process (``worker_args``) writing its log (stderr) to ``log`` and its
    stdout to ``stdout`` (discarded when None): forked from the fork server when it runs and
    ``fork``, so that it starts with everything imported (``fork=False``: a new interpreter,
    which takes a second or so to start)."""
    server = fork_server(PROJECT_ROOT) if fork else None
    command = [sys.executable, "-m", "linkspider"]
    if server is not None and args[:3] == command:
        return server.start(args[3:], PROJECT_ROOT, {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, log, stdout)
    return subprocess.Popen(
        args, cwd=PROJECT_ROOT, stdout=open(stdout, "ab") if stdout else subprocess.DEVNULL,  # noqa: SIM115
        stderr=open(log, "ab"), env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},  # noqa: SIM115
    )


def page_urls(out: Path) -> list[str]:
    return read_table(out, "pages").column("url").to_pylist()


def link_keys(out: Path) -> list[tuple]:
    table = read_table(out, "links").select(["source_url", "link_kind", "position", "target_url"])
    return [tuple(row.values()) for row in table.to_pylist()]


def python() -> str:
    return sys.executable
