"""The DuckDB views the report reads: one run's links and pages, its target checks and
analysis tables, and the link history; each present only when its files are."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from linkspider.dataset.layout import run_files

ANALYSIS_TABLES = ("referring_domains", "domain_rank", "page_rank", "anchors", "domain_signals", "link_scores")


class ReportError(RuntimeError):
    """The dataset cannot be reported on; the message says what to do."""


def analysis_path(root: str | os.PathLike[str], run_id: str, table: str) -> Path:
    """Return where ``linkspider analyze`` writes ``table`` of a run (ANALYSIS_CONTRACT)."""
    return Path(root) / "analysis" / f"run={run_id}" / f"{table}.parquet"


def _files(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


@dataclass
class ReportViews:
    """A DuckDB connection with the report's views, and which of them exist."""

    con: duckdb.DuckDBPyConnection
    root: Path
    run_id: str
    present: set[str] = field(default_factory=set)
    history_runs: list[str] = field(default_factory=list)

    def has(self, *views: str) -> bool:
        return all(v in self.present for v in views)


def _view(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], hive: bool = False) -> bool:
    if not files:
        return False
    options = ", union_by_name = true" + (", hive_partitioning = true" if hive else "")
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_files(files)}{options})")
    return True


def open_views(root: str | os.PathLike[str], run_id: str, memory_limit: str = "1GB") -> ReportViews:
    """Return the views over run ``run_id`` of the dataset at ``root``."""
    root = Path(root)
    links, pages = run_files(root, "links", run_id), run_files(root, "pages", run_id)
    if not pages:
        raise ReportError(f"run {run_id} has no pages in {root}; crawl first (linkspider crawl ... --out {root})")
    con = duckdb.connect(config={"memory_limit": memory_limit})
    views = ReportViews(con, root, run_id)
    for name, files in (("links", links), ("pages", pages)):
        _view(con, name, files)
        views.present.add(name)
    if not links:  # a run whose pages hold no links: an empty links view of the right shape
        from linkspider.dataset.schema import LINKS_SCHEMA

        con.register("links", LINKS_SCHEMA.empty_table())
    if _view(con, "targets", sorted((root / "targets" / f"run={run_id}").glob("part-*.parquet"))):
        views.present.add("targets")
    for table in ANALYSIS_TABLES:
        if _view(con, table, [p for p in [analysis_path(root, run_id, table)] if p.exists()]):
            views.present.add(table)
    _history_views(views)
    return views


def _history_views(views: ReportViews) -> None:
    """``link_changes`` (every step up to the run) and ``run_links`` (those runs' links)."""
    from linkspider.runs import complete_runs

    root = views.root
    runs = complete_runs(root)
    if views.run_id in runs:
        runs = runs[: runs.index(views.run_id) + 1]
    changes = [p for r in runs if (p := root / "link_changes" / f"run={r}" / "link_changes.parquet").exists()]
    if not changes or len(runs) < 2:
        return
    _view(views.con, "link_changes", changes)
    _view(views.con, "run_links", [f for r in runs for f in run_files(root, "links", r)])
    views.present.update({"link_changes", "run_links"})
    views.history_runs = runs
