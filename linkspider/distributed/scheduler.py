"""``LeasedScheduler``: scrapy-redis's scheduler with a leased, JSON-only, polite frontier.

scrapy-redis's ``Scheduler`` pops a pickled request and deletes it from Redis before it is
fetched: a worker killed then loses it for good. This subclass keeps its connection handling
(``REDIS_URL``, ``scrapy_redis.connection``) and structure (enqueue through a seen-set, pop
from a queue, stats), and replaces the queue by ``linkspider.distributed.frontier``:

- ``enqueue_request`` adds a request in one script: seen-set of 8-byte fingerprints, the
  site's page budget (``LINKSPIDER_MAX_PAGES_PER_SITE``, shared) and the queue. A request that
  continues a leased one (a redirect or retry, which carries the lease in its meta) stays in
  this worker, under the same lease.
- ``next_request`` leases an entry of a host with a free permit (per-host limit and delay hold
  cluster-wide) and decodes it as JSON of ``linkspider.distributed.entries``; an entry that is
  not one (a pickle) is moved aside with an error line, never executed.
- An entry is acknowledged when the Parquet pipeline has committed its page's rows
  (``linkspider.crawl.signals.rows_committed``); until then a heartbeat renews its lease every
  ``LINKSPIDER_REDIS_LEASE_SECONDS``/3. Expired leases (dead workers) are requeued by any
  worker. Before the renames the entries are marked with their ``pages`` file
  (``rows_committing``); an entry popped again with that mark whose file is in place is
  acknowledged without a fetch: its page is stored once. The worker stops once nothing is queued or in flight, cluster-wide, for
  ``LINKSPIDER_REDIS_IDLE_SECONDS``; on a clean stop it gives back the leases it still holds.

Settings: ``LINKSPIDER_REDIS_*`` in ``linkspider.settings``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from linkspider.crawl import signals as linkspider_signals
from linkspider.distributed.entries import InvalidEntry, decode_entry, encode_entry
from linkspider.distributed.fingerprints import fingerprint
from linkspider.distributed.worker import WorkerState
from linkspider.runs.context import RunContext
from linkspider.urls.domains import site_key
from linkspider.crawl.items import LEASE_META
from linkspider.urls.normalize import url_host

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: A worker whose heartbeat (every second, in Redis time) is older than this has stopped.
LIVE_SECONDS = 3.0

#: Request meta: ``[host, token]`` of the per-host permit the request holds.
PERMIT_META = "linkspider_permit"


class LeasedScheduler(Scheduler):
    """The scheduler of a distributed run (see module doc)."""

    def __init__(self, crawler: Crawler, state: WorkerState, idle_seconds: float,
                 poll_seconds: float, root: Path | None = None) -> None:  # fmt: skip
        super().__init__(state.frontier.server, persist=True,
                         queue_key=state.frontier.prefix)  # fmt: skip
        self.crawler = crawler
        self.stats = crawler.stats
        self.state = state
        self.frontier = state.frontier
        self.idle_seconds = idle_seconds
        self.poll_seconds = poll_seconds
        #: the output directory: commit marks are paths relative to it
        self.root = root or Path(".")
        self.continuations: deque[scrapy.Request] = deque()
        #: leases whose item went to the pipelines and waits for the next commit
        self.uncommitted: list[str] = []
        self._idle_since: float | None = None
        self._last_renew = self._last_requeue = self._last_status = 0.0
        self._tick: task.LoopingCall | None = None
        self._commit_asked = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasedScheduler:
        s = crawler.settings
        scheduler = cls(crawler, WorkerState.for_crawler(crawler),
                        s.getfloat("LINKSPIDER_REDIS_IDLE_SECONDS"),
                        s.getfloat("LINKSPIDER_REDIS_POLL_SECONDS"),
                        RunContext.for_crawler(crawler).root)  # fmt: skip
        for handler, signal in (
            (scheduler.item_done, signals.item_scraped),
            (scheduler.item_done, signals.item_dropped),
            (scheduler.item_done, signals.item_error),
            (scheduler.spider_error, signals.spider_error),
            (scheduler.spider_idle, signals.spider_idle),
            (scheduler.rows_committing, linkspider_signals.rows_committing),
            (scheduler.rows_committed, linkspider_signals.rows_committed),
        ):
            crawler.signals.connect(handler, signal=signal)
        return scheduler

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self, spider: scrapy.Spider) -> None:
        self.spider = spider
        self.stats.set_value("linkspider/redis_worker", self.state.worker_id)
        spider.shared_sites_full = self.sites_full  # the page rows count links over budget
        counts = self.frontier.counts()
        logger.info(
            "worker %s joined run %s in Redis: %d queued, %d in flight, %d done",
            self.state.worker_id, self.frontier.run_id, counts["queued"], counts["in_flight"],
            counts["done"],
        )  # fmt: skip
        self._report_status("running")
        self._tick = task.LoopingCall(self.tick)
        self._tick.start(self.poll_seconds, now=False)

    def close(self, reason: str) -> None:
        if self._tick is not None and self._tick.running:
            self._tick.stop()
        held = [lease for lease in self.state.leases if lease not in self.uncommitted]
        unwritten = list(self.uncommitted)
        given_back = self.frontier.release(self.state.worker_id, held + unwritten)
        if given_back:
            logger.info("gave back %d leased request(s) to the run's queue", given_back)
        for token, host in list(self.state.permits.items()):
            self.frontier.release_permit(host, token)
        self._report_status(f"stopped ({reason})")
        finisher, last, live = self.frontier.leave(self.state.worker_id, LIVE_SECONDS)
        if not last and not self.frontier.busy():
            finisher, last, live = self._wait_for_others(live)
        self.stats.set_value("linkspider/redis/finisher", finisher)  # ends the run
        # --check-targets: once per run, by the first worker that ends it (a Redis lock)
        checks = finisher and bool(self.frontier.server.set(self.frontier.key("targets_checked"),
                                                            self.state.worker_id, nx=True))  # fmt: skip
        self.stats.set_value("linkspider/redis/check_targets", checks)
        self.stats.set_value("linkspider/redis/last_worker", last)
        self.stats.set_value("linkspider/redis/live_workers", live)

    def _wait_for_others(self, live: list[str]) -> tuple[bool, bool, list[str]]:
        """The run is idle but other workers live: wait until they stop (the last of them
        ends the run) or fall silent (killed: this worker ends it); see ``Frontier.leave``."""
        server, key = self.frontier.server, self.frontier.key("live")
        deadline = time.monotonic() + LIVE_SECONDS + 1
        while time.monotonic() < deadline:
            time.sleep(0.2)
            beats = {k.decode(): float(v) for k, v in server.hgetall(key).items()}
            still = [worker for worker in live if worker in beats]
            if not still:
                return False, False, []
            seconds, micros = server.time()
            if all(seconds + micros / 1e6 - beats[w] > LIVE_SECONDS for w in still):
                return self.frontier.leave(self.state.worker_id, LIVE_SECONDS)
        return False, False, live

    def tick(self) -> None:
        """Renew leases, requeue dead workers' entries, and wake the engine to pop."""
        now = time.monotonic()
        try:
            if now - self._last_renew >= self.state.lease_seconds / 3:
                self._last_renew = now
                lost = self.state.renew()
                if lost:
                    logger.warning("%d lease(s) expired before renewal and went back to the "
                                   "queue (was the worker stalled?)", len(lost))  # fmt: skip
            if now - self._last_requeue >= self.state.lease_seconds / 2:
                self._last_requeue = now
                requeued = self.frontier.requeue_expired()
                if requeued:
                    logger.info("requeued %d request(s) whose worker's lease expired", requeued)
                    self.stats.inc_value("linkspider/redis/requeued", requeued)
            if now - self._last_status >= 1.0:
                self._last_status = now
                self._report_status("running")
        except Exception as exc:  # noqa: BLE001 - Redis away for a moment: try again next tick
            logger.warning("Redis call failed (%s); retrying", exc)
            return
        engine = getattr(self.crawler, "engine", None)
        slot = getattr(engine, "_slot", None)
        if slot is not None and not engine.needs_backout():
            slot.nextcall.schedule()

    def _report_status(self, state: str) -> None:
        status = {
            "state": state, "host": socket.gethostname(), "pid": os.getpid(),
            "heartbeat": time.time(), "leases": len(self.state.leases),
            "uncommitted": len(self.uncommitted),
        }  # fmt: skip
        self.frontier.server.hset(self.frontier.key("workers"), self.state.worker_id,
                                  json.dumps(status))  # fmt: skip
        if state == "running":
            self.frontier.heartbeat(self.state.worker_id)

    # -- requests in -------------------------------------------------------------------------

    def enqueue_request(self, request: scrapy.Request) -> bool:
        if LEASE_META in request.meta:  # a redirect or retry of a leased request
            self.continuations.append(request)
            return True
        url = request.url
        host = url_host(url) or ""
        site = site_key(host) or url
        budget = getattr(self.spider, "max_pages_per_site", 0) or 0
        entry = encode_entry(url, int(request.meta.get("depth", 0)),
                             int(request.meta.get("hops", 0)),
                             bool(request.meta.get("verbatim_url", False)))  # fmt: skip
        added = self.frontier.add(fingerprint(url), entry, host, site, budget)
        if added == 0:
            self.stats.inc_value("dupefilter/filtered")
            return False
        if added < 0:
            self.stats.inc_value("linkspider/redis/site_budget_full")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    # -- requests out ------------------------------------------------------------------------

    def next_request(self) -> scrapy.Request | None:
        if self.continuations:
            return self.continuations.popleft()
        state = self.state
        while True:
            lease = self.frontier.pop(state.worker_id, state.lease_seconds, state.host_limit,
                                      state.host_delay)  # fmt: skip
            if lease is None:
                return None
            try:
                entry = decode_entry(lease.raw)
            except InvalidEntry as exc:
                self.frontier.refuse(lease.id, str(exc))
                self.stats.inc_value("linkspider/redis/refused_entries")
                logger.error(
                    "refused queue entry %s of run %s (Redis key %s:entries): %s. Nothing read "
                    "from the queue is unpickled or executed; entries must be linkspider JSON "
                    "requests. Moved to %s:refused", lease.id, self.frontier.run_id,
                    self.frontier.prefix, exc, self.frontier.prefix,
                )  # fmt: skip
                continue
            if lease.committing is not None and self._durable(lease):
                continue
            state.leases[lease.id] = lease.host
            state.take_permit(lease.host, lease.id, reserved=True)
            self.stats.inc_value("scheduler/dequeued/redis")
            meta: dict[str, Any] = {"depth": entry.depth, "hops": entry.hops,
                                    LEASE_META: lease.id, PERMIT_META: [lease.host, lease.id]}  # fmt: skip
            if entry.verbatim:
                meta["verbatim_url"] = True
            return scrapy.Request(entry.url, callback=self.spider.parse_page,
                                  errback=self.spider.on_error, meta=meta, dont_filter=True)  # fmt: skip

    def _durable(self, lease: Any) -> bool:
        """Return True (and acknowledge it) when the entry's page is in the ``pages`` file its
        dead worker renamed before it could acknowledge; else undo what that commit left."""
        pages_file = self.root / lease.committing
        if pages_file.exists():
            self.frontier.ack(self.state.worker_id, [lease.id])
            self.frontier.server.incr(self.frontier.key("durable_requeued"))  # not refetched
            self.stats.inc_value("linkspider/redis/durable_when_requeued")
            logger.info("entry %s was stored in %s before its worker died: not fetched again",
                        lease.id, pages_file)  # fmt: skip
            return True
        # killed between renaming the links (or sitemap) twin and the pages file: drop the twins
        for table in ("links", "sitemap_urls"):
            Path(self.root, table, *Path(lease.committing).parts[1:]).unlink(missing_ok=True)
        self.frontier.unclaim(lease.id)
        return False

    def sites_full(self, urls: list[str]) -> set[str]:
        """Return the URLs whose site has its page budget queued already, run-wide."""
        budget = getattr(self.spider, "max_pages_per_site", 0) or 0
        sites = [site_key(url_host(url) or "") or url for url in urls]
        full = self.frontier.sites_full(sites, budget)
        return {url for url, is_full in zip(urls, full) if is_full}

    def has_pending_requests(self) -> bool:
        return bool(self.continuations) or self.frontier.counts()["queued"] > 0

    def __len__(self) -> int:
        return len(self.continuations) + self.frontier.counts()["queued"]

    # -- acknowledgement ---------------------------------------------------------------------

    def item_done(self, item: Any = None, response: Any = None, spider: Any = None,
                  **kwargs: Any) -> None:  # fmt: skip
        lease = getattr(item, "lease", None)
        if lease is not None:
            self.uncommitted.append(lease)

    def spider_error(self, failure: Any = None, response: Any = None, spider: Any = None) -> None:
        """A page whose callback raised has no item: acknowledge it at the next commit, or the
        run would wait for it forever (Scrapy logged the error)."""
        lease = getattr(response, "meta", {}).get(LEASE_META) if response is not None else None
        if lease is not None:
            self.uncommitted.append(lease)

    def rows_committing(self, leases: list[str], pages_file: Path) -> None:
        """Mark the entries whose rows are about to be renamed into place with their file."""
        try:
            relative = str(Path(pages_file).relative_to(self.root))
        except ValueError:
            return
        self.frontier.prepare(relative, leases)

    def rows_committed(self) -> None:
        """Acknowledge the leases whose rows are now in closed Parquet files."""
        self._commit_asked = False
        if not self.uncommitted:
            return
        done, self.uncommitted = self.uncommitted, []
        self.frontier.ack(self.state.worker_id, done)
        for lease in done:
            host = self.state.leases.pop(lease, None)
            if host is not None:
                self.state.drop_permit(lease)
        self.stats.inc_value("linkspider/redis/acknowledged", len(done))

    def spider_idle(self, spider: Any = None) -> None:
        """Keep the worker alive while the run has work anywhere, then for the idle period."""
        if self.uncommitted and not self._commit_asked:
            self._commit_asked = True  # the idle worker's own pages: commit them now
            self.crawler.signals.send_catch_log(linkspider_signals.commit_requested)
        self.frontier.requeue_expired()
        if self.continuations or self.uncommitted or self.frontier.busy():
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_seconds:
            raise DontCloseSpider
