"""Keep ``link_history`` current: fold every complete run not folded yet, oldest first, each
step also writing that run's ``link_changes`` partition.

Only complete runs are compared (``linkspider.runs.complete_runs``): a partial, failed or
interrupted run says nothing about the links it did not reach. Runs are folded in the order
they started; a run that completes (after a resume) once a later-started run was folded
belongs before it, so the history is rebuilt from all complete runs (a pass over each). A dataset written before run
records existed has no ``runs`` table; then every run found under ``pages/`` counts as
complete, oldest first by its first fetch.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from linkspider.history import fold
from linkspider.history.fold import HistoryError, Step

if TYPE_CHECKING:
    import duckdb

#: Defaults of the history's settings (documented in ``linkspider.settings``).
DEFAULT_TRANSIENT_RUNS = 2
DEFAULT_MEMORY_LIMIT = "256MB"


def settings_default(name: str, fallback: object) -> object:
    """Return the project's default of setting ``name`` (``linkspider.settings``)."""
    from linkspider import settings

    return getattr(settings, name, fallback)


def transient_runs_or_default(transient_runs: int | None) -> int:
    """Return ``transient_runs``, or the project's ``LINKSPIDER_HISTORY_TRANSIENT_RUNS``."""
    return int(transient_runs or settings_default("LINKSPIDER_HISTORY_TRANSIENT_RUNS", DEFAULT_TRANSIENT_RUNS))


def memory_limit_or_default(memory_limit: str | None) -> str:
    """Return ``memory_limit``, or the project's ``LINKSPIDER_HISTORY_MEMORY_LIMIT``."""
    return str(memory_limit or settings_default("LINKSPIDER_HISTORY_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT))


def comparable_runs(root: str | os.PathLike[str]) -> list[str]:
    """Return the ids of the dataset's complete runs, oldest first."""
    root = Path(root)
    if (root / "runs").is_dir():
        from linkspider.runs import complete_runs

        return complete_runs(root)
    import duckdb

    from linkspider.dataset.layout import table_glob

    if not any((root / "pages").glob("*/run=*/*.parquet")):
        return []
    rows = duckdb.connect().execute(
        "SELECT run FROM read_parquet(?, hive_partitioning = true, union_by_name = true) "
        "GROUP BY run ORDER BY min(fetched_at), run", [table_glob(root, "pages")],
    ).fetchall()  # fmt: skip
    return [str(run) for (run,) in rows]


@contextmanager
def history_lock(root: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the dataset's history lock: an exclusive ``flock`` on ``link_history/.lock``.

    Two updates of one dataset (overlapping cron jobs, a crawl's hook and a manual update)
    would both fold the same run and the last rename would win; with the lock the second waits,
    then finds the history current. The lock is released when the process dies."""
    path = fold.history_path(root).parent
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update_history(root: str | os.PathLike[str], transient_runs: int | None = None,
                   memory_limit: str | None = None) -> list[Step]:  # fmt: skip
    """Fold every complete run of ``root`` that link_history does not hold yet; return the
    steps taken (none when it is current). Concurrent updates of one dataset run one after
    the other (``history_lock``)."""
    with history_lock(root):
        return _update_history(root, transient_runs, memory_limit)


def _update_history(root: str | os.PathLike[str], transient_runs: int | None,
                    memory_limit: str | None) -> list[Step]:  # fmt: skip
    transient_runs = transient_runs_or_default(transient_runs)
    memory_limit = memory_limit_or_default(memory_limit)
    path = fold.history_path(root)
    done = fold.folded_runs(path) if path.exists() else []
    runs = comparable_runs(root)
    rebuild_reason = None
    if done and done[-1] in runs:
        todo = runs[runs.index(done[-1]) + 1:]
        missed = [run for run in runs[: runs.index(done[-1])] if run not in done]
        if missed:  # completed (after a resume) once a later-started run was folded
            rebuild_reason = (f"link_history rebuilt from all {len(runs)} complete runs: "
                              f"{', '.join(missed)} completed after {done[-1]} was folded and "
                              "belongs before it")  # fmt: skip
            done, todo = [], runs
    elif done:
        raise HistoryError(f"link_history in {root} was last updated with run {done[-1]!r}, which "
                           "is not a complete run of this dataset; move link_history/ away to "
                           "rebuild it from all complete runs")  # fmt: skip
    else:
        todo = runs
    steps: list[Step] = []
    for run_id in todo:
        steps.append(step(root, run_id, path, done, transient_runs, memory_limit))
        done = done + [run_id]
    if steps and rebuild_reason:
        steps[0].rebuild_reason = rebuild_reason
    return steps


def step(root: str | os.PathLike[str], run_id: str, path: Path, done: list[str],
         transient_runs: int, memory_limit: str) -> Step:  # fmt: skip
    """Fold ``run_id`` into the link_history at ``path`` (after the runs ``done``)."""
    from_run = done[-1] if done else None

    def work(con: duckdb.DuckDBPyConnection) -> Step:
        fold.load_prior(con, path if done else None)
        fold.fold_run(con, root, run_id, from_run, transient_runs)
        changes = fold.write_changes(con, root, from_run, run_id) if from_run else 0
        identities = fold.write_history(con, root, path, done + [run_id])
        links, untracked = fold.untracked(con)
        return Step(run_id, from_run, changes, identities, links, untracked)

    return fold.bounded(root, memory_limit, work)


def update_after_run(root: str | os.PathLike[str], run_id: str, transient_runs: int | None = None,
                     memory_limit: str | None = None) -> list[Step]:  # fmt: skip
    """The crawl's hook: bring link_history up to date when ``run_id`` ended complete, with
    the crawl's ``transient_runs`` and ``memory_limit`` (None: the settings' defaults).

    Does nothing for a run that is not complete (it is never compared)."""
    if run_id not in comparable_runs(root):
        return []
    return update_history(root, transient_runs, memory_limit)
