"""Link equity: a weighted PageRank over the whole run's page graph, and the share of it each
link passes (the ``crawl_rank`` column of ``page_rank`` and the ``link_scores`` table).

The model, in one place (docs/analysis.md, Link equity, says the same):

- **Nodes**: every fetched page (its final URL) and every http(s) target of a body link
  (``a``, ``area``, ``image``), each URL standing for where it passes its equity (redirects,
  meta refresh and canonicals followed to the end, as ``page_rank``'s ``forwarding``).
- **Edges**: every body link with an http(s) target, internal and external, weighted as a
  *reasonable surfer* would follow it: ``weight = region weight x position weight``, with
  ``REGION_WEIGHTS`` (main content most, footer least) and
  ``position weight = 1 / (1 + position / POSITION_HALF)`` (a link's 0-based ordinal among the
  page's body links; the 100th link counts half the first). A link with ``follow`` False
  (rel nofollow, ugc, sponsored, or a nofollow page) weighs 0. Self-links are kept (the page
  passes that share back to itself); parallel links add up.
- **Rank**: ``x' = d * (x W + s(x) / n) + (1 - d) / n`` with ``W`` the weights normalized per
  source page, ``s(x)`` the rank held by *dangling* pages (no out-link of positive weight:
  unfetched targets, pages whose links are all nofollow) spread uniformly, ``d = 0.85``,
  iterated until no node's rank changes by more than ``RELATIVE_TOLERANCE`` of itself, so
  that for every node ``crawl_rank = (1 - d) / n + d * s / n + sum of the equity of its
  incoming links`` holds to about 1e-11 relative.
- **Equity** of a link from page ``p``: ``d * crawl_rank(p) * weight / (sum of the weights
  of p's links)``; the equity leaving a non-dangling page sums to ``d * crawl_rank(p)``; a
  dangling page passes nothing through its links (its ``d * crawl_rank`` is the dangling
  share every node receives). Forward rows (redirect, meta_refresh, canonical) carry no
  equity of their own (null): their source *is* their target's node.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from linkspider.analysis.graph import DAMPING, PowerIterationFailedConvergence
from linkspider.analysis.page_rank import forwarded, string_codes, url_forwards
from linkspider.analysis import queries

#: How much a followed link in each region is worth before its position (main content 1).
REGION_WEIGHTS = {"main": 1.0, "body": 0.8, "aside": 0.5, "header": 0.4, "nav": 0.4,
                  "footer": 0.2}  # fmt: skip
#: A region the table above does not name (null included).
OTHER_REGION_WEIGHT = 0.5
#: The position at which a link weighs half as much as the page's first link.
POSITION_HALF = 100.0
#: Stop when every node's rank changes by less than this share of itself.
RELATIVE_TOLERANCE = 1e-12
MAX_ITERATIONS = 1_000
FORWARD_KINDS = ("redirect", "meta_refresh", "canonical")


def surfer_weight(follow: bool, region: str | None, position: int | None) -> float:
    """Return a body link's weight in the reasonable-surfer model (module docstring).

    >>> surfer_weight(True, "main", 0), surfer_weight(True, "footer", 100), surfer_weight(False, "main", 0)
    (1.0, 0.1, 0.0)
    """
    if not follow:
        return 0.0
    region_weight = REGION_WEIGHTS.get(region or "", OTHER_REGION_WEIGHT)
    return region_weight / (1.0 + max(position or 0, 0) / POSITION_HALF)


def surfer_weights(follow: np.ndarray, regions: list[str | None], positions: np.ndarray,
                   region_codes: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Return ``surfer_weight`` of many links at once (``positions`` with -1 for null); with
    ``region_codes``, link ``i``'s region is ``regions[region_codes[i]]`` (-1: null)."""
    region_weight = np.fromiter((REGION_WEIGHTS.get(r or "", OTHER_REGION_WEIGHT) for r in regions),
                                np.float64, len(regions))  # fmt: skip
    if region_codes is not None:
        region_weight = np.append(region_weight, OTHER_REGION_WEIGHT)[region_codes]  # -1: the last
    weight = region_weight / (1.0 + np.maximum(positions, 0) / POSITION_HALF)
    return np.where(follow, weight, 0.0)


