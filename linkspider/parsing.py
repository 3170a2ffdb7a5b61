"""Bounded parsing: the nesting cap, then extraction, on the reactor or in a worker thread.

:func:`parse_document` is the pure part: the nesting cap (``linkspider.nesting``) then
``extract_page``. :class:`ParseWorkers` runs it off the reactor thread for large documents
(``LINKSPIDER_PARSE_THREAD_BYTES``), so the crawl keeps downloading while a big page is
parsed, and gives up on one after ``LINKSPIDER_PARSE_DEADLINE`` seconds: lexbor releases the
GIL while it parses, and the workers are daemon threads, so a parse that never ends holds
neither the reactor nor the process's exit (SIGINT and SIGTERM stop the crawl as ever).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linkspider.extract import ExtractedPage, extract_page
from linkspider.nesting import MAX_NESTING_DEPTH, cap_nesting

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


def parse_document(document: str | bytes, max_depth: int = MAX_NESTING_DEPTH) -> ParsedDocument:
    """Return the extracted page of ``document``, its elements beyond ``max_depth`` flattened.

    Link contexts are left to ``fill_link_contexts`` (``extract_page(context=None)``).
    """
    capped = cap_nesting(document, max_depth)
    extracted = extract_page(capped.html, context=None)
    return ParsedDocument(extracted, capped.dropped_tags, capped.depth_seen)


def nesting_note(parsed: ParsedDocument, max_depth: int = MAX_NESTING_DEPTH) -> str | None:
    """Return what the nesting cap did to a page, for its row, or None when it did nothing."""
    if not parsed.tags_beyond_depth:
        return None
    return (f"elements nested deeper than {max_depth} (the depth browsers build): "
            f"{parsed.tags_beyond_depth:,} tags beyond it dropped before parsing, their text "
            "and links kept")  # fmt: skip


class ParseWorkers:
    """Daemon threads that run parse jobs and fire a Deferred on the reactor with the result."""

    #: How often a waiting job checks whether the crawl is stopping.
    POLL_SECONDS = 0.25

    def __init__(self, reactor: Any, threads: int = 2,
                 stopping: Callable[[], bool] | None = None) -> None:  # fmt: skip
        self.reactor = reactor
        self.threads = max(1, threads)
        #: Returns True once the crawl is stopping (Ctrl-C): waiting jobs then give up at once.
        self.stopping = stopping or (lambda: False)
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Deferred] | None] = queue.SimpleQueue()
        self._started: list[threading.Thread] = []

    def _start(self) -> None:
        for i in range(self.threads - len(self._started)):
            thread = threading.Thread(target=self._work, name=f"linkspider-parse-{i}", daemon=True)
            thread.start()
            self._started.append(thread)

    def submit(self, job: Callable[[], Any], deadline: float) -> Deferred:
        """Return a Deferred firing with ``job()``'s result, or failing with
        ``ParseDeadlineExceeded`` when ``deadline`` seconds pass first (the job then runs on,
        and its result is dropped)."""
        from twisted.internet.defer import Deferred

        if not self._started:
            self._start()
        result: Deferred = Deferred()
        self._jobs.put((job, result))
        give_up_at = self.reactor.seconds() + deadline

        def check() -> None:
            if result.called:
                return
            if self.stopping():
                result.errback(ParseDeadlineExceeded("the crawl is stopping"))
            elif self.reactor.seconds() >= give_up_at:
                result.errback(ParseDeadlineExceeded(f"not parsed within {deadline:g} s"))
            else:
                self.reactor.callLater(min(self.POLL_SECONDS, deadline), check)

        self.reactor.callLater(min(self.POLL_SECONDS, deadline), check)
        return result

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, result = item
            if result.called:  # expired while queued
                continue
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


def _fire(result: Deferred, value: Any, failed: bool) -> None:
    if result.called:
        return
    if failed:
        result.errback(value)
    else:
        result.callback(value)
