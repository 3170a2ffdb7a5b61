"""The shared frontier's scripts against a real redis-server, and its JSON-only entries."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from linkspider.distributed.entries import InvalidEntry, decode_entry, encode_entry
from linkspider.distributed.fingerprints import bucket_of, buckets_for, fingerprint
from linkspider.distributed.frontier import Frontier, run_prefix
from linkspider.web import LocalWebProcess
from linkspider.web.small import SmallWorld
from tests.distributed import page_urls, redis_client, redis_server, start_worker, worker_args  # noqa: F401


@pytest.fixture
def frontier(redis_server, request) -> Frontier:
    client = redis_client(redis_server)
    return Frontier(client, request.node.name[:60], buckets=4)


def _add(frontier: Frontier, url: str, budget: int = 0, site: str = "a.example") -> int:
    host = url.split("/")[2]
    return frontier.add(fingerprint(url), encode_entry(url, 0, 0, True), host, site, budget)


# -- entries ----------------------------------------------------------------------------------

def test_entry_round_trips_as_compact_json() -> None:
    raw = encode_entry("http://a.example/ü", depth=2, hops=1, verbatim=False)
    assert raw == '{"url":"http://a.example/ü","depth":2,"hops":1,"verbatim":false}'.encode()
    assert decode_entry(raw).url == "http://a.example/ü"


@pytest.mark.parametrize(("raw", "says"), [
    (pickle.dumps({"url": "http://a.example/"}), "a Python pickle"),
    (b'{"url": "http://a.example/"}', "another shape"),
    (b'{"url":"file:///etc/passwd","depth":0,"hops":0,"verbatim":true}', r"not http\(s\)"),
    (b'{"url":"http://a/","depth":true,"hops":0,"verbatim":true}', "depth is True, not int"),
    (b'{"url":"http://a/","depth":-1,"hops":0,"verbatim":true}', "negative"),
    (b"\xff\xfe", "not JSON"),
    (b'["http://a/"]', "another shape"),
])  # fmt: skip
def test_anything_but_an_entry_is_refused(raw: bytes, says: str) -> None:
    with pytest.raises(InvalidEntry, match=says):
        decode_entry(raw)


def test_fingerprints_are_8_bytes_and_buckets_power_of_two() -> None:
    value = fingerprint("http://a.example/")
    assert -(2**63) <= value < 2**63
    assert 0 <= bucket_of(value, 4096) < 4096
    assert buckets_for(1) == 1 and buckets_for(257) == 2 and buckets_for(1_000_000) == 4096


# -- scripts ----------------------------------------------------------------------------------

def test_url_is_queued_once(frontier: Frontier) -> None:
    assert _add(frontier, "http://a.example/1") > 0
    assert _add(frontier, "http://a.example/1") == 0
    assert frontier.counts()["queued"] == 1


def test_site_budget_is_shared(frontier: Frontier) -> None:
    assert _add(frontier, "http://a.example/1", budget=2) > 0
    assert _add(frontier, "http://a.example/2", budget=2) > 0
    assert _add(frontier, "http://a.example/3", budget=2) == -1
    assert _add(frontier, "http://b.example/1", budget=2, site="b.example") > 0


def test_pop_leases_and_ack_finishes(frontier: Frontier) -> None:
    _add(frontier, "http://a.example/1")
    lease = frontier.pop("w1", lease_seconds=30, limit=4, delay=0)
    assert decode_entry(lease.raw).url == "http://a.example/1"
    assert frontier.counts() == {"queued": 0, "in_flight": 1, "done": 0, "requeued": 0,
                                      "released": 0, "refused": 0}  # fmt: skip
    assert frontier.pop("w2", 30, 4, 0) is None
    assert frontier.ack("w1", [lease.id]) == 1
    assert frontier.counts()["in_flight"] == 0 and frontier.counts()["done"] == 1


def test_expired_lease_is_requeued_with_its_claims_forgotten(frontier: Frontier) -> None:
    _add(frontier, "http://a.example/1")
    lease = frontier.pop("w1", lease_seconds=0.2, limit=4, delay=0)
    assert frontier.claim(lease.id, [("pages", 7), ("hops", 8)]) == [True, True]
    assert frontier.claim(None, [("pages", 7)]) == [False]
    assert frontier.requeue_expired() == 0
    time.sleep(0.3)
    assert frontier.requeue_expired() == 1
    assert frontier.counts()["queued"] == 1 and frontier.counts()["in_flight"] == 0
    assert frontier.claim(None, [("pages", 7), ("hops", 8)]) == [True, True]  # forgotten
    again = frontier.pop("w2", 30, 4, 0)
    assert again.id == lease.id


def test_renewed_lease_does_not_expire(frontier: Frontier) -> None:
    _add(frontier, "http://a.example/1")
    lease = frontier.pop("w1", lease_seconds=0.3, limit=4, delay=0)
    for _ in range(4):
        time.sleep(0.15)
        assert frontier.renew("w1", 0.3, [lease.id], []) == []
    assert frontier.requeue_expired() == 0
    assert frontier.renew("w2", 0.3, [lease.id], []) == [lease.id]  # not w2's


def test_pop_holds_a_host_permit_up_to_the_limit(frontier: Frontier) -> None:
    for n in range(3):
        _add(frontier, f"http://a.example/{n}")
    _add(frontier, "http://b.example/1", site="b.example")
    popped = [frontier.pop("w1", 30, limit=2, delay=0) for _ in range(4)]
    hosts = [lease.host if lease else None for lease in popped]
    assert sorted(filter(None, hosts)) == ["a.example", "a.example", "b.example"]
    assert hosts[-1] is None  # a.example is at its limit of 2
    assert not frontier.acquire("a.example", "robots", 30, limit=2)
    frontier.ack("w1", [popped[0].id])
    assert frontier.acquire("a.example", "robots", 30, limit=2)


def test_host_delay_holds_between_workers(frontier: Frontier) -> None:
    _add(frontier, "http://a.example/1")
    _add(frontier, "http://a.example/2")
    first = frontier.pop("w1", 30, limit=8, delay=0.3)
    assert frontier.pop("w2", 30, limit=8, delay=0.3) is None
    time.sleep(0.35)
    assert frontier.pop("w2", 30, limit=8, delay=0.3) is not None
    assert first is not None


def test_release_gives_leases_back_at_once(frontier: Frontier) -> None:
    _add(frontier, "http://a.example/1")
    lease = frontier.pop("w1", 30, 4, 0)
    assert frontier.release("w2", [lease.id]) == 0
    assert frontier.release("w1", [lease.id]) == 1
    assert frontier.counts()["queued"] == 1


# -- a worker against a pickle ----------------------------------------------------------------

class _Exploit:
    """Unpickling this runs code: it creates the file named."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def push_raw_entry(client, run_id: str, host: str, raw: bytes) -> str:
    """Push bytes into a run's queue as someone with write access to the Redis could."""
    prefix = run_prefix(run_id)
    entry_id = str(client.incr(f"{prefix}:seq"))
    client.hset(f"{prefix}:entries", entry_id, raw)
    client.hset(f"{prefix}:entry_host", entry_id, host)
    client.rpush(f"{prefix}:q:{host}", entry_id)
    client.zadd(f"{prefix}:hosts", {host: 0})
    client.incr(f"{prefix}:queued")
    return entry_id


