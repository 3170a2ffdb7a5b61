"""``linkspider crawl --redis`` usage errors and ``linkspider status``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis

from linkspider.distributed.entries import encode_entry
from linkspider.distributed.fingerprints import fingerprint
from linkspider.distributed.frontier import Frontier
from linkspider.distributed.server import RedisServerProcess, free_port
from tests.crawling import run_crawl, run_linkspider
from tests.distributed import redis_client, redis_server  # noqa: F401 (fixture)


def _status(*args: str) -> subprocess.CompletedProcess[str]:
    return run_linkspider("status", *args, timeout=60)


def test_redis_without_run_id_is_a_usage_error(redis_server, tmp_path: Path) -> None:
    result = run_crawl("http://a.example/", "--redis", redis_server.url, "--out", str(tmp_path))
    assert result.returncode == 2
    assert "--redis needs --run-id" in result.stderr


def test_unreachable_redis_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run_crawl("http://a.example/", "--redis", url, "--run-id", "r", "--out", str(tmp_path))
    assert result.returncode == 2
    assert f"cannot reach Redis at {url}" in result.stderr


def test_worker_with_other_crawl_settings_is_refused(redis_server, tmp_path: Path) -> None:
    client = redis_client(redis_server)
    client.hset("linkspider:shaped:meta", mapping={
        "crawl_date": "2026-12-02", "started_at": "2026-12-02T00:00:00+00:00", "buckets": "1",
        "settings": '{"LINKSPIDER_MAX_DEPTH": 3}',
    })  # fmt: skip
    result = run_crawl("http://a.example/", "--redis", redis_server.url, "--run-id", "shaped",
                       "--out", str(tmp_path), "--max-depth", "5")  # fmt: skip
    assert result.returncode == 2
    assert "LINKSPIDER_MAX_DEPTH was 3, now 5" in result.stderr


def test_status_shows_queued_in_flight_and_workers(redis_server) -> None:
    client = redis_client(redis_server)
    frontier = Frontier(client, "watched", 1)
    client.hset("linkspider:watched:meta", "crawl_date", "2026-12-02")
    for n in range(3):
        url = f"http://a.example/{n}"
        frontier.add(fingerprint(url), encode_entry(url, 0, 0, True), "a.example", "a.example", 0)
    lease = frontier.pop("vm-17", 30, 4, 0)
    frontier.pop("vm-17", 30, 4, 0)
    frontier.ack("vm-17", [lease.id])
    result = _status("--redis", redis_server.url, "--run-id", "watched")
    assert result.returncode == 0, result.stderr
    assert "run watched: 1 queued, 1 in flight, 1 done" in result.stdout
    assert result.stdout.splitlines()[-1].split()[:3] == ["vm-17", "1", "1"]  # in flight, done
    result = _status("--redis", redis_server.url, "--run-id", "watched", "--json")
    assert '"in_flight": 1' in result.stdout
    missing = _status("--redis", redis_server.url, "--run-id", "nope")
    assert missing.returncode == 2 and "no run nope" in missing.stderr


def test_sentinel_url_is_refused_in_one_line(tmp_path: Path) -> None:
    url = "redis+sentinel://10.0.0.5:26379/mymaster/0"
    result = run_crawl("http://a.example/", "--redis", url, "--run-id", "r", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "Redis Sentinel is not supported" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert _status("--redis", url, "--run-id", "r").returncode == 2


def test_redis_cluster_is_refused_in_one_line(tmp_path: Path) -> None:
    with RedisServerProcess(extra_args=("--cluster-enabled", "yes")) as cluster:
        result = run_crawl("http://a.example/", "--redis", cluster.url, "--run-id", "r",
                           "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 2
    assert "Redis Cluster is not supported" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_rediss_with_a_password_works_and_a_wrong_one_is_refused_unechoed() -> None:
    with RedisServerProcess(password="s3cret-pw", tls=True) as server:
        assert server.url.startswith("rediss://:s3cret-pw@")
        redis.Redis.from_url(server.url).hset("linkspider:tls:meta", "crawl_date", "2026-12-02")
        result = _status("--redis", server.url, "--run-id", "tls")
        assert result.returncode == 0, result.stderr
        assert "run tls: 0 queued" in result.stdout
        wrong = _status("--redis", server.url.replace("s3cret-pw", "wrong-pw"), "--run-id", "tls")
    assert wrong.returncode == 2
    assert "cannot reach Redis at rediss://:***@127.0.0.1" in wrong.stderr
    assert "wrong-pw" not in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
