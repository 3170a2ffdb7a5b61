"""Crawl progress: a live status line on a terminal, a plain log line every N seconds elsewhere.

``CrawlProgress`` replaces Scrapy's ``LogStats`` (turned off in ``linkspider.settings``). When
stderr is a terminal it redraws one line there about once a second (pages done and queued,
pages/s, links, errors, elapsed) and clears it when the crawl ends; log records that Scrapy
writes to the same terminal clear the line first, so they never run into it. When stderr is
not a terminal (cron, Scrapyd, a pipe) it logs the same figures as a plain INFO line every
``LINKSPIDER_PROGRESS_INTERVAL`` seconds, with no escape codes. Settings (documented in
``linkspider.settings``): ``LINKSPIDER_PROGRESS`` (``auto``, ``live``, ``log``, ``off``),
``LINKSPIDER_PROGRESS_INTERVAL``, ``LINKSPIDER_PROGRESS_REFRESH``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

MODES = ("auto", "live", "log", "off")
#: Erase the terminal line the cursor is on and return to its start.
CLEAR_LINE = "\r\x1b[K"
#: Seconds of history the live line's pages/s is measured over.
LIVE_RATE_WINDOW = 5.0


@dataclass(frozen=True)
class Progress:
    """The figures of one progress report."""

    pages: int  #: pages recorded (fetched or failed)
    queued: int | None  #: requests scheduled or in flight; None when the scheduler cannot say
    pages_per_second: float
    links: int
    errors: int  #: pages that failed or answered 4xx/5xx
    elapsed: float  #: seconds since the spider opened


def format_elapsed(seconds: float) -> str:
    """Return ``seconds`` as H:MM:SS.

    >>> format_elapsed(3725.4)
    '1:02:05'
    """
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def format_progress(progress: Progress) -> str:
    """Return the one-line text of a progress report.

    >>> format_progress(Progress(1234, 56, 12.34, 45678, 7, 83.0))
    '1,234 pages, 56 queued, 12.3 pages/s, 45,678 links, 7 errors, 0:01:23 elapsed'
    """
    queued = "?" if progress.queued is None else f"{progress.queued:,}"
    return (
        f"{progress.pages:,} pages, {queued} queued, {progress.pages_per_second:.1f} pages/s, "
        f"{progress.links:,} links, {progress.errors:,} errors, "
        f"{format_elapsed(progress.elapsed)} elapsed"
    )


class RateMeter:
    """Pages per second over the last ``window`` seconds of samples."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, count: int) -> float:
        """Record ``count`` at time ``now``; return the rate over the window."""
        self.samples.append((now, count))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.window:
            self.samples.popleft()
        first_time, first_count = self.samples[0]
        return (count - first_count) / (now - first_time) if now > first_time else 0.0


class _ClearLineFilter(logging.Filter):
    """Erases the live line before a log record is written to the same terminal."""

    def __init__(self, progress: CrawlProgress) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.clear_line()
        return True


