"""The ``domain_rank`` table: the registrable-domain graph of one run and its measures.

Nodes: every domain of a fetched page and every domain an external backlink (a, area, image;
http/https) points to. Edges: one per (referring, target) domain pair, binary; the ``pagerank``,
``harmonic_centrality`` and degree columns use the pairs with at least one followed link,
``pagerank_all_links`` every pair (nofollow included, as Common Crawl's host graph).
Parameters are those of ``linkspider.analysis.graph`` (damping 0.85, tolerance 1e-6).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from linkspider.analysis import queries
from linkspider.analysis.graph import harmonic_centrality, pagerank
from linkspider.analysis.ranks import log_scale_score


def domain_rank_table(con: duckdb.DuckDBPyConnection, run_id: str) -> pa.Table:
    """Return the ``domain_rank`` table of the run behind ``con`` (views of ``open_run``)."""
    edges = con.sql(queries.DOMAIN_EDGES).to_arrow_table()
    crawled = con.sql(queries.CRAWLED_DOMAINS).to_arrow_table()["domain"]
    names = pa.concat_arrays([crawled.combine_chunks(), edges["source"].combine_chunks(),
                              edges["target"].combine_chunks()]).unique()  # fmt: skip
    names = names.take(pa.compute.array_sort_indices(names))
    n = len(names)
    source = pa.compute.index_in(edges["source"], value_set=names).to_numpy(zero_copy_only=False)
    target = pa.compute.index_in(edges["target"], value_set=names).to_numpy(zero_copy_only=False)
    followed = edges["followed"].to_numpy(zero_copy_only=False).astype(bool)
    fs, ft = source[followed], target[followed]
    rank = pagerank(n, fs, ft)
    harmonic, _exact = harmonic_centrality(n, fs, ft)
    return pa.table({
        "run_id": pa.array([run_id] * n, pa.string()),
        "domain": names,
        "pagerank": rank,
        "pagerank_all_links": pagerank(n, source, target),
        "harmonic_centrality": harmonic,
        "authority": log_scale_score(rank),
        "referring_domains": np.bincount(ft, minlength=n).astype(np.int64),
        "linked_domains": np.bincount(fs, minlength=n).astype(np.int64),
    })  # fmt: skip