def weighted_pagerank(n: int, sources: np.ndarray, targets: np.ndarray, weights: np.ndarray,
                      damping: float = DAMPING) -> tuple[np.ndarray, np.ndarray, float]:  # fmt: skip
    """Return (rank, out-weight per node, dangling rank) of the weighted graph (module
    docstring); ``rank`` sums to 1.

    >>> rank, out, dangling = weighted_pagerank(2, np.array([0]), np.array([1]), np.array([1.0]))
    >>> [round(float(x), 4) for x in rank], out.tolist(), round(dangling, 4)
    ([0.3509, 0.6491], [1.0, 0.0], 0.6491)
    """
    if n == 0:
        return np.zeros(0), np.zeros(0), 0.0
    out_weight = np.bincount(sources, weights=weights, minlength=n).astype(np.float64)
    dangling = out_weight <= 0.0
    scale = np.zeros(n)
    scale[~dangling] = 1.0 / out_weight[~dangling]
    # W^T: column = source, each edge's weight over its source's out-weight
    transition_t = sparse.csr_array((weights * scale[sources], (targets, sources)), shape=(n, n))
    x = np.full(n, 1.0 / n)
    teleport = (1.0 - damping) / n
    for _ in range(MAX_ITERATIONS):
        previous = x
        x = damping * (transition_t @ previous + previous[dangling].sum() / n) + teleport
        if np.all(np.abs(x - previous) <= RELATIVE_TOLERANCE * x):
            x /= x.sum()  # float rounding only; keeps the sum at 1
            return x, out_weight, float(x[dangling].sum())
    raise PowerIterationFailedConvergence(
        f"the crawl graph's PageRank did not converge in {MAX_ITERATIONS} iterations (n={n})")


@dataclass
class CrawlRanks:
    """Each node's ``crawl_rank``: ``rank[i]`` of the node ``urls[i]``."""

    urls: pa.Array
    rank: np.ndarray

    def of(self, urls: pa.Array) -> pa.Array:
        """Return the crawl_rank of each URL (null when it is no node)."""
        at = pc.index_in(urls, value_set=self.urls, skip_nulls=True)
        return pa.array(self.rank, pa.float64()).take(at)


def link_scores(con: duckdb.DuckDBPyConnection, run_id: str, forward: dict[str, str] | None = None
                ) -> tuple[pa.Table, CrawlRanks]:
    """Return the ``link_scores`` table of the run behind ``con`` and each node's crawl_rank;
    ``forward``: ``page_rank.url_forwards`` of the run, when already read."""
    forward = url_forwards(con) if forward is None else forward
    links = con.sql(queries.CRAWL_LINKS).to_arrow_table()
    fetched = con.sql(queries.FETCHED_PAGES).to_arrow_table().column(0)
    kinds, schemes = links.column("link_kind"), links.column("target_scheme")
    body = pc.and_(pc.is_in(kinds, pa.array(queries.BODY_KINDS)),
                   pc.is_in(schemes, pa.array(["http", "https"]))).fill_null(False)  # fmt: skip
    body = body.to_numpy(zero_copy_only=False).astype(bool)
    forward_row = pc.is_in(kinds, pa.array(FORWARD_KINDS)).fill_null(False)
    forward_row = forward_row.to_numpy(zero_copy_only=False).astype(bool)
    edges = np.flatnonzero(body)
    sources, targets, index = _node_ids(fetched, links.column("source_url"), links.column("target_url"),
                                        edges, forward)  # fmt: skip
    positions = links.column("position").fill_null(-1).to_numpy(zero_copy_only=False)
    weight = np.zeros(links.num_rows)
    region_codes, regions = string_codes(links.column("region"))
    weight[edges] = surfer_weights(links.column("follow").to_numpy(zero_copy_only=False)[edges],
                                   regions.to_pylist(), positions[edges], region_codes[edges])  # fmt: skip
    n = len(index)
    rank, out_weight, dangling = weighted_pagerank(n, sources, targets, weight[edges])
    equity = np.full(links.num_rows, np.nan)
    share = np.zeros(len(edges))
    positive = out_weight[sources] > 0
    share[positive] = weight[edges][positive] / out_weight[sources][positive]
    equity[edges] = DAMPING * rank[sources] * share
    # non-body rows (mailto:, iframe, ...) pass nothing; forward rows are null (see docstring)
    equity[~body & ~forward_row] = 0.0
    source_rank = np.full(links.num_rows, np.nan)
    target_rank = np.full(links.num_rows, np.nan)
    source_rank[edges], target_rank[edges] = rank[sources], rank[targets]
    nulls = np.isnan(equity)
    source_node, target_node = _spread_nodes(index, sources, edges, links.num_rows), _spread_nodes(
        index, targets, edges, links.num_rows)  # fmt: skip
    table = pa.table({
        "run_id": pa.DictionaryArray.from_arrays(pa.array(np.zeros(links.num_rows, np.int32)),
                                                 pa.array([run_id], pa.string())),
        "source_url": links.column("source_url"), "target_url": links.column("target_url"),
        "position": links.column("position"), "link_kind": links.column("link_kind"),
        "is_external": links.column("is_external"), "follow": links.column("follow"),
        "region": links.column("region"),
        "weight": pa.array(np.where(body, weight, np.nan), pa.float64(), mask=~body),
        "link_share": pa.array(_expand(share, edges, links.num_rows), pa.float64(), mask=~body),
        "equity": pa.array(equity, pa.float64(), mask=nulls),
        "source_node": source_node, "target_node": target_node,
        "source_crawl_rank": pa.array(source_rank, pa.float64(), mask=np.isnan(source_rank)),
        "target_crawl_rank": pa.array(target_rank, pa.float64(), mask=np.isnan(target_rank)),
    })
    teleport = (1.0 - DAMPING) / n if n else 0.0
    model = {"damping": DAMPING, "nodes": n, "teleport": teleport,
             "dangling_share": DAMPING * dangling / n if n else 0.0,
             "region_weights": REGION_WEIGHTS, "other_region_weight": OTHER_REGION_WEIGHT,
             "position_half": POSITION_HALF}  # fmt: skip
    table = table.replace_schema_metadata({"linkspider.analysis.crawl_rank": json.dumps(model)})
    return table, CrawlRanks(index, rank)


