"""``RunRecorder``: the Scrapy extension that keeps the run's record in the ``runs`` table.

It writes the record when the spider opens (``running``; on resume, the same record with
``resumed`` counted up), renews its heartbeat every ``LINKSPIDER_HEARTBEAT_SECONDS``, and when
the spider closes counts what the run has on disk and writes the outcome: status, exit code
(``linkspider.runs.exitcodes``), finish reason, error. The exit code is also left in the
crawl's stats (``linkspider/exit_code``) for ``linkspider crawl`` to return.
"""

from __future__ import annotations

import hashlib
import shutil
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from scrapy import signals
from twisted.internet import task

from linkspider import __version__
from linkspider.runs.context import RunContext, crawl_settings_json
from linkspider.runs.exitcodes import outcome
from linkspider.runs.records import RunRecord, write_run_record
from linkspider.dataset.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Seeds kept in the record itself; all of them are in its digest.
SEEDS_RECORDED = 10_000


def seeds_digest(seeds: list[str]) -> str:
    """Return the SHA-256 of the seed URLs, one per line, in order."""
    return hashlib.sha256("".join(f"{s}\n" for s in seeds).encode("utf-8")).hexdigest()


class RunRecorder:
    """Write the run's record at start, on a heartbeat, and with its outcome at the end."""

    def __init__(self, crawler: Crawler, context: RunContext, heartbeat_seconds: float) -> None:
        self.crawler = crawler
        self.context = context
        self.heartbeat_seconds = heartbeat_seconds
        self.record: RunRecord | None = None
        self._heartbeat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        context = RunContext.for_crawler(crawler)
        recorder = cls(crawler, context, crawler.settings.getfloat("LINKSPIDER_HEARTBEAT_SECONDS"))
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        if crawler.stats is not None:
            crawler.stats.set_value("linkspider/run_id", context.run_id)
            crawler.stats.set_value("linkspider/output_dir", str(context.root))
        return recorder

    def spider_opened(self, spider: Any = None) -> None:
        context = self.context
        now = datetime.now(timezone.utc)
        seeds = list(getattr(spider, "seed_urls", []) or [])
        if context.previous is not None:
            self.record = replace(
                context.previous, status="running", exit_code=None, finish_reason=None,
                error=None, heartbeat_at=now, finished_at=None, heartbeat_seconds=self.heartbeat_seconds,
                resumed=context.previous.resumed + 1,
                pages_refetched=context.previous.pages_refetched + context.pages_refetched,
                linkspider_version=__version__, host=context.writer_id.rsplit("-", 1)[0],
                pid=int(context.writer_id.rsplit("-", 1)[1]),
            )  # fmt: skip
        else:
            self.record = RunRecord(
                run_id=context.run_id, output_dir=str(context.root), crawl_date=context.crawl_date,
                started_at=context.started_at, heartbeat_at=now,
                heartbeat_seconds=self.heartbeat_seconds, linkspider_version=__version__,
                schema_version=SCHEMA_VERSION, seeds=seeds[:SEEDS_RECORDED],
                seeds_count=len(seeds), seeds_sha256=seeds_digest(seeds),
                settings=crawl_settings_json(self.crawler.settings),
            )  # fmt: skip
        self._write()
        context.forget_old_fetch_logs()
        self._heartbeat = task.LoopingCall(self.heartbeat)
        self._heartbeat.start(self.heartbeat_seconds, now=False)

    def heartbeat(self) -> None:
        if self.record is None:
            return
        self.record.heartbeat_at = datetime.now(timezone.utc)
        self._write()

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.record is None:
            return
        stats = self.crawler.stats
        output_error = stats.get_value("linkspider/output_error") if stats else None
        journal = self.context.journal()
        counts = journal.durable_counts()
        if self.crawler.settings.getbool("LINKSPIDER_RENDER"):
            counts["render_sites"] = journal.rendering_counts()
        status, code = outcome(reason, counts["pages_ok"], output_error)
        now = datetime.now(timezone.utc)
        self.record = replace(
            self.record, status=status, exit_code=int(code), finish_reason=reason,
            error=output_error or _error_text(status, reason, counts), heartbeat_at=now,
            finished_at=now, **counts,
        )  # fmt: skip
        self._write()
        if status == "complete" and self.context.shared:  # other workers' files stay
            (self.context.staging / f"fetched-{self.context.writer_id}.log").unlink(missing_ok=True)
        elif status == "complete":  # nothing left to resume: the fetch logs have served
            shutil.rmtree(self.context.staging, ignore_errors=True)
        if stats is not None:
            stats.set_value("linkspider/status", status)
            stats.set_value("linkspider/exit_code", int(code))
        logger.info("run %s %s (%s): %d pages (%d 2xx), %d links", self.record.run_id, status,
                    reason, counts["pages"], counts["pages_ok"], counts["links"])  # fmt: skip

    def _write(self) -> None:
        try:
            write_run_record(self.context.root, self.record)  # type: ignore[arg-type]
        except OSError as exc:
            logger.error("cannot write the record of run %s in %s: %s; is the disk full?",
                         self.context.run_id, self.context.root, exc)  # fmt: skip


def _error_text(status: str, reason: str | None, counts: dict[str, int]) -> str | None:
    if status == "failed" and counts["pages_ok"] == 0:
        return (f"no page answered 2xx ({counts['pages']} pages recorded, {counts['pages_failed']} "
                "failed): check the seeds, the network or proxy, and robots.txt; the pages "
                "table says why each failed")  # fmt: skip
    if status == "partial":
        return f"stopped early ({reason}); continue it with --resume"
    return None
