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
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq

from linkspider.dataset.layout import run_files, staging_directory
from linkspider.dataset.schema import PAGE_FAILED_SQL, PAGE_OK_SQL
from linkspider.urls.normalize import FETCHABLE_SCHEMES

#: Rows read at a time when replaying a run's pages and links.
BATCH_ROWS = 8_192
#: DuckDB's memory while it joins a run's links to its pages for the replay (it spills beyond).
JOURNAL_MEMORY = "256MB"


#: The columns of ``RunJournal.followable_links``' batches, one list per column.
FOLLOWABLE_COLUMNS = ("source_url", "domain", "depth", "hops", "position", "target_url",
                      "target_scheme", "target_domain", "target_host", "rel")  # fmt: skip


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

    def pages_values(self, *columns: str) -> Iterator[tuple]:
        """Yield ``columns`` of each of the run's ``pages`` rows as a tuple, read a batch at a
        time (the run's pages are never all in memory)."""
        for path in self.pages_files():
            for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS, columns=list(columns)):
                yield from zip(*(column.to_pylist() for column in batch.columns))

    def _pages_values(self, column: str) -> Iterator[str | None]:
        """Yield one column of the run's ``pages`` rows, read a batch at a time."""
        return (value for (value,) in self.pages_values(column))

    def requested_urls(self) -> Iterator[str]:
        """Yield the URLs the run requested and recorded (answered or failed)."""
        return self._pages_values("url")  # type: ignore[return-value]

    def stored_final_urls(self) -> Iterator[str]:
        """Yield the final URLs of the stored pages (their links are stored once each)."""
        return (u for u in self._pages_values("final_url") if u is not None)

    def stored_redirect_hops(self) -> Iterator[tuple[str, str]]:
        """Yield the ``(from_url, to_url)`` of every stored redirect row."""
        files = self.links_files()
        if not files:
            return
        result = _bounded_connection(self).execute(
            f"SELECT source_url, target_url || coalesce('#' || target_fragment, '') "
            f"FROM read_parquet({_sql_list(files)}, union_by_name = true) "
            "WHERE link_kind = 'redirect'"
        )
        while batch := result.fetchmany(BATCH_ROWS):
            yield from batch

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

    def followable_links(self, max_depth: int, follow_nofollow_pages: bool) -> Iterator[dict[str, list]]:
        """Yield, in batches of columns (``FOLLOWABLE_COLUMNS``), the stored body links to
        http(s) URLs the run has not requested, of the pages the spider follows links from
        (answered below 400, not past ``max_depth``, not page-level nofollow unless
        ``follow_nofollow_pages``), once for every request that reached the page (its
        ``depth`` and ``hops``), ``rel`` space-separated.

        In no order: the links stream from their files through a join with the followable
        pages and the requested URLs (DuckDB holds those, by the exact URL, spilling past
        ``JOURNAL_MEMORY``), so a run's links are never all in memory; the caller puts what
        it keeps in the replay order."""
        pages, links = self.pages_files(), self.links_files()
        if not pages or not links:
            return
        con = _bounded_connection(self)
        con.execute(
            f"CREATE VIEW p AS SELECT * FROM read_parquet({_sql_list(pages)}, union_by_name = true)"
        )
        con.execute(
            f"CREATE VIEW l AS SELECT * FROM read_parquet({_sql_list(links)}, union_by_name = true)"
        )
        follow_nofollow = "true" if follow_nofollow_pages else "false"
        schemes = ", ".join(f"'{scheme}'" for scheme in sorted(FETCHABLE_SCHEMES))
        # con.sql streams Arrow batches; con.execute would first copy the whole result.
        reader = con.sql(
            f"""
            SELECT p.final_url AS source_url, p.domain, p.depth, coalesce(p.hops, 0) AS hops,
                   l.position, l.target_url, l.target_scheme, l.target_domain, l.target_host,
                   array_to_string(l.rel, ' ') AS rel
            FROM l JOIN p ON l.source_url = p.final_url
            WHERE l.link_kind <> 'redirect' AND l.target_scheme IN ({schemes})
              AND p.error IS NULL AND p.status < 400 AND p.depth < {int(max_depth)}
              AND ({follow_nofollow} OR NOT coalesce(p.page_nofollow, false))
              AND l.target_url NOT IN (SELECT url FROM p WHERE url IS NOT NULL)
            """
        ).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            yield {name: batch.column(name).to_pylist() for name in FOLLOWABLE_COLUMNS}


def _bounded_connection(journal: RunJournal) -> duckdb.DuckDBPyConnection:
    """Return a DuckDB connection of bounded memory, one thread, spilling to the run's
    staging directory, streaming results without keeping their order."""
    staging = staging_directory(journal.root, journal.run_id)
    staging.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{JOURNAL_MEMORY}'")
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # a crawl's stdout is not a terminal's
    con.execute("SET temp_directory = ?", [str(staging / "duckdb.tmp")])
    return con


def fetch_logs(root: str | os.PathLike[str], run_id: str) -> list[Path]:
    """Return the fetch logs (one URL per response received) that earlier attempts left."""
    return sorted(staging_directory(root, run_id).glob("fetched-*.log"))


def count_refetched(logs: list[Path], durable_urls: Iterable[str]) -> int:
    """Return how many URLs the logs name that are not durable (they will be fetched again).

    URLs are compared by 64-bit hash (8 bytes each in a NumPy array, not a set of strings): a
    lost URL whose hash equals a durable one's is not counted, an error of one in the
    record's ``pages_refetched`` with odds of 1 in 10^7 at a million pages; the URL is fetched
    again all the same (the frontier is rebuilt from the pages, not from these hashes)."""
    fetched = np.unique(np.fromiter(
        (hash(url) for log in logs for url in _log_lines(log)), dtype=np.int64))  # fmt: skip
    if not fetched.size:
        return 0
    durable = np.fromiter((hash(url) for url in durable_urls), dtype=np.int64)
    return int(np.count_nonzero(~np.isin(fetched, durable)))


def _log_lines(log: Path) -> Iterator[str]:
    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            url = line.rstrip("\n")
            if url:
                yield url


def remove_unfinished_staging(root: str | os.PathLike[str], run_id: str) -> list[Path]:
    """Delete the temporary files earlier attempts of a run left in its staging directory."""
    stale = sorted(staging_directory(root, run_id).glob("*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
