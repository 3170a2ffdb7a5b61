"""Which targets a run's links have, which of them the run fetched itself, which are checked.

Targets are the distinct http(s) ``target_url`` values of the run's external links
(``is_external``), optionally only on some domains (a domain matches its subdomains' hosts).
The crawl may have fetched some of them (seeds on other sites, ``--external-hops``): their
``pages`` rows say how they answered, and are copied rather than fetched again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from linkspider.dataset.layout import run_files
from linkspider.dataset.schema import TARGETS_SCHEMA
from linkspider.targets.outcome import error_is_refusal, target_outcome

#: Distinct external http(s) targets of the run's links ({links}: the run's files; $domains:
#: a list of domains, empty for all).
TARGET_URLS = """
SELECT DISTINCT target_url FROM read_parquet({links})
WHERE is_external AND target_scheme IN ('http', 'https')
  AND (len($domains) = 0 OR list_contains($domains, target_domain)
       OR list_contains($domains, target_host)
       OR len(list_filter($domains, lambda d: ends_with(target_host, '.' || d))) > 0)
ORDER BY target_url
"""

#: The run's own pages rows for URLs in the temporary table ``wanted(url)``.
CRAWLED_TARGETS = """
SELECT p.url, p.final_url, p.status, p.error, p.redirect_chain, p.fetched_at
FROM read_parquet({pages}) AS p JOIN wanted USING (url)
"""


def targets_directory(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the directory of a run's ``targets`` part files."""
    return Path(root) / "targets" / f"run={run_id}"


def _file_list(files: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"


def run_targets(root: str | os.PathLike[str], run_id: str, domains: Sequence[str] = ()) -> list[str]:
    """Return the run's distinct external http(s) target URLs (on ``domains`` if given)."""
    files = run_files(root, "links", run_id)
    if not files:
        return []
    wanted = [d.lower().rstrip(".").encode("idna").decode("ascii") for d in domains]
    con = duckdb.connect()
    try:
        rows = con.execute(TARGET_URLS.format(links=_file_list(files)), {"domains": wanted}).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def checked_urls(root: str | os.PathLike[str], run_id: str) -> set[str]:
    """Return the URLs the run's ``targets`` table already holds."""
    files = sorted(targets_directory(root, run_id).glob("part-*.parquet"))
    if not files:
        return set()
    con = duckdb.connect()
    try:
        return {row[0] for row in con.execute(f"SELECT url FROM read_parquet({_file_list(files)})").fetchall()}
    finally:
        con.close()


def crawled_rows(root: str | os.PathLike[str], run_id: str, urls: Sequence[str]) -> pa.Table:
    """Return ``targets`` rows for those of ``urls`` the run fetched itself (from ``pages``)."""
    from linkspider.urls.domains import registrable_domain
    from linkspider.urls.normalize import url_host

    files = run_files(root, "pages", run_id)
    if not files or not urls:
        return TARGETS_SCHEMA.empty_table()
    con = duckdb.connect()
    try:
        con.register("wanted", pa.table({"url": pa.array(list(urls), pa.string())}))
        found = con.sql(CRAWLED_TARGETS.format(pages=_file_list(files))).to_arrow_table().to_pylist()
    finally:
        con.close()
    rows, seen = [], set()
    for page in found:
        if page["url"] in seen:  # a URL fetched twice by a resumed run: one row
            continue
        seen.add(page["url"])
        chain = [{"url": hop["url"], "status": hop["status"]} for hop in page["redirect_chain"] or []]
        blocked = page["status"] is None and error_is_refusal(page["error"])
        host = url_host(page["url"])
        rows.append({
            "run_id": run_id, "url": page["url"], "target_host": host,
            "target_domain": registrable_domain(host), "status": page["status"],
            "final_url": page["final_url"], "redirect_chain": chain, "error": page["error"],
            "outcome": target_outcome(page["status"], page["error"] if page["status"] is None else None,
                                      len(chain), blocked),
            "method": "GET", "checked_by": "crawl",
            "checked_at": page["fetched_at"] or datetime.now(timezone.utc),
        })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=TARGETS_SCHEMA)
