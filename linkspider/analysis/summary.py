"""The backlink profile as text, read from the analysis tables only (``linkspider report``).

``profile_text(root, run_id)`` summarizes the run's analysis: the strongest domains and the
domains that raise the most spam flags, with the flags named; with ``target`` it is one
target's profile: referring domains against backlinks, how many pass equity, the anchor-class
mix, the strongest referring domains and the flagged ones, and why.
"""

from __future__ import annotations

import os

import duckdb

from linkspider.analysis.dataset import analysis_path
from linkspider.analysis.rollups import AnalysisError


def _view(con: duckdb.DuckDBPyConnection, root: str | os.PathLike[str], run_id: str, table: str) -> bool:
    path = analysis_path(root, run_id, table)
    if not path.exists():
        return False
    literal = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({literal})")
    return True


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def profile_text(root: str | os.PathLike[str], run_id: str, target: str | None = None,
                 top: int = 5) -> str:  # fmt: skip
    """Return the text profile of a run's analysis (of one ``target`` domain when given)."""
    con = duckdb.connect()
    for table in ("domain_rank", "referring_domains", "anchors"):
        if not _view(con, root, run_id, table):
            raise AnalysisError(f"run {run_id!r} has no {table} table; run linkspider analyze "
                                f"--out {root} --run {run_id}")  # fmt: skip
    _view(con, root, run_id, "page_rank")
    has_signals = _view(con, root, run_id, "domain_signals")
    if not has_signals:
        con.execute("CREATE VIEW domain_signals AS SELECT NULL::VARCHAR AS referring_domain, "
                    "[]::VARCHAR[] AS flags, 0 AS flag_count WHERE false")  # fmt: skip
    if target:
        return _target_text(con, target.lower(), top)
    lines = [f"backlink profile of run {run_id} (linkspider analyze):"]
    (domains,) = con.execute("SELECT count(*) FROM domain_rank").fetchone()
    lines.append(f"domain graph: {domains} domains; strongest (authority 0-100, PageRank, referring domains):")
    for domain, authority, rank, refs in con.execute(
        "SELECT domain, authority, pagerank, referring_domains FROM domain_rank "
        "ORDER BY pagerank DESC, domain LIMIT ?", [top]
    ).fetchall():
        lines.append(f"  {domain:<32} {authority:5.1f}  {rank:.5f}  {refs:>5}")
    lines.extend(_flagged(con, None, top))
    return "\n".join(lines)


def _flagged(con: duckdb.DuckDBPyConnection, target: str | None, top: int) -> list[str]:
    where = "" if target is None else (
        "WHERE referring_domain IN (SELECT referring_domain FROM referring_domains "
        "WHERE target_domain = $target AND target_url IS NULL)")  # fmt: skip
    params = {} if target is None else {"target": target}
    (count,) = con.execute(f"SELECT count(*) FILTER (flag_count > 0) FROM domain_signals {where}",
                           params).fetchone()  # fmt: skip
    rows = con.execute(f"SELECT referring_domain, flag_count, flags FROM domain_signals {where} "
                       f"{'WHERE' if not where else 'AND'} flag_count > 0 "
                       f"ORDER BY flag_count DESC, referring_domain LIMIT {int(top)}", params).fetchall()  # fmt: skip
    lines = [f"spam signals: {count} flagged referring domains (signals beyond the crawl's Tukey fences)"]
    lines.extend(f"  {domain:<32} {n} flags: {', '.join(flags)}" for domain, n, flags in rows)
    return lines


