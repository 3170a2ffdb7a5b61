"""Seeds reach a running worker at once (scrapy-redis spiders read theirs on the engine's
5-second idle tick), and a worker stopped cleanly gives its leases back."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from linkspider.distributed.entries import encode_entry
from linkspider.distributed.fingerprints import fingerprint
from linkspider.distributed.frontier import Frontier, run_prefix
from linkspider.web.small import SmallWorld
from tests.distributed import RecordingProxy, redis_client, redis_server, start_worker, worker_args  # noqa: F401


def test_seed_pushed_to_an_idle_worker_is_fetched_within_a_second_or_so(redis_server, tmp_path: Path) -> None:
    world = SmallWorld(sites=3, pages_per_site=2, delay_seconds=0.5)
    client = redis_client(redis_server)
    frontier = Frontier(client, "seeded", 1)
    with RecordingProxy(world) as web:
        worker = start_worker(worker_args(redis_server.url, "seeded", web.proxy_url, tmp_path,
                                          "-s", "LINKSPIDER_REDIS_IDLE_SECONDS=60"),
                              tmp_path / "w.log")  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not client.hlen(f"{run_prefix('seeded')}:workers") and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            latencies = []
            for seed in world.seeds()[:2]:
                host = seed.split("/")[2]
                pushed = time.monotonic()
                frontier.add(fingerprint(seed), encode_entry(seed, 0, 0, True), host, host, 0)
                while (host, "/robots.txt") not in web.first_seen and time.monotonic() < deadline:
                    time.sleep(0.005)
                latencies.append(web.first_seen[(host, "/robots.txt")] - pushed)
            # the slow pages (0.5 s each) are in flight or waiting to be committed now
            time.sleep(0.3)
            assert client.zcard(f"{run_prefix('seeded')}:inflight") > 0
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 1  # ended early, resumable: by another worker
            assert "its unfinished requests are back in the run's queue" in (tmp_path / "w.log").read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
    assert max(latencies) < 3.0, latencies  # 0.2 s poll; wide margin for a loaded machine
    assert client.zcard(f"{run_prefix('seeded')}:inflight") == 0  # given back on the clean stop
