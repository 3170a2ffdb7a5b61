"""PageRank and harmonic centrality of linkspider.analysis.graph against networkx's, on
networkx's own test graph (Langville & Meyer's 6-node example with a dangling node) and on
random directed graphs; the 0-100 log scale."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from linkspider.analysis.graph import PowerIterationFailedConvergence, harmonic_centrality, pagerank
from linkspider.analysis.ranks import log_scale_score

#: networkx's test_pagerank.py graph: A. Langville and C. Meyer, "A survey of eigenvector
#: methods of web information retrieval"; node 2 is dangling.
LANGVILLE_MEYER = [(1, 2), (1, 3), (3, 1), (3, 2), (3, 5), (4, 5), (4, 6), (5, 4), (5, 6), (6, 4)]
#: The published PageRank of that graph at alpha 0.9 (networkx's expected values).
LANGVILLE_MEYER_09 = [0.03721197, 0.05395735, 0.04150565, 0.37508082, 0.20599833, 0.28624589]


def as_arrays(graph: nx.DiGraph) -> tuple[list, int, np.ndarray, np.ndarray]:
    nodes = sorted(graph)
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(graph.edges())
    return (nodes, len(nodes), np.array([index[u] for u, _ in edges], dtype=np.int64),
            np.array([index[v] for _, v in edges], dtype=np.int64))  # fmt: skip


def random_digraphs() -> list[nx.DiGraph]:
    graphs = []
    for seed in range(8):
        graph = nx.gnp_random_graph(60 + 20 * seed, 0.03 + 0.01 * (seed % 3), seed=seed, directed=True)
        graph.remove_edges_from(list(nx.selfloop_edges(graph)))
        graphs.append(graph)
    graphs.append(nx.scale_free_graph(300, seed=3).to_directed())  # a power-law in-degree graph
    simple = nx.DiGraph(graphs[-1])
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    graphs[-1] = simple
    return graphs


def test_pagerank_equals_networkx_on_the_langville_meyer_graph() -> None:
    graph = nx.DiGraph(LANGVILLE_MEYER)
    nodes, n, sources, targets = as_arrays(graph)
    ours = pagerank(n, sources, targets)
    theirs = nx.pagerank(graph, alpha=0.85, tol=1e-6)
    assert max(abs(ours[i] - theirs[node]) for i, node in enumerate(nodes)) < 1e-6
    assert ours.sum() == pytest.approx(1.0, abs=1e-9)


def test_pagerank_of_the_langville_meyer_graph_equals_the_published_values() -> None:
    nodes, n, sources, targets = as_arrays(nx.DiGraph(LANGVILLE_MEYER))
    ours = pagerank(n, sources, targets, damping=0.9, tol=1e-8)
    assert ours.tolist() == pytest.approx(LANGVILLE_MEYER_09, abs=1e-4)  # networkx's own bound


@pytest.mark.parametrize("graph", random_digraphs(), ids=lambda g: f"n{len(g)}-e{g.number_of_edges()}")
def test_pagerank_equals_networkx_per_node_on_random_graphs(graph: nx.DiGraph) -> None:
    nodes, n, sources, targets = as_arrays(graph)
    ours = pagerank(n, sources, targets)
    theirs = nx.pagerank(graph)
    assert max(abs(ours[i] - theirs[node]) for i, node in enumerate(nodes)) < 1e-6


def test_duplicate_edges_count_once() -> None:
    once = pagerank(3, np.array([0, 1]), np.array([1, 2]))
    twice = pagerank(3, np.array([0, 0, 1]), np.array([1, 1, 2]))
    assert once.tolist() == twice.tolist()


def test_a_graph_without_edges_has_uniform_rank() -> None:
    assert pagerank(4, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [0.25] * 4


def test_pagerank_that_cannot_converge_raises() -> None:
    with pytest.raises(PowerIterationFailedConvergence):
        pagerank(6, *as_arrays(nx.DiGraph(LANGVILLE_MEYER))[2:], max_iter=0)


@pytest.mark.parametrize("graph", [nx.DiGraph(LANGVILLE_MEYER), *random_digraphs()[:5],
                                   nx.path_graph(7, create_using=nx.DiGraph)],
                         ids=lambda g: f"n{len(g)}-e{g.number_of_edges()}")  # fmt: skip
def test_harmonic_centrality_equals_networkx_below_the_exact_limit(graph: nx.DiGraph) -> None:
    nodes, n, sources, targets = as_arrays(graph)
    ours, exact = harmonic_centrality(n, sources, targets)
    theirs = nx.harmonic_centrality(graph)
    assert exact
    assert ours.tolist() == pytest.approx([theirs[node] for node in nodes], rel=1e-12, abs=1e-12)


def test_harmonic_centrality_of_a_path() -> None:
    # 0 -> 1 -> 2 -> 3: node 3 is reached from 2, 1, 0 at distances 1, 2, 3.
    ours, _ = harmonic_centrality(4, np.array([0, 1, 2]), np.array([1, 2, 3]))
    assert ours.tolist() == [0.0, 1.0, 1.5, 1 + 1 / 2 + 1 / 3]


def test_harmonic_centrality_beyond_the_limit_is_a_pivot_estimate() -> None:
    graph = nx.gnp_random_graph(600, 0.01, seed=11, directed=True)
    nodes, n, sources, targets = as_arrays(graph)
    exact_values, _ = harmonic_centrality(n, sources, targets)
    estimate, exact = harmonic_centrality(n, sources, targets, exact_nodes=100, pivots=200)
    assert not exact
    relative = np.abs(estimate - exact_values) / exact_values.mean()
    assert float(np.median(relative)) < 0.1
    assert abs(estimate.mean() / exact_values.mean() - 1) < 0.05


def test_log_scale_score_spans_0_to_100() -> None:
    scores = log_scale_score(np.array([0.001, 0.01, 0.1, 0.01]))
    assert scores.tolist() == pytest.approx([0.0, 50.0, 100.0, 50.0])
    assert log_scale_score(np.array([0.5, 0.5])).tolist() == [0.0, 0.0]