def _target_text(con: duckdb.DuckDBPyConnection, target: str, top: int) -> str:
    row = con.execute(
        "SELECT count(*), coalesce(sum(backlinks), 0), coalesce(sum(followed_backlinks), 0), "
        "coalesce(sum(linking_pages), 0) FROM referring_domains "
        "WHERE target_domain = $target AND target_url IS NULL", {"target": target}
    ).fetchone()  # fmt: skip
    refs, links, followed, pages = row
    rank = con.execute("SELECT authority, pagerank FROM domain_rank WHERE domain = $target",
                       {"target": target}).fetchone()  # fmt: skip
    lines = [f"backlink profile of {target}:"]
    if rank:
        lines.append(f"authority {rank[0]:.1f} (PageRank {rank[1]:.5f})")
    if not refs:
        lines.append("no backlinks in this run")
        return "\n".join(lines)
    lines.append(f"{refs} referring domains, {links} backlinks from {pages} pages; "
                 f"followed: {followed} ({_share(followed, links)})")  # fmt: skip
    mix = con.execute(
        "SELECT anchor_class, sum(backlinks) n FROM anchors WHERE target_domain = $target "
        "GROUP BY 1 ORDER BY n DESC, 1", {"target": target}
    ).fetchall()  # fmt: skip
    lines.append("anchor classes: " + ", ".join(f"{c} {n} ({_share(n, links)})" for c, n in mix))
    lines.append("top anchors:")
    for text, anchor_class, n, domains in con.execute(
        "SELECT anchor_text, anchor_class, backlinks, referring_domains FROM anchors "
        "WHERE target_domain = $target ORDER BY backlinks DESC, anchor_text LIMIT $top",
        {"target": target, "top": top},
    ).fetchall():
        lines.append(f"  {text[:40]!r:<44} {anchor_class:<10} {n:>5} links, {domains} domains")
    lines.append("top referring domains (authority, backlinks, followed):")
    for domain, authority, n, f in con.execute(
        "SELECT referring_domain, authority, backlinks, followed_backlinks FROM referring_domains "
        "WHERE target_domain = $target AND target_url IS NULL "
        "ORDER BY authority DESC NULLS LAST, backlinks DESC, referring_domain LIMIT $top",
        {"target": target, "top": top},
    ).fetchall():
        lines.append(f"  {domain:<32} {authority or 0:5.1f} {n:>6} {f:>6}")
    pages = con.execute(
        "SELECT target_url, count(*) refs, sum(backlinks) n FROM referring_domains "
        "WHERE target_domain = $target AND target_url IS NOT NULL "
        "GROUP BY 1 ORDER BY refs DESC, n DESC, 1 LIMIT $top", {"target": target, "top": top}
    ).fetchall()  # fmt: skip
    if pages:
        lines.append("top target pages (referring domains, backlinks):")
        lines.extend(f"  {url:<60} {refs:>5} {n:>6}" for url, refs, n in pages)
    lines.extend(_flagged(con, target, top))
    lines.extend(_internal_equity(con, target, top))
    return "\n".join(lines)


def _internal_equity(con: duckdb.DuckDBPyConnection, target: str, top: int) -> list[str]:
    """The pages of the target's own site that collect and that starve of internal equity."""
    if not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'page_rank'").fetchone()[0]:
        return []
    rows = con.execute("SELECT url, link_score, inlinks FROM page_rank WHERE site = $target "
                       "ORDER BY pagerank DESC, url", {"target": target}).fetchall()  # fmt: skip
    if not rows:
        return []
    lines = [f"internal link score of its {len(rows)} URLs (0-100, inlinks): strongest"]
    lines.extend(f"  {url:<60} {score:5.1f} {n:>5}" for url, score, n in rows[:top])
    if len(rows) > top:
        lines.append("weakest:")
        lines.extend(f"  {url:<60} {score:5.1f} {n:>5}" for url, score, n in rows[-min(top, len(rows) - top):])
    return lines


def report_section(root: str | os.PathLike[str], run_id: str | None, target: str | None = None,
                   top: int = 5) -> str | None:  # fmt: skip
    """Return the profile text for ``linkspider report``: of ``run_id`` (default: the run the
    crawl summary shows, the latest complete one), or None when that run has no analysis and
    no ``target`` was asked for (then AnalysisError says to run ``linkspider analyze``)."""
    from linkspider.analysis.analyze import resolve_run

    try:
        run_id = resolve_run(root, run_id)
    except AnalysisError:
        if target is None:
            return None
        raise
    if not analysis_path(root, run_id, "domain_rank").exists():
        if target is None:
            return None
        raise AnalysisError(f"run {run_id!r} is not analyzed yet: run linkspider analyze --out {root} "
                            f"--run {run_id}, then report --target again")  # fmt: skip
    return profile_text(root, run_id, target, top)
