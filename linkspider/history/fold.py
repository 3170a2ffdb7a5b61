"""One step of the link history: the state before a run + the run's files -> the state after
it and the run's link changes (DuckDB, out of core, reading only the dataset).

A step reads the previous ``link_history`` (one row per link identity) and the new run's
``links`` and ``pages`` files, never older runs: its cost grows with the new run and the
number of identities, not with the number of runs. Memory is bounded by DuckDB's
``memory_limit``; what does not fit spills to a temporary directory under ``_staging``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa

from linkspider.dataset.layout import STAGING, run_files
from linkspider.history import queries
from linkspider.history.identity import TRACKED_KINDS, TRANSIENT_REASONS, sql_list, unreachable_pattern
from linkspider.dataset.schema import LINK_CHANGES_SCHEMA, LINK_HISTORY_SCHEMA, LINKS_SCHEMA, PAGES_SCHEMA, SCHEMA_VERSION

T = TypeVar("T")

#: Parquet key-value metadata of link_history: the runs folded into it, oldest first.
FOLDED_RUNS_KEY = "linkspider.history.runs"


class HistoryError(RuntimeError):
    """The history cannot be computed from the dataset as it is."""


class HistoryMemoryError(HistoryError):
    """DuckDB ran out of the history's memory limit, even on one thread."""


#: Why the links of a page in each state are not tracked, for :func:`untracked_note`.
UNTRACKED_WHY = {
    "not_canonical": "the page names another URL as canonical",
    "page_noindex": "the page is noindex",
    "page_redirected": "the page redirects or refreshes elsewhere",
    "page_not_found": "the page answered 4xx",
    "page_error": "the page answered 5xx or failed",
    "not_crawled": "no row for the page",
}


@dataclass
class Step:
    """What one step wrote: the run, the run it is measured from, and the change counts;
    ``links`` are the run's body links, ``untracked`` those on pages whose state leaves them
    out of the history, by state."""

    run_id: str
    from_run: str | None
    changes: int
    identities: int
    links: int = 0
    untracked: dict[str, int] = field(default_factory=dict)
    rebuild_reason: str | None = None  # why the history was rebuilt from this step on

    def note(self) -> str | None:
        """Return :func:`untracked_note` of this step."""
        return untracked_note(self.run_id, self.links, self.untracked)


def untracked_note(run_id: str, links: int, untracked: dict[str, int]) -> str | None:
    """Return a line saying how many of a run's body links the history leaves untracked, and
    why, when that is most of them; None otherwise.

    >>> untracked_note("r1", 4, {"page_noindex": 3})
    'link_history: 3 of 4 links of run r1 are not tracked: 3 page_noindex (the page is noindex)'
    """
    left_out = sum(untracked.values())
    if not links or 2 * left_out <= links:
        return None
    why = ", ".join(f"{n:,} {state} ({UNTRACKED_WHY.get(state, 'the page is not 2xx')})"
                    for state, n in untracked.items())  # fmt: skip
    return f"link_history: {left_out:,} of {links:,} links of run {run_id} are not tracked: {why}"


def history_path(root: str | os.PathLike[str]) -> Path:
    """Return the path of the dataset's link_history file."""
    return Path(root) / "link_history" / "link_history.parquet"


def changes_path(root: str | os.PathLike[str], to_run: str) -> Path:
    """Return the path of the link_changes file of the step to ``to_run``."""
    return Path(root) / "link_changes" / f"run={to_run}" / "link_changes.parquet"


