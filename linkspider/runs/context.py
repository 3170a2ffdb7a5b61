"""The run a crawl is writing: its id, dataset root, date partition, and resume state.

One ``RunContext`` per crawler (``RunContext.for_crawler``), shared by the spider, the
pipelines and the run recorder, so they agree on the run id (made here when
``LINKSPIDER_RUN_ID`` is empty) and, with ``LINKSPIDER_RESUME``, on what the run already did.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from linkspider.dataset.layout import staging_directory
from linkspider.runs.ids import new_run_id, validate_run_id
from linkspider.runs.journal import (
    RunJournal,
    count_refetched,
    fetch_logs,
    remove_unfinished_staging,
)
from linkspider.runs.records import RunRecord, read_run_record

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

#: Settings that decide which pages a run fetches (a resumed run must have the same values),
#: with how to read each.
SHAPING_SETTINGS = {
    "LINKSPIDER_MAX_DEPTH": "int", "LINKSPIDER_MAX_PAGES_PER_SITE": "int",
    "LINKSPIDER_EXTERNAL_HOPS": "int", "LINKSPIDER_CRAWL_NOFOLLOW_LINKS": "bool",
    "LINKSPIDER_ALLOW_PRIVATE_ADDRESSES": "bool", "LINKSPIDER_LINK_CONTEXT": "str",
    "LINKSPIDER_VERBATIM_URLS": "bool", "ROBOTSTXT_OBEY": "bool", "LINKSPIDER_SITEMAPS": "bool",
    "LINKSPIDER_RENDER": "bool",
}  # fmt: skip
#: Recorded with the run, free to change on resume (politeness and transport).
RECORDED_SETTINGS = {
    **SHAPING_SETTINGS,
    "CONCURRENT_REQUESTS": "int", "CONCURRENT_REQUESTS_PER_DOMAIN": "int",
    "AUTOTHROTTLE_ENABLED": "bool", "DOWNLOAD_DELAY": "float", "DOWNLOAD_TIMEOUT": "float",
    "DOWNLOAD_MAXSIZE": "int", "USER_AGENT": "str", "LINKSPIDER_PROXY": "str",
    "LINKSPIDER_RENDER_SAMPLE": "int", "LINKSPIDER_RENDER_TIMEOUT": "float",
}  # fmt: skip


def _setting(settings: BaseSettings, name: str, kind: str) -> object:
    if kind == "int":
        return settings.getint(name)
    if kind == "bool":
        return settings.getbool(name)
    if kind == "float":
        return settings.getfloat(name)
    value = settings.get(name)
    return None if value is None else str(value)


class RunSetupError(ValueError):
    """The run cannot start as asked (bad id, JOBDIR, resume mismatch); the message says why
    and what to do."""


def crawl_settings_json(settings: BaseSettings) -> str:
    """Return the recorded settings of a crawl as a JSON object with sorted keys."""
    values = {name: _setting(settings, name, kind) for name, kind in RECORDED_SETTINGS.items()}
    return json.dumps(values, sort_keys=True)


def settings_differences(recorded: str, settings: BaseSettings) -> list[str]:
    """Return a line per shaping setting whose value differs from the recorded run's."""
    before = json.loads(recorded or "{}")
    now = json.loads(crawl_settings_json(settings))
    return [f"{name} was {before.get(name)!r}, now {now.get(name)!r}"
            for name in SHAPING_SETTINGS if name in before and before[name] != now[name]]  # fmt: skip


