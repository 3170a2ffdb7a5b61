"""The ``page_rank`` table: each site's internal link equity (an internal PageRank per site).

Per registrable domain, the graph of its followed internal body links (a, area, image) between
URLs, binary, self-links dropped, where every URL stands for where it passes its equity: the
end of its HTTP redirects, meta refresh and ``rel=canonical`` elsewhere, followed to the end
(in a loop, at the last URL before one would repeat). PageRank with the ``domain_rank`` parameters, per site;
``link_score`` is its 0-100 log scale within the site (``linkspider.analysis.ranks``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkspider.analysis import queries
from linkspider.analysis.graph import pagerank
from linkspider.analysis.ranks import log_scale_score

if TYPE_CHECKING:
    from linkspider.analysis.equity import CrawlRanks

#: Which forward wins when a URL has several: a redirect answers before the page's HTML exists.
_FORWARD_ORDER = {"redirect": 0, "meta_refresh": 1, "canonical": 2}


def forwarding(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """Return URL -> the URL its equity ends at, from (source, target, kind) forward rows.

    >>> forwarding([("a", "b", "redirect"), ("b", "c", "canonical"), ("x", "y", "redirect"),
    ...             ("y", "x", "redirect")])
    {'a': 'c', 'b': 'c', 'x': 'y', 'y': 'x'}
    """
    first: dict[str, tuple[int, str]] = {}
    for source, target, kind in rows:
        order = _FORWARD_ORDER[kind]
        if source not in first or order < first[source][0]:
            first[source] = (order, target)
    step = {source: target for source, (_, target) in first.items()}
    resolved: dict[str, str] = {}
    for start in step:
        seen, url = {start}, start
        while url in step and step[url] not in seen:  # a loop stops before its first repeat
            url = step[url]
            seen.add(url)
        resolved[start] = url
    return resolved


#: What each URL of a site's graph is, by what the run fetched (``node_kind``).
NODE_KINDS_SQL = """
    SELECT url, CASE
        WHEN bool_or(error IS NULL AND status BETWEEN 200 AND 299
                     AND content_type IN ('text/html', 'application/xhtml+xml')) THEN 'page'
        WHEN bool_or(error IS NULL AND status BETWEEN 200 AND 299) THEN 'not_html'
        ELSE 'error' END
    FROM (SELECT coalesce(final_url, url) AS url, status, content_type, error FROM run_pages
          UNION ALL
          SELECT url, status, content_type, error FROM run_pages WHERE final_url IS NOT NULL
            AND final_url <> url AND (status IS NULL OR status >= 400 OR error IS NOT NULL))
    GROUP BY url
"""


def node_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Return URL -> ``page`` (a 2xx HTML page), ``not_html`` (2xx, another type) or
    ``error`` (answered 4xx/5xx or failed), for the URLs the run fetched."""
    return dict(con.execute(NODE_KINDS_SQL).fetchall())


def url_forwards(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Return URL -> the URL its equity ends at, for the run behind ``con`` (``forwarding``
    of its redirect, meta refresh and canonical rows); ``analyze`` reads it once for every
    table that needs it."""
    return forwarding(con.execute(queries.URL_FORWARDS).fetchall())


def forwarded(urls: pa.Array | pa.ChunkedArray, forward: dict[str, str]) -> pa.Array:
    """Return each URL's ``forward`` end (itself when it forwards nowhere)."""
    urls = urls.combine_chunks() if isinstance(urls, pa.ChunkedArray) else urls
    at = pc.index_in(urls, value_set=pa.array(list(forward), pa.string()))
    return pc.if_else(pc.is_valid(at), pa.array(list(forward.values()), pa.string()).take(at), urls)


def page_rank_table(con: duckdb.DuckDBPyConnection, run_id: str,
                    crawl_ranks: CrawlRanks | None = None,
                    forward: dict[str, str] | None = None) -> pa.Table:  # fmt: skip
    """Return the ``page_rank`` table of the run behind ``con`` (views of ``open_run``);
    ``crawl_ranks`` (each node's rank over the whole run, ``linkspider.analysis.equity``) fills
    the ``crawl_rank`` column."""
    forward = url_forwards(con) if forward is None else forward
    by_site: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for site, source, target in con.execute(queries.INTERNAL_EDGES).fetchall():
        by_site[site].append((forward.get(source, source), forward.get(target, target)))
    columns: dict[str, list] = {"site": [], "url": [], "pagerank": [], "link_score": [],
                                "inlinks": []}  # fmt: skip
    for site in sorted(by_site):
        pairs = [(s, t) for s, t in by_site[site] if s != t]
        urls = sorted({url for pair in pairs for url in pair})
        if not urls:
            continue
        index = {url: i for i, url in enumerate(urls)}
        sources = np.fromiter((index[s] for s, _ in pairs), np.int64, len(pairs))
        targets = np.fromiter((index[t] for _, t in pairs), np.int64, len(pairs))
        rank = pagerank(len(urls), sources, targets)
        columns["site"].extend([site] * len(urls))
        columns["url"].extend(urls)
        columns["pagerank"].extend(rank.tolist())
        columns["link_score"].extend(log_scale_score(rank).tolist())
        columns["inlinks"].extend(np.bincount(targets, minlength=len(urls)).tolist())
    n = len(columns["url"])
    kinds = node_kinds(con)
    return pa.table({"run_id": pa.array([run_id] * n, pa.string()),
                     "site": pa.array(columns["site"], pa.string()),
                     "url": pa.array(columns["url"], pa.string()),
                     "pagerank": pa.array(columns["pagerank"], pa.float64()),
                     "link_score": pa.array(columns["link_score"], pa.float64()),
                     "inlinks": pa.array(columns["inlinks"], pa.int64()),
                     "crawl_rank": (crawl_ranks.of(pa.array(columns["url"], pa.string())) if crawl_ranks
                                    else pa.nulls(n, pa.float64())),
                     "node_kind": pa.array([kinds.get(url, "not_fetched") for url in columns["url"]],
                                           pa.string())})  # fmt: skip
