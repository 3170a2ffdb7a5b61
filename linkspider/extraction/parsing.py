"""Bounded parsing: the nesting cap, then extraction, on the reactor or in a worker thread.

:func:`parse_document` is the pure part: the nesting cap (``linkspider.extraction.nesting``) then
``extract_page``. :class:`ParseWorkers` runs it off the reactor thread for large documents
(``LINKSPIDER_PARSE_THREAD_BYTES``), so the crawl keeps downloading while a big page is
parsed, and gives up on one after ``LINKSPIDER_PARSE_DEADLINE`` seconds: lexbor releases the
GIL while it parses, and the workers are daemon threads, so a parse that never ends holds
neither the reactor nor the process's exit (SIGINT and SIGTERM stop the crawl as ever).
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linkspider.extraction.page import ExtractedPage, extract_page
from linkspider.extraction.nesting import MAX_NESTING_DEPTH, cap_nesting

if TYPE_CHECKING:
    from collections.abc import Callable

    from twisted.internet.defer import Deferred


class ParseDeadlineExceeded(Exception):
    """A document was not parsed within the deadline, or before the crawl was stopped."""


@dataclass(slots=True)
class ParsedDocument:
    """An extracted page and what the nesting cap did to its document."""

    extracted: ExtractedPage
    #: Start and end tags beyond the depth cap, dropped before parsing (0: none).
    tags_beyond_depth: int = 0
    #: Deepest nesting the cap's scan saw (capped at ``max_depth``; 0: not scanned).
    depth_seen: int = 0


def parse_document(document: str | bytes, max_depth: int = MAX_NESTING_DEPTH,
                   max_links: int | None = None, tags: int | None = None) -> ParsedDocument:  # fmt: skip
    """Return the extracted page of ``document``, its elements beyond ``max_depth`` flattened
    (``max_depth`` 0: none) and at most ``max_links`` body links kept; ``tags`` is
    :func:`count_tags` of ``document`` when the caller has counted.

    Link contexts are left to ``fill_link_contexts`` (``extract_page(context=None)``).
    """
    cut = 0
    # One count of "<" serves both limits (it is a third of what they cost a docs page).
    if tags is None and (max_links is not None or max_depth > 0):
        tags = count_tags(document)
    if max_links is not None:
        document, cut = cut_after_links(document, max_links, tags)
        if cut:
            tags = None  # the document is shorter now
    if max_depth <= 0:  # no cap (LINKSPIDER_MAX_NESTING_DEPTH=0): deep pages parse for minutes
        extracted = extract_page(document, context=None, max_links=max_links)
        extracted.links_cut += cut
        return ParsedDocument(extracted)
    capped = cap_nesting(document, max_depth, tags)
    extracted = extract_page(capped.html, context=None, max_links=max_links)
    extracted.links_cut += cut
    return ParsedDocument(extracted, capped.dropped_tags, capped.depth_seen)


def count_tags(document: str | bytes) -> int:
    """Return how many ``<`` ``document`` holds: at most that many tags, and links.

    >>> count_tags("<p><a href=x>x</a>")
    3
    """
    return document.count("<" if isinstance(document, str) else b"<")


_LINK_TAG = re.compile(r"<(?:a|area|iframe)[\t\n\f\r />]", re.I)
_LINK_TAG_BYTES = re.compile(_LINK_TAG.pattern.encode(), re.I)


def cut_after_links(document: str | bytes, max_links: int,
                    tags: int | None = None) -> tuple[str | bytes, int]:  # fmt: skip
    """Return ``document`` cut just before its link tag number ``max_links + 1``, and how
    many link tags (``<a>``, ``<area>``, ``<iframe>``) the cut left out.

    The parser then never builds the elements of links that would not be recorded (a page
    of 900,000 links is 300 MB as a tree). Documents with fewer ``<`` than ``max_links`` are
    returned as they are after one count (``tags``, when the caller has counted).

    >>> cut_after_links("<a href=1>1</a><A HREF=2>2</a><a href=3>3</a>", 2)
    ('<a href=1>1</a><A HREF=2>2</a>', 1)
    """
    text = isinstance(document, str)
    if tags is None:
        tags = document.count("<" if text else b"<")  # one byte: the fast count
    if tags <= max_links:
        return document, 0
    pattern = _LINK_TAG if text else _LINK_TAG_BYTES
    position = None
    total = 0
    for total, match in enumerate(pattern.finditer(document), 1):
        if total == max_links + 1:
            position = match.start()
    if position is None:
        return document, 0
    return document[:position], total - max_links


def limits_note(parsed: ParsedDocument, max_depth: int = MAX_NESTING_DEPTH,
                max_links: int | None = None) -> str | None:  # fmt: skip
    """Return what the parse limits did to a page, for its row, or None when nothing."""
    notes = []
    if parsed.tags_beyond_depth:
        notes.append(f"elements nested deeper than {max_depth} (the depth browsers build): "
                     f"{parsed.tags_beyond_depth:,} tags beyond it dropped before parsing, "
                     "their text and links kept")  # fmt: skip
    if parsed.extracted.links_cut:
        notes.append(f"{parsed.extracted.links_cut:,} links after the first {max_links:,} not "
                     "recorded (LINKSPIDER_MAX_LINKS_PER_PAGE)")  # fmt: skip
    return "; ".join(notes) or None


class ParseWorkers:
    """Daemon threads that run parse jobs and fire a Deferred on the reactor with the result."""

    #: How often a waiting job checks whether the crawl is stopping.
    POLL_SECONDS = 0.25
    #: A job still queued after this many deadlines fails too (every worker stuck).
    QUEUED_DEADLINES = 4

    def __init__(self, reactor: Any, threads: int = 2,
                 stopping: Callable[[], bool] | None = None) -> None:  # fmt: skip
        self.reactor = reactor
        self.threads = max(1, threads)
        #: Returns True once the crawl is stopping (Ctrl-C): waiting jobs then give up at once.
        self.stopping = stopping or (lambda: False)
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Deferred, list[float]] | None] = (
            queue.SimpleQueue())  # fmt: skip
        self._started: list[threading.Thread] = []

    def _start(self) -> None:
        for i in range(self.threads - len(self._started)):
            thread = threading.Thread(target=self._work, name=f"linkspider-parse-{i}", daemon=True)
            thread.start()
            self._started.append(thread)

    def submit(self, job: Callable[[], Any], deadline: float) -> Deferred:
        """Return a Deferred firing with ``job()``'s result, or failing with
        ``ParseDeadlineExceeded`` when ``deadline`` seconds of work pass first (the job then
        runs on, its result dropped), when it waited ``QUEUED_DEADLINES`` deadlines for a
        worker, or when the crawl is stopping."""
        from twisted.internet.defer import Deferred

        if not self._started:
            self._start()
        result: Deferred = Deferred()
        started: list[float] = []  # when a worker took the job up (time.monotonic)
        self._jobs.put((job, result, started))
        queued_at = time.monotonic()

        def check() -> None:
            if result.called:
                return
            now = time.monotonic()
            if self.stopping():
                result.errback(ParseDeadlineExceeded("the crawl is stopping"))
            elif started and now - started[0] >= deadline:
                result.errback(ParseDeadlineExceeded(f"not parsed within {deadline:g} s"))
            elif not started and now - queued_at >= self.QUEUED_DEADLINES * deadline:
                result.errback(ParseDeadlineExceeded(
                    f"every parse worker busy for {self.QUEUED_DEADLINES * deadline:g} s"))
            else:
                self.reactor.callLater(min(self.POLL_SECONDS, deadline), check)

        self.reactor.callLater(min(self.POLL_SECONDS, deadline), check)
        return result

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, result, started = item
            if result.called:  # expired while queued
                continue
            started.append(time.monotonic())
            try:
                value = job()
            except Exception as exc:  # noqa: BLE001 - handed to the reactor thread
                self.reactor.callFromThread(_fire, result, exc, failed=True)
            else:
                self.reactor.callFromThread(_fire, result, value, failed=False)

    def stop(self) -> None:
        """Let idle workers exit (busy ones are daemons: they do not hold the process)."""
        for _ in self._started:
            self._jobs.put(None)
        self._started = []


class DocumentBudget:
    """Admits big documents to their parse while the weights (links they can hold) of those
    admitted and not yet done (parsed, their links resolved, their item handed on) stay
    within ``limit``; one document is always admitted when none is. First come, first
    admitted.

    Without it every big page downloaded at once is parsed by the workers while the reactor
    resolves the first one's links, and each waits with its whole extracted page: five pages
    of 100,000 links kept held 0.9 GB where one holds 0.4 (bench/RESULTS.md).

    >>> budget = DocumentBudget(10)
    >>> first, second = budget.acquire(8), budget.acquire(8)
    >>> first.called, second.called
    (True, False)
    >>> budget.release(8); second.called
    True
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit  # None: no limit
        self.held = 0
        self._waiting: deque[tuple[int, Deferred]] = deque()

    def _fits(self, size: int) -> bool:
        return self.held == 0 or self.limit is None or self.held + size <= self.limit

    def acquire(self, size: int) -> Deferred:
        """Return a Deferred that fires once a document of weight ``size`` is admitted."""
        from twisted.internet.defer import Deferred

        admitted: Deferred = Deferred()
        if not self._waiting and self._fits(size):
            self.held += size
            admitted.callback(None)
        else:
            self._waiting.append((size, admitted))
        return admitted

    def release(self, size: int) -> None:
        """Give back the weight ``size`` admitted; admit the documents waiting that fit."""
        self.held -= size
        while self._waiting and self._fits(self._waiting[0][0]):
            size, admitted = self._waiting.popleft()
            self.held += size
            admitted.callback(None)


def _fire(result: Deferred, value: Any, failed: bool) -> None:
    if result.called:
        return
    if failed:
        result.errback(value)
    else:
        result.callback(value)
