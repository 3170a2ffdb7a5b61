"""Run records: one row per crawl run in the dataset's ``runs`` table, and how to read them.

A record is written when a run starts, renewed on a heartbeat while it runs, and completed
when it ends, each time by writing a new file in the staging directory and renaming it over
``runs/run=<id>/run.parquet``, so a reader always finds a whole record. A run killed outright
leaves ``status = 'running'`` with a heartbeat that stops; ``read_runs`` reports it as
``interrupted``. Columns are documented in ``linkspider.dataset.schema`` (``RUNS_FIELDS``).
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.dataset.layout import process_alive, run_record_path, staging_directory
from linkspider.dataset.schema import RUNS_SCHEMA

#: Statuses stored in the table; ``interrupted`` is only ever derived when reading.
STORED_STATUSES = ("running", "complete", "partial", "failed")
#: A heartbeat older than this many intervals means the crawl is gone.
STALE_HEARTBEATS = 3.0


@dataclass
class RunRecord:
    """One run's record (the ``runs`` table's columns); ``status`` as read may be
    ``interrupted`` for a ``running`` record whose crawl is gone."""

    run_id: str
    output_dir: str
    crawl_date: str
    started_at: datetime
    heartbeat_at: datetime
    status: str = "running"
    exit_code: int | None = None
    finish_reason: str | None = None
    error: str | None = None
    linkspider_version: str = ""
    schema_version: str = ""
    seeds: list[str] = field(default_factory=list)
    seeds_count: int = 0
    seeds_sha256: str = ""
    settings: str = "{}"
    heartbeat_seconds: float = 5.0
    finished_at: datetime | None = None
    pages_ok: int = 0
    pages_failed: int = 0
    pages: int = 0
    links: int = 0
    bytes: int = 0
    resumed: int = 0
    pages_refetched: int = 0
    #: crawl --render: [{site, pages_rendered, links_added}] from the rows on disk; None without
    render_sites: list[dict] | None = None
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    @property
    def stored_status(self) -> str:
        """Return the status as written (``interrupted`` reads as ``running`` here)."""
        return "running" if self.status == "interrupted" else self.status

    def is_finished(self) -> bool:
        """Return True when the run ended by itself or was stopped cleanly."""
        return self.status in ("complete", "partial", "failed")


def write_run_record(root: str | os.PathLike[str], record: RunRecord) -> Path:
    """Write ``record`` atomically as the run's record file; return its path."""
    path = run_record_path(root, record.run_id)
    staging = staging_directory(root, record.run_id)
    staging.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    row = asdict(record)
    row["status"] = record.stored_status
    table = pa.Table.from_pylist([row], schema=RUNS_SCHEMA)
    tmp = staging / f"run-{os.getpid()}.parquet.tmp"
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def derived_status(record: RunRecord, now: datetime | None = None) -> str:
    """Return the record's status as a reader should see it: ``interrupted`` for a
    ``running`` run whose process is gone (same host) or whose heartbeat is stale."""
    if record.stored_status != "running":
        return record.stored_status
    if record.host == socket.gethostname() and record.pid != os.getpid():
        if not process_alive(record.pid):
            return "interrupted"
    now = now or datetime.now(timezone.utc)
    age = (now - record.heartbeat_at).total_seconds()
    return "interrupted" if age > STALE_HEARTBEATS * max(record.heartbeat_seconds, 1.0) else "running"


def _record_from_row(row: dict) -> RunRecord:
    names = {f.name for f in fields(RunRecord)}
    record = RunRecord(**{k: v for k, v in row.items() if k in names})
    record.status = derived_status(record)
    return record


def read_run_record(root: str | os.PathLike[str], run_id: str) -> RunRecord | None:
    """Return the record of ``run_id`` in the dataset at ``root``, or None when it has none."""
    path = run_record_path(root, run_id)
    if not path.exists():
        return None
    return _record_from_row(pq.read_table(path).to_pylist()[0])


def read_runs(root: str | os.PathLike[str]) -> list[RunRecord]:
    """Return every run record of the dataset at ``root``, oldest first."""
    records = []
    for path in sorted((Path(root) / "runs").glob("run=*/run.parquet")):
        records.append(_record_from_row(pq.read_table(path).to_pylist()[0]))
    return sorted(records, key=lambda r: (r.started_at, r.run_id))


def complete_runs(root: str | os.PathLike[str]) -> list[str]:
    """Return the ids of the complete runs of the dataset at ``root``, oldest first."""
    return [r.run_id for r in read_runs(root) if r.status == "complete"]


def latest_run(root: str | os.PathLike[str], status: str | None = "complete") -> str | None:
    """Return the id of the newest run with ``status`` (any status when None), or None."""
    runs = [r for r in read_runs(root) if status is None or r.status == status]
    return runs[-1].run_id if runs else None
