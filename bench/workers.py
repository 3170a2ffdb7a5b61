"""Benchmark of distributed runs (``linkspider crawl --redis``): pages/s for 1, 2 and 4
workers on one machine against the same world, Redis memory per URL, and the time from pushing
a seed to its first fetch. Not a test; prints a table.

Every server is the project's own on 127.0.0.1: a private redis-server on a free port and the
local web (``SmallWorld``: many sites of small pages, served from its own process). Pages/s is
counted over the span of the pages' ``fetched_at`` (start-up and the final idle period are
left out; wall-clock seconds are printed beside); the baseline is one process without Redis.

``nice .venv/bin/python -m bench.workers [--sites 300] [--pages 8] [--workers 1,2,4] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.dataset as ds
import redis

ROOT = Path(__file__).resolve().parent.parent


def crawl_args(proxy_url: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "linkspider", "crawl", "--proxy", proxy_url,
            "--allow-private-addresses", "--out", str(out), "--no-throttle", "--concurrency", "16",
            "--quiet", "--log-level", "WARNING", "-s", "LINKSPIDER_REDIS_IDLE_SECONDS=1",
            "-s", "LINKSPIDER_FILE_MAX_SECONDS=2", *extra]  # fmt: skip


def pages_per_second(out: Path) -> tuple[int, float]:
    """Return the pages stored and pages/s over the span of their fetch times."""
    table = ds.dataset(out / "pages", format="parquet", partitioning="hive").to_table(
        columns=["fetched_at"]
    )
    times = table.column("fetched_at").to_pylist()  # timestamps
    span = (max(times) - min(times)).total_seconds()
    return len(times), len(times) / span if span else float("nan")


def run_crawl(world, redis_url: str | None, workers: int, work: Path, run_id: str) -> dict:
    """Crawl ``world`` with ``workers`` processes (or one without Redis); return figures."""
    from linkspider.web import LocalWebProcess

    out = work / run_id
    shutil.rmtree(out, ignore_errors=True)
    with LocalWebProcess(world) as web:
        base = crawl_args(web.proxy_url, out, "--run-id", run_id)
        if redis_url:
            base += ["--redis", redis_url]
        started = time.monotonic()
        procs = [subprocess.Popen(base + (world.seeds() if i == 0 else []), cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i in range(workers)]  # fmt: skip
        codes = [p.wait() for p in procs]
        wall = time.monotonic() - started
    pages, rate = pages_per_second(out)
    return {"codes": codes, "pages": pages, "rate": rate, "wall": wall, "out": out}


def redis_bytes(client: redis.Redis, run_id: str) -> dict:
    """Return the Redis memory of a finished run's seen-sets, per URL requested."""
    prefix = f"linkspider:{run_id}"
    urls = sum(int(v) for v in client.hvals(f"{prefix}:site_pages"))
    seen = sum(client.memory_usage(k, samples=0) or 0 for k in client.scan_iter(f"{prefix}:seen:*"))
    everything = sum(client.memory_usage(k, samples=0) or 0 for k in client.scan_iter(f"{prefix}:*"))
    return {"urls": urls, "seen_per_url": seen / urls, "all_keys_per_url": everything / urls}


def synthetic_seen_set(client: redis.Redis, n: int) -> tuple[float, float]:
    """Return bytes per URL of ``n`` fingerprints: ours (bucketed intsets), scrapy-redis's
    (40-character hex SHA-1 strings in one set)."""
    from linkspider.distributed.fingerprints import bucket_of, buckets_for, fingerprint

    buckets = buckets_for(n)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        url = f"http://www.site-{i % 5000}.com/page-{i}.html"
        value = fingerprint(url)
        pipe.sadd(f"synthetic:seen:{bucket_of(value, buckets)}", value)
        pipe.sadd("synthetic:scrapy-redis", hashlib.sha1(url.encode()).hexdigest())
        if i % 5000 == 0:
            pipe.execute()
    pipe.execute()
    ours = sum(client.memory_usage(k, samples=0) for k in client.scan_iter("synthetic:seen:*"))
    theirs = client.memory_usage("synthetic:scrapy-redis", samples=0)
    for key in client.scan_iter("synthetic:*"):
        client.delete(key)
    return ours / n, theirs / n


