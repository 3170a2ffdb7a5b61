"""A distributed run survives its workers being killed: SIGKILL one worker every few seconds
and start a new one, until the crawl ends. Nothing is lost, little is fetched twice, and the
dataset holds each page once."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from collections import Counter

import pyarrow.parquet as pq

from linkspider.distributed.frontier import run_prefix
from linkspider.runs.records import read_run_record
from linkspider.web.small import SmallWorld
from tests.distributed import (  # noqa: F401 (fixture)
    RecordingProxy,
    link_keys,
    page_urls,
    redis_client,
    redis_server,
    start_worker,
    worker_args,
)

WORLD = SmallWorld(sites=120, pages_per_site=2)


def _leased_fetches(client, run_id: str, pid: int) -> tuple[int, int]:
    """Return how many entries a worker process (by pid) holds leased in Redis, and how many
    fetches they make (a ``/go`` request also fetches its redirect target)."""
    prefix = run_prefix(run_id)
    ids = [i for i, owner in client.hgetall(f"{prefix}:owner").items()
           if owner.decode().endswith(f"-{pid}")]  # fmt: skip
    entries = [json.loads(client.hget(f"{prefix}:entries", i)) for i in ids]
    return len(ids), sum(2 if e["url"].endswith("/go") else 1 for e in entries)


def test_killed_workers_lose_nothing_and_refetch_at_most_their_leases(redis_server, tmp_path: Path) -> None:
    client = redis_client(redis_server)
    run_id = "chaos"
    with RecordingProxy(SmallWorld(WORLD.sites, WORLD.pages_per_site, delay_seconds=0.01)) as web:
        # leases of 5 s: a killed worker's requests come back soon; a live one renews every 1.7 s
        args = worker_args(redis_server.url, run_id, web.proxy_url, tmp_path, "--concurrency", "4",
                           "-s", "LINKSPIDER_REDIS_LEASE_SECONDS=5")  # fmt: skip
        logs = iter(tmp_path / f"w{i}.log" for i in range(100))
        # new interpreters, not forks: the kills below need the crawl to last a while
        workers = [start_worker(args + WORLD.seeds(), next(logs), fork=False),
                   start_worker(args, next(logs), fork=False)]
        leased_at_kills, fetch_bound, kills = 0, 0, 0
        deadline = time.monotonic() + 120
        time.sleep(4)
        while any(w.poll() is None for w in workers) and time.monotonic() < deadline:
            running = [w for w in workers if w.poll() is None]
            victim = running[0]
            if kills < 4 and client.get(f"{run_prefix(run_id)}:done"):
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                leased, fetches_of_leased = _leased_fetches(client, run_id, victim.pid)
                leased_at_kills += leased
                fetch_bound += fetches_of_leased
                kills += 1
                workers.append(start_worker(args, next(logs), fork=False))
            time.sleep(2.5)
        for worker in workers:
            worker.wait(timeout=max(1, deadline - time.monotonic()))
        fetches = web.page_fetches()
    assert kills == 4
    survivors = [w.returncode for w in workers if w.returncode != -signal.SIGKILL]
    assert survivors and all(code == 0 for code in survivors), survivors
    # every Parquet file is complete; every page of the world is there
    for path in tmp_path.rglob("*.parquet"):
        pq.read_metadata(path)
    urls = page_urls(tmp_path)
    stored_twice = [url for url, n in Counter(urls).items() if n > 1]
    assert stored_twice == [], f"{len(stored_twice)} pages stored twice"
    assert sorted(urls) == sorted(p["url"] for p in WORLD.ground_truth_pages())
    links = link_keys(tmp_path)
    assert len(links) == len(set(links)), "a link row was stored twice"
    record = read_run_record(tmp_path, run_id)  # written by the worker that ended the run
    assert (record.status, record.pages, record.links) == ("complete", len(urls), len(links))
    counts = {k.decode(): int(v) for k, v in [(b"in_flight", client.zcard(f"{run_prefix(run_id)}:inflight")),
                                              (b"queued", client.get(f"{run_prefix(run_id)}:queued") or 0)]}  # fmt: skip
    assert counts == {"in_flight": 0, "queued": 0}
    # a fetch more than a single-process crawl makes (each /go also fetches /page-1.html)
    expected = len(WORLD.ground_truth_pages()) + WORLD.sites
    duplicates = sum(fetches.values()) - expected
    print(f"\n{kills} kills, {leased_at_kills} requests leased by the killed workers "
          f"({fetch_bound} fetches), {duplicates} duplicate fetches")
    assert 0 <= duplicates <= fetch_bound

