"""``linkspider runs``: the runs of a dataset as a text table or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from linkspider.runs.records import RunRecord


def _duration(record: RunRecord) -> str:
    end = record.finished_at or record.heartbeat_at
    seconds = int((end - record.started_at).total_seconds())
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def runs_table(records: Sequence[RunRecord]) -> str:
    """Return one line per run: id, status, start, duration, counts, resumes, outcome."""
    header = ("run", "status", "started (UTC)", "took", "pages", "2xx", "failed", "links",
              "resumed", "exit", "note")  # fmt: skip
    rows = [header]
    for r in records:
        note = r.error or r.finish_reason or ""
        if r.status == "interrupted":
            note = f"killed: no heartbeat since {r.heartbeat_at:%Y-%m-%d %H:%M:%S}; --resume {r.run_id}"
        rows.append((
            r.run_id, r.status, f"{r.started_at:%Y-%m-%d %H:%M:%S}", _duration(r), str(r.pages),
            str(r.pages_ok), str(r.pages_failed), str(r.links), str(r.resumed),
            "" if r.exit_code is None else str(r.exit_code), note[:90],
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
             for row in rows]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines)


def runs_json(records: Sequence[RunRecord]) -> str:
    """Return the records as a JSON array (timestamps in ISO 8601, UTC)."""
    def value(v: object) -> object:
        return v.isoformat() if isinstance(v, datetime) else v

    return json.dumps([{k: value(v) for k, v in vars(r).items()} for r in records], indent=2)
