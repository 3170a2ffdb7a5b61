"""A short summary of one crawl run, read back from its Parquet files with DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

from linkspider.dataset.schema import PAGE_FAILED_SQL, PAGE_OK_SQL


class ReportError(RuntimeError):
    """The dataset to report on is missing or unreadable."""


def dataset_glob(root: str | Path, table: str) -> str:
    """Return the glob matching every Parquet file of ``table`` under the dataset ``root``."""
    return str(Path(root) / table / "*" / "*" / "*.parquet")


def latest_run(con: duckdb.DuckDBPyConnection, root: str | Path) -> str:
    """Return the id of the newest complete run (by its record), else of the newest run."""
    from linkspider.runs import latest_run as latest_recorded_run

    recorded = latest_recorded_run(root) or latest_recorded_run(root, status=None)
    if recorded is not None:
        return recorded
    row = con.execute(
        "SELECT max(run) FROM read_parquet(?, hive_partitioning = true)",
        [dataset_glob(root, "pages")],
    ).fetchone()
    if row is None or row[0] is None:
        raise ReportError(f"no runs in {root}; run a crawl first (linkspider crawl ...)")
    return str(row[0])


def sql_string(value: str) -> str:
    """Return ``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def create_run_view(
    con: duckdb.DuckDBPyConnection, root: str | Path, table: str, run_id: str | None = None
) -> None:
    """Create a DuckDB view named ``table`` over the dataset's files (one run, or all runs)."""
    where = f" WHERE run = {sql_string(run_id)}" if run_id else ""
    con.execute(
        f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet("
        f"{sql_string(dataset_glob(root, table))}, hive_partitioning = true){where}"
    )


def summarize(root: str | Path, run_id: str | None = None, top: int = 5) -> str:
    """Return a plain-text report of a run: counts, top domains, follow split."""
    root = Path(root)
    if not (root / "pages").is_dir():
        raise ReportError(f"{root} holds no linkspider dataset (no pages/ folder)")
    con = duckdb.connect()
    run_id = run_id or latest_run(con, root)
    create_run_view(con, root, "pages", run_id)
    links_files = list((root / "links").glob(f"*/run={run_id}/*.parquet"))
    if links_files:
        create_run_view(con, root, "links", run_id)
    else:
        con.execute("CREATE VIEW links AS SELECT NULL::VARCHAR AS x WHERE false")
    pages, ok, failed, sites = con.execute(
        f"SELECT count(*), count(*) FILTER {PAGE_OK_SQL}, count(*) FILTER {PAGE_FAILED_SQL}, "
        "count(DISTINCT domain) FROM pages"
    ).fetchone()  # the run record's pages_ok and pages_failed
    from linkspider.runs import read_run_record

    record = read_run_record(root, run_id)
    status = f" ({record.status}, resumed {record.resumed}x)" if record else ""
    lines = [
        f"run {run_id} in {root}{status}",
        f"pages: {pages} ({ok} 2xx, {failed} failed) on {sites} sites",
    ]
    if not links_files:
        lines.append("links: 0")
        return "\n".join(lines)
    links, external, followed, nofollow = con.execute(
        "SELECT count(*), count(*) FILTER (is_external), count(*) FILTER (follow), "
        "count(*) FILTER (nofollow) FROM links"
    ).fetchone()
    lines.append(
        f"links: {links} ({external} external); follow: {followed}, no follow: "
        f"{links - followed} (rel=nofollow: {nofollow})"
    )
    lines.append("follow reasons: " + ", ".join(
        f"{reason} {n}" for reason, n in con.execute(
            "SELECT follow_reason, count(*) n FROM links GROUP BY 1 ORDER BY n DESC, 1"
        ).fetchall()
    ))  # fmt: skip
    lines.append("top referring domains (external links given):")
    for domain, n, targets in con.execute(
        "SELECT referring_domain, count(*) n, count(DISTINCT target_domain) FROM links "
        "WHERE is_external GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?",
        [top],
    ).fetchall():
        lines.append(f"  {domain:<32} {n:>7} links to {targets} domains")
    lines.append("top target domains (referring domains):")
    for domain, refs, n in con.execute(
        "SELECT target_domain, count(DISTINCT referring_domain) refs, count(*) FROM links "
        "WHERE is_external GROUP BY 1 ORDER BY refs DESC, 3 DESC, 1 LIMIT ?",
        [top],
    ).fetchall():
        lines.append(f"  {domain:<32} {refs:>4} referring domains, {n} links")
    return "\n".join(lines)
