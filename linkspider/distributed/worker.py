"""Joining a distributed run, and what one worker process holds in it.

``join_run`` makes the ``RunContext`` of a worker: every worker of run ``ID`` writes the same
crawl date partition (the first worker's, kept in Redis) under a writer id no other worker of
the run has (part files never collide, even when pids repeat across containers or restarts),
with the same crawl-shaping settings (checked against the first worker's). ``WorkerState`` is
the worker's leases and per-host permits, shared by the scheduler and the politeness
middleware and renewed on the scheduler's heartbeat.
"""

from __future__ import annotations

import os
import socket
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit, urlunsplit

from linkspider.distributed.fingerprints import buckets_for
from linkspider.distributed.frontier import Frontier, run_prefix
from linkspider.runs.context import RunContext, RunSetupError, crawl_settings_json, settings_differences
from linkspider.runs.ids import validate_run_id
from linkspider.runs.records import read_run_record

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings


def redis_client(url: str) -> redis.Redis:
    """Return a client of the Redis at ``url`` through scrapy-redis's connection handling."""
    from scrapy_redis import connection, defaults

    return connection.get_redis(url=url, **defaults.REDIS_PARAMS)


#: URL schemes the workers accept (redis-py's ``from_url``); Sentinel's are refused by name.
REDIS_SCHEMES = ("redis", "rediss", "unix")


