"""Crawl runs: ids, the ``runs`` table of run records, exit codes, and resume from the dataset.

The reading side (``read_runs``, ``complete_runs``, ``latest_run``) is what every tool that
must pick runs uses (report, diff, analysis); it reads only the dataset.
"""

from linkspider.runs.exitcodes import ExitCode
from linkspider.runs.ids import InvalidRunId, new_run_id, validate_run_id
from linkspider.runs.records import (
    RunRecord,
    complete_runs,
    latest_run,
    read_run_record,
    read_runs,
    write_run_record,
)

__all__ = [
    "ExitCode", "InvalidRunId", "RunRecord", "complete_runs", "latest_run", "new_run_id",
    "read_run_record", "read_runs", "validate_run_id", "write_run_record",
]  # fmt: skip
