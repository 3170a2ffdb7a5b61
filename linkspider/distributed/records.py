"""The records of a distributed run: one per worker, and the run's own, merged.

Each worker writes its record (its own part files counted, its exit) at
``runs/run=<id>/workers/worker=<writer id>.parquet``, beside the run's record
(``runs/run=<id>/run.parquet``, the ``runs`` table). The run's record is written by the worker
that ends last: its counts are the sum of every worker's (counted from the files it can see, or
as published in Redis by a worker whose files it cannot), ``pages_refetched`` the entries
requeued from dead workers and fetched again, and its status is ``complete`` only when the
frontier is empty and nothing is in flight. Columns: ``linkspider.dataset.schema`` (``RUNS_FIELDS``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq

from linkspider.dataset.layout import run_record_path
from linkspider.runs.records import RunRecord, _record_from_row


def worker_records_directory(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the directory of the per-worker records of run ``run_id``."""
    return run_record_path(root, run_id).parent / "workers"


def read_worker_records(root: str | os.PathLike[str], run_id: str) -> list[RunRecord]:
    """Return the record of each worker of run ``run_id`` in the dataset at ``root``."""
    paths = sorted(worker_records_directory(root, run_id).glob("worker=*.parquet"))
    return [_record_from_row(pq.read_table(path).to_pylist()[0]) for path in paths]