def redacted(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``: ``rediss://:pw@h:1/0`` ->
    ``rediss://:***@h:1/0``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def connect(url: str) -> redis.Redis:
    """Return a client of the single Redis server at ``url`` that answered a PING, or raise
    RunSetupError (Sentinel and Cluster are refused: the frontier's scripts build their keys
    from the run's prefix, which Cluster's key slots do not allow)."""
    import redis

    shown = redacted(url)
    scheme = urlsplit(url).scheme.lower()
    if "sentinel" in scheme:
        raise RunSetupError(
            f"Redis Sentinel is not supported ({shown}): give the current master's address, "
            "--redis redis://HOST:PORT/DB (or rediss:// for TLS)"
        )
    if scheme not in REDIS_SCHEMES:
        raise RunSetupError(f"--redis {shown}: the URL must start with redis://, rediss:// (TLS) "
                            "or unix://")  # fmt: skip
    try:
        server = redis_client(url)
        server.ping()
        cluster = server.info("cluster").get("cluster_enabled")
    except (redis.RedisError, ValueError) as exc:
        raise RunSetupError(
            f"cannot reach Redis at {shown}: {str(exc).replace(url, shown)}; start redis-server "
            "there or fix --redis (redis://[:PASSWORD@]HOST:PORT/DB, rediss:// for TLS)"
        ) from exc
    if cluster:
        raise RunSetupError(
            f"Redis Cluster is not supported ({shown} is a cluster node): use a single Redis "
            "server (a replica set behind one address is fine)"
        )
    return server


def distributed_settings(settings: BaseSettings) -> None:
    """Switch a crawl's settings to the shared frontier (``LINKSPIDER_REDIS_URL`` is set)."""
    settings.set("REDIS_URL", settings.get("LINKSPIDER_REDIS_URL"), priority="cmdline")
    settings.set("SCHEDULER", "linkspider.distributed.scheduler.LeasedScheduler", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["linkspider.distributed.politeness.SharedPolitenessMiddleware"] = 950
    if middlewares.get("linkspider.crawl.robots.RobotsTxtMiddleware") is not None:  # one fetch per host
        priority = middlewares.pop("linkspider.crawl.robots.RobotsTxtMiddleware")
        middlewares["linkspider.crawl.robots.RobotsTxtMiddleware"] = None
        middlewares["linkspider.distributed.robots.SharedRobotsTxtMiddleware"] = priority
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    if "linkspider.runs.recorder.RunRecorder" in extensions:  # records per worker, merged
        extensions["linkspider.distributed.records.SharedRunRecorder"] = extensions.pop(
            "linkspider.runs.recorder.RunRecorder")
        extensions["linkspider.runs.recorder.RunRecorder"] = None
    settings.set("EXTENSIONS", extensions, priority="cmdline")


def join_run(settings: BaseSettings) -> RunContext:
    """Return the context of a worker joining run ``LINKSPIDER_RUN_ID`` through Redis; start
    the run when this worker is the first. Raise ``RunSetupError`` when it cannot join."""
    url = settings.get("LINKSPIDER_REDIS_URL")
    run_id = settings.get("LINKSPIDER_RUN_ID") or ""
    if not run_id:
        raise RunSetupError("--redis needs --run-id ID: the workers of one crawl share its id")
    validate_run_id(run_id)
    if settings.getbool("LINKSPIDER_RESUME"):
        raise RunSetupError(
            "--resume is for single-process runs; with --redis the frontier in Redis is the "
            f"run's state: start a worker with --redis {redacted(url)} --run-id {run_id} to continue it"
        )
    if settings.get("JOBDIR"):
        raise RunSetupError("JOBDIR is not supported; with --redis the frontier is in Redis")
    server = connect(url)
    root = Path(settings.get("LINKSPIDER_OUTPUT_DIR") or "output").absolute()
    meta_key = f"{run_prefix(run_id)}:meta"
    now = datetime.now(timezone.utc)
    wanted = {
        "crawl_date": f"{now:%Y-%m-%d}", "started_at": now.isoformat(),
        "buckets": str(buckets_for(settings.getint("LINKSPIDER_REDIS_EXPECTED_URLS"))),
        "settings": crawl_settings_json(settings),
    }  # fmt: skip
    first = bool(server.hsetnx(meta_key, "crawl_date", wanted["crawl_date"]))
    for name, value in wanted.items():
        server.hsetnx(meta_key, name, value)
    meta = {k.decode(): v.decode() for k, v in server.hgetall(meta_key).items()}
    if first and read_run_record(root, run_id) is not None:
        server.delete(meta_key)
        raise RunSetupError(
            f"run {run_id} already exists in {root} and is not in the Redis at {redacted(url)}: pick "
            "another --run-id"
        )
    differences = settings_differences(meta["settings"], settings)
    if differences:
        raise RunSetupError(
            f"run {run_id} was started in Redis with other crawl settings ("
            + "; ".join(differences) + "): start every worker with the same options"
        )
    host = socket.gethostname().replace("/", "_")
    writer_id = f"{host}-{os.getpid()}"
    writers_key = f"{run_prefix(run_id)}:writers"
    if not server.sadd(writers_key, writer_id):  # a pid seen before: same host name, restarted
        writer_id = f"{host}~{server.incr(f'{run_prefix(run_id)}:writer_seq')}-{os.getpid()}"
        server.sadd(writers_key, writer_id)
    started = datetime.fromisoformat(meta["started_at"])
    return RunContext(root, run_id, meta["crawl_date"], started, writer_id=writer_id, shared=True)


@dataclass
class WorkerState:
    """One worker's hold on the run: leases (entry id -> host) and permits (token -> host)."""

    frontier: Frontier
    worker_id: str
    lease_seconds: float
    host_limit: int
    host_delay: float
    leases: dict[str, str] = field(default_factory=dict)
    permits: dict[str, str] = field(default_factory=dict)
    #: permits taken by a pop whose request has not reached the download yet, by host
    reserved: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: reserved permits lent to a request of the same host (robots.txt) the holder waits for
    borrowed: set[str] = field(default_factory=set)

    _by_crawler: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> WorkerState:
        """Return the crawler's worker state, connecting to Redis on first use."""
        state = cls._by_crawler.get(crawler)
        if state is None:
            settings = crawler.settings
            context = RunContext.for_crawler(crawler)
            server = connect(settings.get("LINKSPIDER_REDIS_URL"))
            buckets = int(server.hget(f"{run_prefix(context.run_id)}:meta", "buckets") or 1)
            limit = settings.getint("LINKSPIDER_REDIS_HOST_CONCURRENCY") or settings.getint(
                "CONCURRENT_REQUESTS_PER_DOMAIN"
            )
            delay = settings.getfloat("LINKSPIDER_REDIS_HOST_DELAY", -1.0)
            if delay < 0:
                delay = settings.getfloat("DOWNLOAD_DELAY")
            state = cls._by_crawler[crawler] = cls(
                Frontier(server, context.run_id, buckets), context.writer_id,
                settings.getfloat("LINKSPIDER_REDIS_LEASE_SECONDS"), max(1, limit), delay,
            )  # fmt: skip
        return state

    def take_permit(self, host: str, token: str, reserved: bool) -> None:
        """Count a permit of ``host`` as held (``reserved``: its request waits to download)."""
        self.permits[token] = host
        if reserved:
            self.reserved[host].add(token)

    def drop_permit(self, token: str) -> str | None:
        """Forget a permit held; return its host."""
        host = self.permits.pop(token, None)
        if host is not None:
            self.reserved[host].discard(token)
            if not self.reserved[host]:
                del self.reserved[host]
        self.borrowed.discard(token)
        return host

    def renew(self) -> list[str]:
        """Extend every lease and permit held; return the entry ids no longer held."""
        lost = self.frontier.renew(self.worker_id, self.lease_seconds, list(self.leases),
                                   [(host, token) for token, host in self.permits.items()])  # fmt: skip
        return lost
