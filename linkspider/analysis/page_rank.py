"""The ``page_rank`` table: each site's internal link equity (an internal PageRank per site).

Per registrable domain, the graph of its followed internal body links (a, area, image) between
URLs, binary, self-links dropped, where every URL stands for where it passes its equity: the
end of its HTTP redirects, meta refresh and ``rel=canonical`` elsewhere, followed to the end
(in a loop, at the last URL before one would repeat). PageRank with the ``domain_rank`` parameters, per site;
``link_score`` is its 0-100 log scale within the site (``linkspider.analysis.ranks``).
"""

from __future__ import annotations

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


def string_codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Return (each row's code, -1 for null; the distinct values) of a string column."""
    encoded = pa.table({"c": pc.dictionary_encode(column)}).unify_dictionaries().column("c")
    if encoded.num_chunks == 0:
        return np.zeros(0, np.int64), pa.array([], pa.string())
    codes = [chunk.indices.fill_null(-1).to_numpy().astype(np.int64) for chunk in encoded.chunks]
    return np.concatenate(codes), encoded.chunk(0).dictionary.cast(pa.string())


def page_rank_table(con: duckdb.DuckDBPyConnection, run_id: str,
                    crawl_ranks: CrawlRanks | None = None,
                    forward: dict[str, str] | None = None) -> pa.Table:  # fmt: skip
    """Return the ``page_rank`` table of the run behind ``con`` (views of ``open_run``);
    ``crawl_ranks`` (each node's rank over the whole run, ``linkspider.analysis.equity``) fills
    the ``crawl_rank`` column. Sites in order, each site's URLs in order."""
    forward = url_forwards(con) if forward is None else forward
    edges = con.sql(queries.INTERNAL_EDGES).to_arrow_table()
    site_codes, sites = string_codes(edges.column("site"))
    source_codes, source_values = string_codes(edges.column("source_url"))
    target_codes, target_values = string_codes(edges.column("target_url"))
    # each distinct URL forwarded once, then one id per distinct end
    ends = pc.dictionary_encode(pa.concat_arrays([forwarded(source_values, forward),
                                                  forwarded(target_values, forward)]))  # fmt: skip
    end_ids = ends.indices.to_numpy().astype(np.int64)
    urls = ends.dictionary.cast(pa.string())
    sources = end_ids[source_codes]
    targets = end_ids[len(source_values) + target_codes]
    # self-links (after forwarding) dropped, and a row with a null (none expected)
    keep = (sources != targets) & (site_codes >= 0) & (source_codes >= 0) & (target_codes >= 0)
    site_of, sources, targets = site_codes[keep], sources[keep], targets[keep]
    url_order = np.empty(len(urls), np.int64)  # the rank of each URL in string order
    url_order[pc.sort_indices(urls).to_numpy()] = np.arange(len(urls))
    by_site = np.argsort(site_of, kind="stable")  # each site's edges in file order
    bounds = np.searchsorted(site_of[by_site], np.arange(len(sites) + 1))
    site_ids, url_ids, ranks, scores, inlinks = [], [], [], [], []
    for site in pc.sort_indices(sites).to_numpy().tolist():
        rows = by_site[bounds[site]:bounds[site + 1]]
        if len(rows) == 0:
            continue
        ordered = np.unique(url_order[np.concatenate([sources[rows], targets[rows]])])
        local_sources = np.searchsorted(ordered, url_order[sources[rows]])
        local_targets = np.searchsorted(ordered, url_order[targets[rows]])
        rank = pagerank(len(ordered), local_sources, local_targets)
        site_ids.append(np.full(len(ordered), site))
        url_ids.append(ordered)
        ranks.append(rank)
        scores.append(log_scale_score(rank))
        inlinks.append(np.bincount(local_targets, minlength=len(ordered)))
    by_order = np.argsort(url_order)  # string order -> URL id
    url_column = urls.take(pa.array(by_order[np.concatenate(url_ids)] if url_ids else np.zeros(0, np.int64)))
    n = len(url_column)

    def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    kinds = con.sql(NODE_KINDS_SQL).to_arrow_table()
    kind = pa.array(kinds.column(1).to_pylist() + ["not_fetched"], pa.string()).take(
        pc.index_in(url_column, value_set=kinds.column(0).combine_chunks().cast(pa.string()),
                    skip_nulls=True).fill_null(kinds.num_rows))  # fmt: skip
    return pa.table({"run_id": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)),
                                                              pa.array([run_id], pa.string())),
                     "site": sites.take(pa.array(joined(site_ids, np.int64))),
                     "url": url_column,
                     "pagerank": pa.array(joined(ranks, np.float64), pa.float64()),
                     "link_score": pa.array(joined(scores, np.float64), pa.float64()),
                     "inlinks": pa.array(joined(inlinks, np.int64), pa.int64()),
                     "crawl_rank": crawl_ranks.of(url_column) if crawl_ranks else pa.nulls(n, pa.float64()),
                     "node_kind": kind})  # fmt: skip
