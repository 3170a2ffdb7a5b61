"""The records of a distributed run: one per worker, and the run's own, merged.

Each worker writes its record (its own part files counted, its exit) at
``run_workers/run=<id>/worker=<writer id>.parquet`` (the ``runs`` columns; outside ``runs/``,
which keeps one row per run), beside the run's record (``runs/run=<id>/run.parquet``). The run's record is written by the worker
that ends last: its counts are the sum of every worker's (counted from the files it can see, or
as published in Redis by a worker whose files it cannot), ``pages_refetched`` the entries
requeued from dead workers and fetched again, and its status is ``complete`` only when the
frontier is empty and nothing is in flight. Columns: ``linkspider.dataset.schema`` (``RUNS_FIELDS``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.dataset.schema import RUNS_SCHEMA
from linkspider.distributed.worker import WorkerState
from linkspider.runs.exitcodes import ExitCode, outcome
from linkspider.runs.journal import RunJournal
from linkspider.runs.recorder import RunRecorder, _error_text
from linkspider.runs.records import RunRecord, _record_from_row

if TYPE_CHECKING:
    from linkspider.distributed.frontier import Frontier

logger = logging.getLogger(__name__)


def worker_records_directory(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the directory of the per-worker records of run ``run_id``."""
    return Path(root) / "run_workers" / f"run={run_id}"


def read_worker_records(root: str | os.PathLike[str], run_id: str) -> list[RunRecord]:
    """Return the record of each worker of run ``run_id`` in the dataset at ``root``."""
    paths = sorted(worker_records_directory(root, run_id).glob("worker=*.parquet"))
    return [_record_from_row(pq.read_table(path).to_pylist()[0]) for path in paths]


class WriterJournal(RunJournal):
    """The files of one writer (worker) of a run: ``part-<writer id>-<seq>.parquet``."""

    def __init__(self, root: str | os.PathLike[str], run_id: str, writer_id: str) -> None:
        super().__init__(root, run_id)
        self.prefix = f"part-{writer_id}-"

    def pages_files(self) -> list[Path]:
        return [p for p in super().pages_files() if p.name.startswith(self.prefix)]

    def links_files(self) -> list[Path]:
        return [p for p in super().links_files() if p.name.startswith(self.prefix)]


def file_writer(path: Path) -> str:
    """Return the writer id of a part file: ``part-h~2-77-00003.parquet`` -> ``h~2-77``."""
    return path.name[len("part-"):].rsplit("-", 1)[0]


def merged_counts(root: Path, run_id: str, frontier: Frontier) -> dict[str, int]:
    """Return the run's counts: the files visible under ``root``, plus the counts published
    in Redis by the workers none of whose files are visible (a directory per machine)."""
    journal = RunJournal(root, run_id)
    counts = journal.durable_counts()
    visible = {file_writer(p) for p in journal.pages_files() + journal.links_files()}
    for writer, published in frontier.server.hgetall(frontier.key("worker_counts")).items():
        if writer.decode() not in visible:
            for name, value in json.loads(published).items():
                counts[name] = counts.get(name, 0) + int(value)
    return counts


def refetched(frontier: Frontier) -> int:
    """Return the entries requeued from dead workers and fetched again (an upper bound: some
    had not been fetched when their worker died)."""
    requeued, durable = frontier.server.mget(frontier.key("requeued"), frontier.key("durable_requeued"))
    return max(0, int(requeued or 0) - int(durable or 0))


def write_worker_record(root: str | os.PathLike[str], record: RunRecord, writer_id: str) -> Path:
    """Write a worker's record atomically; return its path."""
    path = worker_records_directory(root, record.run_id) / f"worker={writer_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    row = asdict(record)
    row["status"] = record.stored_status
    tmp = path.parent / f".{path.name}.tmp"
    pq.write_table(pa.Table.from_pylist([row], schema=RUNS_SCHEMA), tmp, compression="zstd")
    os.replace(tmp, path)
    return path


class SharedRunRecorder(RunRecorder):
    """``RunRecorder`` for a worker of a distributed run: its own record, and the run's merged
    one (see module doc)."""

    def spider_opened(self, spider: Any = None) -> None:
        super().spider_opened(spider)
        self._write_worker(self.record)

    def heartbeat(self) -> None:
        stats = self.crawler.stats
        if stats is not None and stats.get_value("linkspider/redis/last_worker") is not None:
            return  # left the run: the last worker alone writes the run's record now
        super().heartbeat()

    def _write_worker(self, record: RunRecord | None) -> None:
        try:
            write_worker_record(self.context.root, record, self.context.writer_id)  # type: ignore[arg-type]
        except OSError as exc:
            logger.error("cannot write the record of worker %s in %s: %s; is the disk full?",
                         self.context.writer_id, self.context.root, exc)  # fmt: skip

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.record is None:
            return
        context, stats = self.context, self.crawler.stats
        frontier = WorkerState.for_crawler(self.crawler).frontier
        own = WriterJournal(context.root, context.run_id, context.writer_id).durable_counts()
        frontier.server.hset(frontier.key("worker_counts"), context.writer_id, json.dumps(own))
        counts = merged_counts(context.root, context.run_id, frontier)
        output_error = stats.get_value("linkspider/output_error") if stats else None
        status, code = outcome(reason, counts["pages_ok"], output_error)
        now = datetime.now(timezone.utc)
        ended = {"exit_code": int(code), "finish_reason": reason, "heartbeat_at": now,
                 "finished_at": now, "error": output_error or _error_text(status, reason, counts)}  # fmt: skip
        self._write_worker(replace(self.record, status=status, pages_refetched=0, **ended, **own))
        run = replace(self.record, **counts, pages_refetched=refetched(frontier), heartbeat_at=now)
        finisher = bool(stats and stats.get_value("linkspider/redis/finisher"))
        last = bool(stats and stats.get_value("linkspider/redis/last_worker"))
        if finisher:
            run = replace(run, status=status, **ended)
        elif last:  # the last worker, yet work is left: the run stopped short
            stopped = "partial" if status == "complete" else status
            run = replace(run, **{**ended, "status": stopped, "exit_code": int(
                ExitCode.ENDED_EARLY if status == "complete" else code)})  # fmt: skip
        # else the run goes on: the workers alive keep its record (only the last one ends it)
        if finisher or last:
            self.record = run
            self._write()
        if status == "complete":
            (context.staging / f"fetched-{context.writer_id}.log").unlink(missing_ok=True)
        if stats is not None:
            stats.set_value("linkspider/status", status)
            stats.set_value("linkspider/exit_code", int(code))
        logger.info("worker %s of run %s %s (%s): %d pages (%d 2xx), %d links; the run: %s, %d "
                    "pages, %d links", context.writer_id, context.run_id, status, reason,
                    own["pages"], own["pages_ok"], own["links"],
                    run.status if finisher or last else "running", counts["pages"],
                    counts["links"])  # fmt: skip