def test_pickled_request_in_the_queue_is_refused_not_executed(redis_server, tmp_path: Path) -> None:
    world = SmallWorld(sites=3, pages_per_site=2)
    marker = tmp_path / "pwned"
    client = redis_client(redis_server)
    entry_id = push_raw_entry(client, "pickled", "www.small-1.com",
                              pickle.dumps(_Exploit(marker)))  # fmt: skip
    with LocalWebProcess(world) as web:
        worker = start_worker(worker_args(redis_server.url, "pickled", web.proxy_url, tmp_path,
                                          *world.seeds()), tmp_path / "w.log")  # fmt: skip
        assert worker.wait(timeout=60) == 0
    log = (tmp_path / "w.log").read_text()
    assert f"refused queue entry {entry_id} of run pickled" in log
    assert "not JSON: a Python pickle" in log and "Nothing read from the queue is unpickled" in log
    assert not marker.exists()
    assert client.hexists(f"{run_prefix('pickled')}:refused", entry_id)
    assert sorted(page_urls(tmp_path)) == sorted(p["url"] for p in world.ground_truth_pages())


def test_of_workers_stopping_only_the_last_ends_the_run_and_only_when_idle(frontier: Frontier) -> None:
    for worker in ("a", "b", "c"):
        frontier.heartbeat(worker)
    _add(frontier, "http://a.example/1")
    assert frontier.leave("a", 30) == (False, False, ["b", "c"])
    frontier.server.hset(frontier.key("live"), "c", 0)  # c fell silent long ago: gone
    assert frontier.leave("b", 30) == (False, True, [])  # last, yet an entry waits
    lease = frontier.pop("d", 30, 4, 0)
    frontier.ack("d", [lease.id])
    frontier.heartbeat("d")
    assert frontier.leave("d", 30) == (True, True, [])


def test_sites_full_reads_the_run_wide_budget(frontier: Frontier) -> None:
    _add(frontier, "http://a.example/1", budget=2)
    _add(frontier, "http://a.example/2", budget=2)
    _add(frontier, "http://b.example/1", budget=2, site="b.example")
    assert frontier.sites_full(["a.example", "b.example", "c.example"], 2) == [True, False, False]
    assert frontier.sites_full(["a.example"], 0) == [False]  # no budget
