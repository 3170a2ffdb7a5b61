"""DuckDB aggregates over one run: the ``referring_domains`` and ``anchors`` tables.

``open_run`` creates the views the named queries of ``linkspider.analysis.queries`` read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from linkspider.analysis import queries
from linkspider.analysis.anchors import brand_names, classify_anchor
from linkspider.dataset.layout import run_files


class AnalysisError(RuntimeError):
    """The run to analyze is missing or unreadable; the message says what to do."""


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _file_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_sql_string(str(p)) for p in paths) + "]"


def open_run(root: str | os.PathLike[str], run_id: str, threads: int | None = None,
             memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:  # fmt: skip
    """Return a DuckDB connection with views ``run_links`` and ``run_pages`` over one run."""
    links, pages = run_files(root, "links", run_id), run_files(root, "pages", run_id)
    if not pages:
        raise AnalysisError(f"run {run_id!r} has no pages files in {Path(root).absolute()}; "
                            "check --out and --run (linkspider runs --out DIR lists the runs)")  # fmt: skip
    if not links:
        raise AnalysisError(f"run {run_id!r} in {Path(root).absolute()} has no links files: "
                            "nothing to analyze")  # fmt: skip
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = {_sql_string(memory_limit)}")
    con.execute(f"CREATE VIEW run_links AS SELECT * FROM read_parquet({_file_list(links)}, "
                "union_by_name = true)")  # fmt: skip
    con.execute(f"CREATE VIEW run_pages AS SELECT * FROM read_parquet({_file_list(pages)}, "
                "union_by_name = true)")  # fmt: skip
    return con


def anchor_classes(con: duckdb.DuckDBPyConnection,
                   brands: Mapping[str, Sequence[str]] | None = None,
                   keywords: Mapping[str, Sequence[str]] | None = None) -> pa.Table:  # fmt: skip
    """Return (target_domain, anchor_text, anchor_from_alt, anchor_class) for every distinct
    backlink anchor; ``brands``/``keywords`` map a target domain (or ``""``, every target) to
    its names (linkspider.analysis.anchors)."""
    brands, keywords = brands or {}, keywords or {}
    rows: dict[str, list] = {"target_domain": [], "anchor_text": [], "anchor_from_alt": [],
                             "anchor_class": []}  # fmt: skip
    names_of: dict[str, tuple[tuple[str, ...], list[str]]] = {}  # target -> brands, keywords
    for target, text, from_alt in con.execute(queries.ANCHOR_KEYS).fetchall():
        if target not in names_of:  # the brand is the domain's label: one PSL lookup per target
            names_of[target] = (brand_names(target, [*brands.get("", ()), *brands.get(target, ())]),
                                [*keywords.get("", ()), *keywords.get(target, ())])  # fmt: skip
        names, words = names_of[target]
        rows["target_domain"].append(target)
        rows["anchor_text"].append(text)
        rows["anchor_from_alt"].append(bool(from_alt))
        rows["anchor_class"].append(classify_anchor(text, bool(from_alt), names, words))
    return pa.table(rows, schema=pa.schema([("target_domain", pa.string()),
                                            ("anchor_text", pa.string()),
                                            ("anchor_from_alt", pa.bool_()),
                                            ("anchor_class", pa.string())]))  # fmt: skip


def anchors_table(con: duckdb.DuckDBPyConnection, run_id: str) -> pa.Table:
    """Return the ``anchors`` table (``anchor_classes`` must be registered on ``con``)."""
    return con.sql(queries.ANCHORS, params={"run_id": run_id}).to_arrow_table()


def referring_domains_table(con: duckdb.DuckDBPyConnection, run_id: str, authority: pa.Table,
                            history: pa.Table | None, targets: Sequence[str] = ()) -> pa.Table:  # fmt: skip
    """Return the ``referring_domains`` table: per target domain, and per target URL of the
    ``targets`` domains. ``authority`` has columns (domain, authority); ``history`` (referring
    and target domain, first_seen_at, last_seen_at) is link_history, or None."""
    if history is None:
        history = pa.table({"referring_domain": pa.array([], pa.string()),
                            "target_domain": pa.array([], pa.string()),
                            "first_seen_at": pa.array([], pa.timestamp("us", tz="UTC")),
                            "last_seen_at": pa.array([], pa.timestamp("us", tz="UTC"))})  # fmt: skip
    con.register("authority", authority)
    con.register("history", history)
    try:
        parts = [con.sql(queries.REFERRING_DOMAINS.format(url="NULL::VARCHAR", only=""),
                             params={"run_id": run_id}).to_arrow_table()]  # fmt: skip
        if targets:
            only = "AND target_domain::VARCHAR IN (" + ", ".join(map(_sql_string, targets)) + ")"
            parts.append(con.sql(queries.REFERRING_DOMAINS.format(url="target_url", only=only),
                                     params={"run_id": run_id}).to_arrow_table())  # fmt: skip
    finally:
        con.unregister("authority")
        con.unregister("history")
    return pa.concat_tables(parts)
