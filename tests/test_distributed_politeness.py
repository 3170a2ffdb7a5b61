"""Politeness across workers: a recording server never sees more requests in flight to one
host than the per-host limit, whatever the number of workers (robots.txt included), and each
host's robots.txt is fetched once for the run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from linkspider.web.small import SmallWorld
from tests.distributed import RecordingProxy, page_urls, redis_server, start_worker, worker_args  # noqa: F401

LIMIT = 2


def test_per_host_limit_holds_across_three_workers(redis_server, tmp_path: Path) -> None:
    world = SmallWorld(sites=4, pages_per_site=12, delay_seconds=0.05)
    with RecordingProxy(world) as web:
        args = worker_args(redis_server.url, "polite", web.proxy_url, tmp_path, "--concurrency", "8",
                           "-s", f"LINKSPIDER_REDIS_HOST_CONCURRENCY={LIMIT}")  # fmt: skip
        workers = [start_worker(args + world.seeds(), tmp_path / f"w{i}.log") for i in range(3)]
        codes = [w.wait(timeout=90) for w in workers]
    assert codes == [0, 0, 0], (tmp_path / "w0.log").read_text()[-2000:]
    assert sorted(page_urls(tmp_path)) == sorted(p["url"] for p in world.ground_truth_pages())
    assert len(web.max_in_flight) == 4
    assert max(web.max_in_flight.values()) == LIMIT, web.max_in_flight  # the limit was reached...
    assert all(n <= LIMIT for n in web.max_in_flight.values()), web.max_in_flight  # ...never passed


def test_robots_txt_is_fetched_once_per_host_for_all_workers(redis_server, tmp_path: Path) -> None:
    world = SmallWorld(sites=6, pages_per_site=3, delay_seconds=0.05)
    with RecordingProxy(world) as web:
        args = worker_args(redis_server.url, "robots", web.proxy_url, tmp_path)
        workers = [start_worker(args + world.seeds(), tmp_path / f"w{i}.log") for i in range(3)]
        codes = [w.wait(timeout=90) for w in workers]
    assert codes == [0, 0, 0], (tmp_path / "w0.log").read_text()[-2000:]
    robots = Counter(host for host, path in web.fetches if path == "/robots.txt")
    assert robots == Counter({host.split("/")[2]: 1 for host in world.seeds()})
    assert sorted(page_urls(tmp_path)) == sorted(p["url"] for p in world.ground_truth_pages())
