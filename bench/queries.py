"""Three analyst queries in DuckDB over a linkspider dataset, timed.

Run in a fresh process per measurement set so DuckDB starts cold: the first run reads the
Parquet files; the median of the next ``repeats`` shows the warm cost. The "one target" of
the anchor-text query is the target domain with the most referring domains.

``python -m bench.queries --dataset DIR [--repeats 5]`` prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import duckdb

LINKS = "read_parquet('{root}/links/*/*/*.parquet', hive_partitioning = true)"

QUERIES = {
    "referring domains per target domain": """
        SELECT target_domain, count(DISTINCT referring_domain) AS referring_domains
        FROM {links} WHERE is_external AND target_domain IS NOT NULL
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20""",
    "anchor text distribution for one target": """
        SELECT anchor_text, count(*) AS links, count(DISTINCT referring_domain) AS domains
        FROM {links} WHERE target_domain = $target AND is_external
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20""",
    "followed external links per referring domain": """
        SELECT referring_domain, count(*) AS followed_external_links
        FROM {links} WHERE is_external AND follow
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20""",
}


def time_queries(root: str, repeats: int = 5) -> dict:
    """Return the rows counted and the timings of each query on the dataset at ``root``."""
    con = duckdb.connect()
    links = LINKS.format(root=root)
    t0 = time.perf_counter()
    total = con.execute(f"SELECT count(*) FROM {links}").fetchall()[0][0]
    count_s = time.perf_counter() - t0
    target = con.execute(
        f"SELECT target_domain FROM {links} WHERE is_external AND target_domain IS NOT NULL "
        "GROUP BY 1 ORDER BY count(DISTINCT referring_domain) DESC, 1 LIMIT 1"
    ).fetchall()[0][0]
    results: dict = {"links": total, "count_seconds": count_s, "target": target, "queries": {}}
    for name, sql in QUERIES.items():
        statement = sql.format(links=links)
        params = {"target": target} if "$target" in statement else None
        times, rows = [], []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            rows = con.execute(statement, params).fetchall()
            times.append(time.perf_counter() - t0)
        results["queries"][name] = {
            "sql": " ".join(statement.split()).replace(links, "links"),
            "first_s": times[0], "median_s": statistics.median(times[1:]),
            "top_rows": [list(map(str, r)) for r in rows[:3]],
        }  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(time_queries(args.dataset, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
