"""``linkspider diff``: the link changes between two complete runs, and their summary.

By default the last two complete runs: link_history is brought up to date (each step writes
its run's ``link_changes`` partition) and the newest step is summarized. ``--from A --to B``
for runs that are not consecutive (or a history that is not there) folds the complete runs up
to A from scratch in ``_staging`` and then B, as if B were the run after A; that costs a pass
over the runs up to A, and replaces B's ``link_changes`` partition (its from_run says A).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from linkspider.dataset.layout import STAGING
from linkspider.history import fold, queries
from linkspider.history.fold import HistoryError
from linkspider.history.update import (
    comparable_runs, memory_limit_or_default, transient_runs_or_default, update_history,
)  # fmt: skip


@dataclass
class DiffSummary:
    """What changed from one run to another."""

    from_run: str
    to_run: str
    path: Path
    counts: list[tuple[str, str, int]] = field(default_factory=list)  # change, reason, links
    domains_gained: int = 0
    domains_lost: int = 0
    top_lost_targets: list[tuple[str, int]] = field(default_factory=list)
    untracked: str | None = None  # fold.untracked_note of to_run

    def text(self) -> str:
        """Return the summary as plain text."""
        lines = [f"link changes from {self.from_run} to {self.to_run} ({self.path})", ""]
        total = sum(n for _, _, n in self.counts)
        lines.append(f"{'change':<10} {'reason':<20} {'links':>8}")
        for change, reason, links in self.counts:
            lines.append(f"{change:<10} {reason:<20} {links:>8}")
        lines.append(f"{'total':<31} {total:>8}")
        lines += ["", f"referring domains gained: {self.domains_gained}",
                  f"referring domains lost:   {self.domains_lost}"]  # fmt: skip
        if self.top_lost_targets:
            lines += ["", "targets that lost most links:"]
            lines += [f"{n:>8}  {url}" for url, n in self.top_lost_targets]
        if self.untracked:
            lines += ["", self.untracked]
        return "\n".join(lines)


def pick_runs(runs: list[str], from_run: str | None, to_run: str | None) -> tuple[str, str]:
    """Return the (from, to) pair of complete runs asked for (default: the last two)."""
    if len(runs) < 2:
        raise HistoryError(f"a diff needs two complete runs; the dataset has {len(runs)} "
                           "(crawl again, then diff)")  # fmt: skip
    for name, run in (("--to", to_run), ("--from", from_run)):
        if run is not None and run not in runs:
            raise HistoryError(f"{name} {run!r} is not a complete run of the dataset; complete "
                               f"runs: {', '.join(runs[-5:])}{' ...' if len(runs) > 5 else ''}")
    to_run = to_run or runs[-1]
    if from_run is None:
        if runs.index(to_run) == 0:
            raise HistoryError(f"{to_run!r} is the first complete run: nothing to diff it from")
        from_run = runs[runs.index(to_run) - 1]
    if runs.index(from_run) >= runs.index(to_run):
        raise HistoryError(f"--from {from_run!r} must be a complete run older than --to {to_run!r}")
    return from_run, to_run


def diff(root: str | os.PathLike[str], from_run: str | None = None, to_run: str | None = None,
         top: int = 10, transient_runs: int | None = None,
         memory_limit: str | None = None) -> DiffSummary:  # fmt: skip
    """Write the link_changes of ``from_run`` -> ``to_run`` into ``root`` and summarize them."""
    root = Path(root)
    runs = comparable_runs(root)
    from_run, to_run = pick_runs(runs, from_run, to_run)
    summary = _diff(root, runs, from_run, to_run, top, transient_runs, memory_limit)
    memory = memory_limit_or_default(memory_limit)
    summary.untracked = fold.untracked_note(to_run, *fold.run_untracked(root, to_run, memory))
    return summary


def _diff(root: Path, runs: list[str], from_run: str, to_run: str, top: int,
          transient_runs: int | None, memory_limit: str | None) -> DiffSummary:  # fmt: skip
    if runs.index(from_run) + 1 == runs.index(to_run):  # consecutive: link_history's own step
        update_history(root, transient_runs, memory_limit)
        history = fold.history_path(root)
        if fold.folded_runs(history)[-1] == to_run and _changes_from(root, to_run) == from_run:
            return summarize(root, from_run, to_run, history, top)
    return _diff_from_scratch(root, runs, from_run, to_run, top, transient_runs, memory_limit)


def _changes_from(root: Path, to_run: str) -> str | None:
    path = fold.changes_path(root, to_run)
    if not path.exists():
        return None
    row = duckdb.connect().execute("SELECT any_value(from_run) FROM read_parquet(?)", [str(path)]).fetchone()
    return row[0] if row else None


def _diff_from_scratch(root: Path, runs: list[str], from_run: str, to_run: str, top: int,
                       transient_runs: int | None, memory_limit: str | None) -> DiffSummary:  # fmt: skip
    transient = transient_runs_or_default(transient_runs)
    memory = memory_limit_or_default(memory_limit)
    scratch = root / STAGING / f"diff-{os.getpid()}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        path, done = scratch / "link_history.parquet", []
        for run_id in runs[: runs.index(from_run) + 1]:
            _fold_into(root, path, done, run_id, transient, memory, write_changes_of=None)
            done.append(run_id)
        _fold_into(root, path, done, to_run, transient, memory, write_changes_of=from_run)
        return summarize(root, from_run, to_run, path, top)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fold_into(root: Path, path: Path, done: list[str], run_id: str, transient: int, memory: str,
               write_changes_of: str | None) -> None:  # fmt: skip
    def work(con: duckdb.DuckDBPyConnection) -> None:
        fold.load_prior(con, path if done else None)
        fold.fold_run(con, root, run_id, done[-1] if done else None, transient)
        if write_changes_of is not None:
            fold.write_changes(con, root, write_changes_of, run_id)
        fold.write_history(con, root, path, done + [run_id])

    fold.bounded(root, memory, work)


def summarize(root: Path, from_run: str, to_run: str, history_after: Path, top: int = 10) -> DiffSummary:
    """Return the summary of the link_changes of ``to_run`` (``history_after``: link_history
    after that step)."""
    path = fold.changes_path(root, to_run)
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW changes AS SELECT * FROM read_parquet({fold._literal(str(path))})")
        con.execute(f"CREATE VIEW after AS SELECT * FROM read_parquet({fold._literal(str(history_after))})")
        counts = [(c, r, int(n)) for c, r, n in con.execute(queries.SUMMARY_COUNTS).fetchall()]
        gained, lost = con.execute(queries.SUMMARY_DOMAINS).fetchone()
        losers = [(u, int(n)) for u, n in con.execute(queries.SUMMARY_TOP_LOSERS, {"top": top}).fetchall()]
    finally:
        con.close()
    return DiffSummary(from_run, to_run, path, counts, int(gained), int(lost), losers)