@dataclass
class RunContext:
    """Where and as what the crawl writes; with ``resume``, the record being continued."""

    root: Path
    run_id: str
    crawl_date: str
    started_at: datetime
    resume: bool = False
    previous: RunRecord | None = None
    writer_id: str = field(
        default_factory=lambda: f"{socket.gethostname().replace('/', '_')}-{os.getpid()}"
    )
    pages_refetched: int = 0
    orphans_removed: int = 0
    #: one of several workers writing this run (``linkspider.distributed``): the staging
    #: directory is shared, so a worker removes only its own files from it
    shared: bool = False
    _old_logs: list[Path] = field(default_factory=list)

    @property
    def staging(self) -> Path:
        return staging_directory(self.root, self.run_id)

    def journal(self) -> RunJournal:
        return RunJournal(self.root, self.run_id)

    @classmethod
    def for_new_run(cls, root: str | os.PathLike[str], run_id: str | None = None) -> RunContext:
        """Return the context of a new run writing to ``root`` (tests, tools)."""
        now = datetime.now(timezone.utc)
        run_id = validate_run_id(run_id) if run_id else new_run_id(now)
        return cls(Path(root).absolute(), run_id, f"{now:%Y-%m-%d}", now)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RunContext:
        """Return the context the settings ask for; raise ``RunSetupError`` when they can't be
        honoured. With ``LINKSPIDER_RESUME``, also clean what the killed attempt left."""
        if settings.get("JOBDIR"):
            raise RunSetupError(
                "JOBDIR is not supported: Scrapy's pickled job queue does not survive a SIGKILL "
                "and skips every seed when restarted. Resume a killed run from its dataset "
                "instead: linkspider crawl ... --resume RUN_ID (LINKSPIDER_RESUME=True with "
                "LINKSPIDER_RUN_ID=RUN_ID)"
            )
        root = Path(settings.get("LINKSPIDER_OUTPUT_DIR") or "output").absolute()
        run_id = settings.get("LINKSPIDER_RUN_ID") or ""
        now = datetime.now(timezone.utc)
        if not settings.getbool("LINKSPIDER_RESUME"):
            run_id = validate_run_id(run_id) if run_id else new_run_id(now)
            if read_run_record(root, run_id) is not None:
                raise RunSetupError(
                    f"run {run_id} already exists in {root}: pick another --run-id, or continue "
                    f"it with --resume {run_id}"
                )
            return cls(root, run_id, f"{now:%Y-%m-%d}", now)
        if not run_id:
            raise RunSetupError("--resume needs the id of the run to continue (LINKSPIDER_RUN_ID)")
        previous = read_run_record(root, run_id)
        if previous is None:
            raise RunSetupError(
                f"no run {run_id} in {root}: `linkspider runs --out {root}` lists the runs"
            )
        if previous.status == "complete":
            raise RunSetupError(f"run {run_id} is complete: nothing to resume; start a new run")
        if previous.status == "running":
            raise RunSetupError(
                f"run {run_id} is still running (pid {previous.pid} on {previous.host}, heartbeat "
                f"at {previous.heartbeat_at:%H:%M:%S} UTC); stop it before resuming"
            )
        differences = settings_differences(previous.settings, settings)
        if differences:
            raise RunSetupError(
                f"run {run_id} cannot be resumed with other settings ("
                + "; ".join(differences) + "): give the options it was started with"
            )
        context = cls(root, run_id, previous.crawl_date, previous.started_at, resume=True,
                      previous=previous)  # fmt: skip
        context._prepare_resume()
        return context

    def _prepare_resume(self) -> None:
        journal = self.journal()
        orphans = journal.remove_orphan_links()
        stale = remove_unfinished_staging(self.root, self.run_id)
        self._old_logs = fetch_logs(self.root, self.run_id)
        self.pages_refetched = count_refetched(self._old_logs, journal.requested_urls())
        self.orphans_removed = len(orphans)
        logger.info(
            "resuming run %s: %d links file(s) without their pages file and %d unfinished "
            "file(s) removed; %d page(s) answered before the kill had not reached disk and "
            "will be fetched again", self.run_id, len(orphans), len(stale), self.pages_refetched,
        )  # fmt: skip

    def forget_old_fetch_logs(self) -> None:
        """Delete the fetch logs of earlier attempts, once the record counts what they said."""
        for log in self._old_logs:
            log.unlink(missing_ok=True)
        self._old_logs = []

    _by_crawler: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> RunContext:
        """Return the crawler's run context, made from its settings on first use."""
        context = cls._by_crawler.get(crawler)
        if context is None:
            context = cls._by_crawler[crawler] = cls.from_settings(crawler.settings)
        return context
