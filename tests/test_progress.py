"""Crawl progress: a live status line on a terminal, plain log lines in a pipe, none with --quiet."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from linkspider.cli import build_parser, crawl_settings
from linkspider.crawl.progress import CLEAR_LINE, CrawlProgress, RateMeter
from linkspider.spiders.backlinks import BacklinksSpider
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.conftest import PROJECT_ROOT
from tests.crawling import crawl_command, local_web_args, read_table, run_crawl

# Two sites of six pages (about 30 requests each) at 0.04 s per request and site: a crawl of
# about a second, redrawn every quarter of a second.
WORLD = WorldConfig(seed=11, sites=2, pages_per_site=6)
SLOW = ("-s", "DOWNLOAD_DELAY=0.04", "-s", "LINKSPIDER_PROGRESS_REFRESH=0.25")
#: One frame of the live line, as drawn: clear the line, then the figures.
FRAME = re.compile(
    r"\r\x1b\[K(\d+) pages, (\d+|\?) queued, [\d.]+ pages/s, (\d+) links, (\d+) errors, "
    r"\d+:\d\d:\d\d elapsed"
)
LOG_LINE = re.compile(r"INFO: progress: (\d+) pages, .* elapsed$", re.MULTILINE)


@pytest.fixture(scope="module")
def web():
    with LocalWebProcess(World(WORLD)) as running:
        yield running


def crawl_args(web, out: Path, *extra: str) -> list[str]:
    args = local_web_args(web.proxy_url, out, *SLOW, *extra)
    args[args.index("--log-level") + 1] = "INFO"  # the log a user sees by default
    return [*World(WORLD).seeds(), *args]


def set_terminal_size(fd: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))


def run_on_terminal(args: list[str], columns: int = 160, timeout: float = 120) -> tuple[int, str]:
    """Run ``linkspider crawl`` with stdout and stderr on a pseudo-terminal; return its exit
    code and everything it wrote to the terminal."""
    master, slave = pty.openpty()
    set_terminal_size(slave, columns)
    process = subprocess.Popen(
        crawl_command(*args), cwd=PROJECT_ROOT, stdin=slave, stdout=slave, stderr=slave,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the crawl closed its end of the terminal
                break
            if not data:
                break
            output += data
        assert time.monotonic() < deadline, "the crawl did not end in time"
        return process.wait(timeout=30), output.decode("utf-8", "replace")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


@pytest.fixture(scope="module")
def terminal_crawl(web, tmp_path_factory) -> tuple[str, Path]:
    """A crawl on a pseudo-terminal: what it wrote there, and its dataset."""
    out = tmp_path_factory.mktemp("terminal")
    code, screen = run_on_terminal(crawl_args(web, out))
    assert code == 0, screen[-3000:]
    return screen, out


def test_live_line_is_redrawn_on_a_terminal_and_cleared_at_the_end(terminal_crawl) -> None:
    screen, out = terminal_crawl
    frames = list(FRAME.finditer(screen))
    assert len(frames) >= 3, screen[-3000:]  # one every LINKSPIDER_PROGRESS_REFRESH
    pages = [int(frame.group(1)) for frame in frames]
    assert pages == sorted(pages) and pages[-1] > 0
    assert pages[-1] <= read_table(out, "pages").num_rows
    after_last = screen[frames[-1].end():]
    assert after_last.startswith(CLEAR_LINE), repr(after_last[:200])  # cleared at the end
    assert "progress:" not in screen  # the terminal shows the live line, not log lines


def test_log_records_on_the_terminal_start_on_a_cleared_line(terminal_crawl) -> None:
    screen, _ = terminal_crawl
    closing = screen.index("INFO: Closing spider")
    line_start = screen.rindex("\n", 0, closing) + 1 if "\n" in screen[:closing] else 0
    record = screen[line_start:closing]
    # The record is written after the live line was erased, never run into it.
    assert FRAME.search(record) and record.split("elapsed")[-1].startswith(CLEAR_LINE), repr(record)


def test_piped_log_gets_plain_progress_lines_and_no_escape_codes(web, tmp_path: Path) -> None:
    result = run_crawl(*crawl_args(web, tmp_path, "-s", "LINKSPIDER_PROGRESS_INTERVAL=0.25"))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stderr
    pages = [int(found) for found in LOG_LINE.findall(log)]
    assert len(pages) >= 3, log[-3000:]
    assert pages == sorted(pages) and pages[-1] <= read_table(tmp_path, "pages").num_rows
    assert "\x1b" not in log and "\r" not in log
    assert "Crawled " not in log  # Scrapy's LogStats lines are replaced, not doubled


def test_quiet_turns_progress_off() -> None:
    args = build_parser().parse_args(["crawl", "http://example.com/", "--quiet"])
    crawler = get_crawler(BacklinksSpider, crawl_settings(args))
    with pytest.raises(NotConfigured):
        CrawlProgress.from_crawler(crawler)


def test_progress_is_on_by_default() -> None:
    args = build_parser().parse_args(["crawl", "http://example.com/"])
    crawler = get_crawler(BacklinksSpider, crawl_settings(args))
    assert isinstance(CrawlProgress.from_crawler(crawler), CrawlProgress)


def test_live_line_is_cut_to_the_terminal_width() -> None:
    master, slave = pty.openpty()
    set_terminal_size(slave, 30)
    with os.fdopen(slave, "w") as terminal:
        progress = CrawlProgress(MemoryStatsCollector(get_crawler(BacklinksSpider)),
                                 live=True, log_lines=False, stream=terminal)  # fmt: skip
        progress.stats.set_value("item_scraped_count", 123456)
        progress.draw()
    drawn = os.read(master, 4096).decode()
    os.close(master)
    assert drawn == CLEAR_LINE + "123,456 pages, ? queued, 0.0 "


def test_a_log_record_erases_the_live_line_before_it_is_written() -> None:
    terminal = io.StringIO()
    handler = logging.StreamHandler(terminal)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        progress = CrawlProgress(MemoryStatsCollector(get_crawler(BacklinksSpider)),
                                 live=True, log_lines=False, stream=terminal)  # fmt: skip
        progress._filter_terminal_handlers()
        progress.draw()
        logging.getLogger("tests.progress").warning("a record")
        progress.spider_closed()
        logging.getLogger("tests.progress").warning("another record")
    finally:
        root.removeHandler(handler)
    text = terminal.getvalue()
    assert text.endswith("elapsed" + CLEAR_LINE + "a record\nanother record\n"), repr(text)


@pytest.mark.parametrize(
    ("samples", "rate"),
    [
        ([(0.0, 0), (1.0, 10)], 10.0),
        ([(0.0, 0), (1.0, 10), (2.0, 30), (3.0, 60), (4.0, 100)], 30.0),  # last 3 s of a 3 s window
        ([(5.0, 7)], 0.0),
    ],
)
def test_rate_meter_measures_pages_per_second_over_its_window(samples, rate) -> None:
    meter = RateMeter(window=3.0)
    measured = [meter.add(now, count) for now, count in samples]
    assert measured[-1] == pytest.approx(rate)


def test_unknown_progress_mode_is_refused_with_the_choices() -> None:
    crawler = get_crawler(BacklinksSpider, {"LINKSPIDER_PROGRESS": "loud"})
    with pytest.raises(ValueError, match="auto, live, log, off"):
        CrawlProgress.from_crawler(crawler)