def _node_ids(fetched: pa.ChunkedArray, source_urls: pa.ChunkedArray, target_urls: pa.ChunkedArray,
              edges: np.ndarray, forward: dict[str, str]) -> tuple[np.ndarray, np.ndarray, pa.Array]:  # fmt: skip
    """Return the node ids of the ``edges`` rows' sources and targets, and node id -> URL: every
    URL forwarded to its end, ids in order of first appearance among the fetched pages, then
    the edges' sources, then their targets. Each distinct URL is forwarded and hashed once."""
    fetched = fetched.combine_chunks().cast(pa.string())
    source_codes, source_values = string_codes(source_urls)
    target_codes, target_values = string_codes(target_urls)
    values = pa.concat_arrays([forwarded(fetched, forward), forwarded(source_values, forward),
                               forwarded(target_values, forward)])  # fmt: skip
    unified = pc.dictionary_encode(values)
    code = unified.indices.to_numpy().astype(np.int64)
    first_source, first_target = len(fetched), len(fetched) + len(source_values)
    sequence = np.concatenate([code[:first_source], code[first_source + source_codes[edges]],
                               code[first_target + target_codes[edges]]])  # fmt: skip
    seen, first = np.unique(sequence, return_index=True)
    order = seen[np.argsort(first, kind="stable")]
    renumber = np.full(len(unified.dictionary), -1, np.int64)
    renumber[order] = np.arange(len(order))
    ids = renumber[sequence]
    index = unified.dictionary.take(pa.array(order)).cast(pa.string())
    return ids[len(fetched):len(fetched) + len(edges)], ids[len(fetched) + len(edges):], index


def _spread_nodes(urls: pa.Array, ids: np.ndarray, rows: np.ndarray, length: int) -> pa.Array:
    """Return a column of ``length`` rows: ``urls[ids[i]]`` at ``rows[i]``, null elsewhere."""
    at = np.zeros(length, np.int32)
    at[rows] = ids
    mask = np.ones(length, bool)
    mask[rows] = False
    # dictionary-encoded (the nodes once, not a string per link): cast to strings as written
    return pa.DictionaryArray.from_arrays(pa.array(at, mask=mask), urls.cast(pa.string()))


def _expand(values: np.ndarray, rows: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros(length)
    out[rows] = values
    return out
