"""The reasonable-surfer PageRank of linkspider.analysis.equity against networkx's weighted
PageRank, and the equity identity: a node's rank is teleport + dangling share + the equity of
its incoming links; the equity leaving a page is its rank times the damping factor."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from linkspider.analysis.equity import surfer_weight, surfer_weights, weighted_pagerank
from linkspider.analysis.graph import DAMPING


def random_weighted(seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, m = 80 + 10 * seed, 400 + 50 * seed
    sources, targets = rng.integers(0, n, m), rng.integers(0, n, m)
    weights = rng.choice([0.0, 0.1, 0.4, 0.8, 1.0], m)  # zeros: nofollow links
    return n, sources, targets, weights


def networkx_graph(n: int, sources, targets, weights) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for s, t, w in zip(sources.tolist(), targets.tolist(), weights.tolist()):
        previous = graph.get_edge_data(s, t, {"weight": 0.0})["weight"]
        graph.add_edge(s, t, weight=previous + w)  # parallel links add up
    return graph


@pytest.mark.parametrize("seed", range(6))
def test_weighted_pagerank_equals_networkx(seed: int) -> None:
    n, sources, targets, weights = random_weighted(seed)
    rank, _, _ = weighted_pagerank(n, sources, targets, weights)
    want = nx.pagerank(networkx_graph(n, sources, targets, weights), weight="weight", tol=1e-12,
                       max_iter=1000)
    assert max(abs(rank[i] - want[i]) for i in range(n)) < 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_rank_is_teleport_plus_dangling_share_plus_incoming_equity(seed: int) -> None:
    n, sources, targets, weights = random_weighted(seed)
    rank, out_weight, dangling = weighted_pagerank(n, sources, targets, weights)
    share = np.where(out_weight[sources] > 0, weights / np.where(out_weight[sources] > 0,
                                                                  out_weight[sources], 1), 0.0)
    equity = DAMPING * rank[sources] * share
    incoming = np.bincount(targets, weights=equity, minlength=n)
    rebuilt = (1 - DAMPING) / n + DAMPING * dangling / n + incoming
    assert np.all(np.abs(rebuilt - rank) <= 1e-9 * rank)
    leaving = np.bincount(sources, weights=equity, minlength=n)
    passing = out_weight > 0
    assert np.allclose(leaving[passing], DAMPING * rank[passing], rtol=1e-12, atol=0)
    assert np.all(leaving[~passing] == 0)  # dangling pages pass nothing through links
    assert rank.sum() == pytest.approx(1.0, abs=1e-12)


def test_a_nofollow_link_weighs_nothing_wherever_it_is() -> None:
    for region in ("main", "nav", "footer", None):
        assert surfer_weight(False, region, 0) == 0.0
    got = surfer_weights(np.array([True, False, True]), ["main", "main", "footer"], np.array([0, 0, 100]))
    assert got.tolist() == [1.0, 0.0, 0.1]


def test_main_content_outweighs_navigation_and_early_outweighs_late() -> None:
    assert surfer_weight(True, "main", 0) > surfer_weight(True, "nav", 0) > surfer_weight(True, "footer", 0)
    assert surfer_weight(True, "main", 0) > surfer_weight(True, "main", 50) > surfer_weight(True, "main", 500)


def test_a_page_whose_links_are_all_nofollow_is_dangling() -> None:
    # 0 -> 1 nofollow only: node 0's rank is spread like a page without links
    rank, out_weight, dangling = weighted_pagerank(2, np.array([0]), np.array([1]), np.array([0.0]))
    assert out_weight.tolist() == [0.0, 0.0]
    assert rank.tolist() == pytest.approx([0.5, 0.5])
    assert dangling == pytest.approx(1.0)
