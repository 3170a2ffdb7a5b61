"""Link-graph measures on integer node ids: PageRank and harmonic centrality (scipy.sparse).

A graph is ``n`` nodes ``0..n-1`` and two equal-length integer arrays ``sources`` and
``targets`` (one directed edge each; duplicates are merged, so the graph is binary; self-loops
are kept only if given, the callers drop them).

PageRank (Page et al. 1999; as networkx's ``pagerank`` and the LAW library compute it):
``x' = d * (x A + s(x) / n) + (1 - d) / n`` with ``A`` the row-normalized adjacency matrix,
``s(x)`` the rank held by dangling nodes (no out-links: spread uniformly), uniform teleport,
``d = 0.85``; iterated from the uniform vector until the L1 change is below ``n * tol``
(``tol = 1e-6``: networkx's test, so both stop at the same iteration).

Harmonic centrality (Boldi & Vigna 2014, networkx's ``harmonic_centrality``): for node ``u``,
the sum over every other node ``v`` of ``1 / d(v, u)`` (distance of the shortest directed path
from ``v`` to ``u``; unreachable pairs add 0). Exact (one breadth-first search per node) up to
``HARMONIC_EXACT_NODES`` nodes; beyond, the estimate of Eppstein & Wang (2004): BFS from
``HARMONIC_PIVOTS`` pivot nodes drawn uniformly without replacement (fixed seed), each sum
scaled by ``n / pivots``; unbiased, with relative error shrinking as ``1 / sqrt(pivots)``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

DAMPING = 0.85
TOLERANCE = 1e-6
MAX_ITERATIONS = 100
#: Graphs up to this many nodes get exact harmonic centrality (n BFS runs).
HARMONIC_EXACT_NODES = 5_000
#: Pivot sources of the harmonic-centrality estimate on larger graphs.
HARMONIC_PIVOTS = 1_000
#: Distances computed at once: a (sources x n) matrix of doubles at most this large.
_BATCH_CELLS = 16_000_000


class PowerIterationFailedConvergence(RuntimeError):
    """PageRank did not converge within the iteration limit."""


def adjacency(n: int, sources: np.ndarray, targets: np.ndarray) -> sparse.csr_array:
    """Return the binary ``n x n`` adjacency matrix of the edges (duplicates merged).

    >>> adjacency(2, np.array([0, 0]), np.array([1, 1])).toarray().tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    matrix = sparse.csr_array(
        (np.ones(len(sources), dtype=np.float64), (sources, targets)), shape=(n, n)
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def pagerank(
    n: int,
    sources: np.ndarray,
    targets: np.ndarray,
    damping: float = DAMPING,
    tol: float = TOLERANCE,
    max_iter: int = MAX_ITERATIONS,
) -> np.ndarray:
    """Return the PageRank of nodes ``0..n-1`` (sums to 1; empty array for ``n == 0``).

    >>> [round(float(x), 4) for x in pagerank(2, np.array([0]), np.array([1]))]
    [0.3509, 0.6491]
    """
    if n == 0:
        return np.zeros(0)
    matrix = adjacency(n, sources, targets)
    out_degree = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = out_degree == 0
    scale = np.zeros(n)
    scale[~dangling] = 1.0 / out_degree[~dangling]
    transition_t = (sparse.dia_array((scale, 0), shape=(n, n)) @ matrix).T.tocsr()
    x = np.full(n, 1.0 / n)
    teleport = (1.0 - damping) / n
    for _ in range(max_iter):
        previous = x
        x = damping * (transition_t @ previous + previous[dangling].sum() / n) + teleport
        if np.abs(x - previous).sum() < n * tol:
            return x
    raise PowerIterationFailedConvergence(
        f"PageRank did not converge in {max_iter} iterations (n={n}, tol={tol})"
    )


def harmonic_centrality(
    n: int,
    sources: np.ndarray,
    targets: np.ndarray,
    exact_nodes: int = HARMONIC_EXACT_NODES,
    pivots: int = HARMONIC_PIVOTS,
    seed: int = 0,
) -> tuple[np.ndarray, bool]:
    """Return (harmonic centrality of nodes ``0..n-1``, whether it is exact).

    >>> harmonic_centrality(3, np.array([0, 1]), np.array([1, 2]))[0].tolist()
    [0.0, 1.0, 1.5]
    """
    if n == 0:
        return np.zeros(0), True
    matrix = adjacency(n, sources, targets)
    exact = n <= exact_nodes or pivots >= n
    if exact:
        origins = np.arange(n)
    else:
        origins = np.sort(np.random.default_rng(seed).choice(n, size=pivots, replace=False))
    total = np.zeros(n)
    step = max(1, _BATCH_CELLS // n)
    for start in range(0, len(origins), step):
        batch = origins[start:start + step]
        distances = csgraph.shortest_path(matrix, method="D", directed=True, unweighted=True,
                                          indices=batch)  # fmt: skip
        with np.errstate(divide="ignore"):
            inverse = 1.0 / distances
        inverse[~np.isfinite(inverse)] = 0.0  # the node itself (0) and unreachable (inf)
        total += inverse.sum(axis=0)
    if not exact:
        total *= n / len(origins)
    return total, exact