def connect(root: str | os.PathLike[str], memory_limit: str,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:  # fmt: skip
    """Return a DuckDB connection with bounded memory, spilling under ``root/_staging``
    (``threads``: DuckDB's worker threads, None for its default of one per core)."""
    spill = Path(root) / STAGING / "history-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = {_literal(memory_limit)}")
    con.execute(f"SET temp_directory = {_literal(str(spill))}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def bounded(root: str | os.PathLike[str], memory_limit: str,
            work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:  # fmt: skip
    """Return ``work(con)`` on a :func:`connect` connection, closed and its spill removed
    afterwards.

    Each DuckDB thread keeps buffers of its own that do not spill, so a small
    ``memory_limit`` that is too tight for one per core is not for one thread: on an
    out-of-memory error the work is done again (from the start: each write is atomic and
    replaces) on one thread. Only a limit too small for one thread fails, with
    :class:`HistoryMemoryError`."""
    for threads in (None, 1):
        con = connect(root, memory_limit, threads)
        try:
            return work(con)
        except duckdb.OutOfMemoryException as exc:
            if threads == 1 or (os.cpu_count() or 1) == 1:
                first_line = str(exc).strip().splitlines()[0]
                raise HistoryMemoryError(
                    f"DuckDB ran out of the history's memory limit of {memory_limit}, on one thread "
                    f"too ({first_line}); raise it: --memory-limit 1GB, or "
                    "-s LINKSPIDER_HISTORY_MEMORY_LIMIT=1GB for a crawl's fold") from exc
        finally:
            con.close()
            cleanup(root)
    raise AssertionError("unreachable")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _plain(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dictionary strings as plain strings (what DuckDB reads them as)."""
    return pa.schema([f.with_type(pa.string()) if pa.types.is_dictionary(f.type) else f for f in schema])


def _view(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], schema: pa.Schema) -> None:
    if files:
        listing = "[" + ", ".join(_literal(str(f)) for f in files) + "]"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS "
                    f"SELECT * FROM read_parquet({listing}, union_by_name = true)")
    else:
        con.register(f"{name}_empty", _plain(schema).empty_table())
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_empty")


def load_prior(con: duckdb.DuckDBPyConnection, path: Path | None) -> list[str]:
    """Create the ``prior`` view over the link_history at ``path`` (empty when None or
    missing); return the runs folded into it."""
    if path is None or not path.exists():
        _view(con, "prior", [], LINK_HISTORY_SCHEMA)
        return []
    _view(con, "prior", [path], LINK_HISTORY_SCHEMA)
    return folded_runs(path)


def folded_runs(path: Path) -> list[str]:
    """Return the runs folded into the link_history file at ``path``, oldest first."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    text = metadata.get(FOLDED_RUNS_KEY.encode(), b"").decode()
    return [run for run in text.split("\n") if run]


def fold_run(con: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], run_id: str,
             from_run: str | None, transient_runs: int) -> None:  # fmt: skip
    """Compute the ``folded`` table: ``prior`` (already loaded) stepped through ``run_id``."""
    if transient_runs < 1:
        raise HistoryError(f"LINKSPIDER_HISTORY_TRANSIENT_RUNS must be at least 1, got {transient_runs}")
    load_run(con, root, run_id)
    con.execute(queries.PAIR_LINKS)
    con.execute(queries.FOLD.replace("{transient}", sql_list(TRANSIENT_REASONS)),
                {"run": run_id, "transient_runs": transient_runs, "first": from_run is None})


def load_run(con: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], run_id: str) -> None:
    """Create the ``run_links`` and ``run_pages`` views of ``run_id`` and its ``page_states``
    and ``current`` tables."""
    links, pages = run_files(root, "links", run_id), run_files(root, "pages", run_id)
    if not pages:
        raise HistoryError(f"run {run_id!r} has no pages files under {root}/pages; "
                           "is it a run of this dataset? (linkspider runs lists them)")
    _view(con, "run_links", links, LINKS_SCHEMA)
    _view(con, "run_pages", pages, PAGES_SCHEMA)
    con.execute(queries.PAGE_STATES.replace("{unreachable}", unreachable_pattern().replace("'", "''")))
    con.execute(queries.CURRENT_LINKS.replace("{kinds}", sql_list(TRACKED_KINDS)))


def untracked(con: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, int]]:
    """Return the loaded run's body links and, by page state, those the history does not
    track (after :func:`load_run`)."""
    counts = dict(con.execute(queries.UNTRACKED_LINKS).fetchall())
    total = sum(counts.values())
    return int(total), {state: int(n) for state, n in counts.items() if state != "ok"}


def run_untracked(root: str | os.PathLike[str], run_id: str, memory_limit: str) -> tuple[int, dict[str, int]]:
    """Return :func:`untracked` of ``run_id`` on a connection of its own."""

    def work(con: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, int]]:
        load_run(con, root, run_id)
        return untracked(con)

    return bounded(root, memory_limit, work)


def write_history(con: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], path: Path,
                  runs: list[str]) -> int:  # fmt: skip
    """Write the ``folded`` state as the link_history file at ``path`` (atomically); return
    its rows."""
    columns = ", ".join(f.name for f in LINK_HISTORY_SCHEMA)
    query = queries.HISTORY_AFTER.replace("{history_columns}", columns)
    metadata = {FOLDED_RUNS_KEY: "\n".join(runs), "linkspider.table": "link_history",
                "linkspider.schema_version": SCHEMA_VERSION}  # fmt: skip
    return _copy_atomically(con, root, query, {}, path, metadata)


def write_changes(con: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], from_run: str,
                  to_run: str) -> int:  # fmt: skip
    """Write the ``folded`` step's changes as the link_changes partition of ``to_run``
    (atomically, replacing an earlier one); return its rows."""
    metadata = {"linkspider.table": "link_changes", "linkspider.schema_version": SCHEMA_VERSION}
    return _copy_atomically(con, root, queries.CHANGES_OF_STEP, {"from_run": from_run, "run": to_run},
                            changes_path(root, to_run), metadata)


def _copy_atomically(con: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], query: str,
                     params: dict, path: Path, metadata: dict[str, str]) -> int:  # fmt: skip
    staging = Path(root) / STAGING / "history"
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{path.parent.name}-{path.name}.{os.getpid()}.tmp"
    kv = "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in metadata.items()) + "}"
    for name, value in params.items():  # COPY takes no prepared parameters
        query = query.replace(f"${name}", _literal(value))
    try:
        rows = con.execute(f"COPY ({query}) TO {_literal(str(tmp))} "
                           f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {kv})").fetchone()[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
    except (duckdb.IOException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise HistoryError(f"cannot write {path}: {exc}; is the disk full?") from exc
    finally:
        try:
            staging.rmdir()  # only when empty: another writer may be using it
        except OSError:
            pass
    return int(rows)


def cleanup(root: str | os.PathLike[str]) -> None:
    """Remove the history's spill directory."""
    shutil.rmtree(Path(root) / STAGING / "history-spill", ignore_errors=True)