def seed_to_first_fetch(redis_url: str, work: Path, rounds: int) -> list[tuple[float, float]]:
    """Return (seconds to the seed host's robots.txt, to the seed page) for seeds pushed into
    the queue of a running, idle worker."""
    from linkspider.distributed.entries import encode_entry
    from linkspider.distributed.fingerprints import fingerprint
    from linkspider.distributed.frontier import Frontier
    from linkspider.web.recording import RecordingProxy
    from linkspider.web.small import SmallWorld

    world = SmallWorld(sites=rounds, pages_per_site=2)
    client = redis.Redis.from_url(redis_url)
    run_id = "seed-latency"
    with RecordingProxy(world) as web:
        worker = subprocess.Popen(
            crawl_args(web.proxy_url, work / run_id, "--run-id", run_id, "--redis", redis_url,
                       "-s", "LINKSPIDER_REDIS_IDLE_SECONDS=600"),
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while not client.hlen(f"linkspider:{run_id}:workers"):
            time.sleep(0.05)
        time.sleep(1.0)
        frontier = Frontier(client, run_id, 1)
        results = []
        for seed in world.seeds():
            host = seed.split("/")[2]
            pushed = time.monotonic()
            frontier.add(fingerprint(seed), encode_entry(seed, 0, 0, True), host, host, 0)
            while (host, "/") not in web.first_seen:
                time.sleep(0.002)
            results.append((web.first_seen[(host, "/robots.txt")] - pushed,
                            web.first_seen[(host, "/")] - pushed))  # fmt: skip
            time.sleep(0.3)
        worker.send_signal(signal.SIGTERM)
        worker.wait()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--pages", type=int, default=8, help="pages per site")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--synthetic", type=int, default=1_000_000,
                        help="fingerprints for the seen-set memory figure")
    parser.add_argument("--seed-rounds", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="crawls per configuration")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from linkspider.distributed.server import RedisServerProcess
    from linkspider.web.small import SmallWorld

    world = SmallWorld(sites=args.sites, pages_per_site=args.pages)
    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    print(f"world: {args.sites} sites x {args.pages} pages (+ /go redirect), "
          f"{len(world.ground_truth_pages())} pages; {os.cpu_count()} cores; load "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    with RedisServerProcess() as server:
        client = redis.Redis.from_url(server.url)
        counts = [int(w) for w in args.workers.split(",")]
        rates: dict[int, list[float]] = {0: [], **{n: [] for n in counts}}
        walls: dict[int, list[float]] = {n: [] for n in rates}
        memory = None
        for round_ in range(args.rounds):  # configurations interleaved: the machine drifts
            for n in rates:
                run_id = f"r{round_}-w{n}"
                result = run_crawl(world, server.url if n else None, max(n, 1), work, run_id)
                if set(result["codes"]) != {0} or result["pages"] != len(world.ground_truth_pages()):
                    print(f"  {run_id}: exit codes {result['codes']}, {result['pages']} pages")
                rates[n].append(result["rate"])
                walls[n].append(result["wall"])
                if memory is None and n:
                    memory = redis_bytes(client, run_id)
                shutil.rmtree(result["out"], ignore_errors=True)
        base = statistics.median(rates[0])
        print(f"\n| workers | pages/s (median of {args.rounds}) | all rounds | vs 1 process "
              "without Redis | wall s (median) |")
        print("|---|---|---|---|---|")
        for n in rates:
            rate = statistics.median(rates[n])
            print(f"| {n or '1, no Redis'} | {rate:.0f} | {' '.join(f'{r:.0f}' for r in rates[n])} "
                  f"| {rate / base:.2f} | {statistics.median(walls[n]):.1f} |")
        ours, theirs = synthetic_seen_set(client, args.synthetic)
        print(f"\nRedis memory (MEMORY USAGE): crawl of {memory['urls']} URLs: seen-set "
              f"{memory['seen_per_url']:.1f} B/URL, all of the run's keys "
              f"{memory['all_keys_per_url']:.1f} B/URL")
        print(f"{args.synthetic:,} fingerprints: ours {ours:.1f} B/URL, scrapy-redis's hex "
              f"SHA-1 set {theirs:.1f} B/URL ({theirs / ours:.1f}x)")
        latencies = seed_to_first_fetch(server.url, work, args.seed_rounds)
    robots = statistics.median(r for r, _ in latencies)
    page = statistics.median(p for _, p in latencies)
    print(f"\nseed pushed into the queue of a running idle worker -> first request to its host "
          f"(robots.txt): median {robots * 1000:.0f} ms, seed page fetched: median "
          f"{page * 1000:.0f} ms (max {max(p for _, p in latencies) * 1000:.0f} ms; "
          f"{len(latencies)} seeds; LINKSPIDER_REDIS_POLL_SECONDS=0.2)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
