"""The dataset as the journal of a run: what a run has durably done, read back from its files.

A killed crawl leaves complete Parquet files only (``pipelines.parquet``). Each commit puts a
``links`` part and then its ``pages`` twin (same file name) in place, so the ``pages`` rows are
the commit marker: a ``links`` part without its ``pages`` twin is the remains of a kill
between the two renames, and is removed before resuming. From what is left, ``RunJournal``
tells which URLs were requested and answered, which pages' links were stored, and which pages
can be followed again: enough to rebuild the frontier, so no queue has to survive a kill.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from linkspider.dataset.layout import run_files, staging_directory
from linkspider.dataset.schema import PAGE_FAILED_SQL, PAGE_OK_SQL

#: Rows fetched from DuckDB at a time when replaying a run's links.
BATCH_ROWS = 8_192
#: DuckDB's memory while it sorts a run's links for the replay (it spills beyond).
JOURNAL_MEMORY = "256MB"


@dataclass
class FollowablePage:
    """A stored page whose links the spider would follow, with the request that reached it."""

    url: str
    domain: str | None
    depth: int
    hops: int
    links: dict[str, list]  #: target_url, target_scheme, target_domain, target_host columns
    rels: list[str | None]  #: rel values as written (space-separated), one per link


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


class RunJournal:
    """Read what one run of the dataset at ``root`` has on disk."""

    def __init__(self, root: str | os.PathLike[str], run_id: str) -> None:
        self.root = Path(root)
        self.run_id = run_id

    def pages_files(self) -> list[Path]:
        return run_files(self.root, "pages", self.run_id)

    def links_files(self) -> list[Path]:
        return run_files(self.root, "links", self.run_id)

    def remove_orphan_links(self) -> list[Path]:
        """Delete ``links`` parts whose ``pages`` twin never reached disk; return them."""
        pages = {(p.parent.parent.name, p.name) for p in self.pages_files()}
        orphans = [p for p in self.links_files() if (p.parent.parent.name, p.name) not in pages]
        for path in orphans:
            path.unlink(missing_ok=True)
        return orphans

    def _pages_column(self, *columns: str):  # -> pa.Table
        files = self.pages_files()
        if not files:
            return None
        return pq.ParquetDataset(files, partitioning=None).read(columns=list(columns))

    def requested_urls(self) -> list[str]:
        """Return the URLs the run requested and recorded (answered or failed)."""
        table = self._pages_column("url")
        return [] if table is None else table.column("url").to_pylist()

    def stored_final_urls(self) -> list[str]:
        """Return the final URLs of the stored pages (their links are stored once each)."""
        table = self._pages_column("final_url")
        if table is None:
            return []
        return [u for u in table.column("final_url").to_pylist() if u is not None]

    def stored_redirect_hops(self) -> list[tuple[str, str]]:
        """Return the ``(from_url, to_url)`` of every stored redirect row."""
        files = self.links_files()
        if not files:
            return []
        rows = duckdb.connect().execute(
            f"SELECT source_url, target_url || coalesce('#' || target_fragment, '') "
            f"FROM read_parquet({_sql_list(files)}, union_by_name = true) "
            "WHERE link_kind = 'redirect'"
        ).fetchall()
        return [(a, b) for a, b in rows]

    def durable_counts(self) -> dict[str, int]:
        """Return the run's rows on disk: pages, pages_ok and pages_failed (as
        ``PAGE_OK_SQL`` and ``PAGE_FAILED_SQL`` define them), bytes, links."""
        counts = {"pages": 0, "pages_ok": 0, "pages_failed": 0, "bytes": 0, "links": 0}
        files = self.pages_files()
        if files:
            pages, ok, failed, size = duckdb.connect().execute(
                f"SELECT count(*), count(*) FILTER {PAGE_OK_SQL}, count(*) FILTER {PAGE_FAILED_SQL}, "
                f"coalesce(sum(size), 0) FROM read_parquet({_sql_list(files)}, union_by_name = true)"
            ).fetchone()  # fmt: skip
            counts.update(pages=int(pages), pages_ok=int(ok), pages_failed=int(failed), bytes=int(size))
        counts["links"] = sum(pq.ParquetFile(p).metadata.num_rows for p in self.links_files())
        return counts

    def rendering_counts(self) -> list[dict[str, object]]:
        """Return, per site of the rendered pages on disk (``crawl --render``), the pages
        rendered and the links only their rendered DOM has, by site name."""
        files = [p for p in self.pages_files() if "render_status" in pq.read_schema(p).names]
        if not files:
            return []
        rows = duckdb.connect().execute(
            f"SELECT coalesce(domain, host) AS site, count(*), coalesce(sum(rendered_links), 0) "
            f"FROM read_parquet({_sql_list(files)}, union_by_name = true) "
            "WHERE render_status IS NOT NULL GROUP BY site ORDER BY site"
        ).fetchall()  # fmt: skip
        return [{"site": site, "pages_rendered": int(pages), "links_added": int(added)}
                for site, pages, added in rows]  # fmt: skip

    def followable_pages(self, max_depth: int, follow_nofollow_pages: bool) -> Iterator[FollowablePage]:
        """Yield the stored pages the spider follows links from (answered below 400, not past
        ``max_depth``, and not page-level nofollow unless ``follow_nofollow_pages``), each
        with its stored body links, for every request that reached it; shallowest first."""
        pages, links = self.pages_files(), self.links_files()
        if not pages or not links:
            return
        con = duckdb.connect()
        # Bounded memory for a run of any size: the sort spills to the staging directory.
        staging = staging_directory(self.root, self.run_id)
        staging.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET memory_limit = '{JOURNAL_MEMORY}'")
        con.execute("SET threads = 1")
        con.execute("SET temp_directory = ?", [str(staging / "duckdb.tmp")])
        con.execute(
            f"CREATE VIEW p AS SELECT * FROM read_parquet({_sql_list(pages)}, union_by_name = true)"
        )
        con.execute(
            f"CREATE VIEW l AS SELECT * FROM read_parquet({_sql_list(links)}, union_by_name = true)"
        )
        result = con.execute(
            """
            SELECT p.final_url, p.domain, p.depth, coalesce(p.hops, 0) AS hops,
                   l.target_url, l.target_scheme, l.target_domain, l.target_host,
                   array_to_string(l.rel, ' ') AS rel
            FROM p JOIN l ON l.source_url = p.final_url AND l.link_kind <> 'redirect'
            WHERE p.error IS NULL AND p.status < 400 AND p.depth < ?
              AND (? OR NOT coalesce(p.page_nofollow, false))
            ORDER BY p.depth, p.final_url, hops, l.position NULLS LAST
            """,
            [max_depth, follow_nofollow_pages],
        )
        current: FollowablePage | None = None
        while batch := result.fetchmany(BATCH_ROWS):
            for url, domain, depth, hops, target, scheme, tdomain, thost, rel in batch:
                if current is None or (current.url, current.depth, current.hops) != (url, depth, hops):
                    if current is not None:
                        yield current
                    current = FollowablePage(url, domain, depth, hops, {
                        "target_url": [], "target_scheme": [], "target_domain": [],
                        "target_host": [],
                    }, [])  # fmt: skip
                current.links["target_url"].append(target)
                current.links["target_scheme"].append(scheme)
                current.links["target_domain"].append(tdomain)
                current.links["target_host"].append(thost)
                current.rels.append(rel or None)
        if current is not None:
            yield current


def fetch_logs(root: str | os.PathLike[str], run_id: str) -> list[Path]:
    """Return the fetch logs (one URL per response received) that earlier attempts left."""
    return sorted(staging_directory(root, run_id).glob("fetched-*.log"))


def count_refetched(logs: list[Path], durable_urls: set[str]) -> int:
    """Return how many URLs the logs name that are not durable (they will be fetched again)."""
    lost: set[str] = set()
    for log in logs:
        with open(log, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                url = line.rstrip("\n")
                if url and url not in durable_urls:
                    lost.add(url)
    return len(lost)


def remove_unfinished_staging(root: str | os.PathLike[str], run_id: str) -> list[Path]:
    """Delete the temporary files earlier attempts of a run left in its staging directory."""
    stale = sorted(staging_directory(root, run_id).glob("*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