class CrawlProgress:
    """Report crawl progress live on a terminal (``live``) and/or as log lines (``log_lines``)."""

    def __init__(
        self,
        stats: StatsCollector,
        *,
        live: bool,
        log_lines: bool,
        interval: float = 60.0,
        refresh: float = 1.0,
        stream: TextIO | None = None,
        queued: Callable[[], int | None] | None = None,
    ) -> None:
        self.stats = stats
        self.live = live
        self.log_lines = log_lines
        self.interval = interval
        self.refresh = refresh
        self.stream = stream if stream is not None else sys.stderr
        self.queued = queued or (lambda: None)
        self.errors = 0
        self.started = time.monotonic()
        self.line_drawn = False
        self.tasks: list[Any] = []
        self.live_rate = RateMeter(LIVE_RATE_WINDOW)
        self.log_rate = RateMeter(interval)
        self.filter = _ClearLineFilter(self)
        self.filtered_handlers: list[logging.Handler] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        settings = crawler.settings
        mode = str(settings.get("LINKSPIDER_PROGRESS", "auto")).lower()
        if mode not in MODES:
            raise ValueError(f"LINKSPIDER_PROGRESS={mode!r}: use one of {', '.join(MODES)}")
        if mode == "off":
            raise NotConfigured  # quietly: --quiet asked for silence
        interval = settings.getfloat("LINKSPIDER_PROGRESS_INTERVAL", 60.0)
        refresh = settings.getfloat("LINKSPIDER_PROGRESS_REFRESH", 1.0)
        if interval <= 0 or refresh <= 0:
            raise ValueError(
                "LINKSPIDER_PROGRESS_INTERVAL and LINKSPIDER_PROGRESS_REFRESH must be positive "
                "seconds; to turn progress off, set LINKSPIDER_PROGRESS=off"
            )
        on_terminal = _is_terminal(sys.stderr)
        live = mode == "live" or (mode == "auto" and on_terminal)
        # A terminal shows the live line; the log still gets lines when it goes to a file.
        log_to_file = bool(settings.get("LOG_FILE"))
        log_lines = mode == "log" or (mode == "auto" and (not on_terminal or log_to_file))
        assert crawler.stats is not None
        extension = cls(crawler.stats, live=live, log_lines=log_lines, interval=interval,
                        refresh=refresh, queued=lambda: _queued(crawler))  # fmt: skip
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    # -- signals ----------------------------------------------------------------------------

    def spider_opened(self, spider: Any = None) -> None:
        self.started = time.monotonic()
        for rate in (self.live_rate, self.log_rate):
            rate.add(self.started, 0)
        if self.live:
            self._filter_terminal_handlers()
            self._start(self.draw, self.refresh)
        if self.log_lines:
            self._start(self.log, self.interval, now=False)

    def item_scraped(self, item: Any, spider: Any = None) -> None:
        page = getattr(item, "page", None) or {}
        status = page.get("status")
        if page.get("error") is not None or (status is not None and status >= 400):
            self.errors += 1

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        for task in self.tasks:
            if task.running:
                task.stop()
        self.tasks = []
        self.clear_line()
        for handler in self.filtered_handlers:
            handler.removeFilter(self.filter)
        self.filtered_handlers = []

    # -- reports ----------------------------------------------------------------------------

    def snapshot(self, rate: RateMeter) -> Progress:
        """Return the crawl's figures now, the pages/s measured by ``rate``."""
        now = time.monotonic()
        pages = self.stats.get_value("item_scraped_count", 0)
        return Progress(
            pages=pages,
            queued=self.queued(),
            pages_per_second=rate.add(now, pages),
            links=self.stats.get_value("linkspider/links", 0),
            errors=self.errors,
            elapsed=now - self.started,
        )

    def draw(self) -> None:
        """Redraw the live status line, cut to the terminal's width so it never wraps."""
        text = format_progress(self.snapshot(self.live_rate))
        self.stream.write(CLEAR_LINE + text[: _terminal_width(self.stream) - 1])
        self.stream.flush()
        self.line_drawn = True

    def log(self) -> None:
        """Log the figures as one plain line."""
        logger.info("progress: %s", format_progress(self.snapshot(self.log_rate)))

    def clear_line(self) -> None:
        """Erase the live line if it is drawn."""
        if self.line_drawn:
            self.line_drawn = False
            self.stream.write(CLEAR_LINE)
            self.stream.flush()

    # -- plumbing ---------------------------------------------------------------------------

    def _start(self, func: Any, every: float, now: bool = True) -> None:
        task = create_looping_call(func)
        task.start(every, now=now)
        self.tasks.append(task)

    def _filter_terminal_handlers(self) -> None:
        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            if stream is not None and _same_file(stream, self.stream):
                handler.addFilter(self.filter)
                self.filtered_handlers.append(handler)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def _same_file(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return os.path.sameopenfile(a.fileno(), b.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


def _queued(crawler: Crawler) -> int | None:
    """Return the requests the crawl has scheduled or in flight, or None when unknown."""
    engine = crawler.engine
    if engine is None or engine.scheduler is None:
        return None
    try:
        waiting = len(engine.scheduler)  # type: ignore[arg-type]
    except TypeError:  # a scheduler without __len__
        return None
    return waiting + len(engine.downloader.active)
