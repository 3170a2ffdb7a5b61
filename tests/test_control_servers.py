"""No server listens inside a crawl: Scrapy's RemoteControl (on by default in Scrapy 2.19) and
the telnet console are off unless a setting turns them on."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.crawling import local_web_args, start_linkspider

# Two sites of six pages (about 30 requests each) at 0.05 s per request and site.
WORLD = WorldConfig(seed=11, sites=2, pages_per_site=6)
SLOW = ("-s", "DOWNLOAD_DELAY=0.05", "--log-level", "INFO")


def socket_inodes(pid: int) -> set[str]:
    """Return the inodes of the sockets process ``pid`` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed between listing and reading
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def listening_ports(pid: int) -> set[int]:
    """Return the TCP ports (IPv4 and IPv6) that process ``pid`` listens on, from
    ``/proc/<pid>/net/tcp{,6}`` (the namespace's sockets) matched to the process's own fds."""
    try:
        inodes = socket_inodes(pid)
        ports = set()
        for table in ("tcp", "tcp6"):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local_address, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in inodes:  # 0A = TCP_LISTEN
                    ports.add(int(local_address.rsplit(":", 1)[1], 16))
        return ports
    except FileNotFoundError:  # the process has just exited
        return set()


@pytest.fixture(scope="module")
def web():
    with LocalWebProcess(World(WORLD)) as running:
        yield running


def sample_listening_ports(web, tmp_path: Path, *extra: str) -> tuple[set[int], int, str]:
    """Crawl the small world with ``extra`` options; once the spider is open, sample the crawl
    process's listening ports until it exits. Return (ports seen, samples taken, log)."""
    log_path = tmp_path / "crawl.log"
    args = [*World(WORLD).seeds(), *local_web_args(web.proxy_url, tmp_path / "out"), *SLOW, *extra]
    # forked from the fork server when it runs: the same crawl process, started with its imports
    process = start_linkspider("crawl", *args, stderr=log_path, stdout=log_path,
                               env={**os.environ, "HOME": str(tmp_path)})  # fmt: skip
    seen: set[int] = set()
    samples = 0
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None:
            assert time.monotonic() < deadline, "the crawl did not end in time"
            if b"Spider opened" in log_path.read_bytes():
                seen |= listening_ports(process.pid)
                samples += 1
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log_path.read_text(errors="replace")
    assert process.returncode == 0, text[-3000:]
    return seen, samples, text


def test_a_crawl_listens_on_no_port(web, tmp_path: Path) -> None:
    ports, samples, log = sample_listening_ports(web, tmp_path)
    assert samples >= 10, f"only {samples} samples: the crawl was too short to check\n{log[-2000:]}"
    assert ports == set()
    assert "Remote control" not in log
    assert "Telnet console listening" not in log


def test_remote_control_listens_only_when_its_setting_turns_it_on(web, tmp_path: Path) -> None:
    # The check itself: with the setting on, it finds Scrapy's server on the port it logs.
    ports, _, log = sample_listening_ports(web, tmp_path, "-s", "REMOTE_CONTROL_ENABLED=True")
    announced = re.search(r"Remote control HTTP server listening on port (\d+)", log)
    assert announced, log[-2000:]
    assert ports == {int(announced.group(1))}


@pytest.mark.parametrize("setting", ["REMOTE_CONTROL_ENABLED", "TELNETCONSOLE_ENABLED"])
def test_control_servers_are_off_in_the_project_settings(setting: str) -> None:
    from linkspider import settings

    assert getattr(settings, setting) is False
